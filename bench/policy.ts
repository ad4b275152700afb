// Policy check benchmark (issue 9, item 2): checks per second through the command policy over the
// whole test corpus (agent/test/policy/corpus.ts), on an esbuild bundle (what the agent and the
// extension run), in a fresh Node process so that tsx and the runner's own heap do not weigh in.
//
//   node --import tsx bench/policy.ts [--rounds 200]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import type { BenchResult } from "./report";
import { runProcess } from "../test/helpers/process";
import { flag, runAlone } from "./measure";

export interface PolicyBenchOptions {
  /** Passes over the corpus in the timed loop. Default 200 (about 160,000 checks). */
  rounds?: number;
}

const TARGET_PER_SEC = 50_000;
const root = join(import.meta.dirname, "..");

/** What the measured process prints. */
interface RunnerOutput {
  commands: number;
  allowed: number;
  refused: number;
  /** Corpus cases whose decision differs from the expected one (should be 0). */
  unexpected: number;
  checks: number;
  wallSec: number;
  cpuSec: number;
  /** Per-command latency in µs (mean of back-to-back checks), percentiles over the corpus. */
  latencyUs: { p50: number; p90: number; p99: number; max: number };
}

// Runs in the fresh process. Plain TypeScript bundled by esbuild; no tsx there.
const RUNNER = `
import { createCommandPolicy } from ${JSON.stringify(join(root, "agent/src/policy"))};
import { corpus } from ${JSON.stringify(join(root, "agent/test/policy/corpus"))};
const policy = createCommandPolicy();
const commands = corpus.map((c) => c.command);
const rounds = Number(process.argv[2]);
let allowed = 0;
let unexpected = 0;
for (const c of corpus) {
  const d = policy.check(c.command).decision;
  if (d === "allowed") allowed++;
  if (d !== c.expect) unexpected++;
}
// Warm-up: let the JIT settle before the timed loop.
for (let r = 0; r < Math.max(3, Math.min(30, rounds)); r++) for (const c of commands) policy.check(c);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let checks = 0;
for (let r = 0; r < rounds; r++) for (const c of commands) { policy.check(c); checks++; }
const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const repeat = 20;
const latencies = commands.map((c) => { const s = process.hrtime.bigint(); for (let k = 0; k < repeat; k++) policy.check(c); return Number(process.hrtime.bigint() - s) / repeat / 1000; }).sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))];
process.stdout.write(JSON.stringify({ commands: commands.length, allowed, refused: commands.length - allowed, unexpected, checks, wallSec, cpuSec: (cpu.user + cpu.system) / 1e6, latencyUs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies[latencies.length - 1] } }));
`;

async function runNode(script: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runProcess(process.execPath, [script, ...args]);
  if (code !== 0) {
    throw new Error(`the policy benchmark process exited with ${code}: ${stderr.slice(-2000)}`);
  }
  return stdout;
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

export async function benchPolicy(opts: PolicyBenchOptions = {}): Promise<BenchResult[]> {
  const rounds = Math.max(1, Math.round(opts.rounds ?? 200));
  const dir = await mkdtemp(join(tmpdir(), "atl-bench-policy-"));
  try {
    const entry = join(dir, "runner.ts");
    await writeFile(entry, RUNNER);
    const outfile = join(dir, "runner.cjs");
    // The agent's bundle settings (agent/dist/atl-agent.js): node18 target, CommonJS.
    await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", target: "node18", logLevel: "silent" });
    const out = JSON.parse(await runNode(outfile, [String(rounds)])) as RunnerOutput;
    if (out.unexpected > 0) {
      // A figure for a policy that decides differently from its corpus would measure something else.
      throw new Error(`${out.unexpected} corpus commands got a different decision than the corpus expects; run the policy tests (agent/test/policy) first`);
    }
    const perSec = out.checks / out.wallSec;
    const perCpuSec = out.checks / out.cpuSec;
    const corpus = `${out.commands} corpus commands: ${out.allowed} allowed, ${out.refused} refused`;
    return [
      {
        name: `policy: checks per second, wall clock (${corpus}; bundled)`,
        value: Math.round(perSec),
        unit: "checks/s",
        baseline: null,
        ratio: null,
        target: `≥ ${TARGET_PER_SEC.toLocaleString("en-US")} checks/s`,
        pass: perSec >= TARGET_PER_SEC,
      },
      {
        name: "policy: checks per CPU second (the same loop, independent of other processes' load)",
        value: Math.round(perCpuSec),
        unit: "checks/s",
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      { name: "policy: one check, p50 over the corpus commands", value: round(out.latencyUs.p50), unit: "µs", baseline: null, ratio: null, target: null, pass: null },
      { name: "policy: one check, p99 over the corpus commands", value: round(out.latencyUs.p99), unit: "µs", baseline: null, ratio: null, target: null, pass: null },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runAlone(() => benchPolicy({ rounds: flag("--rounds", 200) }));
}
