// What every node receives: the deps, the chat model (null without an LLM), the clock, and helpers
// to emit events on the graph's custom stream. Built once per service in graph.ts.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { DiagnosisDeps, LlmSettings } from "./deps";
import type { DiagnosisEvent, HostRef } from "./diagnosis";
import type { HostEntry } from "../hosts/model";

export interface GraphContext {
  deps: DiagnosisDeps;
  /** null: no LLM configured; runbooks plan and analyse. Streams its tokens (the answer node). */
  model: BaseChatModel | null;
  /** The same model for structured calls (route, plan, analysis): one plain request, not streamed. */
  structuredModel: BaseChatModel | null;
  llm: LlmSettings | null;
  now(): Date;
}

/** Sends a DiagnosisEvent on the graph's `custom` stream (the service forwards it to the caller). */
export function emit(config: LangGraphRunnableConfig, event: DiagnosisEvent): void {
  config.writer?.(event);
}

export function hostRef(host: HostEntry): HostRef {
  return { id: host.id, name: host.name, transport: host.transport };
}
