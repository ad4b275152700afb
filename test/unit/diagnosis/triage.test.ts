// The triage coordinator's decisions, with a runner whose triages end when the test says so: one
// triage per host at a time (others of the host join it), at most N at once and a queue, OK
// before the run → resolved and not run, a flapping alarm → one triage, a host triaged recently →
// joins that thread, an alarm not in the inventory → its own thread. The real graph, agents and
// queue are exercised by test/integration/triage/*.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IncidentBook, DEFAULT_BOOK_OPTIONS, type IncidentTransition } from "../../../src/alarms/incidents";
import type { Alarm } from "../../../src/alarms/model";
import type { Culprit, ThreadStatus } from "../../../src/graph/diagnosis";
import type { DiagnosisSummary } from "../../../src/diagnosis/history";
import type { HostEntry } from "../../../src/hosts/model";
import { silentLogger } from "../../../src/shared/log";
import { alarmTriage, culpritText, TriageCoordinator, triageId, type TriageJob, type TriageNote, type TriageRunner } from "../../../src/diagnosis/triage";
import { alarm as baseAlarm } from "../alarms/fixtures";

const hosts: HostEntry[] = ["web-01", "web-02", "db-01"].map((name, i) => ({
  id: `i-0${i}aaaaaaaaaaaaaaa`,
  name,
  transport: "agent",
  url: "http://127.0.0.1:9",
  keyId: "k",
}));

let clock = Date.parse("2026-06-01T10:00:00Z");
let seq = 0;

function alarmOn(hostIndex: number, name: string, state: Alarm["state"] = "ALARM"): Alarm {
  seq += 1;
  // Negative: an instance that is not in the inventory (-1 and -2 are two different ones).
  const instance = hostIndex < 0 ? `i-0${String(-hostIndex).repeat(17)}` : hosts[hostIndex].id;
  return baseAlarm({
    name,
    state,
    previousState: state === "ALARM" ? "OK" : "ALARM",
    changedAt: new Date(clock + seq * 1000).toISOString(),
    messageId: `m-${seq}`,
    hostId: instance,
    metric: { ...baseAlarm().metric!, dimensions: { InstanceId: instance } },
  });
}

class ControlledRunner implements TriageRunner {
  readonly started: TriageJob[] = [];
  readonly notes: { threadId: string; note: TriageNote }[] = [];
  readonly resolved: TriageJob[] = [];
  private readonly finishers = new Map<string, (status: ThreadStatus) => void>();
  concurrent = 0;
  maxConcurrent = 0;

  run(job: TriageJob): Promise<ThreadStatus> {
    this.started.push({ ...job, joined: [...job.joined] });
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    return new Promise((resolve) =>
      this.finishers.set(job.id, (status) => {
        this.concurrent -= 1;
        resolve(status);
      }),
    );
  }

  note(threadId: string, note: TriageNote): void {
    this.notes.push({ threadId, note });
  }

  resolvedBeforeRun(job: TriageJob): void {
    this.resolved.push(job);
  }

  async finish(id: string, status: ThreadStatus = "done"): Promise<void> {
    const finish = this.finishers.get(id);
    assert.ok(finish, `no running triage ${id}`);
    this.finishers.delete(id);
    finish(status);
    await new Promise((resolve) => setImmediate(resolve));
  }

  async finishAll(): Promise<void> {
    while (this.finishers.size > 0) {
      await this.finish([...this.finishers.keys()][0]);
    }
  }
}

function setup(maxConcurrent = 2, debounceMs = 10 * 60_000) {
  const book = new IncidentBook(DEFAULT_BOOK_OPTIONS);
  const runner = new ControlledRunner();
  const triage = new TriageCoordinator({ runner, hosts: () => hosts, maxConcurrent: () => maxConcurrent, debounceMs: () => debounceMs, logger: silentLogger, now: () => clock });
  const feed = (...alarms: Alarm[]): IncidentTransition[] => {
    const transitions: IncidentTransition[] = [];
    for (const a of alarms) {
      const result = book.apply({ op: "alarm", alarm: a, key: a.messageId });
      if (result.kind === "recorded") {
        transitions.push(result.transition);
      }
    }
    triage.onTransitions(transitions);
    return transitions;
  };
  return { book, runner, triage, feed };
}

void describe("triage coordinator", () => {
  void it("a storm of 50 alarms on 3 hosts: 3 triages, at most N at once, the rest join as context", async () => {
    const { runner, triage, feed } = setup(2);
    const storm: Alarm[] = [];
    for (let i = 0; i < 50; i++) {
      storm.push(alarmOn(i % 3, `alarm-${i}`));
    }
    feed(...storm.slice(0, 20));
    assert.equal(runner.started.length, 2, "two slots");
    assert.equal(triage.queuedCount, 1, "the third host waits");
    feed(...storm.slice(20));
    assert.equal(runner.started.length, 2);
    await runner.finish(runner.started[0].id);
    assert.equal(runner.started.length, 3, "the queued host starts when a slot frees");
    assert.equal(runner.started[2].joined.length, 15, "the third host's other alarms joined before it started");
    await runner.finishAll();
    await triage.idle();
    assert.equal(runner.started.length, 3);
    assert.equal(runner.maxConcurrent, 2);
    assert.equal(new Set(runner.started.map((j) => j.host?.id)).size, 3, "one triage per host");
    const threads = new Set(runner.started.map((j) => j.id));
    // Every alarm is either the one a triage started from, or joined a triage of its host.
    for (const a of storm) {
      const state = triage.state(`${a.arn}#${a.changedAt}`);
      assert.ok(state && (state.kind === "started" || state.kind === "joined"), `${a.name}: ${JSON.stringify(state)}`);
      if (state.kind === "joined") {
        assert.ok(state.threadId === null || threads.has(state.threadId));
      }
    }
    const joinedBeforeStart = runner.started.reduce((sum, j) => sum + j.joined.length, 0);
    const notedWhileRunning = runner.notes.filter((n) => n.note.kind === "joined").length;
    assert.equal(joinedBeforeStart + notedWhileRunning, 50 - 3, "every other alarm reaches its host's thread, before it starts or as a note");
  });

  void it("an alarm back to OK before its triage ran is resolved and never run", async () => {
    const { runner, triage, feed } = setup(1);
    const busy = alarmOn(0, "web-01-cpu");
    const waiting = alarmOn(1, "web-02-cpu");
    feed(busy, waiting);
    assert.equal(runner.started.length, 1);
    const ok = { ...waiting, state: "OK" as const, previousState: "ALARM" as const, changedAt: new Date(clock + 99_000).toISOString(), messageId: "m-ok" };
    const [resolved] = feed(ok);
    assert.equal(triage.state(resolved.incident.id)?.kind, "resolved");
    assert.equal(runner.resolved.length, 1);
    await runner.finishAll();
    await triage.idle();
    assert.deepEqual(
      runner.started.map((j) => j.incident.name),
      ["web-01-cpu"],
      "web-02 never ran",
    );
  });

  void it("an OK for the alarm that leads a queued triage hands it to the next alarm of that host still in ALARM", async () => {
    const { runner, triage, feed } = setup(1);
    feed(alarmOn(0, "web-01-cpu"));
    const first = alarmOn(1, "web-02-cpu");
    const second = alarmOn(1, "web-02-mem");
    feed(first, second);
    feed({ ...first, state: "OK", previousState: "ALARM", changedAt: new Date(clock + 99_000).toISOString(), messageId: "m-ok-2" });
    await runner.finish(runner.started[0].id);
    assert.equal(runner.started[1].incident.name, "web-02-mem");
    await runner.finishAll();
    await triage.idle();
  });

  void it("a flapping alarm gives one triage; its transitions are noted in the thread", async () => {
    const { runner, triage, feed } = setup(2);
    const first = alarmOn(0, "web-01-cpu");
    feed(first);
    for (let i = 0; i < 4; i++) {
      feed({ ...first, state: "OK", previousState: "ALARM", changedAt: new Date(clock + (10 + 2 * i) * 1000).toISOString(), messageId: `flap-ok-${i}` });
      feed({ ...first, state: "ALARM", previousState: "OK", changedAt: new Date(clock + (11 + 2 * i) * 1000).toISOString(), messageId: `flap-alarm-${i}` });
    }
    await runner.finishAll();
    clock += 60_000;
    feed({ ...first, state: "OK", previousState: "ALARM", changedAt: new Date(clock).toISOString(), messageId: "late-ok" });
    feed({ ...first, state: "ALARM", previousState: "OK", changedAt: new Date(clock + 1000).toISOString(), messageId: "late-alarm" });
    await triage.idle();
    assert.equal(runner.started.length, 1, "one triage");
    const kinds = runner.notes.map((n) => n.note.kind);
    assert.ok(kinds.includes("resolved") && kinds.includes("flapped"), kinds.join(","));
    assert.ok(runner.notes.every((n) => n.threadId === runner.started[0].id));
  });

  void it("after the debounce, the same host is triaged again", async () => {
    const { runner, triage, feed } = setup(2, 5 * 60_000);
    feed(alarmOn(0, "web-01-cpu"));
    await runner.finishAll();
    clock += 4 * 60_000;
    feed(alarmOn(0, "web-01-disk"));
    assert.equal(runner.started.length, 1, "within the debounce: joins");
    assert.equal(runner.notes.at(-1)?.note.kind, "joined");
    clock += 2 * 60_000;
    feed(alarmOn(0, "web-01-mem"));
    assert.equal(runner.started.length, 2, "after it: a triage of its own");
    await runner.finishAll();
    await triage.idle();
  });

  void it("alarms on an instance that is not in the inventory: one thread per unknown instance, never another host's", async () => {
    const { runner, triage, feed } = setup(4);
    // A storm on two unknown instances, interleaved.
    feed(alarmOn(-1, "unknown-cpu"), alarmOn(-2, "other-cpu"), alarmOn(-1, "unknown-disk"), alarmOn(-1, "unknown-mem"), alarmOn(-2, "other-disk"));
    assert.deepEqual(
      runner.started.map((j) => j.incident.name),
      ["unknown-cpu", "other-cpu"],
      "one thread per unknown instance",
    );
    assert.ok(runner.started.every((j) => j.host === null), "never run on a host the alarm does not name");
    // Arrived with the first ones (before the triages started): context of the thread from its start.
    assert.deepEqual(runner.started[0].joined.map((i) => i.name), ["unknown-disk", "unknown-mem"]);
    assert.deepEqual(runner.started[1].joined.map((i) => i.name), ["other-disk"]);
    // Arrived while it runs: a note in the running thread.
    const [late] = feed(alarmOn(-2, "other-net"));
    assert.deepEqual(runner.notes.map((n) => [n.threadId, n.note.kind, n.note.incident.name]), [[runner.started[1].id, "joined", "other-net"]]);
    assert.deepEqual(triage.state(late.incident.id), { kind: "joined", threadId: runner.started[1].id });
    assert.equal(runner.started.length, 2);
    await runner.finishAll();
    await triage.idle();
  });

  void it("alarms that name no instance at all get a thread each", async () => {
    const { runner, triage, feed } = setup(4);
    const unnamed = (name: string): Alarm => {
      const a = alarmOn(0, name);
      return { ...a, hostId: null, metric: { ...a.metric!, dimensions: {} } };
    };
    feed(unnamed("queue-depth"), unnamed("error-rate"));
    assert.equal(runner.started.length, 2, "nothing ties them to one host");
    assert.ok(runner.started.every((j) => j.host === null));
    await runner.finishAll();
    await triage.idle();
  });

  void it("a redelivered arrival starts nothing new; stop() starts nothing more", async () => {
    const { runner, triage, feed } = setup(1);
    const a = alarmOn(0, "web-01-cpu");
    feed(a);
    feed(a);
    const [again] = feed({ ...a, messageId: "redelivered-elsewhere", changedAt: new Date(Date.parse(a.changedAt) + 500).toISOString() });
    triage.enqueueOpen(again ? [again.incident] : []);
    assert.equal(runner.started.length, 1);
    triage.stop();
    feed(alarmOn(1, "web-02-cpu"));
    await runner.finishAll();
    assert.equal(runner.started.length, 1);
    assert.equal(triageId(runner.started[0].incident), runner.started[0].id);
    assert.match(runner.started[0].id, /^web-01-cpu-[0-9a-f]{10}$/);
  });
});

void describe("an alarm's triage as the Alarms view shows it", () => {
  const summary = (status: ThreadStatus, extra: Partial<DiagnosisSummary> = {}): DiagnosisSummary => ({
    id: "t-1",
    title: "cpu-high",
    hostName: "web-01",
    alarmName: "cpu-high",
    incidentId: "inc-1",
    createdAt: "2026-06-01T10:00:00Z",
    updatedAt: "2026-06-01T10:01:00Z",
    status,
    severity: null,
    hasReport: false,
    ...extra,
  });

  void it("follows the coordinator before the thread exists, then the thread's status", () => {
    assert.deepEqual(alarmTriage({ kind: "queued", hostName: "web-01" }, undefined), { phase: "queued", threadId: null, severity: null, culprit: null });
    assert.equal(alarmTriage({ kind: "resolved" }, undefined)?.phase, "resolved");
    assert.equal(alarmTriage(undefined, undefined), null, "no triage, no diagnosis: nothing to show");
    assert.equal(alarmTriage({ kind: "started", threadId: "t-1" }, summary("running"))?.phase, "planning");
    assert.equal(alarmTriage({ kind: "started", threadId: "t-1" }, summary("running"), true)?.phase, "running", "commands started: running, not planning");
    assert.equal(alarmTriage({ kind: "started", threadId: "t-1" }, summary("waiting-approval"))?.phase, "waiting-approval");
    const done = alarmTriage({ kind: "started", threadId: "t-1" }, summary("done", { severity: "high", culprit: "java (pid 4123): 98 % CPU" }));
    assert.deepEqual(done, { phase: "done", threadId: "t-1", severity: "high", culprit: "java (pid 4123): 98 % CPU" });
    // A diagnosis started by a click (no coordinator state) shows the same way.
    assert.equal(alarmTriage(undefined, summary("needs-host"))?.phase, "needs-host");
  });

  void it("an alarm that joined another alarm's thread says so and opens that thread", () => {
    assert.deepEqual(alarmTriage({ kind: "joined", threadId: null }, undefined), { phase: "joined", threadId: null, severity: null, culprit: null });
    assert.deepEqual(alarmTriage({ kind: "joined", threadId: "t-1" }, summary("done", { severity: "low" })), { phase: "joined", threadId: "t-1", severity: "low", culprit: null });
  });

  void it("names the culprit by name, pid and detail", () => {
    const resource = { kind: "cpu" as const, name: null };
    assert.equal(culpritText(null), null);
    assert.equal(culpritText({ resource, kind: "process", name: "java", pid: 4123, detail: "98 % CPU for 5 min" } as unknown as Culprit), "java (pid 4123): 98 % CPU for 5 min");
    assert.equal(culpritText({ resource, kind: "mount", name: "/var", pid: null, detail: null } as unknown as Culprit), "/var");
  });
});
