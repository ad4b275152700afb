// The agent's only process wrapper: runs a policy-approved Program (steps of pipelines of argv)
// without a shell. Each stage is its own process group with a fixed environment, cwd `/` and no
// stdin; the agent connects the pipes and evaluates `;`, `&&`, `||` itself. A timeout or an abort
// kills every group (SIGTERM, then SIGKILL); output is capped (per stream and per request) but
// always drained, and bytes that are not text reach the client as a marked, compact text form.
import { isUtf8 } from "node:buffer";
import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable, Writable } from "node:stream";
import type { Pipeline, Program, Stage } from "./policy/types";
import { errnoCode } from "../../src/shared/errors";
import { killGroup } from "../../src/shared/processGroup";

/** Nothing is inherited from the agent's environment (it may hold the agent's secret). */
export const COMMAND_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
});

export const DEFAULT_KILL_GRACE_MS = 2000;

/**
 * Bytes of output one request may still keep, shared by all its commands and both streams (the
 * response cap). Output past it is read and dropped like output past the per-stream cap.
 */
export interface OutputBudget {
  remaining: number;
  /** The request's whole cap, for the note when it is reached. */
  readonly total: number;
}

export interface RunLimits {
  /** Wall-clock limit of the whole command line. */
  timeoutMs: number;
  /** Cap of kept stdout and, separately, of kept stderr. Output past it is read and dropped. */
  maxOutputBytes: number;
  /** The request's remaining response budget (taken from as output is kept). */
  budget?: OutputBudget;
  /** Time between SIGTERM and SIGKILL, and again before giving up on the pipes. */
  killGraceMs?: number;
  /** Aborting stops the command like a timeout (client gone, agent shutting down). */
  signal?: AbortSignal;
}

export interface RunOutcome {
  /** Exit status of the last pipeline that ran (its last stage); null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Kept output, with the agent's notes; `.text` for the whole, `.binary` when it held bytes that are not text. */
  stdout: CapturedText;
  stderr: CapturedText;
  /** Bytes the command wrote, including those dropped by the cap. */
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  timedOut: boolean;
  /** Stopped through `signal` (not by its timeout). */
  aborted: boolean;
  /** Never started: the runner was closed (the agent is shutting down). */
  notStarted: boolean;
  durationMs: number;
}

interface StageExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Keeps the first `cap` bytes of a stream (and no more than the request's budget) and counts the rest. */
class OutputCapture {
  private chunks: Buffer[] = [];
  private kept = 0;
  private notes = "";
  total = 0;
  truncated = false;
  /** The request's response cap, not this stream's, cut the output. */
  budgetCut = false;

  constructor(
    private readonly cap: number,
    private readonly budget?: OutputBudget,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = Math.min(this.cap - this.kept, this.budget ? this.budget.remaining : Infinity);
    if (chunk.length <= room) {
      this.keep(chunk);
      return;
    }
    if (!this.truncated && this.budget && this.budget.remaining < this.cap - this.kept) {
      this.budgetCut = true;
    }
    this.truncated = true;
    if (room > 0) {
      this.keep(chunk.subarray(0, room));
    }
  }

  /** A message from the agent itself (e.g. "command not found"); not counted, never capped away. */
  note(text: string): void {
    this.notes += `atl-agent: ${text}\n`;
  }

  /** What was kept, as text to be produced on demand (the capture is done with). */
  result(): CapturedText {
    const bytes = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.kept);
    this.chunks = [];
    return new CapturedText(this.truncated ? bytes.subarray(0, completeUtf8Length(bytes)) : bytes, this.notes);
  }

  private keep(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    if (this.budget) {
      this.budget.remaining -= chunk.length;
    }
  }
}

/** Bytes that are not text: C0 controls other than tab, newline and carriage return. */
function isControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d;
}

/** A run of control characters or of U+FFFD (what the decoder made of invalid UTF-8). */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const NON_TEXT_RUN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffd]+/g;

/** Bytes decoded per piece: a megabyte of output never becomes one megabyte-sized string. */
const PIECE_BYTES = 48 * 1024;

/**
 * A command's kept output (stdout or stderr) and the agent's notes after it, as text. Valid UTF-8
 * without control characters passes unchanged; anything else (binary data, NUL-separated /proc
 * files, terminal escapes) is `binary` and becomes the lossy, marked form: each run of invalid UTF-8
 * or control characters is one U+FFFD, so the JSON of it is never more than twice the kept bytes (a
 * NUL used to cost six: `\u0000`). The text is produced in pieces, on demand: the answer streams
 * them, so no full-size string is ever built for it.
 */
export class CapturedText {
  readonly binary: boolean;

  constructor(
    private readonly bytes: Buffer,
    private readonly notes = "",
  ) {
    this.binary = !isPlainText(bytes);
  }

  /** Kept bytes (before any lossy replacement). */
  get length(): number {
    return this.bytes.length;
  }

  /** The whole text (for tests and small outputs; the answer uses `pieces()`). */
  get text(): string {
    return [...this.pieces()].join("");
  }

  /** The text in pieces of at most about 48 KiB; joined, they are `text`. */
  *pieces(): Generator<string> {
    let last = "";
    if (!this.binary) {
      for (let start = 0; start < this.bytes.length; ) {
        let end = Math.min(start + PIECE_BYTES, this.bytes.length);
        // Cut at the start of a UTF-8 sequence.
        while (end < this.bytes.length && (this.bytes[end] & 0xc0) === 0x80) {
          end--;
        }
        last = this.bytes.toString("utf8", start, end);
        yield last;
        start = end;
      }
    } else {
      const decoder = new TextDecoder("utf-8");
      let inRun = false;
      for (let start = 0; start < this.bytes.length; start += PIECE_BYTES) {
        const end = Math.min(start + PIECE_BYTES, this.bytes.length);
        let piece = decoder.decode(this.bytes.subarray(start, end), { stream: end < this.bytes.length }).replace(NON_TEXT_RUN, "\ufffd");
        // A run cut by the piece boundary stays one U+FFFD.
        if (inRun && piece.startsWith("\ufffd")) {
          piece = piece.slice(1);
        }
        if (piece !== "") {
          inRun = piece.endsWith("\ufffd");
          last = piece;
          yield piece;
        }
      }
    }
    if (this.notes !== "") {
      yield last === "" || last.endsWith("\n") ? this.notes : `\n${this.notes}`;
    }
  }
}

/** Valid UTF-8 without control characters (other than tab, newline, carriage return). */
function isPlainText(bytes: Buffer): boolean {
  if (!isUtf8(bytes)) {
    return false;
  }
  for (let i = 0; i < bytes.length; i++) {
    if (isControl(bytes[i])) {
      return false;
    }
  }
  return true;
}

/** Length of `bytes` without a UTF-8 sequence cut off at the end by the cap. */
function completeUtf8Length(bytes: Buffer): number {
  const end = bytes.length;
  for (let back = 1; back <= Math.min(3, end); back++) {
    const byte = bytes[end - back];
    if ((byte & 0xc0) !== 0x80) {
      // A lead byte: how long should its sequence be?
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return need > back ? end - back : end;
    }
  }
  return end;
}

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

/** One command line in flight: its live processes, its clock and how it was stopped. */
class RunControl {
  readonly children = new Set<ChildProcess>();
  timedOut = false;
  aborted = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onAbort = (): void => this.stop("abort");

  constructor(private readonly limits: RunLimits) {
    this.timers.push(setTimeout(() => this.stop("timeout"), limits.timeoutMs));
    if (limits.signal?.aborted) {
      this.aborted = true;
    } else {
      limits.signal?.addEventListener("abort", this.onAbort, { once: true });
    }
  }

  get stopped(): boolean {
    return this.timedOut || this.aborted;
  }

  stop(kind: "timeout" | "abort"): void {
    if (this.stopped) {
      return;
    }
    if (kind === "timeout") {
      this.timedOut = true;
    } else {
      this.aborted = true;
    }
    const grace = this.limits.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.signalAll("SIGTERM");
    this.timers.push(
      setTimeout(() => {
        this.signalAll("SIGKILL");
        // A process that left the group (setsid) may still hold a pipe: stop waiting for it.
        this.timers.push(setTimeout(() => this.releaseAll(), grace));
      }, grace),
    );
  }

  dispose(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.limits.signal?.removeEventListener("abort", this.onAbort);
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const child of this.children) {
      killGroup(child.pid, signal);
    }
  }

  private releaseAll(): void {
    for (const child of this.children) {
      for (const stream of child.stdio) {
        stream?.destroy();
      }
    }
  }
}

function swallow(stream: Readable | Writable | null | undefined): void {
  // EPIPE and friends on our side of a pipe are normal when a stage exits early.
  stream?.on("error", () => undefined);
}

/**
 * Connects a stage's output to the next stage's stdin through the agent. Node's child pipes are
 * socket pairs, so a writer whose reader has exited would see ECONNRESET and complain; a shell's
 * writer dies of SIGPIPE instead. The agent keeps that behaviour: once the reader is gone, the
 * first further output from the writer earns its process group a SIGPIPE.
 */
function connectStages(sources: Readable[], target: Writable, writerPid: number | undefined): void {
  let open = sources.length;
  let readerGone = false;
  let piped = false;
  const onReaderGone = (): void => {
    if (readerGone) {
      return;
    }
    readerGone = true;
    for (const source of sources) {
      source.resume();
    }
  };
  target.on("error", onReaderGone);
  target.on("close", onReaderGone);
  target.on("drain", () => {
    for (const source of sources) {
      source.resume();
    }
  });
  for (const source of sources) {
    source.on("data", (chunk: Buffer) => {
      if (readerGone) {
        if (!piped) {
          piped = true;
          killGroup(writerPid, "SIGPIPE");
        }
        return;
      }
      if (!target.write(chunk)) {
        source.pause();
      }
    });
    source.on("end", () => {
      open--;
      if (open === 0 && !readerGone) {
        target.end();
      }
    });
  }
}

function spawnStage(
  stage: Stage,
  stdin: StdioNull | StdioPipe,
  stdout: StdioNull | StdioPipe,
  stderr: StdioNull | StdioPipe,
): ChildProcess | Error {
  const [file, ...args] = stage.argv;
  if (file === undefined || file === "") {
    return new Error("empty command");
  }
  try {
    return spawn(file, args, {
      cwd: "/",
      env: COMMAND_ENV,
      // Own process group (setsid), so a timeout can kill the stage with all its children.
      detached: true,
      stdio: [stdin, stdout, stderr],
      windowsHide: true,
    });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function describeSpawnError(program: string, error: Error): { code: number; message: string } {
  const errno = errnoCode(error);
  if (errno === "ENOENT") {
    return { code: 127, message: `${program}: command not found` };
  }
  if (errno === "EACCES") {
    return { code: 126, message: `${program}: permission denied` };
  }
  return { code: 126, message: `${program}: cannot start: ${error.message}` };
}

function runPipeline(pipeline: Pipeline, out: OutputCapture, err: OutputCapture, control: RunControl): Promise<StageExit> {
  const exits: Promise<StageExit>[] = [];
  let previous: { child: ChildProcess; stage: Stage } | null = null;

  pipeline.stages.forEach((stage, index) => {
    const last = index === pipeline.stages.length - 1;
    // Where this stage's stdin comes from: nothing, or the previous stage's output.
    const upstream = previous;
    let sources: Readable[] = [];
    if (upstream?.child.stdout) {
      sources = [upstream.child.stdout];
      if (upstream.stage.stderrToStdout && upstream.child.stderr) {
        sources.push(upstream.child.stderr);
      }
    }
    const stdoutMode = stage.stdoutToNull ? "ignore" : "pipe";
    const stderrMode = stage.stderrToNull || (stage.stderrToStdout && stage.stdoutToNull) ? "ignore" : "pipe";

    const spawned = spawnStage(stage, sources.length > 0 ? "pipe" : "ignore", stdoutMode, stderrMode);
    if (spawned instanceof Error) {
      const failure = describeSpawnError(stage.argv[0] ?? "", spawned);
      err.note(failure.message);
      exits.push(Promise.resolve({ code: failure.code, signal: null }));
      if (upstream) {
        // Like a reader that exited at once.
        killGroup(upstream.child.pid, "SIGPIPE");
        for (const source of sources) {
          source.resume();
        }
      }
      previous = null;
      return;
    }

    const child = spawned;
    control.children.add(child);
    for (const stream of child.stdio) {
      swallow(stream);
    }
    if (upstream && child.stdin && sources.length > 0) {
      connectStages(sources, child.stdin, upstream.child.pid);
    }
    if (last && child.stdout) {
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    }
    if (child.stderr) {
      const merged = stage.stderrToStdout;
      if (!merged) {
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      } else if (last) {
        child.stderr.on("data", (chunk: Buffer) => out.push(chunk));
      }
      // A middle stage's merged stderr is consumed by connectStages for the next stage.
    }

    exits.push(
      new Promise<StageExit>((resolve) => {
        let spawnError: Error | null = null;
        child.once("error", (error) => {
          spawnError = error;
        });
        child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
          control.children.delete(child);
          if (spawnError) {
            const failure = describeSpawnError(stage.argv[0] ?? "", spawnError);
            err.note(failure.message);
            resolve({ code: failure.code, signal: null });
            return;
          }
          // Whatever the stage left behind in its group (a daemonized child) does not outlive it.
          killGroup(child.pid, "SIGKILL");
          resolve({ code, signal });
        });
      }),
    );
    previous = { child, stage };
  });

  return Promise.all(exits).then((all) => all[all.length - 1] ?? { code: 0, signal: null });
}

function statusOf(exit: StageExit): number {
  if (exit.signal) {
    return 128 + signalNumber(exit.signal);
  }
  return exit.code ?? 1;
}

/** Runs one command line to completion, timeout or abort. Never rejects. */
async function runProgram(program: Program, limits: RunLimits): Promise<RunOutcome> {
  const started = performance.now();
  const out = new OutputCapture(limits.maxOutputBytes, limits.budget);
  const err = new OutputCapture(limits.maxOutputBytes, limits.budget);
  const control = new RunControl(limits);
  let last: StageExit = { code: 0, signal: null };
  try {
    let status = 0;
    for (const step of program.steps) {
      if (control.stopped) {
        break;
      }
      if ((step.op === "&&" && status !== 0) || (step.op === "||" && status === 0)) {
        continue;
      }
      last = await runPipeline(step.pipeline, out, err, control);
      status = statusOf(last);
    }
  } finally {
    control.dispose();
  }
  if (control.timedOut) {
    err.note(`timed out after ${Math.round(limits.timeoutMs / 100) / 10} s; killed`);
  } else if (control.aborted) {
    err.note("stopped before it finished (request cancelled or agent shutting down)");
  }
  if ((out.budgetCut || err.budgetCut) && limits.budget) {
    err.note(`output past the response cap (${limits.budget.total} bytes per request) was dropped`);
  }
  const stdout = out.result();
  if (stdout.binary) {
    err.note("stdout is not plain text (binary data or control characters); each run of such bytes is shown as \ufffd");
  }
  return {
    exitCode: last.signal ? null : last.code,
    signal: last.signal,
    stdout,
    stderr: err.result(),
    stdoutBytes: out.total,
    stderrBytes: err.total,
    truncated: out.truncated || err.truncated,
    timedOut: control.timedOut,
    aborted: control.aborted,
    notStarted: false,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The outcome of a command that never started, with the agent's reason on stderr. */
export function notStartedOutcome(why: string, aborted = true): RunOutcome {
  return {
    exitCode: null,
    signal: null,
    stdout: new CapturedText(Buffer.alloc(0)),
    stderr: new CapturedText(Buffer.alloc(0), `atl-agent: not run: ${why}\n`),
    stdoutBytes: 0,
    stderrBytes: 0,
    truncated: false,
    timedOut: false,
    aborted,
    notStarted: true,
    durationMs: 0,
  };
}

/** Runs command lines and knows which are in flight, so shutdown can stop them. */
export class ProcessRunner {
  private readonly inFlight = new Set<AbortController>();
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;

  get activeCount(): number {
    return this.inFlight.size;
  }

  /** From now on nothing starts: `run()` answers "not run" at once (the agent is shutting down). */
  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async run(program: Program, limits: RunLimits): Promise<RunOutcome> {
    if (this.closed) {
      return notStartedOutcome("the agent is shutting down");
    }
    // One signal for both the caller's abort and stopAll() (AbortSignal.any needs Node 20).
    const stopper = new AbortController();
    const forward = (): void => stopper.abort();
    if (limits.signal?.aborted) {
      stopper.abort();
    }
    limits.signal?.addEventListener("abort", forward, { once: true });
    this.inFlight.add(stopper);
    try {
      return await runProgram(program, { ...limits, signal: stopper.signal });
    } finally {
      limits.signal?.removeEventListener("abort", forward);
      this.inFlight.delete(stopper);
      if (this.inFlight.size === 0) {
        for (const wake of this.idleWaiters.splice(0)) {
          wake();
        }
      }
    }
  }

  /** Stops every running command (SIGTERM to its groups, SIGKILL after the grace period). */
  stopAll(): void {
    for (const stopper of this.inFlight) {
      stopper.abort();
    }
  }

  /** Resolves when nothing runs. */
  idle(): Promise<void> {
    if (this.inFlight.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
