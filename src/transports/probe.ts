// A light reachability check for the Hosts view: agent → `GET /v1/health` (unsigned), SSH → a TCP
// connect that reads the server's `SSH-2.0-…` banner. No node-ssh here: this module is bundled in
// dist/extension.js. It proves the host answers, not who it is — the pinned key and the agent
// signature are checked by the transports on the first real connection.
import { readFile as fsReadFile } from "node:fs/promises";
import * as net from "node:net";
import { AgentClient, AgentRequestError } from "../../agent/src/protocol";
import type { HostHealth } from "./transport";

/** What a probe needs of an inventory entry (a `HostEntry` is one). */
export type ProbeTarget = AgentProbeTarget | SshProbeTarget;
interface AgentProbeTarget {
  transport: "agent";
  url: string;
  keyId: string;
  caFile?: string;
}
interface SshProbeTarget {
  transport: "ssh";
  host: string;
  port?: number;
}

export interface ProbeOptions {
  /** Default 5 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Reads `caFile` for https agents (injectable for tests). */
  readFile?: (path: string) => Promise<Buffer>;
}

const MAX_BANNER_BYTES = 512;

export async function probeHost(host: ProbeTarget, options: ProbeOptions = {}): Promise<HostHealth> {
  const timeoutMs = options.timeoutMs ?? 5000;
  try {
    return host.transport === "agent" ? await probeAgent(host, timeoutMs, options) : await probeSsh(host, timeoutMs, options.signal);
  } catch (error) {
    return { reachable: false, latencyMs: null, version: null, error: error instanceof Error ? error.message : String(error) };
  }
}

async function probeAgent(host: AgentProbeTarget, timeoutMs: number, options: ProbeOptions): Promise<HostHealth> {
  const ca = host.caFile ? await (options.readFile ?? fsReadFile)(host.caFile) : undefined;
  // /v1/health is unsigned: no secret needed to probe.
  const client = new AgentClient({ url: host.url, keyId: host.keyId, secret: "", requestTimeoutMs: timeoutMs, ...(ca ? { ca } : {}) });
  try {
    const started = performance.now();
    let health;
    try {
      health = await client.health(options.signal);
    } catch (error) {
      // Something answered HTTP, but not the agent's health document.
      if (error instanceof AgentRequestError && error.kind === "protocol") {
        return { reachable: true, latencyMs: null, version: null, error: `${host.url} answered, but it is not an ATL agent (${error.message})` };
      }
      throw error;
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    if (health?.status !== "ok") {
      return { reachable: true, latencyMs, version: null, error: `${host.url} answered but is not an ATL agent (no {"status":"ok"})` };
    }
    return { reachable: true, latencyMs, version: typeof health.version === "string" ? health.version : null, error: null };
  } finally {
    client.close();
  }
}

/** Connects, reads the first line (the SSH identification string, RFC 4253 §4.2) and hangs up. */
function probeSsh(host: SshProbeTarget, timeoutMs: number, signal: AbortSignal | undefined): Promise<HostHealth> {
  const port = host.port ?? 22;
  const where = `${host.host}:${port}`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host: host.host, port, ...(signal ? { signal } : {}) });
    let received = "";
    const finish = (result: HostHealth | Error): void => {
      socket.destroy();
      if (result instanceof Error) {
        reject(result);
      } else {
        resolve(result);
      }
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`No answer from ${where} within ${Math.round(timeoutMs / 1000)} s.`)));
    socket.on("error", (error: NodeJS.ErrnoException) => finish(new Error(`Cannot reach ${where}: ${error.code ?? error.message}`)));
    socket.on("close", () => finish(new Error(`${where} closed the connection before sending an SSH banner.`)));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // Servers may send other lines before the identification string; it is the line starting SSH-.
      const line = received.split(/\r?\n/).find((l, i, all) => l.startsWith("SSH-") && i < all.length - 1);
      if (line) {
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        const banner = line.replace(/[^\x20-\x7e]/g, "").slice(0, 255);
        finish(
          banner.startsWith("SSH-2.0-") || banner.startsWith("SSH-1.99-")
            ? { reachable: true, latencyMs, version: banner, error: null }
            : { reachable: true, latencyMs, version: banner, error: `${where} speaks an unsupported SSH version (${banner})` },
        );
      } else if (received.length > MAX_BANNER_BYTES) {
        finish({ reachable: true, latencyMs: null, version: null, error: `${where} answered, but not with an SSH banner` });
      }
    });
  });
}
