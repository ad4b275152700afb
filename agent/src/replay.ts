// Replay protection across restarts: every accepted nonce is appended to a journal in the agent's
// state directory and is on disk before the request is acted on, so a restarted agent still knows
// every nonce of the timestamp window. The journal is split into five-minute segment files by
// write time; a segment is deleted once every nonce in it has expired, so the disk holds at most
// the nonces of about fifteen minutes (bounded by limits.maxNonces per window, ~60 bytes each).
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { BatchQueue, DURABLE_APPEND, errnoText, writevOnce, type Queued } from "./durable";
import { MAX_CLOCK_SKEW_SECONDS } from "./protocol";

const SEGMENT_SEC = 300;
const SEGMENT_FILE = /^(\d{1,12})\.nonces$/;
const ENTRY = /^(\d{1,13}) ([0-9a-f]{32,128})$/;
/**
 * A nonce written at time t carries a timestamp of at most t + 300 s and expires 300 s (+1) after
 * it: a segment's entries are all expired this long after the segment ends.
 */
const SEGMENT_LIFETIME_SEC = SEGMENT_SEC + 2 * MAX_CLOCK_SKEW_SECONDS + 2;

export interface JournalEntry {
  nonce: string;
  expiresAtMs: number;
}

interface PendingNonce extends Queued {
  line: Buffer;
}

/** Thrown when a nonce could not be made durable: the request is refused (503). */
export class ReplayJournalError extends Error {
  override readonly name = "ReplayJournalError";
}

export class ReplayJournal {
  private fd: number | null = null;
  private segment = -1;
  /** Just (re)opened: the file may end in a torn line, so the next write begins with a newline. */
  private freshLine = false;
  private failed = false;
  private readonly queue = new BatchQueue<PendingNonce>((batch) => this.writeBatch(batch));
  private readonly sweeper: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    private readonly now: () => number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /**
   * Opens the journal in `dir` (created, mode 700) and returns it with the nonces still live.
   * Throws when the folder cannot be created or read: the agent then refuses to start.
   */
  static open(dir: string, now: () => number = Date.now): { journal: ReplayJournal; live: JournalEntry[] } {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journal = new ReplayJournal(dir, now);
    const live: JournalEntry[] = [];
    const nowMs = now();
    for (const name of readdirSync(dir)) {
      const match = SEGMENT_FILE.exec(name);
      if (!match) {
        continue;
      }
      const path = join(dir, name);
      if ((Number(match[1]) + SEGMENT_LIFETIME_SEC) * 1000 < nowMs) {
        unlinkSync(path);
        continue;
      }
      // A torn last line (a crash mid-write) is skipped: its request was never acted on.
      for (const line of readFileSync(path, "latin1").split("\n")) {
        const entry = ENTRY.exec(line);
        if (entry && Number(entry[1]) > nowMs) {
          live.push({ expiresAtMs: Number(entry[1]), nonce: entry[2] });
        }
      }
    }
    return { journal, live };
  }

  /** False after a failed write, until one succeeds. */
  get healthy(): boolean {
    return !this.failed;
  }

  /** Appends the nonce; resolves once it is on disk, rejects (ReplayJournalError) when it cannot be. */
  commit(nonce: string, expiresAtMs: number): Promise<void> {
    const line = Buffer.from(`${Math.round(expiresAtMs)} ${nonce.toLowerCase()}\n`, "latin1");
    return new Promise<void>((resolve, reject) => this.queue.push({ line, resolve, reject }));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.queue.idle();
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private async writeBatch(batch: PendingNonce[]): Promise<void> {
    const buffers = batch.map((item) => item.line);
    let written = -1;
    let total = 0;
    let lead = 0;
    let failure = "";
    try {
      const fd = this.currentFd();
      if (this.freshLine) {
        buffers.unshift(Buffer.from("\n"));
        lead = 1;
      }
      total = buffers.reduce((sum, b) => sum + b.length, 0);
      written = await writevOnce(fd, buffers);
    } catch (error) {
      failure = errnoText(error);
    }
    if (written === total) {
      this.freshLine = false;
      this.failed = false;
      for (const item of batch) {
        item.resolve();
      }
      return;
    }
    // Cut short or failed: close the segment so the next write starts a clean line in a fresh open.
    // A torn line does not parse and is skipped on load; its request is refused, never acted on.
    this.closeSegment();
    this.failed = true;
    const error = new ReplayJournalError(
      `the replay journal in ${this.dir} cannot be written (${failure || `a write was cut short after ${written} of ${total} bytes`})`,
    );
    let offset = lead;
    for (const item of batch) {
      offset += item.line.length;
      if (written >= 0 && offset <= written) {
        item.resolve();
      } else {
        item.reject(error);
      }
    }
  }

  private currentFd(): number {
    const segment = Math.floor(this.now() / 1000 / SEGMENT_SEC) * SEGMENT_SEC;
    if (this.fd !== null && segment === this.segment) {
      return this.fd;
    }
    this.closeSegment();
    const fd = openSync(join(this.dir, `${segment}.nonces`), DURABLE_APPEND, 0o600);
    this.fd = fd;
    this.segment = segment;
    this.freshLine = true;
    return fd;
  }

  private closeSegment(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Nothing to release.
      }
      this.fd = null;
    }
  }

  /** Deletes segments whose nonces have all expired. */
  private sweep(): void {
    const nowMs = this.now();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const match = SEGMENT_FILE.exec(name);
      if (match && Number(match[1]) !== this.segment && (Number(match[1]) + SEGMENT_LIFETIME_SEC) * 1000 < nowMs) {
        try {
          unlinkSync(join(this.dir, name));
        } catch {
          // Retried at the next sweep.
        }
      }
    }
  }
}
