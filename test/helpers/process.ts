// One way for tests, benchmarks and fixture scripts to run a program to its end and read what it
// printed: stdout and stderr collected whole, the exit code or signal, an optional stdin and deadline.
import { spawn, type SpawnOptions } from "node:child_process";
import { join, resolve } from "node:path";

/** The checkout this test kit belongs to. */
export const repoRoot = resolve(import.meta.dirname, "..", "..");

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions extends Pick<SpawnOptions, "cwd" | "env"> {
  /** Written to the program's stdin, which is then closed (default: no stdin at all). */
  stdin?: string;
  /** SIGKILL after this long (default: no deadline; the test file's own timeout applies). */
  timeoutMs?: number;
}

/** Runs `command args` to its end. Rejects only when the program cannot be started. */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: options.env, stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin?.end(options.stdin);
  });
}

/** The built CLI: `node dist/cli.js args` from the repository root. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<Finished> {
  return runProcess(process.execPath, [join(repoRoot, "dist", "cli.js"), ...args], options);
}

/** A TypeScript entry point of this repository run with tsx: `node --import tsx file args`. */
export function runTs(file: string, args: readonly string[], options: RunOptions = {}): Promise<Finished> {
  return runProcess(process.execPath, ["--import", "tsx", join(repoRoot, file), ...args], options);
}
