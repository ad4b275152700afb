// Agent HTTP protocol v1 (ARCHITECTURE.md): wire types, request signing, and the typed client that
// the extension and the CLI import. The agent owns this file; changes must stay backward compatible.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import type { PolicyDecisionKind, PolicySummary, Risk, Sampling } from "./policy/types";
import { SchemaError, array, boolean, integer, literal, nullable, number, object, optional, string, type Schema } from "./schema";

export const PROTOCOL_VERSION = 1;
export const MAX_CLOCK_SKEW_SECONDS = 300;

export const HEADER_KEY = "x-atl-key";
export const HEADER_TIMESTAMP = "x-atl-timestamp";
export const HEADER_NONCE = "x-atl-nonce";
export const HEADER_SIGNATURE = "x-atl-signature";

/**
 * Longest command string the wire accepts (characters). The policy refuses much shorter ones
 * (4096) as a per-command decision; this only bounds what a request may carry.
 */
export const MAX_COMMAND_CHARS = 65_536;
/** Longest timeout a request may ask for; the agent's own maximum (config) usually is lower. */
export const MAX_REQUEST_TIMEOUT_SEC = 86_400;

// ---- wire types ---------------------------------------------------------------------------

export interface HealthResponse {
  status: "ok";
  version: string;
}

export interface CheckRequest {
  commands: string[];
}

export interface CheckResult {
  command: string;
  decision: PolicyDecisionKind;
  risk: Risk;
  reason: string;
  /** Identifier of the deciding policy rule (agent ≥ 0.1). */
  rule?: string;
  /** Present when the command samples for a bounded window (`vmstat 1`): how long (agent ≥ 0.2). */
  sampling?: Sampling;
}

export interface CheckResponse {
  results: CheckResult[];
}

export interface ExecRequest {
  commands: string[];
  /** Per command; the agent caps it at its configured maximum. */
  timeoutSec?: number;
}

export interface ExecResult {
  command: string;
  decision: PolicyDecisionKind;
  reason: string;
  /** Identifier of the deciding policy rule (agent ≥ 0.1). */
  rule?: string;
  /** null when refused, killed by a signal, or failed to start. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** stdout or stderr hit the output cap. */
  truncated: boolean;
  /** Present and true when the command was killed at its timeout. */
  timedOut?: boolean;
  /** Present when the command sampled for a bounded window and stopped by itself (agent ≥ 0.2). */
  sampling?: Sampling;
  /** The line as it ran, when that differs from `command`: patterns expanded, sampling bounds added (agent ≥ 0.2). */
  executed?: string;
  /**
   * Present and true when that stream held bytes that are not text (binary data, NUL or other
   * control characters, invalid UTF-8): the text shows each run of them as one U+FFFD, so it is not
   * the exact bytes (agent ≥ 0.2).
   */
  stdoutBinary?: boolean;
  stderrBinary?: boolean;
  /**
   * Present when an allowed command never started (agent ≥ 0.2): the request was cancelled ("cancelled"), the
   * agent is shutting down ("shutting-down"), its audit log cannot be written
   * ("audit-unavailable") or its replay journal cannot ("journal-unavailable"); a newer agent may
   * name other reasons. `stderr` says so too.
   */
  notRun?: string;
}

export interface ExecResponse {
  results: ExecResult[];
}

export interface InfoResponse {
  hostname: string;
  os: string;
  kernel: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
  uptimeSec: number;
  agentVersion: string;
  protocolVersion: number;
  policy: PolicySummary;
  limits: { maxCommands: number; maxConcurrent: number; maxTimeoutSec: number; maxOutputBytes: number };
}

export interface ErrorResponse {
  /** Stable code: unauthorized, bad-request, too-large, busy, not-found, method-not-allowed, unavailable, internal. */
  error: string;
  message: string;
}

// ---- schemas (the agent validates requests with them, the client validates responses) -----

// Empty or overlong command strings are not malformed requests: the policy refuses them one by one.
const commandsSchema = array(string({ maxLength: MAX_COMMAND_CHARS }), { minItems: 1, maxItems: 1000 });
const decisionSchema = literal("allowed", "refused");
const riskSchema = literal("read-only", "mutating");
const samplingSchema = optional(object({ seconds: number({ min: 0 }) }, { unknownKeys: "keep" }));

export const checkRequestSchema: Schema<CheckRequest> = object({ commands: commandsSchema }, { unknownKeys: "reject" });

export const execRequestSchema: Schema<ExecRequest> = object(
  { commands: commandsSchema, timeoutSec: optional(number({ min: 0.1, max: MAX_REQUEST_TIMEOUT_SEC })) },
  { unknownKeys: "reject" },
);

export const healthResponseSchema: Schema<HealthResponse> = object({ status: literal("ok"), version: string() }, { unknownKeys: "keep" });

export const checkResponseSchema: Schema<CheckResponse> = object(
  {
    results: array(
      object({ command: string(), decision: decisionSchema, risk: riskSchema, reason: string(), rule: optional(string()), sampling: samplingSchema }, { unknownKeys: "keep" }),
    ),
  },
  { unknownKeys: "keep" },
);

export const execResultSchema: Schema<ExecResult> = object(
  {
    command: string(),
    decision: decisionSchema,
    reason: string(),
    rule: optional(string()),
    exitCode: nullable(integer()),
    signal: nullable(string()),
    stdout: string(),
    stderr: string(),
    durationMs: number({ min: 0 }),
    truncated: boolean(),
    timedOut: optional(boolean()),
    sampling: samplingSchema,
    executed: optional(string()),
    stdoutBinary: optional(boolean()),
    stderrBinary: optional(boolean()),
    notRun: optional(string()),
  },
  { unknownKeys: "keep" },
);

export const execResponseSchema: Schema<ExecResponse> = object({ results: array(execResultSchema) }, { unknownKeys: "keep" });

const policySummarySchema = object(
  {
    profile: string(),
    allowedPrograms: array(string()),
    operatorRules: array(object({ id: string(), effect: literal("allow", "refuse"), risk: riskSchema }, { unknownKeys: "keep" })),
  },
  { unknownKeys: "keep" },
) as Schema<PolicySummary>;

export const infoResponseSchema: Schema<InfoResponse> = object(
  {
    hostname: string(),
    os: string(),
    kernel: string(),
    arch: string(),
    cpus: integer({ min: 0 }),
    memoryBytes: number({ min: 0 }),
    uptimeSec: number({ min: 0 }),
    agentVersion: string(),
    protocolVersion: integer(),
    policy: policySummarySchema,
    limits: object(
      { maxCommands: integer(), maxConcurrent: integer(), maxTimeoutSec: number(), maxOutputBytes: integer() },
      { unknownKeys: "keep" },
    ),
  },
  { unknownKeys: "keep" },
);

export const errorResponseSchema: Schema<ErrorResponse> = object({ error: string(), message: string() }, { unknownKeys: "keep" });

/**
 * The secret as both sides use it: the text of the secret file or variable without surrounding
 * whitespace (a trailing newline from `openssl rand -hex 32 > key` is not part of the secret).
 */
export function normalizeSecret(text: string): string {
  return text.trim();
}

// ---- signing ------------------------------------------------------------------------------

export function sha256Hex(body: string | Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The string both sides sign: METHOD \n PATH \n TIMESTAMP \n NONCE \n hex(sha256(body)). */
export function canonicalRequest(method: string, path: string, timestamp: string, nonce: string, body: string | Buffer): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${sha256Hex(body)}`;
}

export function signRequest(secret: string | Buffer, method: string, path: string, timestamp: string, nonce: string, body: string | Buffer): string {
  return createHmac("sha256", secret).update(canonicalRequest(method, path, timestamp, nonce, body)).digest("hex");
}

export interface SignedHeaders {
  [HEADER_KEY]: string;
  [HEADER_TIMESTAMP]: string;
  [HEADER_NONCE]: string;
  [HEADER_SIGNATURE]: string;
}

export function signedHeaders(keyId: string, secret: string | Buffer, method: string, path: string, body: string | Buffer, now = Date.now()): SignedHeaders {
  const timestamp = String(Math.floor(now / 1000));
  const nonce = randomBytes(16).toString("hex");
  return {
    [HEADER_KEY]: keyId,
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: signRequest(secret, method, path, timestamp, nonce, body),
  };
}

/** Constant-time comparison of two hex signatures (false on any length or format mismatch). */
export function signaturesEqual(expectedHex: string, actualHex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(actualHex)) {
    return false;
  }
  const a = Buffer.from(expectedHex, "hex");
  const b = Buffer.from(actualHex, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---- client -------------------------------------------------------------------------------

export interface AgentClientOptions {
  /** Base URL, e.g. http://10.0.1.5:9917 or https://host:9917. */
  url: string;
  keyId: string;
  secret: string | Buffer;
  /** PEM of the CA (or self-signed certificate) to trust for https. */
  ca?: string | Buffer;
  /** Request timeout in ms on top of the commands' own timeout. Default 10 s. */
  requestTimeoutMs?: number;
}

export type AgentErrorKind = "unreachable" | "auth" | "busy" | "too-large" | "bad-request" | "protocol" | "timeout";

export class AgentRequestError extends Error {
  override readonly name = "AgentRequestError";
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
    readonly status: number | null = null,
    /** Seconds, from Retry-After on 429. */
    readonly retryAfterSec: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Typed, signing client of one agent. Reuses connections (keep-alive); call close() when done. */
export class AgentClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: AgentClientOptions) {
    this.base = new URL(options.url);
    if (this.base.protocol !== "http:" && this.base.protocol !== "https:") {
      throw new AgentRequestError("bad-request", `Agent URL must be http or https, got ${this.base.protocol}`);
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.agent =
      this.base.protocol === "https:"
        ? new https.Agent({ keepAlive: true, ca: options.ca, maxSockets: 16 })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  get url(): string {
    return this.base.toString();
  }

  health(signal?: AbortSignal): Promise<HealthResponse> {
    return this.request("GET", "/v1/health", undefined, healthResponseSchema, { signed: false, signal });
  }

  info(signal?: AbortSignal): Promise<InfoResponse> {
    return this.request("GET", "/v1/info", undefined, infoResponseSchema, { signed: true, signal });
  }

  check(commands: string[], signal?: AbortSignal): Promise<CheckResponse> {
    return this.request("POST", "/v1/check", { commands } satisfies CheckRequest, checkResponseSchema, { signed: true, signal });
  }

  /** Runs the commands in order (refused ones are reported, not run). Aborting the signal stops them on the host. */
  exec(commands: string[], timeoutSec?: number, signal?: AbortSignal): Promise<ExecResponse> {
    const body: ExecRequest = timeoutSec === undefined ? { commands } : { commands, timeoutSec };
    // The agent runs the commands in order, each up to its timeout (+ kill grace): wait for all of them.
    const budgetMs = ((timeoutSec ?? 30) + 5) * 1000 * Math.max(1, commands.length) + this.requestTimeoutMs;
    return this.request("POST", "/v1/exec", body, execResponseSchema, { signed: true, signal, timeoutMs: budgetMs });
  }

  close(): void {
    this.agent.destroy();
  }

  private async request<T>(...call: Parameters<typeof this.send<T>>): Promise<T> {
    try {
      return await this.send(...call);
    } catch (error) {
      // A kept-alive connection the agent closed while idle fails before it carries anything: the
      // agent never saw the request, so send it once more (signed anew: a nonce is single use).
      if (error instanceof StaleConnectionError) {
        return this.send(...call);
      }
      throw error;
    }
  }

  private send<T>(
    method: "GET" | "POST",
    path: string,
    payload: unknown,
    responseSchema: Schema<T>,
    opts: { signed: boolean; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<T> {
    const body = payload === undefined ? "" : JSON.stringify(payload);
    const fullPath = joinPath(this.base.pathname, path);
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    if (opts.signed) {
      // The signature covers the path as sent on the wire (what the agent sees in the request line).
      Object.assign(headers, signedHeaders(this.options.keyId, this.options.secret, method, fullPath, body));
    }
    const transport = this.base.protocol === "https:" ? https : http;
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;

    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const req = transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: fullPath,
          method,
          headers,
          agent: this.agent,
          signal: opts.signal,
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error) => reject(new AgentRequestError("unreachable", `Connection to the agent at ${this.url} broke: ${error.message}`, null, null, { cause: error })));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = text.length > 0 ? JSON.parse(text) : undefined;
            } catch (error) {
              reject(new AgentRequestError("protocol", `The agent at ${this.url} answered ${status} with a body that is not JSON.`, status, null, { cause: error }));
              return;
            }
            if (status >= 200 && status < 300) {
              try {
                resolve(responseSchema.parse(parsed));
              } catch (error) {
                const detail = error instanceof SchemaError ? error.message : String(error);
                reject(new AgentRequestError("protocol", `The agent at ${this.url} sent an unexpected ${method} ${path} answer (${detail}).`, status, null, { cause: error }));
              }
              return;
            }
            const message = isErrorResponse(parsed) ? parsed.message : `HTTP ${status}`;
            reject(errorForStatus(status, message, this.url, res.headers["retry-after"]));
          });
        },
      );
      req.setTimeout(timeoutMs, () => {
        req.destroy(new AgentRequestError("timeout", `The agent at ${this.url} did not answer within ${Math.round(timeoutMs / 1000)} s.`));
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (error instanceof AgentRequestError) {
          reject(error);
          return;
        }
        if (!answered && req.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE") && !opts.signal?.aborted) {
          reject(new StaleConnectionError());
          return;
        }
        if (error.name === "AbortError" || opts.signal?.aborted) {
          reject(new AgentRequestError("unreachable", `The request to the agent at ${this.url} was cancelled.`, null, null, { cause: error }));
          return;
        }
        reject(new AgentRequestError("unreachable", `Cannot reach the agent at ${this.url}: ${error.message}`, null, null, { cause: error }));
      });
      req.end(body);
    });
  }
}

class StaleConnectionError extends Error {}

function joinPath(basePath: string, route: string): string {
  const trimmed = basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
  return `${trimmed}${route}`;
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  try {
    errorResponseSchema.parse(value);
    return true;
  } catch {
    return false;
  }
}

function errorForStatus(status: number, message: string, url: string, retryAfter: string | string[] | undefined): AgentRequestError {
  switch (status) {
    case 401:
      return new AgentRequestError("auth", `The agent at ${url} refused the request signature: ${message}`, status);
    case 413:
      return new AgentRequestError("too-large", `The agent at ${url} refused the request as too large: ${message}`, status);
    case 429: {
      const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      return new AgentRequestError("busy", `The agent at ${url} is busy: ${message}`, status, Number.isFinite(seconds) ? seconds : null);
    }
    case 400:
      return new AgentRequestError("bad-request", `The agent at ${url} refused the request: ${message}`, status);
    default:
      return new AgentRequestError("protocol", `The agent at ${url} answered ${status}: ${message}`, status);
  }
}
