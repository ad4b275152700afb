// One SQS poller per machine: the VS Code windows elect it through a lock file with a heartbeat in
// the shared global storage folder. The poller rewrites the file every `heartbeatMs`; another window
// takes over when the file is gone (the poller's window closed), when its process is dead (same
// host), or when its heartbeat is older than `staleMs` (a hung window). Only node:fs.
import { randomBytes, randomUUID } from "node:crypto";
import { unlinkSync, readFileSync } from "node:fs";
import { open, readFile, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { Emitter, type Disposable, type Event } from "../shared/events";
import { ignoreMissing, isAlive } from "../alarms/fileLock";
import type { Logger } from "../shared/log";
import { silentLogger } from "../shared/log";
import { errnoCode } from "../shared/errors";

export const POLLER_LOCK_FILE = "poller.lock";

export interface PollerElectionOptions {
  /** The shared folder (the extension's global storage). */
  dir: string;
  /** Identity of this window, e.g. `vscode.env.sessionId`. Default: random. */
  id?: string;
  /** How often the poller refreshes its heartbeat and the others check it. Default 2 s. */
  heartbeatMs?: number;
  /** A heartbeat older than this is abandoned. Default 10 s. */
  staleMs?: number;
  logger?: Logger;
}

interface LockContent {
  id: string;
  pid: number;
  host: string;
  /** Epoch ms of the last heartbeat. */
  heartbeatAt: number;
}

export class PollerElection implements Disposable {
  readonly id: string;
  private readonly file: string;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly logger: Logger;
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private readonly changes = new Emitter<boolean>();

  /** Fires with `true` when this window becomes the poller and `false` when it stops being it. */
  readonly onDidChangeLeadership: Event<boolean> = this.changes.event;

  constructor(options: PollerElectionOptions) {
    this.id = options.id ?? randomUUID();
    this.file = join(options.dir, POLLER_LOCK_FILE);
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.staleMs = options.staleMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
  }

  get isPoller(): boolean {
    return this.leader;
  }

  /** Runs the first election round, then keeps checking every `heartbeatMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    if (!this.timer && !this.stopped) {
      this.timer = setInterval(() => {
        // One round at a time; a slow disk just skips a beat.
        this.ticking ??= this.tick().finally(() => {
          this.ticking = null;
        });
      }, this.heartbeatMs);
      this.timer.unref();
    }
  }

  /** Who polls now, as far as the lock file says (for the status bar of the other windows). */
  async currentPoller(): Promise<{ id: string; pid: number; host: string } | null> {
    const content = await readContent(this.file);
    return content && !this.isStale(content) ? { id: content.id, pid: content.pid, host: content.host } : null;
  }

  /**
   * Stops taking part: if this window polls, it gives the lock up so another window takes over at
   * its next check. Synchronous, so it also works from `deactivate`.
   */
  dispose(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.leader) {
      this.releaseLock();
      this.setLeader(false);
    }
    this.changes.dispose();
  }

  /** Removes the lock file if it is ours. */
  private releaseLock(): void {
    try {
      const content = JSON.parse(readFileSync(this.file, "utf8")) as Partial<LockContent>;
      if (content.id === this.id) {
        unlinkSync(this.file);
      }
    } catch {
      // Already gone or replaced: nothing of ours to remove.
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.round();
    } catch (error) {
      // A transient fs problem: stay as we are and try again at the next beat.
      this.logger.warn(`Poller election: ${String(error)}`);
    }
  }

  private async round(): Promise<void> {
    if (this.stopped) {
      return;
    }
    const content = await readContent(this.file);
    if (this.stopped) {
      return;
    }
    if (content?.id === this.id) {
      await this.heartbeat();
      if (this.stopped) {
        // Disposed while the heartbeat was being written: that write re-created the lock file.
        this.releaseLock();
        return;
      }
      this.setLeader(true);
      return;
    }
    if (content && !this.isStale(content)) {
      this.setLeader(false);
      return;
    }
    if (content) {
      // Abandoned: move it aside first, so of two windows breaking it at once only one succeeds.
      try {
        await rename(this.file, `${this.file}.${randomBytes(6).toString("hex")}.stale`);
      } catch (error) {
        ignoreMissing(error);
      }
      await this.cleanStale();
      this.logger.info(`Taking over SQS polling from window ${content.id} (pid ${content.pid}): it stopped responding.`);
    }
    const created = await this.create();
    if (this.stopped) {
      if (created) {
        this.releaseLock();
      }
      return;
    }
    this.setLeader(created);
  }

  private isStale(content: LockContent): boolean {
    if (content.host === hostname() && !isAlive(content.pid)) {
      return true;
    }
    return Date.now() - content.heartbeatAt > this.staleMs;
  }

  private async create(): Promise<boolean> {
    try {
      const handle = await open(this.file, "wx");
      try {
        await handle.writeFile(JSON.stringify(this.content()));
      } finally {
        await handle.close();
      }
      return true;
    } catch (error) {
      if (errnoCode(error) === "EEXIST") {
        return false;
      }
      throw error;
    }
  }

  private async heartbeat(): Promise<void> {
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temp, JSON.stringify(this.content()));
    await rename(temp, this.file);
  }

  private async cleanStale(): Promise<void> {
    const dir = join(this.file, "..");
    for (const name of await readdir(dir)) {
      if (name.startsWith(`${POLLER_LOCK_FILE}.`) && name.endsWith(".stale")) {
        await unlink(join(dir, name)).catch(ignoreMissing);
      }
    }
  }

  private content(): LockContent {
    return { id: this.id, pid: process.pid, host: hostname(), heartbeatAt: Date.now() };
  }

  private setLeader(leader: boolean): void {
    if (leader !== this.leader) {
      this.leader = leader;
      this.logger.info(leader ? "This window polls SQS for the machine." : "Another window polls SQS for the machine.");
      this.changes.fire(leader, (error) => this.logger.error(`Poller election listener failed: ${String(error)}`));
    }
  }
}

async function readContent(file: string): Promise<LockContent | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    ignoreMissing(error);
    return null;
  }
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (typeof value.id === "string" && typeof value.pid === "number" && typeof value.host === "string" && typeof value.heartbeatAt === "number") {
      return value as LockContent;
    }
  } catch {
    // Caught between create and write, or damaged: its age is the file's.
  }
  try {
    return { id: "unknown", pid: -1, host: "", heartbeatAt: (await stat(file)).mtimeMs };
  } catch (error) {
    ignoreMissing(error);
    return null;
  }
}
