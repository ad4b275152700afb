// SqsAlarmConsumer against the fauxqs emulator (CloudWatch → SNS topic → SQS queue): every sample
// through SNS with the envelope and with raw delivery, malformed bodies kept then deleted, delete only
// after the store saved, dedupe of redeliveries, an emulator outage mid-poll, deletes in flight bounded, peek mode, and one
// poller among two windows.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, rmdir } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { AlarmStore, STORE_FILE } from "../../../src/alarms/store";
import type { AtlError } from "../../../src/shared/errors";
import { SqsAlarmConsumer, type ConsumerState, type SqsAlarmConsumerOptions } from "../../../src/sqs/consumer";
import { PollerElection } from "../../../src/sqs/pollerElection";
import { Fauxqs, SAMPLE_FILES, sample } from "../../helpers/fauxqs";
import { Resources } from "../../helpers/resources";
import { eventually } from "../../helpers/eventually";

const NOW = () => Date.parse("2026-11-25T06:00:00.000Z");

let emulator: Fauxqs;
let root: string;
let dirs = 0;
const consumers: SqsAlarmConsumer[] = [];
const stores: AlarmStore[] = [];

const resources = new Resources();
before(async () => {
  emulator = resources.add(await Fauxqs.start(), (e) => e.stop());
  root = resources.add(await mkdtemp(join(tmpdir(), "atl-consumer-")), (d) => rm(d, { recursive: true, force: true }));
  // Released first: what the tests opened on the emulator and in the folder.
  resources.defer(() => stores.forEach((s) => s.dispose()));
  resources.defer(() => Promise.all(consumers.map((c) => c.stop())));
});
after(() => resources.release());

async function openStore(dir = join(root, `d${++dirs}`)): Promise<AlarmStore> {
  const store = await AlarmStore.open({ dir, now: NOW, changeIntervalMs: 20, pollIntervalMs: 200 });
  stores.push(store);
  return store;
}

function consumer(route: { queueUrl: string }, store: AlarmStore, options: Partial<SqsAlarmConsumerOptions> = {}): SqsAlarmConsumer {
  const c = new SqsAlarmConsumer({
    connection: emulator.connection(route.queueUrl),
    store,
    // Short waits keep an aborted long poll from hiding messages for long (TESTING.md).
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 5,
    backoff: { initialMs: 100, maxMs: 500 },
    ...options,
  });
  consumers.push(c);
  return c;
}

async function queueEmpty(route: { queueUrl: string }): Promise<boolean> {
  const d = await emulator.depth(route.queueUrl);
  return d.visible === 0 && d.inFlight === 0;
}

const EXPECTED = new Map<string, [status: string, state: string, host: string | null]>([
  ["prod-web-01-cpu-high", ["resolved", "OK", "i-0a1b2c3d4e5f67890"]],
  ["prod-api-02-mem-used-percent-high", ["open", "INSUFFICIENT_DATA", "i-0f9e8d7c6b5a43210"]],
  ["prod-db-01 CWAgent disk_used_percent /var/lib/postgresql (nvme1n1 xfs) above 85 percent", ["open", "ALARM", "i-0123456789abcdef0"]],
  ["prod-worker-07-status-check-failed", ["open", "ALARM", "i-07a6b5c4d3e2f1a0b"]],
  ["prod-web-01-network-total-high", ["open", "ALARM", "i-0a1b2c3d4e5f67890"]],
  ["prod-web-tier-degraded", ["open", "ALARM", "i-0a1b2c3d4e5f67890"]],
]);

function assertSampleIncidents(store: AlarmStore): void {
  const incidents = store.listIncidents();
  assert.deepEqual(
    new Map(incidents.map((i) => [i.name, [i.status, i.alarm.state, i.hostId]])),
    EXPECTED,
  );
}

/**
 * Every sample published, in order as CloudWatch would send them, through a route of this delivery
 * shape (the consumer may still see them in any order) and consumed until the queue is empty.
 */
async function consumeAllSamples(raw: boolean): Promise<{ store: AlarmStore; c: SqsAlarmConsumer }> {
  const route = await emulator.createAlarmRoute({ raw });
  const store = await openStore();
  const c = consumer(route, store);
  c.start();
  for (const file of SAMPLE_FILES) {
    await emulator.publishSample(route, file);
  }
  await eventually(() => store.listIncidents().length === 6 && store.listUnparsed().length === 1, 30_000, "6 incidents and 1 unparsed");
  await eventually(() => queueEmpty(route), 30_000, "an empty queue");
  assertSampleIncidents(store);
  return { store, c };
}

void describe("SqsAlarmConsumer: every sample through SNS", () => {
  void it("SNS envelope delivery: the right incidents, the malformed body kept, the queue emptied", async () => {
    const { store, c } = await consumeAllSamples(false);
    const disk = store.listIncidents().find((i) => i.name.startsWith("prod-db-01"));
    assert.equal(disk?.alarm.source, "sns");
    assert.ok(disk?.alarm.messageId, "the SNS MessageId of the envelope");
    assert.equal(store.listUnparsed()[0].body, sample("10-malformed-truncated-body.json"));
    await eventually(() => c.stats.deleted === 10, 30_000, "10 deletes");
    assert.equal(c.stats.received, 10);
    assert.equal(c.stats.duplicates, 1, "09 (EventBridge) is the same state change as 01");
    assert.equal(c.state.status, "polling");

    // What the store saved is what a restarted window reads.
    await c.stop();
    const reread = await openStore(join(store.file, ".."));
    assertSampleIncidents(reread);
    assert.equal(reread.listUnparsed().length, 1);
  });

  void it("bodies up to the SQS maximum of 1 MiB are kept whole, a valid alarm of that size is parsed, and only then deleted", async () => {
    const route = await emulator.createAlarmRoute({ raw: true });
    const store = await openStore();
    const c = consumer(route, store);
    c.start();
    // A malformed body of exactly 1 MiB (1,048,576 bytes: multi-byte characters included) …
    const head = '{"note":"not an alarm","log":"';
    const malformed = `${head}${"로그".repeat(100_000)}${"x".repeat(1_048_576 - Buffer.byteLength(head) - 600_000 - 2)}"}`;
    assert.equal(Buffer.byteLength(malformed), 1_048_576);
    // … and a real alarm whose reason carries a long log excerpt, just under 1 MiB.
    const alarm = JSON.parse(sample("01-ec2-cpu-alarm.json")) as { Message: string };
    const inner = JSON.parse(alarm.Message) as Record<string, unknown>;
    const bigAlarm = JSON.stringify({ ...inner, NewStateReason: `Threshold Crossed: ${"r".repeat(1_000_000)}` });
    assert.ok(Buffer.byteLength(bigAlarm) > 262_144 && Buffer.byteLength(bigAlarm) <= 1_048_576);
    await emulator.send(route.queueUrl, malformed);
    await emulator.send(route.queueUrl, bigAlarm);
    await eventually(() => store.listUnparsed().length === 1 && store.listIncidents().length === 1, 30_000, "both bodies recorded");
    await eventually(() => queueEmpty(route), 30_000, "an empty queue");
    assert.equal(store.listUnparsed()[0].body, malformed, "not cut at 256 KiB");
    assert.equal(store.listUnparsed()[0].bodyBytes, undefined, "no cut marker");
    assert.equal(store.listIncidents()[0].alarm.reason.length, "Threshold Crossed: ".length + 1_000_000);
    // Saved whole: a restarted window reads the same.
    await c.stop();
    const reread = await openStore(join(store.file, ".."));
    assert.equal(reread.listUnparsed()[0].body, malformed);
  });

  void it("raw message delivery: the same incidents from the bare alarm JSON", async () => {
    const { store } = await consumeAllSamples(true);
    const disk = store.listIncidents().find((i) => i.name.startsWith("prod-db-01"));
    assert.equal(disk?.alarm.source, "raw");
    assert.equal(disk?.alarm.messageId, null);
  });

  void it("one topic fanned out to two engineers' queues: each consumer gets every alarm", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    const second = await emulator.createQueue(`engineer-b-${Date.now()}`);
    await emulator.subscribe(route.topicArn, second.queueArn, false);
    const storeA = await openStore();
    const storeB = await openStore();
    consumer(route, storeA).start();
    consumer(second, storeB).start();
    for (const file of ["01-ec2-cpu-alarm.json", "04-ec2-status-check-failed-alarm.json"] as const) {
      await emulator.publishSample(route, file);
    }
    await eventually(() => storeA.listIncidents().length === 2 && storeB.listIncidents().length === 2, 30_000, "both engineers to have both alarms");
  });
});

void describe("SqsAlarmConsumer: nothing lost, nothing twice", () => {
  void it("deletes only after the store saved: a failing disk leaves the messages in the queue", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    const store = await openStore();
    // Make saving fail: a directory where the store file goes.
    await mkdir(store.file);
    const failures: AtlError[] = [];
    const c = consumer(route, store);
    c.onDidFail((e) => failures.push(e));
    c.start();
    await emulator.publishSample(route, "10-malformed-truncated-body.json");
    await emulator.publishSample(route, "04-ec2-status-check-failed-alarm.json");
    await eventually(() => failures.some((f) => f.code === "storage"), 30_000, "the storage error");
    assert.equal(c.state.status, "retrying");
    assert.match(failures.find((f) => f.code === "storage")?.userMessage ?? "", /Could not save alarms .*disk space/);
    // Seen in memory (the view shows them), but not deleted from the queue.
    assert.equal(store.listUnparsed().length, 1);
    assert.equal(c.stats.deleted, 0);
    const depth = await emulator.depth(route.queueUrl);
    assert.equal(depth.visible + depth.inFlight, 2);

    // The disk recovers: saved, then deleted.
    await rmdir(store.file);
    await eventually(() => queueEmpty(route), 30_000, "the queue to empty after saving");
    const saved = JSON.parse(await readFile(store.file, "utf8")) as { incidents: unknown[]; unparsed: { body: string }[] };
    assert.equal(saved.incidents.length, 1);
    assert.equal(saved.unparsed[0].body, sample("10-malformed-truncated-body.json"));
    await eventually(() => c.state.status === "polling", 30_000, "polling again");
  });

  void it("a backlog of 600 flapping alarms drains through parallel receives into grouped incidents", async () => {
    const route = await emulator.createAlarmRoute({ raw: true });
    const bodies: string[] = [];
    for (let step = 0; step < 6; step++) {
      for (let a = 0; a < 100; a++) {
        const name = `backlog-${a}`;
        bodies.push(
          JSON.stringify({
            AlarmName: name,
            AlarmArn: `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:${name}`,
            NewStateValue: step % 2 === 0 ? "ALARM" : "OK",
            StateChangeTime: new Date(Date.parse("2026-11-25T03:00:00Z") + step * 60_000).toISOString().replace("Z", "+0000"),
            Trigger: { MetricName: "CPUUtilization", Namespace: "AWS/EC2", Dimensions: [{ name: "InstanceId", value: "i-0a1b2c3d4e5f67890" }] },
          }),
        );
      }
    }
    await emulator.sendBatch(route.queueUrl, bodies);
    const store = await openStore();
    const c = consumer(route, store);
    c.start();
    await eventually(() => c.stats.deleted === 600, 60_000, "the backlog to drain");
    assert.equal(c.stats.recorded, 600);
    assert.ok(c.stats.peakReceivers > 1, "a backlog is received in parallel");
    const incidents = store.listIncidents();
    assert.equal(incidents.length, 100);
    assert.ok(incidents.every((i) => i.status === "resolved" && i.flaps === 2 && i.history.length === 6));
    await eventually(() => queueEmpty(route), 30_000, "an empty queue");
  });

  void it("a save that settles many waiting batches sends at most maxSettleRequests deletes at once", async () => {
    // A loopback proxy in front of the emulator counts DeleteMessageBatch requests in flight (and
    // holds each answer a little, so that unbounded deletes would pile up).
    let inFlight = 0;
    let peak = 0;
    let deletes = 0;
    const target = new URL(emulator.endpoint);
    const proxy: Server = createServer((req, res) => {
      const isDelete = String(req.headers["x-amz-target"] ?? "").endsWith("DeleteMessageBatch");
      if (isDelete) {
        deletes++;
        peak = Math.max(peak, ++inFlight);
      }
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          setTimeout(
            () => {
              if (isDelete) {
                inFlight--;
              }
              res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
            },
            isDelete ? 40 : 0,
          );
        });
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const route = await emulator.createAlarmRoute({ raw: true });
      const bodies = Array.from({ length: 300 }, (_, i) =>
        JSON.stringify({
          AlarmName: `settle-${i}`,
          AlarmArn: `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:settle-${i}`,
          NewStateValue: "ALARM",
          StateChangeTime: "2026-11-25T03:00:00+0000",
          Trigger: { MetricName: "CPUUtilization", Namespace: "AWS/EC2", Dimensions: [{ name: "InstanceId", value: "i-0a1b2c3d4e5f67890" }] },
        }),
      );
      await emulator.sendBatch(route.queueUrl, bodies);
      const store = await openStore();
      // Through the proxy: the same queue, another endpoint.
      const proxied = { ...emulator.connection(route.queueUrl), endpoint: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` };
      const c = consumer(route, store, { connection: proxied, maxSettleRequests: 2 });
      c.start();
      await eventually(() => c.stats.deleted === 300, 60_000, "the 300 messages to be deleted");
      assert.ok(deletes >= 30, `every batch deleted through the proxy (${deletes} requests)`);
      assert.ok(peak <= 2, `at most 2 deletes in flight, saw ${peak}`);
      assert.equal(store.listIncidents().length, 300);
      await c.stop();
    } finally {
      proxy.close();
    }
  });

  void it("the same SNS message delivered twice is recorded once; both copies are deleted", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    const store = await openStore();
    const c = consumer(route, store);
    c.start();
    const envelope = sample("04-ec2-status-check-failed-alarm.json");
    await emulator.send(route.queueUrl, envelope);
    await emulator.send(route.queueUrl, envelope);
    await eventually(() => c.stats.received === 2 && c.stats.deleted === 2, 30_000, "both copies handled");
    assert.equal(c.stats.duplicates, 1);
    assert.equal(store.listIncidents().length, 1);
  });

  void it("a message redelivered after its visibility timeout (saved, but not deleted before a crash) is deduped", async () => {
    const route = await emulator.createAlarmRoute({ raw: true, visibilityTimeoutSeconds: 1 });
    const store = await openStore();
    await emulator.publishSample(route, "02-cwagent-mem-used-percent-alarm-raw.json");
    // A window received and saved it, then closed before deleting.
    const first = await emulator.sqs.send(new ReceiveMessageCommand({ QueueUrl: route.queueUrl, WaitTimeSeconds: 5, VisibilityTimeout: 1 }));
    const message = first.Messages?.[0];
    assert.ok(message?.Body);
    assert.equal(store.ingest(message.Body, { sqsMessageId: message.MessageId }).kind, "recorded");
    await store.persist();

    const c = consumer(route, store);
    c.start();
    await eventually(() => c.stats.deleted === 1, 30_000, "the redelivery to be deleted");
    assert.equal(c.stats.duplicates, 1);
    assert.equal(store.listIncidents().length, 1);
    await eventually(() => queueEmpty(route), 30_000, "an empty queue");
  });

  void it("the emulator stops mid-poll and comes back: one error reported, then recovery, nothing lost", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    const store = await openStore();
    const c = consumer(route, store);
    const failures: AtlError[] = [];
    const states: ConsumerState[] = [];
    c.onDidFail((e) => failures.push(e));
    c.onDidChangeState((s) => states.push(s));
    c.start();
    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    await eventually(() => store.listIncidents().length === 1, 30_000, "the first alarm");

    // Published right before the outage: received or not, it must end up in the store.
    await emulator.publishSample(route, "04-ec2-status-check-failed-alarm.json");
    await emulator.restart({ downMs: 2500 });
    await emulator.publishSample(route, "07-metric-math-alarm.json");

    await eventually(() => store.listIncidents().length === 3, 30_000, "all three alarms after the outage");
    await eventually(() => c.state.status === "polling", 30_000, "polling again");
    const retries = states.filter((s) => s.status === "retrying").length;
    assert.ok(retries >= 2, `retried ${retries} times during the outage`);
    const networkErrors = failures.filter((f) => f.code === "sqs-network");
    assert.equal(networkErrors.length, 1, "the same error is reported once");
    assert.match(networkErrors[0].userMessage, /Cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    await eventually(() => queueEmpty(route), 30_000, "an empty queue");
  });
});

void describe("SqsAlarmConsumer: peek mode and one poller per machine", () => {
  void it("peek never deletes, re-reads without duplicates, and leaves every message to the queue's owner", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    const store = await openStore();
    const peek = consumer(route, store, { mode: "peek", peekIntervalSeconds: 1 });
    peek.start();
    for (const file of ["01-ec2-cpu-alarm.json", "03-cwagent-disk-used-percent-alarm.json", "10-malformed-truncated-body.json"] as const) {
      await emulator.publishSample(route, file);
    }
    await eventually(() => store.listIncidents().length === 2 && store.listUnparsed().length === 1, 30_000, "the peeked alarms");
    await eventually(() => peek.stats.duplicates >= 3, 30_000, "the same messages read again");
    assert.equal(store.listIncidents().length, 2);
    assert.equal(store.listUnparsed().length, 1);
    assert.equal(peek.stats.deleted, 0);
    assert.ok(peek.stats.released >= 3);
    const depth = await emulator.depth(route.queueUrl);
    assert.equal(depth.visible + depth.inFlight, 3);
    await peek.stop();

    // The queue's owner (consume mode) still gets all three.
    const ownerStore = await openStore();
    const owner = consumer(route, ownerStore);
    owner.start();
    await eventually(() => queueEmpty(route), 30_000, "the owner to consume everything");
    assert.equal(ownerStore.listIncidents().length + ownerStore.listUnparsed().length, 3);
  });

  void it("two windows on one machine: only the elected one polls; the other takes over when it closes", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    const dir = join(root, `shared-${++dirs}`);
    await mkdir(dir, { recursive: true });
    const windows = await Promise.all(
      ["window-a", "window-b"].map(async (id) => {
        const store = await openStore(dir);
        const election = new PollerElection({ dir, id, heartbeatMs: 100, staleMs: 2000 });
        const c = consumer(route, store);
        // The wiring the extension does: poll while elected.
        election.onDidChangeLeadership((leader) => {
          if (leader) {
            c.start();
          } else {
            void c.stop();
          }
        });
        return { id, store, election, consumer: c };
      }),
    );
    await windows[0].election.start();
    await windows[1].election.start();
    const [a, b] = windows;
    assert.equal(a.election.isPoller, true);
    assert.equal(b.election.isPoller, false);

    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    await emulator.publishSample(route, "04-ec2-status-check-failed-alarm.json");
    await eventually(() => a.store.listIncidents().length === 2, 30_000, "the poller's store");
    // The other window sees them through the shared file without polling.
    await eventually(() => b.store.listIncidents().length === 2, 30_000, "the other window's view");
    assert.equal(b.consumer.isRunning, false);
    assert.equal(b.consumer.stats.receives, 0);

    // Window A closes.
    a.election.dispose();
    await a.consumer.stop();
    await eventually(() => b.election.isPoller && b.consumer.isRunning, 30_000, "window B to take over");
    await emulator.publishSample(route, "07-metric-math-alarm.json");
    await eventually(() => b.store.listIncidents().length === 3, 30_000, "the new poller to record the next alarm");
    // Deleted only once saved: an empty queue means the file has it.
    await eventually(() => queueEmpty(route), 30_000, "an empty queue");
    assert.ok(b.consumer.stats.receives > 0);
    b.election.dispose();
    const file = JSON.parse(await readFile(join(dir, STORE_FILE), "utf8")) as { incidents: unknown[] };
    assert.equal(file.incidents.length, 3);
  });
});
