// What the demo started, in order, and how to stop each part: gracefully in reverse order on
// Ctrl-C/SIGTERM, and synchronously (SIGKILL, remove folders) from the process's `exit` hook when
// the graceful path cannot run. A part registered after stopping began is stopped at once, so a
// Ctrl-C in the middle of start-up leaves nothing behind either.
import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";

export interface Part {
  /** What it is, for messages: "the agent", "code-server". */
  name: string;
  stop(): Promise<void>;
  /** Last resort from the exit hook: synchronous only (kill pids, remove folders). */
  kill?(): void;
}

/** Time one part may take to stop gracefully before the next one is stopped. */
const STOP_TIMEOUT_MS = 30_000;

export class Lifecycle {
  private readonly parts: Part[] = [];
  private stopped: Promise<string[]> | null = null;
  private readonly inFlight = new Map<Part, Promise<string | null>>();

  constructor() {
    process.on("exit", () => this.killAll());
  }

  get stopping(): boolean {
    return this.stopped !== null;
  }

  /** Registers a started part; when already stopping, stops it right away. */
  add(part: Part): void {
    this.parts.push(part);
    if (this.stopped) {
      void this.stopPart(part);
    }
  }

  /** A folder removed on stop (and by the exit hook). */
  addFolder(name: string, path: string): void {
    this.add({
      name,
      stop: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
      kill: () => rmSync(path, { recursive: true, force: true }),
    });
  }

  /** Throws when stopping began (start-up checks this between steps). */
  checkpoint(): void {
    if (this.stopped) {
      throw new StopRequested();
    }
  }

  /** Stops every part, newest first; resolves with the problems met (empty when all went well). */
  stopAll(): Promise<string[]> {
    this.stopped ??= (async () => {
      const problems: string[] = [];
      // A part stays registered (for the exit hook) until it has stopped.
      while (this.parts.length > 0) {
        const problem = await this.stopPart(this.parts[this.parts.length - 1]);
        if (problem) {
          problems.push(problem);
        }
      }
      return problems;
    })();
    return this.stopped;
  }

  /** Waits for parts that registered after stopping began. */
  async settle(): Promise<string[]> {
    const problems = await Promise.all([...this.inFlight.values()]);
    return problems.filter((p): p is string => p !== null);
  }

  private stopPart(part: Part): Promise<string | null> {
    let stopping = this.inFlight.get(part);
    if (!stopping) {
      stopping = this.stopNow(part);
      this.inFlight.set(part, stopping);
    }
    return stopping;
  }

  private async stopNow(part: Part): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        part.stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not stop within ${STOP_TIMEOUT_MS / 1000} s`)), STOP_TIMEOUT_MS);
        }),
      ]);
      return null;
    } catch (error) {
      part.kill?.();
      return `${part.name}: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
      const index = this.parts.indexOf(part);
      if (index >= 0) {
        this.parts.splice(index, 1);
      }
    }
  }

  private killAll(): void {
    for (const part of this.parts.splice(0).reverse()) {
      try {
        part.kill?.();
      } catch {
        // Best effort: the process is exiting.
      }
    }
  }
}

export class StopRequested extends Error {
  constructor() {
    super("stopped during start-up");
  }
}
