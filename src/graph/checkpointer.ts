// A checkpointer with MemorySaver's semantics that also keeps every thread in one JSON file
// (written atomically: temp file + rename) in a directory, so a pending approval survives a window
// reload and can be resumed by another process. Pure JS, no native modules (fits a VSIX).
// Writes during a run are coalesced (one file write per burst of checkpoints, at most `writeDelayMs`
// later); `flush()` makes everything durable, and the service calls it before a run returns.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, type Checkpoint, type CheckpointMetadata, type CheckpointTuple } from "@langchain/langgraph";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";

const t: Translate = translate;

const FILE_VERSION = 1;
/** `seen` signature of a thread that has no file. */
const ABSENT = "absent";

type PendingWrites = Parameters<MemorySaver["putWrites"]>[1];
type ListOptions = Parameters<MemorySaver["list"]>[1];

/** MemorySaver's private layout, per thread: namespace → checkpoint id → [checkpoint, metadata, parent id]. */
type StoredCheckpoint = [Uint8Array | string, Uint8Array | string, string | undefined];
type ThreadStorage = Record<string, Record<string, StoredCheckpoint>>;
/** Writes, keyed by JSON [thread, ns, checkpoint id], then `${taskId},${idx}` → [taskId, channel, value, taskPath]. */
type StoredWrite = [string, string, Uint8Array | string, string];
type WriteStorage = Record<string, Record<string, StoredWrite>>;

interface ThreadFile {
  version: number;
  threadId: string;
  updatedAt: string;
  storage: Record<string, Record<string, [string, string, string | null]>>;
  writes: Record<string, Record<string, StoredWrite>>;
}

export interface FileCheckpointSaverOptions {
  /** Checkpoints kept per thread and namespace (older ones are dropped with their writes). Default 4. */
  keep?: number;
  /** Coalescing window of file writes during a run. Default 50 ms; 0 writes on every checkpoint. */
  writeDelayMs?: number;
}

export class FileCheckpointSaver extends MemorySaver {
  private readonly keep: number;
  private readonly writeDelayMs: number;
  /** Threads changed in memory and not yet written: the timer of their write, and the write. */
  private readonly dirty = new Map<string, { timer: NodeJS.Timeout; fire: () => void; done: Promise<void> }>();
  /** What we last read or wrote per thread, to notice another process writing the file. */
  private readonly seen = new Map<string, string>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Threads with a file write in flight: memory is newer than the file, nothing to read. */
  private readonly writing = new Map<string, number>();
  private readonly files = new Map<string, string>();
  private dirReady: Promise<void> | null = null;

  constructor(
    readonly directory: string,
    options: FileCheckpointSaverOptions = {},
  ) {
    super();
    this.keep = Math.max(2, options.keep ?? 4);
    this.writeDelayMs = Math.max(0, options.writeDelayMs ?? 50);
  }

  /** The file that holds a thread. */
  fileFor(threadId: string): string {
    let file = this.files.get(threadId);
    if (file === undefined) {
      file = join(this.directory, `thread-${createHash("sha256").update(threadId).digest("hex").slice(0, 40)}.json`);
      this.files.set(threadId, file);
    }
    return file;
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    await this.load(threadOf(config));
    return super.getTuple(config);
  }

  override async *list(config: RunnableConfig, options?: ListOptions): AsyncGenerator<CheckpointTuple> {
    const threadId = threadOf(config);
    if (threadId) {
      await this.load(threadId);
    } else {
      await this.loadAll();
    }
    yield* super.list(config, options);
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const threadId = threadOf(config);
    await this.loadOnce(threadId);
    const result = await super.put(config, checkpoint, metadata);
    await this.schedule(threadId);
    return result;
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrites, taskId: string, taskPath?: string): Promise<void> {
    const threadId = threadOf(config);
    await this.loadOnce(threadId);
    await super.putWrites(config, writes, taskId, taskPath);
    await this.schedule(threadId);
  }

  /** Writes every changed thread now (all of them, or one). */
  async flush(threadId?: string): Promise<void> {
    const ids = threadId === undefined ? [...this.dirty.keys()] : [threadId];
    const writes: Promise<void>[] = [];
    for (const id of ids) {
      const entry = this.dirty.get(id);
      if (entry) {
        clearTimeout(entry.timer);
        entry.fire();
        writes.push(entry.done);
      }
    }
    await Promise.all(writes);
  }

  override async deleteThread(threadId: string): Promise<void> {
    await this.flush(threadId);
    await super.deleteThread(threadId);
    await this.serialize(threadId, async () => {
      await rm(this.fileFor(threadId), { force: true });
      this.seen.delete(threadId);
    });
  }

  /** Whether a thread has a file on disk. */
  async has(threadId: string): Promise<boolean> {
    try {
      await stat(this.fileFor(threadId));
      return true;
    } catch {
      return false;
    }
  }

  private get storageMap(): Record<string, ThreadStorage> {
    return this.storage;
  }

  private get writeMap(): WriteStorage {
    return this.writes as unknown as WriteStorage;
  }

  private ensureDir(): Promise<void> {
    this.dirReady ??= mkdir(this.directory, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (error: unknown) => {
        this.dirReady = null;
        throw new AtlError("storage", t("Cannot create the checkpoint directory {0}.", this.directory), { cause: error, fix: t("Check the permissions of the folder.") });
      },
    );
    return this.dirReady;
  }

  /** Runs one file operation of a thread after the previous one. */
  private serialize(threadId: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(threadId) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    this.chains.set(
      threadId,
      next.catch(() => undefined),
    );
    return next;
  }

  /** During a run the thread in memory is current: read the file only if this process never did. */
  private loadOnce(threadId: string | undefined): Promise<void> {
    return threadId && !this.seen.has(threadId) && !this.dirty.has(threadId) && !this.writing.has(threadId) ? this.load(threadId) : Promise.resolve();
  }

  /** Marks a thread changed; its file is written once per burst (or at once with writeDelayMs 0). */
  private schedule(threadId: string | undefined): Promise<void> {
    if (!threadId) {
      return Promise.resolve();
    }
    if (this.writeDelayMs === 0) {
      return this.persist(threadId);
    }
    if (!this.dirty.has(threadId)) {
      let fire: () => void = () => undefined;
      const due = new Promise<void>((resolve) => (fire = resolve));
      const timer = setTimeout(fire, this.writeDelayMs);
      const done = due.then(() => {
        this.dirty.delete(threadId);
        return this.persist(threadId);
      });
      // A failed write surfaces through flush(); never as an unhandled rejection.
      done.catch(() => undefined);
      this.dirty.set(threadId, { timer, fire, done });
    }
    return Promise.resolve();
  }

  /** Reads the thread's file when it changed since we last saw it (another process wrote it). */
  private load(threadId: string | undefined): Promise<void> {
    if (!threadId) {
      return Promise.resolve();
    }
    if (this.dirty.has(threadId) || this.writing.has(threadId)) {
      // Our own newer state is not on disk yet: memory wins (and there is no need to wait for the write).
      return Promise.resolve();
    }
    return this.serialize(threadId, async () => {
      if (this.dirty.has(threadId)) {
        return;
      }
      const file = this.fileFor(threadId);
      let signature: string;
      try {
        const info = await stat(file);
        signature = `${info.mtimeMs}:${info.size}`;
      } catch {
        // No file yet: remembered, so the puts of this run do not look again; a file another
        // process writes later has a different signature and is read then.
        this.seen.set(threadId, ABSENT);
        return;
      }
      if (this.seen.get(threadId) === signature) {
        return;
      }
      let parsed: ThreadFile;
      try {
        parsed = JSON.parse(await readFile(file, "utf8")) as ThreadFile;
      } catch (error) {
        throw new AtlError("storage", t("The saved diagnosis {0} is unreadable.", file), { cause: error, fix: t("Remove the file to start the thread over.") });
      }
      if (parsed.version !== FILE_VERSION || parsed.threadId !== threadId) {
        throw new AtlError("storage", t("The saved diagnosis {0} has an unknown format.", file), { fix: t("Remove the file to start the thread over.") });
      }
      this.replaceThread(threadId, parsed);
      this.seen.set(threadId, signature);
    });
  }

  private async loadAll(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return;
    }
    for (const name of names.filter((n) => /^thread-[0-9a-f]{40}\.json$/.test(n))) {
      try {
        const parsed = JSON.parse(await readFile(join(this.directory, name), "utf8")) as ThreadFile;
        if (typeof parsed.threadId === "string") {
          await this.load(parsed.threadId);
        }
      } catch {
        // An unreadable file is reported when its thread is opened; listing skips it.
      }
    }
  }

  private replaceThread(threadId: string, file: ThreadFile): void {
    const storage: ThreadStorage = Object.create(null) as ThreadStorage;
    for (const [ns, checkpoints] of Object.entries(file.storage)) {
      storage[ns] = Object.create(null) as Record<string, StoredCheckpoint>;
      for (const [id, [checkpoint, metadata, parent]] of Object.entries(checkpoints)) {
        storage[ns][id] = [checkpoint, metadata, parent ?? undefined];
      }
    }
    this.storageMap[threadId] = storage;
    const prefix = writeKeyPrefix(threadId);
    for (const key of Object.keys(this.writeMap)) {
      if (key.startsWith(prefix)) {
        delete this.writeMap[key];
      }
    }
    for (const [key, records] of Object.entries(file.writes)) {
      if (writeKeyThread(key) === threadId) {
        this.writeMap[key] = Object.assign(Object.create(null) as Record<string, StoredWrite>, records);
      }
    }
  }

  /** Drops old checkpoints in memory, then writes the thread atomically. */
  private persist(threadId: string | undefined): Promise<void> {
    if (!threadId) {
      return Promise.resolve();
    }
    this.writing.set(threadId, (this.writing.get(threadId) ?? 0) + 1);
    const done = (): void => {
      const left = (this.writing.get(threadId) ?? 1) - 1;
      if (left > 0) {
        this.writing.set(threadId, left);
      } else {
        this.writing.delete(threadId);
      }
    };
    const write = this.serialize(threadId, async () => {
      await this.ensureDir();
      this.prune(threadId);
      const file: ThreadFile = { version: FILE_VERSION, threadId, updatedAt: new Date().toISOString(), storage: {}, writes: {} };
      for (const [ns, checkpoints] of Object.entries(this.storageMap[threadId] ?? {})) {
        file.storage[ns] = {};
        for (const [id, entry] of Object.entries(checkpoints)) {
          // Keep the decoded text in memory too, so the next write does not decode it again.
          entry[0] = text(entry[0]);
          entry[1] = text(entry[1]);
          file.storage[ns][id] = [entry[0], entry[1], entry[2] ?? null];
        }
      }
      const prefix = writeKeyPrefix(threadId);
      for (const [key, records] of Object.entries(this.writeMap)) {
        if (!key.startsWith(prefix)) {
          continue;
        }
        file.writes[key] = {};
        for (const [inner, record] of Object.entries(records)) {
          record[2] = text(record[2]);
          file.writes[key][inner] = [record[0], record[1], record[2], record[3]];
        }
      }
      const target = this.fileFor(threadId);
      const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        await writeFile(temp, JSON.stringify(file), { mode: 0o600 });
        await rename(temp, target);
        const info = await stat(target);
        this.seen.set(threadId, `${info.mtimeMs}:${info.size}`);
      } catch (error) {
        await rm(temp, { force: true });
        throw new AtlError("storage", t("Cannot save the diagnosis to {0}.", target), { cause: error, fix: t("Check free space and permissions of the folder.") });
      }
    });
    write.then(done, done);
    return write;
  }

  private prune(threadId: string): void {
    const namespaces = this.storageMap[threadId];
    if (!namespaces) {
      return;
    }
    for (const [ns, checkpoints] of Object.entries(namespaces)) {
      const ids = Object.keys(checkpoints).sort();
      for (const id of ids.slice(0, Math.max(0, ids.length - this.keep))) {
        delete checkpoints[id];
        delete this.writeMap[JSON.stringify([threadId, ns, id])];
      }
    }
  }
}

function threadOf(config: RunnableConfig): string | undefined {
  const id = (config.configurable as { thread_id?: unknown } | undefined)?.thread_id;
  return typeof id === "string" ? id : undefined;
}

/** MemorySaver keys writes by JSON.stringify([thread, namespace, checkpoint id]): a thread's keys start with this. */
function writeKeyPrefix(threadId: string): string {
  return `${JSON.stringify([threadId]).slice(0, -1)},`;
}

function writeKeyThread(key: string): string | undefined {
  try {
    const parsed = JSON.parse(key) as unknown;
    return Array.isArray(parsed) && typeof parsed[0] === "string" ? parsed[0] : undefined;
  } catch {
    return undefined;
  }
}

const decoder = new TextDecoder();

function text(value: Uint8Array | string): string {
  return typeof value === "string" ? value : decoder.decode(value);
}
