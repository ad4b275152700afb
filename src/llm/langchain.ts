// The ChatModel of an OpenAI, Azure OpenAI or OpenAI-compatible server, over LangChain: one model
// for structured calls (one plain request each) and one that streams text (the answer node).
// Lives in graph.js only.
import type { BaseMessageLike, MessageContent } from "@langchain/core/messages";
import type { ChatMessage, ChatModel } from "./chat";
import { createChatModel } from "./model";
import type { LlmSettings } from "./settings";
import { invokeStructured, llmError } from "./structured";

export function createLangChainModel(settings: LlmSettings): ChatModel {
  const streaming = createChatModel(settings);
  const plain = createChatModel(settings, { stream: false });
  return {
    model: settings.model,
    structured: (request) =>
      invokeStructured(plain, {
        schema: request.schema,
        name: request.name,
        method: settings.structuredOutputMethod,
        messages: asLangChain(request.messages),
        config: { signal: request.signal },
      }),
    async text(request) {
      try {
        const stream = await streaming.stream(asLangChain(request.messages), { signal: request.signal, runName: "atl.answer" });
        let text = "";
        let usage = { promptTokens: 0, completionTokens: 0 };
        for await (const chunk of stream) {
          const piece = contentText(chunk.content);
          if (piece) {
            request.onText(piece);
            text += piece;
          }
          // Summed as AIMessageChunk.concat does (with streamUsage the server reports it at the end).
          if (chunk.usage_metadata) {
            usage = { promptTokens: usage.promptTokens + chunk.usage_metadata.input_tokens, completionTokens: usage.completionTokens + chunk.usage_metadata.output_tokens };
          }
        }
        return { text, usage };
      } catch (error) {
        throw llmError(error);
      }
    },
  };
}

function contentText(content: MessageContent): string {
  return typeof content === "string" ? content : content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}

function asLangChain(messages: ChatMessage[]): BaseMessageLike[] {
  return messages.map((m) => [m.role, m.content]);
}
