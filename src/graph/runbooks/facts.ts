// Reads every command run once: which tool produced it (by its first program and flags, so an
// LLM's variant of a command still lands on the right parser), what its output says, and why a
// run gave no data (not installed, not permitted, refused, timed out).
import type { CommandRun } from "../diagnosis";
import { freeUnit, parseFree, parseMpstat, parseNproc, parsePs, parseTop, parseUptime, parseVmstat } from "./parse/system";
import type { LoadAverage, MemoryUsage, ProcessTable, TopSnapshot, Vmstat } from "./parse/system";
import { parseDf, parseDu, parseFindSizes, parseIostat, parseLsofDeleted } from "./parse/disk";
import type { DeletedOpenFile, DeviceLoad, MountUsage, SizedPath } from "./parse/disk";
import { dmesgNotPermitted, journalErrorLines, kernelIssues, parseOomKills, parseSystemctlFailed, parseSystemctlStatus, systemdUnavailable, unitNotFound } from "./parse/services";
import type { FailedUnit, KernelIssue, OomKill, UnitStatus } from "./parse/services";
import { parseLinkStats, parseListeners, parseNstat, parseProcNetCounters, parseSocketSummary } from "./parse/network";
import type { Counters, InterfaceCounters, Listener, SocketSummary } from "./parse/network";
import { lines } from "./parse/common";
import { sayer, type Say } from "./lang";

export type Tool =
  | "uptime"
  | "nproc"
  | "top"
  | "ps"
  | "ps-by-name"
  | "mpstat"
  | "vmstat"
  | "free"
  | "dmesg"
  | "df"
  | "df-inodes"
  | "du"
  | "find"
  | "lsof"
  | "iostat"
  | "systemctl-status"
  | "systemctl-failed"
  | "journal-unit"
  | "journal"
  | "listeners"
  | "socket-summary"
  | "link-stats"
  | "nstat"
  | "proc-net"
  | "other";

/** A parsed value and the run it came from (for evidence). */
export interface From<T> {
  run: CommandRun;
  value: T;
}

export interface Gap {
  run: CommandRun;
  why: string;
  /** The stderr/stdout line that shows it, verbatim. */
  line: string | null;
}

export interface Facts {
  load?: From<LoadAverage>;
  cores?: From<number>;
  top?: From<TopSnapshot>;
  psByCpu?: From<ProcessTable>;
  psByRss?: From<ProcessTable>;
  /** `ps -C NAME` runs: the name asked for and what was found. */
  byName: From<{ name: string; table: ProcessTable | null }>[];
  mpstat?: From<NonNullable<ReturnType<typeof parseMpstat>>>;
  vmstat?: From<Vmstat>;
  memory?: From<MemoryUsage>;
  oomKills: From<OomKill>[];
  kernel: From<{ kind: KernelIssue; line: string }>[];
  df?: From<MountUsage[]>;
  dfInodes?: From<MountUsage[]>;
  du?: From<SizedPath[]>;
  /** The directory du was asked about. */
  duRoot?: string;
  largeFiles?: From<SizedPath[]>;
  deletedOpen?: From<DeletedOpenFile[]>;
  iostat?: From<DeviceLoad[]>;
  unitStatus: From<UnitStatus>[];
  unitsMissing: From<string>[];
  failedUnits?: From<FailedUnit[]>;
  unitJournal: From<{ unit: string; errors: string[] }>[];
  journalErrors?: From<string[]>;
  listeners?: From<Listener[]>;
  sockets?: From<SocketSummary>;
  links?: From<InterfaceCounters[]>;
  /** TCP counters from nstat or /proc/net/{netstat,snmp}, one entry per run. */
  counters: From<Counters>[];
  systemdMissing?: CommandRun;
  gaps: Gap[];
  /** Runs whose output was read (for the "nothing abnormal" summary). */
  read: number;
}

/** The program and its arguments of the first stage ("sudo" and VAR=x prefixes skipped). */
export function firstStage(command: string): { program: string; args: string[]; stages: string[] } {
  const stages = command.split(/\s*\|\s*/);
  const words = (stages[0] ?? "").trim().split(/\s+/);
  while (words.length > 0 && (words[0] === "sudo" || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? ""))) {
    words.shift();
  }
  const program = (words.shift() ?? "").split("/").pop() ?? "";
  return { program, args: words, stages };
}

export function toolOf(command: string): Tool {
  const { program, args } = firstStage(command);
  const has = (re: RegExp): boolean => args.some((a) => re.test(a));
  switch (program) {
    case "uptime":
    case "nproc":
    case "top":
    case "mpstat":
    case "vmstat":
    case "free":
    case "dmesg":
    case "du":
    case "find":
    case "lsof":
    case "iostat":
    case "nstat":
      return program;
    case "ps":
      return has(/^-C$/) || has(/^-C\S/) ? "ps-by-name" : "ps";
    case "df":
      return has(/^-\w*i/) || has(/^--inodes$/) ? "df-inodes" : "df";
    case "systemctl":
      if (has(/^--failed$/) || has(/^--state=failed$/)) {
        return "systemctl-failed";
      }
      return has(/^status$/) ? "systemctl-status" : "other";
    case "journalctl":
      return has(/^-u/) || has(/^--unit/) ? "journal-unit" : has(/^-k$|^--dmesg$/) ? "dmesg" : "journal";
    case "ss":
    case "netstat":
      if (has(/^-\w*s\w*$/) && program === "ss" && !has(/^-\w*l/)) {
        return "socket-summary";
      }
      return has(/^-\w*l/) ? "listeners" : "other";
    case "ip":
      return has(/^-s+$|^-stat/) && has(/^link$|^l$|^li/) ? "link-stats" : "other";
    case "cat":
      return has(/^\/proc\/net\/(netstat|snmp)$/) ? "proc-net" : "other";
    default:
      return "other";
  }
}

/** Why a run has no usable output, or null when it has. */
function gapOf(run: CommandRun, program: string, say: Say): Gap | null {
  const firstLine = (text: string): string | null => lines(text)[0] ?? null;
  switch (run.status) {
    case "refused":
      return { run, why: say(`refused by the command policy${run.reason ? `: ${run.reason}` : ""}`, `명령 정책이 거부함${run.reason ? `: ${run.reason}` : ""}`), line: null };
    case "skipped":
      return { run, why: say("not approved, so not run", "승인되지 않아 실행하지 않음"), line: null };
    case "error":
      return { run, why: say(`could not be run${run.reason ? `: ${run.reason}` : ""}`, `실행할 수 없음${run.reason ? `: ${run.reason}` : ""}`), line: null };
    default:
      break;
  }
  const notFound = new RegExp(`(^|\\W)${escape(program)}(: command)?:? not found|command not found: ${escape(program)}|${escape(program)}: No such file or directory|executable file not found`, "i");
  if (run.exitCode === 127 || notFound.test(run.stderr)) {
    const pkg = PACKAGE_OF[program];
    return { run, why: say(`${program} is not installed on the host${pkg ? ` (package ${pkg})` : ""}`, `호스트에 ${program}이(가) 설치되어 있지 않음${pkg ? ` (패키지 ${pkg})` : ""}`), line: firstLine(run.stderr) };
  }
  if (program === "dmesg" && dmesgNotPermitted(run.stderr)) {
    return {
      run,
      why: say(
        "the kernel log is closed to this user (kernel.dmesg_restrict); run the agent as root to see OOM kills",
        "이 사용자는 커널 로그를 읽을 수 없음 (kernel.dmesg_restrict); OOM kill을 보려면 에이전트를 root로 실행",
      ),
      line: firstLine(run.stderr),
    };
  }
  if (run.status === "timeout" && run.stdout.trim() === "") {
    return { run, why: say("timed out before printing anything", "출력 없이 시간 초과"), line: null };
  }
  if (/permission denied|operation not permitted/i.test(run.stderr) && run.stdout.trim() === "") {
    return { run, why: say("not permitted for the user the commands run as", "명령을 실행하는 사용자에게 권한이 없음"), line: firstLine(run.stderr) };
  }
  return null;
}

const PACKAGE_OF: Record<string, string> = {
  mpstat: "sysstat",
  iostat: "sysstat",
  lsof: "lsof",
  ss: "iproute2",
  ip: "iproute2",
  nstat: "iproute2",
  top: "procps",
  vmstat: "procps",
  free: "procps",
  netstat: "net-tools",
};

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function lastArgPath(args: string[]): string | undefined {
  return args.filter((a) => a.startsWith("/")).pop();
}

export function collectFacts(runs: CommandRun[], say: Say = sayer("en")): Facts {
  const facts: Facts = { byName: [], oomKills: [], kernel: [], unitStatus: [], unitsMissing: [], unitJournal: [], counters: [], gaps: [], read: 0 };
  for (const run of runs) {
    const { program, args } = firstStage(run.command);
    const gap = gapOf(run, program, say);
    if (gap) {
      facts.gaps.push(gap);
      continue;
    }
    const out = run.stdout;
    const tool = toolOf(run.command);
    const from = <T>(value: T): From<T> => ({ run, value });
    let used = true;
    switch (tool) {
      case "uptime": {
        const load = parseUptime(out);
        if (load) {
          facts.load ??= from(load);
        } else {
          used = false;
        }
        break;
      }
      case "nproc": {
        const n = parseNproc(out);
        if (n !== null) {
          facts.cores ??= from(n);
        } else {
          used = false;
        }
        break;
      }
      case "top": {
        const top = parseTop(out);
        if (top) {
          facts.top ??= from(top);
          if (top.load) {
            facts.load ??= from(top.load);
          }
        } else {
          used = false;
        }
        break;
      }
      case "ps": {
        const table = parsePs(out);
        if (!table) {
          used = false;
          break;
        }
        if (/--sort[= ]-?(rss|rsz|pmem|%mem|vsz)|--sort=-rss/i.test(run.command) || /\bsort\b.*-k\s*[456]/.test(run.command)) {
          facts.psByRss ??= from(table);
        } else {
          facts.psByCpu ??= from(table);
        }
        break;
      }
      case "ps-by-name": {
        const name = args[args.indexOf("-C") + 1] ?? args.find((a) => a.startsWith("-C"))?.slice(2) ?? "?";
        facts.byName.push(from({ name, table: parsePs(out) }));
        break;
      }
      case "mpstat": {
        const mp = parseMpstat(out);
        if (mp) {
          facts.mpstat ??= from(mp);
        } else {
          used = false;
        }
        break;
      }
      case "vmstat": {
        const vm = parseVmstat(out);
        if (vm) {
          facts.vmstat ??= from(vm);
        } else {
          used = false;
        }
        break;
      }
      case "free": {
        const mem = parseFree(out, freeUnit(run.command));
        if (mem) {
          facts.memory ??= from(mem);
        } else {
          used = false;
        }
        break;
      }
      case "dmesg": {
        facts.oomKills.push(...parseOomKills(out).map(from));
        facts.kernel.push(...kernelIssues(out).map(from));
        break;
      }
      case "df":
      case "df-inodes": {
        const mounts = parseDf(out);
        if (mounts.length === 0) {
          used = false;
        } else if (tool === "df") {
          facts.df ??= from(mounts);
        } else {
          facts.dfInodes ??= from(mounts);
        }
        break;
      }
      case "du": {
        facts.du ??= from(parseDu(out));
        facts.duRoot ??= lastArgPath(args);
        break;
      }
      case "find":
        facts.largeFiles ??= from(parseFindSizes(out));
        break;
      case "lsof":
        facts.deletedOpen ??= from(parseLsofDeleted(out));
        break;
      case "iostat": {
        const devices = parseIostat(out);
        if (devices.length > 0) {
          facts.iostat ??= from(devices);
        } else {
          used = false;
        }
        break;
      }
      case "systemctl-status":
      case "systemctl-failed":
      case "journal-unit":
      case "journal":
        used = readSystemd(facts, run, tool, args);
        break;
      case "listeners":
        facts.listeners ??= from(parseListeners(out));
        break;
      case "socket-summary": {
        const summary = parseSocketSummary(out);
        if (summary) {
          facts.sockets ??= from(summary);
        } else {
          used = false;
        }
        break;
      }
      case "link-stats":
        facts.links ??= from(parseLinkStats(out));
        break;
      case "nstat":
        facts.counters.push(from(parseNstat(out)));
        break;
      case "proc-net":
        facts.counters.push(from(parseProcNetCounters(out)));
        break;
      case "other":
        // Unknown tools (an LLM's own command): still scan for kernel and error lines.
        facts.kernel.push(...kernelIssues(out).filter((k) => k.kind !== "oom").map(from));
        facts.oomKills.push(...parseOomKills(out).map(from));
        used = false;
        break;
    }
    if (used) {
      facts.read++;
    }
  }
  return facts;
}

function readSystemd(facts: Facts, run: CommandRun, tool: Tool, args: string[]): boolean {
  const from = <T>(value: T): From<T> => ({ run, value });
  if (systemdUnavailable(run.stderr, tool === "journal" || tool === "journal-unit" ? "" : run.stdout)) {
    facts.systemdMissing ??= run;
    return false;
  }
  const unitArg = (): string => {
    const i = args.findIndex((a) => a === "-u" || a === "--unit" || a === "status");
    const inline = args.find((a) => /^(-u|--unit=)\S/.test(a))?.replace(/^(-u|--unit=)/, "");
    return inline ?? args[i + 1] ?? "?";
  };
  switch (tool) {
    case "systemctl-status": {
      if (unitNotFound(run.stderr)) {
        facts.unitsMissing.push(from(unitArg()));
        return true;
      }
      const status = parseSystemctlStatus(run.stdout);
      if (status) {
        facts.unitStatus.push(from(status));
      }
      return status !== null;
    }
    case "systemctl-failed":
      facts.failedUnits ??= from(parseSystemctlFailed(run.stdout));
      return true;
    case "journal-unit":
      facts.unitJournal.push(from({ unit: unitArg(), errors: journalErrorLines(run.stdout) }));
      return true;
    default:
      facts.journalErrors ??= from(journalErrorLines(run.stdout));
      return true;
  }
}
