// AlarmStore on a real folder: incidents from the samples, flapping, out-of-order delivery, dedupe,
// unparsed bodies, user actions, age-out, persistence across restarts, and several windows (store
// instances) sharing one file without losing each other's writes; separate processes: test/integration/alarms/storeProcesses.test.ts.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { UNPARSED_BODY_LIMIT } from "../../../src/alarms/incidents";
import { AlarmStore, LAST_GOOD_SUFFIX, STORE_FILE, type AlarmStoreChange, type AlarmStoreOptions } from "../../../src/alarms/store";
import { CPU_ARN, SAMPLE_FILES, WEB_01, at, makeAlarm, sample } from "./samples";
import { eventually } from "../../helpers/eventually";

let root: string;
const opened: AlarmStore[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "atl-store-"));
});
after(async () => {
  for (const store of opened) {
    store.dispose();
  }
  await rm(root, { recursive: true, force: true });
});

let dirCount = 0;
function freshDir(): string {
  return join(root, `s${++dirCount}`);
}

/** Fixed clock at the samples' time, so age-out does not depend on today's date. */
const SAMPLE_NOW = Date.parse("2026-11-25T06:00:00.000Z");

async function openStore(dir: string, options: Partial<AlarmStoreOptions> = {}): Promise<AlarmStore> {
  const store = await AlarmStore.open({ dir, now: () => SAMPLE_NOW, changeIntervalMs: 20, pollIntervalMs: 200, ...options });
  opened.push(store);
  return store;
}

/** Resolves with the first change event that satisfies `test` (the store throttles its events). */
function nextChange(store: AlarmStore, test: (c: AlarmStoreChange) => boolean = () => true, timeoutMs = 15_000): Promise<AlarmStoreChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error("no matching store change"));
    }, timeoutMs);
    const sub = store.onDidChange((change) => {
      if (test(change)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(change);
      }
    });
  });
}

void describe("AlarmStore: incidents from the sample bodies", () => {
  void it("01…10 in order: the right incidents, the composite follows its child to the host, one unparsed", async () => {
    const store = await openStore(freshDir());
    const outcomes = SAMPLE_FILES.map((file, i) => store.ingest(sample(file), { sqsMessageId: `sqs-${i}` }).kind);
    // 09 is the same state change as 01 delivered by EventBridge: recognised as a duplicate.
    assert.deepEqual(outcomes, ["recorded", "recorded", "recorded", "recorded", "recorded", "recorded", "recorded", "recorded", "duplicate", "unparsed"]);
    await store.persist();

    const byName = new Map(store.listIncidents().map((i) => [i.name, i]));
    assert.equal(byName.size, 6);
    const cpu = byName.get("prod-web-01-cpu-high");
    assert.equal(cpu?.status, "resolved");
    assert.equal(cpu?.openedAt, "2026-11-25T03:12:45.148Z");
    assert.equal(cpu?.resolvedAt, "2026-11-25T03:31:45.012Z");
    assert.deepEqual(cpu?.history.map((h) => h.state), ["ALARM", "OK"]);
    const mem = byName.get("prod-api-02-mem-used-percent-high");
    assert.equal(mem?.status, "open");
    assert.equal(mem?.alarm.state, "INSUFFICIENT_DATA");
    assert.equal(byName.get("prod-worker-07-status-check-failed")?.hostId, "i-07a6b5c4d3e2f1a0b");
    assert.equal(byName.get("prod-web-01-network-total-high")?.hostId, WEB_01);
    const composite = byName.get("prod-web-tier-degraded");
    assert.equal(composite?.alarm.hostId, null);
    assert.equal(composite?.hostId, WEB_01);
    assert.equal(store.hostForArn(CPU_ARN), WEB_01);

    const [unparsed] = store.listUnparsed();
    assert.equal(unparsed.messageId, "sqs-9");
    assert.equal(unparsed.body, sample("10-malformed-truncated-body.json"));
    assert.match(unparsed.error, /not valid JSON/);

    assert.deepEqual(store.counts(), { open: 5, alarm: 4, insufficientData: 1, ok: 1, resolved: 1, unacknowledged: 5, unparsed: 1 });
    assert.deepEqual(
      store.listIncidents({ status: "open", state: "ALARM" }).map((i) => i.name),
      // Most recent change first.
      [
        "prod-web-01-network-total-high",
        "prod-worker-07-status-check-failed",
        "prod-db-01 CWAgent disk_used_percent /var/lib/postgresql (nvme1n1 xfs) above 85 percent",
        "prod-web-tier-degraded",
      ],
    );
    assert.deepEqual(store.listIncidents({ hostId: WEB_01, status: "all" }).length, 3);
    assert.deepEqual(store.listIncidents({ text: "WORKER" }).map((i) => i.name), ["prod-worker-07-status-check-failed"]);
    assert.equal(store.listIncidents({ limit: 2 }).length, 2);
  });

  void it("a composite that arrives before its child gets the host when the child arrives", async () => {
    const store = await openStore(freshDir());
    store.ingest(sample("08-composite-alarm.json"));
    assert.equal(store.listIncidents()[0].hostId, null);
    store.ingest(sample("01-ec2-cpu-alarm.json"));
    const composite = store.listIncidents().find((i) => i.name === "prod-web-tier-degraded");
    assert.equal(composite?.hostId, WEB_01);
  });

  void it("recovery before the alarm (SQS does not keep order): one incident, opened then resolved", async () => {
    const store = await openStore(freshDir());
    assert.equal(store.ingest(sample("05-ec2-cpu-ok-recovery.json")).kind, "recorded");
    const late = store.ingest(sample("01-ec2-cpu-alarm.json"));
    assert.equal(late.kind === "recorded" && late.transition.kind, "late");
    const [cpu] = store.listIncidents();
    assert.equal(store.listIncidents().length, 1);
    assert.equal(cpu.status, "resolved");
    assert.equal(cpu.alarm.state, "OK");
    assert.equal(cpu.openedAt, "2026-11-25T03:12:45.148Z");
    assert.deepEqual(cpu.history.map((h) => h.state), ["ALARM", "OK"]);
  });
});

void describe("AlarmStore: flapping and dedupe", () => {
  void it("ALARM → OK → ALARM within the reopen window is one incident with a flap, and un-acknowledges it", async () => {
    const store = await openStore(freshDir());
    store.ingestAlarm(makeAlarm({ changedAt: at(0) }));
    const [first] = store.listIncidents();
    await store.acknowledge(first.id);
    store.ingestAlarm(makeAlarm({ state: "OK", changedAt: at(5) }));
    const reopened = store.ingestAlarm(makeAlarm({ changedAt: at(8) }));
    assert.equal(reopened.kind === "recorded" && reopened.transition.kind, "reopened");
    store.ingestAlarm(makeAlarm({ state: "INSUFFICIENT_DATA", changedAt: at(9) }));
    const escalated = store.ingestAlarm(makeAlarm({ changedAt: at(10) }));
    assert.equal(escalated.kind === "recorded" && escalated.transition.kind, "escalated");
    const incidents = store.listIncidents();
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0].id, first.id);
    assert.equal(incidents[0].flaps, 2);
    assert.equal(incidents[0].status, "open");
    assert.equal(incidents[0].acknowledged, false);
    assert.equal(incidents[0].history.length, 5);
  });

  void it("an ALARM long after the recovery opens a new incident", async () => {
    const store = await openStore(freshDir(), { reopenWindowMinutes: 30 });
    store.ingestAlarm(makeAlarm({ changedAt: at(0) }));
    store.ingestAlarm(makeAlarm({ state: "OK", changedAt: at(5) }));
    store.ingestAlarm(makeAlarm({ changedAt: at(120) }));
    const incidents = store.listIncidents();
    assert.deepEqual(incidents.map((i) => [i.status, i.flaps]), [["open", 0], ["resolved", 0]]);
  });

  void it("dedupes by SNS MessageId, by SQS MessageId, and the same state change from two paths", async () => {
    const store = await openStore(freshDir());
    const body = sample("01-ec2-cpu-alarm.json");
    assert.equal(store.ingest(body, { sqsMessageId: "a" }).kind, "recorded");
    // SNS retried into a new SQS message: same SNS MessageId.
    assert.equal(store.ingest(body, { sqsMessageId: "b" }).kind, "duplicate");
    // Raw delivery redelivered after the visibility timeout: same SQS MessageId.
    const raw = sample("02-cwagent-mem-used-percent-alarm-raw.json");
    assert.equal(store.ingest(raw, { sqsMessageId: "r" }).kind, "recorded");
    assert.equal(store.ingest(raw, { sqsMessageId: "r" }).kind, "duplicate");
    // Same change via EventBridge (no ids shared at all).
    assert.equal(store.ingest(sample("09-eventbridge-alarm-state-change.json"), { sqsMessageId: "e" }).kind, "duplicate");
    // Malformed bodies are kept once.
    const bad = sample("10-malformed-truncated-body.json");
    assert.equal(store.ingest(bad, { sqsMessageId: "m" }).kind, "unparsed");
    assert.equal(store.ingest(bad, { sqsMessageId: "m" }).kind, "duplicate");
    assert.equal(store.listIncidents().length, 2);
    assert.equal(store.listUnparsed().length, 1);
  });

  void it("a removed incident does not come back when its message is delivered again", async () => {
    const store = await openStore(freshDir());
    store.ingest(sample("04-ec2-status-check-failed-alarm.json"), { sqsMessageId: "x" });
    await store.remove(store.listIncidents()[0].id);
    assert.equal(store.ingest(sample("04-ec2-status-check-failed-alarm.json"), { sqsMessageId: "y" }).kind, "duplicate");
    assert.equal(store.listIncidents().length, 0);
  });

  void it("remembers a bounded number of message ids", async () => {
    const store = await openStore(freshDir(), { seenCapacity: 100 });
    for (let i = 0; i < 300; i++) {
      store.ingestAlarm(makeAlarm({ name: `a${i}`, messageId: `m${i}` }));
    }
    await store.persist();
    const file = JSON.parse(await readFile(store.file, "utf8")) as { seen: string[] };
    assert.equal(file.seen.length, 100);
    assert.ok(file.seen.includes("sns:m299"));
    assert.ok(!file.seen.includes("sns:m0"));
  });

  void it("keeps at most maxIncidents, dropping the oldest resolved ones first", async () => {
    const store = await openStore(freshDir(), { maxIncidents: 50 });
    for (let i = 0; i < 40; i++) {
      store.ingestAlarm(makeAlarm({ name: `r${i}`, state: "OK", changedAt: at(i) }));
    }
    for (let i = 0; i < 20; i++) {
      store.ingestAlarm(makeAlarm({ name: `o${i}`, changedAt: at(100 + i) }));
    }
    const all = store.listIncidents();
    assert.ok(all.length <= 50);
    assert.equal(all.filter((i) => i.status === "open").length, 20);
    assert.ok(!all.some((i) => i.name === "r0"), "the oldest resolved incident was dropped");
  });
});

void describe("AlarmStore: user actions, age-out, change events", () => {
  void it("acknowledge, remove (incident and unparsed), clear resolved", async () => {
    const store = await openStore(freshDir());
    for (const file of SAMPLE_FILES) {
      store.ingest(sample(file), { sqsMessageId: file });
    }
    const disk = store.listIncidents().find((i) => i.name.startsWith("prod-db-01"));
    assert.ok(disk);
    await store.acknowledge(disk.id);
    assert.equal(store.getIncident(disk.id)?.acknowledged, true);
    assert.equal(store.counts().unacknowledged, 4);
    await store.acknowledge([disk.id], false);
    assert.equal(store.getIncident(disk.id)?.acknowledged, false);

    await store.remove([disk.id, store.listUnparsed()[0].id]);
    assert.equal(store.getIncident(disk.id), undefined);
    assert.equal(store.listUnparsed().length, 0);
    assert.equal(await store.clearResolved(), 1);
    assert.deepEqual(store.listIncidents({ status: "resolved" }), []);
    assert.equal(store.listIncidents().length, 4);
  });

  void it("resolved incidents age out after the retention; open ones never do", async () => {
    let now = Date.parse("2026-11-25T04:00:00.000Z");
    const store = await openStore(freshDir(), { resolvedRetentionHours: 2, now: () => now });
    store.ingest(sample("01-ec2-cpu-alarm.json"));
    store.ingest(sample("05-ec2-cpu-ok-recovery.json"));
    store.ingest(sample("04-ec2-status-check-failed-alarm.json"));
    assert.equal(await store.ageOut(), 0);
    now = Date.parse("2026-11-25T05:32:00.000Z");
    assert.equal(await store.ageOut(), 1);
    assert.deepEqual(store.listIncidents().map((i) => i.name), ["prod-worker-07-status-check-failed"]);
    now += 1000 * 3_600_000;
    assert.equal(await store.ageOut(), 0);
  });

  void it("coalesces a storm of 2,000 alarms into a few change events", async () => {
    const store = await openStore(freshDir(), { changeIntervalMs: 100 });
    const events: AlarmStoreChange[] = [];
    const sub = store.onDidChange((c) => events.push(c));
    for (let i = 0; i < 2000; i++) {
      store.ingestAlarm(makeAlarm({ name: `storm-${i % 400}`, state: i % 800 < 400 ? "ALARM" : "OK", changedAt: at(Math.floor(i / 400)) }));
    }
    await eventually(() => events.reduce((n, e) => n + e.transitions.length, 0) === 2000, 15_000, "all transitions");
    sub.dispose();
    assert.ok(events.length <= 3, `${events.length} events`);
    assert.equal(store.listIncidents().length, 400);
    assert.ok(store.listIncidents().every((i) => i.flaps === 2 && i.status === "open"));
    assert.equal(events[0].external, false);
  });

  void it("a listener that throws does not break the store or other listeners", async () => {
    const store = await openStore(freshDir());
    const bad = store.onDidChange(() => {
      throw new Error("listener bug");
    });
    const good = nextChange(store);
    store.ingestAlarm(makeAlarm());
    assert.equal((await good).transitions.length, 1);
    bad.dispose();
  });
});

void describe("AlarmStore: persistence", () => {
  void it("survives a restart: a new instance reads the same incidents, unparsed entries and dedupe ids", async () => {
    const dir = freshDir();
    const first = await openStore(dir);
    for (const file of SAMPLE_FILES) {
      first.ingest(sample(file), { sqsMessageId: file });
    }
    await first.acknowledge(first.listIncidents()[0].id);
    await first.close();

    const second = await openStore(dir);
    assert.deepEqual(second.listIncidents(), first.listIncidents());
    assert.deepEqual(second.listUnparsed(), first.listUnparsed());
    assert.equal(second.ingest(sample("01-ec2-cpu-alarm.json"), { sqsMessageId: "again" }).kind, "duplicate");
    assert.equal(second.hostForArn(CPU_ARN), WEB_01);
  });

  void it("writes atomically: no temp files left, the file is always complete JSON", async () => {
    const dir = freshDir();
    const store = await openStore(dir);
    const reads: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      store.ingestAlarm(makeAlarm({ name: `w${i}` }));
      const write = store.persist();
      reads.push(
        readFile(join(dir, STORE_FILE), "utf8").then(
          (text) => void JSON.parse(text),
          () => undefined,
        ),
      );
      if (i % 10 === 0) {
        await write;
      }
    }
    await store.persist();
    await Promise.all(reads);
    assert.deepEqual((await readdir(dir)).sort(), [STORE_FILE, `${STORE_FILE}${LAST_GOOD_SUFFIX}`]);
  });

  /** A store of `n` incidents written in `writes` separate saves (so a last-good copy exists). */
  async function storeWith(dir: string, n: number, writes = 2): Promise<string[]> {
    const store = await openStore(dir, { watch: false });
    for (let w = 0; w < writes; w++) {
      for (let i = (w * n) / writes; i < ((w + 1) * n) / writes; i++) {
        store.ingestAlarm(makeAlarm({ name: `host-${i}-cpu` }));
      }
      store.ingest("not an alarm", { sqsMessageId: `bad-${w}` });
      await store.persist();
    }
    const ids = store.listIncidents().map((i) => i.id);
    await store.close();
    return ids.sort();
  }

  void it("bad entries are set aside one by one and reported; the others load and the file is rewritten without them", async () => {
    const dir = freshDir();
    const good = await storeWith(dir, 6, 1);
    const path = join(dir, STORE_FILE);
    const file = JSON.parse(await readFile(path, "utf8")) as { incidents: unknown[]; unparsed: unknown[]; seen: unknown[] };
    const { alarm: _alarm, ...withoutAlarm } = file.incidents[1] as Record<string, unknown>;
    file.incidents.push(null, withoutAlarm, { ...(file.incidents[2] as object), status: "maybe" }, "text");
    file.unparsed.push({ id: "u", body: 42 });
    file.seen.push(7);
    await writeFile(path, JSON.stringify(file));

    const store = await openStore(dir, { watch: false });
    assert.deepEqual(store.listIncidents().map((i) => i.id).sort(), good);
    assert.equal(store.listUnparsed().length, 1);
    assert.equal(store.problems.length, 1);
    assert.match(store.problems[0].message, /6 entries of the alarm store could not be used and were moved to .*rejected-.*; the other 6 incident\(s\) loaded/);
    const aside = JSON.parse(await readFile(store.problems[0].setAside[0], "utf8")) as { entries: { section: string; reason: string; value: unknown }[] };
    assert.deepEqual(
      aside.entries.map((e) => e.section),
      ["incidents", "incidents", "incidents", "incidents", "unparsed", "seen"],
    );
    assert.ok(aside.entries.some((e) => /alarm/.test(e.reason) && e.value !== null), "the incident without its alarm, with why");
    // Written back clean: the next start has nothing to report.
    await store.close();
    const again = await openStore(dir, { watch: false });
    assert.equal(again.problems.length, 0);
    assert.deepEqual(again.listIncidents().map((i) => i.id).sort(), good);
  });

  void it("a store cut short by one byte keeps every entry (nothing set aside wholesale)", async () => {
    const dir = freshDir();
    const ids = await storeWith(dir, 20);
    const path = join(dir, STORE_FILE);
    const size = (await readFile(path)).length;
    await truncate(path, size - 1);
    const store = await openStore(dir, { watch: false });
    assert.deepEqual(store.listIncidents().map((i) => i.id).sort(), ids);
    assert.equal(store.listUnparsed().length, 2);
    assert.match(store.problems[0].message, /damaged and moved to .*corrupt-.*; 20 incident\(s\) and 2 unparsed message\(s\) were recovered from it and from the last-good copy/);
    // Dedupe survives: the same alarm again is a duplicate.
    assert.equal(store.ingestAlarm(makeAlarm({ name: "host-3-cpu" })).kind, "duplicate");
  });

  void it("a store cut in half is rebuilt from its complete entries over the last-good copy", async () => {
    const dir = freshDir();
    const ids = await storeWith(dir, 20);
    const path = join(dir, STORE_FILE);
    const text = await readFile(path, "utf8");
    // Cut inside the 15th incident: the first 14 are whole in the damaged file, the first 10 in the last-good copy.
    const cut = text.indexOf('"name":"host-15-cpu"');
    await writeFile(path, text.slice(0, cut));
    const store = await openStore(dir, { watch: false });
    const names = store.listIncidents().map((i) => i.name);
    assert.equal(names.length, 15);
    assert.ok(ids.length === 20 && names.every((n) => /^host-(\d|1[0-4])-cpu$/.test(n)));
  });

  void it("an unreadable or foreign file falls back to the last-good copy", async () => {
    const dir = freshDir();
    await storeWith(dir, 4);
    const path = join(dir, STORE_FILE);
    await writeFile(path, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b]));
    const store = await openStore(dir, { watch: false });
    assert.equal(store.listIncidents().length, 2, "the generation before the last write");
    assert.match(store.problems[0].message, /recovered from the last-good copy/);
    await store.close();
    await writeFile(path, JSON.stringify({ something: "else" }));
    const foreign = await openStore(dir, { watch: false });
    assert.ok(foreign.listIncidents().length >= 2);
    assert.ok((await readdir(dir)).filter((f) => f.includes(".corrupt-")).length === 2, "both damaged files kept");
  });

  void it("opening never fails: a store it cannot read stays empty and refuses to overwrite the file", async () => {
    const dir = freshDir();
    await mkdir(join(dir, STORE_FILE), { recursive: true });
    const store = await openStore(dir, { watch: false });
    assert.equal(store.listIncidents().length, 0);
    assert.match(store.problems[0]?.message ?? "", /cannot be read \(EISDIR/);
    store.ingestAlarm(makeAlarm());
    await assert.rejects(store.persist(), /Could not save alarms/);

    const blocked = join(freshDir(), "file-not-folder");
    await mkdir(join(blocked, ".."), { recursive: true });
    await writeFile(blocked, "");
    const nowhere = await openStore(join(blocked, "store"), { watch: false });
    assert.match(nowhere.problems[0]?.message ?? "", /ENOTDIR/);
  });

  void it("an unparsed body up to 1 MiB is kept whole; a longer one is cut with a marker of its size", async () => {
    const dir = freshDir();
    const store = await openStore(dir, { watch: false });
    const whole = `{"not":"an alarm","pad":"${"é".repeat((UNPARSED_BODY_LIMIT - 64) / 2)}"}`;
    assert.ok(Buffer.byteLength(whole) <= UNPARSED_BODY_LIMIT && whole.length > 256 * 1024);
    const big = `${whole}${"x".repeat(200)}`.repeat(2);
    store.ingest(whole, { sqsMessageId: "whole" });
    store.ingest(big, { sqsMessageId: "big" });
    await store.close();
    const reopened = await openStore(dir, { watch: false });
    const kept = new Map(reopened.listUnparsed().map((u) => [u.messageId, u]));
    assert.equal(kept.get("whole")?.body, whole);
    assert.equal(kept.get("whole")?.bodyBytes, undefined);
    const cut = kept.get("big");
    assert.equal(cut?.bodyBytes, Buffer.byteLength(big));
    assert.ok(cut && Buffer.byteLength(cut.body) <= UNPARSED_BODY_LIMIT && big.startsWith(cut.body) && !cut.body.endsWith("\ufffd"));
  });

  void it("a damaged file is set aside, not overwritten silently, and the store starts empty", async () => {
    const dir = freshDir();
    const first = await openStore(dir);
    first.ingestAlarm(makeAlarm());
    await first.close();
    await writeFile(join(dir, STORE_FILE), '{"format":"atl-alarm-store","incid');
    const second = await openStore(dir);
    assert.equal(second.listIncidents().length, 0);
    assert.ok((await readdir(dir)).some((f) => f.startsWith(`${STORE_FILE}.corrupt-`)));
  });
});

void describe("AlarmStore: several windows on one folder", () => {
  void it("two instances see each other's changes: alarms from the poller, acknowledge and remove from the other", async () => {
    const dir = freshDir();
    const poller = await openStore(dir);
    const other = await openStore(dir);

    const seenByOther = nextChange(other, (c) => c.external && c.transitions.length > 0);
    poller.ingest(sample("01-ec2-cpu-alarm.json"));
    poller.ingest(sample("04-ec2-status-check-failed-alarm.json"));
    await poller.persist();
    const change = await seenByOther;
    assert.deepEqual(change.transitions.map((t) => t.kind).sort(), ["opened", "opened"]);
    assert.equal(other.listIncidents().length, 2);

    const cpu = other.listIncidents().find((i) => i.arn === CPU_ARN);
    assert.ok(cpu);
    const ackSeen = nextChange(poller, (c) => c.external && c.acknowledged.includes(cpu.id));
    await other.acknowledge(cpu.id);
    await ackSeen;
    assert.equal(poller.getIncident(cpu.id)?.acknowledged, true);
  });

  void it("concurrent writes from two instances: neither loses the other's changes", async () => {
    const dir = freshDir();
    const poller = await openStore(dir, { watch: false });
    const other = await openStore(dir, { watch: false });
    poller.ingestAlarm(makeAlarm({ name: "base" }));
    await poller.persist();
    await other.reload();
    const base = other.listIncidents()[0];

    // Both change the store before either has seen the other's write.
    for (let i = 0; i < 20; i++) {
      poller.ingestAlarm(makeAlarm({ name: `p${i}` }));
    }
    await other.acknowledge(base.id);
    await poller.persist();
    await Promise.all([poller.reload(), other.reload()]);

    for (const store of [poller, other]) {
      assert.equal(store.listIncidents().length, 21);
      assert.equal(store.getIncident(base.id)?.acknowledged, true);
    }
    const third = await openStore(dir, { watch: false });
    assert.equal(third.listIncidents().length, 21);
    assert.equal(third.getIncident(base.id)?.acknowledged, true);
  });
});

