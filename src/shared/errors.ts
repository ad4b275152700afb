// The one error type of ATL: a stable `code` for tests and troubleshooting docs, a `cause`
// for the log, and a message written for the person who has to act on it.

export type AtlErrorCode =
  | "config"
  | "sqs-credentials"
  | "sqs-access-denied"
  | "sqs-queue-not-found"
  | "sqs-network"
  | "sqs"
  | "alarm-malformed"
  | "host-unknown"
  | "host-unreachable"
  | "host-key-mismatch"
  | "agent-auth"
  | "agent-busy"
  | "agent-protocol"
  | "transport"
  | "llm-config"
  | "llm-reply"
  | "llm-timeout"
  /** The editor's language model may not be used: consent refused or not asked yet, or blocked. */
  | "llm-consent"
  | "llm"
  | "policy-refused"
  | "storage"
  | "webview-message"
  | "cancelled"
  /** What a command or a stale menu refers to is gone or not there yet (an alarm, a diagnosis, a report): not a bug. */
  | "not-found"
  | "internal";

/**
 * Brands AtlErrors across bundles: dist/graph.js and dist/sqs.js are loaded beside
 * dist/extension.js and each carries its own copy of this class.
 */
const ATL_ERROR = Symbol.for("atl.AtlError");

export class AtlError extends Error {
  override readonly name = "AtlError";
  readonly code: AtlErrorCode;
  /** What the user should do about it, when there is something to do. */
  readonly fix: string | undefined;

  constructor(code: AtlErrorCode, message: string, options: { cause?: unknown; fix?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fix = options.fix;
  }

  /** `instanceof AtlError` holds for an AtlError from any ATL bundle loaded in this process. */
  static override [Symbol.hasInstance](value: unknown): value is AtlError {
    if (this !== AtlError) {
      // A subclass keeps the ordinary prototype check.
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    return typeof value === "object" && value !== null && ATL_ERROR in value;
  }

  /** One line for a notification or the status bar: the message and, if known, the fix. */
  get userMessage(): string {
    return this.fix ? `${this.message} ${this.fix}` : this.message;
  }
}

Object.defineProperty(AtlError.prototype, ATL_ERROR, { value: true });

/** Wraps anything thrown into an AtlError, keeping an existing one as is. */
export function toAtlError(error: unknown, code: AtlErrorCode = "internal", message?: string): AtlError {
  if (error instanceof AtlError) {
    return error;
  }
  const text = error instanceof Error ? error.message : String(error);
  return new AtlError(code, message ?? text, { cause: error });
}

/**
 * The `default` of a switch that handles every member of a union: it does not compile when a
 * member is added and not handled, and throws if a value the types rule out arrives anyway.
 */
export function assertNever(value: never, what: string): never {
  const shown = JSON.stringify(value) ?? String(value);
  throw new AtlError("internal", `Unexpected ${what}: ${shown.slice(0, 80)}`);
}

/** The `code` of a Node.js system error (ENOENT, EEXIST, EPERM…), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}
