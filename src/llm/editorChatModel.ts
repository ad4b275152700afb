// The LangChain chat model over the editor's language model (provider `vscode`): the graph calls it
// like ChatOpenAI — `stream` for answers, structured calls through invokeStructured — and it sends
// through the EditorModelPort the extension implements. No tool calling and no response_format in
// that API: a structured call asks for one JSON object matching the schema (sent as JSON Schema)
// and invokeStructured validates the reply with the same zod schema as every other provider.
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessageChunk, type BaseMessage, type BaseMessageLike, type MessageContent } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { RunnableConfig } from "@langchain/core/runnables";
import { z } from "zod";
import { foldSystemPrompt, type EditorModelPort, type RoleMessage } from "./editor";

export class EditorChatModel extends BaseChatModel {
  constructor(readonly port: EditorModelPort) {
    super({});
  }

  _llmType(): string {
    return "atl-editor";
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let whole: ChatGenerationChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      whole = whole ? whole.concat(chunk) : chunk;
    }
    const message = whole?.message ?? new AIMessageChunk({ content: "" });
    return { generations: [{ text: contentText(message.content), message }] };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const reply = await this.port.send(foldSystemPrompt(messages.map(roleMessage)), options.signal ? { signal: options.signal } : {});
    for await (const text of reply.text) {
      if (text) {
        yield new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
        await runManager?.handleLLMNewToken(text);
      }
    }
    const usage = await reply.usage();
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        usage_metadata: { input_tokens: usage.promptTokens, output_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens },
      }),
    });
  }

  /**
   * A structured call as invokeStructured runs it: the instruction and the schema are appended to
   * the last message; `parsed` stays null so the caller reads the JSON out of the reply itself and
   * validates it (the same path as a server that ignores response_format).
   */
  structured(schema: z.ZodType, name: string): { invoke(input: BaseMessageLike[], config?: RunnableConfig): Promise<{ raw: unknown; parsed: null }> } {
    const instruction = jsonInstruction(schema, name);
    return {
      invoke: async (input, config) => {
        const raw = await this.invoke([...input, { role: "user", content: instruction }], { ...config, runName: `atl.${name}` });
        return { raw, parsed: null };
      },
    };
  }
}

/** Told after the prompt: what to answer with. The JSON Schema is exact; the prompt's shape is a sketch. */
export function jsonInstruction(schema: z.ZodType, name: string): string {
  const jsonSchema = z.toJSONSchema(schema, { target: "draft-7", unrepresentable: "any" });
  delete (jsonSchema as { $schema?: unknown }).$schema;
  return [
    `Answer with exactly one JSON object (the "${name}" schema) and nothing else: no prose before or after it, no Markdown code fence.`,
    `It must validate against this JSON Schema: ${JSON.stringify(jsonSchema)}`,
  ].join("\n");
}

function roleMessage(message: BaseMessage): RoleMessage {
  const type = message.getType();
  const role = type === "system" ? "system" : type === "ai" ? "assistant" : "user";
  return { role, content: contentText(message.content) };
}

function contentText(content: MessageContent): string {
  return typeof content === "string" ? content : content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}
