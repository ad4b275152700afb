// Proactive triage as a person sees it, in code-server + Chromium with the packaged ATL: alarms
// published to SNS (fauxqs) are diagnosed with no click. On a host no rule covers, the plan waits
// (the Diagnoses view says so, the toast offers Review) and the real agent's audit shows nothing
// ran; on a host with a rule (the old atl.approval.autoApproveReadOnlyHosts setting, migrated to a
// rule at activation), the read-only commands run, the Diagnoses view shows the thread done with
// its severity, and the opened thread's findings name the staged CPU burner.
// Screenshots: test-results/e2e/triage-*.png.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ExecAuditRecord } from "../../agent/src/audit";
import { startAgent, type RunningAgent } from "../helpers/agent";
import { startCpuHog, type StagedProcess } from "../helpers/faults";
import { Fauxqs, type AlarmRoute } from "../helpers/fauxqs";
import { cpuAlarmMessage } from "../unit/alarms/samples";
import { agentHost, nls, openAtl, pollingOptions, waitForActivation, type AtlSession } from "./harness";

const RULED = "prod-web-01";
const UNRULED = "prod-web-02";
const RULED_INSTANCE = "i-0a1b2c3d4e5f67890";
const UNRULED_INSTANCE = "i-0b2b2b2b2b2b2b2b2";


void describe("proactive triage in the editor (code-server, fauxqs, real agent)", { timeout: 1_800_000 }, () => {
  let session: AtlSession;
  let emulator: Fauxqs;
  let route: AlarmRoute;
  let agent: RunningAgent;
  let burner: StagedProcess;

  async function executed(): Promise<string[]> {
    return (await agent.audit()).filter((r): r is ExecAuditRecord => r.event === "exec").map((r) => r.command);
  }

  before(async () => {
    emulator = await Fauxqs.start();
    route = await emulator.createAlarmRoute({ visibilityTimeoutSeconds: 5 });
    agent = await startAgent({ bundle: true });
    session = await openAtl(
      "triage",
      pollingOptions(emulator, route, {
        "atl.hosts": [agentHost(agent, RULED, [RULED_INSTANCE]), agentHost(agent, UNRULED, [UNRULED_INSTANCE])],
        // Moved into an approval rule (any read-only command on prod-web-01) when ATL activates.
        "atl.approval.autoApproveReadOnlyHosts": [RULED],
        "atl.llm.provider": "none",
        "atl.alarms.notify": "off",
      }),
    );
    // No click on ATL: it activates once the workbench has started and polls by itself.
    await waitForActivation(session.server);
    await session.workbench.openAtlContainer();
    const diagnoses = session.workbench.viewPane(nls["view.diagnoses"]);
    const header = diagnoses.locator(".pane-header");
    if ((await header.getAttribute("aria-expanded")) === "false") {
      await header.click();
    }
  });

  after(async () => {
    await session?.stop();
    await burner?.stop();
    await agent?.stop();
    await emulator?.stop();
  });

  void it("with no rule: the plan is ready with no click, waits for approval, and nothing ran on the host", async () => {
    const { workbench } = session;
    const before = (await executed()).length;
    await emulator.publish(route.topicArn, cpuAlarmMessage({ name: "triage-e2e-waits", instanceId: UNRULED_INSTANCE }));
    const toast = workbench.notifications().filter({ hasText: "triage-e2e-waits: plan ready:" }).first();
    await toast.waitFor({ state: "visible", timeout: 300_000 });
    assert.match(await toast.innerText(), /read-only command/);
    await toast.locator(".monaco-button", { hasText: "Review" }).waitFor({ state: "visible" });
    const row = workbench.treeRow("triage-e2e-waits", nls["view.alarms"]);
    await row.waitFor({ state: "visible", timeout: 60_000 });
    await workbench.page.locator('.monaco-list-row[aria-label^="triage-e2e-waits, waiting for approval"]').first().waitFor({ state: "visible", timeout: 60_000 });
    await workbench.screenshot("triage-01-plan-waits");
    assert.equal((await executed()).length, before, "the agent's audit shows that nothing ran");
  });

  void it("with a rule: the Diagnoses view shows the thread done with its severity, and its findings name the CPU burner", async () => {
    const { workbench } = session;
    burner = await startCpuHog({ nice: -10 });
    const before = (await executed()).length;
    await emulator.publish(route.topicArn, cpuAlarmMessage({ name: "triage-e2e-runs", instanceId: RULED_INSTANCE }));
    const done = workbench.page.locator('.monaco-list-row[aria-label^="triage-e2e-runs, done · "]').first();
    await done.waitFor({ state: "visible", timeout: 420_000 });
    const label = (await done.getAttribute("aria-label")) ?? "";
    assert.match(label, /done · (info|low|medium|high|critical)/, label);
    await workbench.screenshot("triage-02-done");
    assert.ok((await executed()).length > before, "the read-only commands ran on the host");

    await done.click();
    const findings = workbench.webview().locator(".entry.analysis");
    await findings.first().waitFor({ state: "visible", timeout: 120_000 });
    const text = await findings.first().innerText();
    assert.ok(text.includes(burner.name), `the findings name ${burner.name}:\n${text}`);
    await workbench.screenshot("triage-03-findings");
  });
});
