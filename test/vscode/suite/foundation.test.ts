// Foundation, inside the real extension host: the extension activates, and package.json (the single
// source of commands, views and settings) agrees with what the running extension registers.
import * as assert from "node:assert/strict";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";

const EXTENSION_ID = "atl-team.atl";
const VIEW_CONTAINER = "atl";

interface SettingSchema {
  type?: string | string[];
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: SettingSchema;
}

interface Manifest {
  activationEvents?: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    views: Record<string, { id: string }[]>;
    viewsContainers: { activitybar: { id: string }[] };
    configuration: { properties: Record<string, SettingSchema> };
  };
}

/**
 * Written-value samples (addresses on loopback only: a poller or health check may act on them) for settings whose valid values cannot be derived from the schema alone.
 * A new setting of a simple type needs no entry here.
 */
const SAMPLES: Record<string, unknown> = {
  "atl.sqs.queueUrl": "http://127.0.0.1:9/123456789012/atl-alarms",
  "atl.sqs.region": "ap-northeast-2",
  "atl.sqs.endpoint": "http://127.0.0.1:4566",
  "atl.aws.profile": "oncall-sso",
  "atl.hosts": [
    { id: "i-0abc1234def567890", name: "web-1", transport: "agent", url: "https://127.0.0.1:9917", keyId: "web-1" },
    {
      id: "db-1",
      name: "db-1",
      transport: "ssh",
      host: "127.0.0.1",
      port: 22,
      username: "atl",
      privateKeyFile: "~/.ssh/atl",
      hostKeySha256: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    },
  ],
  "atl.llm.model": "gpt-4.1",
  "atl.llm.baseUrl": "http://127.0.0.1:8080/v1",
  "atl.llm.azure.instanceName": "atl-openai",
  "atl.llm.azure.deployment": "gpt-4-1-mini",
  "atl.llm.azure.apiVersion": "2025-01-01-preview",
  "atl.llm.prices": { "gpt-4.1": { input: 2, output: 8 } },
  "atl.llm.redactionPatterns": ["AKIA[0-9A-Z]{16}"],
  "atl.approval.autoApproveReadOnlyHosts": ["i-0abc1234def567890"],
};

/** A valid value different from the default, from the sample table or the schema. */
function sampleFor(key: string, schema: SettingSchema): unknown {
  if (key in SAMPLES) {
    return SAMPLES[key];
  }
  if (schema.enum) {
    const other = schema.enum.find((v) => v !== schema.default);
    assert.ok(other !== undefined, `${key}: an enum with one value cannot be changed`);
    return other;
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "boolean":
      return !schema.default;
    case "integer":
    case "number": {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? min + 100;
      return schema.default === max ? min : max;
    }
    case "string":
      assert.ok(!schema.pattern, `${key} has a pattern: add a valid sample to SAMPLES in foundation.test.ts`);
      return "sample";
    case "array":
      assert.ok(!schema.items?.pattern && (schema.items?.type ?? "string") === "string", `${key}: add a sample to SAMPLES`);
      return ["sample"];
    case "object":
      return { sample: true };
    default:
      assert.fail(`${key}: unknown setting type ${String(type)}; add a sample to SAMPLES`);
  }
}

suite("foundation: extension, manifest and registrations agree", () => {
  let extension: vscode.Extension<unknown>;
  let manifest: Manifest;
  const atlSettings = (): [string, SettingSchema][] => Object.entries(manifest.contributes.configuration.properties);

  suiteSetup(async () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `extension ${EXTENSION_ID} is not loaded in this window`);
    extension = found;
    manifest = extension.packageJSON as Manifest;
    await extension.activate();
  });

  suiteTeardown(async () => {
    const config = vscode.workspace.getConfiguration();
    for (const [key] of atlSettings()) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test("the extension activates without error", () => {
    assert.equal(extension.isActive, true);
    assert.equal((extension.packageJSON as { main: string }).main, "./dist/extension.js");
  });

  test("activation installs the display-language translator that the SQS and graph bundles use", () => {
    const installed = (globalThis as Record<symbol, unknown>)[Symbol.for("atl.l10n.translate")];
    assert.equal(typeof installed, "function", "activate() installs vscode.l10n.t for the code without vscode");
    const translate = installed as (message: string, ...args: string[]) => string;
    // English here (the test window's display language), formatted by vscode.l10n.t itself.
    assert.equal(translate("Cannot reach {0}.", "sqs.example"), "Cannot reach sqs.example.");
  });

  test("activation waits for the workbench: after startup (polling, issue 16) and on ATL views, never *", () => {
    const events = manifest.activationEvents ?? [];
    assert.ok(!events.includes("*"), "activationEvents must not contain *");
    // Polling (and proactive triage) starts when VS Code starts, not when the view is first opened.
    assert.ok(events.includes("onStartupFinished"), "activationEvents must contain onStartupFinished");
  });

  test("every command contributed in package.json is registered", async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(", ")}`);
  });

  test("every registered atl.* command is contributed in package.json", async () => {
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    // The workbench itself registers `<viewId>.focus` and similar for each contributed view.
    const viewIds = Object.values(manifest.contributes.views)
      .flat()
      .map((v) => v.id);
    const isViewCommand = (id: string): boolean => viewIds.some((view) => id.startsWith(`${view}.`) && !id.slice(view.length + 1).includes("."));
    const registered = (await vscode.commands.getCommands(true)).filter((id) => id.startsWith("atl.") && !isViewCommand(id));
    const extra = registered.filter((id) => !contributed.has(id));
    assert.deepEqual(extra, [], `registered but not in package.json: ${extra.join(", ")}`);
  });

  test("every command is in the ATL category", () => {
    const outside = manifest.contributes.commands.filter((c) => c.category !== "ATL").map((c) => c.command);
    assert.deepEqual(outside, []);
  });

  test("the Alarms, Hosts, Diagnoses and Approval rules views are in the ATL container and can be focused", async () => {
    assert.ok(manifest.contributes.viewsContainers.activitybar.some((c) => c.id === VIEW_CONTAINER));
    const views = (manifest.contributes.views[VIEW_CONTAINER] ?? []).map((v) => v.id);
    assert.deepEqual(views, ["atl.alarms", "atl.hosts", "atl.diagnoses", "atl.approvalRules"]);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const view of views) {
      // The workbench registers `<view>.focus` only for a view it knows.
      assert.ok(registered.has(`${view}.focus`), `the workbench does not know the view ${view}`);
      await vscode.commands.executeCommand(`${view}.focus`);
    }
    assert.ok(registered.has(`workbench.view.extension.${VIEW_CONTAINER}`), "the ATL view container is not registered");
    await vscode.commands.executeCommand(`workbench.view.extension.${VIEW_CONTAINER}`);
  });

  test("every atl.* setting reads back its default", () => {
    const config = vscode.workspace.getConfiguration();
    assert.ok(atlSettings().length > 0);
    for (const [key, schema] of atlSettings()) {
      assert.ok(key.startsWith("atl."), `${key} is not under atl.`);
      const inspected = config.inspect(key);
      assert.ok(inspected, `${key} is not a known setting`);
      assert.deepEqual(inspected.defaultValue, schema.default, `${key}: default`);
      assert.deepEqual(config.get(key), schema.default, `${key}: value without user settings`);
    }
  });

  test("every atl.* setting reads back a written value, and its default once removed", async () => {
    const written = atlSettings().map(([key, schema]) => {
      const value = sampleFor(key, schema);
      if (schema.pattern && typeof value === "string") {
        assert.match(value, new RegExp(schema.pattern, "u"), `${key}: the sample must be valid`);
      }
      return { key, value, fallback: schema.default };
    });
    const target = vscode.ConfigurationTarget.Global;
    // The workbench queues configuration writes; sending them together saves a round trip each.
    await Promise.all(written.map(({ key, value }) => vscode.workspace.getConfiguration().update(key, value, target)));
    let config = vscode.workspace.getConfiguration();
    for (const { key, value } of written) {
      assert.deepEqual(config.get(key), value, `${key}: written value`);
      assert.deepEqual(config.inspect(key)?.globalValue, value, `${key}: user (global) value`);
    }
    await Promise.all(written.map(({ key }) => vscode.workspace.getConfiguration().update(key, undefined, target)));
    config = vscode.workspace.getConfiguration();
    for (const { key, fallback } of written) {
      assert.deepEqual(config.get(key), fallback, `${key}: default after removal`);
      assert.equal(config.inspect(key)?.globalValue, undefined, `${key}: removed from user settings`);
    }
    // Each write saves settings.json: about 0.3 s apiece here, more on a loaded machine.
  }).timeout(240_000);
});
