// Keeps room for signed clients when connections pile up (idle sockets held open by anyone who can
// reach the port, under the unit's LimitNOFILE=4096): at most `max` client connections; when a new
// one would pass it, the oldest connection that never carried a valid signature is closed first,
// then the oldest idle signed one, and only when every connection is busy with a signed request is
// the newcomer turned away. A connection that sends no request at all is closed after a short wait
// (node's header timeout only starts at the first byte).
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Socket } from "node:net";

interface Tracked {
  socket: Socket;
  /** Carried a request with a valid signature. */
  trusted: boolean;
  /** Requests in progress on it. */
  active: number;
  /** Requests whose headers arrived. */
  requests: number;
}

/** How long a new connection may stay silent before its first request. */
export const FIRST_REQUEST_MS = 10_000;

/** Descriptors kept free for the agent itself: audit log, journal, listening socket, DNS… */
const RESERVED_FDS = 64;
/** Descriptors one running command may take (pipes of a several-stage pipeline). */
const FDS_PER_EXEC = 32;

/** The soft open-file limit of this process (RLIMIT_NOFILE), or null when unknown. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    return null;
  }
}

/**
 * The connection cap that fits the open-file limit: what is left after the commands' pipes and the
 * agent's own files, never more than `configured`.
 */
export function fittedConnectionCap(configured: number, maxConcurrent: number, nofile: number | null): number {
  if (nofile === null) {
    return configured;
  }
  return Math.max(8, Math.min(configured, nofile - RESERVED_FDS - maxConcurrent * FDS_PER_EXEC));
}

export class ConnectionGuard {
  /** Keyed by the peer's address and port: the same for a TLS socket and the TCP socket under it. */
  private readonly connections = new Map<string, Tracked>();
  private evictedCount = 0;
  private refusedCount = 0;

  constructor(
    private readonly max: number,
    private readonly firstRequestMs = FIRST_REQUEST_MS,
  ) {}

  get size(): number {
    return this.connections.size;
  }

  /** Connections closed to make room, and newcomers turned away, since start. */
  get stats(): { evicted: number; refused: number } {
    return { evicted: this.evictedCount, refused: this.refusedCount };
  }

  attach(server: Server): void {
    server.on("connection", (socket: Socket) => this.admit(socket));
    server.on("request", (req: { socket: Socket }, res: { once(event: "close", listener: () => void): unknown }) => {
      const tracked = this.connections.get(keyOf(req.socket));
      if (tracked) {
        tracked.requests++;
        tracked.active++;
        res.once("close", () => {
          tracked.active--;
        });
      }
    });
  }

  /** The connection carried a valid signature: it is closed only after every anonymous one. */
  trust(socket: Socket): void {
    const tracked = this.connections.get(keyOf(socket));
    if (tracked) {
      tracked.trusted = true;
    }
  }

  private admit(socket: Socket): void {
    const key = keyOf(socket);
    if (this.connections.size >= this.max && !this.evictOne()) {
      this.refusedCount++;
      reset(socket);
      return;
    }
    const tracked: Tracked = { socket, trusted: false, active: 0, requests: 0 };
    this.connections.set(key, tracked);
    const silence = setTimeout(() => {
      if (tracked.requests === 0) {
        reset(socket);
      }
    }, this.firstRequestMs);
    silence.unref();
    socket.once("close", () => {
      clearTimeout(silence);
      if (this.connections.get(key)?.socket === socket) {
        this.connections.delete(key);
      }
    });
  }

  /** Closes the connection that matters least; false when every one is busy with a signed request. */
  private evictOne(): boolean {
    let victim: Tracked | undefined;
    // Oldest first (a Map iterates in insertion order): anonymous and idle, anonymous, signed and idle.
    for (const rank of [(t: Tracked) => !t.trusted && t.active === 0, (t: Tracked) => !t.trusted, (t: Tracked) => t.active === 0]) {
      for (const tracked of this.connections.values()) {
        if (rank(tracked)) {
          victim = tracked;
          break;
        }
      }
      if (victim) {
        break;
      }
    }
    if (!victim) {
      return false;
    }
    this.connections.delete(keyOf(victim.socket));
    if (victim.trusted) {
      // A signed client's idle keep-alive socket: a FIN lets its pool drop it cleanly.
      victim.socket.destroy();
    } else {
      reset(victim.socket);
    }
    this.evictedCount++;
    return true;
  }
}

/** Closes with a reset (see the module note); a socket already closing is only destroyed. */
function reset(socket: Socket): void {
  if (socket.destroyed) {
    return;
  }
  socket.resetAndDestroy();
}

function keyOf(socket: Socket): string {
  return `${socket.remoteAddress ?? "?"}|${socket.remotePort ?? "?"}`;
}
