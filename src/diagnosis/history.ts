// The persisted history of diagnosis threads (global storage): per thread a small summary file the
// Diagnoses view lists and a transcript file the chat panel restores from. One pair of files per
// thread, written atomically, so several windows never overwrite each other's threads.
// No `vscode` import: it runs under plain node tests.
import { watch } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AtlError, errnoCode } from "../shared/errors";
import type { DiagnosisInput, Severity, ThreadStatus } from "../graph/diagnosis";
import type { Logger } from "../shared/log";
import type { ThreadHeader, TranscriptEntry } from "../webview/protocol";
import { upgradeEvent } from "../graph/upgrade";

/** What the Diagnoses view shows of a thread. */
export interface DiagnosisSummary {
  id: string;
  title: string;
  hostName: string | null;
  alarmName: string | null;
  /** Set when the thread diagnoses an incident from the Alarms view. */
  incidentId: string | null;
  createdAt: string;
  updatedAt: string;
  status: ThreadStatus;
  severity: Severity | null;
  /** The verdict in a few words ("java (pid 4123): 98 % CPU"), once an analysis names one. Absent in older records. */
  culprit?: string | null;
  /** Started by an arriving alarm (proactive triage), not by a click. */
  triage?: boolean;
  /** A report exists (Open/Save/Copy report apply). */
  hasReport: boolean;
}

/** The whole thread as stored. */
export interface DiagnosisRecord {
  version: 1;
  summary: DiagnosisSummary;
  header: ThreadHeader;
  entries: TranscriptEntry[];
  pendingRound: number | null;
  /** How the thread started, to start it again once the user picks a host. */
  input: DiagnosisInput | null;
}

export const MAX_THREADS = 200;
const ID_PATTERN = /^[A-Za-z0-9-]{1,80}$/;

type Listener = () => void;

export class DiagnosisHistory {
  private readonly summaries = new Map<string, DiagnosisSummary>();
  private readonly listeners = new Set<Listener>();
  private loaded: Promise<void> | null = null;
  /** Per thread: the write in flight, so writes of one thread land in order. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Called after any summary changes (added, updated, removed). */
  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Reads the summaries from disk once; later calls wait for the same read. */
  load(): Promise<void> {
    this.loaded ??= this.readSummaries();
    return this.loaded;
  }

  /**
   * Follows the threads other windows add, change and remove: the folder is watched and its
   * summaries re-read (debounced) after load(). Threads this window is writing keep their newer
   * state from memory.
   */
  watch(debounceMs = 200): { dispose(): void } {
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const rescan = (): void => {
      timer = undefined;
      void this.rescan().catch((error: unknown) => this.logger.warn(`Cannot re-read the diagnoses: ${error instanceof Error ? error.message : String(error)}`));
    };
    let watcher: ReturnType<typeof watch> | undefined;
    void this.load()
      .then(() => {
        if (closed) {
          return;
        }
        watcher = watch(this.dir, { persistent: false }, (_event, name) => {
          if (name && !String(name).endsWith(".meta.json")) {
            return;
          }
          clearTimeout(timer);
          timer = setTimeout(rescan, debounceMs);
        });
        watcher.on("error", (error) => this.logger.warn(`Stopped following other windows' diagnoses: ${error.message}`));
      })
      .catch(() => undefined);
    return {
      dispose: () => {
        closed = true;
        clearTimeout(timer);
        watcher?.close();
      },
    };
  }

  /** Newest first. */
  list(): DiagnosisSummary[] {
    return [...this.summaries.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  summary(id: string): DiagnosisSummary | undefined {
    return this.summaries.get(id);
  }

  /** The stored thread, or undefined if it was never saved or was removed. */
  async get(id: string): Promise<DiagnosisRecord | undefined> {
    if (!ID_PATTERN.test(id)) {
      return undefined;
    }
    await this.writes.get(id);
    let text: string;
    try {
      text = await readFile(this.transcriptPath(id), "utf8");
    } catch (error) {
      if (isNotFound(error)) {
        return undefined;
      }
      throw new AtlError("storage", `Cannot read the diagnosis ${id} from ${this.dir}.`, { cause: error, fix: "Check the disk and the permissions of VS Code's global storage folder." });
    }
    const record = parseRecord(text);
    if (!record) {
      this.logger.warn(`Diagnosis file ${id}.json is damaged; it is ignored.`);
    }
    return record;
  }

  /** Saves the thread (summary and transcript) and tells listeners. Writes of one thread are ordered. */
  async save(record: DiagnosisRecord): Promise<void> {
    const id = record.summary.id;
    if (!ID_PATTERN.test(id)) {
      throw new AtlError("internal", `Invalid diagnosis id ${JSON.stringify(id.slice(0, 40))}.`);
    }
    const isNew = !this.summaries.has(id);
    this.summaries.set(id, record.summary);
    this.fire();
    const previous = this.writes.get(id) ?? Promise.resolve();
    const write = previous.then(() => this.writeRecord(record));
    this.writes.set(id, write);
    try {
      await write;
    } finally {
      if (this.writes.get(id) === write) {
        this.writes.delete(id);
      }
    }
    if (isNew) {
      await this.prune();
    }
  }

  async remove(id: string): Promise<void> {
    if (!ID_PATTERN.test(id)) {
      return;
    }
    await this.writes.get(id);
    this.summaries.delete(id);
    await rm(this.summaryPath(id), { force: true });
    await rm(this.transcriptPath(id), { force: true });
    this.fire();
  }

  /** Keeps the newest MAX_THREADS threads; older ones are deleted from disk. */
  private async prune(): Promise<void> {
    const all = this.list();
    for (const old of all.slice(MAX_THREADS)) {
      if (old.status === "running") {
        continue;
      }
      await this.remove(old.id);
    }
  }

  private async readSummaries(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.replaceSummaries(await this.scan());
  }

  private replaceSummaries(found: Map<string, DiagnosisSummary>): void {
    this.summaries.clear();
    for (const [id, summary] of found) {
      this.summaries.set(id, summary);
    }
  }

  /** Re-reads the folder; tells listeners when another window changed something. */
  private async rescan(): Promise<void> {
    const found = await this.scan();
    // A thread this window is writing: memory is newer than its file.
    for (const id of this.writes.keys()) {
      const mine = this.summaries.get(id);
      if (mine) {
        found.set(id, mine);
      }
    }
    const same = found.size === this.summaries.size && [...found].every(([id, summary]) => JSON.stringify(this.summaries.get(id)) === JSON.stringify(summary));
    if (same) {
      return;
    }
    this.replaceSummaries(found);
    this.fire();
  }

  private async scan(): Promise<Map<string, DiagnosisSummary>> {
    const found = new Map<string, DiagnosisSummary>();
    const names = await readdir(this.dir);
    for (const name of names) {
      const match = /^([A-Za-z0-9-]{1,80})\.meta\.json$/.exec(name);
      if (!match) {
        continue;
      }
      try {
        const summary = parseSummary(await readFile(join(this.dir, name), "utf8"));
        if (summary && summary.id === match[1]) {
          found.set(summary.id, summary);
        } else {
          this.logger.warn(`Diagnosis summary ${name} is damaged; it is ignored.`);
        }
      } catch (error) {
        // Removed by another window between readdir and readFile.
        if (!isNotFound(error)) {
          throw new AtlError("storage", `Cannot read the diagnoses in ${this.dir}.`, { cause: error, fix: "Check the disk and the permissions of VS Code's global storage folder." });
        }
      }
    }
    return found;
  }

  private async writeRecord(record: DiagnosisRecord): Promise<void> {
    const id = record.summary.id;
    try {
      await mkdir(this.dir, { recursive: true });
      await atomicWrite(this.transcriptPath(id), JSON.stringify(record));
      await atomicWrite(this.summaryPath(id), JSON.stringify(record.summary));
    } catch (error) {
      throw new AtlError("storage", `Cannot save the diagnosis to ${this.dir}.`, { cause: error, fix: "Check free disk space and the permissions of VS Code's global storage folder." });
    }
  }

  private summaryPath(id: string): string {
    return join(this.dir, `${id}.meta.json`);
  }

  private transcriptPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private fire(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, { encoding: "utf8", mode: 0o600 });
  await rename(tmp, path);
}

function isNotFound(error: unknown): boolean {
  return errnoCode(error) === "ENOENT";
}

const STATUSES: readonly ThreadStatus[] = ["waiting-approval", "running", "done", "rejected", "needs-host", "failed", "answered"];
const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

function parseSummary(text: string): DiagnosisSummary | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isSummary(value) ? value : undefined;
}

function isSummary(value: unknown): value is DiagnosisSummary {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const s = value as Record<string, unknown>;
  return (
    typeof s.id === "string" &&
    ID_PATTERN.test(s.id) &&
    typeof s.title === "string" &&
    (s.hostName === null || typeof s.hostName === "string") &&
    (s.alarmName === null || typeof s.alarmName === "string") &&
    (s.incidentId === null || typeof s.incidentId === "string") &&
    typeof s.createdAt === "string" &&
    typeof s.updatedAt === "string" &&
    STATUSES.includes(s.status as ThreadStatus) &&
    (s.severity === null || SEVERITIES.includes(s.severity as Severity)) &&
    typeof s.hasReport === "boolean" &&
    (s.culprit === undefined || s.culprit === null || typeof s.culprit === "string") &&
    (s.triage === undefined || typeof s.triage === "boolean")
  );
}

function parseRecord(text: string): DiagnosisRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) {
    return undefined;
  }
  const r = value as Record<string, unknown>;
  if (r.version !== 1 || !isSummary(r.summary) || typeof r.header !== "object" || r.header === null || !Array.isArray(r.entries)) {
    return undefined;
  }
  // Text of versions before RichText (Markdown strings) is read into RichText here, once.
  const record = value as DiagnosisRecord;
  return { ...record, entries: record.entries.map((entry) => (entry.kind === "event" ? { ...entry, event: upgradeEvent(entry.event) } : entry)) };
}
