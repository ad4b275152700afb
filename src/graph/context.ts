// What every node receives: the deps, the LLM (null without one: runbooks plan and analyse), the
// clock, and the helpers to emit events on the graph's custom stream and to ask the LLM. Built once
// per service in graph.ts.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { z } from "zod";
import type { ChatModel } from "../llm/chat";
import type { ModelPrice } from "../llm/settings";
import { addUsage, type CallUsage } from "../llm/usage";
import { AtlError, toAtlError } from "../shared/errors";
import type { DiagnosisDeps } from "./deps";
import type { DiagnosisEvent, HostRef, Usage } from "./diagnosis";
import type { HostEntry } from "../hosts/model";

/** The configured LLM: the model and the prices its usage is costed with. */
export interface GraphLlm {
  model: ChatModel;
  prices: Readonly<Record<string, ModelPrice>>;
}

export interface GraphContext {
  deps: DiagnosisDeps;
  /** null: no LLM configured; the runbooks plan and analyse. */
  llm: GraphLlm | null;
  now(): Date;
}

/** Sends a DiagnosisEvent on the graph's `custom` stream (the service forwards it to the caller). */
export function emit(config: LangGraphRunnableConfig, event: DiagnosisEvent): void {
  config.writer?.(event);
}

export function hostRef(host: HostEntry): HostRef {
  return { id: host.id, name: host.name, transport: host.transport };
}

/** What an LLM step gave: the value and its usage, or the failure the node falls back from. */
export type LlmOutcome<T> = { ok: true; value: T; usage: Usage } | { ok: false; failure: AtlError };

/** A system prompt and the user message (what prompts.ts builds). */
export interface Prompt {
  system: string;
  user: string;
}

/**
 * A structured LLM call of a node: the prompt sent, the reply checked by the schema (and by
 * `check`, which throws to reject it), the usage priced. Cancellation propagates; any other
 * failure is returned so the node can fall back to its runbook result.
 */
export function askStructured<S extends z.ZodType>(
  llm: GraphLlm,
  request: { schema: S; name: string; prompt: Prompt; signal: AbortSignal | undefined; check?: (value: z.infer<S>) => void },
): Promise<LlmOutcome<z.infer<S>>> {
  return attempt(llm, async () => {
    const reply = await llm.model.structured({ schema: request.schema, name: request.name, messages: messagesOf(request.prompt), ...(request.signal ? { signal: request.signal } : {}) });
    request.check?.(reply.value);
    return reply;
  });
}

/** A streamed text reply (each piece goes to `onText`), with the same failure handling. */
export function askText(llm: GraphLlm, request: { prompt: Prompt; signal: AbortSignal | undefined; onText(piece: string): void }): Promise<LlmOutcome<string>> {
  return attempt(llm, async () => {
    const reply = await llm.model.text({ messages: messagesOf(request.prompt), onText: (piece) => request.onText(piece), ...(request.signal ? { signal: request.signal } : {}) });
    return { value: reply.text, usage: reply.usage };
  });
}

async function attempt<T>(llm: GraphLlm, call: () => Promise<{ value: T; usage: CallUsage }>): Promise<LlmOutcome<T>> {
  try {
    const { value, usage } = await call();
    return { ok: true, value, usage: addUsage(null, usage, llm.model.model, llm.prices) };
  } catch (error) {
    const failure = toAtlError(error, "llm");
    if (failure.code === "cancelled") {
      throw failure;
    }
    return { ok: false, failure };
  }
}

function messagesOf(prompt: Prompt): [{ role: "system"; content: string }, { role: "user"; content: string }] {
  return [
    { role: "system", content: prompt.system },
    { role: "user", content: prompt.user },
  ];
}

/** Rejects an LLM reply from inside a `check`: an llm-reply failure with this message. */
export function badReply(message: string): AtlError {
  return new AtlError("llm-reply", message);
}
