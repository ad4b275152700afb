// The Alarms view inside the real extension host: alarms recorded in the store show up grouped by
// state with the label, description, icon, tooltip and contextValue the menus rely on; OK resolves;
// malformed bodies show as Unparsed; the item commands act on the store; hostile alarm text stays text.
import * as assert from "node:assert/strict";
import { suite, suiteSetup, setup, teardown, test } from "mocha";
import * as vscode from "vscode";
import type { Incident } from "../../../src/alarms/model";
import type { AtlApi } from "../../../src/extension";
import type { AlarmGroup, AlarmNode } from "../../../src/vscode/alarms/alarmsModel";
import { atlApi, clearStore, eventually, ingestFresh, renamed, sampleBody, setSettings } from "./alarmsSupport";

function isGroup(node: AlarmNode): node is AlarmGroup {
  return (node as AlarmGroup).kind === "group";
}

/** The rendered tree: groups with their items as VS Code receives them. */
function rendered(api: AtlApi): { group: AlarmGroup; item: vscode.TreeItem; children: { node: AlarmNode; item: vscode.TreeItem }[] }[] {
  const provider = api.alarms.provider;
  return provider.getChildren().filter(isGroup).map((group) => ({
    group,
    item: provider.getTreeItem(group),
    children: provider.getChildren(group).map((node) => ({ node, item: provider.getTreeItem(node) })),
  }));
}

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === "string" ? item.label : (item.label?.label ?? "");
}


/**
 * Records a body as the consumer would. The store dedupes redeliveries by SNS MessageId for good,
 * so each test gives the sample envelope a fresh one.
 */


/** Sample 01 (EC2 CPU) as another alarm, in ALARM or OK. */
function cpuAlarm(name: string, state: "ALARM" | "OK" = "ALARM", at = "2026-11-25T03:12:45.148+0000"): string {
  return renamed("01-ec2-cpu-alarm.json", name, { NewStateValue: state, OldStateValue: state === "OK" ? "ALARM" : "OK", StateChangeTime: at });
}

suite("Alarms view", () => {
  let api: AtlApi;

  suiteSetup(async () => {
    api = await atlApi();
    await vscode.commands.executeCommand("atl.alarms.focus");
  });

  setup(async () => {
    await setSettings(api, { "alarms.groupBy": undefined });
    await clearStore(api);
    await eventually(() => rendered(api).length === 0, 30_000, "an empty Alarms view");
  });

  teardown(async () => {
    await clearStore(api);
  });

  test("an ALARM shows under ALARM: name as label, metric vs threshold and age as description, open contextValue", async () => {
    await ingestFresh(api, cpuAlarm("view-cpu-high"), "sqs-01");
    const groups = await eventually(() => {
      const tree = rendered(api);
      return tree.length > 0 && tree[0]?.children.length ? tree : undefined;
    });
    assert.deepEqual(
      groups.map((g) => g.group.key),
      ["ALARM"],
    );
    const alarmGroup = groups[0];
    assert.equal(labelOf(alarmGroup.item), "ALARM");
    assert.equal(alarmGroup.item.description, "1");
    assert.equal(alarmGroup.item.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    const [{ item, node }] = alarmGroup.children as [{ item: vscode.TreeItem; node: Incident }];
    assert.equal(labelOf(item), "view-cpu-high");
    assert.match(String(item.description), /^CPUUtilization 97\.35 > 80 · /);
    assert.equal(item.contextValue, "incident.open");
    assert.ok(item.iconPath instanceof vscode.ThemeIcon);
    assert.equal(item.iconPath.id, "error");
    assert.equal(item.iconPath.color?.id, "errorForeground");
    assert.equal(item.command?.command, "atl.diagnoseAlarm");
    assert.equal((item.command?.arguments?.[0] as Incident).id, node.id);
    const tooltip = item.tooltip as vscode.MarkdownString;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.equal(tooltip.isTrusted, false);
    assert.equal(tooltip.supportHtml, false);
    assert.match(tooltip.value, /Threshold Crossed/);
    // The view's badge counts open incidents; the welcome "empty" key is off.
    await eventually(() => api.alarms.treeView.badge?.value === 1, 10_000, "badge 1");
  });

  test("OK resolves the incident: it moves under OK as incident.resolved", async () => {
    await ingestFresh(api, cpuAlarm("view-recovering-cpu"), "sqs-01");
    await ingestFresh(api, cpuAlarm("view-recovering-cpu", "OK", "2026-11-25T03:30:00.000+0000"), "sqs-05");
    const tree = await eventually(() => {
      const t = rendered(api);
      return t.length === 1 && t[0]?.group.key === "OK" ? t : undefined;
    }, 30_000, "the incident under OK");
    const ok = tree[0];
    assert.equal(ok.item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const child = ok.children[0];
    assert.equal(labelOf(child.item), "view-recovering-cpu");
    assert.equal(child.item.contextValue, "incident.resolved");
    assert.equal((child.item.iconPath as vscode.ThemeIcon).id, "pass");
    await eventually(() => api.alarms.treeView.badge === undefined, 10_000, "no badge");
  });

  test("INSUFFICIENT_DATA and a malformed body get their own groups; Unparsed opens as plain text", async () => {
    await ingestFresh(api, renamed("06-cwagent-mem-insufficient-data.json", "view-mem-data-gap"), "sqs-06");
    await ingestFresh(api, sampleBody("10-malformed-truncated-body.json"), "sqs-10");
    const tree = await eventually(() => {
      const t = rendered(api);
      return t.length === 2 ? t : undefined;
    });
    assert.deepEqual(
      tree.map((g) => g.group.key),
      ["INSUFFICIENT_DATA", "UNPARSED"],
    );
    const unparsed = tree[1].children[0];
    assert.equal(unparsed.item.contextValue, "unparsed");
    assert.equal(unparsed.item.command?.command, "atl.showUnparsed");
    const document = await vscode.commands.executeCommand<vscode.TextDocument>("atl.showUnparsed", unparsed.node);
    assert.equal(document.languageId, "plaintext");
    assert.equal(document.uri.scheme, "atl-raw");
    assert.ok(document.getText().includes(sampleBody("10-malformed-truncated-body.json")), "the raw body is shown as is");
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
    await vscode.commands.executeCommand("atl.removeAlarm", unparsed.node);
    await eventually(() => api.services.store.listUnparsed().length === 0, 10_000, "the unparsed entry removed");
  });

  test("Acknowledge marks the incident (incident.open.ack) and Copy alarm ARN copies it", async () => {
    await ingestFresh(api, cpuAlarm("view-ack-me"), "sqs-ack");
    const incident = await eventually(() => api.services.store.listIncidents({ status: "open" })[0]);
    await vscode.commands.executeCommand("atl.acknowledgeAlarm", incident);
    const item = await eventually(() => {
      const child = rendered(api)[0]?.children[0];
      return child?.item.contextValue === "incident.open.ack" ? child.item : undefined;
    }, 30_000, "acknowledged item");
    assert.match(String(item.description), /acknowledged/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, "bell-slash");
    await vscode.commands.executeCommand("atl.copyAlarmArn", incident);
    assert.equal(await vscode.env.clipboard.readText(), "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:view-ack-me");
  });

  test("group by host names hosts from atl.hosts, and the toggle writes the setting", async () => {
    await setSettings(api, {
      hosts: [{ id: "web-01", name: "prod-web-01", transport: "agent", url: "http://127.0.0.1:9", keyId: "k", aliases: ["i-0a1b2c3d4e5f67890"] }],
    });
    await ingestFresh(api, cpuAlarm("view-web-cpu"), "sqs-01");
    await ingestFresh(api, renamed("03-cwagent-disk-used-percent-alarm.json", "view-disk-full"), "sqs-03");
    await vscode.commands.executeCommand("atl.groupAlarmsByHost");
    assert.equal(vscode.workspace.getConfiguration("atl").get("alarms.groupBy"), "host");
    const tree = await eventually(() => {
      const t = rendered(api);
      return t.length === 2 && t.every((g) => g.group.key.startsWith("host:")) ? t : undefined;
    }, 30_000, "groups by host");
    assert.deepEqual(tree.map((g) => labelOf(g.item)).sort(), ["i-0123456789abcdef0", "prod-web-01"]);
    await vscode.commands.executeCommand("atl.groupAlarmsByState");
    await eventually(() => rendered(api)[0]?.group.key === "ALARM", 30_000, "groups by state again");
    await setSettings(api, { hosts: undefined });
  });

  test("an alarm named <img src=x onerror=alert(1)> stays text in the label and the tooltip", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    await ingestFresh(api, cpuAlarm(hostile), "sqs-hostile");
    const item = await eventually(() => rendered(api)[0]?.children[0]?.item);
    assert.equal(labelOf(item), hostile);
    const tooltip = item.tooltip as vscode.MarkdownString;
    assert.equal(tooltip.isTrusted, false);
    assert.equal(tooltip.supportHtml, false);
    assert.doesNotMatch(tooltip.value, /(^|[^\\])</, `every < in the tooltip source must be escaped: ${tooltip.value}`);
    assert.ok(tooltip.value.includes("\\<img src\\=x onerror\\=alert\\(1\\)\\>"));
  });

  test("a storm of 300 alarms redraws the view a few times, not 300", async () => {
    let redraws = 0;
    const subscription = api.alarms.provider.onDidChangeTreeData(() => redraws++);
    try {
      for (let i = 0; i < 300; i++) {
        api.services.store.ingest(cpuAlarm(`view-storm-${i}`), { sqsMessageId: `view-storm-${i}-${Date.now()}` });
      }
      await api.services.store.persist();
      await eventually(() => rendered(api)[0]?.children.length === 300, 30_000, "300 alarms in the view");
      assert.ok(redraws <= 10, `redrew ${redraws} times`);
      await eventually(() => api.alarms.treeView.badge?.value === 300, 10_000, "badge 300");
    } finally {
      subscription.dispose();
    }
  });

  test("Clear resolved removes resolved incidents only", async () => {
    await ingestFresh(api, cpuAlarm("view-resolved-one"), "r1");
    await ingestFresh(api, cpuAlarm("view-resolved-one", "OK", "2026-11-25T03:20:00.000+0000"), "r2");
    await ingestFresh(api, cpuAlarm("view-still-open"), "o1");
    await eventually(() => rendered(api).length === 2, 30_000, "ALARM and OK groups");
    const cleared = await vscode.commands.executeCommand<number>("atl.clearResolved");
    assert.equal(cleared, 1);
    const tree = await eventually(() => {
      const t = rendered(api);
      return t.length === 1 ? t : undefined;
    });
    assert.deepEqual(
      tree[0].children.map((c) => labelOf(c.item)),
      ["view-still-open"],
    );
  });
});
