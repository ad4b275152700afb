// Agent execution benchmark (issue 9, item 1): `uptime` through the real agent over keep-alive
// HTTP against `child_process.spawn("uptime")` in the same run, sequentially (latency) and with
// N concurrent clients (throughput). Raw and agent samples are interleaved so that the load of a
// shared machine hits both alike.
//
//   node --import tsx bench/agent.ts [--iterations 400] [--clients 16]
import { existsSync } from "node:fs";
import { AgentClient } from "../agent/src/protocol";
import { AGENT_BUNDLE, startAgent, type RunningAgent } from "../test/helpers/agent";
import type { BenchResult } from "./report";
import { flag, percentile, rawUptime, round, runAlone } from "./measure";

export interface AgentBenchOptions {
  /** Sequential samples of each kind (latency), and requests per kind per throughput round. */
  iterations: number;
  /** Concurrent clients for throughput (the target is stated for 16). */
  clients: number;
}

const P50_TARGET = 1.2;
const THROUGHPUT_TARGET = 0.9;

async function agentUptime(client: AgentClient): Promise<void> {
  const { results } = await client.exec(["uptime"]);
  if (results[0]?.exitCode !== 0 || !results[0].stdout.includes("load average")) {
    throw new Error(`uptime through the agent failed: ${JSON.stringify(results[0])}`);
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** `total` calls of `fn` spread over `clients` concurrent loops; returns calls per second. */
async function throughput(total: number, clients: number, fn: (client: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (next < total) {
        next++;
        await fn(client);
      }
    }),
  );
  return (total / (performance.now() - started)) * 1000;
}

export async function benchAgent(opts: AgentBenchOptions): Promise<BenchResult[]> {
  const iterations = Math.max(10, opts.iterations);
  const clients = Math.max(1, opts.clients);
  const agent: RunningAgent = await startAgent({
    // The shipped bundle when it is built (npm run bench builds it), else a fresh one.
    ...(existsSync(AGENT_BUNDLE) ? { bundle: true } : {}),
    limits: { maxConcurrent: Math.max(16, clients), maxNonces: 1_000_000 },
  });
  // One keep-alive client per concurrent caller, as separate extension windows would have.
  const pool = Array.from({ length: clients }, () => agent.client());
  const client = pool[0];
  try {
    // Warm-up: JIT, connection, page cache of /usr/bin/uptime.
    for (let i = 0; i < 20; i++) {
      await rawUptime();
      await agentUptime(client);
    }

    // Latency, sequential, interleaved.
    const raw: number[] = [];
    const viaAgent: number[] = [];
    const checkOnly: number[] = [];
    for (let i = 0; i < iterations; i++) {
      raw.push(await timed(rawUptime));
      viaAgent.push(await timed(() => agentUptime(client)));
      checkOnly.push(
        await timed(async () => {
          await client.check(["uptime"]);
        }),
      );
    }
    raw.sort((a, b) => a - b);
    viaAgent.sort((a, b) => a - b);
    checkOnly.sort((a, b) => a - b);

    // Throughput with `clients` concurrent callers: alternate rounds, sum over rounds.
    const rounds = 3;
    const perRound = Math.max(clients * 4, Math.round(iterations / 2));
    let rawTime = 0;
    let agentTime = 0;
    for (let r = 0; r < rounds; r++) {
      rawTime += perRound / (await throughput(perRound, clients, () => rawUptime()));
      agentTime += perRound / (await throughput(perRound, clients, (c) => agentUptime(pool[c])));
    }
    const rawRate = (rounds * perRound) / rawTime;
    const agentRate = (rounds * perRound) / agentTime;

    const results: BenchResult[] = [];
    for (const [label, p] of [
      ["p50", 50],
      ["p90", 90],
      ["p99", 99],
    ] as const) {
      const value = percentile(viaAgent, p);
      const baseline = percentile(raw, p);
      const ratio = value / baseline;
      const gated = label === "p50";
      results.push({
        name: `agent: uptime latency ${label} (keep-alive HTTP vs spawn)`,
        value: round(value),
        unit: "ms",
        baseline: round(baseline),
        ratio: round(ratio),
        target: gated ? `≤ ${P50_TARGET}× spawn` : null,
        pass: gated ? ratio <= P50_TARGET : null,
      });
    }
    results.push({
      name: "agent: /v1/check round trip p50 (signing, auth, policy; no process)",
      value: round(percentile(checkOnly, 50), 3),
      unit: "ms",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    });
    results.push({
      name: `agent: uptime throughput, ${clients} concurrent clients (vs spawn at ${clients})`,
      value: round(agentRate, 1),
      unit: "cmd/s",
      baseline: round(rawRate, 1),
      ratio: round(agentRate / rawRate),
      target: clients === 16 ? `≥ ${THROUGHPUT_TARGET}× spawn` : null,
      pass: clients === 16 ? agentRate / rawRate >= THROUGHPUT_TARGET : null,
    });
    return results;
  } finally {
    await agent.stop();
  }
}

if (require.main === module) {
  runAlone(() => benchAgent({ iterations: flag("--iterations", 400), clients: flag("--clients", 16) }), "spawn");
}
