// The report as plain text for the "ATL Reports" output channel: readable without a renderer,
// outputs indented under each command and shortened to head and tail (the Markdown report keeps
// them whole). A diagnosis goes in once, in full; each later turn (a question, more commands, a
// rejected plan) adds only what it changed. Untrusted text is stripped of terminal escapes and
// control characters; ATL's formatted text (RichText) is written as its text, code runs without
// markers (nothing renders them here).
import type { CommandRun, DiagnosisReport } from "../graph/diagnosis";
import { formatDateTime, hostLabel } from "../shared/format";
import { plainText, toRichText, type RichText } from "../shared/richText";
import { redactReport, type RenderOptions } from "./redact";
import { cleanControl, formatUsageLine, headline, metricLine } from "./shared";
import { reportStrings, type ReportStrings } from "./strings";

/** Output lines shown per command in the channel (half from the head, half from the tail). */
export const TEXT_OUTPUT_LINES = 40;

const RULE = "═".repeat(72);

function indent(text: string, prefix: string): string[] {
  return cleanControl(text)
    .replace(/\n+$/, "")
    .split("\n")
    .map((line) => `${prefix}${line}`);
}

/** RichText (or a string of an older report) as the text it reads. */
function textOf(text: RichText | string): string {
  return plainText(toRichText(text));
}

function oneLine(text: string): string {
  return cleanControl(text).replace(/\s*\n\s*/g, " ").trim();
}

export function renderText(input: DiagnosisReport, options: RenderOptions = {}): string {
  const report = redactReport(input, options);
  const t = reportStrings(report.language);
  const out: string[] = [];
  out.push(RULE, `${t.title}: ${oneLine(headline(report))}`, RULE);
  const meta: string[] = [];
  if (report.analysis) {
    meta.push(`${t.severity}: ${t.severities[report.analysis.severity].toUpperCase()}`);
  }
  if (report.status) {
    meta.push(`${t.status}: ${t.statuses[report.status]}`);
  }
  if (report.host) {
    meta.push(`${t.host}: ${oneLine(hostLabel(report.host))}, ${report.host.transport}`);
  }
  if (report.createdAt) {
    meta.push(`${t.started}: ${formatDateTime(report.createdAt, report.language, options.timeZone)}`);
  }
  out.push(meta.join("   "), "");

  if (report.alarm) {
    const a = report.alarm;
    out.push(`${t.alarm}: ${oneLine(a.name)} — ${a.previousState ? `${a.previousState} → ` : ""}${a.state} (${formatDateTime(a.changedAt, report.language, options.timeZone)})`);
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

  out.push(...analysisLines(report, t));

  out.push("", `${t.commands}:`);
  if (report.runs.length === 0) {
    out.push(`  ${t.noCommands}`);
  }
  for (const run of report.runs) {
    out.push(...runLines(run, t));
  }

  for (const rejection of report.rejections ?? []) {
    out.push("", rejectionLine(rejection, t));
  }
  const answers = report.answers ?? [];
  if (answers.length > 0) {
    out.push("", `${t.followUps}:`, ...answers.flatMap(answerLines));
  }
  const errors = report.errors ?? [];
  if (errors.length > 0) {
    out.push("", `${t.errors}:`, ...errors.map(errorLine));
  }
  if (report.usage) {
    out.push("", `${t.usage}: ${formatUsageLine(report.usage)}`);
  }
  out.push("", `${t.generated} · ${t.thread} ${report.threadId}`, "");
  return out.join("\n");
}

/**
 * What a later turn of a diagnosis changed, for the channel that already holds the diagnosis:
 * new questions and answers, new command runs, rejected plans and problems, the analysis if it
 * changed, and the status if it changed. Empty when the turn changed nothing the channel shows.
 */
export function renderTextUpdate(previousInput: DiagnosisReport, input: DiagnosisReport, options: RenderOptions = {}): string {
  const previous = redactReport(previousInput, options);
  const report = redactReport(input, options);
  const t = reportStrings(report.language);
  const body: string[] = [];
  const runs = report.runs.slice(previous.runs.length);
  if (runs.length > 0) {
    body.push(`${t.commands}:`, ...runs.flatMap((run) => runLines(run, t)), "");
  }
  if (JSON.stringify(report.analysis) !== JSON.stringify(previous.analysis)) {
    body.push(...analysisLines(report, t), "");
  }
  for (const rejection of (report.rejections ?? []).slice((previous.rejections ?? []).length)) {
    body.push(rejectionLine(rejection, t), "");
  }
  const answers = (report.answers ?? []).slice((previous.answers ?? []).length);
  if (answers.length > 0) {
    body.push(...answers.flatMap(answerLines), "");
  }
  const errors = (report.errors ?? []).slice((previous.errors ?? []).length);
  if (errors.length > 0) {
    body.push(`${t.errors}:`, ...errors.map(errorLine), "");
  }
  if (report.status && report.status !== previous.status) {
    body.push(`${t.status}: ${t.statuses[report.status]}`, "");
  }
  if (body.length === 0) {
    return "";
  }
  return [`── ${t.followUp}: ${oneLine(headline(report))} (${t.thread} ${report.threadId}) ──`, ...body].join("\n");
}

function analysisLines(report: DiagnosisReport, t: ReportStrings): string[] {
  const out = [`${t.summary}:`];
  if (!report.analysis) {
    out.push(`  ${t.noAnalysis}`);
    return out;
  }
  out.push(...indent(textOf(report.analysis.summary), "  "));
  if (report.analysis.fallbackReason) {
    out.push(`  (${t.fallback}: ${oneLine(report.analysis.fallbackReason)})`);
  }
  out.push("", `${t.findings}:`);
  if (report.analysis.findings.length === 0) {
    out.push(`  ${t.noFindings}`);
  }
  report.analysis.findings.forEach((f, i) => {
    out.push(`  ${i + 1}. [${t.severities[f.severity]}] ${oneLine(textOf(f.title))} — ${oneLine(textOf(f.detail))}`);
    for (const e of f.evidence) {
      out.push(`     ${e.commandId} $ ${oneLine(e.command)}`, ...indent(e.excerpt, "       | "));
    }
  });
  if (report.analysis.nextSteps.length > 0) {
    out.push("", `${t.nextSteps}:`);
    report.analysis.nextSteps.forEach((s, i) => out.push(`  ${i + 1}. ${oneLine(textOf(s))}`));
  }
  return out;
}

function runLines(run: CommandRun, t: ReportStrings): string[] {
  const out: string[] = [];
  const facts = [t.runStatuses[run.status], run.exitCode !== null ? `exit ${run.exitCode}` : null, run.signal, `${run.durationMs} ms`].filter(Boolean).join(", ");
  out.push(`  ${run.id} $ ${oneLine(run.command)}   (${facts})`);
  if (run.reason) {
    out.push(`     ${oneLine(run.reason)}`);
  }
  if (run.status === "refused" || run.status === "error") {
    return out;
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
  return out;
}

function rejectionLine(rejection: { round: number; reason: string }, t: ReportStrings): string {
  return `${t.rejected} (${t.round} ${rejection.round}): ${oneLine(rejection.reason || "—")}`;
}

function answerLines(a: { question: string; answer: RichText }): string[] {
  const answer = textOf(a.answer);
  return [`  Q: ${oneLine(a.question)}`, ...indent(answer, "  A: ").slice(0, 1), ...indent(answer, "     ").slice(1)];
}

function errorLine(e: { code: string; message: string }): string {
  return `  [${e.code}] ${oneLine(e.message)}`;
}
