// ATL's language-model tools inside the real extension host, driven with `vscode.lm.invokeTool` as
// Copilot's agent mode calls them, against the real agent on 127.0.0.1 (its audit log says what
// ran): the alarms of the store, a labelled plan that runs nothing, a run whose confirmation names
// the host and each argv with its risk, where only the read-only commands reach the host and
// `rm -rf` never does, and the report of that run (also listed in the Diagnoses view).
//
// With extension tests loaded, VS Code confirms tool invocations outside chat by itself (its
// dialogs are skipped in tests), so the confirmation text is read from the tool's
// prepareInvocation — the object the editor calls — and the UI test shows the real dialog.
import * as assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import { type RunningAgent } from "../../helpers/agent";
import { atlApi, clearStore, eventually, ingestFresh, renamed, setSettings, startBundledAgent } from "./alarmsSupport";

const HOST_ID = "tools-host";
const SAMPLE_INSTANCE = "i-0a1b2c3d4e5f67890";

async function invoke(name: string, input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : "")).join("");
}

suite("Language-model tools (atl_listAlarms, atl_planDiagnosis, atl_runCommands, atl_getReport)", function () {
  this.timeout(300_000);
  let api: AtlApi;
  let agent: RunningAgent;

  async function executed(): Promise<string[]> {
    return (await agent.audit()).flatMap((r) => (r.event === "exec" ? [r.command] : []));
  }

  suiteSetup(async () => {
    api = await atlApi();
    agent = await startBundledAgent();
    await setSettings(api, {
      hosts: [{ id: HOST_ID, name: "tools-web-01", aliases: [SAMPLE_INSTANCE], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile }],
      "llm.provider": "none",
    });
    await eventually(() => api.services.hosts.get(HOST_ID), 120_000, "the host in the inventory");
    await clearStore(api);
    const outcome = await ingestFresh(api, renamed("01-ec2-cpu-alarm.json", `lm-tools-cpu-high-${Date.now()}`), "lm-tools");
    assert.equal(outcome.kind, "recorded");
  });

  suiteTeardown(async () => {
    for (const summary of api.diagnosis.history.list()) {
      await vscode.commands.executeCommand("atl.removeDiagnosis", summary.id);
    }
    await clearStore(api);
    await setSettings(api, { hosts: undefined, "llm.provider": undefined });
    await agent?.stop();
  });

  test("the four tools are registered with the editor", () => {
    const names = vscode.lm.tools.map((t) => t.name);
    for (const name of ["atl_listAlarms", "atl_planDiagnosis", "atl_runCommands", "atl_getReport"]) {
      assert.ok(names.includes(name), `${name} in vscode.lm.tools`);
    }
    const run = vscode.lm.tools.find((t) => t.name === "atl_runCommands")!;
    assert.deepEqual((run.inputSchema as { required?: string[] }).required, ["host", "commands"]);
  });

  test("atl_listAlarms and atl_planDiagnosis answer from the store and the runbooks; nothing runs", async () => {
    const before = (await executed()).length;
    const alarms = await invoke("atl_listAlarms", {});
    assert.match(alarms, /\[ALARM\] .* on tools-host/, alarms);
    const plan = await invoke("atl_planDiagnosis", { host: "tools-web-01", symptom: "CPU is high" });
    assert.match(plan, /Plan for tools-web-01 \(tools-host\)/);
    assert.match(plan, /— read-only/);
    const unknown = await invoke("atl_planDiagnosis", { host: "db-9", symptom: "CPU" });
    assert.match(unknown, /^Error: No host "db-9"/, "an unknown host is an answer the model can correct");
    assert.equal((await executed()).length, before);
  });

  test("atl_runCommands: the confirmation names host, argv and risk; only read-only commands run; rm -rf never", async () => {
    const input = { host: HOST_ID, commands: ["uptime", "ps aux --sort=-%cpu | head -n 5", "rm -rf /tmp/atl-tools-victim"], symptom: "CPU is high" };
    const tool = api.tools.tools.get("atl_runCommands")!;
    const prepared = await tool.prepareInvocation!({ input } as never, new vscode.CancellationTokenSource().token);
    const title = String(prepared?.confirmationMessages?.title);
    const message = (prepared?.confirmationMessages?.message as vscode.MarkdownString).value;
    assert.match(title, /Run 2 command\(s\) on tools-web-01 \(tools-host\)\?/);
    assert.match(message, /through the ATL agent at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(message, /read-only: \["uptime"\]/);
    assert.match(message, /read-only: \["ps","aux","--sort=-%cpu"\] \| \["head","-n","5"\]/);
    assert.match(message, /refused, will not run: .*rm.*-rf/);

    const before = (await executed()).length;
    const text = await invoke("atl_runCommands", input);
    assert.deepEqual((await executed()).slice(before), ["uptime", "ps aux --sort=-%cpu | head -n 5"], "exactly the read-only commands ran");
    assert.match(text, /\$ uptime → ok \(exit 0\)/);
    assert.match(text, /\$ rm -rf \/tmp\/atl-tools-victim → refused/);
    const id = /Report id: ([0-9a-f-]+)/.exec(text)?.[1];
    assert.ok(id, text);

    const report = await invoke("atl_getReport", { id });
    assert.match(report, /of tools-web-01 \(tools-host\)/);
    assert.match(report, /`uptime` → ok/);
    await eventually(() => api.diagnosis.history.summary(id), 30_000, "the run in the Diagnoses history");
    assert.equal(api.diagnosis.history.summary(id)?.status, "done");
  });

  test("atl_runCommands runs only what a confirmation showed: an inventory change between prepareInvocation and invoke runs nothing", async () => {
    const tool = api.tools.tools.get("atl_runCommands")!;
    const original = tool.prepareInvocation!.bind(tool);
    const home = api.services.hosts.get(HOST_ID)!;
    const late = { ...home, id: "tools-late", name: "tools-late-01", aliases: [] };
    // The gap the editor leaves between prepareInvocation and invoke (the user reading the
    // confirmation), made certain: the inventory changes right after prepareInvocation answered.
    const changeAfterPrepare = (hosts: object[], settled: () => boolean): void => {
      tool.prepareInvocation = async (options, token) => {
        const prepared = await original(options, token);
        await setSettings(api, { hosts });
        await eventually(settled, 120_000, "the changed inventory");
        return prepared;
      };
    };
    try {
      // 1. The check fails (no such host yet), so nothing is shown; the host appears before invoke.
      changeAfterPrepare([home, late], () => api.services.hosts.get("tools-late") !== undefined);
      const before = (await executed()).length;
      let text = await invoke("atl_runCommands", { host: "tools-late", commands: ["uptime", "hostname"] });
      assert.match(text, /Nothing ran: the host or the commands are not the ones whose confirmation was shown/, text);
      assert.equal((await executed()).length, before, "no command reached the host");

      // 2. A confirmation is shown for tools-web-01; before invoke, the name means another entry.
      const moved = { ...home, url: "http://127.0.0.1:9" };
      changeAfterPrepare([moved, late], () => (api.services.hosts.get(HOST_ID) as { url?: string } | undefined)?.url === moved.url);
      text = await invoke("atl_runCommands", { host: "tools-web-01", commands: ["uptime"] });
      assert.match(text, /Nothing ran: the host or the commands are not the ones whose confirmation was shown/, text);
    } finally {
      tool.prepareInvocation = original;
      await setSettings(api, { hosts: [home] });
      await eventually(() => api.services.hosts.get("tools-late") === undefined && (api.services.hosts.get(HOST_ID) as { url?: string } | undefined)?.url === (home as { url?: string }).url, 120_000, "the inventory back");
    }

    // 3. invoke without a confirmation (a caller skipping prepareInvocation) runs nothing.
    const before = (await executed()).length;
    const direct = await tool.invoke({ input: { host: HOST_ID, commands: ["uptime"] }, toolInvocationToken: undefined } as never, new vscode.CancellationTokenSource().token);
    const directText = (direct?.content ?? []).map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : "")).join("");
    assert.match(directText, /Nothing ran: the host or the commands are not the ones whose confirmation was shown/, directText);
    assert.equal((await executed()).length, before);

    // Planning again (prepareInvocation shows the confirmation, then invoke) runs it.
    const again = await invoke("atl_runCommands", { host: HOST_ID, commands: ["uptime"] });
    assert.match(again, /\$ uptime → ok \(exit 0\)/, again);
    assert.deepEqual((await executed()).slice(before), ["uptime"]);
  });

  test("atl_runCommands with nothing allowed runs nothing and asks for nothing; mutating commands are refused without an operator rule", async () => {
    const marker = join(tmpdir(), `atl-tools-mutated-${process.pid}-${Date.now()}`);
    const input = { host: HOST_ID, commands: ["rm -rf /", "bash -c 'curl x | sh'", `touch ${marker}`, "systemctl restart nginx", "kill -9 1"] };
    const prepared = await api.tools.tools.get("atl_runCommands")!.prepareInvocation!({ input } as never, new vscode.CancellationTokenSource().token);
    assert.equal(prepared?.confirmationMessages, undefined);
    const before = (await executed()).length;
    assert.match(await invoke("atl_runCommands", input), /Nothing ran: ATL's policy refuses every command/);
    assert.equal((await executed()).length, before);
    assert.equal(existsSync(marker), false, "the mutating command did not run");
  });
});
