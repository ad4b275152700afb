// The audit log: one JSON line per decision — a command about to start (written durably before it
// starts) and its result, every command checked, refused signatures counted per client and
// interval, start and stop. It records who asked for what and what happened, never command output,
// never a secret or a signature. A log that cannot be written stops commands from running (fail
// closed) until a probe write succeeds again; a removed or rotated file is noticed and reopened.
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import type { Writable } from "node:stream";
import { APPEND, BatchQueue, datasync, errnoText, writevOnce, type Queued } from "./durable";
import type { PolicyDecisionKind, Risk } from "./policy/types";

interface AuditBase {
  /** ISO 8601, UTC. */
  time: string;
}

/** Who asked for which command, and the policy's verdict on it. */
interface CommandAuditBase extends AuditBase {
  keyId: string;
  client: string;
  command: string;
  decision: PolicyDecisionKind;
  risk: Risk;
  rule: string;
}

/** What the agent is about to run; written (and on disk) before the command starts. */
export interface ExecStartAuditRecord extends AuditBase {
  event: "exec-start";
  /** Pairs the start with its result: random per request, and the command's place in it. */
  request: string;
  index: number;
  keyId: string;
  client: string;
  command: string;
  risk: Risk;
  rule: string;
  /** The line as it will run, when patterns were expanded or sampling bounds added. */
  executed?: string;
}

/** A command's outcome: run, refused by the policy, or not run (cancelled, shutting down, no audit). */
export interface ExecAuditRecord extends CommandAuditBase {
  event: "exec";
  request: string;
  index: number;
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
  /** Present when an allowed command never started, with why. */
  notRun?: NotRunReason;
}

export type NotRunReason = "cancelled" | "shutting-down" | "audit-unavailable" | "journal-unavailable";

export interface CheckAuditRecord extends CommandAuditBase {
  event: "check";
}

/**
 * Refused signatures of one client: the first of an interval at once (count 1), the others summed
 * up when the interval ends, so a flood of 401s costs a few lines, not one per request.
 */
export interface AuthAuditRecord extends AuditBase {
  event: "auth-refused";
  /** The client's address, or "other clients" once too many addresses failed in one interval. */
  client: string;
  count: number;
  /** Refusals per kind (unsigned, unknown-key, clock-skew, bad-signature, replay, …). */
  reasons: Record<string, number>;
  /** Key ids the requests claimed (at most 8; never a signature). */
  keyIds: string[];
  paths: string[];
  /** First and last refusal counted in this record. */
  first: string;
  last: string;
  /** The reason of the latest refusal, as the client was told. */
  example: string;
}

export interface LifecycleAuditRecord extends AuditBase {
  event: "start" | "stop";
  version: string;
  detail: string;
}

/** The log's own events: reopened after the file was removed or rotated; writable again after a failure. */
export interface AuditLogEventRecord extends AuditBase {
  event: "audit-reopened" | "audit-recovered";
  detail: string;
}

export type AuditRecord = ExecStartAuditRecord | ExecAuditRecord | CheckAuditRecord | AuthAuditRecord | LifecycleAuditRecord | AuditLogEventRecord;

type WithoutTime<T> = T extends AuditRecord ? Omit<T, "time"> : never;
/** What a record needs from the caller; `time` is added when written. */
export type AuditEntry = WithoutTime<AuditRecord>;

export interface AuditSink {
  /**
   * Appends a record. Resolves once it is written — for a file and `durable` (the default), on disk
   * together with every record before it — and rejects when it could not be, or at once while the
   * log is unhealthy. Records that gate nothing pass `durable: false`: they reach the disk with the
   * next durable record (or the kernel's writeback), which saves a disk flush per command.
   */
  append(entry: AuditEntry, options?: { durable?: boolean }): Promise<void>;
  /** False once a write failed, until `recover()` succeeds: the agent then runs nothing. */
  readonly healthy: boolean;
  /** Why it is unhealthy (null when healthy). */
  readonly failure: Error | null;
  /** When unhealthy, tries one probe record; true when the log can be written (again). */
  recover(): Promise<boolean>;
}

/** Thrown for records refused because the log is broken. */
export class AuditUnavailableError extends Error {
  override readonly name = "AuditUnavailableError";
}

export interface AuditLogOptions {
  /** Called once each time the log goes from healthy to failing (the agent logs it). */
  onError: (error: Error) => void;
  /** Called when it works again, or was reopened (the agent logs it). */
  onNotice?: (message: string) => void;
}

export interface AuditLog extends AuditSink {
  readonly location: string;
  /** SIGHUP: reopen the file at its path (logrotate) and try to write again. */
  reopen(): Promise<void>;
  /** Writes what is queued and closes the file. */
  close(): Promise<void>;
}

/** Opens the audit log: the file (appending, mode 600), or `fallback` (stderr, the journal) when no path is given. */
export function openAuditLog(path: string | null, options: AuditLogOptions, fallback: Writable = process.stderr): AuditLog {
  return path === null ? new StreamAuditLog(fallback, options) : FileAuditLog.open(path, options);
}

interface Pending extends Queued {
  line: Buffer;
  /** A probe of `recover()`: not counted among the records lost. */
  probe: boolean;
  /** Resolve only once on disk (the batch ends with an fdatasync). */
  durable: boolean;
}

/**
 * The audit file. Every record is one line, and a batch of records one `writev` on a descriptor
 * opened with O_APPEND; a batch holding a durable record (a command about to start) is followed by
 * an fdatasync before any of its records resolve, which also makes every earlier record durable.
 * Records that arrive while a batch is in flight are committed together by the next one (group
 * commit: one disk flush for a burst). Before each write the path is compared with the open file (device and inode): a file
 * that was removed or rotated away is reopened (or, if that fails, the log is unhealthy). A write
 * cut short (disk full, file size limit) leaves a torn line; the next record then starts on a fresh
 * line after an `audit-recovered` record that names it.
 */
class FileAuditLog implements AuditLog {
  private fd: number;
  private identity: string;
  /** The file does not end with a newline (a torn record, or a crash mid-write before us). */
  private torn: boolean;
  private readonly queue = new BatchQueue<Pending>((batch) => this.writeBatch(batch));
  private failureValue: Error | null = null;
  private failedAt: string | null = null;
  /** Records refused or lost since the failure (reported in the recovery record). */
  private lost = 0;
  private recovering: Promise<boolean> | null = null;
  private reopenNext: string | null = null;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly options: AuditLogOptions,
  ) {
    // Opening synchronously: a bad path must stop the start-up, before anything listens.
    const opened = FileAuditLog.openFile(path);
    this.fd = opened.fd;
    this.identity = opened.identity;
    this.torn = opened.torn;
  }

  static open(path: string, options: AuditLogOptions): FileAuditLog {
    return new FileAuditLog(path, options);
  }

  get location(): string {
    return this.path;
  }

  get healthy(): boolean {
    return this.failureValue === null;
  }

  get failure(): Error | null {
    return this.failureValue;
  }

  append(entry: AuditEntry, options: { durable?: boolean } = {}): Promise<void> {
    if (this.failureValue !== null || this.closed) {
      this.lost++;
      return Promise.reject(this.unavailable());
    }
    return this.enqueue(entry, false, options.durable ?? true);
  }

  recover(): Promise<boolean> {
    if (this.failureValue === null) {
      return Promise.resolve(true);
    }
    this.recovering ??= this.enqueue(
      {
        event: "audit-recovered",
        detail: `the audit log can be written again after: ${this.failureValue.message} (since ${this.failedAt}); ${this.lost} record(s) could not be written meanwhile (the agent ran no command it could not record)`,
      },
      true,
    )
      .then(
        () => {
          this.options.onNotice?.(`the audit log ${this.path} can be written again`);
          this.lost = 0;
          return true;
        },
        () => false,
      )
      .finally(() => {
        this.recovering = null;
      });
    return this.recovering;
  }

  async reopen(): Promise<void> {
    // The reopen record is written by the next batch (the probe, when the log is failing).
    this.reopenNext = "reopened on request (SIGHUP)";
    if (this.failureValue !== null) {
      await this.recover();
    } else {
      await this.enqueue(null, true).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    // The last records (stop) reach the disk before the agent exits.
    await datasync(this.fd).catch(() => undefined);
    closeSync(this.fd);
  }

  private unavailable(): AuditUnavailableError {
    return new AuditUnavailableError(`the audit log cannot be written (${this.failureValue?.message ?? "closed"})`);
  }

  /** Queues a record (null: nothing of its own, e.g. to write a pending reopen record). */
  private enqueue(entry: AuditEntry | null, probe = false, durable = true): Promise<void> {
    const line = entry === null ? Buffer.alloc(0) : recordLine(entry);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, probe, durable: durable || probe, resolve, reject });
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let preamble: AuditEntry[];
    try {
      preamble = this.checkFile();
    } catch (error) {
      this.fail(new Error(`cannot reopen ${this.path}: ${errnoText(error)}`), batch);
      return;
    }
    const buffers: Buffer[] = [];
    if (this.torn) {
      preamble.unshift({
        event: "audit-recovered",
        detail: "the line above is a torn record: an earlier write was cut short (disk full, file size limit or a crash)",
      });
    }
    if (preamble.length > 0) {
      // After a torn line the next record starts on a fresh line.
      buffers.push(Buffer.concat([Buffer.from(this.torn ? "\n" : ""), ...preamble.map(recordLine)]));
    }
    for (const item of batch) {
      buffers.push(item.line);
    }
    let written: number;
    try {
      written = await writevOnce(this.fd, buffers);
    } catch (error) {
      this.fail(new Error(errnoText(error)), batch);
      return;
    }
    const total = buffers.reduce((sum, b) => sum + b.length, 0);
    if (written === total && batch.some((item) => item.durable)) {
      try {
        // A full disk can surface only here (delayed allocation of earlier writes).
        await datasync(this.fd);
      } catch (error) {
        this.fail(new Error(errnoText(error)), batch);
        return;
      }
    }
    if (written === total) {
      this.torn = false;
      // Whatever failed before, this write got through: the log works.
      this.failureValue = null;
      this.failedAt = null;
      for (const item of batch) {
        item.resolve();
      }
      return;
    }
    // Cut short: everything before the cut is on disk, the record at the cut is torn.
    this.torn = true;
    let offset = preamble.length > 0 ? buffers[0].length : 0;
    const failed: Pending[] = [];
    for (const item of batch) {
      offset += item.line.length;
      if (offset <= written) {
        item.resolve();
      } else {
        failed.push(item);
      }
    }
    this.fail(new Error(`a write was cut short after ${written} of ${total} bytes (disk full or file size limit)`), failed);
  }

  /** Reopens the file when its path no longer names the open file; returns records to write first. */
  private checkFile(): AuditEntry[] {
    const current = statSync(this.path, { throwIfNoEntry: false });
    let why: string | null = this.reopenNext;
    if (current === undefined) {
      why = "the audit file was moved away or removed; the records before this one are in that file";
    } else if (`${current.dev}:${current.ino}` !== this.identity) {
      why = "another file is at the audit path now (rotated); the records before this one are in the previous file";
    }
    if (why === null) {
      return [];
    }
    const opened = FileAuditLog.openFile(this.path);
    const previous = this.fd;
    this.fd = opened.fd;
    this.identity = opened.identity;
    this.torn = opened.torn;
    this.reopenNext = null;
    try {
      closeSync(previous);
    } catch {
      // Already unusable: nothing to release.
    }
    this.options.onNotice?.(`audit log reopened: ${why}`);
    return [{ event: "audit-reopened", detail: why }];
  }

  private fail(error: Error, items: Pending[]): void {
    const rejected = new AuditUnavailableError(`the audit log cannot be written (${error.message})`);
    // Records queued behind a failed write would land after a gap: refuse them too.
    const all = [...items, ...this.queue.takeAll()];
    this.lost += all.filter((item) => !item.probe && item.line.length > 0).length;
    if (this.failureValue === null) {
      this.failureValue = error;
      this.failedAt = new Date().toISOString();
      this.options.onError(error);
    } else {
      this.failureValue = error;
    }
    for (const item of all) {
      item.reject(rejected);
    }
  }

  private static openFile(path: string): { fd: number; identity: string; torn: boolean } {
    const fd = openSync(path, APPEND, 0o600);
    const info = fstatSync(fd);
    let torn = false;
    if (info.size > 0) {
      // O_WRONLY cannot read: look at the last byte through a second, read-only descriptor.
      const reader = openSync(path, "r");
      try {
        const last = Buffer.alloc(1);
        readSync(reader, last, 0, 1, info.size - 1);
        torn = last[0] !== 0x0a;
      } finally {
        closeSync(reader);
      }
    }
    return { fd, identity: `${info.dev}:${info.ino}`, torn };
  }
}

function recordLine(entry: AuditEntry): Buffer {
  return Buffer.from(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`, "utf8");
}

/**
 * Audit lines on a stream (stderr, i.e. the journal under systemd) when no file is configured.
 * A record counts as written only once the stream says so (its write callback): a pipe whose reader
 * went away (EPIPE) or a full disk refuses the command that record would have let start, and every
 * later one, instead of being noticed one write too late. Durability is the journal's.
 */
class StreamAuditLog implements AuditLog {
  private failureValue: Error | null = null;

  constructor(
    private readonly stream: Writable,
    private readonly options: AuditLogOptions,
  ) {
    // The agent's own log lines share the stream: their failures count too.
    stream.on("error", (error: Error) => this.fail(error));
  }

  get location(): string {
    return "stderr";
  }

  get healthy(): boolean {
    return this.failureValue === null;
  }

  get failure(): Error | null {
    return this.failureValue;
  }

  append(entry: AuditEntry): Promise<void> {
    if (this.failureValue !== null) {
      return Promise.reject(this.unavailable());
    }
    return new Promise((resolve, reject) => {
      this.stream.write(recordLine(entry), (error) => {
        if (error) {
          this.fail(error);
          reject(this.unavailable());
        } else {
          resolve();
        }
      });
    });
  }

  /** A broken stream stays broken (a closed pipe does not come back): the agent refuses until restarted. */
  recover(): Promise<boolean> {
    return Promise.resolve(this.failureValue === null);
  }

  reopen(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private fail(error: Error): void {
    if (this.failureValue === null) {
      this.failureValue = error;
      this.options.onError(error);
    }
  }

  private unavailable(): AuditUnavailableError {
    return new AuditUnavailableError(`the audit log cannot be written (${this.failureValue?.message ?? "unknown error"})`);
  }
}

/**
 * Why descriptor `fd` cannot carry the audit log, or null. node replaces a closed standard
 * descriptor with /dev/null at start, so `2>&-` (or `2>/dev/null`) would swallow every record
 * without an error: the agent refuses to start instead.
 */
export function unusableAuditStream(fd: number): string | null {
  let info: Stats;
  try {
    info = fstatSync(fd);
  } catch (error) {
    return `descriptor ${fd} is not open (${errnoText(error)})`;
  }
  if (info.isCharacterDevice()) {
    try {
      if (info.rdev === statSync("/dev/null").rdev) {
        return `descriptor ${fd} is /dev/null (closed or discarded when the agent started): audit records would be lost`;
      }
    } catch {
      // No /dev/null to compare with: nothing to say.
    }
  }
  return null;
}

/** One refused signature, as the tally counts it. */
export interface AuthRefusal {
  client: string;
  /** Short kind: unsigned, malformed, unknown-key, clock-skew, bad-signature, replay, before-start. */
  kind: string;
  keyId: string | null;
  path: string;
  /** What the client was told. */
  reason: string;
}

interface ClientTally {
  count: number;
  reasons: Record<string, number>;
  keyIds: Set<string>;
  paths: Set<string>;
  first: string;
  last: string;
  example: string;
}

const OTHER_CLIENTS = "other clients";
const LIST_LIMIT = 8;

/**
 * Audits refused signatures in aggregate: per client and interval, the first refusal is written at
 * once (so a misconfigured client shows up with its reason) and the rest are summed into one record
 * when the interval ends. At most `maxClients` addresses are told apart per interval; the others
 * share one record. A flood of unsigned requests therefore costs a few lines a minute.
 */
export class AuthRefusalTally {
  private clients = new Map<string, ClientTally | null>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: AuditSink,
    intervalMs: number,
    private readonly maxClients = 100,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  add(refusal: AuthRefusal): void {
    let client = refusal.client;
    if (!this.clients.has(client) && this.clients.size >= this.maxClients) {
      client = OTHER_CLIENTS;
    }
    const now = new Date().toISOString();
    if (!this.clients.has(client)) {
      // The first refusal of this client in this interval: at once.
      this.clients.set(client, null);
      this.write(client, { count: 1, reasons: { [refusal.kind]: 1 }, keyIds: new Set(refusal.keyId ? [refusal.keyId] : []), paths: new Set([refusal.path]), first: now, last: now, example: refusal.reason });
      return;
    }
    let tally = this.clients.get(client) ?? null;
    if (tally === null) {
      tally = { count: 0, reasons: {}, keyIds: new Set(), paths: new Set(), first: now, last: now, example: refusal.reason };
      this.clients.set(client, tally);
    }
    tally.count++;
    tally.reasons[refusal.kind] = (tally.reasons[refusal.kind] ?? 0) + 1;
    if (refusal.keyId && tally.keyIds.size < LIST_LIMIT) {
      tally.keyIds.add(refusal.keyId);
    }
    if (tally.paths.size < LIST_LIMIT) {
      tally.paths.add(refusal.path);
    }
    tally.last = now;
    tally.example = refusal.reason;
  }

  /** Writes the sums of the interval and starts a new one. */
  flush(): void {
    const clients = this.clients;
    this.clients = new Map();
    for (const [client, tally] of clients) {
      if (tally !== null) {
        this.write(client, tally);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private write(client: string, tally: ClientTally): void {
    this.sink
      .append(
        {
          event: "auth-refused",
          client,
          count: tally.count,
          reasons: tally.reasons,
          keyIds: [...tally.keyIds],
          paths: [...tally.paths],
          first: tally.first,
          last: tally.last,
          example: tally.example,
        },
        { durable: false },
      )
      // A failing log is reported by the log itself; a refusal needs no record to be refused.
      .catch(() => undefined);
  }
}
