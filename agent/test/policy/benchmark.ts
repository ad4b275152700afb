// Policy throughput over the whole corpus, measured on the esbuild bundle (what the agent and the
// extension run), not through tsx. `node --import tsx agent/test/policy/benchmark.ts [--json]`
// prints checks per second (wall clock and per CPU second) and per-check latency percentiles.
// Target (issue 4): at least 50,000 checks/s; a typical command well under a millisecond.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";

const root = join(import.meta.dirname, "../../..");

const RUNNER = `
import { createCommandPolicy } from ${JSON.stringify(join(root, "agent/src/policy"))};
import { corpus } from ${JSON.stringify(join(root, "agent/test/policy/corpus"))};
const policy = createCommandPolicy();
const commands = corpus.map((c) => c.command);
const rounds = Number(process.env.ROUNDS ?? "200");
for (let r = 0; r < 30; r++) for (const c of commands) policy.check(c);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let checks = 0;
for (let r = 0; r < rounds; r++) for (const c of commands) { policy.check(c); checks++; }
const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSec = (cpu.user + cpu.system) / 1e6;
// Per-command latency: the mean of 50 back-to-back checks of the same command.
const latencies = commands.map((c) => { const s = process.hrtime.bigint(); for (let k = 0; k < 50; k++) policy.check(c); return Number(process.hrtime.bigint() - s) / 50 / 1000; }).sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const typical = ["uptime", "df -h", "ps aux --sort=-%cpu | head", "journalctl -u nginx --since \\"10 min ago\\" --no-pager"].map((c) => { const s = process.hrtime.bigint(); for (let k = 0; k < 2000; k++) policy.check(c); return { command: c, us: Number(process.hrtime.bigint() - s) / 2000 / 1000 }; });
process.stdout.write(JSON.stringify({ node: process.version, corpusCommands: commands.length, checks, wallSec, cpuSec, checksPerSec: checks / wallSec, checksPerCpuSec: checks / cpuSec, latencyUs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies[latencies.length - 1] }, typicalUs: typical }));
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atl-policy-bench-"));
  try {
    const entry = join(dir, "runner.ts");
    writeFileSync(entry, RUNNER);
    const outfile = join(dir, "runner.cjs");
    await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", target: "node18", minify: true, logLevel: "silent" });
    const run = spawnSync(process.execPath, [outfile], { encoding: "utf8" });
    if (run.status !== 0) {
      throw new Error(`benchmark runner failed: ${run.stderr}`);
    }
    const result = JSON.parse(run.stdout) as { checksPerSec: number; checksPerCpuSec: number; corpusCommands: number; latencyUs: Record<string, number>; typicalUs: { command: string; us: number }[] };
    if (process.argv.includes("--json")) {
      process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      return;
    }
    const f = (n: number): string => Math.round(n).toLocaleString("en-US");
    process.stdout.write(
      [
        `policy check over the corpus (${result.corpusCommands} commands, bundled, ${process.version})`,
        `  throughput: ${f(result.checksPerSec)} checks/s wall clock, ${f(result.checksPerCpuSec)} checks per CPU second (target ≥ 50,000)`,
        `  per check:  p50 ${result.latencyUs.p50.toFixed(1)} µs, p90 ${result.latencyUs.p90.toFixed(1)} µs, p99 ${result.latencyUs.p99.toFixed(1)} µs, max ${result.latencyUs.max.toFixed(1)} µs`,
        ...result.typicalUs.map((t) => `  ${t.us.toFixed(1).padStart(6)} µs  ${t.command}`),
        "",
      ].join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
