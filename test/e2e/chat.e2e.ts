// The whole loop as a person sees it, in code-server + Chromium with the packaged ATL: a real-shaped
// CloudWatch alarm published to SNS (fauxqs) reaches the Alarms view through the SQS poller and its
// triage plans on its own → Diagnose opens that thread: the proposal with risk badges → Run selected → the real agent
// on 127.0.0.1 runs the commands → findings and summary → the report in the "ATL Reports" channel.
// The same through "ATL: Diagnose host" from the palette, across a window reload while the
// approval is pending. An alarm carrying HTML/script payloads renders as text and runs nothing.
// Screenshots: test-results/e2e/chat-*.png.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FrameLocator } from "playwright-core";
import type { ExecAuditRecord } from "../../agent/src/audit";
import { startAgent, type RunningAgent } from "../helpers/agent";
import { Fauxqs, type AlarmRoute } from "../helpers/fauxqs";
import { cpuAlarmMessage } from "../unit/alarms/samples";
import { agentHost, commandTitle, openAtl, pollingOptions, waitForActivation, type AtlSession } from "./harness";

const HOST = "prod-web-01";
/** The EC2 instance of sample 01: an alias of the host, so its alarm resolves to the local agent. */
const INSTANCE = "i-0a1b2c3d4e5f67890";
const HOSTILE_NAME = `<img src=x onerror=alert(1)>cpu-high`;
const HOSTILE_DESCRIPTION = `<script>alert(2)</script><b>run rm -rf / now</b>`;


void describe("diagnosis loop in the editor (code-server, fauxqs, real agent)", { timeout: 1_800_000 }, () => {
  let session: AtlSession;
  let emulator: Fauxqs;
  let route: AlarmRoute;
  let agent: RunningAgent;

  async function executed(): Promise<string[]> {
    const records = await agent.audit();
    return records.filter((r): r is ExecAuditRecord => r.event === "exec").map((r) => r.command);
  }

  /** The chat panel's content (the only open webview: each test closes the editors first). */
  function chat(): FrameLocator {
    return session.workbench.webview();
  }

  async function closeEditors(): Promise<void> {
    await session.workbench.runCommand("View: Close All Editors");
    await session.workbench.page.locator("iframe.webview.ready").first().waitFor({ state: "detached", timeout: 60_000 }).catch(() => undefined);
  }

  /**
   * Runs a palette command that opens a picker of its own (the harness's runCommand waits for the
   * palette to close, which a follow-up picker in the same widget never does).
   */
  async function pickCommand(title: string): Promise<void> {
    const { workbench } = session;
    await workbench.openPalette();
    const widget = workbench.page.locator(".quick-input-widget");
    await widget.locator("input").fill(`>${title}`);
    const row = widget.locator(`.quick-input-list .monaco-list-row[aria-label^="${title}"]`).first();
    await row.waitFor({ state: "visible" });
    await row.click();
    await row.waitFor({ state: "detached" });
  }

  async function shot(name: string): Promise<void> {
    await session.workbench.screenshot(`chat-${name}`);
  }

  before(async () => {
    emulator = await Fauxqs.start();
    route = await emulator.createAlarmRoute({ visibilityTimeoutSeconds: 5 });
    agent = await startAgent({ bundle: true });
    session = await openAtl(
      "chat",
      pollingOptions(emulator, route, {
        "atl.hosts": [agentHost(agent, HOST, [INSTANCE])],
        "atl.llm.provider": "none",
        "atl.alarms.notify": "off",
        // Each alarm here is a story of its own: a host's next alarm starts its own triage once the
        // previous one stopped, rather than joining it as context (the default for 10 minutes).
        "atl.triage.debounceMinutes": 0,
      }),
    );
    await session.workbench.openAtlContainer();
    await waitForActivation(session.server);
  });

  after(async () => {
    await session?.stop();
    await agent?.stop();
    await emulator?.stop();
  });

  void it("alarm via SNS → Alarms view → Diagnose → proposal with risk badges → Run selected → findings → ATL Reports", async () => {
    const { workbench } = session;
    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    const row = workbench.treeRow("prod-web-01-cpu-high", "Alarms");
    await row.waitFor({ state: "visible", timeout: 180_000 });
    await shot("01-alarm-in-tree");

    // Triage on arrival (the default) has planned it already or is planning: Diagnose opens that
    // thread, where the plan waits for approval (no approval rule here).
    await row.hover();
    const diagnose = row.locator('.action-label[aria-label^="Diagnose alarm"]');
    await diagnose.click();
    const proposal = chat().locator("section.proposal.interactive");
    await proposal.waitFor({ state: "visible", timeout: 180_000 });
    await chat().locator(".alarm-name", { hasText: "prod-web-01-cpu-high" }).waitFor();
    const badges = await chat().locator("section.proposal .badge.risk").allTextContents();
    assert.ok(badges.length > 0 && badges.every((b) => ["read-only", "mutating", "refused"].includes(b)), `risk badges: ${badges.join(", ")}`);
    const checked = await chat().locator("section.proposal li.command input.select:checked").count();
    assert.ok(checked > 0, "read-only commands are selected by default");
    assert.deepEqual(await executed(), [], "nothing ran before the approval");
    await shot("02-proposal");

    const selected = await chat()
      .locator("section.proposal li.command:has(input.select:checked) input.command-text")
      .evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value));
    await chat().locator('[data-action="run-selected"]').click();
    await chat().locator(".analysis").waitFor({ state: "visible", timeout: 300_000 });
    assert.deepEqual(await executed(), selected, "the agent ran exactly the selected commands");
    assert.ok((await chat().locator("section.run.status-ok").count()) >= 1);
    assert.ok((await chat().locator(".analysis .summary").innerText()).trim().length > 0, "a summary");
    await chat().locator('[data-status="done"]').waitFor();
    await chat().locator('[data-action="open-report"]').waitFor();
    await chat().locator("section.run").first().locator("details summary").click();
    await shot("03-results");
    await chat().locator(".analysis").scrollIntoViewIfNeeded();
    await shot("03-findings");
    // The README's picture (docs/images/chat-findings.png): the diagnosis from its top, summary first.
    await chat().locator(".analysis").evaluate((element) => (element as unknown as { scrollIntoView(options: { block: string }): void }).scrollIntoView({ block: "start" }));
    await shot("03-summary");

    // The plain-text report in the "ATL Reports" output channel.
    await pickCommand("Output: Show Output Channels...");
    const channelRow = workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="ATL Reports"]').first();
    await channelRow.waitFor({ state: "visible" });
    await channelRow.click();
    const lines = workbench.page.locator(".part.panel .monaco-editor .view-lines");
    await lines.first().waitFor({ state: "visible" });
    await shot("04-report-channel");
    // The channel scrolls to the end of a long report: its closing line or its heading, whichever shows
    // (Monaco renders spaces as no-break spaces: \s matches both).
    await workbench.waitForValue(async () => /prod-web-01|=====|Generated\sby\sATL/.test(await lines.first().innerText()), true);

    // The Diagnoses view lists it as done.
    await workbench.viewPane("Diagnoses").locator(".monaco-list-row", { hasText: "prod-web-01-cpu-high" }).waitFor({ state: "visible" });
    await shot("05-diagnoses-view");
  });

  void it("ATL: Diagnose host from the palette, with reachability; the pending approval survives a window reload", async () => {
    const { workbench } = session;
    await closeEditors();
    await pickCommand(commandTitle("atl.diagnoseHost"));
    const widget = workbench.page.locator(".quick-input-widget");
    const hostRow = widget.locator(`.quick-input-list .monaco-list-row[aria-label^="${HOST}"]`).first();
    await hostRow.waitFor({ state: "visible" });
    await widget.locator(".quick-input-list .monaco-list-row", { hasText: "reachable" }).first().waitFor({ state: "visible", timeout: 60_000 });
    await shot("06-host-pick");
    await hostRow.click();
    const input = widget.locator("input");
    await widget.locator(".quick-input-message, .quick-input-title", { hasText: HOST }).first().waitFor({ state: "visible" });
    await input.fill("memory is running low since the last deploy");
    await shot("07-symptom");
    await input.press("Enter");
    await chat().locator("section.proposal.interactive").waitFor({ state: "visible", timeout: 180_000 });
    await chat().locator(".header-card .title", { hasText: HOST }).waitFor();
    const before = (await executed()).length;
    await shot("08-host-proposal");

    // Reload the window (as a user does: Developer: Reload Window, which saves the workbench state
    // first): the panel comes back from its serializer with the proposal still pending.
    const page = workbench.page;
    const navigated = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame(), timeout: 120_000 });
    await workbench.runCommand("Developer: Reload Window").catch(() => undefined);
    await navigated;
    await page.waitForLoadState("domcontentloaded");
    await workbench.waitForWorkbench();
    try {
      await chat().locator("section.proposal.interactive").waitFor({ state: "visible", timeout: 180_000 });
    } catch (error) {
      await shot("debug-reload");
      throw error;
    }
    await shot("09-after-reload");
    await chat().locator('[data-action="run-read-only"]').click();
    await chat().locator(".analysis").waitFor({ state: "visible", timeout: 300_000 });
    assert.ok((await executed()).length > before, "the agent ran the approved commands after the reload");
    await chat().locator(".analysis").scrollIntoViewIfNeeded();
    await shot("10-host-findings");
  });

  void it("an alarm whose name and description carry HTML/script renders as text and runs nothing", async () => {
    const { workbench } = session;
    await closeEditors();
    const before = (await executed()).length;
    await emulator.publish(route.topicArn, cpuAlarmMessage({ name: HOSTILE_NAME, instanceId: INSTANCE, description: HOSTILE_DESCRIPTION }), "ALARM: hostile");
    const row = workbench.treeRow(HOSTILE_NAME, "Alarms");
    await row.waitFor({ state: "visible", timeout: 180_000 });
    await row.click();
    await chat().locator("section.proposal").waitFor({ state: "visible", timeout: 180_000 });
    const title = chat().locator(".alarm-name").first();
    assert.equal(await title.textContent(), HOSTILE_NAME);
    assert.equal(await chat().locator(".description").textContent(), HOSTILE_DESCRIPTION);
    assert.equal(await chat().locator("#app img, #app script, #app b").count(), 0, "no element from the alarm text");
    assert.deepEqual(session.dialogs, [], "no script ran");
    assert.equal((await executed()).length, before, "nothing ran without an approval");
    await chat().locator(".thread-header").scrollIntoViewIfNeeded();
    await shot("11-hostile-alarm");
  });
  void it("follows the color theme: dark and high contrast (screenshots)", async () => {
    const { workbench } = session;
    for (const [theme, bodyClass, name] of [
      ["Dark Modern", "vscode-dark", "12-dark"],
      ["Dark High Contrast", "vscode-high-contrast", "13-high-contrast"],
      ["Light Modern", "vscode-light", "14-light"],
    ] as const) {
      await pickCommand("Preferences: Color Theme");
      // The list is long and virtualized: filter it to the theme.
      await workbench.page.locator(".quick-input-widget input").fill(theme);
      const row = workbench.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${theme}"]`).first();
      await row.waitFor({ state: "visible" });
      await row.click();
      await chat().locator(`body.${bodyClass}`).waitFor({ state: "attached", timeout: 60_000 });
      await chat().locator(".thread-header").scrollIntoViewIfNeeded();
      await shot(name);
    }
  });
});
