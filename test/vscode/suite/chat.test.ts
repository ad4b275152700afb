// The diagnosis loop inside the real extension host: the commands open a chat panel whose real
// webview sends `ready`; the real graph (dist/graph.js, built-in runbooks) posts the proposal;
// approvals sent through the panel's message path resume it; the real agent on 127.0.0.1 runs the
// commands; the report reaches the "ATL Reports" channel, the preview, the workspace and the
// clipboard; invalid webview messages are refused; the Diagnoses view lists every thread.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { Incident } from "../../../src/alarms/model";
import type { AtlApi } from "../../../src/extension";
import type { Proposal } from "../../../src/graph/diagnosis";
import type { ChatPanel } from "../../../src/vscode/chat/panel";
import type { ToWebviewMessage } from "../../../src/webview/protocol";
import { type RunningAgent } from "../../helpers/agent";
import { atlApi, clearStore, eventually, ingestFresh, sampleBody, setSettings, startBundledAgent } from "./alarmsSupport";

const HOST_ID = "local-agent";
/** The EC2 instance of sample 01 (prod-web-01): an alias, so the alarm resolves to the local agent. */
const SAMPLE_INSTANCE = "i-0a1b2c3d4e5f67890";
// Generous: two shared cores may be running other suites and builds at the same time.
const LONG = 420_000;

interface Recorded {
  panel: ChatPanel;
  messages: ToWebviewMessage[];
}

/** Records what every new panel posts to its webview, from its first message on. */
function recordPanels(api: AtlApi): { panels: Map<string, Recorded>; dispose(): void } {
  const panels = new Map<string, Recorded>();
  const subscription = api.diagnosis.onDidOpenPanel((panel) => {
    const recorded: Recorded = { panel, messages: [] };
    panels.set(panel.threadId, recorded);
    panel.onDidPost((message) => {
      recorded.messages.push(message);
    });
  });
  return {
    panels,
    dispose: () => {
      subscription.dispose();
    },
  };
}

function proposalsIn(messages: ToWebviewMessage[]): Proposal[] {
  const proposals: Proposal[] = [];
  for (const message of messages) {
    const entries = message.type === "init" ? message.thread.entries : message.type === "entry" ? [message.entry] : [];
    for (const entry of entries) {
      if (entry.kind === "event" && entry.event.type === "proposal") {
        proposals.push(entry.event.proposal);
      }
    }
  }
  return proposals;
}

function eventTypes(messages: ToWebviewMessage[]): string[] {
  return messages.flatMap((m) => (m.type === "entry" && m.entry.kind === "event" ? [m.entry.event.type] : []));
}

suite("Diagnosis chat panel", function () {
  this.timeout(LONG);
  let api: AtlApi;
  let agent: RunningAgent;
  let recorder: ReturnType<typeof recordPanels>;

  async function executed(): Promise<string[]> {
    const records = await agent.audit();
    return records.flatMap((r) => (r.event === "exec" ? [r.command] : []));
  }

  /** Starts a host diagnosis and waits until its proposal waits for approval. */
  async function diagnoseHost(text: string): Promise<{ id: string; recorded: Recorded; proposal: Proposal }> {
    const id = await vscode.commands.executeCommand<string>("atl.diagnoseHost", HOST_ID, text);
    assert.ok(id, "the command returns the thread id");
    const recorded = await eventually(() => recorder.panels.get(id), 120_000, "the panel of the new thread");
    await eventually(() => api.diagnosis.thread(id)?.status === "waiting-approval", LONG, "the proposal");
    const proposal = proposalsIn(recorded.messages).at(-1) ?? api.diagnosis.thread(id)?.snapshot().entries.flatMap((e) => (e.kind === "event" && e.event.type === "proposal" ? [e.event.proposal] : [])).at(-1);
    assert.ok(proposal, "a proposal");
    return { id, recorded, proposal };
  }

  suiteSetup(async () => {
    api = await atlApi();
    agent = await startBundledAgent();
    await setSettings(api, {
      hosts: [{ id: HOST_ID, name: "local-agent", aliases: [SAMPLE_INSTANCE], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile }],
      "llm.provider": "none",
    });
    await eventually(() => api.services.hosts.get(HOST_ID), 120_000, "the host in the inventory");
    recorder = recordPanels(api);
  });

  suiteTeardown(async () => {
    recorder?.dispose();
    for (const summary of api.diagnosis.history.list()) {
      await vscode.commands.executeCommand("atl.removeDiagnosis", summary.id);
    }
    await clearStore(api);
    await setSettings(api, { hosts: undefined, "llm.provider": undefined });
    await agent?.stop();
  });

  test("Diagnose host opens a panel; the webview sends ready; the graph's proposal reaches it", async () => {
    const { id, recorded, proposal } = await diagnoseHost("CPU is high since this morning");
    await eventually(() => recorded.panel.ready, 180_000, "the webview's ready message");
    const init = recorded.messages.find((m) => m.type === "init");
    assert.ok(init && init.type === "init", "init answered ready");
    assert.equal(init.thread.header.threadId, id);
    assert.equal(init.thread.header.question, "CPU is high since this morning");
    assert.equal(init.strings.runSelected, "Run selected", "the webview gets its strings from the host");
    assert.deepEqual(init.hosts.map((h) => h.id), [HOST_ID]);
    assert.equal(proposal.host.id, HOST_ID);
    assert.equal(proposal.source, "runbook");
    assert.ok(proposal.commands.length > 0);
    for (const command of proposal.commands) {
      assert.ok(["allowed", "refused"].includes(command.decision) && ["read-only", "mutating"].includes(command.risk), `${command.command} is labelled`);
    }
    await eventually(() => recorded.messages.some((m) => m.type === "status" && m.status === "waiting-approval" && m.pendingRound === 1), 120_000, "the status message");
    assert.equal(recorded.panel.panel.viewType, "atl.chat");
    assert.deepEqual(await executed(), [], "nothing ran before the approval");

    const item = api.diagnosis.tree.getTreeItem(api.diagnosis.history.summary(id)!);
    assert.equal(item.contextValue, "diagnosis.waiting-approval");
    assert.match(String(item.description), /waiting for approval/);
    assert.deepEqual(item.command?.arguments, [id]);
  });

  test("the webview's approval resumes the graph: the agent runs the commands, findings and report follow", async () => {
    const { id, recorded, proposal } = await diagnoseHost("the load average is high");
    const readOnly = proposal.commands.filter((c) => c.decision === "allowed" && c.risk === "read-only");
    const channel: string[] = [];
    const subscription = api.diagnosis.reports.onDidPublish((report) => {
      if (report.threadId === id) {
        channel.push(report.text);
      }
    });
    const before = (await executed()).length;
    const reply = await recorded.panel.handleMessage({ type: "approve", requestId: "a1", round: proposal.round, commandIds: readOnly.map((c) => c.id), edits: [], add: [] });
    assert.deepEqual(reply, { ok: true, result: null });
    await recorded.panel.settled();
    assert.equal(api.diagnosis.thread(id)?.status, "done");
    assert.deepEqual((await executed()).slice(before), readOnly.map((c) => c.command), "exactly the approved commands ran, in order");

    const types = eventTypes(recorded.messages);
    for (const type of ["command-started", "command-finished", "analysis", "report"]) {
      assert.ok(types.includes(type), `the panel got ${type}`);
    }
    const runs = recorded.messages.flatMap((m) => (m.type === "entry" && m.entry.kind === "event" && m.entry.event.type === "command-finished" ? [m.entry.event.run] : []));
    // Every approved command ran on the host (some of the snapshot's exit non-zero here: no systemd,
    // nothing in the kernel log); none was refused or timed out, and uptime answered.
    assert.ok(runs.every((r) => (r.status === "ok" || r.status === "failed") && r.exitCode !== null), JSON.stringify(runs.map((r) => [r.command, r.status, r.stderr])));
    assert.ok(runs.some((r) => r.command === "uptime" && r.status === "ok" && r.stdout.includes("load average")), "uptime ran");
    const report = await eventually(() => channel[0], 120_000, "the report in the ATL Reports channel");
    assert.match(report, /local-agent/, "the plain-text report is in the ATL Reports channel");

    const summary = api.diagnosis.history.summary(id)!;
    assert.equal(summary.status, "done");
    assert.ok(summary.severity);
    const item = api.diagnosis.tree.getTreeItem(summary);
    assert.equal(item.contextValue, "diagnosis.done.report");
    assert.ok((await api.diagnosis.tree.getChildren()).some((s) => s.id === id), "listed in the Diagnoses view");

    // A follow-up question is answered from the evidence.
    assert.deepEqual(await recorded.panel.handleMessage({ type: "follow-up", requestId: "f1", text: "why is the load so high?", rejectPending: false }), { ok: true, result: null });
    await recorded.panel.settled();
    assert.ok(eventTypes(recorded.messages).includes("answer"));
    // A turn of the diagnosis: it keeps its verdict, and the channel gets the turn, not a copy.
    assert.equal(api.diagnosis.thread(id)?.status, "done");
    assert.equal(api.diagnosis.history.summary(id)?.status, "done");
    const turn = await eventually(() => channel[1], 120_000, "the follow-up in the ATL Reports channel");
    subscription.dispose();
    assert.match(turn, /why is the load so high\?/);
    assert.doesNotMatch(turn, /Commands and output/, "not the whole report again");
    assert.ok(turn.length < report.length / 2, `the turn (${turn.length} characters) is shorter than the report (${report.length})`);
  });

  test("Stop during a run kills the command on the host; the thread says Stopped and takes a follow-up", async () => {
    const { id, recorded, proposal } = await diagnoseHost("the box feels slow");
    const long = "vmstat 1 30";
    const started = Date.now();
    assert.deepEqual(await recorded.panel.handleMessage({ type: "approve", requestId: "s1", round: proposal.round, commandIds: [], edits: [], add: [long] }), { ok: true, result: null });
    await eventually(() => eventTypes(recorded.messages).includes("command-started"), 120_000, "the panel to show the command started");
    const busy = recorded.messages.filter((m) => m.type === "status").at(-1);
    assert.ok(busy?.type === "status" && busy.status === "running", "the panel shows the run (and its Stop button)");
    // The agent runs on this machine: wait until the process really exists before pressing Stop.
    const running = (): boolean => spawnSync("pgrep", ["-f", `^${long}$`]).status === 0;
    await eventually(() => running(), 120_000, `${long} running on the host`);
    assert.deepEqual(await recorded.panel.handleMessage({ type: "cancel", requestId: "s2" }), { ok: true, result: null });
    await recorded.panel.settled();
    await eventually(() => !running(), 30_000, `${long} to be killed on the host`);
    assert.ok(Date.now() - started < 25_000, "stopped long before vmstat's 30 s");
    assert.equal(api.diagnosis.thread(id)?.status, "failed");
    const errors = recorded.messages.flatMap((m) => (m.type === "entry" && m.entry.kind === "event" && m.entry.event.type === "error" ? [m.entry.event] : []));
    assert.ok(errors.some((e) => e.code === "cancelled" && e.message === "Stopped."), JSON.stringify(errors));
    assert.ok(!eventTypes(recorded.messages).includes("analysis"), "no analysis of a stopped run");
    // The agent killed the process when the request went away, and says so in its audit log.
    const record = await eventually(
      async () => (await agent.audit()).find((r) => r.event === "exec" && r.command === long),
      30_000,
      "the audit record of the stopped command",
    );
    assert.ok(record.event === "exec" && record.aborted && record.durationMs < 25_000, JSON.stringify(record));
    assert.equal(api.diagnosis.history.summary(id)?.status, "failed");

    // Stopped is not the end: the thread takes the next question.
    assert.deepEqual(await recorded.panel.handleMessage({ type: "follow-up", requestId: "s3", text: "check the disk instead", rejectPending: false }), { ok: true, result: null });
    await recorded.panel.settled();
    assert.ok(["waiting-approval", "answered", "done"].includes(api.diagnosis.thread(id)?.status ?? ""), api.diagnosis.thread(id)?.status);
  });

  test("invalid or forbidden webview messages are refused and run nothing", async () => {
    const { id, recorded, proposal } = await diagnoseHost("memory is low");
    const before = (await executed()).length;
    const firstId = proposal.commands[0].id;
    const attempts: unknown[] = [
      { type: "exec", requestId: "x1", command: "rm -rf /" },
      { type: "approve", requestId: "x2", round: proposal.round, commandIds: [firstId], edits: [], add: [], force: true },
      { type: "approve", requestId: "x3", round: proposal.round + 5, commandIds: [firstId], edits: [], add: [] },
      { type: "approve", requestId: "x4", round: proposal.round, commandIds: ["c999"], edits: [], add: [] },
      { type: "approve", requestId: "x5", round: proposal.round, commandIds: [firstId, firstId], edits: [], add: [] },
      { type: "follow-up", requestId: "x6", text: "x".repeat(5000), rejectPending: false },
      { type: "pick-host", requestId: "x7", hostId: "not-a-host" },
      { type: "pick-host", requestId: "x9", hostId: HOST_ID },
      "ready",
      null,
    ];
    const refused = proposal.commands.find((c) => c.decision === "refused");
    if (refused) {
      attempts.push({ type: "approve", requestId: "x8", round: proposal.round, commandIds: [refused.id], edits: [], add: [] });
    }
    for (const attempt of attempts) {
      const reply = await recorded.panel.handleMessage(attempt);
      assert.equal(reply.ok, false, `refused: ${JSON.stringify(attempt).slice(0, 80)}`);
      assert.ok(reply.error && reply.error.length > 0);
    }
    await recorded.panel.settled();
    assert.equal(api.diagnosis.thread(id)?.status, "waiting-approval", "the thread still waits");
    assert.equal((await executed()).length, before, "nothing reached the agent");
    const replies = recorded.messages.filter((m) => m.type === "reply" && m.requestId.startsWith("x"));
    assert.ok(replies.every((m) => m.type === "reply" && !m.ok), "the webview is told");
    assert.equal(replies.length, attempts.filter((a) => typeof a === "object" && a !== null).length, "one reply per request");

    // The live policy check of an edit answers through the same path: one reply with the verdict.
    await recorded.panel.handleMessage({ type: "check-command", requestId: "p1", command: "rm -rf /var/log" });
    await recorded.panel.handleMessage({ type: "check-command", requestId: "p2", command: "df -h" });
    const verdicts = recorded.messages.flatMap((m) => (m.type === "reply" && m.requestId.startsWith("p") && m.ok && m.result ? [[m.requestId, m.result.decision, m.result.risk]] : []));
    assert.equal(recorded.messages.filter((m) => m.type === "reply" && m.requestId.startsWith("p")).length, 2, "no second message per check");
    assert.deepEqual(verdicts.slice(-2), [
      ["p1", "refused", "mutating"],
      ["p2", "allowed", "read-only"],
    ]);

    // Reject and stop ends the thread; nothing ran.
    assert.deepEqual(await recorded.panel.handleMessage({ type: "reject", requestId: "r1", round: proposal.round, reason: "not now", replan: false }), { ok: true, result: null });
    await recorded.panel.settled();
    assert.equal(api.diagnosis.thread(id)?.status, "rejected");
    assert.equal((await executed()).length, before);
  });

  test("reports: preview of a virtual document, saved into the workspace, copied for a ticket", async () => {
    const done = api.diagnosis.history.list().find((s) => s.hasReport);
    assert.ok(done, "a finished diagnosis from the earlier test");
    await vscode.commands.executeCommand("atl.openReport", done.id);
    const document = await eventually(() => vscode.workspace.textDocuments.find((d) => d.uri.scheme === "atl-report" && d.uri.path.startsWith(`/${done.id}/`)), 120_000, "the report document");
    assert.match(document.getText(), /^# /m);
    assert.match(document.getText(), /local-agent/);

    await vscode.commands.executeCommand("atl.saveReport", done.id);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, "the test workspace is open");
    const saved = await eventually(async () => {
      const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(folder.uri, "atl-reports")).then(
        (list) => list,
        () => [],
      );
      return entries.find(([name]) => name.startsWith("atl-report-") && name.endsWith(".md"));
    }, 120_000, "the saved report");
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, "atl-reports", saved[0])));
    assert.equal(text, document.getText());

    await vscode.commands.executeCommand("atl.copyReport", done.id);
    assert.equal(await vscode.env.clipboard.readText(), document.getText());
  });

  test("Diagnose alarm from an incident; diagnosing it again reopens the same thread", async () => {
    await clearStore(api);
    await ingestFresh(api, sampleBody("01-ec2-cpu-alarm.json"), "chat");
    const incident: Incident = await eventually(() => api.services.store.listIncidents({ status: "open" })[0], 120_000, "the incident");
    const id = await vscode.commands.executeCommand<string>("atl.diagnoseAlarm", incident);
    assert.ok(id);
    await eventually(() => api.diagnosis.thread(id)?.status === "waiting-approval", LONG, "the proposal");
    const header = api.diagnosis.thread(id)!.header;
    assert.equal(header.alarm?.name, incident.alarm.name);
    assert.equal(header.incidentId, incident.id);
    assert.equal(header.host?.id, HOST_ID, "resolved through the host's alias");
    assert.equal(await vscode.commands.executeCommand<string>("atl.diagnoseAlarm", incident.id), id);
    assert.equal(api.diagnosis.history.list().filter((s) => s.incidentId === incident.id).length, 1);
  });

  test("a closed panel reopens from the history with its transcript; Remove deletes the thread", async () => {
    const summary = api.diagnosis.history.list().find((s) => s.hasReport);
    assert.ok(summary, "a finished diagnosis from an earlier test");
    api.diagnosis.panel(summary.id)?.dispose();
    assert.equal(api.diagnosis.panel(summary.id), undefined);
    await vscode.commands.executeCommand("atl.openDiagnosis", summary.id);
    const recorded = await eventually(() => recorder.panels.get(summary.id), 120_000, "a new panel");
    await eventually(() => recorded.panel.ready, 180_000, "ready from the reopened webview");
    const init = [...recorded.messages].reverse().find((m) => m.type === "init");
    assert.ok(init && init.type === "init");
    assert.equal(init.thread.status, summary.status);
    assert.ok(init.thread.entries.some((e) => e.kind === "event" && e.event.type === "analysis"), "the transcript is restored");

    await vscode.commands.executeCommand("atl.removeDiagnosis", summary.id);
    assert.equal(api.diagnosis.history.summary(summary.id), undefined);
    assert.equal(api.diagnosis.panel(summary.id), undefined, "its panel closed");
    assert.ok(!(await api.diagnosis.tree.getChildren()).some((s) => s.id === summary.id));
  });
});
