// AlarmStore: the alarms of this machine, grouped into incidents, persisted in one JSON file that
// every VS Code window shares, with throttled change events for the UI.
//
// How several windows share one file without losing writes ("merge on write"):
// - Every change is an operation (StoreOp, see incidents.ts), applied in memory at once (the UI sees
//   it immediately) and queued until written.
// - A write takes a lock file, and if the file changed since this window last read or wrote it (its
//   inode/size/mtime stamp differs), it reads it and replays the queued operations on top of it; then
//   it writes the result to a temp file, fsyncs, and renames it over the file (atomic: a reader sees
//   the old or the new file, never half of one). So an "acknowledge" from a window that is not the
//   poller and the poller's new alarms both survive, whichever writes first.
// - Each window watches the folder (fs.watch, plus a stat poll as a fallback) and reloads the file
//   when another window wrote it, replaying its own not-yet-written operations on top.
// Writes coalesce: while one runs, every change that arrives joins the next one, so an alert storm
// costs a few writes a second, not one per alarm.
//
// A damaged file never stops the extension: entries are checked one by one (bad ones are moved to
// `alarms.json.rejected-…`, the rest load); a file that does not parse (cut short by a full disk, a
// crash, an editor) is moved to `alarms.json.corrupt-…` and its state is rebuilt from every entry
// that can still be read in it, over the last-good copy (`alarms.json.last-good`: the previous
// generation, kept at each write). Problems are logged and listed in `problems`.
import { createHash, randomBytes } from "node:crypto";
import { watch, type FSWatcher, type Stats } from "node:fs";
import { link, mkdir, open, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import type { Logger } from "../shared/log";
import { silentLogger } from "../shared/log";
import { Emitter, Throttle, type Disposable, type Event } from "../shared/events";
import { FileLock, ignoreMissing } from "./fileLock";
import {
  DEFAULT_BOOK_OPTIONS,
  IncidentBook,
  type ApplyResult,
  type BookOptions,
  type IncidentTransition,
  type StoreCounts,
  type StoreFile,
  type StoreOp,
} from "./incidents";
import type { Alarm, Incident, IncidentFilter, IncidentSource, UnparsedEntry } from "./model";
import { parseAlarmMessage } from "./parse";
import { checkStoreFile, mergeStoreFiles, salvageStoreText, type CheckedStore, type RejectedEntry } from "./storeFile";

const t: Translate = translate;

export const STORE_FILE = "alarms.json";
/** The generation before the current file, kept at each write for when the file is damaged. */
export const LAST_GOOD_SUFFIX = ".last-good";

/** Something wrong with the store's file that the store worked around (shown to the user once). */
export interface StoreProblem {
  message: string;
  /** Files the damaged or rejected data was moved or written to (nothing is deleted). */
  setAside: string[];
}

export interface AlarmStoreOptions {
  /** Folder of the store file: the extension's global storage, shared by all windows. */
  dir: string;
  logger?: Logger;
  /** Resolved incidents older than this (by their resolution time) are removed. Default 24. */
  resolvedRetentionHours?: number;
  /** A new ALARM within this many minutes after the incident resolved reopens it. Default 30. */
  reopenWindowMinutes?: number;
  /** Redelivery ids remembered for dedupe. Default 20,000. */
  seenCapacity?: number;
  /** Above this, the oldest resolved incidents are dropped. Default 5,000. */
  maxIncidents?: number;
  /**
   * Minimum time between two writes of the file. A lone alarm is written at once; in a storm the
   * writes of many batches merge into one. Default 200 ms.
   */
  minWriteIntervalMs?: number;
  /** Minimum time between two change events (the UI refresh rate in a storm). Default 250 ms. */
  changeIntervalMs?: number;
  /** Follow writes of other windows. Default true. */
  watch?: boolean;
  /** Fallback stat poll when fs.watch misses an event (network folders). Default 2 s. */
  pollIntervalMs?: number;
  /** How often resolved incidents are aged out. Default 10 min. */
  ageOutIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** One coalesced change notification. */
export interface AlarmStoreChange {
  /** Alarm state changes, oldest first (including those another window recorded). */
  transitions: IncidentTransition[];
  /** New unparsed message bodies. */
  unparsed: UnparsedEntry[];
  /** Ids of incidents or unparsed entries that were removed. */
  removed: string[];
  /** Ids of incidents whose acknowledgement changed. */
  acknowledged: string[];
  /** True when (part of) the change was written by another window. */
  external: boolean;
}

export type IngestOutcome = { kind: "recorded"; transition: IncidentTransition } | { kind: "unparsed"; entry: UnparsedEntry } | { kind: "duplicate" };

export interface IngestMeta {
  sqsMessageId?: string;
}

export class AlarmStore implements IncidentSource, Disposable {
  private book: IncidentBook;
  /** Applied in memory, not yet on disk (replayed on top of the file when another window wrote). */
  private pending: StoreOp[] = [];
  /** Identity of the file as we last read or wrote it. */
  private stamp: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queuedWrite: Promise<void> | null = null;
  private lastWriteAt = -Infinity;
  private lastWriteMs = 0;
  private queuedReload: Promise<void> | null = null;
  private readonly lock: FileLock;
  private readonly changes = new Emitter<AlarmStoreChange>();
  private change: AlarmStoreChange = emptyChange();
  private readonly throttle: Throttle;
  private readonly reloadThrottle: Throttle;
  private watcher: FSWatcher | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private retentionMs: number;
  private disposed = false;
  /** The state came from a damaged file: write it back even without changes of our own. */
  private repaired = false;
  /** The file at `stamp` passed every check (so it may become the last-good copy). */
  private fileWhole = false;
  private readonly problemList: StoreProblem[] = [];
  private readonly problemEmitter = new Emitter<StoreProblem>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly bookOptions: BookOptions;

  /** Fires at most every `changeIntervalMs` with everything that changed since the last event. */
  readonly onDidChange: Event<AlarmStoreChange> = this.changes.event;
  /** A damaged store file or entries were worked around (also in `problems`). */
  readonly onDidReportProblem: Event<StoreProblem> = this.problemEmitter.event;

  private constructor(
    readonly file: string,
    private readonly options: AlarmStoreOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.retentionMs = (options.resolvedRetentionHours ?? 24) * 3_600_000;
    this.bookOptions = {
      reopenWindowMs: (options.reopenWindowMinutes ?? DEFAULT_BOOK_OPTIONS.reopenWindowMs / 60_000) * 60_000,
      seenCapacity: options.seenCapacity ?? DEFAULT_BOOK_OPTIONS.seenCapacity,
      maxIncidents: options.maxIncidents ?? DEFAULT_BOOK_OPTIONS.maxIncidents,
      maxUnparsed: DEFAULT_BOOK_OPTIONS.maxUnparsed,
    };
    this.book = new IncidentBook(this.bookOptions);
    this.lock = new FileLock(`${file}.lock`);
    this.throttle = new Throttle(options.changeIntervalMs ?? 250, () => this.emitChange());
    // Other windows follow at most twice a second: a storm store is megabytes to parse.
    this.reloadThrottle = new Throttle(500, () => {
      this.reload().catch((error: unknown) => this.logger.warn(`Could not reload the alarm store: ${String(error)}`));
    });
  }

  /**
   * Opens (or creates) the store in `options.dir`, ages out old incidents and starts following other
   * windows. Never fails: a folder that cannot be created or a file that cannot be read leaves an
   * empty store that refuses to write over what it could not read (its saves fail, so the SQS
   * consumer keeps the messages in the queue), and the problem is in `problems`.
   */
  static async open(options: AlarmStoreOptions): Promise<AlarmStore> {
    const store = new AlarmStore(join(options.dir, STORE_FILE), options);
    try {
      await mkdir(options.dir, { recursive: true });
      await store.reload();
    } catch (error) {
      store.report({ message: t("The alarm store in {0} cannot be read ({1}); alarms are kept in memory until it can.", options.dir, errorText(error)), setAside: [] });
    }
    await store.ageOut().catch((error: unknown) => store.logger.warn(`Could not age out resolved incidents: ${errorText(error)}`));
    if (store.repaired) {
      await store.persist().catch((error: unknown) => store.logger.warn(`Could not write the recovered alarm store: ${errorText(error)}`));
    }
    store.startFollowing();
    return store;
  }

  /** Problems with the file that were worked around since the store opened. */
  get problems(): readonly StoreProblem[] {
    return this.problemList;
  }

  // ---- ingestion (the SQS consumer) ----

  /** Parses and records one message body in memory. Call `persist()` before deleting the message. */
  ingest(body: string, meta: IngestMeta = {}): IngestOutcome {
    const parsed = parseAlarmMessage(body, meta);
    if (parsed.ok) {
      return this.ingestAlarm(parsed.alarm, meta);
    }
    const id = `unparsed:${meta.sqsMessageId ?? createHash("sha256").update(body).digest("hex").slice(0, 24)}`;
    const entry: UnparsedEntry = {
      id,
      receivedAt: new Date(this.now()).toISOString(),
      messageId: meta.sqsMessageId ?? null,
      error: parsed.error,
      body,
    };
    return this.record({ op: "unparsed", entry, key: meta.sqsMessageId ? `sqs:${meta.sqsMessageId}` : null });
  }

  /** Records an already parsed alarm (deduped by its SNS MessageId, else by the SQS MessageId). */
  ingestAlarm(alarm: Alarm, meta: IngestMeta = {}): IngestOutcome {
    const key = alarm.messageId ? `sns:${alarm.messageId}` : meta.sqsMessageId ? `sqs:${meta.sqsMessageId}` : null;
    return this.record({ op: "alarm", alarm, key });
  }

  /** Resolves once every change made before the call is on disk. */
  persist(): Promise<void> {
    if (!this.queuedWrite) {
      const run = this.serial(async () => {
        // At most one write per interval, and never more than a third of the time spent writing.
        const interval = Math.max(this.options.minWriteIntervalMs ?? 200, 2 * this.lastWriteMs);
        const wait = this.lastWriteAt + interval - performance.now();
        if (wait > 0 && this.pending.length > 0) {
          // Let more changes join this write (they still resolve with it: it has not started yet).
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
        this.queuedWrite = null;
        await this.writeOnce();
      });
      this.queuedWrite = run;
    }
    return this.queuedWrite;
  }

  // ---- queries (IncidentSource) ----

  /** Incidents, open first, most recent change first. Treat them as read-only snapshots. */
  listIncidents(filter?: IncidentFilter): Incident[] {
    return this.book.list(filter);
  }

  getIncident(id: string): Incident | undefined {
    return this.book.get(id);
  }

  listUnparsed(): UnparsedEntry[] {
    return this.book.listUnparsed();
  }

  getUnparsed(id: string): UnparsedEntry | undefined {
    return this.book.getUnparsed(id);
  }

  /** The EC2 instance of an alarm ARN as far as stored incidents know it: how a composite alarm finds its host. */
  hostForArn(arn: string): string | null {
    return this.book.hostForArn(arn);
  }

  counts(): StoreCounts {
    return this.book.counts();
  }

  // ---- user actions (any window) ----

  async acknowledge(ids: string | string[], acknowledged = true): Promise<void> {
    this.record({ op: "ack", ids: typeof ids === "string" ? [ids] : ids, acknowledged });
    await this.persist();
  }

  /** Removes incidents and/or unparsed entries. A removed alarm comes back only with a new state change. */
  async remove(ids: string | string[]): Promise<void> {
    this.record({ op: "remove", ids: typeof ids === "string" ? [ids] : ids, onlyResolved: false });
    await this.persist();
  }

  /** Removes every resolved incident; returns how many. */
  async clearResolved(): Promise<number> {
    const ids = this.book.list({ status: "resolved" }).map((i) => i.id);
    if (ids.length > 0) {
      this.record({ op: "remove", ids, onlyResolved: true });
      await this.persist();
    }
    return ids.length;
  }

  /** Removes resolved incidents older than the retention; returns how many. */
  async ageOut(): Promise<number> {
    const cutoff = new Date(this.now() - this.retentionMs).toISOString();
    const ids = this.book.resolvedBefore(cutoff);
    if (ids.length > 0) {
      this.record({ op: "remove", ids, onlyResolved: true });
      await this.persist();
      this.logger.debug(`Aged out ${ids.length} resolved incident(s).`);
    }
    return ids.length;
  }

  setResolvedRetentionHours(hours: number): void {
    this.retentionMs = hours * 3_600_000;
  }

  /** Reads the file again if another window changed it (also done automatically while watching). */
  reload(): Promise<void> {
    if (!this.queuedReload) {
      this.queuedReload = this.serial(async () => {
        this.queuedReload = null;
        await this.reloadOnce();
      });
    }
    return this.queuedReload;
  }

  /** Writes what is pending and stops following the file. */
  async close(): Promise<void> {
    this.stopFollowing();
    try {
      await this.persist();
    } finally {
      this.dispose();
    }
  }

  /** Stops watching and timers. Prefer `close()`, which also writes pending changes. */
  dispose(): void {
    this.disposed = true;
    this.stopFollowing();
    this.throttle.dispose();
    this.changes.dispose();
    this.problemEmitter.dispose();
  }

  // ---- internals ----

  private record(op: StoreOp): IngestOutcome {
    const result = this.book.apply(op);
    if (result.kind !== "duplicate") {
      this.pending.push(op);
      this.noteChange(result, op);
    }
    return result.kind === "recorded" ? result : result.kind === "unparsed" ? { kind: "unparsed", entry: result.entry } : { kind: "duplicate" };
  }

  private noteChange(result: ApplyResult, op: StoreOp): void {
    switch (result.kind) {
      case "recorded":
        this.change.transitions.push(result.transition);
        break;
      case "unparsed":
        this.change.unparsed.push(result.entry);
        if (result.dropped.length > 0) {
          this.change.removed.push(...result.dropped);
          this.logger.warn(`Removed the ${result.dropped.length} oldest unparsed message(s) to stay within the store's limits (500 entries, 32 MiB of bodies).`);
        }
        break;
      case "changed":
        (op.op === "ack" ? this.change.acknowledged : this.change.removed).push(...result.ids);
        break;
      default:
        return;
    }
    this.throttle.schedule();
  }

  private emitChange(): void {
    const change = this.change;
    this.change = emptyChange();
    this.changes.fire(change, (error) => this.logger.error(`Alarm store listener failed: ${String(error)}`));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeOnce(): Promise<void> {
    if (this.pending.length === 0 && !this.repaired) {
      return;
    }
    await this.lock.withLock(async () => {
      let ops: StoreOp[] = [];
      try {
        // Someone else wrote since we last looked: start from their file, replay ours on top.
        const current = await readStore(this.file, this.stamp);
        this.take(current);
        ops = this.pending.splice(0);
        const started = performance.now();
        const snapshot = this.book.toFile(new Date(this.now()).toISOString());
        // The file being replaced becomes the last-good copy if it passed every check.
        const keep = current.kind !== "missing" && this.fileWhole ? `${this.file}${LAST_GOOD_SUFFIX}` : null;
        this.stamp = await writeAtomically(this.file, serialize(snapshot), keep);
        this.fileWhole = true;
        this.repaired = false;
        this.lastWriteAt = performance.now();
        this.lastWriteMs = this.lastWriteAt - started;
      } catch (error) {
        this.pending.unshift(...ops);
        const reason = error instanceof Error ? error.message : String(error);
        throw new AtlError("storage", `Could not save alarms to ${this.file} (${reason}).`, {
          cause: error,
          fix: "Check free disk space and the folder's permissions; the messages stay in the queue until saved.",
        });
      }
    });
  }

  private async reloadOnce(): Promise<void> {
    const current = await readStore(this.file, this.stamp);
    if (!this.disposed) {
      this.take(current);
      if (this.repaired) {
        void this.persist().catch((error: unknown) => this.logger.warn(`Could not write the recovered alarm store: ${errorText(error)}`));
      }
    }
  }

  /** Adopts what a read found, and reports what had to be worked around. */
  private take(current: ReadResult): void {
    if (current.kind === "read") {
      this.adopt(current.file, current.stamp);
      this.fileWhole = current.problem === null;
      if (current.problem) {
        // Write the file back without the entries that were set aside.
        this.repaired = true;
        this.report(current.problem);
      }
    } else if (current.kind === "recovered") {
      this.adopt(current.file, null);
      this.fileWhole = false;
      this.repaired = true;
      this.report(current.problem);
    }
  }

  private report(problem: StoreProblem): void {
    this.problemList.push(problem);
    this.logger.error(problem.message);
    this.problemEmitter.fire(problem, (error) => this.logger.error(`Alarm store problem listener failed: ${String(error)}`));
  }

  /** Switches to the file's state plus our pending operations, and reports what others changed. */
  private adopt(file: StoreFile, stamp: string | null): void {
    const before = this.book;
    const fresh = IncidentBook.fromFile(file, this.bookOptions);
    for (const op of this.pending) {
      fresh.apply(op);
    }
    this.book = fresh;
    this.stamp = stamp;
    if (this.diffInto(before, fresh)) {
      this.change.external = true;
      this.throttle.schedule();
    }
  }

  /** Adds to the pending change event what differs between two states; true if anything does. */
  private diffInto(before: IncidentBook, after: IncidentBook): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const incident of after.allIncidents()) {
      seen.add(incident.id);
      const old = before.get(incident.id);
      if (old === undefined || old.lastChangeAt !== incident.lastChangeAt || old.status !== incident.status) {
        const kind = old === undefined ? "opened" : incident.status === "resolved" ? (old.status === "open" ? "resolved" : "updated") : old.status === "resolved" ? "reopened" : "updated";
        this.change.transitions.push({ kind, incident, alarm: incident.alarm });
        changed = true;
      } else if (old.acknowledged !== incident.acknowledged) {
        this.change.acknowledged.push(incident.id);
        changed = true;
      } else if (old !== incident && old.hostId !== incident.hostId) {
        changed = true;
      }
    }
    for (const incident of before.allIncidents()) {
      if (!seen.has(incident.id)) {
        this.change.removed.push(incident.id);
        changed = true;
      }
    }
    const oldUnparsed = new Set(before.listUnparsed().map((u) => u.id));
    const newUnparsed = after.listUnparsed();
    for (const entry of newUnparsed) {
      if (!oldUnparsed.delete(entry.id)) {
        this.change.unparsed.push(entry);
        changed = true;
      }
    }
    for (const id of oldUnparsed) {
      this.change.removed.push(id);
      changed = true;
    }
    return changed;
  }

  private startFollowing(): void {
    if (this.options.watch === false) {
      return;
    }
    try {
      this.watcher = watch(this.options.dir, { persistent: false }, (_event, name) => {
        if (name === null || name === STORE_FILE) {
          this.reloadThrottle.schedule();
        }
      });
      this.watcher.on("error", (error) => {
        this.logger.warn(`Stopped watching ${this.options.dir} (${error.message}); polling it instead.`);
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (error) {
      this.logger.warn(`Cannot watch ${this.options.dir} (${String(error)}); polling it instead.`);
    }
    const poll = setInterval(() => this.reloadThrottle.schedule(), this.options.pollIntervalMs ?? 2000);
    const age = setInterval(() => {
      this.ageOut().catch((error: unknown) => this.logger.warn(`Could not age out resolved incidents: ${String(error)}`));
    }, this.options.ageOutIntervalMs ?? 600_000);
    poll.unref();
    age.unref();
    this.timers.push(poll, age);
  }

  private stopFollowing(): void {
    this.watcher?.close();
    this.watcher = undefined;
    for (const timer of this.timers.splice(0)) {
      clearInterval(timer);
    }
    this.reloadThrottle.dispose();
  }
}

function emptyChange(): AlarmStoreChange {
  return { transitions: [], unparsed: [], removed: [], acknowledged: [], external: false };
}

function stampOf(info: Stats): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

type ReadResult =
  | { kind: "missing" }
  | { kind: "unchanged" }
  /** The file, with entries that failed their check left out (`problem` says where they went). */
  | { kind: "read"; file: StoreFile; stamp: string; problem: StoreProblem | null }
  /** The file was damaged and moved aside; this is what could be recovered from it and the last-good copy. */
  | { kind: "recovered"; file: StoreFile; problem: StoreProblem };

/**
 * Reads the store file and its stamp from one open handle (so they match even if a writer renames a
 * new file in meanwhile); skips the read when the stamp is `known`. Entries are checked one by one;
 * a file that does not parse or is not an ATL store is moved aside and recovered as far as it can be.
 * Throws only when the file exists but cannot be read (permissions, I/O).
 */
async function readStore(path: string, known: string | null): Promise<ReadResult> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    ignoreMissing(error);
    return { kind: "missing" };
  }
  let text: string;
  let stamp: string;
  try {
    stamp = stampOf(await handle.stat());
    if (stamp === known) {
      return { kind: "unchanged" };
    }
    text = await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
  let parsed: unknown;
  let parses = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    parses = false;
  }
  const checked = parses ? checkStoreFile(parsed) : null;
  if (checked) {
    if (checked.rejected.length === 0) {
      return { kind: "read", file: checked.file, stamp, problem: null };
    }
    const aside = await setAsideRejected(path, checked.rejected);
    return {
      kind: "read",
      file: checked.file,
      stamp,
      problem: {
        message: t(
          "{0} entries of the alarm store could not be used and were moved to {1}; the other {2} incident(s) loaded.",
          checked.rejected.length,
          aside,
          checked.file.incidents.length,
        ),
        setAside: [aside],
      },
    };
  }
  // Damaged (cut short, corrupted) or not an ATL store: keep it, and recover what can be read.
  const aside = `${path}.corrupt-${Date.now()}`;
  await rename(path, aside).catch(ignoreMissing);
  const salvaged = parses ? null : checkStoreFile(salvageStoreText(text));
  const lastGood = await readLastGood(`${path}${LAST_GOOD_SUFFIX}`);
  const file = salvaged && lastGood ? mergeStoreFiles(salvaged.file, lastGood.file) : (salvaged?.file ?? lastGood?.file ?? emptyStoreFile());
  const rejected = [...(salvaged?.rejected ?? []), ...(lastGood?.rejected ?? [])];
  const setAside = [aside, ...(rejected.length > 0 ? [await setAsideRejected(path, rejected)] : [])];
  const [incidents, unparsed] = [file.incidents.length, file.unparsed.length];
  let message: string;
  if (salvaged && lastGood) {
    message = t("The alarm store file was damaged and moved to {0}; {1} incident(s) and {2} unparsed message(s) were recovered from it and from the last-good copy.", aside, incidents, unparsed);
  } else if (salvaged) {
    message = t("The alarm store file was damaged and moved to {0}; {1} incident(s) and {2} unparsed message(s) were recovered from it.", aside, incidents, unparsed);
  } else if (lastGood) {
    message = t("The alarm store file was damaged or not an ATL store and was moved to {0}; {1} incident(s) and {2} unparsed message(s) were recovered from the last-good copy.", aside, incidents, unparsed);
  } else {
    message = t("The alarm store file was damaged or not an ATL store and was moved to {0}; nothing in it could be recovered, and a new store was started.", aside);
  }
  return { kind: "recovered", file, problem: { message, setAside } };
}

/** The last-good copy, checked the same way (and salvaged if it is damaged too), or null. */
async function readLastGood(path: string): Promise<CheckedStore | null> {
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  try {
    return checkStoreFile(JSON.parse(text));
  } catch {
    return checkStoreFile(salvageStoreText(text));
  }
}

/** Writes the entries that failed their check, with the reasons, next to the store; returns the path. */
async function setAsideRejected(path: string, rejected: RejectedEntry[]): Promise<string> {
  const aside = `${path}.rejected-${Date.now()}-${randomBytes(2).toString("hex")}`;
  await writeFile(aside, JSON.stringify({ format: "atl-alarm-store-rejected", from: path, entries: rejected }, null, 1), { mode: 0o600 });
  return aside;
}

function emptyStoreFile(): StoreFile {
  return { format: "atl-alarm-store", version: 1, savedAt: "", incidents: [], unparsed: [], seen: [] };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The file as JSON, in pieces: a storm store is megabytes, and one big string per write would sit
 * in the old generation until the next full GC (the peak memory of a storm). Incident objects are
 * never mutated, so serializing the captured arrays while the store moves on is consistent.
 */
function* serialize(file: StoreFile): Generator<string> {
  const { incidents, unparsed, seen, ...head } = file;
  yield JSON.stringify(head).slice(0, -1);
  for (const [key, list] of [
    ["incidents", incidents],
    ["unparsed", unparsed],
    ["seen", seen],
  ] as const) {
    yield `,${JSON.stringify(key)}:[`;
    for (let i = 0; i < list.length; i++) {
      yield (i > 0 ? "," : "") + JSON.stringify(list[i]);
    }
    yield "]";
  }
  yield "}";
}

/**
 * temp file + fsync + rename: readers see the old or the new file, never a partial one. With
 * `lastGood`, the file being replaced is kept there first (a hard link: no copy).
 */
async function writeAtomically(path: string, pieces: Iterable<string>, lastGood: string | null): Promise<string> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  let stamp: string;
  const handle = await open(temp, "w", 0o600);
  try {
    // Written in 64 KiB pieces as they are made: a storm store is megabytes, and holding all of
    // it (as one string or as buffers) until one big write was the peak memory of a storm.
    let written = 0;
    let chunk = "";
    const flush = async (): Promise<void> => {
      const buffer = Buffer.from(chunk, "utf8");
      chunk = "";
      const { bytesWritten } = await handle.write(buffer, 0, buffer.length, written);
      if (bytesWritten !== buffer.length) {
        throw new Error(`short write (${bytesWritten} of ${buffer.length} bytes)`);
      }
      written += bytesWritten;
    };
    for (const piece of pieces) {
      chunk += piece;
      if (chunk.length >= 64 * 1024) {
        await flush();
      }
    }
    await flush();
    await handle.datasync();
    stamp = stampOf(await handle.stat());
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  if (lastGood !== null) {
    // Best effort: without it, a damaged file is recovered from itself only.
    const linkTemp = `${lastGood}.${process.pid}.tmp`;
    await link(path, linkTemp)
      .then(() => rename(linkTemp, lastGood))
      .catch(() => unlink(linkTemp).catch(() => undefined));
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return stamp;
}
