// Durable appends shared by the audit log and the replay journal: records queued while a write is
// in flight are committed together by the next one (group commit), each batch in one writev system
// call, made durable by O_DSYNC or an fdatasync before its records resolve.
import { constants as fsConstants, fdatasync, writev } from "node:fs";
import { errnoCode } from "../../src/shared/errors";

/** Flags of an append-only file. */
export const APPEND = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT;
/** Flags of an append-only file whose writes return once the data is on disk. */
export const DURABLE_APPEND = APPEND | fsConstants.O_DSYNC;

export interface Queued {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Runs `write` on batches of queued items, one batch at a time, in arrival order. `write` settles
 * every item of its batch. At most `maxBatch` items per call (writev takes up to 1024 buffers).
 */
export class BatchQueue<T extends Queued> {
  private queue: T[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly maxBatch = 512,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (this.running === null) {
      this.running = this.drain();
    }
  }

  /** Removes what is still queued (a failed write refuses the records behind it too). */
  takeAll(): T[] {
    return this.queue.splice(0);
  }

  /** Resolves once nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.running !== null) {
      await this.running;
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.write(batch);
        } catch (error) {
          // `write` settles its items itself; this only guards against a bug leaving them pending.
          for (const item of batch) {
            item.reject(error instanceof Error ? error : new Error(String(error)));
          }
        }
      }
    } finally {
      // Cleared in the same step that saw the queue empty: a push right after starts a new drain.
      this.running = null;
    }
  }
}

/** One writev system call (libuv makes exactly one); returns the bytes written, fewer when cut short. */
export function writevOnce(fd: number, buffers: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, buffers, (error, written) => {
      if (error) {
        reject(error);
        return;
      }
      resolve(written);
    });
  });
}

/** fdatasync as a promise: everything written to the file so far is on disk when it resolves. */
export function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

export function errnoText(error: unknown): string {
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined || message.startsWith(code) ? message : `${code}: ${message}`;
}
