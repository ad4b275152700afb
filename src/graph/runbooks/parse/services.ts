// Parsers for services, logs and the kernel: systemctl status / --failed, journalctl, dmesg
// (OOM kills and other notable kernel lines), and ps -C (is a named process running).
import { lines } from "./common";

export interface UnitStatus {
  unit: string;
  /** The first word of "Active:": active, inactive, failed, activating, deactivating, reloading. */
  state: string;
  /** The rest of the Active line, e.g. "failed (Result: exit-code) since …; 5min ago". */
  activeText: string;
  activeLine: string;
  mainPid: number | null;
  /** Lines of the Process:/Main PID: fields that report an exit status. */
  exitLines: string[];
  /** The log lines systemctl status prints at the end. */
  logLines: string[];
}

/** systemd is not PID 1 (containers, WSL): systemctl and journalctl cannot answer. */
export function systemdUnavailable(stderr: string, stdout = ""): boolean {
  return /System has not been booted with systemd|Failed to connect to bus|systemd is not running|No journal files were found/i.test(`${stderr}\n${stdout}`);
}

export function unitNotFound(stderr: string): boolean {
  return /Unit \S+ could not be found|Unit \S+ not found|No such unit/i.test(stderr);
}

export function parseSystemctlStatus(text: string): UnitStatus | null {
  const all = lines(text);
  const activeLine = all.find((l) => /^\s*Active:\s/.test(l));
  if (!activeLine) {
    return null;
  }
  const first = all[0] ?? "";
  const unit = /([A-Za-z0-9@._:\\-]+\.(?:service|socket|timer|mount|target|path|scope|slice))/.exec(first)?.[1] ?? first.replace(/^[^A-Za-z0-9]+/, "").split(/\s/)[0] ?? "?";
  const activeText = activeLine.replace(/^\s*Active:\s*/, "").trim();
  const mainPid = /Main PID:\s*(\d+)/.exec(all.find((l) => /Main PID:/.test(l)) ?? "")?.[1];
  // After the property block, a blank line, then journal lines; in `lines()` blanks are gone, so
  // journal lines are those that start with a date or a month name.
  const logLines = all.filter((l) => /^(?:[A-Z][a-z]{2} \d{1,2} |\d{4}-\d{2}-\d{2}[T ])\S+/.test(l));
  return {
    unit,
    state: (activeText.split(/\s/)[0] ?? "").toLowerCase(),
    activeText,
    activeLine,
    mainPid: mainPid ? Number(mainPid) : null,
    exitLines: all.filter((l) => /^\s*(Process|Main PID):.*\((code|status)=/.test(l) && !/status=0\/SUCCESS/.test(l)),
    logLines,
  };
}

export interface FailedUnit {
  unit: string;
  active: string;
  sub: string;
  description: string;
  line: string;
}

/** `systemctl --failed` (with or without --plain); "0 loaded units listed." → []. */
export function parseSystemctlFailed(text: string): FailedUnit[] {
  const units: FailedUnit[] = [];
  for (const line of lines(text)) {
    const cleaned = line.replace(/^[\s●×*]+/, "");
    const m = /^(\S+\.(?:service|socket|timer|mount|target|path|scope|slice|device|swap|automount))\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(cleaned);
    if (m && m[3] !== "ACTIVE") {
      units.push({ unit: m[1], active: m[3], sub: m[4], description: (m[5] ?? "").trim(), line });
    }
  }
  return units;
}

const ERROR_WORDS =
  /\b(error|errors|fail(ed|ure)?|fatal|panic|emerg|crit(ical)?|denied|refused|cannot|can't|unable|exception|traceback|segfault|oom|killed|out of memory|timed? ?out|abort(ed)?|core dumped|no space left)\b|status=\d+\/[A-Z]+|code=(exited|killed|dumped)/i;

export function isErrorLine(line: string): boolean {
  return ERROR_WORDS.test(line) && !/status=0\/SUCCESS/.test(line);
}

/** Journal lines (any output format) with error words; "-- No entries --" and boot markers skipped. */
export function journalErrorLines(text: string): string[] {
  return lines(text).filter((l) => !/^-- /.test(l.trim()) && isErrorLine(l));
}

export interface OomKill {
  pid: number;
  name: string;
  /** Killed because a cgroup (container, systemd MemoryMax=) hit its limit, not the whole host. */
  cgroup: boolean;
  line: string;
  /** The [timestamp] prefix as dmesg printed it, if any. */
  when: string | null;
  /** Seconds since boot, when dmesg printed raw timestamps ("[  895.982882]"). */
  atSec: number | null;
}

/** Seconds since boot of a raw dmesg line ("[  895.982882] …"), or null (dmesg -T, journalctl). */
export function kernelLineSeconds(line: string): number | null {
  const m = /^\s*\[\s*(\d+\.\d+)\]/.exec(line);
  return m ? Number(m[1]) : null;
}

/** "Out of memory: Killed process 123 (java)" and "Memory cgroup out of memory: Killed process …". */
export function parseOomKills(text: string): OomKill[] {
  const kills = new Map<number, OomKill>();
  for (const line of lines(text)) {
    const m = /Killed process (\d+) \(([^)]*)\)/.exec(line);
    if (m) {
      const pid = Number(m[1]);
      kills.set(pid, {
        pid,
        name: m[2] ?? "?",
        cgroup: /memory cgroup out of memory/i.test(line),
        line,
        when: /^\[([^\]]+)\]/.exec(line.trim())?.[1]?.trim() ?? null,
        atSec: kernelLineSeconds(line),
      });
    }
  }
  return [...kills.values()];
}

export interface HungTask {
  name: string;
  pid: number;
  line: string;
  atSec: number | null;
}

/** "INFO: task NAME:PID blocked for more than 120 seconds." */
export function parseHungTasks(text: string): HungTask[] {
  const tasks: HungTask[] = [];
  for (const line of lines(text)) {
    const m = /task (.+?):(\d+) blocked for more than/.exec(line);
    if (m) {
      tasks.push({ name: m[1], pid: Number(m[2]), line, atSec: kernelLineSeconds(line) });
    }
  }
  return tasks;
}

export type KernelIssue = "disk-io" | "filesystem" | "hung-task" | "oom" | "segfault" | "network" | "lockup" | "bug";

const KERNEL_PATTERNS: { kind: KernelIssue; pattern: RegExp }[] = [
  { kind: "filesystem", pattern: /remount(ing)? .*read-only|read-only file ?system|EXT4-fs error|XFS .*(corrupt|error|shutdown)|BTRFS (error|critical)/i },
  { kind: "disk-io", pattern: /I\/O error|blk_update_request|Buffer I\/O error|nvme.*(timeout|reset)|ata\d+.*(failed|error)|medium error/i },
  { kind: "hung-task", pattern: /blocked for more than \d+ seconds|hung_task/i },
  { kind: "lockup", pattern: /soft lockup|hard lockup|rcu.*stall/i },
  { kind: "oom", pattern: /Out of memory|Killed process|oom-kill/i },
  { kind: "segfault", pattern: /segfault at|general protection fault|traps: .* trap/i },
  { kind: "network", pattern: /NETDEV WATCHDOG|link is down|Link is Down|nf_conntrack: table full|TCP: out of memory|dropping packet/i },
  // A call trace alone is not a bug: OOM kills and hung tasks print one too.
  { kind: "bug", pattern: /\bBUG:|kernel panic|Oops:|general protection fault/i },
];

export function kernelIssues(text: string): { kind: KernelIssue; line: string }[] {
  const issues: { kind: KernelIssue; line: string }[] = [];
  for (const line of lines(text)) {
    const hit = KERNEL_PATTERNS.find((p) => p.pattern.test(line));
    if (hit) {
      issues.push({ kind: hit.kind, line });
    }
  }
  return issues;
}

/** The kernel log is closed to this user (kernel.dmesg_restrict=1). */
export function dmesgNotPermitted(stderr: string): boolean {
  return /dmesg: read kernel buffer failed: Operation not permitted|klogctl.*not permitted/i.test(stderr);
}
