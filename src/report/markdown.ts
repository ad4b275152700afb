// The report as Markdown (preview, "Save report", "Copy for ticket", the CLI's stdout). Alarm text,
// command output and LLM text are data: outputs sit in fenced blocks longer than any backtick run
// inside them, inline text is escaped (Markdown and HTML; a backtick as &#96;), so nothing in them
// can become markup, links or HTML. ATL's formatted text (RichText: summary, findings, next steps,
// answers) is written run by run: plain runs escaped, code runs as code spans that their text
// cannot close. No LangChain here: the extension imports this directly.
import type { Alarm } from "../alarms/model";
import type { CommandRun, DiagnosisReport, Finding, Proposal } from "../graph/diagnosis";
import { reportStrings, type ReportStrings } from "./strings";
import { redactReport, type RenderOptions } from "./redact";
import { cleanControl, formatUsageLine, headline, metricLine } from "./shared";
import { formatDateTime } from "../shared/format";
import type { ReportLanguage } from "../shared/l10n";
import { toRichText, truncateRich, type RichText } from "../shared/richText";

/** A fence of backticks longer than any backtick run in `text` (at least three). */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) {
    longest = Math.max(longest, run.length);
  }
  return "`".repeat(Math.max(3, longest + 1));
}

/** A fenced code block that `text` cannot break out of. */
export function codeBlock(text: string, info = "text"): string {
  const body = cleanControl(text).replace(/\n+$/, "");
  const fence = fenceFor(body);
  return `${fence}${info}\n${body}\n${fence}`;
}

/** An inline code span that the text cannot close early. */
export function inlineCode(text: string): string {
  const body = cleanControl(text).replace(/[\r\n]+/g, " ");
  let longest = 0;
  for (const run of body.match(/`+/g) ?? []) {
    longest = Math.max(longest, run.length);
  }
  const ticks = "`".repeat(longest + 1);
  const pad = body.startsWith("`") || body.endsWith("`") || body.length === 0 ? " " : "";
  return `${ticks}${pad}${body}${pad}${ticks}`;
}

/**
 * Untrusted text for the Markdown report, kept readable (lines stay; for a tooltip's one line see
 * markdownTooltipText in src/alarms/present.ts). Escapes it so Markdown renders it literally: no emphasis, code, links (also GFM autolinks),
 * tables, block markers or HTML. Escapes stay few so a pasted ticket still reads well.
 */
export function markdownLiteral(text: string): string {
  return cleanControl(text)
    .replace(/[\\*_[\]|~]/g, "\\$&")
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, "&amp;")
    // A character reference, not a backslash: a literal backtick reads the same in the source.
    .replace(/`/g, "&#96;")
    .replace(/</g, "&lt;")
    .replace(/:\/\//g, ":\\/\\/")
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\\.`)
    .replace(/^(\s*)([#+=-])(?=\s|$)/gm, "$1\\$2")
    .replace(/^(\s*)>/gm, "$1\\>")
    .replace(/^(\s*\d+)([.)])(?=\s|$)/gm, "$1\\$2");
}

/** One line of literal text (table cells, headings). */
export function markdownLine(text: string): string {
  return markdownLiteral(text.replace(/[\r\n]+/g, " ").trim());
}

/** Multi-line literal text: each line escaped, line breaks kept. */
function paragraph(text: string): string {
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) => markdownLiteral(line))
    .join("  \n");
}

/**
 * RichText on one line (headings, list items, chat replies): plain runs escaped, code runs as code
 * spans their text cannot close; at most `max` characters of text.
 */
export function richInline(text: RichText | string, max = Infinity): string {
  const rich = toRichText(text);
  return (Number.isFinite(max) ? truncateRich(rich, max) : rich)
    .map((span) => (typeof span === "string" ? markdownLiteral(span.replace(/[\r\n]+/g, " ")) : inlineCode(span.code)))
    .join("")
    .trim();
}

/**
 * RichText as a paragraph: line breaks kept, plain runs escaped, code runs as code spans, and a
 * code run of several lines (a block the LLM wrote) as a fenced block of its own.
 */
function richParagraph(text: RichText | string): string {
  const blocks: string[] = [];
  let lines: string[] = [];
  let line = "";
  const endParagraph = (): void => {
    lines.push(line);
    const body = lines.join("  \n").trim();
    if (body) {
      blocks.push(body);
    }
    lines = [];
    line = "";
  };
  for (const span of toRichText(text)) {
    if (typeof span !== "string") {
      if (span.code.includes("\n")) {
        endParagraph();
        blocks.push(codeBlock(span.code));
      } else {
        line += inlineCode(span.code);
      }
      continue;
    }
    const parts = cleanControl(span).split("\n");
    parts.forEach((part, index) => {
      if (index > 0) {
        lines.push(line);
        line = "";
      }
      line += markdownLiteral(part);
    });
  }
  endParagraph();
  return blocks.join("\n\n");
}

export function renderMarkdown(input: DiagnosisReport, options: RenderOptions = {}): string {
  const report = redactReport(input, options);
  const t = reportStrings(report.language);
  const out: string[] = [];
  out.push(`# ${t.title}: ${markdownLine(headline(report))}`, "");
  const meta: string[] = [];
  if (report.analysis) {
    meta.push(`**${t.severity}:** ${t.severities[report.analysis.severity].toUpperCase()}`);
  }
  if (report.status) {
    meta.push(`**${t.status}:** ${t.statuses[report.status]}`);
  }
  if (report.host) {
    const id = report.host.id === report.host.name ? "" : `${inlineCode(report.host.id)}, `;
    meta.push(`**${t.host}:** ${markdownLine(report.host.name)} (${id}${report.host.transport})`);
  }
  if (report.createdAt) {
    meta.push(`**${t.started}:** ${markdownLine(formatDateTime(report.createdAt, report.language, options.timeZone))}`);
  }
  out.push(meta.join(" · "), "");

  out.push(`## ${t.summary}`, "");
  if (report.analysis) {
    out.push(richParagraph(report.analysis.summary), "");
    if (report.analysis.fallbackReason) {
      out.push(`> **${t.fallback}:** ${markdownLine(report.analysis.fallbackReason)}`, "");
    }
  } else {
    out.push(t.noAnalysis, "");
  }
  if (report.question) {
    out.push(`**${t.question}:** ${markdownLine(report.question)}`, "");
  }

  if (report.alarm) {
    out.push(`## ${t.alarm}`, "", ...alarmTable(report.alarm, t, report.language, options.timeZone), "");
  }

  if (report.analysis) {
    out.push(`## ${t.findings}`, "");
    if (report.analysis.findings.length === 0) {
      out.push(t.noFindings, "");
    }
    report.analysis.findings.forEach((finding, index) => out.push(...findingBlock(finding, index + 1, t), ""));
    if (report.analysis.nextSteps.length > 0) {
      out.push(`## ${t.nextSteps}`, "");
      report.analysis.nextSteps.forEach((step, index) => out.push(`${index + 1}. ${richInline(step)}`));
      out.push("");
    }
  }

  out.push(`## ${t.commands}`, "");
  if (report.runs.length === 0) {
    out.push(t.noCommands, "");
  }
  for (const run of report.runs) {
    out.push(...runBlock(run, report.proposals, t), "");
  }

  if (report.proposals.length > 0) {
    out.push(`## ${t.plans}`, "");
    for (const proposal of report.proposals) {
      out.push(...proposalBlock(proposal, report, t), "");
    }
  }

  const answers = report.answers ?? [];
  if (answers.length > 0) {
    out.push(`## ${t.followUps}`, "");
    for (const answer of answers) {
      out.push(`**Q:** ${markdownLine(answer.question)}`, "", richParagraph(answer.answer), "");
    }
  }

  const errors = report.errors ?? [];
  if (errors.length > 0) {
    out.push(`## ${t.errors}`, "");
    for (const error of errors) {
      out.push(`- ${inlineCode(error.code)} ${markdownLine(error.message)}`);
    }
    out.push("");
  }

  if (report.usage) {
    out.push(`## ${t.usage}`, "", markdownLine(formatUsageLine(report.usage)), "");
  }
  out.push("---", `_${t.generated} · ${t.thread} ${inlineCode(report.threadId)}_`, "");
  return out.join("\n");
}

/** A pending proposal as Markdown (the CLI's `--approve none` output, tickets asking for approval). */
export function renderProposalMarkdown(proposal: Proposal, language: ReportLanguage = "en"): string {
  const t = reportStrings(language);
  const out = [`# ${t.proposal}: ${markdownLine(proposal.host.name)} (${inlineCode(proposal.host.id)})`, "", `${t.round} ${proposal.round} · ${t.source[proposal.source]}`, "", paragraph(proposal.rationale), ""];
  out.push(`| id | ${t.commandColumn} | ${t.riskColumn} | ${t.purpose} | ${t.expectedSignal} |`, "| --- | --- | --- | --- | --- |");
  for (const c of proposal.commands) {
    const risk = c.decision === "refused" ? `**${t.risk.refused}**: ${markdownLine(c.reason)}` : t.risk[c.risk];
    const cells = [c.id, inlineCode(c.command), risk, markdownLine(c.purpose), markdownLine(c.expectedSignal)];
    out.push(`| ${cells.map((cell) => cell.replace(/(?<!\\)\|/g, "\\|")).join(" | ")} |`);
  }
  out.push("");
  return out.join("\n");
}

function alarmTable(alarm: Alarm, t: ReportStrings, language: DiagnosisReport["language"], timeZone: string | undefined): string[] {
  const rows: [string, string][] = [
    [t.name, markdownLine(alarm.name)],
    [t.state, `${alarm.previousState ? `${alarm.previousState} → ` : ""}**${alarm.state}**`],
    [t.reason, markdownLine(alarm.reason)],
  ];
  if (alarm.description) {
    rows.push([t.description, markdownLine(alarm.description)]);
  }
  const metric = metricLine(alarm);
  if (metric) {
    rows.push([t.metric, markdownLine(metric)]);
  }
  const dims = Object.entries(alarm.metric?.dimensions ?? {});
  if (dims.length > 0) {
    rows.push([t.dimensions, dims.map(([k, v]) => `${markdownLine(k)}=${markdownLine(v)}`).join(", ")]);
  }
  if (alarm.children.length > 0) {
    rows.push([t.composite, alarm.children.map((c) => markdownLine(c)).join("<br>")]);
  }
  rows.push([t.changedAt, markdownLine(formatDateTime(alarm.changedAt, language, timeZone))]);
  rows.push([t.region, `${markdownLine(alarm.region)} / ${markdownLine(alarm.accountId)}`]);
  rows.push(["ARN", inlineCode(alarm.arn)]);
  return [`| ${t.field} | ${t.value} |`, "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v.replace(/(?<!\\)\|/g, "\\|")} |`)];
}

function findingBlock(finding: Finding, index: number, t: ReportStrings): string[] {
  const lines = [`### ${index}. ${richInline(finding.title)} — ${t.severities[finding.severity]} (${t.source[finding.source]})`, "", richParagraph(finding.detail)];
  for (const evidence of finding.evidence) {
    lines.push("", `${t.evidence} (${inlineCode(evidence.commandId)} ${inlineCode(evidence.command)}):`, "", codeBlock(evidence.excerpt));
  }
  return lines;
}

function runBlock(run: CommandRun, proposals: Proposal[], t: ReportStrings): string[] {
  const proposed = proposals.flatMap((p) => p.commands).find((c) => c.id === run.id);
  const facts = [t.runStatuses[run.status]];
  if (run.exitCode !== null) {
    facts.push(`exit ${run.exitCode}`);
  }
  if (run.signal) {
    facts.push(run.signal);
  }
  facts.push(`${run.durationMs} ms`);
  const lines = [`### ${markdownLine(run.id)} ${inlineCode(run.command)} — ${facts.join(", ")}`, ""];
  if (proposed?.purpose) {
    lines.push(`${t.purpose}: ${markdownLine(proposed.purpose)}`, "");
  }
  if (run.reason) {
    lines.push(`> ${markdownLine(run.reason)}`, "");
  }
  if (run.status !== "refused" && run.status !== "error") {
    lines.push(codeBlock(run.stdout.length > 0 ? run.stdout : t.emptyOutput));
    if (run.stderr.trim()) {
      lines.push("", `${t.stderr}:`, "", codeBlock(run.stderr));
    }
    if (run.truncated) {
      lines.push("", `_${t.truncated}_`);
    }
  }
  return lines;
}

function proposalBlock(proposal: Proposal, report: DiagnosisReport, t: ReportStrings): string[] {
  const flags = [t.source[proposal.source]];
  if (proposal.autoApproved) {
    flags.push(t.autoApproved);
  }
  const lines = [`### ${t.round} ${proposal.round} (${flags.join(", ")})`, "", paragraph(proposal.rationale), ""];
  for (const command of proposal.commands) {
    const risk = command.decision === "refused" ? t.risk.refused : t.risk[command.risk];
    lines.push(`- ${inlineCode(command.command)} — **${risk}**${command.decision === "refused" ? `: ${markdownLine(command.reason)}` : ""}${command.purpose ? ` — ${markdownLine(command.purpose)}` : ""}`);
  }
  const rejection = (report.rejections ?? []).find((r) => r.round === proposal.round);
  if (rejection) {
    lines.push("", `**${t.rejected}:** ${markdownLine(rejection.reason || "—")}`);
  }
  return lines;
}
