// Small helpers shared by the benchmarks: the raw-spawn baseline, percentiles, rounding.
import { spawn } from "node:child_process";
import type { BenchResult } from "./report";

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

/** A numeric command-line flag of a benchmark run alone (`--iterations 30`). */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * `node --import tsx bench/<name>.ts`: runs one benchmark without the runner and prints a line per
 * figure (value, the baseline as `baselineLabel` names it, ratio, target and verdict).
 */
export function runAlone(run: () => Promise<BenchResult[]>, baselineLabel = "baseline"): void {
  run().then(
    (results) => {
      for (const r of results) {
        const baseline = r.baseline === null ? "" : ` (${baselineLabel} ${r.baseline.toLocaleString("en-US")} ${r.unit}, ${r.ratio}×)`;
        const verdict = r.pass === null ? "" : r.pass ? "  PASS" : "  MISSED";
        process.stdout.write(`${r.name}: ${r.value.toLocaleString("en-US")} ${r.unit}${baseline}${r.target ? ` target ${r.target}` : ""}${verdict}\n`);
      }
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Runs every function once per iteration, interleaved so that a change in machine load hits all of
 * them alike; returns each one's durations in ms, ascending.
 */
export async function interleaved<K extends string>(iterations: number, runs: Record<K, () => Promise<unknown>>): Promise<Record<K, number[]>> {
  const names = Object.keys(runs) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < iterations; i++) {
    for (const name of names) {
      const started = performance.now();
      await runs[name]();
      samples[name].push(performance.now() - started);
    }
  }
  for (const name of names) {
    samples[name].sort((a, b) => a - b);
  }
  return samples;
}

/**
 * A latency figure at percentile `p` of ascending `samples` against the same percentile of
 * `baseline` (a ratio), gated by `target` (at most that many times the baseline) when one is given.
 */
export function latencyRow(name: string, samples: number[], baseline: number[], p: number, target: number | null = null): BenchResult {
  const value = percentile(samples, p);
  const base = percentile(baseline, p);
  return {
    name,
    value: round(value),
    unit: "ms",
    baseline: round(base),
    ratio: round(value / base),
    target: target === null ? null : `≤ ${target}× spawn`,
    pass: target === null ? null : value / base <= target,
  };
}

/** Latency figures at p50, p90 and p99 (`name` gets the label), the target gating p50 only. */
export function latencyRows(name: (label: string) => string, samples: number[], baseline: number[], p50Target: number | null = null): BenchResult[] {
  return (
    [
      ["p50", 50],
      ["p90", 90],
      ["p99", 99],
    ] as const
  ).map(([label, p]) => latencyRow(name(label), samples, baseline, p, label === "p50" ? p50Target : null));
}
