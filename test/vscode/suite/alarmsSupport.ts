// Shared by the ATL in-editor suites (bundled into each suite): the extension's test API, the sample
// alarm bodies, and waiting for something the UI does asynchronously (no fixed sleeps).
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";

export const EXTENSION_ID = "atl-team.atl";

export async function atlApi(): Promise<AtlApi> {
  const extension = vscode.extensions.getExtension<AtlApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  const api = await extension.activate();
  assert.ok(api?.services, "activate() returned no test API");
  return api;
}

export function extensionPath(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  return extension.extensionPath;
}

/** A sample SQS message body from test/unit/alarms/samples (copied from shared/samples/alarms). */
export function sampleBody(name: string): string {
  return readFileSync(join(extensionPath(), "test", "unit", "alarms", "samples", name), "utf8");
}

/** Waits until `check` returns a value (not undefined/false) or throws its last assertion error. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) {
        return value;
      }
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      if (lastError) {
        throw lastError instanceof Error ? lastError : new Error(`${what}: ${JSON.stringify(lastError)}`);
      }
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Writes `atl.*` user settings and waits until the extension has read them. */
export async function setSettings(api: AtlApi, values: Record<string, unknown>): Promise<void> {
  const config = vscode.workspace.getConfiguration("atl");
  for (const [key, value] of Object.entries(values)) {
    await config.update(key, value, vscode.ConfigurationTarget.Global);
  }
  await eventually(() => {
    const fresh = vscode.workspace.getConfiguration("atl");
    return Object.entries(values).every(([key, value]) => JSON.stringify(fresh.get(key)) === JSON.stringify(value ?? fresh.inspect(key)?.defaultValue));
  });
  // The settings reader runs on the same configuration event; give it one turn.
  await new Promise((resolve) => setTimeout(resolve, 50));
  void api;
}

/** Empties the alarm store (incidents and unparsed entries) between tests. */
export async function clearStore(api: AtlApi): Promise<void> {
  const store = api.services.store;
  const ids = [...store.listIncidents({ status: "all" }).map((i) => i.id), ...store.listUnparsed().map((u) => u.id)];
  if (ids.length > 0) {
    await store.remove(ids);
  }
}
