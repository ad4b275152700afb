// The demo's LLM relay in front of the scripted OpenAI-compatible server, driven by the real
// LangChain client ATL uses: the user's key reaches the API on every request while the client only
// knows a loopback URL; the client's own Authorization never passes; streamed replies pass through;
// anything without the run's path token is refused and never forwarded; an unreachable API is a
// 502 that says which. And how the demo reads the LLM from its environment.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatOpenAI } from "@langchain/openai";
import { AtlError } from "../../../src/shared/errors";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";
import { OPENAI_BASE_URL, takeLlmChoice } from "../../../scripts/demo/llm";
import { startLlmRelay, type LlmRelay } from "../../../scripts/demo/llmRelay";
import { Resources } from "../../helpers/resources";

const KEY = "sk-demo-relay-0123456789abcdef";

void describe("demo LLM relay (loopback → OpenAI-compatible API, key added)", () => {
  let llm: ScriptedLlm;
  let relay: LlmRelay;

  const resources = new Resources();
  before(async () => {
    llm = resources.add(await startScriptedLlm([], { fallback: { text: "pong", times: Infinity } }), (l) => l.close());
    relay = resources.add(await startLlmRelay({ target: llm.url, apiKey: KEY }), (r) => r.close());
  });
  after(() => resources.release());

  void it("listens on 127.0.0.1 under a random path token and forwards with the user's key", async () => {
    assert.match(relay.url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/v1$/);
    const model = new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "not-needed", maxRetries: 0, configuration: { baseURL: relay.url } });
    const reply = await model.invoke("ping");
    assert.equal(reply.content, "pong");
    const seen = llm.requests.at(-1)!;
    assert.equal(seen.headers.authorization, `Bearer ${KEY}`, "the API got the user's key, not the client's placeholder");
    assert.equal(seen.path, new URL(llm.url).pathname + "/chat/completions");
    assert.equal(seen.body.model, "gpt-4.1-mini");
  });

  void it("passes streamed (SSE) replies through", async () => {
    const model = new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "not-needed", maxRetries: 0, configuration: { baseURL: relay.url } });
    let text = "";
    for await (const chunk of await model.stream("ping")) {
      text += typeof chunk.content === "string" ? chunk.content : JSON.stringify(chunk.content);
    }
    assert.equal(text, "pong");
    assert.equal(llm.requests.at(-1)!.stream, true);
  });

  void it("refuses requests without the path token and forwards none of them", async () => {
    const before = llm.requests.length;
    const origin = new URL(relay.url).origin;
    for (const path of ["/v1/chat/completions", "/0000/v1/chat/completions", `${new URL(relay.url).pathname}x/chat/completions`, "/"]) {
      const response = await fetch(origin + path, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), new RegExp(KEY));
    }
    assert.equal(llm.requests.length, before);
  });

  void it("answers 502 naming the API when it cannot be reached", async () => {
    const dead = await startLlmRelay({ target: "http://127.0.0.1:9/v1", apiKey: KEY });
    try {
      const response = await fetch(`${dead.url}/chat/completions`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      assert.equal(response.status, 502);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /could not reach http:\/\/127\.0\.0\.1:9/);
      assert.doesNotMatch(body.error.message, new RegExp(KEY));
    } finally {
      await dead.close();
    }
  });
});

void describe("demo LLM choice from the environment", () => {
  void it("no key and no URL: the built-in runbooks", () => {
    assert.deepEqual(takeLlmChoice({}), { kind: "none" });
  });

  void it("a key: OpenAI (or ATL_LLM_BASE_URL) through the relay, and the key leaves the environment", () => {
    const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: KEY, ATL_LLM_API_KEY: "other", PATH: "/usr/bin" };
    assert.deepEqual(takeLlmChoice(env), { kind: "relay", target: OPENAI_BASE_URL, apiKey: KEY, model: "gpt-4.1-mini" });
    assert.deepEqual(env, { PATH: "/usr/bin" }, "no child process can inherit the key");
    const custom = takeLlmChoice({ ATL_LLM_API_KEY: KEY, ATL_LLM_BASE_URL: "https://llm.example/v1", ATL_LLM_MODEL: "gpt-4.1" });
    assert.deepEqual(custom, { kind: "relay", target: "https://llm.example/v1", apiKey: KEY, model: "gpt-4.1" });
  });

  void it("a URL without a key: that server directly (Ollama, vLLM on this machine)", () => {
    assert.deepEqual(takeLlmChoice({ ATL_LLM_BASE_URL: "http://127.0.0.1:11434/v1", ATL_LLM_MODEL: "llama3.1" }), {
      kind: "direct",
      baseUrl: "http://127.0.0.1:11434/v1",
      model: "llama3.1",
    });
  });

  void it("a bad URL or model name is an error with the fix", () => {
    assert.throws(() => takeLlmChoice({ ATL_LLM_BASE_URL: "127.0.0.1:11434" }), (error: unknown) => error instanceof AtlError && /not an http\(s\) URL/.test(error.message) && /unset it/.test(error.fix ?? ""));
    assert.throws(() => takeLlmChoice({ ATL_LLM_MODEL: "gpt 4; rm -rf" }), /not a model name/);
  });
});
