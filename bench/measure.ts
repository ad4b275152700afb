// Small helpers shared by the benchmarks: the raw-spawn baseline, percentiles, rounding.
import { spawn } from "node:child_process";

/** The baseline of the agent and SSH benchmarks: spawn `uptime`, collect stdout, wait for exit. */
export function rawUptime(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("uptime");
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 && out.includes("load average") ? resolve() : reject(new Error(`uptime exited ${code}`))));
  });
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Rounded to `digits` decimals (default 2). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
