// The audit log: one JSON line per decision (every command checked or run, every refused
// signature, start and stop). It records who asked for what and what happened, never command
// output, never a secret or a signature. Written through one append stream; reopened on SIGHUP
// so logrotate can move it.
import { createWriteStream, type WriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { PolicyDecisionKind, Risk } from "./policy/types";

interface AuditBase {
  /** ISO 8601, UTC. */
  time: string;
}

export interface ExecAuditRecord extends AuditBase {
  event: "exec";
  keyId: string;
  client: string;
  command: string;
  decision: PolicyDecisionKind;
  risk: Risk;
  rule: string;
  /** Set when the command ran. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  timedOut: boolean;
  /** Stopped because the client went away or the agent shut down. */
  aborted: boolean;
  /** The line as it ran, when patterns were expanded or sampling bounds added. */
  executed?: string;
}

export interface CheckAuditRecord extends AuditBase {
  event: "check";
  keyId: string;
  client: string;
  command: string;
  decision: PolicyDecisionKind;
  risk: Risk;
  rule: string;
}

export interface AuthAuditRecord extends AuditBase {
  event: "auth-refused";
  /** The key id the request claimed, if any (never the signature). */
  keyId: string | null;
  client: string;
  method: string;
  path: string;
  reason: string;
}

export interface LifecycleAuditRecord extends AuditBase {
  event: "start" | "stop";
  version: string;
  detail: string;
}

export type AuditRecord = ExecAuditRecord | CheckAuditRecord | AuthAuditRecord | LifecycleAuditRecord;

/** What a record needs from the caller; `time` is added when written. */
export type AuditEntry =
  | Omit<ExecAuditRecord, "time">
  | Omit<CheckAuditRecord, "time">
  | Omit<AuthAuditRecord, "time">
  | Omit<LifecycleAuditRecord, "time">;

export interface AuditSink {
  write(entry: AuditEntry): void;
  /** False once writing failed: the agent then refuses to run commands (it could not account for them). */
  readonly healthy: boolean;
}

/** Appends to a file (mode 600), or to a stream such as stderr when no file is configured. */
export class AuditLog implements AuditSink {
  private stream: Writable;
  private failure: Error | null = null;

  private constructor(
    private readonly path: string | null,
    stream: Writable,
    private readonly onError: (error: Error) => void,
  ) {
    this.stream = stream;
    this.watch(stream);
  }

  /** Opens the file for appending and waits until it is open, so a bad path fails at startup. */
  static async open(path: string | null, onError: (error: Error) => void, fallback: Writable = process.stderr): Promise<AuditLog> {
    if (path === null) {
      return new AuditLog(null, fallback, onError);
    }
    return new AuditLog(path, await openAppend(path), onError);
  }

  get healthy(): boolean {
    return this.failure === null;
  }

  get location(): string {
    return this.path ?? "stderr";
  }

  write(entry: AuditEntry): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
    this.stream.write(`${line}\n`);
  }

  /** Reopens the file at the same path (after logrotate moved it). */
  async reopen(): Promise<void> {
    if (this.path === null) {
      return;
    }
    const next = await openAppend(this.path);
    const previous = this.stream;
    this.stream = next;
    this.failure = null;
    this.watch(next);
    await endStream(previous);
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.path === null) {
      return;
    }
    await endStream(this.stream);
  }

  private watch(stream: Writable): void {
    stream.on("error", (error: Error) => {
      if (stream === this.stream) {
        this.failure = error;
        this.onError(error);
      }
    });
  }
}

function openAppend(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path, { flags: "a", mode: 0o600 });
    stream.once("open", () => {
      stream.removeListener("error", reject);
      resolve(stream);
    });
    stream.once("error", reject);
  });
}

function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    stream.end(() => resolve());
  });
}
