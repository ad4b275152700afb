// An isolated code-server 4.139.1 (VS Code 1.139.1 with a real Node extension host) on 127.0.0.1,
// driven in headless Chromium through playwright-core. Used by the in-editor runner (layer 2), the
// UI tests (layer 3), the packaging test and the benchmarks. Everything it starts lives in its own
// process group and is stopped by stop()/close(), on process exit and on SIGINT/SIGTERM.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";
import { isCodeServerReady, setup, toolPaths } from "../../scripts/lib/setup";

import { repoRoot } from "./process";

export { repoRoot };

/** Where the setup (scripts/lib/setup.ts) installs the tools; it owns the versions. */
const paths = toolPaths;

/** Settings that keep VS Code quiet and offline, so tests see only what ATL shows. */
export const quietUserSettings: Readonly<Record<string, unknown>> = {
  "chat.disableAIFeatures": true,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "window.restoreWindows": "none",
  // An empty chat side bar otherwise takes a third of every screenshot.
  "workbench.secondarySideBar.defaultVisibility": "hidden",
};

export interface CodeServerOptions {
  /** A short name for temp folders and logs. */
  label?: string;
  /** Folder opened as the workspace; a new empty folder when omitted. */
  workspace?: string;
  /** User settings, merged over {@link quietUserSettings}. */
  userSettings?: Record<string, unknown>;
  /** VSIX files installed (`--install-extension`) into the isolated extensions folder before start. */
  vsix?: string[];
  /**
   * The smoke-test driver: needed for the extensionDevelopmentPath/extensionTestsPath payload
   * (in-editor tests); it also suppresses notification toasts, so UI tests run without it.
   */
  smokeTestDriver?: boolean;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** How long to wait for the server to listen. */
  startTimeoutMs?: number;
  /** Port on 127.0.0.1; default 0 (the kernel picks a free one). `npm run demo -- --port N`. */
  port?: number;
  /** Extra code-server flags, e.g. `--enable-proposed-api EXT_ID` for a test extension. */
  args?: string[];
  /**
   * Unpacked extensions (folders named `publisher.name-version`) copied into the extensions folder
   * before start: a test extension beside the one under development (the payload takes only one).
   */
  extensionFolders?: string[];
}

export interface CodeServerDirs {
  /** Temp folder that holds everything below (removed on stop unless ATL_KEEP_TEST_DIRS=1). */
  readonly root: string;
  readonly home: string;
  readonly userData: string;
  readonly extensions: string;
  readonly workspace: string;
  /** TMPDIR of the server, its extension host and Chromium. */
  readonly tmp: string;
}

export interface WorkbenchPayload {
  /** Load the extension in this folder, like F5 in VS Code (smoke-test driver only). */
  extensionDevelopmentPath?: string;
  /** A CommonJS module exporting `run(): Promise<void>`, run inside the extension host. */
  extensionTestsPath?: string;
}

const live = new Set<number>();
const tags = new Set<string>();
let exitHooksInstalled = false;

/** Kills every process group and tagged process this module started. Synchronous: safe in `exit`. */
function killEverything(): void {
  for (const pid of live) {
    killGroup(pid, "SIGKILL");
  }
  live.clear();
  for (const tag of tags) {
    sweepTagged(tag);
    // The tag is the run's temp folder.
    if (process.env.ATL_KEEP_TEST_DIRS !== "1") {
      rmSync(tag, { recursive: true, force: true });
    }
  }
  tags.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  process.on("exit", killEverything);
  const codes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
  for (const [signal, code] of Object.entries(codes)) {
    // exit() rather than re-raising the signal: `exit` handlers (here and in runners) still run.
    process.once(signal, () => process.exit(code));
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * VS Code starts some helpers (extension host, pty host) in ways that may leave the process group;
 * every process started here carries ATL_TEST_TAG in its environment, so a sweep finds them all.
 */
function sweepTagged(tag: string): void {
  const needle = Buffer.from(`ATL_TEST_TAG=${tag}\0`);
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) {
      continue;
    }
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(needle)) {
        process.kill(pid, "SIGKILL");
      }
    } catch {
      // Gone already, or not ours to read.
    }
  }
}

/**
 * Installs what is missing for code-server (the setup checks versions; a new CI machine gets
 * everything). With `always: false` it runs only when a stamp is plainly missing.
 */
export async function ensureCodeServerInstalled({ always = false }: { always?: boolean } = {}): Promise<void> {
  if (!always && isCodeServerReady()) {
    return;
  }
  await setup({ codeServer: true, say: (message) => process.stderr.write(`setup: ${message}\n`) });
}

function isolatedEnv(dirs: CodeServerDirs, tag: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Variables of an enclosing VS Code or Electron would redirect the server or its extension host;
    // AWS credentials of the machine must not reach tests.
    if (!/^(VSCODE_|AWS_|ELECTRON_RUN_AS_NODE$|NODE_OPTIONS$)/.test(key)) {
      env[key] = value;
    }
  }
  return {
    ...env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: join(dirs.home, ".config"),
    XDG_DATA_HOME: join(dirs.home, ".local", "share"),
    XDG_CACHE_HOME: join(dirs.home, ".cache"),
    XDG_STATE_HOME: join(dirs.home, ".local", "state"),
    // VS Code puts its IPC sockets (vscode-ipc-*.sock) and the TypeScript server's folder
    // (vscode-typescript<uid>) in the temp folder: this one goes with the run, /tmp stays clean.
    TMPDIR: dirs.tmp,
    PATH: `${join(paths.node24Home, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    // No AWS credentials from the machine, and no instance-metadata lookups off the loopback.
    AWS_EC2_METADATA_DISABLED: "true",
    ATL_TEST_TAG: tag,
    ...extra,
  };
}

export class CodeServer {
  private exited = false;
  private output = "";

  private constructor(
    readonly dirs: CodeServerDirs,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly tag: string,
    readonly smokeTestDriver: boolean,
  ) {
    child.on("exit", () => {
      this.exited = true;
      live.delete(child.pid ?? -1);
    });
  }

  /** Starts code-server; resolves once it listens and answers /healthz. */
  static async start(options: CodeServerOptions = {}): Promise<CodeServer> {
    await ensureCodeServerInstalled();
    installExitHooks();
    const label = (options.label ?? "cs").replace(/[^A-Za-z0-9_-]/g, "-");
    const root = mkdtempSync(join(tmpdir(), `atl-${label}-`));
    const dirs: CodeServerDirs = {
      root,
      home: join(root, "home"),
      userData: join(root, "user-data"),
      extensions: join(root, "extensions"),
      workspace: options.workspace ?? join(root, "workspace"),
      tmp: join(root, "tmp"),
    };
    for (const dir of [dirs.home, join(dirs.userData, "User"), dirs.extensions, dirs.workspace, dirs.tmp]) {
      mkdirSync(dir, { recursive: true });
    }
    writeFileSync(
      join(dirs.userData, "User", "settings.json"),
      JSON.stringify({ ...quietUserSettings, ...options.userSettings }, null, 2),
    );
    const config = join(root, "config.yaml");
    // Port 0: the kernel picks a free port and the server prints it, so parallel runs never collide.
    writeFileSync(config, `bind-addr: 127.0.0.1:${options.port ?? 0}\nauth: none\ncert: false\n`);
    tags.add(root);
    const env = isolatedEnv(dirs, root, options.env);
    const common = ["--config", config, "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions];
    for (const vsix of options.vsix ?? []) {
      installVsix(vsix, common, env);
    }
    for (const folder of options.extensionFolders ?? []) {
      cpSync(folder, join(dirs.extensions, basename(folder)), { recursive: true });
    }
    const args = [
      paths.codeServerEntry,
      ...common,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      "--reconnection-grace-time",
      "10",
      ...(options.smokeTestDriver ? ["--vscode-option", "enable-smoke-test-driver"] : []),
      ...(options.args ?? []),
    ];
    // detached: its own process group (setsid), stopped as a whole.
    const child = spawn(paths.node24, args, { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) {
      live.add(child.pid);
    }
    let output = "";
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolvePort(Number(match[1]));
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output}`));
      });
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    }).catch((error: unknown) => {
      killGroup(child.pid ?? 0, "SIGKILL");
      sweepTagged(root);
      throw error;
    });
    const server = new CodeServer(dirs, port, child, root, options.smokeTestDriver ?? false);
    server.output = output;
    const keep = (chunk: Buffer): void => {
      server.output = (server.output + chunk.toString()).slice(-200_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    await server.waitForHealth();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** What code-server printed so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** The address that opens the workspace, with an optional in-editor test payload. */
  workbenchUrl(payload: WorkbenchPayload = {}): string {
    const url = new URL(this.url);
    url.searchParams.set("folder", this.dirs.workspace);
    const entries: [string, string][] = [];
    const remote = (path: string): string => `vscode-remote://127.0.0.1:${this.port}${resolve(path)}`;
    if (payload.extensionDevelopmentPath) {
      entries.push(["extensionDevelopmentPath", remote(payload.extensionDevelopmentPath)]);
    }
    if (payload.extensionTestsPath) {
      entries.push(["extensionTestsPath", remote(payload.extensionTestsPath)]);
    }
    if (entries.length > 0) {
      if (!this.smokeTestDriver) {
        throw new Error("A development/test payload needs a server started with smokeTestDriver: true (it is ignored otherwise).");
      }
      entries.push(["skipWelcome", "true"]);
      url.searchParams.set("payload", JSON.stringify(entries));
    }
    return url.toString();
  }

  private async waitForHealth(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(new URL("healthz", this.url));
        if (response.ok) {
          return;
        }
      } catch {
        // Not answering yet.
      }
      if (this.exited || Date.now() > deadline) {
        throw new Error(`code-server did not answer /healthz:\n${this.output}`);
      }
      await sleep(250);
    }
  }

  /** Extensions installed in the isolated extensions folder, as `publisher.name@version`. */
  installedExtensions(): string[] {
    const manifestFile = join(this.dirs.extensions, "extensions.json");
    if (!existsSync(manifestFile)) {
      return [];
    }
    const installed = JSON.parse(readFileSync(manifestFile, "utf8")) as { identifier: { id: string }; version: string }[];
    return installed.map((e) => `${e.identifier.id}@${e.version}`);
  }

  /** Every server-side log file (extension host, output channels), newest session only. */
  logFiles(): { path: string; contents: string }[] {
    const logsRoot = join(this.dirs.userData, "logs");
    if (!existsSync(logsRoot)) {
      return [];
    }
    const files: { path: string; contents: string }[] = [];
    for (const entry of readdirSync(logsRoot, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".log")) {
        const path = join(entry.parentPath, entry.name);
        files.push({ path, contents: readFileSync(path, "utf8") });
      }
    }
    return files;
  }

  /** The extension host's log (activation events, activation errors). */
  extensionHostLog(): string {
    return this.logFiles()
      .filter((f) => /exthost\d*[\\/]remoteexthost\.log$/.test(f.path))
      .map((f) => f.contents)
      .join("\n");
  }

  /** Lines of the "ATL" log output channel, when the extension created it. */
  atlLog(): string {
    return this.logFiles()
      .filter((f) => /[\\/](\d+-)?ATL\.log$/.test(f.path))
      .map((f) => f.contents)
      .join("\n");
  }

  /**
   * ATL's own activation time, from its `ATL activated in N ms` log line; undefined until the
   * extension logs it. (Benchmarks: "activation time inside code-server".)
   */
  atlActivationMs(): number | undefined {
    const matches = [...this.atlLog().matchAll(/ATL activated in (\d+(?:\.\d+)?) ?ms/g)];
    const last = matches.at(-1);
    return last ? Number(last[1]) : undefined;
  }

  /** Waits (polling the log) for ATL's activation time; undefined if it is not logged in time. */
  async waitForAtlActivationMs(timeoutMs = 30_000): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ms = this.atlActivationMs();
      if (ms !== undefined || Date.now() > deadline) {
        return ms;
      }
      await sleep(250);
    }
  }

  /** Stops the server, its extension host and every helper; removes the temp folder. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && !this.exited) {
      killGroup(pid, "SIGTERM");
      const deadline = Date.now() + 10_000;
      while (!this.exited && Date.now() < deadline) {
        await sleep(100);
      }
      killGroup(pid, "SIGKILL");
      live.delete(pid);
    }
    sweepTagged(this.tag);
    tags.delete(this.tag);
    if (process.env.ATL_KEEP_TEST_DIRS === "1") {
      process.stderr.write(`code-server test folder kept: ${this.dirs.root}\n`);
    } else {
      rmSync(this.dirs.root, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}

function installVsix(vsix: string, common: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(paths.node24, [paths.codeServerEntry, ...common, "--install-extension", resolve(vsix)], {
    env,
    encoding: "utf8",
    timeout: 180_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(`code-server --install-extension ${vsix} failed (${result.status ?? result.signal}):\n${output}`);
  }
}

export interface WorkbenchOptions {
  payload?: WorkbenchPayload;
  /** Receives the workbench log (with the smoke-test driver: the extension tests' output too). */
  onLog?: (level: string, message: string) => void;
  /** Folder under test-results/ for screenshots. */
  screenshots?: string;
  viewport?: { width: number; height: number };
}

/** A Chromium tab with the VS Code workbench of one code-server. */
export class Workbench {
  /** Resolves with the extension host's exit code (in-editor tests: 0 when all passed). */
  readonly exitCode: Promise<number>;
  private closed = false;

  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly page: Page,
    exitCode: Promise<number>,
    private readonly screenshotDir: string,
  ) {
    this.exitCode = exitCode;
  }

  /** Opens the workbench in headless Chromium (isolated profile) and waits until it is usable. */
  static async open(server: CodeServer, options: WorkbenchOptions = {}): Promise<Workbench> {
    const env = isolatedEnv(server.dirs, server.dirs.root);
    const browser = await chromium.launch({
      executablePath: paths.chromium,
      headless: true,
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
      ],
      timeout: 120_000,
    });
    try {
      const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
      page.setDefaultTimeout(60_000);
      let reportExit: (code: number) => void = () => undefined;
      const exitCode = new Promise<number>((r) => {
        reportExit = r;
      });
      await page.exposeFunction("codeAutomationLog", (level: unknown, message: unknown) => {
        options.onLog?.(String(level), String(message));
      });
      await page.exposeFunction("codeAutomationExit", (code: unknown) => {
        reportExit(typeof code === "number" ? code : 1);
      });
      const screenshotDir = join(repoRoot, "test-results", options.screenshots ?? "e2e");
      const workbench = new Workbench(server, browser, page, exitCode, screenshotDir);
      await page.goto(server.workbenchUrl(options.payload ?? {}), { waitUntil: "domcontentloaded", timeout: 120_000 });
      await workbench.waitForWorkbench();
      return workbench;
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  /** The workbench is laid out: activity bar, side bar area and editor area are there. */
  async waitForWorkbench(timeoutMs = 180_000): Promise<void> {
    await this.page.locator(".monaco-workbench .part.activitybar").waitFor({ state: "visible", timeout: timeoutMs });
    await this.page.locator(".monaco-workbench .part.editor").waitFor({ state: "visible", timeout: timeoutMs });
  }

  /**
   * Runs a command from the palette by its full title, e.g. "ATL: Show log"; resolves once the
   * palette accepted it (closed), not when the command finished.
   */
  async runCommand(title: string): Promise<void> {
    await this.openPalette();
    const widget = this.page.locator(".quick-input-widget");
    await widget.locator("input").fill(`>${title}`);
    const row = widget.locator(`.quick-input-list .monaco-list-row[aria-label^="${cssString(title)}"]`).first();
    await row.waitFor({ state: "visible" });
    await row.click();
    try {
      await widget.waitFor({ state: "hidden", timeout: 10_000 });
    } catch {
      // The list was re-rendering under the click and it missed: click the row again.
      await row.click();
      await widget.waitFor({ state: "hidden" });
    }
  }

  /** Polls `read` until it returns `expected` (UI state that settles asynchronously). */
  async waitForValue<T>(read: () => Promise<T>, expected: T, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await read().catch(() => undefined);
      if (last === expected) {
        return;
      }
      await sleep(250);
    }
    throw new Error(`expected ${JSON.stringify(expected)}, still ${JSON.stringify(last)} after ${timeoutMs} ms`);
  }

  /** The channel the Output panel shows (its "Switch Output" picker). */
  async outputChannel(): Promise<string> {
    return this.page.locator('.part.panel select.monaco-select-box[aria-label="Switch Output"]').first().inputValue({ timeout: 5_000 });
  }

  /** Opens the command palette (F1), retrying once if focus was elsewhere. */
  async openPalette(): Promise<void> {
    const widget = this.page.locator(".quick-input-widget");
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.keyboard.press("F1");
      try {
        await widget.locator("input").waitFor({ state: "visible", timeout: 10_000 });
        return;
      } catch {
        await this.page.locator(".monaco-workbench").click({ position: { x: 5, y: 5 } });
      }
    }
    await widget.locator("input").waitFor({ state: "visible" });
  }

  /** The activity bar entry of a view container, by its title. */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.activitybar .action-item a[aria-label^="${cssString(title)}"]`).first();
  }

  /** Shows the ATL view container in the side bar. */
  async openAtlContainer(): Promise<void> {
    const item = this.activityBarItem("ATL");
    await item.waitFor({ state: "visible", timeout: 120_000 });
    const sidebarTitle = this.page.locator(".part.sidebar .composite.title h2", { hasText: "ATL" });
    if (!(await sidebarTitle.isVisible())) {
      await item.click();
    }
    await sidebarTitle.waitFor({ state: "visible" });
  }

  /** The header of a view in the side bar (e.g. "Alarms"), to expand or check it. */
  viewPane(title: string): Locator {
    return this.page.locator(".part.sidebar .pane", {
      has: this.page.locator(`.pane-header[aria-label^="${cssString(title)}"]`),
    });
  }

  /**
   * A tree row by the start of its label (tree labels end with a space: pass the whole label); in
   * one view when `view` names it (an alarm's row and its diagnosis's row share the label).
   */
  treeRow(label: string, view?: string): Locator {
    const selector = `.monaco-list-row[aria-label^="${cssString(label)}"]`;
    return (view ? this.viewPane(view).locator(selector) : this.page.locator(selector)).first();
  }

  /** The content of the active webview (the chat panel). */
  webview(): FrameLocator {
    return this.page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
  }

  /** Notification toasts currently shown (their text). */
  notifications(): Locator {
    return this.page.locator(".notifications-toasts .notification-toast");
  }

  /** Saves a screenshot under test-results/<folder>/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(this.screenshotDir, { recursive: true });
    const file = join(this.screenshotDir, `${name.replace(/[^A-Za-z0-9_.-]/g, "-")}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.browser.close().catch(() => undefined);
  }
}

/** Starts a server and opens it; `stop()` closes both, in order, even after a failure. */
export async function startWorkbench(
  serverOptions: CodeServerOptions,
  workbenchOptions: WorkbenchOptions = {},
): Promise<{ server: CodeServer; workbench: Workbench; stop: () => Promise<void> }> {
  const server = await CodeServer.start(serverOptions);
  let workbench: Workbench;
  try {
    workbench = await Workbench.open(server, workbenchOptions);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    server,
    workbench,
    stop: async () => {
      await workbench.close();
      await server.stop();
    },
  };
}

/** Escapes text for a double-quoted CSS attribute selector. */
function cssString(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
