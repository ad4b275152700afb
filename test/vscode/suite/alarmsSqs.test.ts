// End to end inside the extension host: the extension's settings point at a real SQS/SNS emulator
// (fauxqs); an alarm published to the SNS topic reaches the Alarms view under ALARM, is deleted from
// the queue, raises one notification; OK resolves it; a malformed body shows as Unparsed; the status
// bar follows polling, stopping and a broken endpoint; a storm raises a few toasts, not hundreds.
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import * as assert from "node:assert/strict";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { Incident } from "../../../src/alarms/model";
import {
  alarmMessage,
  alarmRoute,
  atlApi,
  clearStore,
  eventually,
  pollingSettings,
  publish,
  queueDepth,
  sampleBody,
  setSettings,
  startEmulator,
  TEST_CREDENTIALS,
  unset,
  type Emulator,
} from "./alarmsSupport";

function openIncident(api: AtlApi, name: string): Incident | undefined {
  return api.services.store.listIncidents({ status: "all" }).find((i) => i.name === name);
}

const CPU = { AlarmName: "sqs-cpu-high", AlarmArn: "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:sqs-cpu-high" };

suite("Alarms from SQS (fauxqs), status bar and notifications", function () {
  // Two shared cores and a real emulator: generous limits, no timing assertions.
  this.timeout(240_000);
  let api: AtlApi;
  let settings: Record<string, unknown> = {};
  let emulator: Emulator;
  let route: { topicArn: string; queueUrl: string };

  suiteSetup(async () => {
    api = await atlApi();
    // The extension's credential chain reads the environment of this very process.
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    emulator = await startEmulator();
    route = await alarmRoute(emulator, `atl-editor-${Date.now()}`);
    await clearStore(api);
    settings = {
      "alarms.notify": "alarm",
      // This suite is about the Alarms view and its toasts; triage on arrival has a suite of its own.
      "triage.onArrival": false,
      ...pollingSettings(emulator, route.queueUrl),
    };
    await setSettings(api, settings);
    await eventually(() => api.services.settings.current.sqs.queueUrl === route.queueUrl && api.services.settings.current.sqs.visibilityTimeoutSeconds === 5, 30_000, "the settings read");
    await vscode.commands.executeCommand("atl.startPolling");
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand("atl.stopPolling");
    await setSettings(api, unset(settings));
    await clearStore(api);
    await emulator?.stop();
  });

  test("this window polls the queue, and the status bar says so", async () => {
    // A restart aborts the long poll, and SQS may hand the next message to the aborted request
    // (hidden for the visibility timeout): publish only once the settings have settled.
    await api.polling.idle();
    await eventually(() => api.polling.state.kind === "polling", 60_000, "polling");
    const view = api.statusBar.view;
    assert.ok(view);
    assert.match(view.text, /^\$\(radio-tower\) ATL/);
    assert.match(view.tooltip, /polling atl-editor-/);
    assert.equal(view.command, "atl.alarms.focus");
  });

  test("an alarm published to SNS appears under ALARM, leaves the queue, and raises one notification", async () => {
    const shownBefore = api.alarms.notifier.shown.length;
    await publish(emulator, route.topicArn, alarmMessage("01-ec2-cpu-alarm.json", CPU));
    const incident = await eventually(() => openIncident(api, "sqs-cpu-high"), 60_000, "the alarm in the store");
    assert.equal(incident.status, "open");
    const group = await eventually(() => api.alarms.provider.getChildren().find((g) => "kind" in g && g.key === "ALARM"), 30_000, "the ALARM group");
    const [child] = api.alarms.provider.getChildren(group);
    assert.ok(child);
    const item = api.alarms.provider.getTreeItem(child);
    assert.equal(item.label, "sqs-cpu-high");
    assert.equal(item.contextValue, "incident.open");
    assert.match(String(item.description), /^CPUUtilization 97\.35 > 80/);
    await eventually(async () => (await queueDepth(emulator, route.queueUrl)) === 0, 60_000, "the message deleted after it was saved");
    const shown = await eventually(() => (api.alarms.notifier.shown.length > shownBefore ? api.alarms.notifier.shown.slice(shownBefore) : undefined), 30_000, "a notification");
    assert.equal(shown.length, 1);
    assert.equal(shown[0]?.kind, "single");
    assert.match(api.statusBar.view?.text ?? "", /ATL 1$/);
  });

  test("the OK recovery resolves the incident", async () => {
    await publish(emulator, route.topicArn, alarmMessage("05-ec2-cpu-ok-recovery.json", CPU));
    await eventually(() => openIncident(api, "sqs-cpu-high")?.status === "resolved", 60_000, "resolved");
    const group = await eventually(() => api.alarms.provider.getChildren().find((g) => "kind" in g && g.key === "OK"), 30_000, "the OK group");
    const [child] = api.alarms.provider.getChildren(group);
    assert.ok(child);
    assert.equal(api.alarms.provider.getTreeItem(child).contextValue, "incident.resolved");
  });

  test("a malformed body is kept as Unparsed and deleted from the queue", async () => {
    await emulator.sqs.send(new SendMessageCommand({ QueueUrl: route.queueUrl, MessageBody: sampleBody("10-malformed-truncated-body.json") }));
    const entry = await eventually(() => api.services.store.listUnparsed()[0], 60_000, "an unparsed entry");
    assert.equal(entry.body, sampleBody("10-malformed-truncated-body.json"));
    await eventually(async () => (await queueDepth(emulator, route.queueUrl)) === 0, 60_000, "the malformed message deleted once kept");
  });

  test("a storm of 40 alarms raises at most 3 toasts, then one summary", async () => {
    const shownBefore = api.alarms.notifier.shown.length;
    for (let i = 0; i < 40; i++) {
      await publish(
        emulator,
        route.topicArn,
        alarmMessage("01-ec2-cpu-alarm.json", { AlarmName: `sqs-storm-${i}`, AlarmArn: `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:sqs-storm-${i}` }),
      );
    }
    await eventually(() => api.services.store.listIncidents({ status: "open" }).filter((i) => i.name.startsWith("sqs-storm-")).length === 40, 120_000, "40 storm alarms");
    const shown = await eventually(() => {
      const recent = api.alarms.notifier.shown.slice(shownBefore);
      return recent.some((a) => a.kind === "summary") ? recent : undefined;
    }, 30_000, "the summary toast");
    const singles = shown.filter((a) => a.kind === "single").length;
    assert.ok(singles <= 3, `${singles} single toasts`);
    const summaries = shown.filter((a) => a.kind === "summary");
    assert.equal(summaries.length, 1);
    assert.equal(singles + (summaries[0]?.kind === "summary" ? summaries[0].count : 0), 40);
  });

  test("Test SQS connection answers with the queue's numbers", async () => {
    const description = await vscode.commands.executeCommand<{ queueUrl: string; visibleMessages: number; region: string }>("atl.testSqsConnection");
    assert.equal(description.queueUrl, route.queueUrl);
    assert.equal(description.region, "ap-northeast-2");
    assert.equal(typeof description.visibleMessages, "number");
  });

  test("Stop polling stops the loop; the status bar offers to start again", async () => {
    await vscode.commands.executeCommand("atl.stopPolling");
    assert.equal(api.polling.state.kind, "stopped");
    assert.match(api.statusBar.view?.text ?? "", /^\$\(debug-pause\) ATL/);
    assert.equal(api.statusBar.view?.command, "atl.startPolling");
    // Nothing is consumed while stopped.
    await publish(emulator, route.topicArn, alarmMessage("04-ec2-status-check-failed-alarm.json", { AlarmName: "sqs-status-check", AlarmArn: "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:sqs-status-check" }));
    await eventually(async () => (await queueDepth(emulator, route.queueUrl)) === 1, 30_000, "the message waiting in the queue");
    await vscode.commands.executeCommand("atl.startPolling");
    await eventually(() => api.services.store.listIncidents({ status: "open" }).some((i) => i.alarm.metric?.name === "StatusCheckFailed"), 60_000, "the waiting alarm consumed after restart");
  });

  test("an unreachable endpoint shows as an error in the status bar, clickable to the log", async () => {
    await setSettings(api, { "sqs.endpoint": "http://127.0.0.1:9" });
    const state = await eventually(() => (api.polling.state.kind === "error" ? api.polling.state : undefined), 90_000, "the error state");
    assert.ok(state.message.length > 0);
    const view = api.statusBar.view;
    assert.equal(view?.severity, "error");
    assert.equal(view?.command, "atl.showLog");
    assert.ok(view?.tooltip.includes(state.message));
    await setSettings(api, { "sqs.endpoint": emulator.endpoint });
    await api.polling.idle();
    await eventually(() => api.polling.state.kind === "polling", 90_000, "polling again after the fix");
  });
});
