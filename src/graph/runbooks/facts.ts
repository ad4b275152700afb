// Reads every command run once: which tool produced it (by its first program and flags, so an
// LLM's variant of a command still lands on the right parser), what its output says, and why a
// run gave no data (not installed, not permitted, refused, timed out).
import type { CommandRun, Resource } from "../diagnosis";
import { freeUnit, isThreadName, parseFree, parseMpstat, parseNproc, parsePs, parseTopFrames, parseUptime, parseVmstat, programFromArgs } from "./parse/system";
import type { LoadAverage, MemoryUsage, ProcessTable, TopSnapshot, Vmstat } from "./parse/system";
import { parseDf, parseDu, parseDuCounts, parseFindSizes, parseIostat, parseLsofDeleted } from "./parse/disk";
import type { DeletedOpenFile, DeviceLoad, MountUsage, SizedPath } from "./parse/disk";
import { dmesgNotPermitted, journalErrorLines, kernelIssues, parseHungTasks, parseOomKills, parseSystemctlFailed, parseSystemctlStatus, systemdUnavailable, unitNotFound } from "./parse/services";
import type { FailedUnit, HungTask, KernelIssue, OomKill, UnitStatus } from "./parse/services";
import { parseLinkStats, parseListeners, parseNstat, parseProcNetCounters, parseSocketSummary, parseSockets } from "./parse/network";
import type { Counters, InterfaceCounters, Listener, SocketSummary, TcpSocket } from "./parse/network";
import { kernelFigures, parseOpenFileCounts, parseProcFiles, type KernelFigures, type OpenFileCount } from "./parse/procfs";
import { parseBoots, parseChronyTracking, parseGetent, parseResolvConf, parseTimedatectl, type Boot, type ChronyTracking, type ClockStatus, type Lookup, type ResolverConfig } from "./parse/host";
import { lines } from "./parse/common";
import { sayer, type Say, josa } from "./lang";

export type Tool =
  | "uptime"
  | "nproc"
  | "proc-files"
  | "top"
  | "top-d"
  | "ps"
  | "ps-by-name"
  | "mpstat"
  | "vmstat"
  | "free"
  | "dmesg"
  | "df"
  | "df-inodes"
  | "du"
  | "du-inodes"
  | "find"
  | "open-files"
  | "lsof"
  | "iostat"
  | "systemctl-status"
  | "systemctl-failed"
  | "journal-unit"
  | "journal"
  | "listeners"
  | "sockets"
  | "socket-summary"
  | "link-stats"
  | "nstat"
  | "proc-net"
  | "timedatectl"
  | "chronyc"
  | "resolv"
  | "nsswitch"
  | "getent"
  | "boots"
  | "journal-boot"
  | "swaps"
  | "proc-io"
  | "fd-limits"
  | "proc-swap"
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

/** What one read of one command output tells about one resource (for "checked: …"). */
export interface Reading {
  resource: Resource;
  what: string;
  run: CommandRun;
  /** False when the command ran but its output could not be read. */
  ok: boolean;
}

export interface DSamples {
  run: CommandRun;
  /** Frames sampled. */
  frames: number;
  /** Per pid: how many frames showed it in state D, its name and the lines. */
  byPid: Map<number, { name: string; hits: number; lines: string[] }>;
}

export interface ProcessIo {
  /** Seconds between the two samples, or null for one sample (totals since each process started). */
  seconds: number | null;
  /** Per pid: bytes read and written in the first sample and, if taken, the second; the lines. */
  byPid: Map<number, { first: { read: number; write: number }; second: { read: number; write: number } | null; lines: string[] }>;
}

/** A directory or file with its size (or count), and the listing it was read from (for evidence). */
export interface Listed extends SizedPath {
  run: CommandRun;
}

/**
 * The listings of one kind (du, du --inodes, find) merged: a first listing of a mount and the
 * follow-ups into its largest directory read as one tree. `roots`: the directories the listings
 * were asked about, with whether the listing finished (du prints a root last: a listing cut short
 * by the time limit has the directories it finished, but not the root's total).
 */
export interface Listing {
  entries: Listed[];
  roots: { path: string; complete: boolean; run: CommandRun }[];
}

export interface Facts {
  load?: From<LoadAverage>;
  cores?: From<number>;
  /** /proc figures: uptime, loadavg with task count, pid_max, threads-max, file-nr, PSI. */
  kernelFigures?: From<KernelFigures>;
  top?: From<TopSnapshot>;
  /** True when `top` is a later frame (measured over an interval), false for a lone first frame. */
  topInterval: boolean;
  /** Processes seen in state D across top frames (the D sampler and the interval frame). */
  dSamples?: DSamples;
  psByCpu?: From<ProcessTable>;
  psByRss?: From<ProcessTable>;
  /** The fullest process listing (every process, with parents and states when the columns are there). */
  processes?: From<ProcessTable>;
  /** `ps -C NAME` runs: the name asked for and what was found. */
  byName: From<{ name: string; table: ProcessTable | null }>[];
  /** Command lines per pid, from every ps listing that printed them (args). */
  commandLines: Map<number, string>;
  mpstat?: From<NonNullable<ReturnType<typeof parseMpstat>>>;
  vmstat?: From<Vmstat>;
  memory?: From<MemoryUsage>;
  oomKills: From<OomKill>[];
  hungTasks: From<HungTask>[];
  kernel: From<{ kind: KernelIssue; line: string }>[];
  /** Whether the kernel log was read (a run of dmesg or journalctl -k gave output or nothing, but no error). */
  kernelLogRead: boolean;
  df?: From<MountUsage[]>;
  dfInodes?: From<MountUsage[]>;
  /** Every du listing's directories, merged (a later, deeper listing adds to the first). */
  du?: Listing;
  duInodes?: Listing;
  largeFiles?: Listing;
  deletedOpen?: From<DeletedOpenFile[]>;
  iostat?: From<DeviceLoad[]>;
  openFiles?: From<OpenFileCount[]>;
  unitStatus: From<UnitStatus>[];
  unitsMissing: From<string>[];
  failedUnits?: From<FailedUnit[]>;
  unitJournal: From<{ unit: string; errors: string[] }>[];
  journalErrors?: From<string[]>;
  listeners?: From<Listener[]>;
  sockets?: From<TcpSocket[]>;
  socketSummary?: From<SocketSummary>;
  links?: From<InterfaceCounters[]>;
  /** TCP counters from nstat or /proc/net/{netstat,snmp}, one entry per run. */
  counters: From<Counters>[];
  clock?: From<ClockStatus>;
  chrony?: From<ChronyTracking>;
  resolver?: From<ResolverConfig>;
  nsswitchHosts?: From<string | null>;
  lookups: From<Lookup>[];
  boots?: From<Boot[]>;
  previousBoot?: From<string[]>;
  swaps?: From<string[]>;
  /** Per-process read/write bytes, sampled once or twice (`seconds` apart). */
  processIo?: From<ProcessIo>;
  /** Soft open-file limit per pid, with the line it was read from. */
  fdLimits?: From<Map<number, { soft: number | null; line: string }>>;
  /** Swapped-out kB per pid, with the line. */
  processSwap?: From<Map<number, { kib: number; line: string }>>;
  systemdMissing?: CommandRun;
  gaps: Gap[];
  /** What was read, per resource, for "checked: …". */
  readings: Reading[];
  /** Runs whose output was read (for the "nothing abnormal" summary). */
  read: number;
}

/**
 * Splits a command line at pipes and at `;`/`&&`/`||` outside quotes (a `|` inside `'^(a|b)'` is
 * part of an argument), and words at spaces outside quotes, quotes removed. Only to recognise the
 * tool: the policy's parser is what decides what runs.
 */
function splitCommand(command: string): { stages: string[]; firstWords: string[] } {
  const stages: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote) {
      quote = ch === quote ? null : quote;
      current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (ch === "|" || ch === ";" || (ch === "&" && command[i + 1] === "&")) {
      stages.push(current.trim());
      current = "";
      if (command[i + 1] === ch) {
        i++;
      }
    } else {
      current += ch;
    }
  }
  stages.push(current.trim());
  const firstWords = [...(stages[0] ?? "").matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
  return { stages, firstWords };
}

/** The program and its arguments of the first stage ("sudo" and VAR=x prefixes skipped). */
export function firstStage(command: string): { program: string; args: string[]; stages: string[] } {
  const { stages, firstWords: words } = splitCommand(command);
  while (words.length > 0 && (words[0] === "sudo" || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? ""))) {
    words.shift();
  }
  const program = (words.shift() ?? "").split("/").pop() ?? "";
  return { program, args: words, stages };
}

export function toolOf(command: string): Tool {
  const { program, args, stages } = firstStage(command);
  const has = (re: RegExp): boolean => args.some((a) => re.test(a));
  switch (program) {
    case "uptime":
    case "nproc":
    case "mpstat":
    case "vmstat":
    case "free":
    case "dmesg":
    case "lsof":
    case "iostat":
    case "nstat":
    case "timedatectl":
    case "getent":
      return program;
    case "chronyc":
      return "chronyc";
    case "top":
      // The D-state sampler keeps only rows whose state column starts with D.
      return stages.slice(1).some((s) => /^awk\b/.test(s) && /\/\^?D\//.test(s)) ? "top-d" : "top";
    case "du":
      return has(/^--inodes$/) ? "du-inodes" : "du";
    case "find":
      return args[0] === "/proc" && has(/\/fd\//) ? "open-files" : "find";
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
      if (has(/^--list-boots$/)) {
        return "boots";
      }
      if (has(/^-b$/) && args.some((a, i) => args[i - 1] === "-b" && /^-\d+$/.test(a))) {
        return "journal-boot";
      }
      return has(/^-u/) || has(/^--unit/) ? "journal-unit" : has(/^-k$|^--dmesg$/) ? "dmesg" : "journal";
    case "ss":
    case "netstat":
      if (has(/^-\w*s\w*$/) && program === "ss" && !has(/^-\w*l/)) {
        return "socket-summary";
      }
      if (has(/^-\w*l/)) {
        return "listeners";
      }
      return has(/^-\w*[ta]/) ? "sockets" : "other";
    case "ip":
      return has(/^-s+$|^-stat/) && has(/^link$|^l$|^li/) ? "link-stats" : "other";
    case "grep":
      if (args.some((a) => /^\/proc\/(\d+|\[0-9\]\*)\/io$/.test(a))) {
        return "proc-io";
      }
      if (args.some((a) => /^\/proc\/(\d+|\[0-9\]\*)\/limits$/.test(a))) {
        return "fd-limits";
      }
      if (args.some((a) => /^\/proc\/(\d+|\[0-9\]\*)\/status$/.test(a)) && args.some((a) => /VmSwap/.test(a))) {
        return "proc-swap";
      }
      if (has(/^-\w*H/) && args.some((a) => a.startsWith("/proc/"))) {
        return "proc-files";
      }
      return args.includes("/etc/nsswitch.conf") ? "nsswitch" : "other";
    case "cat":
      if (has(/^\/proc\/net\/(netstat|snmp)$/)) {
        return "proc-net";
      }
      if (args.includes("/etc/resolv.conf")) {
        return "resolv";
      }
      return args.includes("/proc/swaps") ? "swaps" : "other";
    default:
      return "other";
  }
}

/** What each tool tells, per resource (for "checked: …"). */
const READS: Partial<Record<Tool, [Resource, string, string][]>> = {
  uptime: [
    ["cpu", "load averages", "평균 부하"],
    ["reboot", "uptime", "가동 시간"],
  ],
  "proc-files": [
    ["processes", "tasks against pid_max", "pid_max 대비 태스크 수"],
    ["file-descriptors", "file handles against file-max", "file-max 대비 파일 핸들"],
    ["cpu", "load and CPU pressure", "부하와 CPU 압박"],
    ["memory", "memory pressure", "메모리 압박"],
    ["disk-io", "I/O pressure", "I/O 압박"],
    ["reboot", "uptime", "가동 시간"],
  ],
  vmstat: [
    ["cpu", "run queue and CPU time over 4 s", "4초간 실행 큐와 CPU 시간"],
    ["swap", "swapping over 4 s", "4초간 스와핑"],
    ["disk-io", "iowait, blocked tasks and block I/O over 4 s", "4초간 iowait, 블록된 태스크, 블록 I/O"],
  ],
  top: [
    ["cpu", "CPU per process over 1 s", "1초간 프로세스별 CPU"],
    ["zombies", "zombie count", "좀비 수"],
  ],
  "top-d": [["disk-io", "processes in D state over 5 samples", "5회 샘플의 D 상태 프로세스"]],
  ps: [
    ["processes", "processes and threads per command", "명령별 프로세스·스레드 수"],
    ["zombies", "zombies and their parents", "좀비와 그 부모"],
    ["memory", "resident memory per process", "프로세스별 상주 메모리"],
    ["disk-io", "processes in D state", "D 상태 프로세스"],
  ],
  mpstat: [["cpu", "CPU per core", "코어별 CPU"]],
  free: [
    ["memory", "available memory", "가용 메모리"],
    ["swap", "swap use", "스왑 사용량"],
  ],
  swaps: [["swap", "swap areas", "스왑 영역"]],
  dmesg: [
    ["kernel", "kernel log", "커널 로그"],
    ["memory", "OOM kills", "OOM kill"],
  ],
  df: [["disk-space", "space per filesystem", "파일시스템별 공간"]],
  "df-inodes": [["inodes", "inodes per filesystem", "파일시스템별 아이노드"]],
  du: [["disk-space", "largest directories", "가장 큰 디렉터리"]],
  "du-inodes": [["inodes", "directories with the most files", "파일이 가장 많은 디렉터리"]],
  find: [["disk-space", "largest files", "가장 큰 파일"]],
  lsof: [["disk-space", "deleted files held open", "삭제됐지만 열린 파일"]],
  iostat: [["disk-io", "device utilisation", "장치 사용률"]],
  "open-files": [["file-descriptors", "open files per process", "프로세스별 열린 파일"]],
  "systemctl-status": [["services", "unit state", "유닛 상태"]],
  "systemctl-failed": [["services", "failed units", "실패한 유닛"]],
  "journal-unit": [["services", "unit log", "유닛 로그"]],
  journal: [["services", "journal errors", "저널 오류"]],
  "ps-by-name": [["services", "the named process", "해당 이름의 프로세스"]],
  listeners: [
    ["connections", "listening sockets and accept queues", "대기 소켓과 accept 큐"],
    ["services", "listening ports", "대기 포트"],
  ],
  sockets: [["connections", "TCP sockets per client, port and process", "클라이언트·포트·프로세스별 TCP 소켓"]],
  "socket-summary": [["connections", "socket counts by state", "상태별 소켓 수"]],
  "link-stats": [["network", "interface errors and drops", "인터페이스 오류와 드롭"]],
  nstat: [["network", "TCP counters", "TCP 카운터"]],
  "proc-net": [
    ["connections", "listen-queue overflows", "listen 큐 넘침"],
    ["network", "TCP counters", "TCP 카운터"],
  ],
  timedatectl: [["time", "clock synchronisation", "시계 동기화"]],
  chronyc: [["time", "chrony offset", "chrony 오차"]],
  resolv: [["dns", "resolver configuration", "리졸버 설정"]],
  nsswitch: [["dns", "name service order", "이름 조회 순서"]],
  getent: [["dns", "a lookup", "이름 조회"]],
  boots: [["reboot", "boot list", "부팅 목록"]],
  "journal-boot": [["reboot", "the previous boot's last errors", "이전 부팅의 마지막 오류"]],
  "proc-io": [["disk-io", "bytes read and written per process over an interval", "구간 동안 프로세스별 읽기·쓰기 바이트"]],
  "fd-limits": [["file-descriptors", "open-file limits per process", "프로세스별 열린 파일 한도"]],
  "proc-swap": [["swap", "swap per process", "프로세스별 스왑"]],
};

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
    return { run, why: say(`${program} is not installed on the host${pkg ? ` (package ${pkg})` : ""}`, `호스트에 ${josa(program, "이")} 설치되어 있지 않음${pkg ? ` (패키지 ${pkg})` : ""}`), line: firstLine(run.stderr) };
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

/**
 * Whether a second listing (du, find) replaces the first: it found something where the first found
 * nothing (timed out, empty), or it looked deeper — a follow-up into the full mount that a listing
 * of / with -x could not enter.
 */
/** Adds one listing to the merged ones: an entry listed again takes the later figure (a deeper look is newer). */
function addListing(listing: Listing | undefined, run: CommandRun, entries: SizedPath[], root: string | undefined): Listing {
  const merged: Listing = listing ?? { entries: [], roots: [] };
  const clean = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, "") : path);
  for (const entry of entries) {
    const path = clean(entry.path);
    const at = merged.entries.findIndex((e) => e.path === path);
    const listed = { ...entry, path, run };
    if (at >= 0) {
      merged.entries[at] = listed;
    } else {
      merged.entries.push(listed);
    }
  }
  if (root) {
    const path = clean(root);
    merged.roots.push({ path, complete: entries.some((e) => clean(e.path) === path) || run.status === "ok", run });
  }
  return merged;
}

export function collectFacts(runs: CommandRun[], say: Say = sayer("en")): Facts {
  const facts: Facts = {
    byName: [],
    commandLines: new Map(),
    oomKills: [],
    hungTasks: [],
    kernel: [],
    kernelLogRead: false,
    unitStatus: [],
    unitsMissing: [],
    unitJournal: [],
    counters: [],
    lookups: [],
    gaps: [],
    readings: [],
    read: 0,
    topInterval: false,
  };
  for (const run of runs) {
    const { program, args } = firstStage(run.command);
    const tool = toolOf(run.command);
    // A lookup that outlasts the command's time limit is the answer, not a gap: the resolver is silent.
    if (tool === "getent" && run.status === "timeout" && run.stdout.trim() === "") {
      facts.lookups.push({ run, value: { ...parseGetent("", args[args.length - 1] ?? "?"), timedOut: true } });
      facts.read++;
      note(facts, tool, run, true, say);
      continue;
    }
    const gap = gapOf(run, program, say);
    if (gap) {
      facts.gaps.push(gap);
      note(facts, tool, run, false, say);
      continue;
    }
    const used = readRun(facts, run, tool, args);
    if (used) {
      facts.read++;
    }
    note(facts, tool, run, used, say);
  }
  nameThreads(facts);
  return facts;
}

/**
 * Processes whose comm is a thread name (`MainThread`, `pool-1-thread-1`) take the name of the
 * program their command line runs, wherever a rule may name them; the evidence lines stay as printed.
 */
function nameThreads(facts: Facts): void {
  if (facts.commandLines.size === 0) {
    return;
  }
  const rename = (pid: number, name: string): string => {
    const args = facts.commandLines.get(pid);
    return args && isThreadName(name) ? programFromArgs(args) : name;
  };
  const tables = [facts.processes, facts.psByCpu, facts.psByRss, facts.top ? { value: facts.top.value.table } : undefined, ...facts.byName.map((b) => ({ value: b.value.table }))];
  for (const table of tables) {
    for (const p of table?.value?.processes ?? []) {
      p.name = rename(p.pid, p.name);
    }
  }
  for (const [pid, sample] of facts.dSamples?.byPid ?? []) {
    sample.name = rename(pid, sample.name);
  }
  for (const owner of [...(facts.listeners?.value ?? []), ...(facts.sockets?.value ?? [])].flatMap((s) => s.processes)) {
    owner.name = rename(owner.pid, owner.name);
  }
  for (const file of facts.deletedOpen?.value ?? []) {
    file.command = rename(file.pid, file.command);
  }
}

function note(facts: Facts, tool: Tool, run: CommandRun, ok: boolean, say: Say): void {
  for (const [resource, en, ko] of READS[tool] ?? []) {
    facts.readings.push({ resource, what: say(en, ko), run, ok });
  }
}

/** Reads one run into the facts; false when its output could not be used. */
function readRun(facts: Facts, run: CommandRun, tool: Tool, args: string[]): boolean {
  const out = run.stdout;
  const from = <T>(value: T): From<T> => ({ run, value });
  switch (tool) {
    case "uptime": {
      const load = parseUptime(out);
      if (load) {
        facts.load ??= from(load);
      }
      return load !== null;
    }
    case "nproc": {
      const n = parseNproc(out);
      if (n !== null) {
        facts.cores ??= from(n);
      }
      return n !== null;
    }
    case "proc-files": {
      const figures = kernelFigures(parseProcFiles(out));
      const any = figures.load || figures.pidMax || figures.fileHandles || figures.uptimeSec || Object.keys(figures.pressure).length > 0;
      if (!any) {
        return false;
      }
      facts.kernelFigures ??= from(figures);
      if (figures.load) {
        const up = figures.uptimeSec?.value ?? null;
        facts.load ??= from({ one: figures.load.one, five: figures.load.five, fifteen: figures.load.fifteen, upSeconds: up, line: figures.load.line });
      }
      return true;
    }
    case "top":
    case "top-d": {
      const frames = parseTopFrames(out);
      if (frames.length === 0) {
        return false;
      }
      addDSamples(facts, run, frames);
      if (tool === "top-d") {
        return true;
      }
      const last = frames[frames.length - 1];
      // A later frame (or the second frame picked out by awk) is measured over the delay; a lone
      // first frame's CPU line averages since boot. Prefer the interval one whichever ran first.
      const interval = frames.length > 1 || topIterations(run.command) > 1;
      if (!facts.top || (interval && !facts.topInterval)) {
        facts.top = from(last);
        facts.topInterval = interval;
      }
      if (last.load) {
        facts.load ??= from(last.load);
      }
      return true;
    }
    case "ps": {
      const table = parsePs(out);
      if (!table) {
        return false;
      }
      for (const p of table.processes) {
        if (p.args) {
          facts.commandLines.set(p.pid, p.args);
        }
      }
      if (!facts.processes || table.processes.length > facts.processes.value.processes.length) {
        facts.processes = from(table);
      }
      if (/--sort[= ]-?(rss|rsz|pmem|%mem|vsz)|--sort=-rss/i.test(run.command) || /\bsort\b.*-k\s*[456]/.test(run.command)) {
        facts.psByRss ??= from(table);
      } else {
        facts.psByCpu ??= from(table);
      }
      return true;
    }
    case "ps-by-name": {
      const name = args[args.indexOf("-C") + 1] ?? args.find((a) => a.startsWith("-C"))?.slice(2) ?? "?";
      facts.byName.push(from({ name, table: parsePs(out) }));
      return true;
    }
    case "mpstat": {
      const mp = parseMpstat(out);
      if (mp) {
        facts.mpstat ??= from(mp);
      }
      return mp !== null;
    }
    case "vmstat": {
      const vm = parseVmstat(out);
      if (vm && (!facts.vmstat || (vm.interval && !facts.vmstat.value.interval))) {
        facts.vmstat = from(vm);
      }
      return vm !== null;
    }
    case "free": {
      const mem = parseFree(out, freeUnit(run.command));
      if (mem) {
        facts.memory ??= from(mem);
      }
      return mem !== null;
    }
    case "dmesg": {
      facts.kernelLogRead = true;
      addKernelLines(facts, run, out);
      return true;
    }
    case "df":
    case "df-inodes": {
      const mounts = parseDf(out);
      if (mounts.length === 0) {
        return false;
      }
      if (tool === "df") {
        facts.df ??= from(mounts);
      } else {
        facts.dfInodes ??= from(mounts);
      }
      return true;
    }
    case "du":
      facts.du = addListing(facts.du, run, parseDu(out), lastArgPath(args));
      return true;
    case "du-inodes":
      facts.duInodes = addListing(facts.duInodes, run, parseDuCounts(out), lastArgPath(args));
      return true;
    case "find":
      facts.largeFiles = addListing(facts.largeFiles, run, parseFindSizes(out), args.find((a) => a.startsWith("/")));
      return true;
    case "open-files":
      facts.openFiles ??= from(parseOpenFileCounts(out));
      return true;
    case "lsof":
      facts.deletedOpen ??= from(parseLsofDeleted(out));
      return true;
    case "iostat": {
      const devices = parseIostat(out);
      if (devices.length > 0) {
        facts.iostat ??= from(devices);
      }
      return devices.length > 0;
    }
    case "systemctl-status":
    case "systemctl-failed":
    case "journal-unit":
    case "journal":
      return readSystemd(facts, run, tool, args);
    case "listeners":
      facts.listeners ??= from(parseListeners(out));
      return true;
    case "sockets":
      facts.sockets ??= from(parseSockets(out));
      return true;
    case "socket-summary": {
      const summary = parseSocketSummary(out);
      if (summary) {
        facts.socketSummary ??= from(summary);
      }
      return summary !== null;
    }
    case "link-stats":
      facts.links ??= from(parseLinkStats(out));
      return true;
    case "nstat":
      facts.counters.push(from(parseNstat(out)));
      return true;
    case "proc-net":
      facts.counters.push(from(parseProcNetCounters(out)));
      return true;
    case "timedatectl": {
      if (systemdUnavailable(run.stderr, run.stdout)) {
        facts.systemdMissing ??= run;
        return false;
      }
      const clock = parseTimedatectl(out);
      if (clock) {
        facts.clock ??= from(clock);
      }
      return clock !== null;
    }
    case "chronyc": {
      const tracking = parseChronyTracking(out);
      if (tracking) {
        facts.chrony ??= from(tracking);
      }
      return tracking !== null;
    }
    case "resolv":
      facts.resolver ??= from(parseResolvConf(out));
      return true;
    case "nsswitch":
      facts.nsswitchHosts ??= from(lines(out).find((l) => /^hosts:/.test(l)) ?? null);
      return true;
    case "getent":
      facts.lookups.push(from(parseGetent(out, args[args.length - 1] ?? "?")));
      return true;
    case "boots":
      if (systemdUnavailable(run.stderr, run.stdout)) {
        facts.systemdMissing ??= run;
        return false;
      }
      facts.boots ??= from(parseBoots(out));
      return true;
    case "journal-boot":
      if (systemdUnavailable(run.stderr, run.stdout) || /no persistent journal|Specifying boot ID or boot offset has no effect|Data from the specified boot .* is not available/i.test(run.stderr)) {
        return false;
      }
      facts.previousBoot ??= from(journalErrorLines(out));
      return true;
    case "swaps":
      facts.swaps ??= from(lines(out));
      return true;
    case "fd-limits": {
      const limits = new Map<number, { soft: number | null; line: string }>();
      for (const line of lines(out)) {
        const m = /^\/proc\/(\d+)\/limits:Max open files\s+(\S+)\s+(\S+)/.exec(line);
        if (m) {
          limits.set(Number(m[1]), { soft: /^\d+$/.test(m[2]) ? Number(m[2]) : null, line });
        }
      }
      if (limits.size > 0) {
        facts.fdLimits ??= from(limits);
      }
      return limits.size > 0;
    }
    case "proc-swap": {
      const swap = new Map<number, { kib: number; line: string }>();
      for (const line of lines(out)) {
        const m = /^\/proc\/(\d+)\/status:VmSwap:\s*(\d+)\s*kB/.exec(line);
        if (m) {
          swap.set(Number(m[1]), { kib: Number(m[2]), line });
        }
      }
      if (swap.size > 0) {
        facts.processSwap ??= from(swap);
      }
      return swap.size > 0;
    }
    case "proc-io": {
      const io = parseProcessIo(out, run.command);
      if (io.byPid.size > 0) {
        facts.processIo ??= from(io);
      }
      return io.byPid.size > 0;
    }
    case "other":
      // Unknown tools (an LLM's own command): still scan for kernel and error lines.
      addKernelLines(facts, run, out, true);
      return false;
  }
}

/** `grep -H -E '^(read|write)_bytes' /proc/N/io…`, once or twice with `sleep S` in between. */
function parseProcessIo(text: string, command: string): ProcessIo {
  const sleep = /;\s*sleep\s+(\d+(?:\.\d+)?)\s*;/.exec(command);
  const byPid: ProcessIo["byPid"] = new Map();
  const seen = new Map<string, number>();
  for (const line of lines(text)) {
    const m = /^\/proc\/(\d+)\/io:(read|write)_bytes:\s*(\d+)\s*$/.exec(line.trim());
    if (!m) {
      continue;
    }
    const pid = Number(m[1]);
    const key = `${pid}:${m[2]}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const entry = byPid.get(pid) ?? { first: { read: 0, write: 0 }, second: null, lines: [] };
    const sample = n === 1 ? entry.first : (entry.second ??= { read: 0, write: 0 });
    sample[m[2] as "read" | "write"] = Number(m[3]);
    entry.lines.push(line);
    byPid.set(pid, entry);
  }
  const twice = [...byPid.values()].some((e) => e.second !== null);
  return { seconds: twice && sleep ? Number(sleep[1]) : null, byPid };
}

/**
 * Kernel log lines from one run, merged with those already read: the same event seen by two
 * commands (dmesg | grep and dmesg -T | tail) counts once, and the copy with a raw timestamp (which
 * can be aged against the uptime) wins.
 */
function addKernelLines(facts: Facts, run: CommandRun, out: string, otherTool = false): void {
  const stripped = (line: string): string => line.replace(/^\s*\[[^\]]*\]\s*/, "");
  for (const kill of parseOomKills(out)) {
    const known = facts.oomKills.findIndex((k) => k.value.pid === kill.pid);
    if (known < 0) {
      facts.oomKills.push({ run, value: kill });
    } else if (facts.oomKills[known].value.atSec === null && kill.atSec !== null) {
      facts.oomKills[known] = { run, value: kill };
    }
  }
  for (const task of parseHungTasks(out)) {
    if (!facts.hungTasks.some((t) => t.value.pid === task.pid && stripped(t.value.line) === stripped(task.line))) {
      facts.hungTasks.push({ run, value: task });
    }
  }
  for (const issue of kernelIssues(out)) {
    if (otherTool && issue.kind === "oom") {
      continue;
    }
    const known = facts.kernel.findIndex((k) => stripped(k.value.line) === stripped(issue.line));
    if (known < 0) {
      facts.kernel.push({ run, value: issue });
    } else if (!/^\s*\[\s*\d+\.\d+\]/.test(facts.kernel[known].value.line) && /^\s*\[\s*\d+\.\d+\]/.test(issue.line)) {
      facts.kernel[known] = { run, value: issue };
    }
  }
  facts.oomKills.sort((a, b) => (a.value.atSec ?? 0) - (b.value.atSec ?? 0));
}

/** top's -n count (iterations), from its own arguments only (not a later `head -n 30`). */
export function topIterations(command: string): number {
  const { args } = firstStage(command);
  for (let i = 0; i < args.length; i++) {
    const m = /^-n(\d+)$/.exec(args[i]) ?? (args[i] === "-n" ? /^(\d+)$/.exec(args[i + 1] ?? "") : null);
    if (m) {
      return Number(m[1]);
    }
  }
  return 1;
}

/** top's -d delay in seconds (default 3), from its own arguments. */
export function topDelay(command: string): number {
  const { args } = firstStage(command);
  for (let i = 0; i < args.length; i++) {
    const m = /^-d([\d.]+)$/.exec(args[i]) ?? (args[i] === "-d" ? /^([\d.]+)$/.exec(args[i + 1] ?? "") : null);
    if (m) {
      return Number(m[1]);
    }
  }
  return 3;
}

/** D-state rows of every frame, counted per pid (kernel threads included; the rules filter them). */
function addDSamples(facts: Facts, run: CommandRun, frames: TopSnapshot[]): void {
  const samples: DSamples = facts.dSamples ?? { run, frames: 0, byPid: new Map() };
  for (const frame of frames) {
    samples.frames++;
    for (const p of frame.table?.processes ?? []) {
      if (p.state?.startsWith("D")) {
        const entry = samples.byPid.get(p.pid) ?? { name: p.name, hits: 0, lines: [] };
        entry.hits++;
        if (entry.lines.length < 3) {
          entry.lines.push(p.line);
        }
        samples.byPid.set(p.pid, entry);
      }
    }
  }
  // The sampler's run is the one to cite when it sampled more frames.
  if (!facts.dSamples || frames.length > 1) {
    samples.run = frames.length > 1 ? run : samples.run;
  }
  facts.dSamples = samples;
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
