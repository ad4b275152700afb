// The agent's only process wrapper: runs a policy-approved Program (steps of pipelines of argv)
// without a shell. Each stage is its own process group with a fixed environment, cwd `/` and no
// stdin; the agent connects the pipes and evaluates `;`, `&&`, `||` itself. A timeout or an abort
// kills every group (SIGTERM, then SIGKILL); output is capped but always drained.
import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable, Writable } from "node:stream";
import type { Pipeline, Program, Stage } from "./policy/types";

/** Nothing is inherited from the agent's environment (it may hold the agent's secret). */
export const COMMAND_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
});

export const DEFAULT_KILL_GRACE_MS = 2000;

export interface RunLimits {
  /** Wall-clock limit of the whole command line. */
  timeoutMs: number;
  /** Cap of kept stdout and, separately, of kept stderr. Output past it is read and dropped. */
  maxOutputBytes: number;
  /** Time between SIGTERM and SIGKILL, and again before giving up on the pipes. */
  killGraceMs?: number;
  /** Aborting stops the command like a timeout (client gone, agent shutting down). */
  signal?: AbortSignal;
}

export interface RunOutcome {
  /** Exit status of the last pipeline that ran (its last stage); null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Bytes the command wrote, including those dropped by the cap. */
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  timedOut: boolean;
  /** Stopped through `signal` (not by its timeout). */
  aborted: boolean;
  durationMs: number;
}

interface StageExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Keeps the first `cap` bytes of a stream and counts the rest. */
class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private notes = "";
  total = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    this.truncated = true;
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
  }

  /** A message from the agent itself (e.g. "command not found"); not counted, never capped away. */
  note(text: string): void {
    this.notes += `atl-agent: ${text}\n`;
  }

  text(): string {
    const bytes = Buffer.concat(this.chunks, this.kept);
    const body = (this.truncated ? bytes.subarray(0, completeUtf8Length(bytes)) : bytes).toString("utf8");
    if (this.notes === "") {
      return body;
    }
    return body === "" || body.endsWith("\n") ? body + this.notes : `${body}\n${this.notes}`;
  }
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

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
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
  const errno = (error as NodeJS.ErrnoException).code;
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
  const out = new OutputCapture(limits.maxOutputBytes);
  const err = new OutputCapture(limits.maxOutputBytes);
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
  return {
    exitCode: last.signal ? null : last.code,
    signal: last.signal,
    stdout: out.text(),
    stderr: err.text(),
    stdoutBytes: out.total,
    stderrBytes: err.total,
    truncated: out.truncated || err.truncated,
    timedOut: control.timedOut,
    aborted: control.aborted,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Runs command lines and knows which are in flight, so shutdown can stop them. */
export class ProcessRunner {
  private readonly inFlight = new Set<AbortController>();
  private readonly idleWaiters: (() => void)[] = [];

  get activeCount(): number {
    return this.inFlight.size;
  }

  async run(program: Program, limits: RunLimits): Promise<RunOutcome> {
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
