// What a person sees of the Alarms view: the packaged ATL in code-server polls a real SQS queue
// (fauxqs) fed by an SNS topic; a published CloudWatch alarm appears in the tree, its triage on
// arrival finds no host (this suite has none) and its one toast says so, the status bar counts it; an alarm named <img src=x onerror=alert(1)> shows as text in
// the tree and its tooltip, and no script runs. Screenshots: test-results/e2e/alarms-*.png.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fauxqs, type AlarmRoute } from "../helpers/fauxqs";
import { cpuAlarmMessage } from "../unit/alarms/samples";
import { openAtl, pollingOptions, waitForActivation, type AtlSession } from "./harness";

const HOSTILE = "<img src=x onerror=alert(1)>";


void describe("Alarms view (code-server, fauxqs)", { timeout: 900_000 }, () => {
  let session: AtlSession;
  let emulator: Fauxqs;
  let route: AlarmRoute;

  before(async () => {
    emulator = await Fauxqs.start();
    route = await emulator.createAlarmRoute({ visibilityTimeoutSeconds: 5 });
    session = await openAtl(
      "alarms",
      pollingOptions(emulator, route, {
        "atl.alarms.notify": "alarm",
      }),
    );
    await session.workbench.openAtlContainer();
    await waitForActivation(session.server);
  });

  after(async () => {
    await session?.stop();
    await emulator?.stop();
  });

  void it("an alarm published to SNS appears in the Alarms tree, with one toast and a count in the status bar", async () => {
    const { workbench } = session;
    await emulator.publish(route.topicArn, cpuAlarmMessage());
    const row = workbench.treeRow("prod-web-01-cpu-high", "Alarms");
    await row.waitFor({ state: "visible", timeout: 180_000 });
    assert.match(await row.innerText(), /prod-web-01-cpu-high\s*(\S.* · )?CPUUtilization 97\.35 > 80/);
    await workbench.treeRow("ALARM").waitFor({ state: "visible" });
    // This suite has no hosts: triage on arrival (the default) finds no host for the instance, the
    // row says so, and the alarm's one toast says how to add it (no separate "is in ALARM" toast).
    await row.filter({ hasText: "needs a host" }).waitFor({ state: "visible", timeout: 180_000 });
    const toast = workbench.notifications().filter({ hasText: "prod-web-01-cpu-high needs a host" }).first();
    await toast.waitFor({ state: "visible", timeout: 60_000 });
    await toast.locator(".monaco-button", { hasText: "Open" }).waitFor({ state: "visible" });
    assert.equal(await workbench.notifications().filter({ hasText: "prod-web-01-cpu-high is in ALARM" }).count(), 0, "one toast for the alarm");
    const status = workbench.page.locator('.statusbar-item[id="atl-team.atl.atl.status"]');
    await status.filter({ hasText: "ATL 1" }).waitFor({ state: "visible", timeout: 60_000 });
    await workbench.screenshot("alarms-01-alarm-in-tree");
  });

  void it("an alarm named <img src=x onerror=alert(1)> renders as text in the tree and its tooltip", async () => {
    const { workbench } = session;
    await emulator.publish(route.topicArn, cpuAlarmMessage({ name: HOSTILE }));
    const row = workbench.treeRow(HOSTILE, "Alarms");
    await row.waitFor({ state: "visible", timeout: 180_000 });
    assert.equal((await row.locator(".label-name").innerText()).trim(), HOSTILE);
    assert.equal(await row.locator("img").count(), 0, "no <img> element in the row");
    await workbench.screenshot("alarms-02-hostile-row");

    await row.hover();
    const hover = workbench.page.locator(".monaco-hover, .workbench-hover").filter({ hasText: "onerror" }).first();
    await hover.waitFor({ state: "visible", timeout: 60_000 });
    assert.ok((await hover.innerText()).includes(HOSTILE), `tooltip text: ${await hover.innerText()}`);
    assert.equal(await hover.locator("img").count(), 0, "no <img> element in the tooltip");
    await workbench.screenshot("alarms-03-hostile-tooltip");
    assert.deepEqual(session.dialogs, [], "no script ran");
  });
});
