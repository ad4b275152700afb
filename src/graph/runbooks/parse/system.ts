// Parsers for load, CPU and memory tools: uptime, nproc, top, ps, mpstat, vmstat, free.
// Header-driven where the tool prints a header, so other flag combinations (an LLM's `ps aux`)
// still parse. Each record keeps the verbatim line it came from, for evidence.
import { lines, num, sizeToBytes } from "./common";

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
  /** Seconds since boot, when the line says ("up 21 min", "up 3 days, 2:03"). */
  upSeconds: number | null;
  line: string;
}

const LOAD_RE = /load averages?:\s*([\d.,]+?),?\s+([\d.,]+?),?\s+([\d.,]+)\s*$/i;

export function parseUptime(text: string): LoadAverage | null {
  const line = lines(text).find((l) => LOAD_RE.test(l));
  if (!line) {
    return null;
  }
  const m = LOAD_RE.exec(line);
  const [one, five, fifteen] = [num(m?.[1]), num(m?.[2]), num(m?.[3])];
  if (one === null || five === null || fifteen === null) {
    return null;
  }
  return { one, five, fifteen, upSeconds: parseUpSince(line), line };
}

/** "up 21 min," / "up 2:03," / "up 3 days, 2:03," / "up 1 day, 17 min," → seconds. */
function parseUpSince(line: string): number | null {
  const m = /\bup\s+(.*?),\s+\d+\s+users?/i.exec(line) ?? /\bup\s+(.*?),\s+load/i.exec(line);
  if (!m?.[1]) {
    return null;
  }
  let seconds = 0;
  let matched = false;
  for (const part of m[1].split(",").map((p) => p.trim())) {
    let p: RegExpExecArray | null;
    if ((p = /^(\d+)\s+days?$/.exec(part))) {
      seconds += Number(p[1]) * 86400;
      matched = true;
    } else if ((p = /^(\d+)\s+min/.exec(part))) {
      seconds += Number(p[1]) * 60;
      matched = true;
    } else if ((p = /^(\d+):(\d{2})$/.exec(part))) {
      seconds += Number(p[1]) * 3600 + Number(p[2]) * 60;
      matched = true;
    } else if ((p = /^(\d+)\s+(?:hrs?|hours?)$/.exec(part))) {
      seconds += Number(p[1]) * 3600;
      matched = true;
    } else if ((p = /^(\d+)\s+secs?$/.exec(part))) {
      seconds += Number(p[1]);
      matched = true;
    }
  }
  return matched ? seconds : null;
}

export function parseNproc(text: string): number | null {
  const first = lines(text)[0]?.trim();
  const n = first && /^\d+$/.test(first) ? Number(first) : null;
  return n !== null && n > 0 && n < 100_000 ? n : null;
}

// ---- processes ----------------------------------------------------------------------------

export interface ProcessSample {
  pid: number;
  ppid: number | null;
  user: string | null;
  /** % of one CPU (can exceed 100 for multi-threaded processes). */
  cpu: number | null;
  mem: number | null;
  rssBytes: number | null;
  elapsedSec: number | null;
  state: string | null;
  /** Threads (ps nlwp); null when the table has no such column. */
  threads: number | null;
  name: string;
  /** The command line (ps args), when the table has it. */
  args: string | null;
  line: string;
  source: "ps" | "top";
}

export interface ProcessTable {
  header: string;
  processes: ProcessSample[];
}

type Column = "pid" | "ppid" | "user" | "cpu" | "mem" | "rss" | "elapsed" | "state" | "threads" | "name" | "args" | "other";

const COLUMN_NAMES: Record<string, Column> = {
  PID: "pid",
  PPID: "ppid",
  NLWP: "threads",
  THCNT: "threads",
  NTH: "threads",
  USER: "user",
  RUSER: "user",
  UID: "user",
  "%CPU": "cpu",
  PCPU: "cpu",
  "%MEM": "mem",
  PMEM: "mem",
  RSS: "rss",
  RSZ: "rss",
  RES: "rss",
  ELAPSED: "elapsed",
  ETIME: "elapsed",
  ETIMES: "elapsed",
  STAT: "state",
  S: "state",
  STATE: "state",
  COMMAND: "name",
  COMM: "name",
  CMD: "args",
  ARGS: "args",
};

/** `[[dd-]hh:]mm:ss` or plain seconds. */
function parseElapsed(value: string): number | null {
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(value);
  if (!m) {
    return null;
  }
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/** A process table under a header line that has a PID column (ps in any -o format, top's task list). */
function parseProcessTable(allLines: string[], headerIndex: number, source: "ps" | "top"): ProcessTable {
  const header = allLines[headerIndex] ?? "";
  const names = header.trim().split(/\s+/);
  const kinds: Column[] = names.map((n) => COLUMN_NAMES[n.toUpperCase()] ?? "other");
  // With `comm,args` both headers read COMMAND: the second one is the argument list.
  const firstName = kinds.indexOf("name");
  kinds.forEach((k, i) => {
    if (k === "name" && i !== firstName) {
      kinds[i] = "args";
    }
  });
  const processes: ProcessSample[] = [];
  for (const line of allLines.slice(headerIndex + 1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < names.length || !/^\d+$/.test(parts[kinds.indexOf("pid")] ?? "")) {
      continue;
    }
    // The last column keeps its spaces ("npm install", full argument lists).
    const cells = [...parts.slice(0, names.length - 1), parts.slice(names.length - 1).join(" ")];
    const get = (kind: Column): string | undefined => {
      const i = kinds.indexOf(kind);
      return i >= 0 ? cells[i] : undefined;
    };
    // `comm,args`: a comm may hold spaces ("npm ci"), so the two are told apart by the comm column's
    // width (ps pads it to 15, the kernel's limit) rather than by words.
    const split = commThenArgs(line, kinds, firstName);
    if (split) {
      cells[firstName] = split.comm;
      cells[firstName + 1] = split.args;
    }
    // `ps aux` labels the argument list COMMAND too: a comm is at most 15 characters and has no path.
    let named = get("name");
    let args = get("args");
    if (named !== undefined && (named.length > 15 || named.startsWith("/"))) {
      args ??= named;
      named = undefined;
    }
    const name = named ?? (args ? programName(args) : "?");
    const rss = get("rss");
    const ppid = get("ppid");
    const threads = get("threads");
    processes.push({
      pid: Number(get("pid")),
      ppid: ppid !== undefined && /^\d+$/.test(ppid) ? Number(ppid) : null,
      user: get("user") ?? null,
      cpu: num(get("cpu")),
      mem: num(get("mem")),
      // ps and top print RSS in KiB unless suffixed (top: 1.2g, 512m).
      rssBytes: rss === undefined ? null : sizeToBytes(rss, 1024),
      elapsedSec: get("elapsed") === undefined ? null : parseElapsed(get("elapsed") ?? ""),
      state: get("state") ?? null,
      threads: threads !== undefined && /^\d+$/.test(threads) ? Number(threads) : null,
      name,
      args: args ?? null,
      line,
      source,
    });
  }
  return { header, processes };
}

/** The kernel's limit on a comm (TASK_COMM_LEN 16, with its NUL); ps pads the column to it. */
const COMM_WIDTH = 15;

/**
 * `… comm args` as the last two columns: the comm field is the 15 characters after the column
 * before it (right-aligned numbers end with one space), then a space, then the command line.
 * Null when the line does not have that shape (another ps, another layout).
 */
function commThenArgs(line: string, kinds: Column[], commIndex: number): { comm: string; args: string } | null {
  if (commIndex < 1 || commIndex !== kinds.length - 2 || kinds[commIndex + 1] !== "args") {
    return null;
  }
  // Skip the columns before the comm, word by word, keeping the position in the line.
  const words = /\S+/g;
  let end = 0;
  for (let i = 0; i < commIndex; i++) {
    const m = words.exec(line);
    if (!m) {
      return null;
    }
    end = m.index + m[0].length;
  }
  const rest = line.slice(end + 1);
  if (rest.length <= COMM_WIDTH + 1 || rest[COMM_WIDTH] !== " " || rest.startsWith(" ")) {
    return null;
  }
  const comm = rest.slice(0, COMM_WIDTH).trimEnd();
  const args = rest.slice(COMM_WIDTH + 1).trim();
  return comm && args ? { comm, args } : null;
}

/** `/usr/bin/java -jar x` → java; `[kworker/0:1]` → kworker/0:1. */
function programName(args: string): string {
  const first = args.trim().split(/\s+/)[0] ?? "?";
  if (/^\[.*\]$/.test(first)) {
    return first.slice(1, -1);
  }
  return first.split("/").pop() || first;
}

/**
 * A comm that names a thread, not a program: runtimes name their main thread (`MainThread`,
 * `CrBrowserMain`), thread pools their workers (`pool-3-thread-1`, `tokio-runtime-w`, `Thread-7`),
 * and ps shows the main thread's name for the whole process. Such a name tells the engineer nothing;
 * the command line does.
 */
export function isThreadName(comm: string): boolean {
  const name = comm.trim();
  return (
    // main, MainThread, Main-Thread, worker, Worker-3, Thread-12, pool #2, executor_1, JSThread…
    /^(main|main[-_ ]?thread|thread|worker|worker[-_ ]?thread|pool|thread[-_ ]?pool|executor|runner|js[-_ ]?thread|dummy|event[-_ ]?loop|loop)(?:[-_ #:.]*\d+)*$/i.test(name) ||
    // java executors and fork-join pools, Rust and C++ runtimes, libuv, glib, gRPC, Chromium, JVM threads
    /^(pool-\d+-thread|forkjoinpool|tokio-runtime|rayon|actix|async-std|libuv|uv_worker|node-worker|threadpool|jemalloc_bg|gmain|gdbus|grpc_|grpcpp_|crbrowsermain|chrome_|v8 |gc thread|vm thread|vm periodic|c[12] compilerthre|signal dispatch|finalizer|reference handl|common-cleaner|attach listener|destroyjavavm|asyncio_|qthread)/i.test(name)
  );
}

/** Interpreters and runtimes whose program is the script or module they run, not themselves. */
const RUNTIME = /^(node|nodejs|bun|deno|electron|python[\d.]*|pypy[\d.]*|ruby[\d.]*|perl[\d.]*|php[\d.]*|php-cgi|java|dotnet|mono|lua[\d.]*|luajit|rscript|erl|beam\.smp|sh|bash|dash|zsh|ksh)$/i;

/** Options of those runtimes that take the next word as their value (so it is not the script). */
const TAKES_VALUE = new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "--inspect-port", "--title", "--conditions", "-C", "-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-opens", "--add-exports", "--add-modules", "-W", "-X", "--config"]);

/**
 * The program a command line runs, as an engineer would name it: the executable, and for an
 * interpreter also what it runs (`node server.js`, `java app.jar`, `python3 -m celery`).
 */
export function programFromArgs(args: string): string {
  const words = args.trim().split(/\s+/).filter(Boolean);
  const base = (word: string): string => word.replace(/\/+$/, "").split("/").pop() || word;
  const first = words[0] ?? "?";
  if (/^\[.*\]$/.test(first)) {
    return first.slice(1, -1);
  }
  // A login shell is "-bash".
  const program = base(first).replace(/^-/, "");
  if (!RUNTIME.test(program)) {
    return program;
  }
  for (let i = 1; i < words.length; i++) {
    const word = words[i];
    if (word === "-m" || word === "-jar" || word === "--module") {
      const target = words[i + 1];
      return target ? `${program} ${word === "-jar" ? base(target) : `-m ${target}`}` : program;
    }
    if (word === "-e" || word === "--eval" || (word === "-c" && !/^(java|node|bun|deno)$/.test(program))) {
      // Code given inline: the interpreter is all there is to name.
      return program;
    }
    if (word.startsWith("-")) {
      if (TAKES_VALUE.has(word)) {
        i++;
      }
      continue;
    }
    // deno run x.ts, bun run x.ts
    if (/^(deno|bun)$/.test(program) && /^(run|x|exec)$/.test(word)) {
      continue;
    }
    return `${program} ${base(word)}`;
  }
  return program;
}

function findHeader(allLines: string[]): number {
  return allLines.findIndex((l) => /(^|\s)PID(\s|$)/.test(l) && /(COMMAND|COMM|CMD|ARGS)/.test(l));
}

export function parsePs(text: string): ProcessTable | null {
  const all = lines(text);
  const headerIndex = findHeader(all);
  return headerIndex < 0 ? null : parseProcessTable(all, headerIndex, "ps");
}

export interface CpuBreakdown {
  user: number | null;
  system: number | null;
  nice: number | null;
  idle: number | null;
  iowait: number | null;
  steal: number | null;
  line: string;
}

export interface TaskCounts {
  total: number;
  running: number;
  sleeping: number;
  stopped: number;
  zombie: number;
  line: string;
}

export interface TopSnapshot {
  load: LoadAverage | null;
  cpu: CpuBreakdown | null;
  /** The "Tasks:" (or "Threads:") line. */
  tasks: TaskCounts | null;
  /** From the "Mem"/"Swap" lines, in bytes. */
  memory: { totalBytes: number; availableBytes: number | null; line: string } | null;
  table: ProcessTable | null;
}

const TOP_CPU_KEYS: Record<string, keyof Omit<CpuBreakdown, "line">> = {
  us: "user",
  sy: "system",
  ni: "nice",
  id: "idle",
  wa: "iowait",
  st: "steal",
};

/** One top frame (the lines from one "top -" header to the next). */
function parseTopFrame(all: string[]): TopSnapshot {
  const headerIndex = findHeader(all);
  const cpuLine = all.find((l) => /^%?Cpu\(s\)/i.test(l.trim()));
  let cpu: CpuBreakdown | null = null;
  if (cpuLine) {
    cpu = { user: null, system: null, nice: null, idle: null, iowait: null, steal: null, line: cpuLine };
    // "71.4 us," (procps 3.3+) and "71.4%us," (procps 3.2).
    for (const m of cpuLine.matchAll(/([\d.,]+)\s*%?\s*(us|sy|ni|id|wa|st)\b/g)) {
      const key = TOP_CPU_KEYS[m[2] ?? ""];
      if (key) {
        cpu[key] = num(m[1]);
      }
    }
  }
  const tasksLine = all.find((l) => /^(Tasks|Threads):\s*\d+\s+total/i.test(l.trim()));
  let tasks: TaskCounts | null = null;
  if (tasksLine) {
    const field = (name: string): number => Number(new RegExp(`(\\d+)\\s+${name}`).exec(tasksLine)?.[1] ?? 0);
    tasks = { total: field("total"), running: field("running"), sleeping: field("sleeping"), stopped: field("stopped"), zombie: field("zombie"), line: tasksLine };
  }
  const memLine = all.find((l) => /^(KiB|MiB|GiB|Mem)\s*Mem\s*:|^Mem:/i.test(l.trim()));
  const swapLine = all.find((l) => /^(KiB|MiB|GiB)?\s*Swap\s*:/i.test(l.trim()));
  let memory: TopSnapshot["memory"] = null;
  if (memLine) {
    const unit = /^GiB/i.test(memLine.trim()) ? 1024 ** 3 : /^MiB/i.test(memLine.trim()) ? 1024 ** 2 : 1024;
    const total = num(/([\d.,]+)\s*(?:k\s*)?total/i.exec(memLine)?.[1]);
    const avail = swapLine ? num(/([\d.,]+)\s*avail/i.exec(swapLine)?.[1]) : null;
    if (total !== null) {
      memory = { totalBytes: total * unit, availableBytes: avail === null ? null : avail * unit, line: memLine };
    }
  }
  return {
    load: parseUptime(all[0] ?? ""),
    cpu,
    tasks,
    memory,
    table: headerIndex < 0 ? null : parseProcessTable(all, headerIndex, "top"),
  };
}

/** Every frame of `top -b` output, in order (one per "top -" header; a headless snippet is one frame). */
export function parseTopFrames(text: string): TopSnapshot[] {
  const all = lines(text);
  const starts = all.map((l, i) => (/^top - /.test(l) ? i : -1)).filter((i) => i >= 0);
  if (starts.length === 0) {
    return all.length > 0 && (findHeader(all) >= 0 || all.some((l) => /^%?Cpu\(s\)/i.test(l.trim()))) ? [parseTopFrame(all)] : [];
  }
  return starts.map((start, k) => parseTopFrame(all.slice(start, starts[k + 1] ?? all.length)));
}

/** The last frame of `top -b` output: with `-n 2` or more, the one measured over an interval. */
export function parseTop(text: string): TopSnapshot | null {
  const frames = parseTopFrames(text);
  return frames[frames.length - 1] ?? null;
}

// ---- mpstat / vmstat ------------------------------------------------------------------------

export interface CoreUsage extends CpuBreakdown {
  cpu: string;
}

/** mpstat -P ALL: the "Average:" rows when present, else the last interval. */
export function parseMpstat(text: string): { all: CoreUsage | null; cores: CoreUsage[] } | null {
  const all = lines(text);
  const headerIndexes = all.map((l, i) => (/\sCPU\s+%usr/.test(l) ? i : -1)).filter((i) => i >= 0);
  if (headerIndexes.length === 0) {
    return null;
  }
  const headerIndex = headerIndexes[headerIndexes.length - 1];
  const header = all[headerIndex];
  const headerParts = header.trim().split(/\s+/);
  const cpuAt = headerParts.indexOf("CPU");
  const rows: CoreUsage[] = [];
  for (const line of all.slice(headerIndex + 1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== headerParts.length || !/^(all|\d+)$/.test(parts[cpuAt] ?? "")) {
      break;
    }
    const get = (name: string): number | null => {
      const i = headerParts.indexOf(name);
      return i >= 0 ? num(parts[i]) : null;
    };
    rows.push({
      cpu: parts[cpuAt],
      user: get("%usr"),
      system: get("%sys"),
      nice: get("%nice"),
      idle: get("%idle"),
      iowait: get("%iowait"),
      steal: get("%steal"),
      line,
    });
  }
  return { all: rows.find((r) => r.cpu === "all") ?? null, cores: rows.filter((r) => r.cpu !== "all") };
}

export interface VmstatSample {
  r: number;
  b: number;
  swpd: number | null;
  si: number;
  so: number;
  /** Blocks read / written per second (KiB on Linux). */
  bi: number | null;
  bo: number | null;
  us: number | null;
  sy: number | null;
  id: number | null;
  wa: number | null;
  st: number | null;
  line: string;
}

export interface Vmstat {
  header: string;
  /** Interval samples (the first row, averages since boot, is left out when others follow). */
  samples: VmstatSample[];
  /** False when only the since-boot row was printed (`vmstat` without a delay): not a current figure. */
  interval: boolean;
  average: Omit<VmstatSample, "line">;
}

export function parseVmstat(text: string): Vmstat | null {
  const all = lines(text);
  const headerIndex = all.findIndex((l) => /^\s*r\s+b\s+/.test(l));
  if (headerIndex < 0) {
    return null;
  }
  const header = all[headerIndex];
  const names = header.trim().split(/\s+/);
  const rows: VmstatSample[] = [];
  for (const line of all.slice(headerIndex + 1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== names.length || !parts.every((p) => /^\d+$/.test(p))) {
      continue;
    }
    const get = (name: string): number | null => {
      const i = names.indexOf(name);
      return i >= 0 ? Number(parts[i]) : null;
    };
    rows.push({
      r: get("r") ?? 0,
      b: get("b") ?? 0,
      swpd: get("swpd"),
      si: get("si") ?? 0,
      so: get("so") ?? 0,
      bi: get("bi"),
      bo: get("bo"),
      us: get("us"),
      sy: get("sy"),
      id: get("id"),
      wa: get("wa"),
      st: get("st"),
      line,
    });
  }
  if (rows.length === 0) {
    return null;
  }
  const samples = rows.length > 1 ? rows.slice(1) : rows;
  const avg = (pick: (s: VmstatSample) => number | null): number | null => {
    const values = samples.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  };
  return {
    header,
    samples,
    interval: rows.length > 1,
    average: {
      r: avg((s) => s.r) ?? 0,
      b: avg((s) => s.b) ?? 0,
      swpd: avg((s) => s.swpd),
      si: avg((s) => s.si) ?? 0,
      so: avg((s) => s.so) ?? 0,
      bi: avg((s) => s.bi),
      bo: avg((s) => s.bo),
      us: avg((s) => s.us),
      sy: avg((s) => s.sy),
      id: avg((s) => s.id),
      wa: avg((s) => s.wa),
      st: avg((s) => s.st),
    },
  };
}

// ---- free -----------------------------------------------------------------------------------

export interface MemoryUsage {
  totalBytes: number;
  usedBytes: number | null;
  availableBytes: number;
  /** True when "available" was estimated as free + buffers + cache (old procps without the column). */
  availableEstimated: boolean;
  swapTotalBytes: number;
  swapUsedBytes: number;
  header: string;
  memLine: string;
  swapLine: string | null;
}

/** Bytes per plain number in `free` output, from its flags (default KiB). */
export function freeUnit(command: string): number {
  const flags = command.match(/\s--?(\w+)/g)?.map((f) => f.trim()) ?? [];
  for (const flag of flags) {
    if (/^(-b|--bytes)$/.test(flag)) {
      return 1;
    }
    if (/^(-m|--mega|--mebi)$/.test(flag)) {
      return 1024 ** 2;
    }
    if (/^(-g|--giga|--gibi)$/.test(flag)) {
      return 1024 ** 3;
    }
  }
  return 1024;
}

export function parseFree(text: string, plainUnit = 1024): MemoryUsage | null {
  const all = lines(text);
  const headerIndex = all.findIndex((l) => /\btotal\b/.test(l) && /\bused\b/.test(l) && !/:/.test(l));
  const memLine = all.find((l) => /^\s*Mem:/.test(l));
  if (headerIndex < 0 || !memLine) {
    return null;
  }
  const header = all[headerIndex];
  const names = header.trim().split(/\s+/);
  const values = memLine.trim().split(/\s+/).slice(1);
  const get = (name: string): number | null => {
    const i = names.indexOf(name);
    return i >= 0 ? sizeToBytes(values[i], plainUnit) : null;
  };
  const total = get("total");
  if (total === null) {
    return null;
  }
  let available = get("available");
  let estimated = false;
  if (available === null) {
    const free = get("free") ?? 0;
    const cache = (get("buff/cache") ?? 0) + (get("buffers") ?? 0) + (get("cached") ?? 0);
    available = free + cache;
    estimated = true;
  }
  const swapLine = all.find((l) => /^\s*Swap:/.test(l)) ?? null;
  const swapValues = swapLine?.trim().split(/\s+/).slice(1) ?? [];
  return {
    totalBytes: total,
    usedBytes: get("used"),
    availableBytes: available,
    availableEstimated: estimated,
    swapTotalBytes: sizeToBytes(swapValues[0], plainUnit) ?? 0,
    swapUsedBytes: sizeToBytes(swapValues[1], plainUnit) ?? 0,
    header,
    memLine,
    swapLine,
  };
}
