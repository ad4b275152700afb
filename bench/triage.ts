// Proactive triage benchmark (issue 16): an alarm published to SNS (fauxqs) → SQS → `atl watch`
// (dist/cli.js, no LLM, --auto read-only) → the built-in runbook's plan → the real agent process on
// 127.0.0.1 runs it → the report is written (the stdout line that announces DIR/<id>.md). Each
// sample is a new alarm on the same host, published once the previous report was written.
// Baseline, in the same process and interleaved: the same commands that triage ran (from its
// DIR/<id>.json) sent straight through the agent transport to the same agent — the part no triage
// can avoid. The ratio is what the queue, the store, the coordinator, the graph and the report add.
//
//   node --import tsx bench/triage.ts [--samples 15]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createCommandPolicy } from "../agent/src/policy";
import type { TriageFile } from "../src/cli/watch";
import { envSecrets } from "../src/cli/common";
import { HostDirectory } from "../src/hosts/directory";
import type { HostEntry } from "../src/hosts/model";
import { silentLogger } from "../src/shared/log";
import { startAgent } from "../test/helpers/agent";
import { Fauxqs } from "../test/helpers/fauxqs";
import { WatchProcess } from "../test/helpers/watch";
import { cpuAlarmMessage } from "../test/unit/alarms/samples";
import { flag, latencyRow, percentile, round, runAlone } from "./measure";
import type { BenchResult } from "./report";

export interface TriageBenchOptions {
  samples: number;
}

const ROOT = resolve(__dirname, "..");
const INSTANCE = "i-0a1b2c3d4e5f67890";
const WARMUP = 2;
/** One sample may wait for a long poll and a busy machine; beyond this the run is broken, not slow. */
const SAMPLE_TIMEOUT_MS = 120_000;

interface Line {
  alarm: string;
  status: TriageFile["status"];
  json: string;
}

export async function benchTriage(opts: TriageBenchOptions): Promise<BenchResult[]> {
  const samples = Math.max(1, opts.samples);
  // The CLI as it ships from this commit.
  const build = spawnSync(process.execPath, ["esbuild.mjs", "--only", "cli"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) {
    throw new Error(`building dist/cli.js failed: ${build.stderr}`);
  }
  const dir = await mkdtemp(join(tmpdir(), "atl-bench-triage-"));
  const emulator = await Fauxqs.start();
  const agent = await startAgent({ bundle: true });
  let watch: WatchProcess<Line> | undefined;
  const directory: { value: HostDirectory | null } = { value: null };
  try {
    const host: HostEntry = { id: "bench-web-01", name: "bench-web-01", aliases: [INSTANCE], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile };
    const hostsFile = join(dir, "hosts.json");
    await writeFile(hostsFile, JSON.stringify([host]), { mode: 0o600 });
    const route = await emulator.createAlarmRoute();
    watch = WatchProcess.start<Line>({ emulator, route, hostsFile, out: join(dir, "out"), home: dir, args: ["--auto", "read-only", "--debounce-minutes", "0", "--quiet"] });
    directory.value = new HostDirectory([host], envSecrets({}), { policy: createCommandPolicy(), logger: silentLogger });
    const transport = await directory.value.transport(host);

    const endToEnd: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < samples + WARMUP; i++) {
      const name = `bench-triage-${i}-cpu-high`;
      const t0 = performance.now();
      await emulator.publish(route.topicArn, cpuAlarmMessage({ name, instanceId: INSTANCE }));
      const { line, at } = await watch.lineOf(name, SAMPLE_TIMEOUT_MS);
      if (line.status !== "done") {
        throw new Error(`triage of ${name} ended ${line.status}, not done`);
      }
      const file = JSON.parse(readFileSync(line.json, "utf8")) as TriageFile;
      const ran = file.commands.filter((c) => c.status !== null).map((c) => c.command);
      if (ran.length === 0) {
        throw new Error(`triage of ${name} ran no command`);
      }
      // Interleaved, so that the shared machine's load hits both alike.
      const t1 = performance.now();
      const results = await transport.exec(ran, { timeoutSec: 30 });
      const directMs = performance.now() - t1;
      if (results.length !== ran.length) {
        throw new Error(`the agent answered ${results.length} of ${ran.length} commands`);
      }
      if (i >= WARMUP) {
        endToEnd.push(at - t0);
        direct.push(directMs);
      }
    }
    // ATL's own share of each sample: its end-to-end time less its commands' time through the transport.
    const own = endToEnd.map((e, j) => e - direct[j]).sort((a, b) => a - b);
    endToEnd.sort((a, b) => a - b);
    direct.sort((a, b) => a - b);
    return [
      latencyRow("triage: alarm published → report written, p50 (atl watch, no LLM, real agent; vs the same commands straight through the agent transport)", endToEnd, direct, 50),
      latencyRow("triage: alarm published → report written, p90 (same)", endToEnd, direct, 90),
      {
        name: "triage: ATL's own time per alarm, p50 (end to end minus its commands through the transport: SNS/SQS delivery, store, coordinator, graph, report files)",
        value: round(percentile(own, 50)),
        unit: "ms",
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
    ];
  } finally {
    directory.value?.dispose();
    if (watch && watch.child.exitCode === null) {
      await watch.stop();
    }
    await agent.stop();
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runAlone(() => benchTriage({ samples: flag("--samples", 15) }), "same commands through the transport");
}
