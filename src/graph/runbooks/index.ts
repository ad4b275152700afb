// Built-in runbooks: diagnosis without an LLM. planFromAlarm / planFromText choose bounded
// read-only commands for what the alarm or the user's words are about; analyzeRuns reads their
// output with parsers and returns findings (each quoting the output it rests on), a summary that
// names the culprit, a severity and next steps. With an LLM, the same findings are its evidence.
import type { Alarm } from "../../alarms/model";
import type { Analysis, CommandRun, Finding, Severity } from "../diagnosis";
import { RUNBOOK_TITLES, runbookCommands, type RunbookCommand, type RunbookKind } from "./catalog";
import { collectFacts, toolOf, type Facts } from "./facts";
import { cpuRules, diskIoRules, diskRules, gapFindings, kernelRules, memoryRules, networkRules, rank, serviceRules, worst, type Headline, type RuleOutput } from "./rules";
import { targetForAlarm, targetForText, type Target } from "./target";

export type { RunbookCommand, RunbookKind } from "./catalog";
export { targetForAlarm, targetForText, type Target } from "./target";

export interface RunbookPlan {
  /** Runbook ids joined with "+", e.g. "cpu" or "cpu+memory". */
  runbook: string;
  rationale: string;
  commands: RunbookCommand[];
}

export interface AnalysisContext {
  alarm: Alarm | null;
  question: string | null;
}

/** Commands beyond this are dropped from a combined plan (the first runbooks' commands win). */
const MAX_COMMANDS = 14;

const FOCUS: Record<RunbookKind, string> = {
  cpu: "the load per core, the busiest processes and where CPU time goes (user, system, iowait, steal)",
  memory: "available memory, swap activity, the largest processes and kernel OOM kills",
  disk: "how full each filesystem is (space and inodes), the largest directories and files, and deleted files still held open",
  "disk-io": "device utilisation and latency, and CPU time waiting on I/O",
  "status-check": "signs of a reboot, kernel errors, failed units and the journal's recent errors",
  network: "socket counts, interface errors and drops, listening ports and TCP queue overflows",
  service: "the service's state, its log, its process and its listening port",
  process: "the process's CPU and memory use and whether it is running",
  generic: "load, memory, disk space, the busiest processes, failed units and recent errors",
};

function plan(target: Target, why: string): RunbookPlan {
  const commands: RunbookCommand[] = [];
  for (const kind of target.kinds) {
    for (const command of runbookCommands(kind, target)) {
      if (!commands.some((c) => c.command === command.command)) {
        commands.push(command);
      }
    }
  }
  const focus = target.kinds.map((k) => FOCUS[k]);
  const subject = [target.service ? `service ${target.service}` : null, target.port ? `port ${target.port}` : null, target.path ? `path ${target.path}` : null].filter(Boolean).join(", ");
  return {
    runbook: target.kinds.join("+"),
    rationale: `${why}${subject ? ` (${subject})` : ""}: check ${focus.join("; and ")}.`,
    commands: commands.slice(0, MAX_COMMANDS),
  };
}

export function planFromAlarm(alarm: Alarm): RunbookPlan {
  const target = targetForAlarm(alarm);
  const metric = alarm.metric;
  const watched = metric?.name
    ? `${metric.namespace ?? ""} ${metric.name}`.trim()
    : metric && metric.queries.length > 0
      ? `metric math over ${metric.queries.filter((q) => q.name).map((q) => q.name).join(", ")}`
      : alarm.children.length > 0 || alarm.rule
        ? "a composite of child alarms"
        : "an unknown metric";
  const runbooks = target.kinds.map((k) => RUNBOOK_TITLES[k]).join(" + ");
  return plan(target, `${runbooks} runbook for the alarm on ${watched}`);
}

export function planFromText(text: string): RunbookPlan | null {
  const target = targetForText(text);
  if (!target) {
    return null;
  }
  return plan(target, `${target.kinds.map((k) => RUNBOOK_TITLES[k]).join(" + ")} runbook for ${target.reasons.join(", ")}`);
}

/** Runbook kinds for runs with no alarm or question: whatever the commands looked at. */
function kindsFromRuns(runs: CommandRun[]): RunbookKind[] {
  const tools = new Set(runs.map((r) => toolOf(r.command)));
  const kinds: RunbookKind[] = [];
  const when = (kind: RunbookKind, ...names: string[]): void => {
    if (names.some((n) => tools.has(n as ReturnType<typeof toolOf>))) {
      kinds.push(kind);
    }
  };
  when("service", "systemctl-status", "ps-by-name", "journal-unit");
  when("cpu", "top", "ps", "mpstat", "uptime");
  when("memory", "free");
  when("disk", "df", "du", "find");
  when("disk-io", "iostat");
  when("network", "link-stats", "socket-summary", "nstat", "proc-net");
  return kinds.length > 0 ? kinds : ["generic"];
}

function mergeTargets(alarm: Alarm | null, question: string | null, runs: CommandRun[]): Target {
  const fromAlarm = alarm ? targetForAlarm(alarm) : null;
  const fromText = question ? targetForText(question) : null;
  const target: Target = { kinds: [], reasons: [] };
  for (const t of [fromText, fromAlarm]) {
    if (!t) {
      continue;
    }
    for (const k of t.kinds) {
      if (!target.kinds.includes(k) && k !== "generic") {
        target.kinds.push(k);
      }
    }
    target.path ??= t.path;
    target.service ??= t.service;
    target.port ??= t.port;
    target.process ??= t.process;
  }
  if (target.kinds.length === 0) {
    target.kinds = kindsFromRuns(runs);
  }
  return target;
}

export function analyzeRuns(runs: CommandRun[], context: AnalysisContext): Analysis {
  const facts = collectFacts(runs);
  const target = mergeTargets(context.alarm, context.question, runs);
  const primary = target.kinds[0] ?? "generic";
  const outputs: RuleOutput[] = [
    serviceRules(facts, target),
    cpuRules(facts, primary === "cpu"),
    memoryRules(facts, target.kinds.includes("memory") || target.kinds.includes("generic")),
    diskRules(facts, target),
    diskIoRules(facts),
    networkRules(facts),
    kernelRules(facts),
  ];
  const findings = orderFindings([...outputs.flatMap((o) => o.findings), ...gapFindings(facts)]);
  const severity = worst(findings.map((f) => f.severity));
  const headlines = outputs.flatMap((o) => o.headlines);
  const summary = summarize(headlines, target, severity, facts, runs);
  const nextSteps = [...new Set(outputs.flatMap((o) => o.nextSteps))];
  if (rank(severity) <= rank("low") && facts.read > 0) {
    nextSteps.push("Compare with the CloudWatch graph around the alarm time; if the alarm flaps, review its threshold and datapoints-to-alarm.");
  }
  if (facts.gaps.some((g) => /sysstat/.test(g.why))) {
    nextSteps.push("Install sysstat on the host (`apt-get install sysstat` / `dnf install sysstat`) for per-core and per-device figures.");
  }
  return { summary, severity, findings, nextSteps: nextSteps.slice(0, 6), source: "runbook", fallbackReason: null };
}

function orderFindings(findings: Finding[]): Finding[] {
  return findings.map((f, i) => ({ f, i })).sort((a, b) => rank(b.f.severity) - rank(a.f.severity) || a.i - b.i).map(({ f }) => f);
}

/**
 * One to three sentences: the alarm's own subject first (its headlines joined), then any other
 * high or critical problem. When nothing stands out, say so with the figures that show it.
 */
function summarize(headlines: Headline[], target: Target, severity: Severity, facts: Facts, runs: CommandRun[]): string {
  if (runs.length === 0) {
    return "No commands ran, so there is nothing to analyse.";
  }
  if (facts.read === 0) {
    return `No command gave usable output (${facts.gaps.length} gave no data): nothing can be concluded from this run.`;
  }
  const sentences: string[] = [];
  const used = new Set<Headline>();
  for (const kind of target.kinds) {
    const own = headlines.filter((h) => h.kind === kind);
    if (own.length > 0) {
      const best = own.filter((h, i) => i === 0 || rank(h.severity) >= rank("medium") || kind === "disk").slice(0, 3);
      best.forEach((h) => used.add(h));
      sentences.push(best.map((h) => h.text).join("; "));
      break;
    }
  }
  const others = headlines.filter((h) => !used.has(h) && rank(h.severity) >= rank("high")).sort((a, b) => rank(b.severity) - rank(a.severity));
  for (const h of others.slice(0, 2)) {
    if (!sentences.some((s) => s.includes(h.text))) {
      sentences.push(h.text);
    }
  }
  if (sentences.length === 0 || (rank(severity) <= rank("low") && target.kinds[0] !== "generic")) {
    const calm = headlines.filter((h) => rank(h.severity) <= rank("low")).slice(0, 3).map((h) => h.text);
    const figures = calm.length > 0 ? calm.join("; ") : "the outputs show nothing unusual";
    const prefix = sentences.length > 0 && !calm.some((c) => sentences[0]?.includes(c)) ? `${sentences[0]}. ` : "";
    return capitalize(`${prefix}No abnormal signal found: ${figures}. The condition may have passed; compare with the metric around the alarm time.`);
  }
  return sentences.map((s) => capitalize(s)).join(". ") + ".";
}

function capitalize(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
