// One structured LLM call, validated: the reply must parse and satisfy the zod schema, or the call
// fails with AtlError("llm-reply") — never a silent `undefined` (functionCalling returns one when
// the model answers in prose). Transport failures are mapped to llm-timeout / llm-config / llm.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessageLike } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { z } from "zod";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import { EditorChatModel } from "./editorChatModel";
import type { StructuredOutputMethod } from "./settings";
import type { CallUsage } from "./usage";

const t: Translate = translate;

export interface StructuredCall<S extends z.ZodType> {
  schema: S;
  /** Schema name sent to the API (`response_format.json_schema.name` / the tool name). */
  name: string;
  method: StructuredOutputMethod;
  messages: BaseMessageLike[];
  config?: RunnableConfig;
}

export interface StructuredResult<T> {
  value: T;
  usage: CallUsage;
}

interface RawMessage {
  content?: unknown;
  tool_calls?: { args?: unknown }[];
  usage_metadata?: { input_tokens?: number; output_tokens?: number };
}

type StructuredRunnable = { invoke(input: BaseMessageLike[], config?: RunnableConfig): Promise<unknown> };

/** Built once per model, schema and method: converting the zod schema to JSON schema is not free. */
const runnables = new WeakMap<BaseChatModel, Map<string, { schema: z.ZodType; runnable: StructuredRunnable }>>();

function structuredRunnable(model: BaseChatModel, call: StructuredCall<z.ZodType>): StructuredRunnable {
  let byKey = runnables.get(model);
  if (!byKey) {
    byKey = new Map();
    runnables.set(model, byKey);
  }
  const key = `${call.name}\u0000${call.method}`;
  const cached = byKey.get(key);
  if (cached && cached.schema === call.schema) {
    return cached.runnable;
  }
  // The editor's API has neither response_format nor forced tool calls: JSON by instruction.
  const runnable: StructuredRunnable =
    model instanceof EditorChatModel
      ? model.structured(call.schema, call.name)
      : model
          .withStructuredOutput(call.schema, { name: call.name, method: call.method, includeRaw: true, strict: call.method === "jsonSchema" ? true : undefined })
          .withConfig({ tags: ["nostream"], runName: `atl.${call.name}` });
  byKey.set(key, { schema: call.schema, runnable });
  return runnable;
}

export async function invokeStructured<S extends z.ZodType>(model: BaseChatModel, call: StructuredCall<S>): Promise<StructuredResult<z.infer<S>>> {
  const runnable = structuredRunnable(model, call);
  let result: { raw: unknown; parsed: unknown };
  try {
    result = (await runnable.invoke(call.messages, call.config)) as { raw: unknown; parsed: unknown };
  } catch (error) {
    const issues = zodIssues(error);
    if (issues) {
      throw new AtlError("llm-reply", t("The LLM's {0} reply does not match ATL's schema ({1}).", call.name, issues), { cause: error, fix: t("Try again or use a stronger model.") });
    }
    if (isParseFailure(error)) {
      throw new AtlError("llm-reply", t("The LLM's reply to the {0} request was not the JSON ATL asked for ({1}).", call.name, (error as Error).message.split("\n")[0].slice(0, 120)), {
        cause: error,
        fix: t("Try again, or set atl.llm.structuredOutputMethod to functionCalling or jsonMode if the server does not support JSON schema."),
      });
    }
    throw llmError(error);
  }
  const raw = (result.raw ?? {}) as RawMessage;
  const usage: CallUsage = { promptTokens: raw.usage_metadata?.input_tokens ?? 0, completionTokens: raw.usage_metadata?.output_tokens ?? 0 };
  const candidate = result.parsed ?? recoverJson(raw);
  if (candidate === null || candidate === undefined) {
    const shown = preview(raw);
    throw new AtlError(
      "llm-reply",
      shown === null
        ? t("The LLM's reply to the {0} request was not the JSON ATL asked for: (empty reply)", call.name)
        : t("The LLM's reply to the {0} request was not the JSON ATL asked for: {1}", call.name, shown),
      { fix: t("Try again, or set atl.llm.structuredOutputMethod to functionCalling or jsonMode if the server does not support JSON schema.") },
    );
  }
  const checked = call.schema.safeParse(candidate);
  if (!checked.success) {
    const issues = checked.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new AtlError("llm-reply", t("The LLM's {0} reply does not match ATL's schema ({1}).", call.name, issues), { fix: t("Try again or use a stronger model.") });
  }
  return { value: checked.data, usage };
}

/** The parser validated the reply with zod itself and threw: summarize the first issues. */
function zodIssues(error: unknown): string | null {
  const issues = (error as { issues?: unknown })?.issues;
  if (!Array.isArray(issues) || issues.length === 0) {
    return null;
  }
  return issues
    .slice(0, 3)
    .map((issue: { path?: unknown[]; message?: string }) => `${(issue.path ?? []).join(".") || "(root)"}: ${issue.message ?? "invalid"}`)
    .join("; ");
}

function isParseFailure(error: unknown): boolean {
  const e = error as { name?: string; message?: string; lc_error_code?: string };
  return e?.name === "SyntaxError" || e?.name === "OutputParserException" || e?.lc_error_code === "OUTPUT_PARSING_FAILURE" || /is not valid JSON|Failed to parse/i.test(e?.message ?? "");
}

/** Replies ATL can still read when the parser gave up: a tool call's args, or JSON in (fenced) text. */
function recoverJson(raw: RawMessage): unknown {
  const args = raw.tool_calls?.[0]?.args;
  if (args && typeof args === "object") {
    return args;
  }
  if (typeof raw.content !== "string") {
    return null;
  }
  const text = raw.content.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = fenced ? fenced[1] : text;
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  if (start < 0 || end <= start) {
    return null;
  }
  try {
    return JSON.parse(body.slice(start, end + 1)) as unknown;
  } catch {
    return null;
  }
}

/** The start of the reply in quotes, or null when it is empty. */
function preview(raw: RawMessage): string | null {
  const text = typeof raw.content === "string" ? raw.content : JSON.stringify(raw.content ?? "");
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length === 0 ? null : `“${oneLine.slice(0, 80)}${oneLine.length > 80 ? "…" : ""}”`;
}

/** Maps an OpenAI/LangChain client failure to an AtlError with something to do about it. */
export function llmError(error: unknown): AtlError {
  if (error instanceof AtlError) {
    return error;
  }
  const e = (error ?? {}) as { name?: string; status?: number; message?: string; constructor?: { name?: string } };
  const message = typeof e.message === "string" ? e.message.split("\n")[0].slice(0, 200) : String(error);
  const kind = e.constructor?.name ?? "";
  if (e.name === "AbortError" && /abort/i.test(message) && !/timed? ?out/i.test(message)) {
    return new AtlError("cancelled", t("The LLM request was cancelled."), { cause: error });
  }
  if (e.name === "TimeoutError" || kind === "APIConnectionTimeoutError" || /timed? ?out/i.test(message)) {
    return new AtlError("llm-timeout", t("The LLM did not answer in time."), { cause: error, fix: t("Raise atl.llm.timeoutSeconds or check the server.") });
  }
  switch (e.status) {
    case 401:
    case 403:
      return new AtlError("llm-config", t("The LLM server refused the API key ({0}).", e.status), { cause: error, fix: t("Run “ATL: Set LLM API key” (CLI: OPENAI_API_KEY).") });
    case 404:
      return new AtlError("llm-config", t("The LLM server does not know this model or URL (404): {0}", message), { cause: error, fix: t("Check atl.llm.model and atl.llm.baseUrl.") });
    case 429:
      return new AtlError("llm", t("The LLM server is rate limiting requests (429)."), { cause: error, fix: t("Wait a moment and try again.") });
    default:
      break;
  }
  if (kind === "APIConnectionError" || /ECONNREFUSED|ENOTFOUND|fetch failed|Connection error/i.test(message)) {
    return new AtlError("llm", t("Cannot reach the LLM server: {0}", message), { cause: error, fix: t("Check atl.llm.baseUrl and the network.") });
  }
  return new AtlError("llm", t("The LLM request failed: {0}", message), { cause: error });
}
