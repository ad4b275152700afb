// Runs node:test files for `npm test` (the node layer) and the UI layer's runner: each file in its
// own process and process group, a few at a time, under a deadline. Counts come from a reporter of
// our own (scripts/lib/testReporter.mts) rather than from parsing text, so failed and cancelled
// tests are counted exactly; a file that crashes, exits non-zero without a failed test, or is
// killed at its deadline is a failure too, with the tests it was running named. When a file's
// process ends, whatever it left running in its process group is listed and killed.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { killGroup } from "../../src/shared/processGroup";
import type { ReporterLine } from "./testReporter.mjs";
import { repoRoot } from "./setup";

export interface Counts {
  passed: number;
  /** Failed tests, cancelled ones included, plus files and hooks that failed outside any test. */
  failed: number;
  /** Of `failed`: tests cancelled by a failing parent, a timeout or the file's deadline. */
  cancelled: number;
  /** Skipped and todo tests. */
  skipped: number;
}

export interface FileResult extends Counts {
  file: string;
  seconds: number;
  /** What went wrong, one line each: failed tests with their first message lines, file problems. */
  problems: string[];
}

export interface RunOptions {
  /** Processes at once. */
  concurrency: number;
  /**
   * Run the files in this many shared processes instead of one process each (the unit layer:
   * files that start no process and change no global state). The deadline is then per process.
   */
  batches?: number;
  /** A file's process is stopped (SIGTERM, then SIGKILL to its group) after this long. */
  fileTimeoutMs: number | ((file: string) => number);
  env?: NodeJS.ProcessEnv;
  /** Called with each file's buffered output and result as it ends (default: print them). */
  onFile?: (result: FileResult, output: string) => void;
}

const reporter = pathToFileURL(join(repoRoot, "scripts", "lib", "testReporter.mts")).href;
const preload = pathToFileURL(join(repoRoot, "scripts", "lib", "testProcess.ts")).href;
const batchEntry = join(repoRoot, "scripts", "lib", "testBatch.ts");
/** Time between SIGTERM and SIGKILL at a deadline: exit hooks stop servers and remove folders. */
const KILL_GRACE_MS = 10_000;

export function emptyCounts(): Counts {
  return { passed: 0, failed: 0, cancelled: 0, skipped: 0 };
}

export function addCounts(into: Counts, more: Counts): Counts {
  into.passed += more.passed;
  into.failed += more.failed;
  into.cancelled += more.cancelled;
  into.skipped += more.skipped;
  return into;
}

/** The plain closing line: `12 passed, 1 failed` (`, 2 skipped` when there are any). */
export function closingLine(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ""}`;
}

/** The same with the cancelled among the failed, for a stage's line of the summary. */
export function countsDetail(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed${counts.cancelled > 0 ? ` (${counts.cancelled} cancelled)` : ""}${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ""}`;
}

/** Test files under `dir` (relative to the repository) whose names end with `suffix`, sorted. */
export function findTestFiles(dir: string, suffix: string, grep?: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
    .filter((file) => !file.includes("node_modules") && (!grep || file.includes(grep)))
    .sort();
}

/** The signal that interrupted a run (Ctrl-C, SIGTERM), if one did: callers stop starting work. */
let interruptedBy: NodeJS.Signals | null = null;
export const interruption = (): NodeJS.Signals | null => interruptedBy;

/** Process groups of the files running now, for passing an interruption on. */
const running = new Set<number>();

/**
 * Runs every file; resolves with one result per file, in the order they finished. Ctrl-C (the
 * terminal's SIGINT reaches only this process's group, not the files') or SIGTERM is passed on to
 * the files running, and no further file starts.
 */
export async function runTestFiles(files: readonly string[], options: RunOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const queue: string[][] = options.batches ? batchesOf(files, options.batches) : files.map((file) => [file]);
  const onFile = options.onFile ?? printFile;
  const onSignal = (signal: NodeJS.Signals): void => {
    interruptedBy ??= signal;
    queue.length = 0;
    for (const pgid of running) {
      killGroup(pgid, signal);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const timeoutMs = typeof options.fileTimeoutMs === "function" ? options.fileTimeoutMs(job[0]) : options.fileTimeoutMs;
      const { result, output } = await runFile(job, timeoutMs, options.env);
      results.push(result);
      onFile(result, output);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return results;
}

/** `count` groups of about the same size in bytes (a proxy for run time), the largest files first. */
function batchesOf(files: readonly string[], count: number): string[][] {
  const groups = Array.from({ length: Math.min(count, files.length) }, () => ({ files: [] as string[], bytes: 0 }));
  const sized = files.map((file) => ({ file, bytes: statSync(join(repoRoot, file)).size })).sort((a, b) => b.bytes - a.bytes);
  for (const { file, bytes } of sized) {
    const smallest = groups.reduce((min, g) => (g.bytes < min.bytes ? g : min));
    smallest.files.push(file);
    smallest.bytes += bytes;
  }
  return groups.map((g) => g.files.sort());
}

function printFile(result: FileResult, output: string): void {
  process.stdout.write(`\n▶ ${result.file} (${result.seconds.toFixed(1)} s)\n${output}`);
  if (!output.endsWith("\n")) {
    process.stdout.write("\n");
  }
  for (const problem of result.problems) {
    process.stdout.write(`✘ ${result.file}: ${problem}\n`);
  }
}

/** Counts one file's reporter lines (see the header for the rules). */
export class FileTally {
  readonly counts = emptyCounts();
  readonly problems: string[] = [];

  /** With `root`, several files share the process: each problem names its file (relative to root). */
  constructor(private readonly root?: string) {}

  private where(line: ReporterLine): string {
    return this.root && line.file ? `${relative(this.root, line.file.replace(/^file:\/\//, ""))}: ` : "";
  }

  /** Completed events in order, for "did anything below this suite fail?". */
  private readonly done: { nesting: number; countedFailure: boolean }[] = [];
  /** Tests that started and have not ended, by nesting (a name per level). */
  private readonly running = new Map<number, string>();

  add(line: ReporterLine): void {
    if (line.event === "start") {
      this.running.set(line.nesting, line.name);
      return;
    }
    this.running.delete(line.nesting);
    let countedFailure = false;
    if (line.event === "pass") {
      if (!line.suite) {
        if (line.skip || line.todo) {
          this.counts.skipped++;
        } else {
          this.counts.passed++;
        }
      }
    } else if (line.todo) {
      // A failing todo test does not fail the run (node:test's rule).
      this.counts.skipped++;
    } else if (!line.suite) {
      countedFailure = true;
      this.counts.failed++;
      const cancelled = line.failureType === "cancelledByParent" || line.failureType === "testTimeoutFailure";
      if (cancelled) {
        this.counts.cancelled++;
      }
      // A parent whose subtests failed is counted (as node does) but says nothing new.
      if (line.failureType !== "subtestsFailed" && line.failureType !== "cancelledByParent") {
        this.problems.push(`${this.where(line)}${cancelled ? "cancelled" : "failed"}: ${line.name}${line.message ? ` — ${line.message.replaceAll("\n", " ⏎ ")}` : ""}`);
      }
    } else if (line.failureType !== "subtestsFailed") {
      // A suite that failed by itself (a hook): its reason is news; it counts once when no test
      // below it was counted (an `after` hook failing after every test passed).
      this.problems.push(`${this.where(line)}suite failed: ${line.name} (${line.failureType ?? "error"})${line.message ? ` — ${line.message.replaceAll("\n", " ⏎ ")}` : ""}`);
      if (!this.failureBelow(line.nesting)) {
        countedFailure = true;
        this.counts.failed++;
      }
    }
    this.done.push({ nesting: line.nesting, countedFailure });
  }

  /** The process ended: a non-zero exit with no failure counted, or a kill, is a failure too. */
  finish(exit: { code: number | null; signal: NodeJS.Signals | null; timedOutMs: number | null }): void {
    if (exit.timedOutMs !== null) {
      const unfinished = [...this.running.entries()].sort((a, b) => b[0] - a[0]).map(([, name]) => name);
      const leaf = unfinished[0];
      this.counts.failed++;
      this.counts.cancelled++;
      this.problems.push(
        `did not finish within ${Math.round(exit.timedOutMs / 1000)} s and was stopped` +
          (leaf ? `; still running: ${unfinished.reverse().join(" › ")}` : " (after its last test: a hook, or a handle that keeps it alive)"),
      );
      return;
    }
    if ((exit.code !== 0 || exit.signal !== null) && this.counts.failed === 0) {
      this.counts.failed++;
      this.problems.push(`the file's process ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`} (see its output)`);
    }
  }

  private failureBelow(nesting: number): boolean {
    for (let i = this.done.length - 1; i >= 0 && this.done[i].nesting > nesting; i--) {
      if (this.done[i].countedFailure) {
        return true;
      }
    }
    return false;
  }
}

/** Runs one file in a process of its own, or several in one (scripts/lib/testBatch.ts). */
function runFile(files: string[], timeoutMs: number, env: NodeJS.ProcessEnv | undefined): Promise<{ result: FileResult; output: string }> {
  const started = performance.now();
  const single = files.length === 1;
  const file = single ? files[0] : `${files.length} files in one process (${files[0]}, …)`;
  const tally = new FileTally(single ? undefined : repoRoot);
  const args = [
    "--import",
    "tsx",
    "--import",
    preload,
    // Tests done, handles still open (a server someone forgot): end rather than hang. What the
    // file left running in its process group is reported below.
    "--test-force-exit",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${reporter}`,
    "--test-reporter-destination=stdout",
    single ? files[0] : batchEntry,
  ];
  // Its own process group: at the deadline the whole group goes, children included.
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...(env ?? process.env), ATL_TEST_EVENTS_FD: "3", ...(single ? {} : { ATL_TEST_BATCH: JSON.stringify(files.map((f) => join(repoRoot, f))) }) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let pending = "";
  const events = child.stdio[3];
  events?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() !== "") {
        try {
          tally.add(JSON.parse(line) as ReporterLine);
        } catch {
          output += `\n(unreadable reporter line: ${line.slice(0, 200)})\n`;
        }
      }
    }
  });
  let timedOutMs: number | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const deadline = setTimeout(() => {
    timedOutMs = timeoutMs;
    child.kill("SIGTERM");
    killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
  }, timeoutMs);
  if (child.pid !== undefined) {
    running.add(child.pid);
  }
  return new Promise((resolvePromise) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let finished = false;
    const finish = (): void => {
      if (finished) {
        return;
      }
      finished = true;
      running.delete(child.pid ?? -1);
      const status = exit ?? { code: null, signal: null };
      tally.finish({ ...status, timedOutMs });
      const result: FileResult = { file, seconds: (performance.now() - started) / 1000, ...tally.counts, problems: tally.problems };
      resolvePromise({ result, output });
    };
    child.on("error", (error) => {
      output += `\ncould not start: ${error.message}\n`;
      clearTimeout(deadline);
      finish();
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      clearTimeout(deadline);
      clearTimeout(killTimer);
      const left = leftInGroup(child.pid);
      if (left.length > 0) {
        killGroup(child.pid, "SIGKILL");
        output += `\n(left running in the file's process group, now killed: ${left.join(", ")})\n`;
      }
      // The pipes close once every process holding them has ended; one that left the group may
      // hold them longer: read what is there and go on.
      const closeTimer = setTimeout(() => {
        for (const stream of [child.stdout, child.stderr, events]) {
          stream?.destroy();
        }
        finish();
      }, 5_000);
      child.once("close", () => {
        clearTimeout(closeTimer);
        finish();
      });
    });
  });
}

/** `pid comm` of every live process in process group `pgid` (zombies aside). */
function leftInGroup(pgid: number | undefined): string[] {
  if (pgid === undefined) {
    return [];
  }
  const left: string[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      // fields: state, ppid, pgrp, …
      if (Number(fields[2]) === pgid && fields[0] !== "Z") {
        left.push(`${name} ${stat.slice(stat.indexOf("(") + 1, close)}`);
      }
    } catch {
      // Ended while we looked.
    }
  }
  return left;
}
