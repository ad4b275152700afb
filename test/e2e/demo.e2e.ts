// `npm run demo -- --no-browser --port N` exactly as a newcomer runs it (build, packaged extension,
// code-server, fauxqs, the agent, the staged CPU fault and its alarm), driven in Chromium at the URL
// it prints: the README says what to click; the alarm arrives through SNS → SQS in the Alarms view
// with its plan already made by triage on arrival and one notification; its row opens the plan →
// risk badges → Run selected → the diagnosis names the CPU burner; the getting-started walkthrough opens, shows its steps and media, and its
// Test connection button reaches the emulator's queue. Then SIGINT to the npm process alone (not
// its group: `kill -INT` of the command you started) and nothing is left: no process of its tree,
// no port, no folder, no socket or folder of VS Code's in the system's /tmp.
// Screenshots: test-results/e2e/demo-*.png.
import * as assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";
import { repoRoot } from "../helpers/codeServer";
import {
  isLoopback,
  listening,
  listeningSockets,
  parseSummary,
  tmpdirsOf,
  unixSocketPaths,
  portOf,
  processTree,
  runDemo,
  stillRunning,
  type DemoRun,
  type DemoSummary,
} from "../integration/demo/demoProcess";

const SCREENSHOTS = join(repoRoot, "test-results", "e2e");
/** Build, vsce and code-server on a shared two-core machine: generous. */
const START_TIMEOUT_MS = 1_200_000;

function demoEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // The demo as a newcomer without an LLM runs it; no desktop to open a browser on.
  for (const name of ["OPENAI_API_KEY", "ATL_LLM_API_KEY", "ATL_LLM_BASE_URL", "ATL_LLM_MODEL", "DISPLAY", "WAYLAND_DISPLAY", "ATL_E2E_VSIX"]) {
    delete env[name];
  }
  return env;
}

/** A port nothing listens on now (the kernel's pick), for --port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

void describe("npm run demo (headless) in code-server + Chromium", { timeout: 2_400_000 }, () => {
  let demo: DemoRun;
  let summary: DemoSummary;
  let browser: Browser;
  let page: Page;
  let home: string;
  let port: number;

  async function shot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `demo-${name}.png`) });
  }

  /** Runs a UI step; on failure saves what the screen showed (demo-failure-NAME.png). */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      await shot(`failure-${name}`).catch(() => undefined);
      throw error;
    }
  }

  /** The alarm's row in the Alarms view (its diagnosis has a row of the same label in the Diagnoses view). */
  function alarmRow(name: string): Locator {
    return page.locator(`.part.sidebar .pane:has(.pane-header[aria-label^="Alarms"]) .monaco-list-row[aria-label^="${name}"]`).first();
  }

  function webview(): FrameLocator {
    return page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
  }

  async function palette(command: string): Promise<void> {
    const widget = page.locator(".quick-input-widget");
    await page.keyboard.press("F1");
    await widget.locator("input").waitFor({ state: "visible" });
    await widget.locator("input").fill(`>${command}`);
    const row = widget.locator(`.quick-input-list .monaco-list-row[aria-label^="${command}"]`).first();
    await row.waitFor({ state: "visible" });
    await row.click();
  }

  before(async () => {
    port = await freePort();
    demo = runDemo("npm", ["run", "demo", "--", "--no-browser", "--port", String(port)], demoEnv());
    await demo.waitFor(/^ATL demo is ready\.[\s\S]*stops everything\.$/m, START_TIMEOUT_MS);
    summary = parseSummary(demo.output());
    home = mkdtempSync(join(tmpdir(), "atl-demo-browser-"));
    browser = await chromium.launch({
      executablePath: process.env.ATL_CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_CACHE_HOME: join(home, ".cache") },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
      timeout: 120_000,
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(120_000);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await demo?.stop();
    if (home) {
      rmSync(home, { recursive: true, force: true });
    }
  });

  void it("prints the editor URL on 127.0.0.1; it opens on the demo README that says what to click", () =>
    step("readme", async () => {
      assert.match(summary.editorUrl ?? "", new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?folder=`), "on the --port asked for");
      assert.match(demo.output(), /Open http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+ in a browser on this machine, then:/);
      await page.goto(summary.editorUrl!, { waitUntil: "domcontentloaded" });
      await page.locator(".monaco-workbench .part.activitybar").waitFor({ state: "visible", timeout: 180_000 });
      await page.locator(".tabs-container .tab", { hasText: "README.md" }).waitFor({ state: "visible", timeout: 180_000 });
      const readme = webview().locator("h2", { hasText: "What to click" });
      await readme.waitFor({ state: "visible", timeout: 180_000 });
      assert.match(await webview().locator("body").innerText(), new RegExp(summary.burnerName));
      await shot("01-readme");
    }));

  void it("the alarm published through SNS reaches the Alarms view with its plan already waiting, and one notification", () =>
    step("alarm", async () => {
      // The item, not its link: once an alarm is open the item's badge covers part of the icon.
      await page.locator('.activitybar .action-item:has(a[aria-label^="ATL"])').first().click();
      const row = alarmRow("demo-host-cpu-high");
      await row.waitFor({ state: "visible", timeout: 180_000 });
      await page.locator(".part.sidebar .monaco-list-row", { hasText: "demo-host" }).filter({ hasText: "agent" }).first().waitFor({ state: "visible" });
      // Triage on arrival: no click made the plan; with no approval rule it waits.
      await row.filter({ hasText: "plan waits for approval" }).waitFor({ state: "visible", timeout: 300_000 });
      await shot("02-alarm");
      // The toast hides after a while (the machine may be slow to get here): the notification
      // centre keeps it, with its button. One per alarm: the triage's, not a second "in ALARM" one.
      await palette("Notifications: Show Notifications");
      const notification = page.locator(".notifications-center .notification-list-item", { hasText: "demo-host-cpu-high" });
      await notification.filter({ hasText: "plan ready" }).first().waitFor({ state: "visible", timeout: 60_000 });
      assert.ok(await notification.first().getByRole("button", { name: "Review" }).isVisible(), "the notification offers Review");
      assert.equal(await notification.count(), 1, "one notification for the alarm");
      await shot("02-notification");
      await palette("Notifications: Hide Notifications");
      await page.locator(".notifications-center").waitFor({ state: "hidden" });
    }));

  void it("the alarm's row opens the plan that waits → risk badges → Run selected → the diagnosis names the CPU burner", () =>
    step("diagnose", async () => {
      // The chat panel is then the only webview.
      await palette("View: Close All Editors");
      await page.locator("iframe.webview").first().waitFor({ state: "detached", timeout: 60_000 }).catch(() => undefined);
      const row = alarmRow("demo-host-cpu-high");
      await row.click();
      const proposal = webview().locator("section.proposal.interactive");
      await proposal.waitFor({ state: "visible", timeout: 180_000 });
      await webview().locator(".alarm-name", { hasText: "demo-host-cpu-high" }).waitFor();
      const badges = await webview().locator("section.proposal .badge.risk").allTextContents();
      assert.ok(badges.length > 0 && badges.every((b) => ["read-only", "mutating", "refused"].includes(b)), `risk badges: ${badges.join(", ")}`);
      await shot("03-proposal");

      await webview().locator('[data-action="run-selected"]').click();
      const summaryText = webview().locator(".analysis .summary");
      await summaryText.waitFor({ state: "visible", timeout: 300_000 });
      await webview().locator('[data-status="done"]').waitFor({ timeout: 120_000 });
      const text = await summaryText.innerText();
      assert.match(text, new RegExp(`${summary.burnerName} \\(pid ${summary.burnerPid}\\)`), `the summary names the staged fault: ${text}`);
      await webview().locator(".analysis").scrollIntoViewIfNeeded();
      await shot("04-diagnosis");
    }));

  void it("the getting-started walkthrough shows its steps and media; Test connection reaches the demo queue", () =>
    step("walkthrough", async () => {
      // One webview at a time: the walkthrough's media is one too.
      await palette("View: Close All Editors");
      await page.locator("iframe.webview").first().waitFor({ state: "detached", timeout: 60_000 }).catch(() => undefined);
      await palette("Welcome: Open Walkthrough...");
      const pick = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: "Get started with ATL" }).first();
      await pick.waitFor({ state: "visible" });
      await pick.click();
      const container = page.locator(".gettingStartedContainer");
      for (const title of ["Connect your alarm queue (SQS)", "Add a host", "Optional: a language model", "Diagnose"]) {
        await container.locator(".getting-started-step", { hasText: title }).first().waitFor({ state: "visible" });
      }
      await container.locator(".getting-started-step", { hasText: "Connect your alarm queue (SQS)" }).first().click();
      await webview().locator("h1", { hasText: "Alarms reach ATL through SQS" }).waitFor({ state: "visible", timeout: 120_000 });
      await shot("05-walkthrough");

      await container.getByRole("button", { name: "Test connection" }).first().click();
      const connected = page.locator(".notifications-toasts .notification-toast", { hasText: "Connected to atl-demo-alarms" });
      await connected.waitFor({ state: "visible", timeout: 120_000 });
      await shot("06-walkthrough-test-connection");
    }));

  void it("SIGINT to the npm process alone stops everything: no process, port, folder or /tmp socket is left", async () => {
    await browser.close();
    const known = processTree(demo.child.pid!);
    assert.ok(known.some((p) => p.pid === summary.burnerPid), "the fault is part of the demo's process tree");
    assert.ok(known.some((p) => p.pid === summary.agentPid), "so is the agent");
    assert.ok(known.length >= 6, `npm, the demo, the agent, the fault, code-server and its helpers: ${known.map((p) => p.comm).join(", ")}`);
    const ports = [portOf(summary.editorUrl!), portOf(summary.emulatorEndpoint), portOf(summary.agentUrl)];
    for (const port of ports) {
      assert.ok(await listening(port), `port ${port} is open while the demo runs`);
    }
    const sockets = listeningSockets(processTree(demo.child.pid!));
    assert.deepEqual(ports.filter((port) => !sockets.some((s) => s.port === port)), [], JSON.stringify(sockets));
    assert.deepEqual(sockets.filter((s) => !isLoopback(s.address)), [], "nothing of the demo listens beyond 127.0.0.1");

    // VS Code's IPC sockets and the TypeScript server's folder go to TMPDIR: the demo's own folder.
    const tree = processTree(demo.child.pid!);
    const unix = unixSocketPaths(tree);
    const inDemoFolders = (path: string): boolean => summary.folders.some((folder) => path.startsWith(`${folder}/`));
    assert.deepEqual(unix.filter((path) => !inDemoFolders(path)), [], `Unix sockets outside the demo's folders: ${unix.join(", ")}`);
    assert.ok(unix.some((path) => /vscode-ipc-.*\.sock$/.test(path)), `code-server's IPC sockets are among them: ${unix.join(", ")}`);
    const tmpdirs = new Set(tmpdirsOf(tree));
    assert.ok([...tmpdirs].some(inDemoFolders), `code-server runs with a TMPDIR of the demo's: ${[...tmpdirs].join(", ")}`);

    // The command's own process: npm passes SIGINT on to the demo, which stops everything.
    process.kill(demo.child.pid!, "SIGINT");
    const exit = await demo.exited;
    // npm ends itself with the signal it forwarded (a shell shows ^C); the demo under it exits 0
    // after its last line, which it prints only when every part stopped.
    assert.ok(exit.code === 0 || exit.signal === "SIGINT", `npm exited with ${exit.code ?? exit.signal}:\n${demo.output().slice(-3000)}`);
    assert.match(demo.output(), /SIGINT: stopping the demo…[\s\S]*Stopped: no process, port or file of the demo is left\./);
    assert.deepEqual(stillRunning(known), [], "every process of the demo's tree ended (the CPU burner included)");
    for (const port of ports) {
      assert.equal(await listening(port), false, `port ${port} is closed`);
    }
    assert.ok(summary.folders.length >= 3, summary.folders.join(", "));
    for (const folder of summary.folders) {
      assert.equal(existsSync(folder), false, `${folder} is gone`);
    }
    for (const path of unix) {
      assert.equal(existsSync(path), false, `${path} is gone`);
    }
  });
});
