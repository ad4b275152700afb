// Command output on its way to the LLM (redacted, then cut to the token budget: head + tail) and
// on its way back (every excerpt the LLM cites must occur in the output it cites; invented
// evidence is dropped, and a finding left without evidence is dropped with it).
import { fromMarkdown } from "../shared/richText";
import { budgetText } from "../llm/budget";
import type { Redactor } from "../llm/redact";
import { RESOURCES, type CommandRun, type Culprit, type CulpritKind, type Evidence, type Finding, type Resource, type Severity } from "./diagnosis";
import type { OutputForPrompt } from "./prompts";

/** All command output of one prompt together stays under this many tokens (shared between commands). */
export const TOTAL_OUTPUT_TOKENS = 4000;
/** Commands sent to the LLM at most (the latest ones). */
export const MAX_OUTPUTS = 12;

/** The latest run of each distinct command, in order (a re-run replaces the earlier output). */
export function latestRuns(runs: CommandRun[]): CommandRun[] {
  const byCommand = new Map<string, CommandRun>();
  for (const run of runs) {
    byCommand.delete(run.command);
    byCommand.set(run.command, run);
  }
  return [...byCommand.values()];
}

/**
 * Redacted, budgeted outputs. Each command gets at most `perCommandTokens`, and all of them
 * together about max(TOTAL_OUTPUT_TOKENS, perCommandTokens); stderr gets a quarter of a command's share.
 */
export function outputsForPrompt(runs: CommandRun[], redactor: Redactor, perCommandTokens: number): OutputForPrompt[] {
  const selected = runs.filter((r) => r.status !== "refused").slice(-MAX_OUTPUTS);
  if (selected.length === 0) {
    return [];
  }
  const total = Math.max(TOTAL_OUTPUT_TOKENS, perCommandTokens);
  const share = Math.max(120, Math.min(perCommandTokens, Math.floor(total / selected.length)));
  return selected.map((run) => {
    const stderrRaw = run.status === "error" ? (run.reason ?? "") : run.stderr;
    const stdout = budgetText(redactor.redact(run.stdout).text, run.stderr.trim() ? Math.floor(share * 0.8) : share);
    const stderr = budgetText(redactor.redact(stderrRaw).text, Math.max(40, Math.floor(share * 0.2)));
    return {
      id: run.id,
      command: redactor.redact(run.command).text,
      status: run.status,
      exitCode: run.exitCode,
      durationMs: run.durationMs,
      stdout: stdout.text,
      stderr: stderr.text,
      omittedLines: stdout.omittedLines + stderr.omittedLines,
    };
  });
}

/** Whitespace-insensitive form used to compare excerpts with output. */
function normalize(text: string): string {
  return text.replace(/[ \t]+/g, " ").replace(/ ?\n ?/g, "\n").trim();
}

/** Strips quoting the model tends to add around excerpts (backticks, ellipses, quotes). */
function cleanExcerpt(excerpt: string): string {
  return excerpt
    .replace(/^```[a-z]*\n?|```$/g, "")
    .split("\n")
    .map((line) => line.replace(/^\s*(?:\.\.\.|…)\s*|\s*(?:\.\.\.|…)\s*$/g, "").replace(/^["'`]+|["'`]+$/g, ""))
    .join("\n")
    .trim();
}

export interface LlmFinding {
  title: string;
  detail: string;
  severity: Severity;
  evidence: { commandId: string; excerpt: string }[];
}

export interface VerifiedFindings {
  findings: Finding[];
  /** Evidence items dropped because their excerpt is not in the cited output. */
  droppedEvidence: number;
  /** Findings dropped because none of their evidence held. */
  droppedFindings: number;
}

/**
 * Keeps the LLM's findings whose excerpts really occur (line by line, ignoring spacing) in the
 * redacted output of the command they cite (by id, or by the command's text).
 */
export function verifyFindings(llmFindings: LlmFinding[], runs: CommandRun[], redactor: Redactor): VerifiedFindings {
  const outputs = new Map<string, { run: CommandRun; text: string }>();
  for (const run of runs) {
    outputs.set(run.id, { run, text: normalize(redactor.redact(`${run.stdout}\n${run.stderr}`).text) });
  }
  const byCommand = new Map([...outputs.values()].map((o) => [o.run.command, o]));
  let droppedEvidence = 0;
  let droppedFindings = 0;
  const findings: Finding[] = [];
  for (const finding of llmFindings) {
    const evidence: Evidence[] = [];
    for (const item of finding.evidence) {
      const target = outputs.get(item.commandId.trim()) ?? byCommand.get(item.commandId.trim());
      const excerpt = cleanExcerpt(item.excerpt);
      const lines = normalize(excerpt)
        .split("\n")
        .filter((l) => l.length > 0);
      const holds = target !== undefined && lines.length > 0 && lines.every((line) => target.text.includes(line)) && excerpt.length <= 2000;
      if (holds) {
        evidence.push({ commandId: target.run.id, command: target.run.command, excerpt: lines.slice(0, 6).join("\n") });
      } else {
        droppedEvidence += 1;
      }
    }
    if (evidence.length === 0) {
      droppedFindings += 1;
      continue;
    }
    findings.push({ title: fromMarkdown(finding.title.trim()), detail: fromMarkdown(finding.detail.trim()), severity: finding.severity, evidence, source: "llm" });
  }
  return { findings, droppedEvidence, droppedFindings };
}

export interface LlmCulprit {
  resource: string;
  kind: string;
  name: string;
  pid: number | null;
  detail: string | null;
}

const KINDS: CulpritKind[] = ["process", "parent", "client", "listener", "path", "mount", "unit", "device", "interface", "user", "other"];

/**
 * The LLM's culprit, kept only when the evidence supports it: a known resource that the question
 * is about (any, for a broad question), and a name that a kept finding quotes verbatim or that the
 * parsers named themselves. Otherwise null, with the reason.
 */
export function verifyCulprit(culprit: LlmCulprit | null, kept: Finding[], asked: Resource[], parsers: Culprit | null): { culprit: Culprit | null; dropped: string | null } {
  if (!culprit) {
    return { culprit: null, dropped: null };
  }
  const name = culprit.name.trim();
  const resource = RESOURCES.find((r) => r === culprit.resource.trim().toLowerCase());
  if (!name || !resource) {
    return { culprit: null, dropped: `unknown resource "${culprit.resource}"` };
  }
  if (asked.length > 0 && !asked.includes(resource)) {
    return { culprit: null, dropped: `${resource} is not what was asked about (${asked.join(", ")})` };
  }
  const quoted = kept.some((f) => f.evidence.some((e) => e.excerpt.includes(name))) || (parsers !== null && parsers.name === name);
  if (!quoted) {
    return { culprit: null, dropped: `"${name}" does not occur in any quoted output` };
  }
  const kind = KINDS.find((k) => k === culprit.kind.trim().toLowerCase()) ?? "other";
  const pid = culprit.pid !== null && Number.isInteger(culprit.pid) && culprit.pid > 0 ? culprit.pid : null;
  return { culprit: { resource, kind, name, pid, detail: culprit.detail?.trim() || null }, dropped: null };
}

/** Parser findings with their excerpts redacted (they go into the prompt). */
export function redactFindings(findings: Finding[], redactor: Redactor): Finding[] {
  return findings.map((f) => ({
    ...f,
    title: redactor.redactRich(f.title).text,
    detail: redactor.redactRich(f.detail).text,
    evidence: f.evidence.map((e) => ({ ...e, excerpt: redactor.redact(e.excerpt).text })),
  }));
}

const SEVERITY_ORDER: Severity[] = ["info", "low", "medium", "high", "critical"];

export function maxSeverity(...severities: Severity[]): Severity {
  return severities.reduce<Severity>((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), "info");
}
