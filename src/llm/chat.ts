// The chat model the diagnosis graph talks to, as two operations: a structured reply checked by a
// zod schema, and streamed text. `langchain.ts` implements it for OpenAI, Azure OpenAI and
// OpenAI-compatible servers (in graph.js); the editor can hand the graph its own implementation
// (`DiagnosisDeps.chatModel`, e.g. over the editor's language model) without the graph importing
// `vscode` or the extension importing LangChain. Failures are AtlErrors (llm-reply, llm-timeout,
// llm-config, llm, cancelled).
import type { z } from "zod";
import type { CallUsage } from "./usage";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface StructuredRequest<S extends z.ZodType> {
  schema: S;
  /** Schema name: sent to the API (`response_format.json_schema.name` / the tool name). */
  name: string;
  messages: ChatMessage[];
  signal?: AbortSignal;
}

export interface TextRequest {
  messages: ChatMessage[];
  signal?: AbortSignal;
  /** Each piece of the reply as it arrives. */
  onText(piece: string): void;
}

export interface ChatModel {
  /** The model's name, for usage and the price table. */
  readonly model: string;
  /** One request whose reply must parse and satisfy `schema` (else AtlError "llm-reply"). */
  structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<{ value: z.infer<S>; usage: CallUsage }>;
  /** A free-text reply, streamed. */
  text(request: TextRequest): Promise<{ text: string; usage: CallUsage }>;
}
