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
import { flag, interleaved, latencyRow, latencyRows, rawUptime, runAlone } from "./measure";

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
    const { raw, reused, reusedNagle } = await interleaved(iterations, {
      raw: rawUptime,
      reused: () => sshUptime(fast),
      reusedNagle: () => sshUptime(nagle),
    });
    // Fresh connections are slow (key exchange, login): fewer samples.
    const { fresh } = await interleaved(Math.max(5, Math.round(iterations / 10)), {
      fresh: async () => {
        const once = make(true);
        try {
          await sshUptime(once);
        } finally {
          once.dispose();
        }
      },
    });
    const results: BenchResult[] = latencyRows((label) => `ssh: uptime latency ${label} (reused connection, no-delay, vs spawn)`, reused, raw);
    results.push(latencyRow("ssh: uptime latency p50 without no-delay (Nagle on; vs no-delay)", reusedNagle, reused, 50));
    results.push(latencyRow("ssh: new connection + key exchange + login + uptime p50 (vs spawn)", fresh, raw, 50));
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
