// Alarm ingestion benchmark (issue 5): CloudWatch-shaped alarms published to an SNS topic (fauxqs,
// in its own process), delivered to SQS, long-polled by SqsAlarmConsumer into the AlarmStore.
//   latency: SNS Publish → the store's change event for that alarm (what the Alarms view listens
//            to) and → saved on disk; sparse alarms, one at a time. Target p50/p99 ≤ 100 ms.
//   storm:   N messages already queued (flapping alarms, re-sent duplicates, malformed bodies) →
//            drained, deduplicated, grouped and saved. Targets for 10,000: ≤ 10 s, peak RSS < 80 MB.
// The measured consumer runs in a separate process bundled like dist/extension.js, so its memory
// is its own.
//
//   node --import tsx bench/ingestion.ts [--storm 10000] [--samples 60]
//   ATL_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" … profiles the measured process.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { Fauxqs, TEST_REGION, type AlarmRoute } from "../test/helpers/fauxqs";
import type { WorkerJob, WorkerResult } from "./ingestionWorker";
import type { BenchResult } from "./report";
import { flag, percentile, runAlone } from "./measure";

export interface IngestionBenchOptions {
  /** Messages in the storm (the target is stated for 10,000). */
  storm: number;
  /** Latency samples. Default 60. */
  samples?: number;
}

const LATENCY_TARGET_MS = 100;
const STORM_TIME_TARGET_S = 10;
const STORM_RSS_TARGET_MB = 80;
const ACCOUNT = "123456789012";
const BASE_TIME = Date.parse("2026-11-25T03:00:00.000Z");

type WorkerLine = { ready: true } | { seen: string; at: number } | { saved: string; at: number } | { result: WorkerResult };

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function alarmMessage(name: string, state: "ALARM" | "OK", minute: number, host: string): string {
  const arn = `arn:aws:cloudwatch:${TEST_REGION}:${ACCOUNT}:alarm:${name}`;
  const stamp = new Date(BASE_TIME + minute * 60_000).toISOString().replace("Z", "+0000");
  return JSON.stringify({
    AlarmName: name,
    AlarmDescription: `CPU > 80% on ${host}`,
    AWSAccountId: ACCOUNT,
    NewStateValue: state,
    NewStateReason: state === "ALARM" ? "Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (80.0)." : "Threshold Crossed: 1 out of the last 3 datapoints was not greater than the threshold (80.0).",
    StateChangeTime: stamp,
    Region: "Asia Pacific (Seoul)",
    AlarmArn: arn,
    OldStateValue: state === "ALARM" ? "OK" : "ALARM",
    Trigger: {
      MetricName: "CPUUtilization",
      Namespace: "AWS/EC2",
      StatisticType: "Statistic",
      Statistic: "AVERAGE",
      Unit: null,
      Dimensions: [{ value: host, name: "InstanceId" }],
      Period: 60,
      EvaluationPeriods: 3,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 80,
      TreatMissingData: "missing",
    },
  });
}

/** Bundles the worker the way dist/extension.js is bundled (no tsx in the measured process). */
async function bundleWorker(dir: string): Promise<string> {
  const outfile = join(dir, "ingestion-worker.js");
  await esbuild.build({
    entryPoints: [join(import.meta.dirname, "ingestionWorker.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    mainFields: ["module", "main"],
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

class Worker {
  private buffer = "";
  private readonly waiters: { test: (line: WorkerLine) => boolean; resolve: (line: WorkerLine) => void }[] = [];
  readonly exited: Promise<number | null>;
  private readonly child;

  constructor(script: string, job: WorkerJob) {
    this.child = spawn(process.execPath, [...(process.env.ATL_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []), "--expose-gc", script, JSON.stringify(job)], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString();
      const lines = this.buffer.split("\n");
      this.buffer = lines.pop() ?? "";
      for (const text of lines) {
        const line = JSON.parse(text) as WorkerLine;
        const i = this.waiters.findIndex((w) => w.test(line));
        if (i >= 0) {
          this.waiters.splice(i, 1)[0].resolve(line);
        }
      }
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  next<T extends WorkerLine>(test: (line: WorkerLine) => line is T, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the ingestion worker did not answer in time")), timeoutMs);
      this.waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line as T);
        },
      });
      void this.exited.then((code) => reject(new Error(`the ingestion worker exited (${code})`)));
    });
  }

  finish(): void {
    this.child.stdin.write("done\n");
  }

  /** Lets the worker exit by itself (it closes its store), or kills it after 10 s. */
  async close(): Promise<void> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      await this.exited;
    }
    clearTimeout(timer);
  }
}

const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

async function measureLatency(emulator: Fauxqs, script: string, dir: string, samples: number): Promise<BenchResult[]> {
  const route = await emulator.createAlarmRoute({ raw: false, topic: "bench-latency", queue: "bench-latency" });
  const worker = new Worker(script, { kind: "latency", endpoint: emulator.endpoint, queueUrl: route.queueUrl, region: TEST_REGION, dir: join(dir, "latency") });
  try {
    await worker.next((l): l is { ready: true } => "ready" in l);
    await new Promise((r) => setTimeout(r, 500));
    const visible: number[] = [];
    for (let i = 0; i < samples; i++) {
      const name = `latency-${i}`;
      const seen = worker.next((l): l is { seen: string; at: number } => "seen" in l && l.seen === name, 30_000);
      const sent = now();
      await emulator.publish(route.topicArn, alarmMessage(name, "ALARM", i, "i-0a1b2c3d4e5f67890"));
      visible.push((await seen).at - sent);
      // Sparse alarms: leave the view's refresh throttle (250 ms) quiet between samples.
      await new Promise((r) => setTimeout(r, 300));
    }
    worker.finish();
    await worker.next((l): l is { result: WorkerResult } => "result" in l);
    visible.sort((a, b) => a - b);
    const p50 = round(percentile(visible, 50));
    const p99 = round(percentile(visible, 99));
    return [
      { name: "ingestion: SNS publish → alarm in store, p50", value: p50, unit: "ms", baseline: null, ratio: null, target: `≤ ${LATENCY_TARGET_MS} ms`, pass: p50 <= LATENCY_TARGET_MS },
      { name: "ingestion: SNS publish → alarm in store, p99", value: p99, unit: "ms", baseline: null, ratio: null, target: `≤ ${LATENCY_TARGET_MS} ms`, pass: p99 <= LATENCY_TARGET_MS },
    ];
  } finally {
    await worker.close();
  }
}

interface StormPlan {
  messages: string[];
  malformed: number;
  duplicates: number;
  alarms: number;
  flaps: number;
  open: number;
}

/**
 * `total` messages: alarms that flap ALARM/OK once a minute (one incident each, flaps counted),
 * 5 % re-published copies of earlier state changes (duplicates), 0.1 % malformed bodies.
 */
function planStorm(total: number): StormPlan {
  const malformed = Math.max(1, Math.floor(total / 1000));
  const duplicates = Math.floor(total * 0.05);
  const unique = total - malformed - duplicates;
  const alarms = Math.max(1, Math.floor(unique / 20));
  const messages: string[] = [];
  const steps = new Map<number, number>();
  for (let i = 0; i < unique; i++) {
    const alarm = i % alarms;
    const step = Math.floor(i / alarms);
    steps.set(alarm, step);
    const host = `i-${(0x0a1b2c3d00 + (alarm % 200)).toString(16).padStart(17, "0")}`;
    messages.push(alarmMessage(`storm-${alarm}`, step % 2 === 0 ? "ALARM" : "OK", step, host));
  }
  for (let i = 0; i < duplicates; i++) {
    messages.push(messages[(i * 7919) % unique]);
  }
  let flaps = 0;
  let open = 0;
  for (const last of steps.values()) {
    // ALARM at even steps: the first opens, each later one reopens (a flap); OK at odd steps resolves.
    flaps += Math.floor(last / 2);
    open += last % 2 === 0 ? 1 : 0;
  }
  return { messages, malformed, duplicates, alarms, flaps, open };
}

/** Queues the storm on a fresh route; returns its queue URL. */
async function queueStorm(emulator: Fauxqs, name: string, plan: StormPlan, total: number): Promise<string> {
  const route: AlarmRoute = await emulator.createAlarmRoute({ raw: false, topic: name, queue: name });
  await emulator.publishBatch(route.topicArn, plan.messages);
  for (let i = 0; i < plan.malformed; i++) {
    await emulator.send(route.queueUrl, '{"Type":"Notification","MessageId":"cut-short","Message":"{\\"AlarmName\\":\\"x');
  }
  const depth = await emulator.depth(route.queueUrl);
  if (depth.visible !== total) {
    throw new Error(`the storm queue holds ${depth.visible} messages, expected ${total}`);
  }
  return route.queueUrl;
}

async function drainStorm(emulator: Fauxqs, script: string, dir: string, queueUrl: string, total: number, sink: "store" | "none"): Promise<WorkerResult> {
  const worker = new Worker(script, { kind: "storm", endpoint: emulator.endpoint, queueUrl, region: TEST_REGION, dir: join(dir, `storm-${sink}`), total, sink });
  try {
    return (await worker.next((l): l is { result: WorkerResult } => "result" in l, 300_000)).result;
  } finally {
    await worker.close();
  }
}

async function measureStorm(emulator: Fauxqs, script: string, dir: string, total: number): Promise<BenchResult[]> {
  const plan = planStorm(total);
  // The baseline first, on its own copy of the storm: the same consumer and SDK, keeping nothing.
  const sdkOnly = await drainStorm(emulator, script, dir, await queueStorm(emulator, "bench-storm-sdk", plan, total), total, "none");
  const result = await drainStorm(emulator, script, dir, await queueStorm(emulator, "bench-storm", plan, total), total, "store");
  const expected = { incidents: plan.alarms, unparsed: plan.malformed, duplicates: plan.duplicates, flaps: plan.flaps, open: plan.open };
  const actual = { incidents: result.incidents, unparsed: result.unparsed, duplicates: result.duplicates, flaps: result.flaps, open: result.open };
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new Error(`the storm was not grouped right: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
  const seconds = round((result.drainMs ?? 0) / 1000, 2);
  const rssMb = round(result.maxRssBytes / 1024 / 1024);
  const sdkRssMb = round(sdkOnly.maxRssBytes / 1024 / 1024);
  const scaled = total === 10_000;
  return [
    {
      name: `ingestion: storm of ${total} messages drained, deduplicated, grouped and saved`,
      value: seconds,
      unit: "s",
      baseline: null,
      ratio: null,
      target: scaled ? `≤ ${STORM_TIME_TARGET_S} s` : null,
      pass: scaled ? seconds <= STORM_TIME_TARGET_S : null,
    },
    {
      name: "ingestion: CPU time of the consumer process for the storm (user + system)",
      value: round(result.cpuMs / 1000, 2),
      unit: "s",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    },
    {
      name: `ingestion: storm throughput (${plan.alarms} incidents, ${plan.duplicates} duplicates, ${plan.malformed} unparsed)`,
      value: Math.round(total / ((result.drainMs ?? 1) / 1000)),
      unit: "msg/s",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    },
    {
      name: `ingestion: peak RSS of the consumer process during the storm (at start ${round(result.rssBeforeBytes / 1024 / 1024)} MB; vs the SDK alone receiving and deleting it)`,
      value: rssMb,
      unit: "MB",
      baseline: sdkRssMb,
      ratio: round(rssMb / sdkRssMb, 2),
      target: scaled ? `< ${STORM_RSS_TARGET_MB} MB` : null,
      pass: scaled ? rssMb < STORM_RSS_TARGET_MB : null,
    },
    {
      name: `ingestion: heap the store retains after the storm (${plan.alarms} incidents, after a full GC)`,
      value: round(result.retainedHeapBytes / 1024 / 1024),
      unit: "MB",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    },
    {
      name: "ingestion: store change events (UI refreshes) during the storm",
      value: result.changeEvents ?? 0,
      unit: "events",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    },
  ];
}

export async function benchIngestion(opts: IngestionBenchOptions): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), "atl-bench-ingestion-"));
  const emulator = await Fauxqs.start({ separateProcess: true });
  try {
    const script = await bundleWorker(dir);
    const latency = await measureLatency(emulator, script, dir, opts.samples ?? 60);
    const storm = await measureStorm(emulator, script, dir, opts.storm);
    return [...latency, ...storm];
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runAlone(() => benchIngestion({ storm: flag("--storm", 10_000), samples: flag("--samples", 60) }), "SDK alone");
}
