// The chat model over the editor's language model (provider `vscode`), with a port that speaks to
// the scripted OpenAI-compatible server over HTTP the way the editor's API would (no system role,
// plain text streamed): the system prompt is folded into the first user message, structured calls
// ask for JSON by instruction and are validated with the zod schema, usage comes from the port's
// counts, a prose reply is an llm-reply error, and the run's signal cancels the request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { foldSystemPrompt, type EditorMessage, type EditorModelPort } from "../../../src/llm/editor";
import { createChatModel } from "../../../src/llm/model";
import { invokeStructured } from "../../../src/llm/structured";
import { AtlError } from "../../../src/shared/errors";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";

const Plan = z.object({ rationale: z.string(), commands: z.array(z.object({ command: z.string(), purpose: z.string() })) });

/** A port over the scripted server: what an editor model provider does with the messages. */
function httpPort(url: string, sent: EditorMessage[][]): EditorModelPort {
  return {
    async send(messages, options) {
      sent.push(messages);
      const response = await fetch(`${url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "editor", messages }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!response.ok) {
        throw new AtlError("llm", `status ${response.status}`);
      }
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      const reply = body.choices[0]?.message.content ?? "";
      return {
        text: (async function* () {
          for (let i = 0; i < reply.length; i += 10) {
            // A piece at a time, as a stream delivers them.
            yield await Promise.resolve(reply.slice(i, i + 10));
          }
        })(),
        usage: () => Promise.resolve({ promptTokens: messages.map((m) => m.content).join("").length, completionTokens: reply.length }),
      };
    },
  };
}

void describe("foldSystemPrompt", () => {
  void it("puts system text in front of the first user message and keeps the rest in order", () => {
    assert.deepEqual(
      foldSystemPrompt([
        { role: "system", content: "You are ATL." },
        { role: "user", content: "CPU is high" },
        { role: "assistant", content: "ok" },
        { role: "user", content: "and memory?" },
      ]),
      [
        { role: "user", content: "You are ATL.\n\nCPU is high" },
        { role: "assistant", content: "ok" },
        { role: "user", content: "and memory?" },
      ],
    );
  });

  void it("turns a system message with no user message after it into a user message", () => {
    assert.deepEqual(foldSystemPrompt([{ role: "assistant", content: "a" }, { role: "system", content: "s" }]), [
      { role: "assistant", content: "a" },
      { role: "user", content: "s" },
    ]);
  });
});

void describe("EditorChatModel (provider vscode)", () => {
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
  });
  after(async () => {
    await llm.close();
  });

  const model = (sent: EditorMessage[][]) =>
    createChatModel({
      provider: "vscode",
      model: "test/editor",
      baseUrl: null,
      azure: null,
      structuredOutputMethod: "jsonMode",
      timeoutSeconds: 10,
      maxRetries: 0,
      prices: {},
      apiKey: "",
      editor: httpPort(llm.url, sent),
    });

  void it("asks for JSON with the schema, validates it with zod and reports the port's token counts", async () => {
    llm.push({ text: 'Here it is:\n```json\n{"rationale":"load","commands":[{"command":"uptime","purpose":"load"}]}\n```' });
    const sent: EditorMessage[][] = [];
    const result = await invokeStructured(model(sent), {
      schema: Plan,
      name: "command_plan",
      method: "jsonMode",
      messages: [
        { role: "system", content: "SYSTEM PROMPT" },
        { role: "user", content: "USER PROMPT (schema: command_plan)" },
      ],
    });
    assert.deepEqual(result.value, { rationale: "load", commands: [{ command: "uptime", purpose: "load" }] });
    const messages = sent[0];
    assert.ok(messages.every((m) => m.role === "user" || m.role === "assistant"), "no system role reaches the editor");
    assert.ok(messages[0].content.startsWith("SYSTEM PROMPT\n\nUSER PROMPT"), messages[0].content);
    const instruction = messages[messages.length - 1].content;
    assert.match(instruction, /exactly one JSON object \(the "command_plan" schema\)/);
    assert.match(instruction, /"required":\["rationale","commands"\]/);
    assert.ok(result.usage.promptTokens > 0 && result.usage.completionTokens > 0);
  });

  void it("a reply that is not the JSON asked for is an llm-reply error, never a silent value", async () => {
    llm.push({ text: "I would run uptime." });
    await assert.rejects(
      invokeStructured(model([]), { schema: Plan, name: "command_plan", method: "jsonMode", messages: [{ role: "user", content: "plan" }] }),
      (error: unknown) => error instanceof AtlError && error.code === "llm-reply",
    );
    llm.push({ text: '{"rationale":"x","commands":[{"command":1}]}' });
    await assert.rejects(
      invokeStructured(model([]), { schema: Plan, name: "command_plan", method: "jsonMode", messages: [{ role: "user", content: "plan" }] }),
      (error: unknown) => error instanceof AtlError && error.code === "llm-reply" && /commands/.test(error.message),
    );
  });

  void it("streams plain answers piece by piece with usage on the message", async () => {
    llm.push({ text: "The load is high because of the burner process." });
    const pieces: string[] = [];
    let usage: { input_tokens: number; output_tokens: number } | undefined;
    for await (const chunk of await model([]).stream([{ role: "user", content: "why?" }])) {
      if (typeof chunk.content === "string" && chunk.content) {
        pieces.push(chunk.content);
      }
      usage = chunk.usage_metadata ?? usage;
    }
    assert.ok(pieces.length > 1);
    assert.equal(pieces.join(""), "The load is high because of the burner process.");
    assert.ok(usage && usage.output_tokens > 0);
  });

  void it("the run's signal cancels the request", async () => {
    llm.push({ text: "late", delayMs: 5_000 });
    const abort = new AbortController();
    const call = invokeStructured(model([]), { schema: Plan, name: "command_plan", method: "jsonMode", messages: [{ role: "user", content: "plan" }], config: { signal: abort.signal } });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(call);
  });
});
