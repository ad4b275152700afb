// The Hosts view inside the extension host, against a real ATL agent on 127.0.0.1: reachability,
// latency and version from /v1/health, the missing-secret marker, and Test host's signed /v1/info
// (refused with a wrong secret, answered with the right one).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { HostEntry } from "../../../src/hosts/model";
import type { HostTestResult } from "../../../src/vscode/hosts/hostCommands";
import { startAgent, type RunningAgent } from "../../helpers/agent";
import { atlApi, eventually, extensionPath, setSettings } from "./alarmsSupport";

function items(api: AtlApi): Map<string, vscode.TreeItem> {
  const provider = api.hosts.provider;
  return new Map(provider.getChildren().map((host: HostEntry) => [host.id, provider.getTreeItem(host)]));
}

suite("Hosts view against a real agent", function () {
  this.timeout(180_000);
  let api: AtlApi;
  let agent: RunningAgent;

  suiteSetup(async () => {
    api = await atlApi();
    const built = spawnSync(process.execPath, ["esbuild.mjs", "--only", "agent"], { cwd: extensionPath(), encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    agent = await startAgent({ bundle: join(extensionPath(), "agent", "dist", "atl-agent.js") });
    await setSettings(api, {
      hosts: [
        { id: "local-agent", name: "local agent", transport: "agent", url: agent.url, keyId: agent.keyId, tags: ["test"] },
        { id: "dead-agent", name: "dead agent", transport: "agent", url: "http://127.0.0.1:9", keyId: "k" },
        { id: "dead-ssh", name: "dead ssh", transport: "ssh", host: "127.0.0.1", port: 9, username: "atl", hostKeySha256: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
      ],
    });
    await vscode.commands.executeCommand("atl.hosts.focus");
  });

  suiteTeardown(async () => {
    await api.services.secrets.delete("atl.host.local-agent.agentSecret");
    await setSettings(api, { hosts: undefined });
    await agent?.stop();
  });

  test("lists every host with its reachability, latency and agent version", async () => {
    await vscode.commands.executeCommand("atl.refreshHosts");
    const tree = await eventually(() => {
      const t = items(api);
      return t.size === 3 && [...t.values()].every((i) => !String(i.description).includes("checking")) ? t : undefined;
    }, 60_000, "three probed hosts");
    const local = tree.get("local-agent");
    assert.ok(local);
    assert.equal(local.label, "local agent");
    assert.equal(local.contextValue, "host.agent");
    assert.match(String(local.description), /^agent · \d+ ms · v\S+ · no secret · test$/);
    assert.equal((local.iconPath as vscode.ThemeIcon).id, "vm-active");
    const dead = tree.get("dead-agent");
    assert.match(String(dead?.description), /^agent · unreachable/);
    assert.equal((dead?.iconPath as vscode.ThemeIcon).id, "debug-disconnect");
    const ssh = tree.get("dead-ssh");
    assert.equal(ssh?.contextValue, "host.ssh");
    assert.match(String(ssh?.description), /^ssh · unreachable/);
    assert.equal(api.services.hosts.status("local-agent").state, "reachable");
  });

  test("Test host without a secret says how to set one", async () => {
    const result = await vscode.commands.executeCommand<HostTestResult>("atl.testHost", "local-agent");
    assert.equal(result.ok, false);
    assert.match(result.summary, /Set agent secret/);
  });

  test("Test host with a wrong secret reports the refused signature", async () => {
    await api.services.secrets.set("atl.host.local-agent.agentSecret", "0".repeat(64));
    const result = await vscode.commands.executeCommand<HostTestResult>("atl.testHost", "local-agent");
    assert.equal(result.ok, false);
    assert.match(result.summary, /refused the signature/);
  });

  test("Test host with the agent's secret shows what the host is", async () => {
    await api.services.secrets.set("atl.host.local-agent.agentSecret", agent.secret);
    const result = await vscode.commands.executeCommand<HostTestResult>("atl.testHost", "local-agent");
    assert.equal(result.ok, true, result.summary);
    assert.equal(result.info?.hostname, hostname());
    assert.match(result.summary, /signed request OK/);
    // The secret is now known: the "no secret" marker goes away.
    await eventually(() => !String(items(api).get("local-agent")?.description).includes("no secret"), 30_000, "no 'no secret' marker");
  });
});
