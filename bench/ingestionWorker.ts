// The measured side of bench/ingestion.ts, in its own process (bundled like dist/extension.js) so
// that its memory is the consumer's and the store's alone, not the emulator's or the publisher's.
// Reads a JSON job from argv[2], prints one JSON result line on stdout.
import { AlarmStore, type AlarmStoreChange } from "../src/alarms/store";
import { SqsAlarmConsumer } from "../src/sqs/consumer";

export interface WorkerJob {
  kind: "latency" | "storm";
  endpoint: string;
  queueUrl: string;
  region: string;
  dir: string;
  /** storm: messages to drain (every one is deleted once saved). */
  total?: number;
  /**
   * storm: "store" (ATL: parse, dedupe, group, save) or "none", the baseline: the same consumer
   * receiving and deleting the same storm with a sink that keeps nothing, i.e. the AWS SDK's cost.
   */
  sink?: "store" | "none";
}

export interface WorkerResult {
  rssBeforeBytes: number;
  maxRssBytes: number;
  /** JS heap in use after a full GC once the storm is saved. */
  retainedHeapBytes: number;
  drainMs?: number;
  /** CPU (user + system) the consumer process spent while draining: steadier than wall time on a busy machine. */
  cpuMs: number;
  changeEvents?: number;
  incidents: number;
  unparsed: number;
  flaps: number;
  open: number;
  recorded: number;
  duplicates: number;
  deleted: number;
}

/** The baseline's sink: takes every body as already seen, saves nothing. */
const nullSink = { ingest: () => ({ kind: "duplicate" as const }), persist: () => Promise.resolve() };

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(job: WorkerJob): Promise<void> {
  const store = await AlarmStore.open({ dir: job.dir, watch: false, resolvedRetentionHours: 1e6 });
  const consumer = new SqsAlarmConsumer({
    connection: { queueUrl: job.queueUrl, region: job.region, endpoint: job.endpoint, credentials: { accessKeyId: "bench", secretAccessKey: "bench" } },
    store: job.sink === "none" ? nullSink : store,
    waitTimeSeconds: 20,
    visibilityTimeoutSeconds: 60,
  });
  let changeEvents = 0;
  store.onDidChange((change: AlarmStoreChange) => {
    changeEvents++;
    if (job.kind === "latency") {
      // The parent measures publish → this line.
      for (const t of change.transitions) {
        send({ seen: t.alarm.name, at: Date.now() });
      }
    }
  });
  const rssBeforeBytes = process.memoryUsage().rss;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  consumer.start();
  send({ ready: true });

  if (job.kind === "storm") {
    const total = job.total ?? 0;
    while (consumer.stats.deleted < total) {
      await new Promise((r) => setTimeout(r, 10));
    }
  } else {
    await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  }
  const drainMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  await store.persist();
  await consumer.stop();
  // Started with --expose-gc (which changes nothing until called): what the store really keeps.
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeapBytes = process.memoryUsage().heapUsed;
  const counts = store.counts();
  const incidents = store.listIncidents();
  const result: WorkerResult = {
    rssBeforeBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    retainedHeapBytes,
    drainMs: job.kind === "storm" ? drainMs : undefined,
    cpuMs: (cpu.user + cpu.system) / 1000,
    changeEvents,
    incidents: incidents.length,
    unparsed: counts.unparsed,
    flaps: incidents.reduce((n, i) => n + i.flaps, 0),
    open: counts.open,
    recorded: consumer.stats.recorded,
    duplicates: consumer.stats.duplicates,
    deleted: consumer.stats.deleted,
  };
  send({ result });
  await store.close();
}

main(JSON.parse(process.argv[2] ?? "{}") as WorkerJob).catch((error: unknown) => {
  process.stderr.write(`ingestion worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
