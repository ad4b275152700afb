// `node dist/cli.js watch` as a team runs it next to a queue on the SQS emulator: the built CLI with
// the emulator's test credentials and no LLM variables (the built-in runbooks plan and analyse), its
// stdout JSON lines read as they come, each with the moment it arrived. Used by the watch
// integration test and the triage benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { TEST_CREDENTIALS, type AlarmRoute, type Fauxqs } from "./fauxqs";
import { repoRoot } from "./process";

export interface WatchOptions {
  emulator: Fauxqs;
  route: AlarmRoute;
  hostsFile: string;
  /** Where the reports go (`--out`). */
  out: string;
  /** HOME of the process: nothing of the user's own profile is read. */
  home: string;
  /** More flags: `--auto read-only`, `--rules FILE`, `--max-concurrent N`… */
  args?: string[];
}

/** A running `atl watch`: its triage lines as they come, and a clean stop. */
export class WatchProcess<Line extends { alarm: string }> {
  readonly lines: Line[] = [];
  /** performance.now() when each line arrived, by index. */
  readonly arrivals: number[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const at = performance.now();
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        this.lines.push(JSON.parse(buffer.slice(0, newline)) as Line);
        this.arrivals.push(at);
        buffer = buffer.slice(newline + 1);
      }
      for (const listener of this.listeners) {
        listener();
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  }

  static start<Line extends { alarm: string }>(options: WatchOptions): WatchProcess<Line> {
    const { emulator, route } = options;
    const child = spawn(
      process.execPath,
      [join(repoRoot, "dist", "cli.js"), "watch", "--queue-url", route.queueUrl, "--endpoint", emulator.endpoint, "--region", emulator.region, "--hosts", options.hostsFile, "--out", options.out, ...(options.args ?? [])],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: options.home,
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    return new WatchProcess<Line>(child);
  }

  /** The first `count` triage lines, once printed; fails when the process ends first. */
  until(count: number): Promise<Line[]> {
    return this.waitFor(() => (this.lines.length >= count ? this.lines.slice(0, count) : undefined), `${count} line(s)`);
  }

  /** The line of `alarm` and when it arrived; fails when the process ends first or after `timeoutMs`. */
  lineOf(alarm: string, timeoutMs: number): Promise<{ line: Line; at: number }> {
    return this.waitFor(
      () => {
        const index = this.lines.findIndex((l) => l.alarm === alarm);
        return index < 0 ? undefined : { line: this.lines[index], at: this.arrivals[index] };
      },
      `the report for ${alarm}`,
      timeoutMs,
    );
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Checks again after every batch of output, until `found` returns a value. */
  private async waitFor<T>(found: () => T | undefined, what: string, timeoutMs?: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let wake: () => void = () => undefined;
    const listener = (): void => wake();
    this.listeners.add(listener);
    const failed = Promise.race([
      this.exited.then((code) => {
        throw new Error(`atl watch exited (${code}) after ${this.lines.length} line(s), before ${what}: ${this.stderr}`);
      }),
      new Promise<never>((_, reject) => {
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs / 1000} s: ${this.stderr}`)), timeoutMs);
        }
      }),
    ]);
    try {
      for (;;) {
        const value = found();
        if (value !== undefined) {
          return value;
        }
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), failed]);
      }
    } finally {
      clearTimeout(timer);
      this.listeners.delete(listener);
      failed.catch(() => undefined);
    }
  }
}
