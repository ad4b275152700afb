// The report as plain text for the "ATL Reports" output channel: readable without a renderer,
// outputs indented under each command and shortened to head and tail (the Markdown report keeps
// them whole). Untrusted text is stripped of terminal escapes and control characters.
import type { DiagnosisReport } from "../graph/diagnosis";
import { redactReport, type RenderOptions } from "./redact";
import { cleanControl, formatUsageLine, headline, metricLine } from "./shared";
import { reportStrings } from "./strings";

/** Output lines shown per command in the channel (half from the head, half from the tail). */
export const TEXT_OUTPUT_LINES = 40;

function indent(text: string, prefix: string): string[] {
  return cleanControl(text)
    .replace(/\n+$/, "")
    .split("\n")
    .map((line) => `${prefix}${line}`);
}

function oneLine(text: string): string {
  return cleanControl(text).replace(/\s*\n\s*/g, " ").trim();
}

export function renderText(input: DiagnosisReport, options: RenderOptions = {}): string {
  const report = redactReport(input, options);
  const t = reportStrings(report.language);
  const out: string[] = [];
  const rule = "═".repeat(72);
  out.push(rule, `${t.title}: ${oneLine(headline(report))}`, rule);
  const meta: string[] = [];
  if (report.analysis) {
    meta.push(`${t.severity}: ${t.severities[report.analysis.severity].toUpperCase()}`);
  }
  if (report.status) {
    meta.push(`${t.status}: ${t.statuses[report.status]}`);
  }
  if (report.host) {
    meta.push(`${t.host}: ${oneLine(report.host.name)} (${oneLine(report.host.id)}, ${report.host.transport})`);
  }
  if (report.createdAt) {
    meta.push(`${t.started}: ${report.createdAt}`);
  }
  out.push(meta.join("   "), "");

  if (report.alarm) {
    const a = report.alarm;
    out.push(`${t.alarm}: ${oneLine(a.name)} — ${a.previousState ? `${a.previousState} → ` : ""}${a.state} (${a.changedAt})`);
    out.push(`  ${t.reason}: ${oneLine(a.reason)}`);
    const metric = metricLine(a);
    if (metric) {
      out.push(`  ${t.metric}: ${oneLine(metric)}`);
    }
    out.push("");
  }
  if (report.question) {
    out.push(`${t.question}: ${oneLine(report.question)}`, "");
  }

  out.push(`${t.summary}:`);
  if (report.analysis) {
    out.push(...indent(report.analysis.summary, "  "));
    if (report.analysis.fallbackReason) {
      out.push(`  (${t.fallback}: ${oneLine(report.analysis.fallbackReason)})`);
    }
    out.push("", `${t.findings}:`);
    if (report.analysis.findings.length === 0) {
      out.push(`  ${t.noFindings}`);
    }
    report.analysis.findings.forEach((f, i) => {
      out.push(`  ${i + 1}. [${t.severities[f.severity]}] ${oneLine(f.title)} — ${oneLine(f.detail)}`);
      for (const e of f.evidence) {
        out.push(`     ${e.commandId} $ ${oneLine(e.command)}`, ...indent(e.excerpt, "       | "));
      }
    });
    if (report.analysis.nextSteps.length > 0) {
      out.push("", `${t.nextSteps}:`);
      report.analysis.nextSteps.forEach((s, i) => out.push(`  ${i + 1}. ${oneLine(s)}`));
    }
  } else {
    out.push(`  ${t.noAnalysis}`);
  }

  out.push("", `${t.commands}:`);
  if (report.runs.length === 0) {
    out.push(`  ${t.noCommands}`);
  }
  for (const run of report.runs) {
    const facts = [t.runStatuses[run.status], run.exitCode !== null ? `exit ${run.exitCode}` : null, run.signal, `${run.durationMs} ms`].filter(Boolean).join(", ");
    out.push(`  ${run.id} $ ${oneLine(run.command)}   (${facts})`);
    if (run.reason) {
      out.push(`     ${oneLine(run.reason)}`);
    }
    if (run.status === "refused" || run.status === "error") {
      continue;
    }
    const lines = cleanControl(run.stdout).replace(/\n+$/, "").split("\n");
    if (lines.length > TEXT_OUTPUT_LINES) {
      const half = TEXT_OUTPUT_LINES / 2;
      out.push(...lines.slice(0, half).map((l) => `     | ${l}`), `     ${t.linesOmitted(lines.length - TEXT_OUTPUT_LINES)}`, ...lines.slice(-half).map((l) => `     | ${l}`));
    } else if (run.stdout.trim()) {
      out.push(...lines.map((l) => `     | ${l}`));
    } else {
      out.push(`     ${t.emptyOutput}`);
    }
    if (run.stderr.trim()) {
      out.push(`     ${t.stderr}:`, ...indent(run.stderr, "     ! ").slice(0, 10));
    }
  }

  for (const rejection of report.rejections ?? []) {
    out.push("", `${t.rejected} (${t.round} ${rejection.round}): ${oneLine(rejection.reason || "—")}`);
  }
  const answers = report.answers ?? [];
  if (answers.length > 0) {
    out.push("", `${t.followUps}:`);
    for (const a of answers) {
      out.push(`  Q: ${oneLine(a.question)}`, ...indent(a.answer, "  A: ").slice(0, 1), ...indent(a.answer, "     ").slice(1));
    }
  }
  const errors = report.errors ?? [];
  if (errors.length > 0) {
    out.push("", `${t.errors}:`, ...errors.map((e) => `  [${e.code}] ${oneLine(e.message)}`));
  }
  if (report.usage) {
    out.push("", `${t.usage}: ${formatUsageLine(report.usage)}`);
  }
  out.push("", `${t.generated} · ${t.thread} ${report.threadId}`, "");
  return out.join("\n");
}
