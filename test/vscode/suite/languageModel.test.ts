// ATL's `vscode` LLM provider inside the real extension host: a test extension (test/vscode/lmProvider)
// registers language models backed by the scripted OpenAI-compatible server, and ATL diagnoses
// through `vscode.lm` end to end: consent asked on the Diagnose click, the plan and the analysis
// from the model, token counts from `countTokens`, no system role on the wire; a refused consent
// leaves the runbooks in charge and sends nothing, and a run that was never allowed does not ask;
// a prompt over the model's input window falls back with the reason.
//
// The editor's consent dialog itself cannot show here: with extension tests loaded, VS Code answers
// every dialog itself (confirm → yes, prompt → refused). The UI test test/e2e/copilot.e2e.ts presses it.
import * as assert from "node:assert/strict";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { Analysis, Proposal } from "../../../src/graph/diagnosis";
import { type RunningAgent } from "../../helpers/agent";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";
import { atlApi, eventually, setSettings, startBundledAgent } from "./alarmsSupport";
import { plainText } from "../../../src/shared/richText";

const HOST_ID = "lm-host";
const LONG = 420_000;
const OPEN = { vendor: "atl-test", id: "open-model" };
const GATED = { vendor: "atl-test", id: "gated-model" };

interface ProviderRequest {
  model: string;
  messages: { role: string; text: string }[];
  cancelled: boolean;
}

function providerRequests(): Thenable<ProviderRequest[]> {
  return vscode.commands.executeCommand<ProviderRequest[]>("atlTestLm.requests");
}

suite("The editor's language model (provider vscode)", function () {
  this.timeout(LONG);
  let api: AtlApi;
  let agent: RunningAgent;
  let llm: ScriptedLlm;

  async function configureModels(maxInputTokens = 100_000): Promise<void> {
    await vscode.commands.executeCommand("atlTestLm.configure", {
      baseUrl: llm.url,
      models: [
        { id: OPEN.id, name: "Open Test Model", family: "open", maxInputTokens },
        { id: GATED.id, name: "Gated Test Model", family: "gated", maxInputTokens: 100_000, requiresAuthorization: true },
      ],
    });
    await eventually(async () => (await vscode.lm.selectChatModels({ vendor: OPEN.vendor, id: OPEN.id })).some((m) => m.maxInputTokens === maxInputTokens), 60_000, "the test models");
  }

  async function executed(): Promise<string[]> {
    return (await agent.audit()).flatMap((r) => (r.event === "exec" ? [r.command] : []));
  }

  function eventsOf(id: string): { proposals: Proposal[]; analyses: Analysis[]; errors: string[] } {
    const entries = api.diagnosis.thread(id)?.snapshot().entries ?? [];
    const events = entries.flatMap((e) => (e.kind === "event" ? [e.event] : []));
    return {
      proposals: events.flatMap((e) => (e.type === "proposal" ? [e.proposal] : [])),
      analyses: events.flatMap((e) => (e.type === "analysis" ? [e.analysis] : [])),
      errors: events.flatMap((e) => (e.type === "error" ? [`${e.code}: ${e.message}`] : [])),
    };
  }

  suiteSetup(async () => {
    api = await atlApi();
    agent = await startBundledAgent();
    llm = await startScriptedLlm();
    await eventually(async () => (await vscode.commands.getCommands(true)).includes("atlTestLm.configure"), 120_000, "the test language-model provider");
    await configureModels();
    await setSettings(api, {
      hosts: [{ id: HOST_ID, name: "lm-host", transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile }],
      "llm.provider": "vscode",
      "llm.vscode.vendor": GATED.vendor,
      "llm.vscode.id": GATED.id,
    });
    await eventually(() => api.services.hosts.get(HOST_ID), 120_000, "the host in the inventory");
    await api.services.languageModels.recordConsent(GATED, undefined);
    await api.services.languageModels.recordConsent(OPEN, undefined);
  });

  suiteTeardown(async () => {
    for (const summary of api.diagnosis.history.list()) {
      await vscode.commands.executeCommand("atl.removeDiagnosis", summary.id);
    }
    await api.services.languageModels.recordConsent(GATED, undefined);
    await api.services.languageModels.recordConsent(OPEN, undefined);
    await setSettings(api, { hosts: undefined, "llm.provider": undefined, "llm.vscode.vendor": undefined, "llm.vscode.id": undefined });
    await vscode.commands.executeCommand("atlTestLm.configure", null);
    await agent?.stop();
    await llm?.close();
  });

  test("a refused consent: the diagnosis runs on the runbooks, nothing reaches the model; never asked from a background run", async () => {
    await setSettings(api, { "llm.provider": "auto", "llm.vscode.id": GATED.id });
    // What the editor's dialog leaves when the user cancels it (ATL records it: see requestConsent).
    await api.services.languageModels.recordConsent(GATED, "refused");
    const id = await vscode.commands.executeCommand<string>("atl.diagnoseHost", HOST_ID, "CPU looks high");
    await eventually(() => api.diagnosis.thread(id)?.status === "waiting-approval", LONG, "the proposal");
    assert.equal(eventsOf(id).proposals[0]?.source, "runbook", "auto without consent: the runbooks plan");
    assert.equal(await api.services.languageModels.llmSettings(undefined), null, "auto stays on the runbooks");
    assert.equal(llm.requests.length, 0, "no request reached the model");
    assert.deepEqual(await providerRequests(), [], "the provider got no request");

    // With the provider set to vscode, a refusal is an error with the fix, not a silent fallback.
    await setSettings(api, { "llm.provider": "vscode" });
    await assert.rejects(api.services.languageModels.llmSettings(undefined), (error: { code?: string; fix?: string }) => error.code === "llm-consent" && /Choose language model/.test(error.fix ?? ""));

    // Not decided yet, and no user action (a background triage): the port refuses to send rather
    // than make the editor show its dialog.
    await api.services.languageModels.recordConsent(GATED, undefined);
    const settings = await api.services.languageModels.llmSettings(undefined);
    assert.ok(settings?.editor, "vscode resolves to the editor's model");
    await assert.rejects(settings.editor.send([{ role: "user", content: "hello" }], {}), (error: { code?: string }) => error.code === "llm-consent");
    assert.deepEqual(await providerRequests(), [], "still nothing sent");
    await vscode.commands.executeCommand("atl.removeDiagnosis", id);
  });

  test("allowed: the editor's model plans and analyses the diagnosis, with its token counts", async () => {
    await setSettings(api, { "llm.provider": "vscode", "llm.vscode.id": OPEN.id });
    await api.services.languageModels.recordConsent(OPEN, undefined);
    llm.push(
      { schema: "command_plan", json: { rationale: "Look at the load and the busiest processes.", commands: [{ command: "uptime", purpose: "load", expectedSignal: "load average" }, { command: "ps aux --sort=-%cpu", purpose: "busiest", expectedSignal: "top CPU" }] } },
      {
        schema: "diagnosis_analysis",
        json: { summary: "The editor's model read the load.", severity: "low", findings: [], nextSteps: ["Watch the load."], culprit: null, furtherCommands: [] },
      },
    );
    const before = (await executed()).length;
    // The Diagnose click asks for consent (a one-line request the editor may show its dialog for).
    const id = await vscode.commands.executeCommand<string>("atl.diagnoseHost", HOST_ID, "CPU looks high on lm-host");
    assert.equal(api.services.languageModels.consent(OPEN), "granted");
    await eventually(() => api.diagnosis.thread(id)?.status === "waiting-approval", LONG, "the proposal");
    const proposal = eventsOf(id).proposals[0];
    assert.equal(proposal.source, "llm", `the model planned (${eventsOf(id).errors.join("; ")})`);
    assert.deepEqual(proposal.commands.map((c) => c.command), ["uptime", "ps aux --sort=-%cpu"]);

    await api.diagnosis.thread(id)!.approve(proposal.round, { kind: "approve", commandIds: proposal.commands.map((c) => c.id) });
    assert.equal(api.diagnosis.thread(id)?.status, "done", eventsOf(id).errors.join("; "));
    assert.deepEqual((await executed()).slice(before), ["uptime", "ps aux --sort=-%cpu"]);
    const analysis = eventsOf(id).analyses.at(-1)!;
    assert.equal(analysis.source, "llm", `the model analysed (${eventsOf(id).errors.join("; ")}; ${analysis.fallbackReason ?? ""})`);
    assert.equal(plainText(analysis.summary), "The editor's model read the load.");

    const report = api.diagnosis.thread(id)!.latestReport()!;
    assert.equal(report.usage?.model, "atl-test/open-model");
    assert.ok((report.usage?.promptTokens ?? 0) > 100, `prompt tokens counted by the model (${report.usage?.promptTokens})`);
    assert.ok((report.usage?.completionTokens ?? 0) > 5);

    const requests = (await providerRequests()).filter((r) => !r.cancelled && r.model === OPEN.id);
    const plan = requests.find((r) => r.messages.some((m) => m.text.includes("(schema: command_plan)")));
    const analysisRequest = requests.find((r) => r.messages.some((m) => m.text.includes("(schema: diagnosis_analysis)")));
    assert.ok(plan && analysisRequest, `plan and analysis went through the provider (${requests.length} requests)`);
    for (const request of requests) {
      assert.ok(request.messages.every((m) => m.role === "user" || m.role === "assistant"), "no system role on the wire");
    }
    assert.match(plan.messages[0].text, /ATL/, "the system prompt is folded into the first user message");
    assert.match(plan.messages.at(-1)!.text, /JSON Schema/, "the structured call asks for JSON with the schema");
  });

  test("a prompt over the model's input window falls back to the runbooks and says why", async () => {
    await configureModels(60);
    const id = await vscode.commands.executeCommand<string>("atl.diagnoseHost", HOST_ID, "disk looks full");
    await eventually(() => api.diagnosis.thread(id)?.status === "waiting-approval", LONG, "the proposal");
    const { proposals, errors } = eventsOf(id);
    assert.equal(proposals[0]?.source, "runbook");
    assert.ok(errors.some((e) => /tokens; Open Test Model takes at most 60/.test(e)), errors.join("; "));
    await configureModels();
  });
});
