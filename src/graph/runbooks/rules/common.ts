// What every rule shares: the shape of a rule's output (findings, summary headlines, culprit
// candidates, next steps — each tagged with the resource it is about), evidence quoting, severity
// arithmetic, and how names and durations are written.
import type { CommandRun, Culprit, Evidence, MarkdownFinding as Finding, Resource, Severity } from "../../diagnosis";
import { displayName, excerpt } from "../parse/common";
import { mdCode } from "../../../shared/richText";
import type { ProcessSample } from "../parse/system";
import type { Facts } from "../facts";
import type { Say } from "../lang";
import type { Target } from "../target";

/** A clause for the summary, about one resource ("`x` (pid 4) uses 190% CPU"). */
export interface Headline {
  resource: Resource;
  severity: Severity;
  text: string;
  /**
   * The same state without naming any process or pid, for a summary that names no culprit: a name
   * in it would read as blame. Absent when `text` names none.
   */
  figure?: string;
}

/**
 * A culprit a rule can name, and how firmly the evidence ties it to its resource: `strong` — the
 * resource shows a problem (saturated, erroring, near its limit) and this one accounts for it;
 * `weak` — it is the clear top consumer, but the resource itself is not short. A weak candidate
 * is named only when its resource was asked about; a strong one also answers a vague "slow".
 */
export interface Candidate {
  culprit: Culprit;
  strength: "strong" | "weak";
  severity: Severity;
  /** The summary sentence that names it. */
  text: string;
  /** Breaks ties between candidates of one resource (higher first). */
  priority: number;
}

export interface Step {
  resource: Resource;
  text: string;
}

export interface RuleOutput {
  findings: Finding[];
  headlines: Headline[];
  candidates: Candidate[];
  nextSteps: Step[];
}

/** What every rule reads. `now`: seconds since boot on the host when the commands ran, if known. */
export interface RuleContext {
  facts: Facts;
  target: Target;
  say: Say;
  /** Host seconds since boot at the time of the run (from /proc/uptime), to age kernel log lines. */
  uptimeSec: number | null;
  /** How long ago the alarm fired, in seconds (null without an alarm). */
  alarmAgeSec: number | null;
}

export function output(): RuleOutput {
  return { findings: [], headlines: [], candidates: [], nextSteps: [] };
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export function worst(severities: Severity[]): Severity {
  return severities.reduce<Severity>((a, b) => (RANK[b] > RANK[a] ? b : a), "info");
}

export function rank(severity: Severity): number {
  return RANK[severity];
}

export function capSeverity(severity: Severity, cap: Severity): Severity {
  return RANK[severity] > RANK[cap] ? cap : severity;
}

export function evidence(run: CommandRun, quoted: string[], max = 8, maxChars = 400): Evidence {
  return { commandId: run.id, command: run.command, excerpt: excerpt(quoted, max, maxChars) };
}

export function finding(resource: Resource, title: string, detail: string, severity: Severity, ev: Evidence[], culprit: Culprit | null = null): Finding {
  const f: Finding = { title, detail, severity, evidence: ev.filter((e) => e.excerpt.length > 0), source: "parser", resource };
  if (culprit) {
    f.culprit = culprit;
  }
  return f;
}

/** An untrusted name as a code span, shown whole: a backtick in it stays a character (mdCode). */
export const code = (name: string): string => mdCode(displayName(name, true));

export function proc(p: { name: string; pid: number }): string {
  return `${code(p.name)} (pid ${p.pid})`;
}

/** The first line of a run's output (a table header), for evidence. */
export function headerOf(run: CommandRun): string {
  return run.stdout.split("\n").find((l) => l.trim().length > 0) ?? "";
}

export function duration(seconds: number, say: Say): string {
  if (seconds < 90) {
    return say(`${Math.round(seconds)} s`, `${Math.round(seconds)}초`);
  }
  if (seconds < 5400) {
    return say(`${Math.round(seconds / 60)} min`, `${Math.round(seconds / 60)}분`);
  }
  if (seconds < 172800) {
    return say(`${Math.round(seconds / 3600)} h`, `${Math.round(seconds / 3600)}시간`);
  }
  return say(`${Math.round(seconds / 86400)} days`, `${Math.round(seconds / 86400)}일`);
}

export function joinAnd(parts: string[], say: Say): string {
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")}${say(" and ", ", ")}${parts[parts.length - 1]}`;
}

/** Processes that measure rather than cause (the runbook's own commands). */
export const MEASURING_TOOLS = new Set(["ps", "top", "head", "tail", "sh", "sort", "grep", "awk", "uniq", "find", "vmstat", "ss", "du", "df", "free", "dmesg", "atl-agent"]);

const KERNEL_THREAD = /^(kworker|kthreadd|ksoftirqd|migration|rcu_|rcuo|kswapd|jbd2|xfsaild|xfs-|ext4-|kcompactd|khugepaged|kblockd|kintegrityd|watchdog|cpuhp|idle_inject|writeback|flush-|kdmflush|md\d|scsi_|nvme|irq\/|ksmd|kauditd|oom_reaper|khungtaskd|kthrotld|loop\d|dm[-_]|card\d|ena|iscsi|kdevtmpfs|netns|inet_frag|blkcg_punt)/;

/** A kernel thread (child of kthreadd, pid 2, or a well-known kernel thread name). */
export function isKernelThread(p: Pick<ProcessSample, "pid" | "ppid" | "name">, parents?: Map<number, number | null>): boolean {
  const ppid = p.ppid ?? parents?.get(p.pid) ?? null;
  if (p.pid === 2 || ppid === 2) {
    return true;
  }
  return ppid === null && KERNEL_THREAD.test(p.name);
}

export interface Blocked {
  pid: number;
  name: string;
  /** Samples (top frames, ps) that caught it in state D. */
  hits: number;
  lines: string[];
}

/** User processes caught in state D across top's frames and ps's one look, most often first. */
export function blockedProcesses(ctx: RuleContext): { list: Blocked[]; samples: number; run: CommandRun | null } {
  const { facts } = ctx;
  const parents = new Map((facts.processes?.value.processes ?? []).map((p) => [p.pid, p.ppid]));
  const list: Blocked[] = facts.dSamples
    ? [...facts.dSamples.byPid.entries()].map(([pid, s]) => ({ pid, name: s.name, hits: s.hits, lines: [...s.lines] })).filter((s) => !isKernelThread({ pid: s.pid, ppid: parents.get(s.pid) ?? null, name: s.name }, parents))
    : [];
  for (const p of facts.processes?.value.processes ?? []) {
    if (p.state?.startsWith("D") && !isKernelThread(p)) {
      const known = list.find((s) => s.pid === p.pid);
      if (known) {
        known.hits++;
      } else {
        list.push({ pid: p.pid, name: p.name, hits: 1, lines: [p.line] });
      }
    }
  }
  list.sort((a, b) => b.hits - a.hits);
  const samples = (facts.dSamples?.frames ?? 0) + (facts.processes ? 1 : 0);
  return { list, samples, run: facts.dSamples?.run ?? facts.processes?.run ?? null };
}

/** How long ago (seconds) a kernel log line was written, when both its timestamp and the uptime are known. */
export function ageOf(atSec: number | null, ctx: RuleContext): number | null {
  return atSec !== null && ctx.uptimeSec !== null ? Math.max(0, ctx.uptimeSec - atSec) : null;
}

/**
 * Whether a kernel event is recent enough to explain the symptom: within 10 minutes before the
 * alarm fired (or 10 minutes before now without an alarm). An event of unknown age (dmesg -T,
 * no uptime) is not: an OOM kill from last week must not be named as today's culprit.
 */
export function recent(ageSec: number | null, ctx: RuleContext): boolean {
  if (ageSec === null) {
    return false;
  }
  const window = ctx.alarmAgeSec !== null ? ctx.alarmAgeSec + 600 : 600;
  return ageSec <= window;
}
