// Every prompt ATL sends, in one place. Untrusted text (alarm fields, command output, parser
// excerpts) is always fenced with the run's random delimiter, redacted and budgeted before it gets
// here (see nodes/evidence.ts). Each structured prompt names its schema (`(schema: …)`), which also
// lets the scripted test server match jsonMode requests.
import type { Alarm } from "../alarms/model";
import { fence, fenceRule } from "../llm/fence";
import { toMarkdown, type RichText } from "../shared/richText";
import type { Check, Culprit, Finding, HostRef, Resource } from "./diagnosis";
import type { ReportLanguage } from "../shared/l10n";

export const SCHEMA = {
  plan: "command_plan",
  analysis: "diagnosis_analysis",
  route: "route_decision",
} as const;

export const MAX_PLAN_COMMANDS = 8;

/** How the model's prose is shown: code spans become code; any other Markdown shows as typed. */
const TEXT_FORMAT = "Text format: plain sentences; put commands, process names, units, paths and file names in `backticks`. No other Markdown (no bold, headings, links or HTML): it is shown literally.";
export const MAX_FURTHER_COMMANDS = 3;


function languageRule(language: ReportLanguage): string {
  return language === "ko"
    ? "Write every human-readable field (rationale, purpose, expected signal, titles, details, summary, next steps, answers) in Korean. Commands stay as they are."
    : "Write every human-readable field in English.";
}

const COMMAND_RULES = [
  "Commands run on a Linux host without a shell: one command per line, pipes (|), && and ; are allowed, but no command substitution, no redirection to files, no sudo, no interactive programs (use `top -b -n 1`, `journalctl --no-pager`, `systemctl --no-pager`).",
  "Prefer read-only diagnostics (uptime, ps, top -b -n 1, free, vmstat, iostat, mpstat, df, du, ss, ip, dmesg, journalctl, systemctl status, tail of a log). A command policy checks every command; refused commands never run and changing the system needs the operator's explicit approval.",
  "Bound the output (`| head -n 40`, `--lines 100`, `-n 1`): output is cut for you anyway.",
].join("\n");

export interface PlanPromptInput {
  host: HostRef;
  /** alarmForPrompt(alarm), redacted; null without an alarm. */
  alarmText: string | null;
  question: string | null;
  runbook: { name: string; rationale: string; commands: { command: string; purpose: string }[] } | null;
  /** Summary and findings of earlier rounds of this thread, if any. */
  earlier: { summary: string; findings: Finding[]; ranCommands: string[] } | null;
  rejections: { commands: string[]; reason: string }[];
  delimiter: string;
  language: ReportLanguage;
}

export function planPrompt(input: PlanPromptInput): { system: string; user: string } {
  const system = [
    "You are ATL, an on-call assistant that diagnoses Linux servers. Propose the diagnostic commands to run next on one host.",
    COMMAND_RULES,
    `Propose at most ${MAX_PLAN_COMMANDS} commands, each with its purpose and the expected signal (what in the output would confirm or rule out a cause).`,
    fenceRule(input.delimiter),
    languageRule(input.language),
    `Reply with JSON only: {"rationale": string, "commands": [{"command": string, "purpose": string, "expectedSignal": string}]} (schema: ${SCHEMA.plan}).`,
  ].join("\n\n");
  const parts: string[] = [`Host: ${input.host.name} (id ${input.host.id}, via ${input.host.transport}).`];
  if (input.alarmText) {
    parts.push(`The alarm that fired:\n${fence("alarm", input.alarmText, input.delimiter)}`);
  }
  if (input.question) {
    parts.push(`The operator's request:\n${fence("operator request", input.question, input.delimiter)}`);
  }
  if (input.runbook && input.runbook.commands.length > 0) {
    const lines = input.runbook.commands.map((c) => `- ${c.command} — ${c.purpose}`).join("\n");
    parts.push(`ATL's built-in runbook "${input.runbook.name}" would run (use it as a starting idea, improve on it):\n${lines}\nRationale: ${input.runbook.rationale}`);
  }
  if (input.earlier) {
    const findings = input.earlier.findings.map((f) => `- ${toMarkdown(f.title)}: ${toMarkdown(f.detail)}`).join("\n");
    parts.push(
      `Already done in this thread (do not repeat these commands unless the operator asks):\n${input.earlier.ranCommands.map((c) => `- ${c}`).join("\n")}\n` +
        fence("earlier findings", `${input.earlier.summary}\n${findings}`, input.delimiter),
    );
  }
  for (const rejection of input.rejections) {
    parts.push(
      `The operator REJECTED this plan:\n${rejection.commands.map((c) => `- ${c}`).join("\n")}\nReason: ${fence("rejection reason", rejection.reason, input.delimiter)}\n` +
        "Propose a different plan that follows the reason and does not repeat the rejected commands.",
    );
  }
  return { system, user: parts.join("\n\n") };
}

export interface OutputForPrompt {
  id: string;
  command: string;
  status: string;
  exitCode: number | null;
  durationMs: number;
  /** Redacted, budgeted. */
  stdout: string;
  stderr: string;
  omittedLines: number;
}

export interface AnalysisPromptInput {
  host: HostRef | null;
  /** What the question or alarm is about (empty: a broad sweep). */
  resources: Resource[];
  /** The parsers' verdict: the culprit they tie to the question, or null, and what they checked. */
  runbookCulprit: Culprit | null;
  checked: Check[];
  /** alarmForPrompt(alarm), redacted; null without an alarm. */
  alarmText: string | null;
  question: string | null;
  /** Built-in parser findings (excerpts redacted). */
  findings: Finding[];
  runbookSummary: string;
  outputs: OutputForPrompt[];
  allowFurtherCommands: boolean;
  delimiter: string;
  language: ReportLanguage;
}

export function analysisPrompt(input: AnalysisPromptInput): { system: string; user: string } {
  const system = [
    "You are ATL, an on-call assistant that diagnoses Linux servers. Analyse the command outputs below and explain what is wrong.",
    "Every finding must cite evidence: the id of the command (e.g. c1) and an excerpt copied VERBATIM from that command's output (one to three whole lines). Findings whose excerpt does not occur in the output are discarded.",
    "Name the culprit when the evidence shows one (process name and pid, mount point, unit). Do not invent numbers. If the evidence is not enough, say so.",
    [
      "Calibration — a wrong culprit is worse than none:",
      "- culprit: name one only when quoted output ties it to what the question or alarm is about (the resources listed below): for open files the process with the most descriptors, for zombies their parent, for connections the client holding them, for a full disk the file or directory filling it, for a dead service its unit or port. A busy process is not the answer to a question about something else; put it in a finding, not in culprit.",
      "- culprit.name must appear verbatim in an excerpt you cite (or be the parsers' culprit); culprit.resource is one of: cpu, memory, swap, disk-space, inodes, disk-io, processes, zombies, file-descriptors, connections, network, services, kernel, time, dns, reboot. Otherwise set culprit to null.",
      '- With no culprit, say "no evidence of <the problem asked about>", list what was checked, suggest the next commands, and keep the severity low.',
      "- Never state anything about a command that did not run or gave no output (e.g. no interface errors when `ip -s link` did not run).",
    ].join("\n"),
    "severity: info | low | medium | high | critical, for the host's situation as the evidence shows it.",
    "nextSteps: concrete actions for the operator (advice only; nothing runs without approval).",
    TEXT_FORMAT,
    input.allowFurtherCommands
      ? `furtherCommands: only when the evidence is insufficient, up to ${MAX_FURTHER_COMMANDS} more read-only diagnostic commands (they go to the operator for approval); otherwise [].\n${COMMAND_RULES}`
      : "furtherCommands: always [] in this reply.",
    fenceRule(input.delimiter),
    languageRule(input.language),
    `Reply with JSON only: {"summary": string, "severity": string, "culprit": {"resource": string, "kind": string, "name": string, "pid": number | null, "detail": string | null} | null, "findings": [{"title": string, "detail": string, "severity": string, "evidence": [{"commandId": string, "excerpt": string}]}], "nextSteps": [string], "furtherCommands": [{"command": string, "purpose": string, "expectedSignal": string}]} (schema: ${SCHEMA.analysis}).`,
  ].join("\n\n");
  const parts: string[] = [];
  if (input.host) {
    parts.push(`Host: ${input.host.name} (id ${input.host.id}).`);
  }
  if (input.alarmText) {
    parts.push(`The alarm that fired:\n${fence("alarm", input.alarmText, input.delimiter)}`);
  }
  if (input.question) {
    parts.push(`The operator's request:\n${fence("operator request", input.question, input.delimiter)}`);
  }
  parts.push(
    input.resources.length > 0
      ? `The question or alarm is about: ${input.resources.join(", ")}. Name a culprit only for these.`
      : "The question is vague (slow, hanging, a general check): a culprit may come from any resource, but only one that clearly shows a problem.",
  );
  if (input.findings.length > 0 || input.runbookSummary) {
    const lines = input.findings.map((f) => `- [${f.severity}]${f.resource ? ` (${f.resource})` : ""} ${toMarkdown(f.title)}: ${toMarkdown(f.detail)}${f.evidence[0] ? ` (${f.evidence[0].commandId}: ${f.evidence[0].excerpt})` : ""}`);
    const verdict = input.runbookCulprit
      ? `Parsers' culprit: ${input.runbookCulprit.name}${input.runbookCulprit.pid ? ` (pid ${input.runbookCulprit.pid})` : ""}, ${input.runbookCulprit.resource}${input.runbookCulprit.detail ? `: ${input.runbookCulprit.detail}` : ""}`
      : "Parsers' culprit: none tied to the question";
    const checked = input.checked.length > 0 ? `Checked: ${input.checked.map((c) => `${c.what} (${c.commandId}${c.outcome === "no-data" ? ", no data" : ""})`).join("; ")}` : "";
    parts.push(`ATL's built-in output parsers found (verified, use as evidence):\n${fence("parser findings", [input.runbookSummary, verdict, checked, ...lines].filter(Boolean).join("\n"), input.delimiter)}`);
  }
  parts.push(outputsSection(input.outputs, input.delimiter));
  return { system, user: parts.join("\n\n") };
}

export interface AnswerPromptInput {
  question: string;
  host: HostRef | null;
  /** alarmForPrompt(alarm), redacted; null without an alarm. */
  alarmText: string | null;
  summary: string | null;
  findings: Finding[];
  outputs: OutputForPrompt[];
  earlierAnswers: { question: string; answer: RichText }[];
  delimiter: string;
  language: ReportLanguage;
}

export function answerPrompt(input: AnswerPromptInput): { system: string; user: string } {
  const system = [
    "You are ATL, an on-call assistant. Answer the operator's follow-up question from the evidence this diagnosis already collected (command outputs and findings below).",
    "Be brief and specific; quote the output lines you rely on. If the evidence does not answer the question, say so and name the command that would (the operator can ask ATL to run it). Do not invent output.",
    TEXT_FORMAT,
    fenceRule(input.delimiter),
    languageRule(input.language),
    "Answer in plain Markdown text (no JSON).",
  ].join("\n\n");
  const parts: string[] = [];
  if (input.host) {
    parts.push(`Host: ${input.host.name} (id ${input.host.id}).`);
  }
  if (input.alarmText) {
    parts.push(`The alarm:\n${fence("alarm", input.alarmText, input.delimiter)}`);
  }
  if (input.summary || input.findings.length > 0) {
    const lines = input.findings.map((f) => `- [${f.severity}] ${toMarkdown(f.title)}: ${toMarkdown(f.detail)}`);
    parts.push(`Findings so far:\n${fence("findings", [input.summary ?? "", ...lines].join("\n"), input.delimiter)}`);
  }
  if (input.outputs.length > 0) {
    parts.push(outputsSection(input.outputs, input.delimiter));
  }
  for (const earlier of input.earlierAnswers.slice(-3)) {
    parts.push(`Earlier question: ${fence("question", earlier.question, input.delimiter)}\nYour answer: ${fence("answer", toMarkdown(earlier.answer), input.delimiter)}`);
  }
  parts.push(`The operator asks:\n${fence("question", input.question, input.delimiter)}`);
  return { system, user: parts.join("\n\n") };
}

export function routePrompt(text: string, context: { hasEvidence: boolean; ranCommands: string[] }, delimiter: string): { system: string; user: string } {
  const system = [
    "You route an operator's chat message in ATL, an on-call diagnosis assistant. Choose one route:",
    '- "generate": the operator wants ATL to look at the host (run diagnostic commands).',
    '- "answer": a question that the evidence already collected in this thread can answer.',
    '- "fetch": the operator wants a list of alarms / incidents.',
    fenceRule(delimiter),
    `Reply with JSON only: {"route": "generate" | "answer" | "fetch", "reason": string} (schema: ${SCHEMA.route}).`,
  ].join("\n");
  const user = [
    context.hasEvidence ? `Commands already run in this thread:\n${context.ranCommands.map((c) => `- ${c}`).join("\n")}` : "No commands have run in this thread yet.",
    `Message:\n${fence("operator message", text, delimiter)}`,
  ].join("\n\n");
  return { system, user };
}

function outputsSection(outputs: OutputForPrompt[], delimiter: string): string {
  if (outputs.length === 0) {
    return "No command produced output.";
  }
  const blocks = outputs.map((o) => {
    const head = `Command ${o.id}: ${o.command}\nstatus ${o.status}, exit code ${o.exitCode ?? "none"}, ${o.durationMs} ms${o.omittedLines > 0 ? `, ${o.omittedLines} lines omitted from the middle` : ""}`;
    const stdout = fence(`${o.id} stdout`, o.stdout || "(empty)", delimiter);
    const stderr = o.stderr.trim() ? `\n${fence(`${o.id} stderr`, o.stderr, delimiter)}` : "";
    return `${head}\n${stdout}${stderr}`;
  });
  return `Command outputs:\n\n${blocks.join("\n\n")}`;
}

/** The alarm's fields that matter for a diagnosis, as text (the caller fences and redacts it). */
export function alarmForPrompt(alarm: Alarm): string {
  const lines = [
    `name: ${clip(alarm.name, 256)}`,
    `state: ${alarm.previousState ?? "?"} -> ${alarm.state} at ${alarm.changedAt}`,
    `reason: ${clip(alarm.reason, 1000)}`,
  ];
  if (alarm.description) {
    lines.push(`description: ${clip(alarm.description, 1000)}`);
  }
  if (alarm.metric) {
    const m = alarm.metric;
    const dims = Object.entries(m.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    lines.push(`metric: ${m.namespace ?? "?"}/${m.name ?? "?"} ${m.statistic ?? ""} ${m.comparison ?? ""} ${m.threshold ?? ""}${dims ? ` (${clip(dims, 400)})` : ""}`);
  }
  if (alarm.children.length > 0) {
    lines.push(`composite of: ${alarm.children.slice(0, 10).join(", ")}`);
  }
  lines.push(`region: ${alarm.region}, host id: ${alarm.hostId ?? "unknown"}`);
  return lines.join("\n");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
