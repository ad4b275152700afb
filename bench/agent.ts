// Agent execution benchmark (issue 9, item 1): `uptime` through the real agent over keep-alive
// HTTP against `child_process.spawn("uptime")` in the same run, sequentially (latency) and with
// N concurrent clients (throughput). Raw and agent samples are interleaved so that the load of a
// shared machine hits both alike. The agent runs as deployed: audit file and replay journal on
// disk, each written durably before a command starts.
// Memory (issue 14): the agent's peak RSS under the worst concurrency its limits allow — every
// request slot busy with the most commands, each printing a full megabyte of binary stdout and of
// stderr — against the unit's MemoryMax=1G.
//
//   node --import tsx bench/agent.ts [--iterations 400] [--clients 16] [--memory-requests 16 --memory-commands 20]
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LIMITS } from "../agent/src/config";
import { AgentClient } from "../agent/src/protocol";
import { AGENT_BUNDLE, startAgent, type RunningAgent } from "../test/helpers/agent";
import type { BenchResult } from "./report";
import { flag, interleaved, latencyRows, percentile, rawUptime, round, runAlone } from "./measure";

export interface AgentBenchOptions {
  /** Sequential samples of each kind (latency), and requests per kind per throughput round. */
  iterations: number;
  /** Concurrent clients for throughput (the target is stated for 16). */
  clients: number;
  /** Concurrent requests of the memory figure (the default limits allow 16) … */
  memoryRequests: number;
  /** … of this many commands each (at most 20 by default). */
  memoryCommands: number;
}

const P50_TARGET = 1.2;
const THROUGHPUT_TARGET = 0.9;
/** A quarter of the unit's MemoryMax=1G: the rest is for the commands the agent runs. */
const RSS_TARGET_MB = 256;
const MiB = 1024 * 1024;

async function agentUptime(client: AgentClient): Promise<void> {
  const { results } = await client.exec(["uptime"]);
  if (results[0]?.exitCode !== 0 || !results[0].stdout.includes("load average")) {
    throw new Error(`uptime through the agent failed: ${JSON.stringify(results[0])}`);
  }
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
    const latency = await interleaved(iterations, {
      raw: rawUptime,
      viaAgent: () => agentUptime(client),
      checkOnly: () => client.check(["uptime"]),
    });

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

    const results: BenchResult[] = latencyRows((label) => `agent: uptime latency ${label} (keep-alive HTTP vs spawn)`, latency.viaAgent, latency.raw, P50_TARGET);
    results.push({
      name: "agent: /v1/check round trip p50 (signing, auth, policy; no process)",
      value: round(percentile(latency.checkOnly, 50), 3),
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
    results.push(...(await benchMemory(opts.memoryRequests, opts.memoryCommands)));
    return results;
  } finally {
    await agent.stop();
  }
}

/** Peak and current resident memory of a process (VmHWM, VmRSS), in MB. */
async function rssOf(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peak: kib("VmHWM") / 1024, now: kib("VmRSS") / 1024 };
}

/**
 * `requests` concurrent exec requests of `commands` commands, each command printing 1 MiB of random
 * bytes on stdout and 1 MiB of NULs on stderr (before issue 14: 6 bytes of JSON per NUL, and whole
 * answers built in memory). Reports the agent's peak RSS against an idle agent's.
 */
async function benchMemory(requests: number, commands: number): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), "atl-bench-memory-"));
  const blob = join(dir, "random.bin");
  await writeFile(blob, Buffer.from(Array.from({ length: MiB }, (_, i) => (i * 2_654_435_761) >>> 24)));
  const agent = await startAgent({
    ...(existsSync(AGENT_BUNDLE) ? { bundle: true } : {}),
    // The default limits (16 requests, 20 commands, 1 MiB per stream, 4 MiB per answer); a shell to print both streams.
    policy: { version: 1, rules: [{ id: "bench-sh", program: "sh", args: ["-c"], allowExtraArgs: true, risk: "mutating", effect: "allow" }] },
  });
  try {
    requests = Math.min(requests, DEFAULT_LIMITS.maxConcurrent);
    commands = Math.min(commands, DEFAULT_LIMITS.maxCommands);
    await agent.client().exec(["uptime"]);
    const idle = await rssOf(agent.pid);
    const command = `sh -c 'cat ${blob}; head -c ${MiB} /dev/zero >&2'`;
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: requests }, () => agent.client().exec(Array.from({ length: commands }, () => command), 120)));
    const seconds = (performance.now() - started) / 1000;
    for (const { results } of answers) {
      if (results.length !== commands || results.some((r) => r.exitCode !== 0) || results[0].stdoutBinary !== true) {
        throw new Error(`a memory-benchmark answer is incomplete or wrong: ${JSON.stringify(results.map((r) => [r.exitCode, r.truncated, r.notRun]))}`);
      }
    }
    const { peak } = await rssOf(agent.pid);
    return [
      {
        name: `agent: peak RSS, ${requests} concurrent requests × ${commands} commands of 1 MiB binary stdout + 1 MiB stderr (vs idle agent)`,
        value: round(peak, 1),
        unit: "MB",
        baseline: round(idle.now, 1),
        ratio: round(peak / idle.now),
        target: `≤ ${RSS_TARGET_MB} MB (MemoryMax=1G)`,
        pass: peak <= RSS_TARGET_MB,
      },
      {
        name: `agent: time for those ${requests * commands} commands (${(requests * commands * 2).toLocaleString("en-US")} MiB of output through the agent)`,
        value: round(seconds, 1),
        unit: "s",
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
    ];
  } finally {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runAlone(
    () =>
      benchAgent({
        iterations: flag("--iterations", 400),
        clients: flag("--clients", 16),
        memoryRequests: flag("--memory-requests", 16),
        memoryCommands: flag("--memory-commands", 20),
      }),
    "spawn",
  );
}
