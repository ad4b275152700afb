// SSH execution benchmark (issue 9, item 1, the SSH leg): `uptime` through SshTransport to a
// private sshd on 127.0.0.1 over one reused connection with no-delay, against
// `child_process.spawn("uptime")` in the same run. Also: the same without no-delay (why it is on),
// and the cost of a fresh connection (key exchange + login + first command). Samples of each kind
// are interleaved so the load of a shared machine hits all alike.
//
//   node --import tsx bench/ssh.ts [--iterations 200]
import { readFile } from "node:fs/promises";
import { createCommandPolicy } from "../agent/src/policy/index";
import type { SshHostEntry } from "../src/hosts/model";
import { silentLogger } from "../src/shared/log";
import { SshTransport } from "../src/transports/ssh";
import { startSshd } from "../test/helpers/sshd";
import type { BenchResult } from "./report";
import { flag, percentile, rawUptime, round, runAlone } from "./measure";

export interface SshBenchOptions {
  /** Sequential samples of each kind. */
  iterations: number;
}

async function sshUptime(transport: SshTransport): Promise<void> {
  const [result] = await transport.exec(["uptime"], { timeoutSec: 30 });
  if (result?.exitCode !== 0 || !result.stdout.includes("load average")) {
    throw new Error(`uptime over SSH failed: ${JSON.stringify(result)}`);
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function benchSsh(opts: SshBenchOptions): Promise<BenchResult[]> {
  const iterations = Math.max(10, opts.iterations);
  const sshd = await startSshd();
  const host: SshHostEntry = { id: "bench", name: "bench", transport: "ssh", host: sshd.host, port: sshd.port, username: sshd.username, hostKeySha256: sshd.hostKeySha256 };
  const privateKey = await readFile(sshd.privateKeyFile, "utf8");
  const policy = createCommandPolicy();
  const make = (noDelay: boolean): SshTransport => new SshTransport({ host, privateKey, policy, logger: silentLogger, noDelay, idleMs: 600_000 });
  const fast = make(true);
  const nagle = make(false);
  try {
    for (let i = 0; i < 10; i++) {
      await rawUptime();
      await sshUptime(fast);
      await sshUptime(nagle);
    }
    const raw: number[] = [];
    const reused: number[] = [];
    const reusedNagle: number[] = [];
    for (let i = 0; i < iterations; i++) {
      raw.push(await timed(rawUptime));
      reused.push(await timed(() => sshUptime(fast)));
      reusedNagle.push(await timed(() => sshUptime(nagle)));
    }
    // Fresh connections are slow (key exchange, login): fewer samples.
    const fresh: number[] = [];
    for (let i = 0; i < Math.max(5, Math.round(iterations / 10)); i++) {
      const once = make(true);
      fresh.push(await timed(() => sshUptime(once)));
      once.dispose();
    }
    for (const list of [raw, reused, reusedNagle, fresh]) {
      list.sort((a, b) => a - b);
    }
    const results: BenchResult[] = [];
    for (const [label, p] of [
      ["p50", 50],
      ["p90", 90],
      ["p99", 99],
    ] as const) {
      const value = percentile(reused, p);
      const baseline = percentile(raw, p);
      results.push({
        name: `ssh: uptime latency ${label} (reused connection, no-delay, vs spawn)`,
        value: round(value),
        unit: "ms",
        baseline: round(baseline),
        ratio: round(value / baseline),
        target: null,
        pass: null,
      });
    }
    results.push({
      name: "ssh: uptime latency p50 without no-delay (Nagle on; vs no-delay)",
      value: round(percentile(reusedNagle, 50)),
      unit: "ms",
      baseline: round(percentile(reused, 50)),
      ratio: round(percentile(reusedNagle, 50) / percentile(reused, 50)),
      target: null,
      pass: null,
    });
    results.push({
      name: "ssh: new connection + key exchange + login + uptime p50 (vs spawn)",
      value: round(percentile(fresh, 50)),
      unit: "ms",
      baseline: round(percentile(raw, 50)),
      ratio: round(percentile(fresh, 50) / percentile(raw, 50)),
      target: null,
      pass: null,
    });
    return results;
  } finally {
    fast.dispose();
    nagle.dispose();
    await sshd.stop();
  }
}

if (require.main === module) {
  runAlone(() => benchSsh({ iterations: flag("--iterations", 200) }), "spawn");
}
