// The editor's diagnosis thread (what the chat panel drives) against real parts: the real graph
// service with the built-in runbooks, the real agent on 127.0.0.1, the real policy and host
// directory, and the history on disk. What the panel is told, what the Diagnoses view lists, what
// the host validates before anything resumes, and what survives a window reload.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AtlError } from "../../../src/shared/errors";
import type { DiagnosisReport, DiagnosisService } from "../../../src/graph/diagnosis";
import { silentLogger } from "../../../src/shared/log";
import { DiagnosisThread, type ThreadDeps, type ThreadTexts } from "../../../src/diagnosis/thread";
import { DiagnosisHistory } from "../../../src/diagnosis/history";
import type { ToWebviewMessage, TranscriptEntry } from "../../../src/webview/protocol";
import { sampleAlarm, startFixture, type Fixture } from "../graph/support";
import { Resources } from "../../helpers/resources";

const texts: ThreadTexts = {
  busy: "busy",
  stopped: "stopped",
  interrupted: "interrupted",
  interruptedAtApproval: "interrupted at approval",
  alreadyDecided: "already decided",
  unknownCommand: (id) => `unknown ${id}`,
  refusedCommand: (command) => `refused ${command}`,
  nothingToRun: "nothing to run",
  noHostNeeded: "no host needed",
  proposalWaits: "a proposal waits",
};

function events(entries: readonly TranscriptEntry[], type: string): TranscriptEntry[] {
  return entries.filter((e) => e.kind === "event" && e.event.type === type);
}

function proposalOf(thread: DiagnosisThread, round: number) {
  for (const entry of thread.snapshot().entries) {
    if (entry.kind === "event" && entry.event.type === "proposal" && entry.event.proposal.round === round) {
      return entry.event.proposal;
    }
  }
  throw new Error(`no proposal of round ${round}`);
}

void describe("DiagnosisThread with the real graph and agent", { timeout: 600_000 }, () => {
  let fx: Fixture;
  let dir: string;
  let history: DiagnosisHistory;
  let service: DiagnosisService;
  const reports: DiagnosisReport[] = [];
  /** The report before each published one (null: the thread's first). */
  const previousReports: (DiagnosisReport | null)[] = [];
  let deps: ThreadDeps;
  let sequence = 0;
  const newId = (): string => `t-${process.pid}-${++sequence}`;

  const resources = new Resources();
  before(async () => {
    fx = resources.add(await startFixture(), (f) => f.close());
    service = fx.service;
    dir = resources.add(await mkdtemp(join(tmpdir(), "atl-thread-")), (d) => rm(d, { recursive: true, force: true }));
    history = new DiagnosisHistory(join(dir, "diagnoses"), silentLogger);
    deps = { service: () => Promise.resolve(service), history, logger: silentLogger, onReport: (r, previous) => {
        reports.push(r);
        previousReports.push(previous);
      },
      text: texts,
    };
  });

  after(() => resources.release());

  void it("runs a host diagnosis to the approval step, telling the panel and the history", async () => {
    const id = newId();
    const thread = await DiagnosisThread.create(id, { title: "prod-web-01: CPU is high", alarm: null, question: "CPU is high", host: null, incidentId: null }, { kind: "chat", text: "CPU is high", hostId: "prod-web-01" }, deps);
    assert.equal(history.summary(id)?.status, "running", "listed at once");
    const posted: ToWebviewMessage[] = [];
    thread.attach((m) => posted.push(m));
    // Until its first run starts (the editor waits for the panel), a new thread is busy: the panel
    // says it is starting, and a message sent meanwhile is refused rather than run first.
    assert.equal(thread.snapshot().busy, true);
    assert.throws(() => thread.followUp("and the disk?"), (error: unknown) => error instanceof AtlError && error.code === "webview-message");

    const status = await thread.start();
    assert.equal(status, "waiting-approval");
    const snapshot = thread.snapshot();
    assert.equal(snapshot.status, "waiting-approval");
    assert.equal(snapshot.pendingRound, 1);
    assert.equal(snapshot.busy, false);
    assert.equal(events(snapshot.entries, "proposal").length, 1);
    assert.equal(snapshot.header.host?.id, "prod-web-01", "the host of the proposal fills the card");
    assert.ok(posted.some((m) => m.type === "entry" && m.entry.kind === "event" && m.entry.event.type === "proposal"));
    assert.deepEqual(posted.at(-1), { type: "status", status: "waiting-approval", busy: false, pendingRound: 1 });
    assert.ok(!posted.some((m) => m.type === "entry" && m.entry.kind === "event" && m.entry.event.type === "status"), "statuses go as status messages, not entries");
    assert.deepEqual(await fx.executed(), [], "nothing ran before the approval");

    const stored = await new DiagnosisHistory(join(dir, "diagnoses"), silentLogger).get(id);
    assert.equal(stored?.summary.status, "waiting-approval");
    assert.equal(stored?.pendingRound, 1);
    assert.equal(stored?.summary.hostName, "prod-web-01");
  });

  void it("refuses decisions the approval step must not take, before the graph sees them", async () => {
    const id = newId();
    const alarm = sampleAlarm("01-ec2-cpu-alarm.json");
    const thread = await DiagnosisThread.create(id, { title: alarm.name, alarm, question: null, host: null, incidentId: "inc-1" }, { kind: "alarm", alarm }, deps);
    assert.equal(await thread.start(), "waiting-approval");
    const proposal = proposalOf(thread, 1);
    const before = (await fx.executed()).length;

    const attempt = (fn: () => unknown, code: string, pattern: RegExp): void => {
      assert.throws(fn, (error: unknown) => error instanceof AtlError && error.code === code && pattern.test(error.message));
    };
    attempt(() => thread.approve(2, { kind: "approve", commandIds: [proposal.commands[0].id] }), "webview-message", /already decided/);
    attempt(() => thread.approve(1, { kind: "approve", commandIds: ["c99"] }), "webview-message", /unknown c99/);
    attempt(() => thread.approve(1, { kind: "approve", commandIds: [] }), "webview-message", /nothing to run/);
    attempt(() => thread.pickHost({ id: "prod-web-01", name: "prod-web-01", transport: "agent" }), "webview-message", /no host needed/);
    attempt(() => thread.approve(1, { kind: "approve", commandIds: [], edits: [{ id: "c42", command: "uptime" }] }), "webview-message", /unknown c42/);
    const refused = proposal.commands.find((c) => c.decision === "refused");
    if (refused) {
      attempt(() => thread.approve(1, { kind: "approve", commandIds: [refused.id] }), "policy-refused", /refused/);
    }
    assert.equal(thread.status, "waiting-approval");
    assert.equal((await fx.executed()).length, before, "nothing ran");

    // A busy thread takes no second action.
    const readOnly = proposal.commands.filter((c) => c.decision === "allowed" && c.risk === "read-only").map((c) => c.id);
    const running = thread.approve(1, { kind: "approve", commandIds: readOnly });
    assert.equal(thread.isBusy, true);
    attempt(() => thread.followUp("and the disk?"), "webview-message", /busy/);
    attempt(() => thread.approve(1, { kind: "approve", commandIds: readOnly }), "webview-message", /busy/);
    assert.equal(await running, "done");
  });

  void it("approves, runs on the agent, analyses, reports, and records severity and report in the history", async () => {
    const id = newId();
    const alarm = sampleAlarm("01-ec2-cpu-alarm.json");
    const thread = await DiagnosisThread.create(id, { title: alarm.name, alarm, question: null, host: null, incidentId: null }, { kind: "alarm", alarm }, deps);
    assert.equal(await thread.start(), "waiting-approval");
    const proposal = proposalOf(thread, 1);
    const readOnly = proposal.commands.filter((c) => c.decision === "allowed" && c.risk === "read-only");
    const executedBefore = (await fx.executed()).length;

    const status = await thread.approve(1, { kind: "approve", commandIds: readOnly.map((c) => c.id) });
    assert.equal(status, "done");
    const entries = thread.snapshot().entries;
    assert.deepEqual(
      entries.filter((e) => e.kind === "decision").map((e) => (e.kind === "decision" ? e.round : null)),
      [1],
      "the decision is in the transcript",
    );
    const finished = events(entries, "command-finished");
    assert.equal(finished.length, readOnly.length);
    assert.deepEqual((await fx.executed()).slice(executedBefore), readOnly.map((c) => c.command), "the agent ran exactly the approved commands");
    assert.equal(events(entries, "analysis").length, 1);
    const report = thread.latestReport();
    assert.ok(report);
    assert.equal(reports.at(-1)?.threadId, id, "the report went to the output channel");

    const summary = history.summary(id);
    assert.equal(summary?.status, "done");
    assert.equal(summary?.hasReport, true);
    assert.ok(summary?.severity, "severity recorded");
    await thread.flush();
    const stored = await new DiagnosisHistory(join(dir, "diagnoses"), silentLogger).get(id);
    assert.equal(stored?.entries.length, entries.length, "the whole transcript is stored");

    assert.equal(previousReports.at(-1), null, "the first report of the thread goes in whole");
    assert.equal(report.status, "done");

    // A follow-up question is answered from the evidence in the same thread: a turn of the
    // diagnosis, which keeps its verdict (done, not "answered"), in the thread, the history and
    // the report; the channel gets the turn against the report before it.
    assert.equal(await thread.followUp("why is the load so high?"), "done");
    assert.equal(events(thread.snapshot().entries, "answer").length, 1);
    assert.equal(thread.snapshot().entries.filter((e) => e.kind === "user").length, 1);
    assert.equal(thread.status, "done");
    assert.equal(history.summary(id)?.status, "done");
    assert.equal(thread.latestReport()?.status, "done");
    assert.equal(thread.latestReport()?.answers?.length, 1);
    assert.deepEqual(previousReports.at(-1), report, "published with the report before the turn");
  });

  void it("keeps a waiting proposal when a message comes in, unless the user agreed it replaces the proposal", async () => {
    const id = newId();
    const thread = await DiagnosisThread.create(id, { title: "x", alarm: null, question: "the disk is full", host: null, incidentId: null }, { kind: "chat", text: "the disk is full", hostId: "prod-web-01" }, deps);
    assert.equal(await thread.start(), "waiting-approval");
    const before = (await fx.executed()).length;
    assert.throws(
      () => thread.followUp("look at /var/log instead"),
      (error: unknown) => error instanceof AtlError && error.code === "webview-message" && error.message === "a proposal waits",
    );
    assert.equal(thread.status, "waiting-approval", "the proposal still waits");
    assert.equal(thread.snapshot().pendingRound, 1);
    assert.equal(thread.snapshot().entries.filter((e) => e.kind === "user" || e.kind === "decision").length, 0, "nothing was recorded");

    // Confirmed: the message is the reason of a rejection, shown as such, and ATL plans again.
    const status = await thread.followUp("look at /var/log instead", { rejectPending: true });
    const decision = thread.snapshot().entries.find((e) => e.kind === "decision");
    assert.ok(decision?.kind === "decision" && decision.round === 1);
    assert.deepEqual(decision.decision, { kind: "reject", reason: "look at /var/log instead", replan: true });
    assert.notEqual(thread.snapshot().pendingRound, 1, "round 1 no longer waits");
    assert.ok(["waiting-approval", "done", "answered"].includes(status), status);
    assert.equal((await fx.executed()).length, before, "nothing ran");
  });

  void it("rejects and stops without running anything", async () => {
    const id = newId();
    const thread = await DiagnosisThread.create(id, { title: "x", alarm: null, question: "memory is low", host: null, incidentId: null }, { kind: "chat", text: "memory is low", hostId: "prod-web-01" }, deps);
    assert.equal(await thread.start(), "waiting-approval");
    const before = (await fx.executed()).length;
    assert.equal(await thread.reject(1, "false alarm, it was a deploy", false), "rejected");
    assert.equal(history.summary(id)?.status, "rejected");
    assert.equal((await fx.executed()).length, before);
    const decision = thread.snapshot().entries.find((e) => e.kind === "decision");
    assert.deepEqual(decision?.kind === "decision" ? decision.decision : null, { kind: "reject", reason: "false alarm, it was a deploy", replan: false });
  });

  void it("asks for a host when it cannot tell, and continues on the one picked", async () => {
    // Two hosts and a symptom naming neither: the graph has to ask.
    // (prod-db-01 is never contacted: the user picks prod-web-01.)
    const two = await startFixture({
      extraHosts: [{ id: "prod-db-01", name: "prod-db-01", transport: "agent", url: "http://127.0.0.1:9", keyId: "unused", secretFile: fx.agent.secretFile }],
    });
    try {
      const twoDeps: ThreadDeps = { ...deps, service: () => Promise.resolve(two.service) };
      const id = newId();
      const thread = await DiagnosisThread.create(id, { title: "slow", alarm: null, question: "the site is slow", host: null, incidentId: null }, { kind: "chat", text: "the site is slow" }, twoDeps);
      assert.equal(await thread.start(), "needs-host");
      const needed = events(thread.snapshot().entries, "host-needed")[0];
      assert.deepEqual(
        needed?.kind === "event" && needed.event.type === "host-needed" ? needed.event.candidates.map((c) => c.id).sort() : null,
        ["prod-db-01", "prod-web-01"],
      );
      assert.equal(history.summary(id)?.status, "needs-host");
      assert.equal(await thread.pickHost({ id: "prod-web-01", name: "prod-web-01", transport: "agent" }), "waiting-approval");
      assert.equal(thread.snapshot().entries.filter((e) => e.kind === "host-picked").length, 1);
      assert.equal(proposalOf(thread, 1).host.id, "prod-web-01", "the plan is for the picked host");
      assert.equal(thread.header.host?.id, "prod-web-01");
      assert.equal(history.summary(id)?.hostName, "prod-web-01");
    } finally {
      await two.close();
    }
  });

  void it("after a reload: a pending approval resumes through a new service; a run cut off is marked interrupted", async () => {
    const id = newId();
    const alarm = sampleAlarm("01-ec2-cpu-alarm.json");
    const thread = await DiagnosisThread.create(id, { title: alarm.name, alarm, question: null, host: null, incidentId: null }, { kind: "alarm", alarm }, deps);
    assert.equal(await thread.start(), "waiting-approval");
    thread.dispose();

    // A new window: new service on the same checkpoints, new history on the same folder.
    const reloadedService = fx.reopen();
    const reloadedHistory = new DiagnosisHistory(join(dir, "diagnoses"), silentLogger);
    await reloadedHistory.load();
    const reloadedDeps: ThreadDeps = { ...deps, history: reloadedHistory, service: () => Promise.resolve(reloadedService) };
    const stored = await reloadedHistory.get(id);
    assert.ok(stored);
    // The record as it was at the approval (the restored thread appends to the stored entries).
    const record = structuredClone(stored);
    const restored = await DiagnosisThread.restore(stored, reloadedDeps);
    assert.equal(restored.snapshot().pendingRound, 1);
    const readOnly = proposalOf(restored, 1).commands.filter((c) => c.decision === "allowed" && c.risk === "read-only").map((c) => c.id);
    assert.equal(await restored.approve(1, { kind: "approve", commandIds: readOnly }), "done");

    // A record saved while a step ran (the window closed mid-run).
    const cut = { ...record, summary: { ...record.summary, id: newId(), status: "running" as const }, header: { ...record.header } };
    cut.header.threadId = cut.summary.id;
    await reloadedHistory.save(cut);
    const interrupted = await DiagnosisThread.restore(cut, reloadedDeps);
    assert.equal(interrupted.status, "failed");
    const last = interrupted.snapshot().entries.at(-1);
    assert.equal(last?.kind === "event" && last.event.type === "error" ? last.event.message : null, "interrupted");
    assert.equal(reloadedHistory.summary(cut.summary.id)?.status, "failed");

    // A follow-up cut off after the diagnosis had its verdict: the verdict stands, with the note.
    const afterVerdict = structuredClone(await reloadedHistory.get(id));
    assert.ok(afterVerdict && afterVerdict.entries.some((e) => e.kind === "event" && e.event.type === "analysis"));
    afterVerdict.summary = { ...afterVerdict.summary, id: newId(), status: "running" };
    afterVerdict.header.threadId = afterVerdict.summary.id;
    await reloadedHistory.save(afterVerdict);
    const kept = await DiagnosisThread.restore(afterVerdict, reloadedDeps);
    assert.equal(kept.status, "done");
    const keptNote = kept.snapshot().entries.at(-1);
    assert.equal(keptNote?.kind === "event" && keptNote.event.type === "error" ? keptNote.event.message : null, "interrupted");

    // A run cut off after its approval: the checkpoint is that approval, so the proposal waits again.
    const again = await DiagnosisThread.create(newId(), { title: alarm.name, alarm, question: null, host: null, incidentId: null }, { kind: "alarm", alarm }, deps);
    assert.equal(await again.start(), "waiting-approval");
    again.dispose();
    const saved = await reloadedHistory.get(again.id);
    assert.ok(saved);
    const midRun = { ...saved, summary: { ...saved.summary, status: "running" as const }, pendingRound: null };
    await reloadedHistory.save(midRun);
    const back = await DiagnosisThread.restore(midRun, reloadedDeps);
    assert.equal(back.status, "waiting-approval");
    assert.equal(back.snapshot().pendingRound, 1);
    const note = back.snapshot().entries.at(-1);
    assert.equal(note?.kind === "event" && note.event.type === "error" ? note.event.message : null, "interrupted at approval");
    assert.equal(reloadedHistory.summary(again.id)?.status, "waiting-approval");
    const uptime = proposalOf(back, 1).commands.filter((c) => c.command === "uptime").map((c) => c.id);
    assert.equal(await back.approve(1, { kind: "approve", commandIds: uptime }), "done");
  });

  void it("shows a failure in the thread and stays usable", async () => {
    const id = newId();
    const failing: ThreadDeps = { ...deps, service: () => Promise.reject(new AtlError("llm-config", "No API key for the openai LLM.", { fix: "Run ATL: Set LLM API key." })) };
    const thread = await DiagnosisThread.create(id, { title: "x", alarm: null, question: "cpu", host: null, incidentId: null }, { kind: "chat", text: "cpu", hostId: "prod-web-01" }, failing);
    assert.equal(await thread.start(), "failed");
    const error = thread.snapshot().entries.at(-1);
    assert.deepEqual(error?.kind === "event" ? error.event : null, { type: "error", code: "llm-config", message: "No API key for the openai LLM. Run ATL: Set LLM API key." });
    assert.equal(thread.isBusy, false);
    assert.equal(history.summary(id)?.status, "failed");
  });
});
