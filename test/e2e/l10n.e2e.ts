// ATL as a Korean user sees it: code-server with Korean as its display language (the way VS Code
// users get it: a language pack installed and `"locale": "ko"` in argv.json, what "Configure
// Display Language" writes). The views, welcome text, palette titles, notifications, tree labels
// and the chat panel (proposal, risk badges, findings) come out in Korean from
// package.nls.ko.json, l10n/bundle.l10n.ko.json and the report language that follows the display
// language. The language pack is a stand-in built here (no core translations, so VS Code's own UI
// stays English): the Korean pack cannot be downloaded offline, and ATL's strings are what is tested.
// Screenshots: test-results/e2e/l10n-*.png.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FrameLocator } from "playwright-core";
import type { ExecAuditRecord } from "../../agent/src/audit";
import { startAgent, type RunningAgent } from "../helpers/agent";
import { CodeServer, repoRoot, Workbench } from "../helpers/codeServer";
import { Fauxqs, type AlarmRoute } from "../helpers/fauxqs";
import { cpuAlarmMessage } from "../unit/alarms/samples";
import { agentHost, manifest, pollingOptions, vsixUnderTest, waitForActivation } from "./harness";

const HOST = "prod-web-01";
/** The EC2 instance of sample 01: an alias of the host, so its alarm resolves to the local agent. */
const INSTANCE = "i-0a1b2c3d4e5f67890";

const nlsKo = JSON.parse(readFileSync(join(repoRoot, "package.nls.ko.json"), "utf8")) as Record<string, string>;
const ko = JSON.parse(readFileSync(join(repoRoot, "l10n", "bundle.l10n.ko.json"), "utf8")) as Record<string, string>;

/** The palette title of a command in Korean, e.g. "ATL: 호스트 진단". */
function koreanTitle(id: string): string {
  const command = manifest.contributes.commands.find((c) => c.command === id);
  const key = /^%(.+)%$/.exec(command?.title ?? "")?.[1];
  if (!key || !nlsKo[key]) {
    throw new Error(`${id} has no Korean title`);
  }
  return `ATL: ${nlsKo[key]}`;
}

/** A language pack that declares Korean (ko) with no core translations, packaged with vsce. */
function koreanLanguagePack(dir: string): string {
  const folder = join(dir, "language-pack-ko");
  mkdirSync(join(folder, "translations"), { recursive: true });
  writeFileSync(
    join(folder, "package.json"),
    JSON.stringify({
      name: "atl-test-language-pack-ko",
      displayName: "Korean display language (ATL test stand-in)",
      description: "Declares Korean as a display language without core translations.",
      publisher: "atl-test",
      version: "1.0.0",
      license: "MIT",
      engines: { vscode: "^1.101.0" },
      categories: ["Language Packs"],
      contributes: {
        localizations: [
          { languageId: "ko", languageName: "Korean", localizedLanguageName: "한국어", translations: [{ id: "vscode", path: "./translations/main.i18n.json" }] },
        ],
      },
    }),
  );
  writeFileSync(join(folder, "translations", "main.i18n.json"), JSON.stringify({ version: "1.0.0", contents: {} }));
  const out = join(dir, "atl-test-language-pack-ko-1.0.0.vsix");
  const vsce = join(repoRoot, "node_modules", "@vscode", "vsce", "vsce");
  const result = spawnSync(process.execPath, [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--out", out], {
    cwd: folder,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`vsce package of the Korean language pack failed:\n${result.stdout}${result.stderr}`);
  }
  return out;
}

/**
 * Records the installed pack in `<user-data>/languagepacks.json`, as VS Code's language pack service
 * does when a pack is installed from the Extensions view. code-server 4.139.1 does not do it for
 * `--install-extension`, and without the record a locale falls back to English for extensions too.
 */
function registerLanguagePack(server: CodeServer): void {
  const id = "atl-test.atl-test-language-pack-ko";
  const version = "1.0.0";
  const folder = readdirSync(server.dirs.extensions).find((name) => name.startsWith(`${id}-${version}`));
  if (!folder) {
    throw new Error(`the Korean language pack is not installed in ${server.dirs.extensions}`);
  }
  const record = {
    ko: {
      hash: createHash("md5").update(id).update(version).digest("hex"),
      extensions: [{ extensionIdentifier: { id }, version }],
      translations: { vscode: join(server.dirs.extensions, folder, "translations", "main.i18n.json") },
      label: "한국어",
    },
  };
  writeFileSync(join(server.dirs.userData, "languagepacks.json"), JSON.stringify(record));
}


const hangul = /[\uac00-\ud7a3]/;

void describe("ATL in Korean (code-server with display language ko)", { timeout: 1_800_000 }, () => {
  let server: CodeServer;
  let workbench: Workbench;
  let emulator: Fauxqs;
  let route: AlarmRoute;
  let agent: RunningAgent;
  let temp: string;

  const shot = (name: string) => workbench.screenshot(`l10n-${name}`);
  const chat = (): FrameLocator => workbench.webview();

  async function closeEditors(): Promise<void> {
    await workbench.page.keyboard.press("Escape");
    await workbench.runCommand("View: Close All Editors");
  }

  async function executed(): Promise<string[]> {
    const records = await agent.audit();
    return records.filter((r): r is ExecAuditRecord => r.event === "exec").map((r) => r.command);
  }

  before(async () => {
    temp = mkdtempSync(join(tmpdir(), "atl-l10n-e2e-"));
    const languagePack = koreanLanguagePack(temp);
    emulator = await Fauxqs.start();
    route = await emulator.createAlarmRoute({ visibilityTimeoutSeconds: 5 });
    agent = await startAgent({ bundle: true });
    server = await CodeServer.start({
      label: "l10n",
      vsix: [vsixUnderTest(), languagePack],
      ...pollingOptions(emulator, route, {
        "atl.hosts": [agentHost(agent, HOST, [INSTANCE])],
        "atl.llm.provider": "none",
        "atl.alarms.notify": "alarm",
      }),
    });
    registerLanguagePack(server);
    // The display language, where VS Code's "Configure Display Language" keeps it; code-server
    // reads it on each page load.
    writeFileSync(join(server.dirs.userData, "User", "argv.json"), JSON.stringify({ locale: "ko" }));
    try {
      workbench = await Workbench.open(server, { screenshots: "e2e" });
    } catch (error) {
      await server.stop();
      throw error;
    }
    await workbench.openAtlContainer();
    await waitForActivation(server);
  });

  after(async () => {
    await workbench?.screenshot("l10n-last").catch(() => undefined);
    await workbench?.close();
    await server?.stop();
    await agent?.stop();
    await emulator?.stop();
    if (temp) {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  void it("shows the ATL views and their welcome text in Korean", async () => {
    for (const key of ["view.alarms", "view.hosts", "view.diagnoses"]) {
      await workbench.viewPane(nlsKo[key]).waitFor({ state: "visible" });
    }
    // Alarms: a queue is configured and nothing arrived yet.
    const alarmsWelcome = workbench.viewPane(nlsKo["view.alarms"]).locator(".welcome-view-content");
    await alarmsWelcome.filter({ hasText: nlsKo["welcome.alarms.empty"].split("\n")[0] }).waitFor({ state: "visible", timeout: 60_000 });
    await alarmsWelcome.locator(".monaco-button", { hasText: nlsKo["command.refreshAlarms"] }).waitFor({ state: "visible" });
    // Hosts: the configured host, described in Korean once it is probed.
    const hostRow = workbench.viewPane(nlsKo["view.hosts"]).locator(".monaco-list-row", { hasText: HOST });
    await hostRow.filter({ hasText: `${ko.agent} · ` }).first().waitFor({ state: "visible", timeout: 60_000 });
    await workbench.viewPane(nlsKo["view.diagnoses"]).locator(".welcome-view-content").filter({ hasText: nlsKo["welcome.diagnoses"].split("\n")[0] }).waitFor({ state: "visible" });
    await shot("01-views");
  });

  void it("lists ATL commands in the palette under their Korean titles", async () => {
    await workbench.openPalette();
    const input = workbench.page.locator(".quick-input-widget input");
    for (const id of ["atl.diagnoseHost", "atl.configureSqs", "atl.addHost", "atl.setLlmApiKey", "atl.showLog"]) {
      const title = koreanTitle(id);
      await input.fill(`>${title}`);
      await workbench.page.locator(`.quick-input-list .monaco-list-row[aria-label^="${title}"]`).first().waitFor({ state: "visible" });
    }
    // All of them: each row is the Korean title (VS Code adds the English one below as an alias).
    await input.fill(">ATL: ");
    const rows = workbench.page.locator(".quick-input-list .monaco-list-row");
    await rows.nth(5).waitFor({ state: "visible" });
    assert.match((await rows.first().getAttribute("aria-label")) ?? "", hangul);
    await shot("02-palette");
    await workbench.page.keyboard.press("Escape");
  });

  void it("shows an arriving alarm in Korean: state group, its triage state, one notification with its Review button", async () => {
    await emulator.publish(route.topicArn, cpuAlarmMessage({ name: "l10n-cpu-high", instanceId: INSTANCE }));
    const row = workbench.treeRow("l10n-cpu-high", nlsKo["view.alarms"]);
    await row.waitFor({ state: "visible", timeout: 180_000 });
    assert.match(await row.innerText(), /CPUUtilization 97\.35 > 80/);
    await workbench.treeRow(ko.ALARM).waitFor({ state: "visible" });
    // Triage on arrival (the default) plans on its own and, with no approval rule, waits: the row
    // says so, and its one toast names the plan (no separate "is in ALARM" toast).
    await row.filter({ hasText: ko["plan waits for approval"] }).waitFor({ state: "visible", timeout: 180_000 });
    const toastText = ko["ATL: {0}: plan ready: {1} read-only commands"].replace("{0}", "l10n-cpu-high").split("{1}")[0];
    const toast = workbench.notifications().filter({ hasText: toastText }).first();
    await toast.waitFor({ state: "visible", timeout: 60_000 });
    await toast.locator(".monaco-button", { hasText: ko.Review }).waitFor({ state: "visible" });
    const alarmToast = ko["ATL: {0} is in ALARM{1}"].replace("{0}", "l10n-cpu-high").replace("{1}", "");
    assert.equal(await workbench.notifications().filter({ hasText: alarmToast }).count(), 0, "one toast for the alarm");
    await shot("03-alarm");
  });

  void it("diagnoses in Korean: the plan, risk badges and buttons, then findings after Run selected", async () => {
    const row = workbench.treeRow("l10n-cpu-high", nlsKo["view.alarms"]);
    await row.hover();
    // Its triage's thread (the plan that waits) opens.
    await row.locator(`.action-label[aria-label^="${nlsKo["command.diagnoseAlarm"]}"]`).click();
    const proposal = chat().locator("section.proposal.interactive");
    await proposal.waitFor({ state: "visible", timeout: 180_000 });
    const badges = await chat().locator("section.proposal .badge.risk").allTextContents();
    assert.ok(badges.length > 0, "risk badges shown");
    for (const badge of badges) {
      assert.ok([ko["read-only"], ko.mutating, ko.refused].includes(badge), `risk badge ${badge}`);
    }
    assert.equal((await chat().locator('[data-action="run-selected"]').innerText()).trim(), ko["Run selected"]);
    // The runbook's plan follows the display language (atl.report.language: auto).
    assert.match(await proposal.innerText(), hangul);
    assert.deepEqual(await executed(), [], "nothing ran before the approval");
    await shot("04-proposal");

    await chat().locator('[data-action="run-selected"]').click();
    const analysis = chat().locator(".analysis");
    await analysis.waitFor({ state: "visible", timeout: 300_000 });
    assert.ok((await executed()).length > 0, "the agent ran the approved commands");
    assert.match(await analysis.locator(".summary").innerText(), hangul, "the summary is in Korean");
    await chat().locator('[data-action="open-report"]', { hasText: ko["Open report"] }).waitFor();
    await analysis.scrollIntoViewIfNeeded();
    await shot("05-findings");
  });

  void it("answers a palette command in Korean: SQS 연결 테스트 reports the queue", async () => {
    await closeEditors();
    await workbench.runCommand(koreanTitle("atl.testSqsConnection"));
    // "{0}({1})에 연결했습니다: 대기 중인 메시지 {2}개, 처리 중 {3}개. 모드: {4}."
    const template = ko["Connected to {0} ({1}): {2} message(s) waiting, {3} in flight. Mode: {4}."];
    const pattern = new RegExp(template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\d\}/g, ".+?"));
    const toast = workbench.notifications().filter({ hasText: pattern }).first();
    await toast.waitFor({ state: "visible", timeout: 120_000 });
    assert.match(await toast.innerText(), /consume/);
    await shot("06-test-connection");
  });
});
