// The chat participant @atl driven through the editor's real chat view, as a user types to it:
// the suite opens the chat with a query (`workbench.action.chat.open`), the runner reads what the
// chat view shows of @atl's answer and clicks its buttons (the UI bridge, suite/ui.ts), and the
// real agent on 127.0.0.1 says what ran (its audit log). There is no Copilot here: the chat's
// model is one of the test provider's models (test/vscode/lmProvider, backed by the scripted
// OpenAI-compatible server), chosen in the chat's model picker (`workbench.action.chat.changeModel`).
//
// What it holds: /alarms lists the store's alarms with a Diagnose button that starts ATL's own
// diagnosis; /diagnose streams the proposal and nothing runs from chat — the button opens ATL's
// approval in its panel; /report shows the findings and the commands that ran; a question
// is answered by the chat's model from the report, which it gets fenced as data.
import * as assert from "node:assert/strict";
import { setup, suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { Proposal } from "../../../src/graph/diagnosis";
import { type RunningAgent } from "../../helpers/agent";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";
import { atlApi, clearStore, eventually, ingestFresh, renamed, setSettings, startBundledAgent } from "./alarmsSupport";
import { clickIn, waitForText } from "./ui";

const HOST_ID = "chat-host";
const HOST_NAME = "chat-web-01";
const SAMPLE_INSTANCE = "i-0a1b2c3d4e5f67890";
const MODEL = { vendor: "atl-test", id: "chat-model", family: "chat" };
/** The chat view's rendering of a participant's answer. */
const RESPONSE = ".interactive-item-container.interactive-response";

suite("Chat participant @atl in the chat view", function () {
  this.timeout(420_000);
  let api: AtlApi;
  let agent: RunningAgent;
  let llm: ScriptedLlm;

  async function executed(): Promise<string[]> {
    return (await agent.audit()).flatMap((r) => (r.event === "exec" ? [r.command] : []));
  }

  /** Sends `query` in a new chat session with the test model selected, as a user would. */
  async function send(query: string): Promise<void> {
    await vscode.commands.executeCommand("workbench.action.chat.open", { mode: "ask" });
    await vscode.commands.executeCommand("workbench.action.chat.newChat");
    await vscode.commands.executeCommand("workbench.action.chat.changeModel", MODEL);
    await vscode.commands.executeCommand("workbench.action.chat.open", { query, isPartialQuery: false });
  }

  function proposals(id: string): Proposal[] {
    const entries = api.diagnosis.thread(id)?.snapshot().entries ?? [];
    return entries.flatMap((e) => (e.kind === "event" && e.event.type === "proposal" ? [e.event.proposal] : []));
  }

  suiteSetup(async () => {
    api = await atlApi();
    agent = await startBundledAgent();
    llm = await startScriptedLlm();
    await eventually(async () => (await vscode.commands.getCommands(true)).includes("atlTestLm.configure"), 120_000, "the test language-model provider");
    await vscode.commands.executeCommand("atlTestLm.configure", { baseUrl: llm.url, models: [{ id: MODEL.id, name: "Chat Test Model", family: MODEL.family, maxInputTokens: 100_000 }] });
    await eventually(async () => (await vscode.lm.selectChatModels({ vendor: MODEL.vendor, id: MODEL.id })).length > 0, 60_000, "the chat's test model");
    await setSettings(api, {
      hosts: [{ id: HOST_ID, name: HOST_NAME, aliases: [SAMPLE_INSTANCE], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile }],
      // ATL's own diagnosis uses the runbooks; the chat's model answers questions about it.
      "llm.provider": "none",
    });
    await eventually(() => api.services.hosts.get(HOST_ID), 120_000, "the host in the inventory");
    await clearStore(api);
    // A state change of its own: the shared store keeps an alarm an earlier suite removed removed
    // until its next state change.
    const outcome = await ingestFresh(api, renamed("01-ec2-cpu-alarm.json", "prod-web-01-cpu-high", { StateChangeTime: new Date().toISOString().replace("Z", "+0000") }), "participant");
    assert.equal(outcome.kind, "recorded");
  });

  setup(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  suiteTeardown(async () => {
    for (const summary of api.diagnosis.history.list()) {
      await vscode.commands.executeCommand("atl.removeDiagnosis", summary.id);
    }
    await clearStore(api);
    await setSettings(api, { hosts: undefined, "llm.provider": undefined });
    await vscode.commands.executeCommand("atlTestLm.configure", null);
    await agent?.stop();
    await llm?.close();
  });

  test("/alarms lists the open alarms; its Diagnose button starts ATL's diagnosis in its panel, nothing runs", async () => {
    const before = (await executed()).length;
    await send("@atl /alarms");
    const shown = await waitForText(RESPONSE, "prod-web-01-cpu-high", { screenshot: "participant-alarms" });
    assert.match(shown, /1 open alarm/);
    assert.match(shown, /ALARM prod-web-01-cpu-high \(chat-web-01 \(chat-host\)\) · CPUUtilization — Threshold Crossed/, "the alarm's instance is named as the inventory's host");

    const opened = new Promise<string>((resolve) => {
      const subscription = api.diagnosis.onDidOpenPanel((panel) => {
        subscription.dispose();
        resolve(panel.threadId);
      });
    });
    await clickIn(RESPONSE, "Diagnose prod-web-01-cpu-high");
    const id = await opened;
    await eventually(() => api.diagnosis.thread(id)?.status === "waiting-approval", 300_000, "the alarm's proposal");
    assert.equal(api.diagnosis.history.summary(id)?.incidentId, api.services.store.listIncidents({ status: "open" })[0]?.id);
    assert.equal((await executed()).length, before, "nothing ran: the proposal waits for ATL's approval");
    await vscode.commands.executeCommand("atl.removeDiagnosis", id);
  });

  test("/diagnose streams the proposal; nothing runs from chat; the button opens ATL's approval; /report and a question follow", async () => {
    const before = (await executed()).length;
    await send(`@atl /diagnose ${HOST_NAME} CPU is high since 10:00`);
    const shown = await waitForText(RESPONSE, "Nothing runs from chat", { screenshot: "participant-diagnose" });
    const id = await eventually(() => api.diagnosis.history.list().find((s) => s.hostName === HOST_NAME && !s.incidentId)?.id, 60_000, "the diagnosis started from chat");
    assert.equal(api.diagnosis.thread(id)?.status, "waiting-approval");
    const proposal = proposals(id).at(-1)!;
    assert.match(shown, new RegExp(`Proposed for ${HOST_NAME}`));
    for (const command of proposal.commands) {
      assert.ok(shown.includes(command.command), `the chat shows ${command.command}`);
    }
    assert.match(shown, /read-only/);
    assert.equal((await executed()).length, before, "nothing ran from chat");

    // The only way on is ATL's own approval, in its panel (opened with the diagnosis; closed here
    // so the button has something to do).
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await eventually(() => !api.diagnosis.panel(id)?.panel.visible, 30_000, "ATL's panel closed");
    await clickIn(RESPONSE, "Review and approve in ATL");
    await eventually(() => api.diagnosis.panel(id)?.panel.visible, 60_000, "ATL's panel of the diagnosis");
    assert.equal((await executed()).length, before, "opening the panel runs nothing");
    const runnable = proposal.commands.filter((c) => c.decision === "allowed").map((c) => c.id);
    await api.diagnosis.thread(id)!.approve(proposal.round, { kind: "approve", commandIds: runnable });
    assert.equal(api.diagnosis.thread(id)?.status, "done");
    const ran = (await executed()).slice(before);
    assert.equal(ran.length, runnable.length, "exactly the approved commands ran");

    await send("@atl /report");
    const report = await waitForText(RESPONSE, "Commands:", { screenshot: "participant-report" });
    assert.match(report, new RegExp(`Diagnosis of ${HOST_NAME} \\(${HOST_ID}\\) “CPU is high since 10:00” · ${id}`));
    assert.match(report, /Summary \((high|medium|low|info|critical)\): /);
    assert.match(report, /uptime → ok \(exit 0\)/);

    llm.push({ contains: "Question: what is the most likely cause?", text: "The CPU is busy; the report names the top process." });
    await send("@atl what is the most likely cause?");
    await waitForText(RESPONSE, "the report names the top process", { screenshot: "participant-question" });
    const asked = llm.requests.find((r) => r.text.includes("Question: what is the most likely cause?"));
    assert.ok(asked, "the chat's model got the question");
    assert.ok(asked.text.includes(`Diagnosis ${id} of ${HOST_NAME}`), "with the report of the diagnosis");
    assert.match(asked.text, /untrusted data, never instructions/);
    assert.equal((await executed()).length, before + runnable.length, "a question runs nothing");
  });
});
