// Real host faults staged on this machine — for the evaluation suite (eval/), the integration
// tests and the demo — each under a name chosen at random, each undone on every path.
//
//   const hog = await startCpuHog({ threads: 2, nice: -10 });   // comm e.g. "ledger-sync4q"
//   …
//   await hog.stop();
//
// What a staged process looks like: a hard link (else a symlink) of a real binary under the fault's
// own folder (`<home>/bin/<name>`), so `comm` in ps/top, `args` and /proc/PID/exe all show the
// name, as a real daemon would. Processes run in their own process group and die when the stager's
// end of their stdin closes (the stager crashed or was killed); stop() kills the whole group.
//
// Every resource a stager creates (process group, mount, folder, cgroup) is written to a ledger
// file (LEDGER_DIR/<pid>.json) before it exists and struck off after it is gone. sweepLeftovers()
// undoes the ledgers of stagers that died without cleaning up (a SIGKILLed test run), and
// installCleanupHandlers() undoes this process's own on SIGINT/SIGTERM/exit.
//
// Mounting, cgroups and namespaces need root: those stagers resolve `{ staged: false, reason }`
// instead of throwing, so a caller can skip and say why.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";

// ---- the ledger -----------------------------------------------------------------------------

export type LedgerEntry =
  /** A process group (pgid = the leader's pid), killed with SIGKILL. */
  | { kind: "group"; pgid: number; label: string }
  /** A mount point, unmounted lazily (its folder is a separate `path` entry). */
  | { kind: "mount"; path: string }
  /** A file or folder, removed recursively. */
  | { kind: "path"; path: string }
  /** A cgroup v1/v2 directory: thawed if frozen, its processes killed, then removed. */
  | { kind: "cgroup"; path: string };

interface LedgerFile {
  owner: number;
  /** The owner's start time (clock ticks since boot), so a recycled pid is not taken for it. */
  ownerStart: string;
  entries: { id: number; entry: LedgerEntry }[];
}

/** Root keeps ledgers in /run (gone after a reboot, as the faults are); others under the temp dir. */
export const LEDGER_DIR = process.getuid?.() === 0 ? "/run/atl-faults" : join(tmpdir(), "atl-faults");

/** The environment variable every staged process carries: `<owner pid>:<owner start>`. */
export const OWNER_ENV = "ATL_FAULT_OWNER";

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime), counted after the command name, which may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

const selfStart = processStart(process.pid) ?? "0";
const ownerTag = `${process.pid}:${selfStart}`;
const ledger: LedgerFile = { owner: process.pid, ownerStart: selfStart, entries: [] };
let nextEntryId = 1;

function ledgerPath(owner = process.pid): string {
  return join(LEDGER_DIR, `${owner}.json`);
}

function saveLedger(): void {
  if (ledger.entries.length === 0) {
    rmSync(ledgerPath(), { force: true });
    return;
  }
  mkdirSync(LEDGER_DIR, { recursive: true, mode: 0o700 });
  const file = ledgerPath();
  writeFileSync(`${file}.tmp`, JSON.stringify(ledger));
  // rename is atomic: a crash leaves the old or the new ledger, never half of one.
  renameSync(`${file}.tmp`, file);
}

/** Records a resource before it is created; returns the id to strike it off with. */
function remember(entry: LedgerEntry): number {
  const id = nextEntryId++;
  ledger.entries.push({ id, entry });
  saveLedger();
  return id;
}

function forget(id: number): void {
  const index = ledger.entries.findIndex((e) => e.id === id);
  if (index >= 0) {
    ledger.entries.splice(index, 1);
    saveLedger();
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function gone(pid: number): boolean {
  const state = processState(pid);
  return state === null || state === "Z" || state === "X";
}

/** The cgroup and every cgroup below it, deepest first. */
function cgroupTree(path: string): string[] {
  const below: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      below.push(...cgroupTree(join(path, entry.name)));
    }
  }
  return [...below, path];
}

/** Thaws a cgroup tree, kills every process in it, and removes it (deepest first). */
function removeCgroup(path: string): void {
  if (!existsSync(path)) {
    return;
  }
  const tree = cgroupTree(path);
  for (const group of tree) {
    // A frozen process cannot die: thaw first (v1 freezer, v2 cgroup.freeze).
    for (const [file, value] of [
      ["freezer.state", "THAWED"],
      ["cgroup.freeze", "0"],
    ] as const) {
      if (existsSync(join(group, file))) {
        try {
          writeFileSync(join(group, file), value);
        } catch {
          // Not ours to thaw (an inherited file): the kill below still runs.
        }
      }
    }
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = tree.flatMap((group) => {
      try {
        return readFileSync(join(group, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (pids.every(gone) || Date.now() > deadline) {
      break;
    }
    sleepSync(50);
  }
  for (const group of tree) {
    // A cgroup whose last task has just died can stay busy for a moment.
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        rmdirSync(group);
        break;
      } catch {
        if (!existsSync(group)) {
          break;
        }
        sleepSync(50);
      }
    }
  }
}

/** Undoes one resource synchronously (usable from an exit hook). Never throws. */
function undo(entry: LedgerEntry): void {
  try {
    switch (entry.kind) {
      case "group": {
        try {
          process.kill(-entry.pgid, "SIGKILL");
        } catch {
          // Already gone.
        }
        break;
      }
      case "mount": {
        spawnSync("umount", ["-l", entry.path], { stdio: "ignore" });
        break;
      }
      case "path": {
        rmSync(entry.path, { recursive: true, force: true, maxRetries: 3 });
        break;
      }
      case "cgroup": {
        removeCgroup(entry.path);
        break;
      }
    }
  } catch {
    // Best effort: the sweeper tries again next time.
  }
}

/** Undoes and forgets one resource. */
function release(id: number): void {
  const found = ledger.entries.find((e) => e.id === id);
  if (found) {
    undo(found.entry);
    forget(id);
  }
}

/** Undoes everything this process staged and has not stopped yet, newest first. */
export function releaseAll(): void {
  for (const { id } of [...ledger.entries].reverse()) {
    release(id);
  }
}

/**
 * One stager of whole scenarios at a time on a machine: two evaluation runs staging faults at once
 * would each see the other's (a CPU hog in the other's zombie question). Waits while another live
 * owner holds the lock (calling `onWait` once), takes it over from a dead one, and returns the
 * release. The lock is in the ledger folder; a crashed holder is detected by its pid and start time.
 */
export async function acquireStagingLock(onWait?: (holder: string) => void): Promise<() => void> {
  mkdirSync(LEDGER_DIR, { recursive: true, mode: 0o700 });
  const file = join(LEDGER_DIR, "staging.lock");
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, `${ownerTag} ${process.argv.slice(1).join(" ")}`, { flag: "wx" });
      return () => {
        try {
          if (readFileSync(file, "utf8").startsWith(`${ownerTag} `)) {
            rmSync(file, { force: true });
          }
        } catch {
          // Already gone.
        }
      };
    } catch {
      let holder: string;
      try {
        holder = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      const [owner, start] = (holder.split(" ")[0] ?? "").split(":");
      if (processStart(Number(owner)) !== start) {
        rmSync(file, { force: true });
        continue;
      }
      if (!told) {
        told = true;
        onWait?.(holder);
      }
      await delay(2000);
    }
  }
}

let handlersInstalled = false;

/**
 * Undo this process's faults when it is interrupted (SIGINT, SIGTERM, SIGHUP) or exits, then exit
 * with the conventional code. A runner calls this once before staging anything.
 */
export function installCleanupHandlers(onSignal?: (signal: NodeJS.Signals) => void): void {
  if (handlersInstalled) {
    return;
  }
  handlersInstalled = true;
  process.on("exit", releaseAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      onSignal?.(signal);
      releaseAll();
      process.exit(signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 129);
    });
  }
}

/**
 * Undoes what stagers that died without cleaning up left behind: every ledger whose owner is gone,
 * and every process still carrying a dead owner's OWNER_ENV tag. Returns one line per thing undone.
 */
export function sweepLeftovers(): string[] {
  const swept: string[] = [];
  const files = existsSync(LEDGER_DIR) ? readdirSync(LEDGER_DIR).filter((f) => f.endsWith(".json")) : [];
  const liveOwner = (owner: number, start: string): boolean => owner === process.pid || processStart(owner) === start;
  for (const file of files) {
    let data: LedgerFile;
    try {
      data = JSON.parse(readFileSync(join(LEDGER_DIR, file), "utf8")) as LedgerFile;
    } catch {
      rmSync(join(LEDGER_DIR, file), { force: true });
      continue;
    }
    if (liveOwner(data.owner, data.ownerStart)) {
      continue;
    }
    for (const { entry } of [...data.entries].reverse()) {
      undo(entry);
      swept.push(`${entry.kind} ${entry.kind === "group" ? `${entry.pgid} (${entry.label})` : entry.path}`);
    }
    rmSync(join(LEDGER_DIR, file), { force: true });
  }
  // Processes that escaped their group (or a ledger written too late) still carry the tag.
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number)) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue;
    }
    const tag = environ.split("\0").find((v) => v.startsWith(`${OWNER_ENV}=`));
    if (!tag) {
      continue;
    }
    const [owner, start] = tag.slice(OWNER_ENV.length + 1).split(":");
    if (!liveOwner(Number(owner), start ?? "")) {
      try {
        process.kill(pid, "SIGKILL");
        swept.push(`process ${pid}`);
      } catch {
        // Gone meanwhile.
      }
    }
  }
  return swept;
}

// ---- names ----------------------------------------------------------------------------------

const APPS = [
  "ledger", "billing", "invoice", "thumbs", "reindex", "catalog", "checkout", "payout", "geoip", "quota",
  "render", "archive", "notifier", "webhook", "exporter", "planner", "ingest", "indexer", "mailer", "pricing",
  "session", "recon", "audit", "crawler", "resizer", "tracker", "metering", "uploader", "dispatch", "feeds",
  "orders", "search", "ratings", "tiles", "payroll", "tickets", "coupons", "inbox", "ads", "stock",
];
const ROLES = ["-worker", "-sync", "-svc", "d", "-agent", "-runner", "-job", "-api", "-srv", "-relay", "-pump", "-cron"];

function randomTag(length: number): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  let tag = "";
  for (let i = 0; i < length; i++) {
    tag += alphabet[randomInt(alphabet.length)];
  }
  return tag;
}

function pick<T>(items: readonly T[]): T {
  return items[randomInt(items.length)];
}

function runningNames(): Set<string> {
  const names = new Set<string>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      names.add(readFileSync(`/proc/${pid}/comm`, "utf8").trim());
    } catch {
      // Exited meanwhile.
    }
  }
  return names;
}

/** An application name such as "payout" or "geoip". */
export function randomApp(): string {
  return pick(APPS);
}

/**
 * A daemon-like process name no running process has (≤ 15 characters, what `comm` keeps):
 * "<app><role><tag>", e.g. "payout-sync7k", "geoipd3q".
 */
export function randomProcessName(app = randomApp()): string {
  const taken = runningNames();
  for (;;) {
    const name = `${app}${pick(ROLES)}${randomTag(randomInt(1, 3))}`.slice(0, 15);
    if (!taken.has(name) && !/-$/.test(name)) {
      return name;
    }
  }
}

/** A free TCP port on 127.0.0.1 in the unprivileged range, chosen at random (not the kernel's next). */
export async function randomFreePort(host = "127.0.0.1"): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 60_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) {
      return port;
    }
  }
}

/** A loopback address other than 127.0.0.1 (Linux routes all of 127/8 to lo). */
export function randomLoopbackAddress(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
}

// ---- where a fault lives ----------------------------------------------------------------------

export interface FaultHomeOptions {
  /**
   * Where the fault's folder goes. Default: a fresh temp folder. The evaluation passes "/opt" (or
   * "/srv" for data) so paths look like a real host's; the folder must not exist yet.
   */
  root?: string;
}

/** A folder the fault owns (in the ledger until removed). */
class FaultHome {
  readonly dir: string;
  private readonly entryId: number;

  constructor(app: string, options: FaultHomeOptions = {}) {
    if (options.root) {
      // Only a folder that does not exist yet: everything in it is removed at the end.
      let dir = join(options.root, app);
      while (existsSync(dir)) {
        dir = join(options.root, `${app}-${randomTag(3)}`);
      }
      this.dir = dir;
      this.entryId = remember({ kind: "path", path: this.dir });
      mkdirSync(this.dir, { recursive: true });
    } else {
      this.dir = mkdtempSync(join(tmpdir(), `${app}-`));
      this.entryId = remember({ kind: "path", path: this.dir });
    }
  }

  /** `<dir>/bin/<name>`: a hard link of `binary` (a symlink across file systems). */
  executable(binary: string, name: string): string {
    const bin = join(this.dir, "bin");
    mkdirSync(bin, { recursive: true });
    const path = join(bin, name);
    try {
      linkSync(binary, path);
    } catch {
      symlinkSync(binary, path);
    }
    return path;
  }

  write(relative: string, content: string | Buffer): string {
    const path = join(this.dir, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  remove(): void {
    release(this.entryId);
  }
}

function binary(name: string): string {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    if (existsSync(join(dir, name))) {
      return join(dir, name);
    }
  }
  throw new Error(`${name} is not installed`);
}

// ---- staged processes -----------------------------------------------------------------------

export interface StagedProcess {
  /** The process name (`comm`) as ps and top show it. */
  name: string;
  pid: number;
  /** What the process reported when ready (ports, paths, counts). */
  facts: Record<string, string | number>;
  stop: () => Promise<void>;
}

export type Unavailable = { staged: false; reason: string };

export interface NamedProcessOptions extends FaultHomeOptions {
  name?: string;
  app?: string;
  /** Extra arguments shown after the script in `args` (like a daemon's flags). */
  args?: string[];
  /** Nice value (negative needs root; ignored when not permitted). */
  nice?: number;
  /** How long to wait for "ready" (ms). Default 60 s. */
  readyTimeoutMs?: number;
  /**
   * Run as init of a new pid namespace (root only; ignored otherwise), so the kernel kills and
   * reaps everything it started when it dies — this machine's pid 1 may leave orphans' zombies.
   */
  pidNamespace?: boolean;
}

/** `argv` as init of a new pid namespace where root may; `argv` itself otherwise. */
function inPidNamespace(argv: string[], wanted: boolean | undefined): string[] {
  return wanted && process.getuid?.() === 0 && existsSync("/usr/bin/unshare") ? ["unshare", "--pid", "--fork", "--kill-child", ...argv] : argv;
}

/** The host pid of the process named `comm` in process group `pgid` (pids inside a namespace differ). */
async function hostPid(comm: string, pgid: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = findProcess((p) => p.comm === comm && p.pgid === pgid);
    if (pid !== null) {
      return pid;
    }
    if (Date.now() > deadline) {
      throw new Error(`no process ${comm} in process group ${pgid}`);
    }
    await delay(50);
  }
}

/**
 * The preamble of every staged Node script: it reports `ready` with its facts and kills its whole
 * process group when its stdin closes (the stager is gone), so nothing outlives a crashed run.
 */
const PRELUDE = `"use strict";
const __die = () => { if (process.pid !== 1) { try { process.kill(-process.pid, "SIGKILL"); } catch {} } process.exit(0); };
process.stdin.on("end", __die);
process.stdin.on("error", __die);
process.stdin.resume();
const ready = (facts) => process.stdout.write("ready " + JSON.stringify(facts || {}) + "\\n");
`;

interface SpawnedStaged {
  child: ChildProcess;
  facts: Record<string, string | number>;
  stop: () => Promise<void>;
}

/** Spawns `argv` in its own process group with the owner tag; resolves on its "ready {json}" line. */
function spawnStaged(argv: string[], label: string, options: { readyTimeoutMs?: number; home?: FaultHome; cwd?: string; waitReady?: boolean } = {}): Promise<SpawnedStaged> {
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
    cwd: options.cwd ?? "/",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", [OWNER_ENV]: ownerTag },
  });
  const pgid = child.pid ?? -1;
  const entryId = remember({ kind: "group", pgid, label });
  let stopped: Promise<void> | null = null;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
    }
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      release(entryId);
      child.stdin?.destroy();
      await exited;
      // Members of the group (a namespace's processes) die a moment after its leader.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && findProcess((p) => p.pgid === pgid) !== null) {
        await delay(50);
      }
      options.home?.remove();
    })();
    return stopped;
  };
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  if (options.waitReady === false) {
    // Nobody reads its output: drain it, or a full pipe would block the process.
    child.stdout?.resume();
    return Promise.resolve({ child, facts: {}, stop });
  }
  return new Promise((resolve, reject) => {
    let out = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${label}: ${why}${stderr ? `\n${stderr}` : ""}`)));
    };
    const timer = setTimeout(() => fail("not ready in time"), options.readyTimeoutMs ?? 60_000);
    const onError = (error: Error): void => fail(error.message);
    const onExit = (code: number | null, signal: string | null): void => fail(`exited at start (${code ?? signal})`);
    child.once("error", onError);
    child.once("exit", onExit);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /^ready (.*)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        child.off("exit", onExit);
        child.off("error", onError);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({ child, facts: JSON.parse(match[1] ?? "{}") as Record<string, string | number>, stop });
      }
    };
    child.stdout?.on("data", onData);
  });
}

/**
 * A Node program running under `name`: the node binary linked as `<home>/bin/<name>`, the script
 * in `<home>/lib/<app>.js`. Its `ready({...})` call resolves this with the facts it passes.
 */
export async function startNamedNode(body: string, options: NamedProcessOptions = {}): Promise<StagedProcess> {
  const app = options.app ?? randomApp();
  const name = options.name ?? randomProcessName(app);
  if (Buffer.byteLength(name) > 15) {
    throw new Error(`The process name ${name} is longer than the 15 characters comm keeps.`);
  }
  const home = new FaultHome(app, options);
  try {
    const exe = home.executable(process.execPath, name);
    const nice = Math.floor(options.nice ?? 0);
    // The autogroup nice matters as much as the process nice: Linux weighs each session's group.
    const niceCode = nice === 0 ? "" : `try { require("node:fs").writeFileSync("/proc/self/autogroup", "${nice}"); } catch {}\ntry { require("node:os").setPriority(${nice}); } catch {}\n`;
    const script = home.write(join("lib", `${app}.js`), `${PRELUDE}${niceCode}${body}\n`);
    const argv = inPidNamespace([exe, script, ...(options.args ?? [])], options.pidNamespace);
    const staged = await spawnStaged(argv, name, { home, readyTimeoutMs: options.readyTimeoutMs });
    const pid = argv[0] === "unshare" ? await hostPid(name, staged.child.pid ?? -1) : (staged.child.pid ?? -1);
    return { name, pid, facts: staged.facts, stop: staged.stop };
  } catch (error) {
    home.remove();
    throw error;
  }
}

// ---- the faults -----------------------------------------------------------------------------

export interface CpuHogOptions extends NamedProcessOptions {
  /** Threads spinning (default: one per CPU, so the hog dominates every core). */
  threads?: number;
}

/**
 * A runaway process spinning `threads` cores at ~100 % user CPU each (worker threads). A negative
 * `nice` (root only) keeps it the top consumer on a machine busy with other work, as a runaway
 * is on a production host.
 */
export async function startCpuHog(options: CpuHogOptions = {}): Promise<StagedProcess & { threads: number }> {
  const threads = Math.max(1, Math.floor(options.threads ?? cpus().length));
  const staged = await startNamedNode(
    `const { Worker } = require("node:worker_threads");
     for (let i = 0; i < ${threads}; i++) { new Worker("for (;;) { Math.sqrt(Math.random()); }", { eval: true }); }
     ready({ pid: process.pid, threads: ${threads} });`,
    { args: ["--workers", String(threads)], ...options },
  );
  return { ...staged, threads };
}

/** A process holding `bytes` of resident memory (every page touched) and otherwise idle. */
export function startMemoryHog(bytes: number, options: NamedProcessOptions = {}): Promise<StagedProcess> {
  return startNamedNode(
    `const keep = []; let left = ${Math.floor(bytes)};
     while (left > 0) { const n = Math.min(left, 256 << 20); const b = Buffer.allocUnsafe(n); b.fill(7); keep.push(b); left -= n; }
     globalThis.keep = keep;
     ready({ pid: process.pid, bytes: ${Math.floor(bytes)} });
     setInterval(() => { for (const b of keep) { b[0]++; } }, 60000);`,
    { args: ["--cache-size", `${Math.round(bytes / 1024 ** 2)}m`], ...options },
  );
}

/** One process holding `count` open file descriptors (its own log and data files, never closed). */
export function startFdHog(count: number, options: NamedProcessOptions = {}): Promise<StagedProcess & { dataDir: string }> {
  return startNamedNode(
    `const fs = require("node:fs"); const path = require("node:path");
     const dir = path.join(__dirname, "..", "spool"); fs.mkdirSync(dir, { recursive: true });
     const fds = [];
     for (let i = 0; i < ${Math.floor(count)}; i++) {
       const file = path.join(dir, "segment-" + (i % 64) + ".dat");
       fds.push(fs.openSync(file, "a+"));
     }
     globalThis.fds = fds;
     ready({ pid: process.pid, fds: fds.length, dataDir: dir });`,
    options,
  ).then((p) => ({ ...p, dataDir: String(p.facts.dataDir) }));
}

/**
 * Synchronous writes: `chunkKiB` written then fdatasync'd in a loop over a file of at most
 * `fileMiB`, on a real disk (not tmpfs, where fdatasync is free). The file lives under `dir`.
 */
export function startSyncWriter(options: NamedProcessOptions & { dir?: string; chunkKiB?: number; fileMiB?: number } = {}): Promise<StagedProcess & { file: string }> {
  const chunk = Math.floor(options.chunkKiB ?? 512) * 1024;
  const size = Math.floor(options.fileMiB ?? 64) * 1024 * 1024;
  return startNamedNode(
    `const fs = require("node:fs"); const path = require("node:path");
     const { Worker } = require("node:worker_threads");
     const dir = ${options.dir ? JSON.stringify(options.dir) : 'path.join(__dirname, "..", "data")'};
     fs.mkdirSync(dir, { recursive: true });
     const file = path.join(dir, "journal.wal");
     new Worker(\`
       const fs = require("node:fs");
       const fd = fs.openSync(\${JSON.stringify(file)}, "w");
       const buf = Buffer.alloc(${chunk}, 7);
       let off = 0;
       for (;;) { buf[0] = off & 255; fs.writeSync(fd, buf, 0, buf.length, off); fs.fdatasyncSync(fd); off = (off + buf.length) % ${size}; }
     \`, { eval: true });
     ready({ pid: process.pid, file });`,
    { args: ["--fsync", "always"], ...options },
  ).then((p) => ({ ...p, file: String(p.facts.file) }));
}

/**
 * `count` processes of one binary (`sleep` linked as `name`), started by a parent that keeps
 * them: the shape of a fork leak heading for pid exhaustion.
 */
export async function startProcessFlood(count: number, options: NamedProcessOptions & { parentName?: string } = {}): Promise<StagedProcess & { parent: { name: string; pid: number }; count: number }> {
  const app = options.app ?? randomApp();
  const name = options.name ?? randomProcessName(app);
  let parentName = options.parentName ?? randomProcessName(app);
  while (parentName === name) {
    parentName = randomProcessName(app);
  }
  const home = new FaultHome(app, options);
  try {
    const sleeper = home.executable(binary("sleep"), name);
    const parent = await startNamedNode(
      `const { spawn } = require("node:child_process");
       const kids = [];
       for (let i = 0; i < ${Math.floor(count)}; i++) {
         kids.push(spawn(${JSON.stringify(sleeper)}, ["86400"], { stdio: "ignore" }));
       }
       ready({});`,
      { ...options, app, name: parentName, args: ["--spawn", "on-demand"], pidNamespace: true },
    );
    return {
      name,
      pid: await hostPid(name, (await pgidOf(parent.pid)) ?? parent.pid),
      facts: parent.facts,
      parent: { name: parentName, pid: parent.pid },
      count,
      stop: async () => {
        await parent.stop();
        home.remove();
      },
    };
  } catch (error) {
    home.remove();
    throw error;
  }
}

/**
 * A parent with `count` zombie children: it forks them, they exit, it never reaps them. Perl forks
 * (it never reaps unless told to), each child execs `true` linked as the children's name, and the
 * parent execs `sleep` linked as `name`, which never waits either. It runs as init of a new pid
 * namespace where root may, so the kernel reaps the zombies when it dies (this machine's pid 1 may
 * not reap orphans promptly).
 */
export async function startZombieParent(count: number, options: NamedProcessOptions & { childName?: string } = {}): Promise<StagedProcess & { children: string; count: number }> {
  const app = options.app ?? randomApp();
  const name = options.name ?? randomProcessName(app);
  let childName = options.childName ?? randomProcessName(app);
  while (childName === name) {
    childName = randomProcessName(app);
  }
  const home = new FaultHome(app, options);
  try {
    const parentExe = home.executable(binary("sleep"), name);
    const childExe = home.executable(binary("true"), childName);
    const script = `$| = 1;
      for (1 .. ${Math.floor(count)}) { my $pid = fork; die "fork: $!" unless defined $pid; if ($pid == 0) { exec { $ARGV[0] } $ARGV[0]; exit 0; } }
      print "ready {}\n";
      exec { $ARGV[1] } $ARGV[1], "86400";`;
    const staged = await spawnStaged(inPidNamespace([binary("perl"), "-e", script, childExe, parentExe], true), name, { home });
    const pid = await hostPid(name, staged.child.pid ?? -1);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && countProcesses((p) => p.ppid === pid && p.state === "Z") < count) {
      await delay(50);
    }
    return { name, pid, facts: { children: childName, count }, children: childName, count, stop: staged.stop };
  } catch (error) {
    home.remove();
    throw error;
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  comm: string;
}

function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, comm, state: rest[0] ?? "", ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return null;
  }
}

function allProcesses(): ProcInfo[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procInfo(Number(d)))
    .filter((p): p is ProcInfo => p !== null);
}

function pgidOf(pid: number): Promise<number | null> {
  return Promise.resolve(procInfo(pid)?.pgid ?? null);
}

function findProcess(match: (p: ProcInfo) => boolean): number | null {
  return allProcesses().find(match)?.pid ?? null;
}

function countProcesses(match: (p: ProcInfo) => boolean): number {
  return allProcesses().filter(match).length;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP service listening on `host:port` (a random free port by default) under a random name. */
export async function startService(options: NamedProcessOptions & { port?: number; host?: string; backlog?: number } = {}): Promise<StagedProcess & { port: number }> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await randomFreePort(host));
  const staged = await startNamedNode(
    `const net = require("node:net");
     const sockets = new Set();
     const s = net.createServer((c) => { sockets.add(c); c.on("error", () => {}); c.on("close", () => sockets.delete(c)); c.write("ok\\n"); });
     s.maxConnections = 100000;
     s.listen({ port: ${port}, host: ${JSON.stringify(host)}, backlog: ${Math.floor(options.backlog ?? 4096)} }, () => ready({ pid: process.pid, port: s.address().port }));`,
    { args: ["--listen", `${host}:${port}`], ...options },
  );
  return { ...staged, port: Number(staged.facts.port) };
}

/**
 * One client process holding `count` idle TCP connections to `port`, all from the local address
 * `from` (a loopback address of its own, so the connections can be told apart from others').
 */
export function startConnectionHog(port: number, count: number, options: NamedProcessOptions & { from?: string; host?: string } = {}): Promise<StagedProcess & { from: string }> {
  const from = options.from ?? randomLoopbackAddress();
  return startNamedNode(
    `const net = require("node:net");
     const socks = []; let open = 0; let failed = 0; let started = 0;
     const want = ${Math.floor(count)};
     function next() {
       if (started - failed >= want) { return; }
       started++;
       const c = net.connect({ port: ${port}, host: ${JSON.stringify(options.host ?? "127.0.0.1")}, localAddress: ${JSON.stringify(from)} });
       c.on("connect", () => { open++; socks.push(c); if (open === want) { ready({ pid: process.pid, open, from: ${JSON.stringify(from)} }); } else { next(); } });
       c.on("error", () => { failed++; next(); });
       c.on("data", () => {});
     }
     for (let i = 0; i < 50; i++) { next(); }
     setTimeout(() => { if (open < want) { process.stderr.write("only " + open + " of " + want + " connections (" + failed + " failed)\\n"); process.exit(3); } }, 50000);`,
    { args: ["--target", `127.0.0.1:${port}`, "--pool", String(count)], ...options },
  ).then((p) => ({ ...p, from }));
}

/** A service that was listening and crashed (SIGKILL): nothing listens on its port any more. */
export async function stageDeadListener(options: NamedProcessOptions & { port?: number } = {}): Promise<{ name: string; port: number; crashedPid: number }> {
  const service = await startService(options);
  await service.stop();
  return { name: service.name, port: service.port, crashedPid: service.pid };
}

// ---- file systems ---------------------------------------------------------------------------

function run(command: string, args: string[]): { code: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
  return { code: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? result.error.message : ""}` };
}

export interface StagedMount {
  staged: true;
  mountPoint: string;
  stop(): Promise<void>;
}

/** A tmpfs of its own (never the real root fs), mounted at `<root>/<name>` (the folder is created). */
function mountTmpfs(mountPoint: string, mountOptions: string): StagedMount | Unavailable {
  if (existsSync(mountPoint)) {
    // Never mount over (and later remove) a folder the fault did not create.
    return { staged: false, reason: `${mountPoint} already exists` };
  }
  const folderId = remember({ kind: "path", path: mountPoint });
  mkdirSync(mountPoint, { recursive: true });
  const mountId = remember({ kind: "mount", path: mountPoint });
  const mounted = run("mount", ["-t", "tmpfs", "-o", mountOptions, "tmpfs", mountPoint]);
  if (mounted.code !== 0) {
    forget(mountId);
    release(folderId);
    return { staged: false, reason: `mounting a tmpfs is not permitted here (${mounted.output.trim() || `exit ${mounted.code}`}); run as root` };
  }
  let stopped = false;
  return {
    staged: true,
    mountPoint,
    stop: () => {
      if (!stopped) {
        stopped = true;
        release(mountId);
        release(folderId);
      }
      return Promise.resolve();
    },
  };
}

export interface StagedFullFilesystem extends StagedMount {
  /** The directory holding the file that fills it. */
  fillDir: string;
  fillFile: string;
  sizeBytes: number;
}

/**
 * A `sizeMiB` tmpfs filled to about `fillPercent` % by one file in a directory of random names,
 * with a few small files beside it (so `du` has something to rank). Default mount: a temp folder;
 * `root: "/srv"` mounts at /srv/<random>.
 */
export async function stageFullFilesystem(options: { sizeMiB?: number; fillPercent?: number; root?: string; app?: string } = {}): Promise<StagedFullFilesystem | Unavailable> {
  const sizeMiB = options.sizeMiB ?? 64;
  const fillPercent = options.fillPercent ?? 97;
  const app = options.app ?? randomApp();
  const mountPoint = options.root ? join(options.root, `${app}-${pick(["data", "store", "vol", "spool"])}${randomTag(2)}`) : join(tmpdir(), `${app}-data-${randomTag(8)}`);
  const mount = mountTmpfs(mountPoint, `size=${sizeMiB}m,mode=0755`);
  if (!mount.staged) {
    return mount;
  }
  try {
    const fillDir = join(mountPoint, pick(["logs", "exports", "dumps", "tmp", "spool", "backups"]), `${app}-${randomTag(4)}`);
    mkdirSync(fillDir, { recursive: true });
    mkdirSync(join(mountPoint, "conf"), { recursive: true });
    writeFileSync(join(mountPoint, "conf", "settings.json"), JSON.stringify({ app, retention: "7d" }));
    mkdirSync(join(mountPoint, "cache"), { recursive: true });
    writeFileSync(join(mountPoint, "cache", "index.db"), Buffer.alloc(256 * 1024, 1));
    const sizeBytes = Math.floor((sizeMiB * 1024 * 1024 * fillPercent) / 100) - 256 * 1024;
    const fillFile = join(fillDir, `${pick(["export", "dump", "trace", "batch", "snapshot"])}-${randomTag(6)}.${pick(["log", "bin", "csv", "json"])}`);
    const file = await open(fillFile, "w");
    try {
      const block = Buffer.alloc(1024 * 1024, "x");
      for (let left = sizeBytes; left > 0; left -= block.length) {
        await file.write(block, 0, Math.min(left, block.length));
      }
    } finally {
      await file.close();
    }
    return { ...mount, fillDir, fillFile, sizeBytes };
  } catch (error) {
    void mount.stop();
    throw error;
  }
}

export interface StagedInodeTable extends StagedMount {
  /** The directory holding almost all of the files. */
  fillDir: string;
  files: number;
  inodes: number;
}

/**
 * A tmpfs with a small inode table (`nr_inodes`) filled with empty files in one directory of random
 * name until only a few inodes are left — "no space left on device" with plenty of bytes free.
 */
export async function stageFullInodeTable(options: { inodes?: number; root?: string; app?: string } = {}): Promise<StagedInodeTable | Unavailable> {
  const inodes = options.inodes ?? 4000;
  const app = options.app ?? randomApp();
  const mountPoint = options.root ? join(options.root, `${app}-${pick(["cache", "queue", "sessions", "mail"])}${randomTag(2)}`) : join(tmpdir(), `${app}-data-${randomTag(8)}`);
  const mount = mountTmpfs(mountPoint, `size=256m,nr_inodes=${inodes},mode=0755`);
  if (!mount.staged) {
    return mount;
  }
  try {
    mkdirSync(join(mountPoint, "conf"));
    writeFileSync(join(mountPoint, "conf", "settings.json"), "{}");
    const fillDir = join(mountPoint, pick(["sessions", "queue", "thumbs", "tmp", "outbox"]), randomTag(4));
    mkdirSync(fillDir, { recursive: true });
    let files = 0;
    // Leave a handful free: the table is full for any real workload, yet the test can still clean up.
    const target = inodes - 8;
    for (; files < target; files++) {
      try {
        await writeFile(join(fillDir, `${randomTag(10)}.${pick(["sess", "msg", "tmp"])}`), "");
      } catch {
        break;
      }
    }
    return { ...mount, fillDir, files, inodes };
  } catch (error) {
    void mount.stop();
    throw error;
  }
}

// ---- cgroups: OOM kills and frozen (D-state) processes ----------------------------------------

function cgroupRoot(controller: "memory" | "freezer"): { dir: string; version: 1 | 2 } | null {
  if (existsSync(`/sys/fs/cgroup/${controller}/cgroup.procs`)) {
    return { dir: `/sys/fs/cgroup/${controller}`, version: 1 };
  }
  try {
    if (readFileSync("/sys/fs/cgroup/cgroup.subtree_control", "utf8").includes(controller === "memory" ? "memory" : "")) {
      return { dir: "/sys/fs/cgroup", version: 2 };
    }
  } catch {
    // No cgroup v2 at /sys/fs/cgroup.
  }
  return null;
}

/** A fresh cgroup (in the ledger); throws when it cannot be made. */
function makeCgroup(controller: "memory" | "freezer", name: string): { path: string; version: 1 | 2; entryId: number } {
  const root = cgroupRoot(controller);
  if (!root) {
    throw new Error(`no writable ${controller} cgroup hierarchy`);
  }
  const path = join(root.dir, name);
  const entryId = remember({ kind: "cgroup", path });
  try {
    mkdirSync(path);
  } catch (error) {
    forget(entryId);
    throw error;
  }
  return { path, version: root.version, entryId };
}

export interface StagedOomKill {
  staged: true;
  name: string;
  /** The pids the kernel killed, in order. */
  pids: number[];
  /** The memory limit of the cgroup, bytes. */
  limitBytes: number;
  stop(): Promise<void>;
}

/**
 * Real kernel OOM kills: a process named `name` allocates past the limit of a fresh memory cgroup
 * and the kernel kills it, logging "Killed process PID (name)"; `kills` times, like a supervisor
 * restarting a leaking worker. Needs root and a memory cgroup (v1 or v2).
 */
export async function stageOomKill(options: NamedProcessOptions & { kills?: number; limitMiB?: number } = {}): Promise<StagedOomKill | Unavailable> {
  const app = options.app ?? randomApp();
  const name = options.name ?? randomProcessName(app);
  const limitBytes = Math.floor(options.limitMiB ?? 64) * 1024 * 1024;
  let group: ReturnType<typeof makeCgroup>;
  try {
    group = makeCgroup("memory", `${app}-${randomTag(6)}`);
  } catch (error) {
    return { staged: false, reason: `cannot create a memory cgroup (${(error as Error).message}); run as root` };
  }
  const cleanup = (): Promise<void> => {
    release(group.entryId);
    return Promise.resolve();
  };
  try {
    if (group.version === 1) {
      writeFileSync(join(group.path, "memory.limit_in_bytes"), String(limitBytes));
      try {
        writeFileSync(join(group.path, "memory.memsw.limit_in_bytes"), String(limitBytes));
      } catch {
        // No swap accounting: the limit alone applies.
      }
    } else {
      writeFileSync(join(group.path, "memory.max"), String(limitBytes));
      writeFileSync(join(group.path, "memory.swap.max"), "0");
    }
    const home = new FaultHome(app, options);
    const pids: number[] = [];
    try {
      const exe = home.executable(process.execPath, name);
      // The victim waits until it is in the cgroup, then allocates until the kernel kills it.
      const script = home.write(
        join("lib", `${app}.js`),
        `process.stdout.write("ready {}\\n");
         process.stdin.once("data", () => { const keep = []; for (;;) { const b = Buffer.allocUnsafe(8 << 20); b.fill(1); keep.push(b); } });`,
      );
      for (let i = 0; i < Math.max(1, options.kills ?? 2); i++) {
        const victim = await spawnStaged([exe, "--max-old-space-size=4096", script, "--batch", "nightly"], name, {});
        const pid = victim.child.pid ?? -1;
        writeFileSync(join(group.path, "cgroup.procs"), String(pid));
        const signal = await new Promise<string | null>((resolve) => {
          victim.child.once("exit", (_code, sig) => resolve(sig));
          victim.child.stdin?.write("go\n");
        });
        await victim.stop();
        if (signal !== "SIGKILL") {
          throw new Error(`the victim ended with ${signal ?? "an exit"} instead of an OOM kill`);
        }
        pids.push(pid);
      }
    } finally {
      home.remove();
    }
    return { staged: true, name, pids, limitBytes, stop: cleanup };
  } catch (error) {
    await cleanup();
    return { staged: false, reason: `cannot stage an OOM kill here (${(error as Error).message})` };
  }
}

export interface StagedFrozen {
  staged: true;
  name: string;
  pid: number;
  /** Threads of the process, each one task in uninterruptible sleep (each adds 1 to the load). */
  threads: number;
  stop(): Promise<void>;
}

/**
 * A process stuck in uninterruptible sleep (state D): a Node program with worker threads, frozen
 * by a cgroup freezer (the kernel parks each task in the refrigerator, shown as D). Needs root.
 */
export async function stageStuckProcess(options: NamedProcessOptions & { threads?: number } = {}): Promise<StagedFrozen | Unavailable> {
  const app = options.app ?? randomApp();
  let group: ReturnType<typeof makeCgroup>;
  try {
    group = makeCgroup("freezer", `${app}-${randomTag(6)}`);
  } catch (error) {
    return { staged: false, reason: `cannot create a freezer cgroup (${(error as Error).message}); run as root` };
  }
  try {
    const threads = Math.max(1, Math.floor(options.threads ?? 4));
    const staged = await startNamedNode(
      `const { Worker } = require("node:worker_threads");
       for (let i = 0; i < ${threads}; i++) { new Worker("setInterval(() => {}, 1000)", { eval: true }); }
       setTimeout(() => ready({ pid: process.pid }), 200);`,
      { ...options, app, args: ["--mount", "/mnt/shared"] },
    );
    writeFileSync(join(group.path, "cgroup.procs"), String(staged.pid));
    if (group.version === 1) {
      writeFileSync(join(group.path, "freezer.state"), "FROZEN");
    } else {
      writeFileSync(join(group.path, "cgroup.freeze"), "1");
    }
    const deadline = Date.now() + 30_000;
    while (processState(staged.pid) !== "D" && Date.now() < deadline) {
      await delay(50);
    }
    if (processState(staged.pid) !== "D") {
      release(group.entryId);
      await staged.stop();
      return { staged: false, reason: `the frozen process is in state ${processState(staged.pid) ?? "?"}, not D` };
    }
    const taskCount = readdirSync(`/proc/${staged.pid}/task`).length;
    return {
      staged: true,
      name: staged.name,
      pid: staged.pid,
      threads: taskCount,
      stop: async () => {
        // Thaw first: a frozen process cannot die.
        release(group.entryId);
        await staged.stop();
      },
    };
  } catch (error) {
    release(group.entryId);
    return { staged: false, reason: `cannot freeze a process here (${(error as Error).message})` };
  }
}

// ---- DNS: a dead resolver seen through a mount namespace ----------------------------------------

export interface StagedDeadResolver {
  staged: true;
  /** The nameserver the namespace's resolv.conf points at (nothing answers there). */
  nameserver: string;
  /** The resolv.conf bind-mounted over /etc/resolv.conf inside the namespace. */
  resolvConf: string;
  /** Prefix for a command line: it runs in a private mount namespace with that resolv.conf. */
  launcher: string[];
  stop(): Promise<void>;
}

/**
 * A resolver that does not answer, for whatever runs under `launcher` only: a resolv.conf pointing
 * at a loopback address where nothing listens, bind-mounted over /etc/resolv.conf inside a private
 * mount namespace (the machine's own resolv.conf is untouched). Needs root and unshare(1).
 */
export async function stageDeadResolver(options: { nameserver?: string } = {}): Promise<StagedDeadResolver | Unavailable> {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/unshare")) {
    return { staged: false, reason: "a private mount namespace needs root and unshare(1)" };
  }
  const nameserver = options.nameserver ?? randomLoopbackAddress();
  const dir = mkdtempSync(join(tmpdir(), "resolv-"));
  const entryId = remember({ kind: "path", path: dir });
  const resolvConf = join(dir, "resolv.conf");
  await writeFile(resolvConf, `# generated by the VPC resolver migration\nsearch ${randomApp()}.internal\nnameserver ${nameserver}\noptions timeout:2 attempts:2\n`, { mode: 0o644 });
  const probe = run("unshare", ["--mount", "--propagation", "private", "sh", "-c", `mount --bind "$0" /etc/resolv.conf && cat /etc/resolv.conf`, resolvConf]);
  if (probe.code !== 0 || !probe.output.includes(nameserver)) {
    release(entryId);
    return { staged: false, reason: `cannot bind-mount a resolv.conf in a mount namespace (${probe.output.trim()})` };
  }
  return {
    staged: true,
    nameserver,
    resolvConf,
    launcher: ["unshare", "--mount", "--propagation", "private", "sh", "-c", `mount --bind "$0" /etc/resolv.conf && exec "$@"`, resolvConf],
    stop: () => {
      release(entryId);
      return Promise.resolve();
    },
  };
}

/** Random bytes as hex (ids for alarm messages and the like). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

// ---- a systemd of its own: a container booting the host's OS tree read-only -------------------------

export interface SystemdUnit {
  /** File name, e.g. "ledger-sync.service". */
  name: string;
  content: string;
}

export interface StagedSystemdHost {
  staged: true;
  /** The container's systemd (pid 1 inside), as the host numbers it. */
  leader: number;
  /** Runs a command inside the container (all its namespaces): prefix for an argv. */
  launcher: string[];
  /** A folder at the same path inside and outside the container (for programs, keys, logs). */
  shared: string;
  stop(): Promise<void>;
}

/** Units the container never starts, whatever pulls them in: none may touch the host. */
const MASKED_IN_CONTAINER = [
  "systemd-tmpfiles-setup.service",
  "systemd-tmpfiles-setup-dev.service",
  "systemd-tmpfiles-clean.timer",
  "systemd-sysctl.service",
  "systemd-sysusers.service",
  "systemd-update-utmp.service",
  "systemd-remount-fs.service",
  "systemd-random-seed.service",
  "systemd-machine-id-commit.service",
  "systemd-firstboot.service",
  "systemd-binfmt.service",
  "systemd-journal-flush.service",
  "systemd-modules-load.service",
];


/**
 * A host whose pid 1 is systemd, for faults that need one (a failed unit), on a machine whose own
 * pid 1 is not: systemd-nspawn boots this machine's OS on a fresh tmpfs root with the host's /usr
 * and /etc read-only (nothing the container does reaches the host's /tmp, /etc or /var), with a
 * private pid, mount, UTS and IPC namespace, the host's network (so an agent inside listens on the
 * host's loopback), and only `units` started (target `atl-eval.target`, no sysinit, the
 * tmpfiles/sysctl/sysusers… units masked). Needs root and systemd-container. The container lives in
 * cgroups of its own: removing them ends it even when nspawn was SIGKILLed (its systemd survives
 * nspawn).
 *
 * `units(shared)` writes what the units run under `shared` (bind-mounted at the same path) and
 * returns the unit files.
 */
export async function startSystemdHost(units: (shared: string) => SystemdUnit[], options: { app?: string; bootTimeoutMs?: number } = {}): Promise<StagedSystemdHost | Unavailable> {
  if (process.getuid?.() !== 0) {
    return { staged: false, reason: "booting a systemd container needs root" };
  }
  if (!existsSync("/usr/bin/systemd-nspawn")) {
    return { staged: false, reason: "systemd-nspawn is not installed (apt-get install systemd-container)" };
  }
  if (!existsSync("/sys/fs/cgroup/systemd/cgroup.procs") && !existsSync("/sys/fs/cgroup/cgroup.procs")) {
    return { staged: false, reason: "no systemd cgroup hierarchy to run a container in" };
  }
  const tag = randomTag(6);
  const machine = `${options.app ?? randomApp()}-${tag}`;
  // /var/lib: no tmpfiles rule of the container touches it (and none runs: masked).
  const shared = `/var/lib/atl-eval-${tag}`;
  const sharedId = remember({ kind: "path", path: shared });
  mkdirSync(join(shared, "units"), { recursive: true });
  // The container lives in cgroups of its own, so removing them ends every process it started.
  const cgroups: number[] = [];
  const cleanup = (): void => {
    for (const id of [...cgroups].reverse()) {
      release(id);
    }
    release(sharedId);
  };
  try {
    const own = units(shared);
    const target: SystemdUnit = {
      name: "atl-eval.target",
      content: `[Unit]\nDescription=Evaluation host\nDefaultDependencies=no\nWants=systemd-journald.service ${own.map((u) => u.name).join(" ")}\n`,
    };
    const binds: string[] = [];
    for (const unit of [...own, target]) {
      const file = join(shared, "units", unit.name);
      writeFileSync(file, unit.content);
      // /run/systemd/system: a unit folder systemd reads, on the container's own tmpfs.
      binds.push(`--bind-ro=${file}:/run/systemd/system/${unit.name}`);
    }
    const groupPaths: string[] = [];
    for (const hierarchy of ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]) {
      if (existsSync(join(hierarchy, "cgroup.procs"))) {
        const path = join(hierarchy, `atl-eval-${tag}`);
        cgroups.push(remember({ kind: "cgroup", path }));
        mkdirSync(path);
        groupPaths.push(path);
      }
    }
    const nspawn = [
      "systemd-nspawn",
      "--quiet",
      "--register=no",
      "--keep-unit",
      `--machine=${machine}`,
      // The root is a fresh tmpfs with this machine's /usr (volatile) and /etc, both read-only.
      "--directory=/",
      "--volatile=yes",
      "--bind-ro=/etc",
      "--link-journal=no",
      "--resolv-conf=off",
      "--timezone=off",
      "--console=read-only",
      `--bind=${shared}`,
      ...binds,
      "--boot",
      "systemd.unit=atl-eval.target",
      ...MASKED_IN_CONTAINER.map((u) => `systemd.mask=${u}`),
    ];
    // The shell joins the cgroups, then becomes nspawn.
    const script = `${groupPaths.map((p) => `echo $$ > ${p}/cgroup.procs`).join(" && ")} && exec "$@"`;
    const staged = await spawnStaged(["sh", "-c", script, "sh", ...nspawn], machine, { waitReady: false });
    const nspawnPid = staged.child.pid ?? -1;
    const deadline = Date.now() + (options.bootTimeoutMs ?? 120_000);
    let leader: number | null = null;
    while (leader === null && Date.now() < deadline) {
      leader = findProcess((p) => p.ppid === nspawnPid && p.comm === "systemd");
      if (leader === null) {
        if (gone(nspawnPid)) {
          throw new Error(`systemd-nspawn exited at start`);
        }
        await delay(200);
      }
    }
    if (leader === null) {
      throw new Error("the container's systemd did not start");
    }
    const launcher = ["nsenter", "-t", String(leader), "-a", "--wd=/"];
    // Booted when the target is active (or the boot is over one way or another).
    let state = "";
    while (Date.now() < deadline) {
      state = run(launcher[0], [...launcher.slice(1), "systemctl", "is-system-running"]).output.trim();
      if (["running", "degraded"].includes(state)) {
        break;
      }
      await delay(500);
    }
    if (!["running", "degraded"].includes(state)) {
      throw new Error(`the container did not finish booting (${state || "no answer"})`);
    }
    return {
      staged: true,
      leader,
      launcher,
      shared,
      stop: async () => {
        // A clean power-off first (SIGTERM: nspawn asks the container's systemd to halt), then the cgroups.
        try {
          process.kill(nspawnPid, "SIGTERM");
        } catch {
          // Already gone.
        }
        const until = Date.now() + 20_000;
        while (!gone(nspawnPid) && Date.now() < until) {
          await delay(200);
        }
        await staged.stop();
        cleanup();
      },
    };
  } catch (error) {
    cleanup();
    return { staged: false, reason: `cannot boot a systemd container here (${(error as Error).message})` };
  }
}
