// Proactive triage inside the extension host: alarms published to a real SNS → SQS route (fauxqs)
// start their diagnosis with no click, on a real agent. Without a rule the plan waits and the
// agent's audit shows nothing ran; with a rule the read-only commands run and the toast names the
// staged CPU burner; a triage redraws only its alarm's row and raises the alarm's only toast; an instance missing from the inventory is diagnosed nowhere; alarms on one
// host join one thread; an alarm saved while this window did not poll is triaged once it polls.
import * as assert from "node:assert/strict";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { Incident } from "../../../src/alarms/model";
import type { DiagnosisSummary } from "../../../src/diagnosis/history";
import type { RunningAgent } from "../../helpers/agent";
import { plainText } from "../../../src/shared/richText";
import { startCpuHog, type StagedProcess } from "../../helpers/faults";
import { alarmMessage, alarmRoute, atlApi, clearStore, eventually, pollingSettings, publish, setSettings, startBundledAgent, startEmulator, TEST_CREDENTIALS, unset, type Emulator } from "./alarmsSupport";

const HOST_ID = "triage-agent";
const OTHER_HOST_ID = "triage-agent-2";
/** Sample 01's instance: an alias of the first host. */
const INSTANCE = "i-0a1b2c3d4e5f67890";
const OTHER_INSTANCE = "i-0b00000000000beef";
const LONG = 420_000;

/** Sample 01 (EC2 CPUUtilization) under another name, ARN and instance: a distinct incident. */
function cpuAlarm(name: string, instance: string): string {
  const message = JSON.parse(alarmMessage("01-ec2-cpu-alarm.json")) as { Trigger: { Dimensions: { name: string; value: string }[] } } & Record<string, unknown>;
  message.AlarmName = name;
  message.AlarmArn = `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:${name}`;
  message.StateChangeTime = new Date().toISOString().replace("Z", "+0000");
  message.Trigger.Dimensions = message.Trigger.Dimensions.map((d) => (d.name === "InstanceId" ? { ...d, value: instance } : d));
  return JSON.stringify(message);
}

suite("Proactive triage: an alarm starts its own diagnosis", function () {
  this.timeout(LONG);
  let api: AtlApi;
  let settings: Record<string, unknown> = {};
  let emulator: Emulator;
  let agent: RunningAgent;
  let burner: StagedProcess | undefined;
  let route: { topicArn: string; queueUrl: string };

  async function executed(): Promise<string[]> {
    return (await agent.audit()).flatMap((r) => (r.event === "exec" ? [r.command] : []));
  }

  function incident(name: string): Incident | undefined {
    return api.services.store.listIncidents({ status: "all" }).find((i) => i.name === name);
  }

  function triageThreads(alarmName?: string): DiagnosisSummary[] {
    return api.diagnosis.history.list().filter((s) => s.triage === true && (alarmName === undefined || s.alarmName === alarmName));
  }

  /** Publishes an alarm and waits for its triage thread to stop (not running). */
  async function triaged(name: string, instance: string): Promise<DiagnosisSummary> {
    await publish(emulator, route.topicArn, cpuAlarm(name, instance));
    return eventually(() => triageThreads(name).find((s) => s.status !== "running"), LONG, `the triage of ${name}`);
  }

  suiteSetup(async () => {
    api = await atlApi();
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    agent = await startBundledAgent();
    emulator = await startEmulator();
    route = await alarmRoute(emulator, `atl-triage-${Date.now()}`);
    await clearStore(api);
    const entry = { transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile };
    settings = {
      hosts: [
        { id: HOST_ID, name: HOST_ID, aliases: [INSTANCE], ...entry },
        { id: OTHER_HOST_ID, name: OTHER_HOST_ID, aliases: [OTHER_INSTANCE], ...entry },
      ],
      "llm.provider": "none",
      "alarms.notify": "off",
      "triage.onArrival": true,
      // Each alarm on the first host starts its own triage; the storm test sets its own window.
      "triage.debounceMinutes": 0,
      ...pollingSettings(emulator, route.queueUrl),
    };
    await setSettings(api, settings);
    await eventually(() => api.services.settings.current.sqs.queueUrl === route.queueUrl && api.services.settings.current.triage.onArrival && api.services.hosts.get(OTHER_HOST_ID), 60_000, "the settings read");
    await vscode.commands.executeCommand("atl.startPolling");
    await api.polling.idle();
    await eventually(() => api.polling.state.kind === "polling", 120_000, "polling");
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand("atl.stopPolling");
    await api.services.rules.revoke(api.services.rules.list().map((r) => r.id));
    for (const summary of api.diagnosis.history.list()) {
      await vscode.commands.executeCommand("atl.removeDiagnosis", summary.id);
    }
    await setSettings(api, unset(settings));
    await clearStore(api);
    await burner?.stop();
    await emulator?.stop();
    await agent?.stop();
  });

  test("with no rule: the plan is made without a click and waits; nothing runs; the toast and the Alarms row say so", async () => {
    const before = (await executed()).length;
    const summary = await triaged("triage-cpu-waits", INSTANCE);
    assert.equal(summary.status, "waiting-approval");
    assert.equal(summary.hostName, HOST_ID);
    assert.equal(api.diagnosis.panel(summary.id), undefined, "no panel was opened");
    const thread = api.diagnosis.thread(summary.id);
    assert.ok(thread, "the thread is live in this window");
    const proposal = thread.snapshot().entries.flatMap((e) => (e.kind === "event" && e.event.type === "proposal" ? [e.event.proposal] : [])).at(-1);
    assert.ok(proposal && proposal.commands.length > 0, "a plan");
    for (const command of proposal.commands) {
      assert.ok(["allowed", "refused"].includes(command.decision) && ["read-only", "mutating"].includes(command.risk), `${command.command} is labelled by the policy`);
    }
    assert.equal((await executed()).length, before, "the agent's audit shows nothing ran");

    const readOnly = proposal.commands.filter((c) => c.decision === "allowed" && c.risk === "read-only").length;
    const toast = await eventually(() => api.triage.shown.find((t) => t.threadId === summary.id), 30_000, "the toast");
    assert.equal(toast.status, "waiting-approval");
    assert.ok(toast.message.includes(`triage-cpu-waits: plan ready: ${readOnly} read-only command`), toast.message);

    const item = await eventually(() => {
      const found = incident("triage-cpu-waits");
      const rendered = found ? api.alarms.provider.getTreeItem(found) : undefined;
      return rendered && String(rendered.description).includes("plan waits for approval") ? rendered : undefined;
    }, 30_000, "the Alarms row's triage state");
    assert.equal(item.command?.command, "atl.openDiagnosis", "a click opens the thread");
    assert.deepEqual(item.command?.arguments, [summary.id]);
  });

  test("a triage redraws its alarm's row alone, only when the row changes, and the alarm has one toast", async () => {
    // The arrival's own toast would be the notifier's; with triage on arrival the triage's is the one.
    await setSettings(api, { "alarms.notify": "alarm" });
    await eventually(() => api.services.settings.current.alarms.notify === "alarm", 30_000, "the notify setting");
    const events: (readonly unknown[] | undefined)[] = [];
    const subscription = api.alarms.provider.onDidChangeTreeData((e) => events.push(e === undefined ? undefined : Array.isArray(e) ? [...(e as unknown[])] : [e]));
    try {
      const summary = await triaged("triage-quiet-row", INSTANCE);
      assert.equal(summary.status, "waiting-approval");
      const found = incident("triage-quiet-row");
      assert.ok(found);
      await eventually(() => String(api.alarms.provider.getTreeItem(found).description).includes("plan waits for approval"), 30_000, "the row's triage state");
      const rowRedraws = events.filter((e) => e?.some((node) => (node as Incident).id === found.id)).length;
      // Every save of the thread used to redraw the whole tree; now its arrival redraws its group (or
      // the tree, for the first alarm of a state) and a triage step that changes the row, the row.
      assert.ok(events.filter((e) => e === undefined).length <= 1, `whole-tree redraws: ${events.filter((e) => e === undefined).length} of ${events.length}`);
      assert.ok(rowRedraws <= 4, `the row was redrawn ${rowRedraws} times (queued, planning, running, waiting at most)`);
      // A redraw when nothing changed tells the view nothing (the first may still catch an age
      // that went from "just now" to "1 min ago"; the second, right after it, cannot).
      api.alarms.model.fireNow();
      const count = events.length;
      api.alarms.model.fireNow();
      assert.equal(events.length, count, "a redraw with no visible change fires nothing");
      const toast = await eventually(() => api.triage.shown.find((t) => t.threadId === summary.id), 30_000, "the triage's toast");
      assert.match(toast.message, /triage-quiet-row: plan ready/);
      assert.deepEqual(
        api.alarms.notifier.shown.filter((a) => a.kind === "single" && a.arrival.incident.id === found.id),
        [],
        "no second toast for the alarm",
      );
    } finally {
      subscription.dispose();
      await setSettings(api, { "alarms.notify": "off" });
    }
  });

  test("with a rule covering the plan: the read-only commands run, the report names the CPU burner, the toast names the result", async () => {
    // One spinning thread per core at nice -10 (root only): the top consumer even on a machine busy
    // with other work, as a runaway is on a production host.
    burner = await startCpuHog({ nice: -10 });
    const rule = await api.services.rules.add({ scope: { host: HOST_ID }, command: "*", durationMs: 3_600_000, once: false, origin: "command" });
    try {
      await triageRunsUnderRule(rule.id);
    } finally {
      // Whatever happened, the next test starts with no rule (its alarm must wait for approval).
      await api.services.rules.revoke([rule.id]);
      await burner?.stop();
      burner = undefined;
    }
  });

  async function triageRunsUnderRule(ruleId: string): Promise<void> {
    assert.ok(burner);
    const before = (await executed()).length;
    const summary = await triaged("triage-cpu-runs", INSTANCE);
    assert.equal(summary.status, "done", JSON.stringify(summary));
    assert.ok(summary.severity, "a severity");
    const thread = api.diagnosis.thread(summary.id);
    const report = thread?.latestReport();
    assert.ok(report?.analysis, "an analysis");
    // Every round the plan took (a follow-up may ask for a culprit's command line) ran under the rule.
    const approvers = report.proposals.map((p) => (p.approvedBy ?? []).map((r) => r.id));
    assert.ok(approvers.length > 0 && approvers.every((ids) => ids.length > 0 && ids.every((id) => id === ruleId)), `the rule approved every round: ${JSON.stringify(approvers)}`);
    const ran = (await executed()).slice(before);
    const planned = new Map(report.proposals.flatMap((p) => p.commands).map((c) => [c.command, c]));
    assert.ok(ran.length > 0, "commands ran");
    for (const command of ran) {
      assert.equal(planned.get(command)?.risk, "read-only", `${command} is a read-only command of the plan`);
    }
    // By pid: started from the extension host, whose Node may rename its main thread (comm "MainThread").
    const culprit = report.analysis.culprit;
    assert.ok(culprit && (culprit.pid === burner.pid || culprit.name === burner.name), `the verdict names the burner (pid ${burner.pid}, ${burner.name}): ${plainText(report.analysis.summary)}`);

    const toast = await eventually(() => api.triage.shown.find((t) => t.threadId === summary.id), 30_000, "the toast");
    assert.equal(toast.status, "done");
    assert.ok(toast.message.startsWith("ATL: triage-cpu-runs: "), toast.message);
    assert.ok(summary.culprit ? toast.message.includes(summary.culprit) : true, `${toast.message} names the culprit ${summary.culprit}`);
    assert.ok(toast.message.endsWith(`— ${summary.severity}`), toast.message);
    const found = incident("triage-cpu-runs");
    assert.ok(found);
    await eventually(() => String(api.alarms.provider.getTreeItem(found).description).includes(summary.severity!), 30_000, "the Alarms row shows the severity");
  }

  test("an instance that is not in the inventory is diagnosed on no host: the thread names the id", async () => {
    const before = (await executed()).length;
    const summary = await triaged("triage-unknown-instance", "i-0fff0000000000fff");
    assert.equal(summary.status, "needs-host");
    assert.equal(summary.hostName, null);
    const thread = api.diagnosis.thread(summary.id);
    const hostNeeded = thread?.snapshot().entries.flatMap((e) => (e.kind === "event" && e.event.type === "host-needed" ? [e.event.message] : [])).at(-1);
    assert.match(hostNeeded ?? "", /i-0fff0000000000fff/, "the thread says which id was not found");
    assert.equal((await executed()).length, before, "nothing ran anywhere");
    const toast = await eventually(() => api.triage.shown.find((t) => t.threadId === summary.id), 30_000, "the toast");
    assert.match(toast.message, /i-0fff0000000000fff/);
  });

  test("alarms on one host while it is triaged join that thread: one triage, nothing run twice", async () => {
    await setSettings(api, { "triage.debounceMinutes": 10 });
    await eventually(() => api.services.settings.current.triage.debounceMinutes === 10, 30_000, "the debounce setting");
    const names = ["triage-storm-cpu", "triage-storm-mem", "triage-storm-disk"];
    for (const name of names) {
      await publish(emulator, route.topicArn, cpuAlarm(name, OTHER_INSTANCE));
    }
    const incidents = await eventually(() => {
      const all = names.map(incident);
      return all.every((i) => i && api.triage.triageOf(i)) ? (all as Incident[]) : undefined;
    }, LONG, "every alarm of the storm has a triage state");
    const threads = await eventually(() => {
      const found = api.diagnosis.history.list().filter((s) => s.triage === true && s.hostName === OTHER_HOST_ID);
      return found.length > 0 && found.every((s) => s.status !== "running") ? found : undefined;
    }, LONG, "the host's triage stopped");
    assert.equal(threads.length, 1, `one triage for the host: ${threads.map((s) => s.alarmName).join(", ")}`);
    const states = incidents.map((i) => api.triage.triageOf(i)!);
    assert.equal(states.filter((s) => s.phase === "joined").length, 2, JSON.stringify(states));
    assert.ok(states.every((s) => s.threadId === null || s.threadId === threads[0].id), "the joined alarms point at the host's thread");
    await setSettings(api, { "triage.debounceMinutes": 0 });
  });

  test("an alarm that arrived while no window triaged is triaged when this window starts polling", async () => {
    await vscode.commands.executeCommand("atl.stopPolling");
    await eventually(() => api.polling.state.kind === "stopped", 60_000, "polling stopped");
    // Saved by another window's poller, or before a reload: this window did not see it arrive.
    api.services.store.ingest(cpuAlarm("triage-caught-up", INSTANCE), { sqsMessageId: `caught-up-${Date.now()}` });
    const found = await eventually(() => incident("triage-caught-up"), 30_000, "the alarm in the store");
    assert.equal(triageThreads("triage-caught-up").length, 0, "no triage while this window does not poll");
    await vscode.commands.executeCommand("atl.startPolling");
    const summary = await eventually(() => triageThreads("triage-caught-up").find((s) => s.status !== "running"), LONG, "the catch-up triage");
    assert.equal(summary.incidentId, found.id);
    assert.equal(summary.status, "waiting-approval");
    // Polling stops and starts again: the alarm has its diagnosis and is not triaged twice.
    await vscode.commands.executeCommand("atl.stopPolling");
    await eventually(() => api.polling.state.kind === "stopped", 60_000, "polling stopped");
    await vscode.commands.executeCommand("atl.startPolling");
    await eventually(() => api.polling.state.kind === "polling", 120_000, "polling again");
    await api.triage.catchUp();
    assert.equal(triageThreads("triage-caught-up").length, 1, "one triage for the alarm");
  });
});
