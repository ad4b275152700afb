// Parsers for network tools: ss -ltnup (listeners and their accept queues), ss -tanp (every TCP
// socket), ss -s (socket summary), ip -s link (interface counters), nstat and /proc/net (TCP counters).
import { lines } from "./common";

export interface Listener {
  proto: string;
  address: string;
  port: number;
  /** Connections waiting to be accepted, and the backlog (ss -l: Recv-Q and Send-Q); null when not printed. */
  recvQ: number | null;
  sendQ: number | null;
  /** From `users:(("name",pid=N,fd=M))`; absent when ss may not see other users' processes. */
  processes: { name: string; pid: number }[];
  line: string;
}

const ENDPOINT = /^(.+):(\d+|\*)$/;

export function parseListeners(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of lines(text)) {
    const parts = line.trim().split(/\s+/);
    if (/^(Netid|State|Proto|Active)$/.test(parts[0] ?? "")) {
      continue;
    }
    const endpointAt = parts.findIndex((p, i) => i >= 2 && ENDPOINT.test(p));
    const local = endpointAt >= 0 ? ENDPOINT.exec(parts[endpointAt]) : null;
    if (!local || local[2] === "*") {
      continue;
    }
    const proto = /^(tcp|udp|raw|u_\w+|sctp)$/i.test(parts[0] ?? "") ? (parts[0]).toLowerCase() : "tcp";
    const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({ name: m[1] ?? "?", pid: Number(m[2]) }));
    // netstat -tlnp ends with "PID/name".
    const netstat = /\s(\d+)\/(\S+)\s*$/.exec(line);
    if (processes.length === 0 && netstat) {
      processes.push({ name: netstat[2], pid: Number(netstat[1]) });
    }
    const queues = parts.slice(0, endpointAt).filter((p) => /^\d+$/.test(p)).map(Number);
    const [recvQ, sendQ] = queues.length >= 2 ? queues.slice(-2) : [null, null];
    listeners.push({ proto, address: (local[1]).replace(/^\[|\]$/g, "").replace(/%\w+$/, ""), port: Number(local[2]), recvQ, sendQ, processes, line });
  }
  return listeners;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface TcpSocket {
  /** ESTAB, TIME-WAIT, CLOSE-WAIT, SYN-RECV, LISTEN… as ss prints it. */
  state: string;
  local: Endpoint;
  peer: Endpoint | null;
  processes: { name: string; pid: number }[];
  line: string;
}

function endpoint(text: string): Endpoint | null {
  const m = ENDPOINT.exec(text);
  if (!m || m[2] === "*") {
    return null;
  }
  return { address: m[1].replace(/^\[|\]$/g, "").replace(/%\w+$/, "").replace(/^::ffff:/, ""), port: Number(m[2]) };
}

/** `ss -tan[p]` (and `ss -tanp state …` without a State column): one record per socket. */
export function parseSockets(text: string): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of lines(text)) {
    const parts = line.trim().split(/\s+/);
    if (/^(Netid|State|Recv-Q)$/.test(parts[0] ?? "")) {
      continue;
    }
    const at = parts.findIndex((p, i) => i >= 1 && ENDPOINT.test(p));
    if (at < 0 || at + 1 >= parts.length) {
      continue;
    }
    const local = endpoint(parts[at]);
    if (!local) {
      continue;
    }
    const peer = endpoint(parts[at + 1]);
    const before = parts.slice(0, at).filter((p) => !/^\d+$/.test(p) && !/^(tcp|tcp6|udp)$/i.test(p));
    const state = (before[0] ?? "ESTAB").toUpperCase();
    const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({ name: m[1] ?? "?", pid: Number(m[2]) }));
    sockets.push({ state, local, peer, processes, line });
  }
  return sockets;
}

export interface SocketSummary {
  total: number | null;
  tcp: { total: number; estab: number; closed: number; orphaned: number; timewait: number } | null;
  line: string | null;
}

export function parseSocketSummary(text: string): SocketSummary | null {
  const all = lines(text);
  const totalLine = all.find((l) => /^Total:/.test(l));
  const tcpLine = all.find((l) => /^TCP:\s+\d+\s*\(/.test(l)) ?? null;
  if (!totalLine && !tcpLine) {
    return null;
  }
  const field = (name: string): number => Number(new RegExp(`${name}\\s+(\\d+)`).exec(tcpLine ?? "")?.[1] ?? 0);
  return {
    total: totalLine ? Number(/Total:\s*(\d+)/.exec(totalLine)?.[1] ?? 0) : null,
    tcp: tcpLine
      ? {
          total: Number(/^TCP:\s+(\d+)/.exec(tcpLine)?.[1] ?? 0),
          estab: field("estab"),
          closed: field("closed"),
          orphaned: field("orphaned"),
          timewait: field("timewait"),
        }
      : null,
    line: tcpLine,
  };
}

export interface InterfaceCounters {
  name: string;
  up: boolean;
  rx: Record<string, number>;
  tx: Record<string, number>;
  lines: string[];
}

/** `ip -s link`: per interface, the RX and TX header rows and the numbers under them. */
export function parseLinkStats(text: string): InterfaceCounters[] {
  const all = text.split(/\r?\n/);
  const interfaces: InterfaceCounters[] = [];
  let current: InterfaceCounters | null = null;
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    const head = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>/.exec(line);
    if (head) {
      current = { name: head[1], up: /\bUP\b/.test(head[2] ?? "") && !/state DOWN/.test(line), rx: {}, tx: {}, lines: [line] };
      interfaces.push(current);
      continue;
    }
    const counters = /^\s+(RX|TX):\s+(.*)$/.exec(line);
    if (current && counters) {
      const names = (counters[2]).trim().split(/\s+/);
      const valuesLine = all[i + 1] ?? "";
      const values = valuesLine.trim().split(/\s+/).map(Number);
      const target = counters[1] === "RX" ? current.rx : current.tx;
      names.forEach((n, j) => {
        const v = values[j];
        if (v !== undefined && Number.isFinite(v)) {
          target[n.toLowerCase()] = v;
        }
      });
      current.lines.push(line, valuesLine);
      i++;
    }
  }
  return interfaces;
}

/** Counter name → value, with the verbatim lines it was read from. */
export type Counters = Map<string, { value: number; lines: string[] }>;

/** `nstat -as NAMES…`: counter name, absolute value, rate. */
export function parseNstat(text: string): Counters {
  const counters: Counters = new Map();
  for (const line of lines(text)) {
    const m = /^(\w+)\s+(\d+)\s/.exec(`${line.trim()} `);
    if (m && !line.startsWith("#")) {
      counters.set(m[1], { value: Number(m[2]), lines: [line] });
    }
  }
  return counters;
}

/**
 * /proc/net/netstat and /proc/net/snmp: pairs of lines, names then values, each starting with the
 * same prefix ("TcpExt:"). Names come out as nstat spells them: TcpExtListenOverflows, TcpRetransSegs.
 */
export function parseProcNetCounters(text: string): Counters {
  const counters: Counters = new Map();
  const all = lines(text);
  for (let i = 0; i + 1 < all.length; i++) {
    const namesLine = all[i];
    const valuesLine = all[i + 1];
    const names = /^(\w+):\s+(.*)$/.exec(namesLine);
    const values = /^(\w+):\s+(.*)$/.exec(valuesLine);
    if (!names || !values || names[1] !== values[1] || /^\s*-?\d/.test(names[2])) {
      continue;
    }
    const keys = names[2].trim().split(/\s+/);
    const nums = values[2].trim().split(/\s+/);
    keys.forEach((key, j) => {
      const v = Number(nums[j]);
      if (Number.isFinite(v)) {
        counters.set(`${names[1]}${key}`, { value: v, lines: [namesLine, valuesLine] });
      }
    });
    i++;
  }
  return counters;
}
