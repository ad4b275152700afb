// A scripted OpenAI-compatible chat server on 127.0.0.1:0: the only stand-in ATL's tests use. It
// speaks the real HTTP API (`POST …/chat/completions`, plain JSON and SSE streaming with `usage`),
// answers from a per-test script, and records every request so tests can assert what reached the
// "LLM" (redaction, budgets, fencing).
//
//   const llm = await startScriptedLlm([{ schema: "command_plan", json: { rationale: "…", commands: [] } }]);
//   new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "test", configuration: { baseURL: llm.url } });
//   …; assert.equal(llm.requests.length, 1); await llm.close();
//
// Matching: each request takes the first unused reply whose `schema` (structured-output schema name,
// forced tool name, or for jsonMode the "(schema: NAME)" ATL's prompts carry) and `contains`
// (substring of the request's message text) match; `times` lets a reply
// serve several requests (Infinity: forever). Unmatched requests get the `fallback` reply if set,
// otherwise HTTP 500 with "no scripted reply" (and are still recorded). Works for any path ending in
// `/chat/completions`, so Azure deployments URLs (`/openai/deployments/D/chat/completions`) work too.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedReply {
  /** Only for requests whose structured-output schema name or forced tool name is this. */
  schema?: string;
  /** Only for requests whose messages contain this text (or match this expression). */
  contains?: string | RegExp;
  /** Any further predicate on the request. */
  when?: (request: RecordedRequest) => boolean;
  /**
   * A structured reply: sent as a tool call when the request offers tools, otherwise as the
   * message content (JSON text). Ignored when `text` is set.
   */
  json?: unknown;
  /** Like `json`, computed from the request (e.g. to quote output the prompt carried). */
  jsonFrom?: (request: RecordedRequest) => unknown;
  /** Raw assistant content, sent as is (e.g. "not json at all"). */
  text?: string;
  /** Answer with this HTTP status and body instead of a completion. */
  status?: number;
  body?: string;
  /** Wait before answering (e.g. longer than the client's timeout); the connection stays open. */
  delayMs?: number;
  /** Token counts reported in `usage`; default: estimated from the text (chars / 4). */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** How many requests this reply serves; default 1. */
  times?: number;
}

export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: ChatRequestBody;
  /** All message contents joined with newlines: what the model "read". */
  text: string;
  /** The structured-output schema name or forced tool name, if any. */
  schema: string | null;
  stream: boolean;
  /** Index of the script entry that answered, -1 for the fallback, null when unanswered. */
  replyIndex: number | null;
}

export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { type: string; function: { name: string } }[];
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name?: string; strict?: boolean; schema?: unknown } };
  [key: string]: unknown;
}

export interface ScriptedLlm {
  /** Base URL for `configuration.baseURL` / `--llm-base-url`, ending in `/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Adds replies to the end of the script. */
  push(...replies: ScriptedReply[]): void;
  /** Replies that have not been used up. */
  remaining(): ScriptedReply[];
  close(): Promise<void>;
}

export interface ScriptedLlmOptions {
  /** Used when no scripted reply matches. */
  fallback?: ScriptedReply;
  /** Default model name echoed in replies. */
  model?: string;
}

interface Entry {
  reply: ScriptedReply;
  left: number;
}

export async function startScriptedLlm(replies: ScriptedReply[] = [], options: ScriptedLlmOptions = {}): Promise<ScriptedLlm> {
  const entries: Entry[] = replies.map((reply) => ({ reply, left: reply.times ?? 1 }));
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  let counter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void answer(req, res, Buffer.concat(chunks).toString("utf8"));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (req.method !== "POST" || !path.endsWith("/chat/completions")) {
      send(res, 404, { error: { message: `scripted LLM: no route ${req.method} ${path}`, type: "invalid_request_error" } });
      return;
    }
    let body: ChatRequestBody;
    try {
      body = JSON.parse(raw) as ChatRequestBody;
    } catch {
      send(res, 400, { error: { message: "scripted LLM: body is not JSON", type: "invalid_request_error" } });
      return;
    }
    const recorded: RecordedRequest = {
      path,
      headers: req.headers,
      body,
      text: messageText(body),
      schema: schemaName(body),
      stream: body.stream === true,
      replyIndex: null,
    };
    requests.push(recorded);

    const index = entries.findIndex((entry) => entry.left > 0 && matches(entry.reply, recorded));
    let reply: ScriptedReply | undefined;
    if (index >= 0) {
      const entry = entries[index];
      entry.left -= 1;
      reply = entry.reply;
      recorded.replyIndex = index;
    } else if (options.fallback) {
      reply = options.fallback;
      recorded.replyIndex = -1;
    }
    if (!reply) {
      send(res, 500, { error: { message: `scripted LLM: no scripted reply for request #${requests.length} (schema ${recorded.schema ?? "none"})`, type: "server_error" } });
      return;
    }
    if (reply.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (res.destroyed || req.socket.destroyed) {
        return;
      }
    }
    if (reply.status !== undefined) {
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(reply.body ?? JSON.stringify({ error: { message: `scripted status ${reply.status}`, type: "server_error" } }));
      return;
    }
    counter += 1;
    const completion = buildCompletion(reply, recorded, `chatcmpl-scripted-${counter}`, body.model ?? options.model ?? "scripted");
    if (recorded.stream) {
      streamCompletion(res, completion, body.stream_options?.include_usage === true);
    } else {
      send(res, 200, completion);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    push(...more: ScriptedReply[]) {
      entries.push(...more.map((reply) => ({ reply, left: reply.times ?? 1 })));
    },
    remaining() {
      return entries.filter((e) => e.left > 0).map((e) => e.reply);
    },
    close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function matches(reply: ScriptedReply, request: RecordedRequest): boolean {
  if (reply.schema !== undefined && reply.schema !== request.schema) {
    return false;
  }
  if (reply.contains !== undefined) {
    const ok = typeof reply.contains === "string" ? request.text.includes(reply.contains) : reply.contains.test(request.text);
    if (!ok) {
      return false;
    }
  }
  return reply.when ? reply.when(request) : true;
}

function messageText(body: ChatRequestBody): string {
  return (body.messages ?? [])
    .map((m) => {
      if (typeof m.content === "string") {
        return m.content;
      }
      if (Array.isArray(m.content)) {
        return m.content.map((part: { text?: string }) => part.text ?? "").join("");
      }
      return "";
    })
    .join("\n");
}

function schemaName(body: ChatRequestBody): string | null {
  const fromFormat = body.response_format?.json_schema?.name;
  if (fromFormat) {
    return fromFormat;
  }
  const choice = body.tool_choice as { function?: { name?: string } } | string | undefined;
  if (typeof choice === "object" && choice?.function?.name) {
    return choice.function.name;
  }
  if (body.tools?.length === 1) {
    return body.tools[0].function.name;
  }
  // jsonMode carries no schema name; ATL's prompts name it as "(schema: NAME)".
  return /\(schema: ([A-Za-z0-9_-]+)\)/.exec(messageText(body))?.[1] ?? null;
}

interface Completion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: "assistant"; content: string | null; tool_calls?: ToolCall[]; refusal: null };
    finish_reason: "stop" | "tool_calls";
    logprobs: null;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

function buildCompletion(scripted: ScriptedReply, request: RecordedRequest, id: string, model: string): Completion {
  const reply = scripted.jsonFrom ? { ...scripted, json: scripted.jsonFrom(request) } : scripted;
  let content: string | null;
  let toolCalls: ToolCall[] | undefined;
  const tools = request.body.tools ?? [];
  if (reply.text !== undefined) {
    content = reply.text;
  } else if (tools.length > 0 && reply.json !== undefined) {
    content = null;
    toolCalls = [{ id: `call_${id}`, type: "function", function: { name: request.schema ?? tools[0].function.name, arguments: JSON.stringify(reply.json) } }];
  } else {
    content = reply.json === undefined ? "" : JSON.stringify(reply.json);
  }
  const completionText = content ?? toolCalls?.[0]?.function.arguments ?? "";
  const usage = reply.usage ?? { prompt_tokens: Math.ceil(request.text.length / 4), completion_tokens: Math.ceil(completionText.length / 4) };
  return {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, ...(toolCalls ? { tool_calls: toolCalls } : {}), refusal: null },
        finish_reason: toolCalls ? "tool_calls" : "stop",
        logprobs: null,
      },
    ],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** Server-sent events the way OpenAI streams: role, content (or tool-call argument) deltas, finish, usage, [DONE]. */
function streamCompletion(res: http.ServerResponse, completion: Completion, includeUsage: boolean): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const base = { id: completion.id, object: "chat.completion.chunk", created: completion.created, model: completion.model };
  const event = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
  const choice = completion.choices[0];
  const delta = (d: Record<string, unknown>, finish: string | null = null) => event({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish, logprobs: null }] });

  delta({ role: "assistant", content: "" });
  const toolCall = choice.message.tool_calls?.[0];
  if (toolCall) {
    delta({ tool_calls: [{ index: 0, id: toolCall.id, type: "function", function: { name: toolCall.function.name, arguments: "" } }] });
    for (const piece of pieces(toolCall.function.arguments)) {
      delta({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
    }
  } else {
    for (const piece of pieces(choice.message.content ?? "")) {
      delta({ content: piece });
    }
  }
  delta({}, choice.finish_reason);
  if (includeUsage) {
    event({ ...base, choices: [], usage: completion.usage });
  }
  res.end("data: [DONE]\n\n");
}

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 24) {
    out.push(text.slice(i, i + 24));
  }
  return out;
}

function send(res: http.ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
