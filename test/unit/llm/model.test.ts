// The chat model over real HTTP (the scripted OpenAI-compatible server): every structured-output
// method parses, bad replies become clear llm-reply errors, timeouts and refused keys are named,
// retries stay capped, and tracing variables are cleared unless the user opted in.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { AtlError } from "../../../src/shared/errors";
import { applyTracingPolicy, clampRetries, createChatModel, validateLlmSettings } from "../../../src/llm/model";
import type { LlmSettings } from "../../../src/llm/settings";
import { invokeStructured } from "../../../src/llm/structured";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";

const Plan = z.object({ rationale: z.string(), commands: z.array(z.string()), note: z.string().nullable() });
const good = { rationale: "check load", commands: ["uptime"], note: null };

function settings(url: string, extra: Partial<LlmSettings> = {}): LlmSettings {
  return {
    provider: "openai-compatible",
    model: "gpt-4.1-mini",
    baseUrl: url,
    azure: null,
    structuredOutputMethod: "jsonSchema",
    timeoutSeconds: 10,
    maxRetries: 0,
    prices: {},
    apiKey: "test-key",
    ...extra,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<AtlError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AtlError, `expected AtlError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a ${code} error`);
}

void describe("chat model and structured calls", () => {
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
  });
  after(() => llm.close());

  for (const method of ["jsonSchema", "functionCalling", "jsonMode"] as const) {
    void it(`parses a ${method} reply and reports token usage`, async () => {
      llm.push({ contains: `method-${method}`, json: good, usage: { prompt_tokens: 120, completion_tokens: 30 } });
      const model = createChatModel(settings(llm.url, { structuredOutputMethod: method }));
      const result = await invokeStructured(model, { schema: Plan, name: "command_plan", method, messages: [{ role: "user", content: `method-${method} (schema: command_plan)` }] });
      assert.deepEqual(result.value, good);
      assert.deepEqual(result.usage, { promptTokens: 120, completionTokens: 30 });
      const request = llm.requests.at(-1)!;
      assert.equal(request.headers.authorization, "Bearer test-key");
      if (method === "jsonSchema") {
        assert.equal(request.body.response_format?.json_schema?.strict, true);
      }
    });
  }

  void it("turns a non-JSON reply into an llm-reply error", async () => {
    llm.push({ contains: "prose please", text: "Sure! You should run uptime." });
    const model = createChatModel(settings(llm.url));
    const error = await rejectsWith(invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonSchema", messages: [{ role: "user", content: "prose please" }] }), "llm-reply");
    assert.match(error.message, /not the JSON/);
  });

  void it("turns a reply with missing fields into an llm-reply error", async () => {
    llm.push({ contains: "missing fields", json: { rationale: "x" } });
    const model = createChatModel(settings(llm.url, { structuredOutputMethod: "jsonMode" }));
    await rejectsWith(invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonMode", messages: [{ role: "user", content: "missing fields" }] }), "llm-reply");
  });

  void it("a prose reply where a tool call was expected is an error, never undefined", async () => {
    llm.push({ contains: "tool expected", text: "I cannot call tools." });
    const model = createChatModel(settings(llm.url, { structuredOutputMethod: "functionCalling" }));
    await rejectsWith(invokeStructured(model, { schema: Plan, name: "command_plan", method: "functionCalling", messages: [{ role: "user", content: "tool expected" }] }), "llm-reply");
  });

  void it("reads JSON wrapped in a Markdown fence (some compatible servers do that)", async () => {
    llm.push({ contains: "fenced json", text: "```json\n" + JSON.stringify(good) + "\n```" });
    const model = createChatModel(settings(llm.url, { structuredOutputMethod: "jsonMode" }));
    const result = await invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonMode", messages: [{ role: "user", content: "fenced json" }] });
    assert.deepEqual(result.value, good);
  });

  void it("times out with llm-timeout at the configured timeout", async () => {
    llm.push({ contains: "slow reply", json: good, delayMs: 8000 });
    const model = createChatModel(settings(llm.url, { timeoutSeconds: 1 }));
    const error = await rejectsWith(invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonSchema", messages: [{ role: "user", content: "slow reply" }] }), "llm-timeout");
    assert.match(error.userMessage, /atl\.llm\.timeoutSeconds/);
  });

  void it("names a refused API key as a configuration problem", async () => {
    llm.push({ contains: "bad key", status: 401, body: JSON.stringify({ error: { message: "Incorrect API key", type: "invalid_request_error" } }) });
    const model = createChatModel(settings(llm.url));
    const error = await rejectsWith(invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonSchema", messages: [{ role: "user", content: "bad key" }] }), "llm-config");
    assert.match(error.userMessage, /API key/);
  });

  void it("caps retries at 2 whatever the setting says", async () => {
    assert.equal(clampRetries(6), 2);
    assert.equal(clampRetries(-1), 0);
    llm.push({ contains: "always failing", status: 500, times: 10 });
    const before = llm.requests.length;
    const model = createChatModel(settings(llm.url, { maxRetries: 6 }));
    await rejectsWith(invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonSchema", messages: [{ role: "user", content: "always failing" }] }), "llm");
    assert.equal(llm.requests.length - before, 3, "one request and two retries");
  });

  void it("talks to Azure deployments through the endpoint URL", async () => {
    llm.push({ contains: "azure call", json: good });
    const base = llm.url.replace(/\/v1$/, "");
    const model = createChatModel(settings(base, { provider: "azure", azure: { instanceName: "", deployment: "diag-dep", apiVersion: "2024-10-21" } }));
    const result = await invokeStructured(model, { schema: Plan, name: "command_plan", method: "jsonSchema", messages: [{ role: "user", content: "azure call" }] });
    assert.deepEqual(result.value, good);
    const request = llm.requests.at(-1)!;
    assert.equal(request.path, "/openai/deployments/diag-dep/chat/completions");
    assert.equal(request.headers["api-key"], "test-key");
  });

  void it("refuses unusable settings with the setting to fix", () => {
    assert.throws(() => validateLlmSettings(settings("", { provider: "openai", apiKey: "" , baseUrl: null})), (e: AtlError) => e.code === "llm-config" && /API key/.test(e.userMessage));
    assert.throws(() => validateLlmSettings(settings("", { baseUrl: null })), (e: AtlError) => e.code === "llm-config" && /atl\.llm\.baseUrl/.test(e.userMessage));
    assert.throws(() => validateLlmSettings(settings("", { provider: "azure", baseUrl: null, azure: null })), (e: AtlError) => /instance/.test(e.message));
    assert.throws(() => validateLlmSettings(settings("ftp://x")), (e: AtlError) => /not an http/.test(e.message));
  });

  void it("clears LangSmith tracing variables unless tracing is on", () => {
    const env: NodeJS.ProcessEnv = { LANGSMITH_TRACING: "true", LANGSMITH_API_KEY: "ls-key", LANGCHAIN_TRACING_V2: "true", PATH: "/bin" };
    applyTracingPolicy({ tracing: true }, env);
    assert.equal(env.LANGSMITH_TRACING, "true");
    applyTracingPolicy({}, env);
    assert.deepEqual(env, { PATH: "/bin" });
  });
});
