// A small cross-process lock file (node:fs only): created with O_EXCL, holding a random token, the
// pid and host. A lock whose holder died (same host, pid gone) or that is older than `staleMs` is
// broken by renaming it away first, so two windows cannot both break the same stale lock.
import { randomBytes } from "node:crypto";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { AtlError, errnoCode } from "../shared/errors";
import { sleep } from "../shared/sleep";

export interface FileLockOptions {
  /** A lock older than this is considered abandoned. Writers hold it for milliseconds. */
  staleMs?: number;
  /** How long `acquire` waits before giving up. */
  timeoutMs?: number;
}

interface LockContent {
  token: string;
  pid: number;
  host: string;
  at: number;
}

export class FileLock {
  private token: string | null = null;
  private readonly staleMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly path: string,
    options: FileLockOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }

  async acquire(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const token = randomBytes(12).toString("hex");
    for (;;) {
      try {
        const handle = await open(this.path, "wx");
        try {
          const content: LockContent = { token, pid: process.pid, host: hostname(), at: Date.now() };
          await handle.writeFile(JSON.stringify(content));
        } finally {
          await handle.close();
        }
        this.token = token;
        return;
      } catch (error) {
        if (errnoCode(error) !== "EEXIST") {
          throw new AtlError("storage", `Cannot create the lock file ${this.path}.`, {
            cause: error,
            fix: "Check that the folder exists and is writable.",
          });
        }
      }
      if (await this.isAbandoned()) {
        await this.breakLock();
        continue;
      }
      if (Date.now() > deadline) {
        throw new AtlError("storage", `The alarm store stayed locked for ${Math.round(this.timeoutMs / 1000)} s (${this.path}).`, {
          fix: "Another VS Code window may be stuck; close it, or delete the lock file.",
        });
      }
      await sleep(5 + Math.random() * 20);
    }
  }

  async release(): Promise<void> {
    const token = this.token;
    this.token = null;
    if (token === null) {
      return;
    }
    // Only remove our own lock: if we were too slow and someone broke it, it is theirs now.
    const content = await readLock(this.path);
    if (content?.token === token) {
      await unlink(this.path).catch(ignoreMissing);
    }
  }

  private async isAbandoned(): Promise<boolean> {
    const content = await readLock(this.path);
    if (content && content.host === hostname() && content.pid !== process.pid && !isAlive(content.pid)) {
      return true;
    }
    try {
      const info = await stat(this.path);
      return Date.now() - info.mtimeMs > this.staleMs;
    } catch (error) {
      ignoreMissing(error);
      return false;
    }
  }

  private async breakLock(): Promise<void> {
    const aside = `${this.path}.${randomBytes(6).toString("hex")}.stale`;
    try {
      await rename(this.path, aside);
    } catch (error) {
      ignoreMissing(error);
      return;
    }
    await unlink(aside).catch(ignoreMissing);
  }
}

async function readLock(path: string): Promise<LockContent | null> {
  try {
    const value: unknown = JSON.parse(await readFile(path, "utf8"));
    return typeof value === "object" && value !== null && "token" in value ? (value as LockContent) : null;
  } catch {
    // Missing, or caught between create and write: treat as unknown.
    return null;
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}

export function ignoreMissing(error: unknown): void {
  if (errnoCode(error) !== "ENOENT") {
    throw error;
  }
}
