// The agent service without a port: routing, authentication, validation, limits, the policy
// check and execution of every request, and one error handler. `handle()` is what tests call
// directly; `listener` adapts it to node:http (body limit, client disconnects, the exec answer
// streamed result by result). server.ts listens.
//
// What an exec request does, in order: signature, audit log writable (else 503), then per command:
// policy decision → `exec-start` record and the request's nonce (replay journal) on disk — the two
// writes overlap — → run → `exec` result record. Nothing starts once the agent is shutting down,
// the client is gone, or the audit log or the journal failed; those commands are answered as not run.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { RequestAuthenticator, type AgentKey, type AuthRefusalKind, type RequestHeaders } from "./auth";
import { AuthRefusalTally, type AuditEntry, type AuditSink, type NotRunReason } from "./audit";
import type { AgentLimits } from "./config";
import { CapturedText, ProcessRunner, notStartedOutcome, type OutputBudget, type RunOutcome } from "./exec";
import { hostInfo } from "./info";
import { hostDirectoryReader } from "./policy/glob";
import type { CommandPolicy, PolicyDecision } from "./policy/types";
import {
  checkRequestSchema,
  checkResponseSchema,
  execRequestSchema,
  execResultSchema,
  healthResponseSchema,
  infoResponseSchema,
  type CheckResult,
  type ErrorResponse,
  type ExecResult,
} from "./protocol";
import type { JournalEntry } from "./replay";
import { SchemaError, type Schema } from "./schema";
import { AGENT_VERSION } from "./version";

/** Where accepted nonces are made durable before a request is acted on (replay.ts). */
export interface NonceJournal {
  commit(nonce: string, expiresAtMs: number): Promise<void>;
  /** False after a failed write, until one succeeds. */
  readonly healthy: boolean;
}

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
  /**
   * The replay journal and the nonces it still holds from earlier runs. Without one, `floorSec`
   * (unix s; server.ts passes startFloorSec(start)) refuses requests signed before
   * the agent started, and timestamps may be only a few seconds ahead.
   */
  journal?: NonceJournal | null;
  liveNonces?: readonly JournalEntry[];
  floorSec?: number;
  /** A connection carried a valid signature: it is kept longer than anonymous ones (connections.ts). */
  onAuthenticated?: (socket: Socket) => void;
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
  /** Called once the signature is verified. */
  onAuthenticated?: () => void;
}

export interface AgentResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * A 200 answer produced piece by piece (the exec results): each result is serialized and sent when
 * its command ends, so the answer is never built whole. The pieces are JSON text.
 */
interface StreamedResponse {
  status: 200;
  headers: Record<string, string>;
  chunks: AsyncGenerator<string, void, undefined>;
}

type Answer = AgentResponse | StreamedResponse;

/** `recorded`: resolves once the request's nonce is on disk (rejects when it cannot be). */
type Handler = (request: AgentRequest, keyId: string, recorded: Promise<void>) => Promise<Answer> | Answer;

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

/** Pieces of a streamed answer are sent once they reach this size (or a result ends). */
const PIECE_CHARS = 64 * 1024;

export class AgentApp {
  readonly runner: ProcessRunner;
  private readonly directories = hostDirectoryReader("/");
  private readonly authenticator: RequestAuthenticator;
  private readonly refusals: AuthRefusalTally;
  private readonly routes: Map<string, Map<string, Route>>;
  private readonly now: () => number;
  private activeExecs = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private draining = false;

  constructor(private readonly deps: AgentAppDeps) {
    this.runner = deps.runner ?? new ProcessRunner();
    this.now = deps.now ?? Date.now;
    this.authenticator = new RequestAuthenticator(deps.keys, {
      maxNonces: deps.limits.maxNonces,
      ...(deps.journal || deps.floorSec === undefined ? {} : { floorSec: deps.floorSec }),
    });
    this.authenticator.nonces.preload(deps.liveNonces ?? [], this.now());
    this.refusals = new AuthRefusalTally(deps.audit, deps.limits.authAuditIntervalSec * 1000);
    this.routes = new Map<string, Map<string, Route>>([
      ["/v1/health", new Map<string, Route>([["GET", { signed: false, handler: () => this.health() }]])],
      ["/v1/info", new Map<string, Route>([["GET", { signed: true, handler: async (_r, _k, recorded) => (await this.untilRecorded(recorded), this.info()) }]])],
      ["/v1/check", new Map<string, Route>([["POST", { signed: true, handler: async (r, k, recorded) => (await this.untilRecorded(recorded), this.check(r, k)) }]])],
      // Exec overlaps the nonce's write with the first command's audit record (see execOne).
      ["/v1/exec", new Map<string, Route>([["POST", { signed: true, handler: (r, k, recorded) => this.exec(r, k, recorded) }]])],
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

  /**
   * Shutdown: from now on no command starts — new exec requests get 503, the remaining commands of
   * running requests are answered as not run — and responses close their connection. Commands
   * already running go on until the server stops them.
   */
  startDraining(): void {
    this.draining = true;
    this.runner.close();
  }

  /** Resolves when no exec request is in flight (every answer produced). */
  idle(): Promise<void> {
    if (this.activeExecs === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Writes the pending refused-signature counts. */
  close(): void {
    this.refusals.close();
  }

  /** Answers one request with its whole body (tests; the listener streams). Never throws. */
  async handle(request: AgentRequest): Promise<AgentResponse> {
    const answer = await this.answer(request);
    if (!("chunks" in answer)) {
      return answer;
    }
    let text = "";
    for await (const chunk of answer.chunks) {
      text += chunk;
    }
    return { status: answer.status, headers: answer.headers, body: JSON.parse(text) as unknown };
  }

  /** The answer to one request. Never throws: unexpected failures become a 500 without internals. */
  private async answer(request: AgentRequest): Promise<Answer> {
    let response: Answer;
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
      const onAuthenticated = this.deps.onAuthenticated ? () => this.deps.onAuthenticated?.(req.socket) : undefined;
      this.answer({ method, url, headers: req.headers, body, remoteAddress, signal: abort.signal, ...(onAuthenticated ? { onAuthenticated } : {}) })
        .then((answer) => ("chunks" in answer ? stream(res, answer, this.deps.log) : send(res, answer)))
        // answer() never rejects and stream() settles every piece; this is a bug guard.
        .catch((error: unknown) => {
          this.deps.log(`error: answering ${method} ${pathOf(url)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          res.destroy();
        });
    });
  };

  private earlyRefusal(method: string, url: string, headers: RequestHeaders, remoteAddress: string): AgentResponse | null {
    try {
      const route = this.route(method, url);
      if (route.signed) {
        const refused = this.authenticator.precheck(headers, this.now());
        if (refused) {
          this.refuseAuth(url, remoteAddress, refused.kind, refused.keyId, refused.reason);
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

  private refuseAuth(url: string, client: string, kind: AuthRefusalKind, keyId: string | null, reason: string): never {
    this.refusals.add({ client, kind, keyId, path: pathOf(url).slice(0, 200), reason });
    throw new HttpError(401, "unauthorized", `Request refused: ${reason}.`, { "www-authenticate": "ATL-HMAC-SHA256" });
  }

  private async dispatch(request: AgentRequest): Promise<Answer> {
    const route = this.route(request.method, request.url);
    if (request.body.length > this.deps.limits.maxBodyBytes) {
      return tooLarge(this.deps.limits.maxBodyBytes);
    }
    let keyId = "";
    let recorded = Promise.resolve();
    if (route.signed) {
      const outcome = this.authenticator.verify(request.method, request.url, request.headers, request.body, this.now());
      if (!outcome.ok) {
        if (outcome.kind === "busy") {
          throw new HttpError(429, "busy", `The agent is busy: ${outcome.reason}.`, { "retry-after": "1" });
        }
        this.refuseAuth(request.url, request.remoteAddress, outcome.kind, outcome.keyId, outcome.reason);
      }
      keyId = outcome.keyId;
      request.onAuthenticated?.();
      const { journal } = this.deps;
      if (journal) {
        // On disk before anything is acted on: after a restart this request is still a replay.
        const wasHealthy = journal.healthy;
        recorded = journal.commit(outcome.nonce, outcome.expiresAtMs);
        recorded.catch((error: unknown) => this.deps.log(`error: ${error instanceof Error ? error.message : String(error)}; acting on no signed request until it can`));
        if (!wasHealthy) {
          // After a failure each request probes the journal first: 503 until a write gets through.
          await this.untilRecorded(recorded);
        }
      }
    }
    return route.handler(request, keyId, recorded);
  }

  /** Waits for the request's nonce to be on disk; a journal that cannot be written refuses (503). */
  private async untilRecorded(recorded: Promise<void>): Promise<void> {
    try {
      await recorded;
    } catch {
      throw new HttpError(503, "unavailable", "The agent cannot record this request in its replay journal, so it does not act on it; the agent's log has the cause.", {
        "retry-after": "5",
      });
    }
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
      this.audit({
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

  private async exec(request: AgentRequest, keyId: string, recorded: Promise<void>): Promise<Answer> {
    const body = parseBody(request, execRequestSchema);
    this.checkCount(body.commands.length);
    if (this.draining) {
      throw new HttpError(503, "unavailable", "The agent is shutting down; try again when it is back.", { "retry-after": "5" });
    }
    // A failed log is probed again by each new request: it runs again as soon as a record gets through.
    if (!this.deps.audit.healthy && !(await this.deps.audit.recover())) {
      throw new HttpError(503, "unavailable", "The agent cannot write its audit log, so it runs nothing; the agent's log has the cause.", { "retry-after": "5" });
    }
    const { limits } = this.deps;
    if (this.activeExecs >= limits.maxConcurrent) {
      throw new HttpError(429, "busy", `The agent is already running ${this.activeExecs} requests (at most ${limits.maxConcurrent}); retry shortly.`, {
        "retry-after": "1",
      });
    }
    const timeoutSec = Math.min(body.timeoutSec ?? limits.defaultTimeoutSec, limits.maxTimeoutSec);
    // Released when the answer is complete (the generator's finally); both consumers run it to the end.
    this.activeExecs++;
    return { status: 200, headers: {}, chunks: this.execAnswer(body.commands, { request, keyId, timeoutSec, recorded }) };
  }

  /** The exec answer as JSON pieces: a result per command, sent as each command ends. */
  private async *execAnswer(
    commands: string[],
    { request, keyId, timeoutSec, recorded }: Pick<ExecContext, "request" | "keyId" | "timeoutSec" | "recorded">,
  ): AsyncGenerator<string, void, undefined> {
    const context: ExecContext = {
      request,
      keyId,
      timeoutSec,
      recorded,
      id: randomBytes(6).toString("hex"),
      budget: { remaining: this.deps.limits.maxResponseBytes, total: this.deps.limits.maxResponseBytes },
    };
    try {
      let pending = '{"results":[';
      for (const [index, command] of commands.entries()) {
        const { result, stdout, stderr } = await this.execOne(command, index, context);
        validated(execResultSchema, { ...result, stdout: "", stderr: "" });
        for (const piece of resultPieces(result, stdout, stderr, index > 0)) {
          pending += piece;
          if (pending.length >= PIECE_CHARS) {
            yield pending;
            pending = "";
          }
        }
        if (index === commands.length - 1) {
          pending += "]}";
        }
        // The next command may take a while: what is ready goes out now.
        yield pending;
        pending = "";
      }
    } finally {
      this.activeExecs--;
      if (this.activeExecs === 0) {
        for (const wake of this.idleWaiters.splice(0)) {
          wake();
        }
      }
    }
  }

  /** Runs one command; its result without the output, which is streamed from `stdout` and `stderr`. */
  private async execOne(command: string, index: number, context: ExecContext): Promise<{ result: ResultHead; stdout: CapturedText; stderr: CapturedText }> {
    const { request, keyId } = context;
    const decision = await this.expanded(this.decide(command));
    const base = { command, decision: decision.decision, reason: decision.reason, rule: decision.rule };
    const ran = { ...(decision.executed ? { executed: decision.executed } : {}) };
    const record = { request: context.id, index, keyId, client: request.remoteAddress, command, risk: decision.risk, rule: decision.rule, ...ran };
    if (decision.decision === "refused" || decision.program === null) {
      this.audit({ event: "exec", ...record, decision: "refused", ...EMPTY_OUTCOME });
      return { result: { ...base, decision: "refused", exitCode: null, signal: null, durationMs: 0, truncated: false }, stdout: NO_OUTPUT, stderr: NO_OUTPUT };
    }
    let outcome: RunOutcome;
    let notRun: NotRunReason | null = this.draining ? "shutting-down" : request.signal?.aborted ? "cancelled" : null;
    if (notRun === null) {
      // Both on disk before the command starts: no command runs that the log does not know of, and
      // none that a restarted agent would not recognize as replayed. The two writes overlap.
      const [nonce, started] = await Promise.allSettled([context.recorded, this.deps.audit.append({ event: "exec-start", ...record })]);
      const failed = nonce.status === "rejected" ? nonce : started.status === "rejected" ? started : null;
      if (failed) {
        notRun = nonce.status === "rejected" ? "journal-unavailable" : "audit-unavailable";
        this.deps.log(`error: not running "${command.slice(0, 200)}" (request ${context.id}): ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
      }
    }
    if (notRun === null) {
      outcome = await this.runner.run(decision.program, {
        timeoutMs: context.timeoutSec * 1000,
        maxOutputBytes: this.deps.limits.maxOutputBytes,
        killGraceMs: this.deps.limits.killGraceSec * 1000,
        budget: context.budget,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      if (outcome.notStarted) {
        notRun = "shutting-down";
      }
    } else {
      outcome = notStartedOutcome(NOT_RUN_TEXT[notRun]);
    }
    this.audit({
      event: "exec",
      ...record,
      decision: "allowed",
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      durationMs: outcome.durationMs,
      stdoutBytes: outcome.stdoutBytes,
      stderrBytes: outcome.stderrBytes,
      truncated: outcome.truncated,
      timedOut: outcome.timedOut,
      aborted: outcome.aborted,
      ...(notRun === null ? {} : { notRun }),
    });
    return {
      result: {
        ...base,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        durationMs: outcome.durationMs,
        truncated: outcome.truncated,
        ...(outcome.timedOut ? { timedOut: true } : {}),
        ...(decision.sampling && !outcome.timedOut && !outcome.aborted ? { sampling: decision.sampling } : {}),
        ...ran,
        ...(outcome.stdout.binary ? { stdoutBinary: true } : {}),
        ...(outcome.stderr.binary ? { stderrBinary: true } : {}),
        ...(notRun === null ? {} : { notRun }),
      },
      stdout: outcome.stdout,
      stderr: outcome.stderr,
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

  /**
   * A record nothing waits for (an outcome, a check): written at once, on disk with the next
   * command's start record. A failure is the log's to report (and stops commands).
   */
  private audit(entry: AuditEntry): void {
    this.deps.audit.append(entry, { durable: false }).catch(() => undefined);
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

interface ExecContext {
  request: AgentRequest;
  keyId: string;
  timeoutSec: number;
  /** The request's nonce on disk. */
  recorded: Promise<void>;
  /** Pairs a command's exec-start and exec records. */
  id: string;
  budget: OutputBudget;
}

const EMPTY_OUTCOME = { exitCode: null, signal: null, durationMs: 0, stdoutBytes: 0, stderrBytes: 0, truncated: false, timedOut: false, aborted: false };

const NOT_RUN_TEXT: Record<NotRunReason, string> = {
  cancelled: "the request was cancelled",
  "shutting-down": "the agent is shutting down",
  "audit-unavailable": "the agent cannot write its audit log",
  "journal-unavailable": "the agent cannot record the request in its replay journal",
};

/** An exec result without its output (streamed separately). */
type ResultHead = Omit<ExecResult, "stdout" | "stderr">;

const NO_OUTPUT = new CapturedText(Buffer.alloc(0));

/**
 * One result as JSON text in pieces: the small fields at once, stdout and stderr piece by piece from
 * the kept bytes, so a megabyte of output never becomes a megabyte-sized string.
 */
function* resultPieces(result: ResultHead, stdout: CapturedText, stderr: CapturedText, comma: boolean): Generator<string> {
  const head = JSON.stringify(result);
  yield `${comma ? "," : ""}${head.slice(0, -1)},"stdout":"`;
  for (const piece of stdout.pieces()) {
    yield JSON.stringify(piece).slice(1, -1);
  }
  yield '","stderr":"';
  for (const piece of stderr.pieces()) {
    yield JSON.stringify(piece).slice(1, -1);
  }
  yield '"}';
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

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" };

function send(res: ServerResponse, response: AgentResponse): void {
  sendText(res, response.status, response.headers, JSON.stringify(response.body));
}

function sendText(res: ServerResponse, status: number, headers: Record<string, string>, payload: string): void {
  if (res.headersSent || res.destroyed) {
    return;
  }
  res.writeHead(status, { ...JSON_HEADERS, "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/**
 * Sends a streamed answer. An answer that fits in one piece goes out with a Content-Length like any
 * other; a longer one is sent chunked, each piece once the client has taken the previous ones
 * (so a slow reader holds back the next command instead of filling the agent's memory). The
 * generator always runs to its end, also when the client is gone: the remaining commands are then
 * answered (and audited) as cancelled.
 */
async function stream(res: ServerResponse, answer: StreamedResponse, log: (message: string) => void): Promise<void> {
  const { chunks } = answer;
  try {
    const first = await chunks.next();
    const second = first.done ? first : await chunks.next();
    if (second.done) {
      sendText(res, answer.status, answer.headers, first.done ? "" : first.value);
      return;
    }
    if (!res.destroyed) {
      res.writeHead(answer.status, { ...JSON_HEADERS, ...answer.headers });
    }
    await writePiece(res, first.done ? "" : first.value);
    await writePiece(res, second.value);
    for await (const piece of chunks) {
      await writePiece(res, piece);
    }
    if (!res.destroyed) {
      res.end();
    }
  } catch (error) {
    // A bug in producing the answer: the client sees a broken response rather than a wrong one.
    log(`error: the exec answer failed midway: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    res.destroy();
    // Let the commands behind it be answered as cancelled and their slot be released.
    for await (const piece of chunks) {
      void piece;
    }
  }
}

function writePiece(res: ServerResponse, piece: string): Promise<void> {
  if (res.destroyed || res.writableEnded || piece === "") {
    return Promise.resolve();
  }
  if (res.write(piece)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = (): void => {
      res.removeListener("drain", done);
      res.removeListener("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
