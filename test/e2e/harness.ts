// Layer 3 harness: what a person sees. Each test file gets a fresh code-server (no smoke-test
// driver, so notifications show) with the packaged ATL VSIX installed, opened in headless Chromium;
// screenshots go to test-results/e2e/. Everything stops after the file's tests, pass or fail.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningAgent } from "../helpers/agent";
import { CodeServer, repoRoot, startWorkbench, type CodeServerOptions, type Workbench } from "../helpers/codeServer";
import type { AlarmRoute, Fauxqs } from "../helpers/fauxqs";

export const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  publisher: string;
  version: string;
  contributes: { commands: { command: string; title: string }[] };
};
export const nls = JSON.parse(readFileSync(join(repoRoot, "package.nls.json"), "utf8")) as Record<string, string>;
export const extensionId = `${manifest.publisher}.${manifest.name}`;

/** A title from package.json with its %key% placeholder resolved from package.nls.json. */
export function localized(text: string): string {
  const key = /^%(.+)%$/.exec(text)?.[1];
  return key ? (nls[key] ?? text) : text;
}

/** The palette title of a command, e.g. "ATL: Show log". */
export function commandTitle(id: string): string {
  const command = manifest.contributes.commands.find((c) => c.command === id);
  if (!command) {
    throw new Error(`${id} is not contributed in package.json`);
  }
  return `ATL: ${localized(command.title)}`;
}

let packaged: string | undefined;

/**
 * The VSIX under test. scripts/e2e.mjs runs `npm run package` once and passes it in ATL_E2E_VSIX;
 * a test file run on its own packages here. Copied so a concurrent packaging cannot change it.
 */
export function vsixUnderTest(): string {
  if (packaged) {
    return packaged;
  }
  let source = process.env.ATL_E2E_VSIX;
  if (!source) {
    source = packageVsix();
  }
  if (!existsSync(source)) {
    throw new Error(`VSIX not found: ${source}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "atl-vsix-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, `${extensionId}-${manifest.version}.vsix`);
  copyFileSync(source, copy);
  packaged = copy;
  return copy;
}

/** Runs `npm run package` (production build + vsce) and returns the VSIX it wrote. */
export function packageVsix(): string {
  const result = spawnSync("npm", ["run", "package"], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) {
    throw new Error(`npm run package failed (${result.status ?? result.signal}):\n${output}`);
  }
  const vsix = join(repoRoot, "dist-vsix", `${manifest.name}-${manifest.version}.vsix`);
  if (!existsSync(vsix)) {
    throw new Error(`npm run package did not write ${vsix}:\n${output}`);
  }
  return vsix;
}

export interface AtlSession {
  server: CodeServer;
  workbench: Workbench;
  /**
   * Messages of the browser dialogs (alert, confirm) any frame opened, each dismissed: VS Code opens
   * none of its own, so one here is a script that ran (e.g. from a hostile alarm's text).
   */
  dialogs: string[];
  /** Closes the browser and stops the server, after a last screenshot (`<label>-last.png`). */
  stop(): Promise<void>;
}

/** Starts code-server with the VSIX under test installed and opens it in Chromium. */
export async function openAtl(label: string, options: Omit<CodeServerOptions, "label" | "vsix"> = {}): Promise<AtlSession> {
  const { server, workbench, stop } = await startWorkbench({ ...options, label, vsix: [vsixUnderTest()] }, { screenshots: "e2e" });
  const dialogs: string[] = [];
  workbench.page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return {
    server,
    workbench,
    dialogs,
    stop: async () => {
      await workbench.screenshot(`${label}-last`).catch(() => undefined);
      await stop();
    },
  };
}

/**
 * The environment and user settings of a session that polls `route`'s queue on the emulator (the
 * emulator's test credentials, short long-polls), with `settings` on top.
 */
export function pollingOptions(emulator: Fauxqs, route: AlarmRoute, settings: Record<string, unknown> = {}): Pick<CodeServerOptions, "env" | "userSettings"> {
  return {
    env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    userSettings: {
      "atl.sqs.queueUrl": route.queueUrl,
      "atl.sqs.endpoint": emulator.endpoint,
      "atl.sqs.region": "ap-northeast-2",
      "atl.sqs.waitTimeSeconds": 2,
      "atl.sqs.visibilityTimeoutSeconds": 10,
      ...settings,
    },
  };
}

/** An `atl.hosts` entry for a host served by the running agent. */
export function agentHost(agent: RunningAgent, id: string, aliases: string[] = []): Record<string, unknown> {
  return { id, name: id, aliases, transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile };
}

export async function waitForActivation(server: CodeServer, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = server.extensionHostLog();
    const failed = new RegExp(`Activating extension '?${extensionId.replace(".", "\\.")}'? failed[^\\n]*`, "i").exec(log);
    if (failed) {
      throw new Error(`ATL failed to activate: ${failed[0]}`);
    }
    const activated = new RegExp(`_doActivateExtension ${extensionId.replace(".", "\\.")}[^\\n]*`).exec(log);
    if (activated) {
      return activated[0];
    }
    if (Date.now() > deadline) {
      throw new Error(`ATL was not activated within ${timeoutMs} ms. Extension host log:\n${log.split("\n").slice(-30).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
