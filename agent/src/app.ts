// The agent service without a port: routing, authentication, validation, limits, the policy
// check and execution of every request, and one error handler. `handle()` is what tests call
// directly; `listener` adapts it to node:http (body limit, client disconnects). server.ts listens.
import type { IncomingMessage, ServerResponse } from "node:http";
import { RequestAuthenticator, type AgentKey, type RequestHeaders } from "./auth";
import type { AuditSink } from "./audit";
import type { AgentLimits } from "./config";
import { ProcessRunner, type RunOutcome } from "./exec";
import { hostInfo } from "./info";
import { hostDirectoryReader } from "./policy/glob";
import type { CommandPolicy, PolicyDecision } from "./policy/types";
import {
  checkRequestSchema,
  checkResponseSchema,
  execRequestSchema,
  execResponseSchema,
  healthResponseSchema,
  infoResponseSchema,
  type CheckResult,
  type ErrorResponse,
  type ExecResult,
} from "./protocol";
import { SchemaError, type Schema } from "./schema";
import { AGENT_VERSION } from "./version";

export interface AgentAppDeps {
  policy: CommandPolicy;
  keys: readonly AgentKey[];
  limits: AgentLimits;
  audit: AuditSink;
  /** OS name for /v1/info (read once at startup). */
  osName: string;
  /** Operational messages (stderr under systemd). Never receives a secret. */
  log: (message: string) => void;
  runner?: ProcessRunner;
  /** Clock for signature timestamps; tests move it. */
  now?: () => number;
}

export interface AgentRequest {
  method: string;
  /** Path and query exactly as in the request line (what the signature covers). */
  url: string;
  headers: RequestHeaders;
  body: Buffer;
  remoteAddress: string;
  /** Aborted when the client goes away: commands still running are stopped. */
  signal?: AbortSignal;
}

export interface AgentResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (request: AgentRequest, keyId: string) => Promise<AgentResponse> | AgentResponse;

interface Route {
  signed: boolean;
  handler: Handler;
}

/** An answer other than 200, with the reason the client shows. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): AgentResponse {
  return { status, headers, body };
}

function errorResponse(error: HttpError): AgentResponse {
  return json(error.status, { error: error.code, message: error.message } satisfies ErrorResponse, error.headers);
}

export class AgentApp {
  readonly runner: ProcessRunner;
  private readonly directories = hostDirectoryReader("/");
  private readonly authenticator: RequestAuthenticator;
  private readonly routes: Map<string, Map<string, Route>>;
  private readonly now: () => number;
  private activeExecs = 0;
  private draining = false;

  constructor(private readonly deps: AgentAppDeps) {
    this.runner = deps.runner ?? new ProcessRunner();
    this.authenticator = new RequestAuthenticator(deps.keys, { maxNonces: deps.limits.maxNonces });
    this.now = deps.now ?? Date.now;
    this.routes = new Map<string, Map<string, Route>>([
      ["/v1/health", new Map<string, Route>([["GET", { signed: false, handler: () => this.health() }]])],
      ["/v1/info", new Map<string, Route>([["GET", { signed: true, handler: () => this.info() }]])],
      ["/v1/check", new Map<string, Route>([["POST", { signed: true, handler: (r, k) => this.check(r, k) }]])],
      ["/v1/exec", new Map<string, Route>([["POST", { signed: true, handler: (r, k) => this.exec(r, k) }]])],
    ]);
  }

  get keyIds(): string[] {
    return this.authenticator.keyIds;
  }

  get executing(): number {
    return this.activeExecs;
  }

  /** Rotation without restart (SIGHUP). */
  replaceKeys(keys: readonly AgentKey[]): void {
    this.authenticator.replaceKeys(keys);
  }

  /** From now on exec requests get 503 and responses close their connection. */
  startDraining(): void {
    this.draining = true;
  }

  /** Answers one request. Never throws: unexpected failures become a 500 without internals. */
  async handle(request: AgentRequest): Promise<AgentResponse> {
    let response: AgentResponse;
    try {
      response = await this.dispatch(request);
    } catch (error) {
      if (error instanceof HttpError) {
        response = errorResponse(error);
      } else {
        this.deps.log(`error: ${request.method} ${pathOf(request.url)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        response = errorResponse(new HttpError(500, "internal", "The agent failed to answer this request; its log has the details."));
      }
    }
    if (this.draining) {
      response.headers.connection = "close";
    }
    return response;
  }

  /** node:http adapter: refuses early what it can (route, signature headers, size) before reading the body. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const remoteAddress = req.socket.remoteAddress ?? "unknown";
    const early = this.earlyRefusal(method, url, req.headers, remoteAddress);
    if (early) {
      // Do not read an unwanted body: answer and close.
      early.headers.connection = "close";
      send(res, early);
      return;
    }
    const limit = this.deps.limits.maxBodyBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) {
        return;
      }
      size += chunk.length;
      if (size > limit) {
        refused = true;
        send(res, tooLarge(limit, "close"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => {
      // The client broke the connection mid-body; nothing to answer.
      refused = true;
    });
    req.on("end", () => {
      if (refused) {
        return;
      }
      const abort = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) {
          abort.abort();
        }
      });
      const body = Buffer.concat(chunks, size);
      this.handle({ method, url, headers: req.headers, body, remoteAddress, signal: abort.signal }).then(
        (response) => send(res, response),
        // handle() never rejects; this is only for the type checker's peace.
        () => res.destroy(),
      );
    });
  };

  private earlyRefusal(method: string, url: string, headers: RequestHeaders, remoteAddress: string): AgentResponse | null {
    try {
      const route = this.route(method, url);
      if (route.signed) {
        const refused = this.authenticator.precheck(headers, this.now());
        if (refused) {
          this.refuseAuth(method, url, remoteAddress, refused.keyId, refused.reason);
        }
      }
      const declared = Number(headers["content-length"] ?? 0);
      if (declared > this.deps.limits.maxBodyBytes) {
        return tooLarge(this.deps.limits.maxBodyBytes, "close");
      }
      return null;
    } catch (error) {
      if (error instanceof HttpError) {
        return errorResponse(error);
      }
      throw error;
    }
  }

  private route(method: string, url: string): Route {
    const methods = this.routes.get(pathOf(url));
    if (!methods) {
      throw new HttpError(404, "not-found", `No such endpoint: ${pathOf(url).slice(0, 200)}. The agent serves /v1/health, /v1/info, /v1/check and /v1/exec.`);
    }
    const route = methods.get(method);
    if (!route) {
      const allowed = [...methods.keys()].join(", ");
      throw new HttpError(405, "method-not-allowed", `${pathOf(url)} accepts ${allowed}, not ${method.slice(0, 20)}.`, { allow: allowed });
    }
    return route;
  }

  private refuseAuth(method: string, url: string, client: string, keyId: string | null, reason: string): never {
    this.deps.audit.write({ event: "auth-refused", keyId, client, method, path: pathOf(url).slice(0, 200), reason });
    throw new HttpError(401, "unauthorized", `Request refused: ${reason}.`, { "www-authenticate": "ATL-HMAC-SHA256" });
  }

  private async dispatch(request: AgentRequest): Promise<AgentResponse> {
    const route = this.route(request.method, request.url);
    if (request.body.length > this.deps.limits.maxBodyBytes) {
      return tooLarge(this.deps.limits.maxBodyBytes);
    }
    let keyId = "";
    if (route.signed) {
      const outcome = this.authenticator.verify(request.method, request.url, request.headers, request.body, this.now());
      if (!outcome.ok) {
        if (outcome.busy) {
          throw new HttpError(429, "busy", `The agent is busy: ${outcome.reason}.`, { "retry-after": "1" });
        }
        this.refuseAuth(request.method, request.url, request.remoteAddress, outcome.keyId, outcome.reason);
      }
      keyId = outcome.keyId;
    }
    return route.handler(request, keyId);
  }

  private health(): AgentResponse {
    return json(200, validated(healthResponseSchema, { status: "ok", version: AGENT_VERSION }));
  }

  private info(): AgentResponse {
    return json(200, validated(infoResponseSchema, hostInfo(this.deps.osName, this.deps.policy.summary(), this.deps.limits)));
  }

  private check(request: AgentRequest, keyId: string): AgentResponse {
    const { commands } = parseBody(request, checkRequestSchema);
    this.checkCount(commands.length);
    const results: CheckResult[] = commands.map((command) => {
      const decision = this.decide(command);
      this.deps.audit.write({
        event: "check",
        keyId,
        client: request.remoteAddress,
        command,
        decision: decision.decision,
        risk: decision.risk,
        rule: decision.rule,
      });
      return { command, decision: decision.decision, risk: decision.risk, reason: decision.reason, rule: decision.rule, ...(decision.sampling ? { sampling: decision.sampling } : {}) };
    });
    return json(200, validated(checkResponseSchema, { results }));
  }

  private async exec(request: AgentRequest, keyId: string): Promise<AgentResponse> {
    const body = parseBody(request, execRequestSchema);
    this.checkCount(body.commands.length);
    if (this.draining) {
      throw new HttpError(503, "unavailable", "The agent is shutting down; try again when it is back.", { "retry-after": "5" });
    }
    if (!this.deps.audit.healthy) {
      throw new HttpError(503, "unavailable", "The agent cannot write its audit log, so it runs nothing; the agent's log has the cause.");
    }
    const { limits } = this.deps;
    if (this.activeExecs >= limits.maxConcurrent) {
      throw new HttpError(429, "busy", `The agent is already running ${this.activeExecs} requests (at most ${limits.maxConcurrent}); retry shortly.`, {
        "retry-after": "1",
      });
    }
    const timeoutSec = Math.min(body.timeoutSec ?? limits.defaultTimeoutSec, limits.maxTimeoutSec);
    this.activeExecs++;
    try {
      const results: ExecResult[] = [];
      for (const command of body.commands) {
        results.push(await this.execOne(command, timeoutSec, request, keyId));
      }
      return json(200, validated(execResponseSchema, { results }));
    } finally {
      this.activeExecs--;
    }
  }

  private async execOne(command: string, timeoutSec: number, request: AgentRequest, keyId: string): Promise<ExecResult> {
    const decision = await this.expanded(this.decide(command));
    const base = { command, decision: decision.decision, reason: decision.reason, rule: decision.rule };
    const ran = { ...(decision.executed ? { executed: decision.executed } : {}) };
    const audit = { event: "exec" as const, keyId, client: request.remoteAddress, command, decision: decision.decision, risk: decision.risk, rule: decision.rule, ...ran };
    if (decision.decision === "refused" || decision.program === null) {
      this.deps.audit.write({ ...audit, exitCode: null, signal: null, durationMs: 0, stdoutBytes: 0, stderrBytes: 0, truncated: false, timedOut: false, aborted: false });
      return { ...base, decision: "refused", exitCode: null, signal: null, stdout: "", stderr: "", durationMs: 0, truncated: false };
    }
    let outcome: RunOutcome;
    if (request.signal?.aborted) {
      outcome = notRun("not run: the request was cancelled");
    } else {
      outcome = await this.runner.run(decision.program, {
        timeoutMs: timeoutSec * 1000,
        maxOutputBytes: this.deps.limits.maxOutputBytes,
        killGraceMs: this.deps.limits.killGraceSec * 1000,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    }
    this.deps.audit.write({
      ...audit,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      durationMs: outcome.durationMs,
      stdoutBytes: outcome.stdoutBytes,
      stderrBytes: outcome.stderrBytes,
      truncated: outcome.truncated,
      timedOut: outcome.timedOut,
      aborted: outcome.aborted,
    });
    return {
      ...base,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      durationMs: outcome.durationMs,
      truncated: outcome.truncated,
      ...(outcome.timedOut ? { timedOut: true } : {}),
      ...(decision.sampling && !outcome.timedOut && !outcome.aborted ? { sampling: decision.sampling } : {}),
      ...ran,
    };
  }

  /** Path patterns expanded in the agent's own directories (cwd `/`, as commands run), checked again; a failure refuses. */
  private async expanded(decision: PolicyDecision): Promise<PolicyDecision> {
    try {
      return await this.deps.policy.expand(decision, this.directories);
    } catch (error) {
      this.deps.log(`error: expanding the patterns of a command failed and refused it: ${error instanceof Error ? error.message : String(error)}`);
      return { ...decision, decision: "refused", reason: "the patterns could not be expanded", rule: "refuse:internal:glob-error", program: null };
    }
  }

  /** The policy's decision; a policy failure refuses (fail closed) instead of failing the request. */
  private decide(command: string): PolicyDecision {
    try {
      return this.deps.policy.check(command);
    } catch (error) {
      this.deps.log(`error: the policy failed on a command and refused it: ${error instanceof Error ? error.message : String(error)}`);
      return {
        command,
        decision: "refused",
        risk: "mutating",
        reason: "the policy could not verify this command",
        rule: "refuse:internal:policy-error",
        segments: [],
        program: null,
      };
    }
  }

  private checkCount(count: number): void {
    if (count > this.deps.limits.maxCommands) {
      throw new HttpError(400, "bad-request", `Too many commands in one request: ${count} (at most ${this.deps.limits.maxCommands}).`);
    }
  }
}

function notRun(why: string): RunOutcome {
  return {
    exitCode: null,
    signal: null,
    stdout: "",
    stderr: `atl-agent: ${why}\n`,
    stdoutBytes: 0,
    stderrBytes: 0,
    truncated: false,
    timedOut: false,
    aborted: true,
    durationMs: 0,
  };
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q >= 0 ? url.slice(0, q) : url;
}

function tooLarge(limit: number, connection?: "close"): AgentResponse {
  return errorResponse(
    new HttpError(413, "too-large", `The request body is larger than the agent accepts (${limit} bytes); send fewer or shorter commands.`, connection ? { connection } : {}),
  );
}

function parseBody<T>(request: AgentRequest, schema: Schema<T>): T {
  const type = request.headers["content-type"];
  if (typeof type === "string" && !/^application\/json\b/i.test(type)) {
    throw new HttpError(400, "bad-request", `The body must be JSON (Content-Type: application/json), not ${type.slice(0, 100)}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString("utf8"));
  } catch (error) {
    throw new HttpError(400, "bad-request", `The body is not valid JSON: ${(error as Error).message}.`);
  }
  try {
    return schema.parse(value);
  } catch (error) {
    if (error instanceof SchemaError) {
      throw new HttpError(400, "bad-request", `Invalid request body: ${error.message}.`);
    }
    throw error;
  }
}

/** Responses are checked against the protocol's schemas too: a bug here is a 500, not a broken client. */
function validated<T>(schema: Schema<T>, body: T): T {
  schema.parse(body);
  return body;
}

function send(res: ServerResponse, response: AgentResponse): void {
  if (res.headersSent || res.destroyed) {
    return;
  }
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...response.headers,
  });
  res.end(payload);
}
