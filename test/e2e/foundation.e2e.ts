// What a person sees on first use: the packaged ATL in a fresh VS Code (code-server, nothing
// configured). The ATL container is in the activity bar, its views show the setup welcome with
// buttons, ATL activates when its view opens, and ATL commands run from the palette.
// Screenshots of each state: test-results/e2e/foundation-*.png.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { commandTitle, manifest, nls, openAtl, waitForActivation, type AtlSession } from "./harness";

/** The button labels of a welcome text: lines that are only a `[label](command:…)` link. */
function welcomeButtons(text: string): string[] {
  return text
    .split("\n")
    .map((line) => /^\[([^\]]+)\]\(command:[^)]+\)$/.exec(line.trim())?.[1])
    .filter((label): label is string => label !== undefined);
}

/** The first sentence of a welcome text, as shown. */
function welcomeIntro(text: string): string {
  return text.split("\n")[0].replace(/\[([^\]]+)\]\([^)]+\)/g, "$1");
}

void describe("ATL on first use (code-server, fresh profile, nothing configured)", { timeout: 600_000 }, () => {
  let session: AtlSession;

  before(async () => {
    session = await openAtl("foundation");
  });

  after(async () => {
    await session?.stop();
  });

  void it("has the ATL container in the activity bar", async () => {
    const { workbench } = session;
    await workbench.activityBarItem("ATL").waitFor({ state: "visible", timeout: 120_000 });
    await workbench.screenshot("foundation-01-workbench");
  });

  void it("opens the ATL container with the Alarms, Hosts and Diagnoses views", async () => {
    const { workbench } = session;
    await workbench.openAtlContainer();
    for (const key of ["view.alarms", "view.hosts", "view.diagnoses"]) {
      await workbench.viewPane(nls[key]).waitFor({ state: "visible" });
    }
    await workbench.screenshot("foundation-02-atl-container");
  });

  void it("shows the setup welcome view with its buttons before anything is configured", async () => {
    const { workbench } = session;
    const alarms = workbench.viewPane(nls["view.alarms"]);
    const welcome = alarms.locator(".welcome-view-content");
    await welcome.waitFor({ state: "visible" });
    const text = await welcome.innerText();
    assert.ok(text.includes(welcomeIntro(nls["welcome.alarms"])), `welcome text: ${text}`);
    const expected = welcomeButtons(nls["welcome.alarms"]);
    assert.ok(expected.length >= 3, "the Alarms welcome has setup buttons");
    for (const label of expected) {
      await welcome.locator(".monaco-button", { hasText: label }).first().waitFor({ state: "visible" });
    }
    const hostsWelcome = workbench.viewPane(nls["view.hosts"]).locator(".welcome-view-content");
    for (const label of welcomeButtons(nls["welcome.hosts"])) {
      await hostsWelcome.locator(".monaco-button", { hasText: label }).first().waitFor({ state: "visible" });
    }
    await workbench.screenshot("foundation-03-welcome");
  });

  void it("activates ATL once the workbench has started (or earlier, when its view opens)", async (t) => {
    const line = await waitForActivation(session.server);
    assert.match(line, /activationEvent: 'onStartupFinished'|activationEvent: 'onView:atl\.|activationEvent: 'onCommand:atl\./, line);
    const ms = await session.server.waitForAtlActivationMs();
    t.diagnostic(ms === undefined ? "ATL did not log its activation time" : `ATL activated in ${ms} ms inside code-server`);
  });

  void it("lists every ATL command meant for the palette under its title", async () => {
    const { workbench } = session;
    const hidden = new Set(
      ((manifest.contributes as { menus?: { commandPalette?: { command: string; when?: string }[] } }).menus?.commandPalette ?? [])
        .filter((entry) => entry.when !== undefined)
        .map((entry) => entry.command),
    );
    const shown = manifest.contributes.commands.filter((c) => !hidden.has(c.command));
    assert.ok(shown.length >= 8);
    await workbench.openPalette();
    const input = workbench.page.locator(".quick-input-widget input");
    for (const command of shown) {
      const title = commandTitle(command.command);
      await input.fill(`>${title}`);
      await workbench.page
        .locator(`.quick-input-list .monaco-list-row[aria-label^="${title.replace(/"/g, '\\"')}"]`)
        .first()
        .waitFor({ state: "visible" });
    }
    await input.fill(">ATL: ");
    await workbench.screenshot("foundation-04-palette");
    await workbench.page.keyboard.press("Escape");
  });

  void it("runs an ATL command from the palette: ATL: Show log opens the ATL output", async () => {
    const { workbench } = session;
    await workbench.runCommand(commandTitle("atl.showLog"));
    await workbench.page.locator(".part.panel").waitFor({ state: "visible" });
    await workbench.waitForValue(() => workbench.outputChannel(), "ATL");
    await workbench.screenshot("foundation-05-show-log");
  });
});
