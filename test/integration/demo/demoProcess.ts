// Runs `npm run demo` (or scripts/demo.ts directly) the way a person does — in its own process
// group, so a SIGINT to the group is a terminal's Ctrl-C — reads what it prints, and proves what is
// left afterwards: every process of its tree (pid + start time, so a reused pid is not mistaken
// for it), the ports it printed, the folders it printed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..", "..", "..");

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Start time in clock ticks after boot (field 22 of /proc/PID/stat). */
  start: number;
  comm: string;
  /** R, S, D, Z (zombie: ended, waiting to be reaped)… */
  state: string;
}

function readStat(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may contain spaces or parentheses: split after the last ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    return { pid, state: fields[0], ppid: Number(fields[1]), start: Number(fields[19]), comm };
  } catch {
    return null;
  }
}

/** Every process whose parent chain leads to `root` (root included). */
export function processTree(root: number): ProcessInfo[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((p): p is ProcessInfo => p !== null);
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) {
    children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  }
  const out: ProcessInfo[] = [];
  const self = all.find((p) => p.pid === root);
  const queue = self ? [self] : [];
  while (queue.length > 0) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return out;
}

/** The processes of `known` still running (same pid and start time, not a zombie). */
export function stillRunning(known: ProcessInfo[]): ProcessInfo[] {
  return known.filter((p) => {
    const now = readStat(p.pid);
    return now !== null && now.start === p.start && now.state !== "Z";
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolveListening(true);
    });
    socket.once("error", () => resolveListening(false));
  });
}

export interface DemoRun {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when a line matching `pattern` was printed (rejects if the demo exits first). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Signal to the whole process group, like a terminal (nothing when it is gone). */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGTERM to the group and wait (90 s), then SIGKILL: cleanup after a failed test. */
  stop(): Promise<void>;
  /** The command's exit status, once it and every process holding its output ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runDemo(command: string, args: string[], env: NodeJS.ProcessEnv, options: { stdin?: "ignore" | "pipe" } = {}): DemoRun {
  const child = spawn(command, args, { cwd: REPO, env, detached: true, stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
  let output = "";
  let closed = false;
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const waiter of waiters) {
      waiter();
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  // "close": the command exited and so did everything holding its output — the demo under npm
  // (npm may end before the demo it forwarded Ctrl-C to has finished stopping).
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once("close", (code, signal) => {
      closed = true;
      resolveExit({ code, signal });
    });
  });
  // If the test process dies, do not leave a demo behind.
  const kill = (): void => {
    try {
      process.kill(-(child.pid ?? 0), "SIGTERM");
    } catch {
      // Gone.
    }
  };
  process.once("exit", kill);
  void exited.then(() => process.removeListener("exit", kill));
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolveWait, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(output);
          if (match) {
            cleanup();
            resolveWait(match);
          }
          return match !== null;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; the demo printed:\n${output}`));
        }, timeoutMs);
        const onExit = (): void => {
          // Output may still be in the pipe when exit fires.
          setTimeout(() => {
            if (!check()) {
              cleanup();
              reject(new Error(`the demo exited before printing ${pattern}:\n${output}`));
            }
          }, 200);
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
          child.off("exit", onExit);
        };
        const waiter = (): void => void check();
        waiters.add(waiter);
        child.once("exit", onExit);
        check();
      });
    },
    signalGroup(signal) {
      try {
        process.kill(-(child.pid ?? 0), signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") {
          throw error;
        }
      }
    },
    async stop() {
      if (closed) {
        return;
      }
      // As a test's last resort: the demo's own clean stop first, then force.
      this.signalGroup("SIGTERM");
      const timer = new Promise((r) => setTimeout(r, 90_000).unref());
      await Promise.race([exited, timer]);
      this.signalGroup("SIGKILL");
    },
    exited,
  };
}

/** What the demo's summary says, parsed from its lines. */
export interface DemoSummary {
  editorUrl: string | null;
  emulatorEndpoint: string;
  agentUrl: string;
  agentPid: number;
  secretFile: string;
  burnerName: string;
  burnerPid: number;
  folders: string[];
}

export function parseSummary(output: string): DemoSummary {
  const line = (label: string): string => {
    const match = new RegExp(`^  ${label} +(.+)$`, "m").exec(output);
    if (!match) {
      throw new Error(`no "${label}" line in:\n${output}`);
    }
    return match[1];
  };
  const editor = /^ {2}Editor +(\S+)$/m.exec(output)?.[1] ?? null;
  const queue = line("Queue");
  const agent = line("Agent");
  const fault = line("Fault");
  return {
    editorUrl: editor,
    emulatorEndpoint: /fauxqs at (http:\/\/127\.0\.0\.1:\d+)/.exec(queue)?.[1] ?? "",
    agentUrl: /^(http:\/\/127\.0\.0\.1:\d+)/.exec(agent)?.[1] ?? "",
    agentPid: Number(/\(pid (\d+)/.exec(agent)?.[1]),
    secretFile: /key in (\S+) \(mode 600\)/.exec(agent)?.[1] ?? "",
    burnerName: /^(\S+)/.exec(fault)?.[1] ?? "",
    burnerPid: Number(/\(pid (\d+)\)/.exec(fault)?.[1]),
    folders: line("Files").split(", "),
  };
}

/** Every port in a URL-ish string list. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Files under `dir` (recursively) whose content contains `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = join(entry.parentPath, entry.name);
      try {
        if (readFileSync(file).includes(needle)) {
          hits.push(file);
        }
      } catch {
        // Unreadable (a socket, a file gone meanwhile).
      }
    }
  }
  return hits;
}

/** Whether `needle` is in the environment of any of these processes. */
export function environmentsContaining(processes: ProcessInfo[], needle: string): ProcessInfo[] {
  return processes.filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/environ`).includes(needle);
    } catch {
      return false;
    }
  });
}

export interface ListeningSocket {
  pid: number;
  address: string;
  port: number;
}

/** IPv4 or IPv6 address as /proc/net/tcp{,6} writes it (32-bit words in host byte order). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) {
    return bytes.join(".");
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  }
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** Socket inodes held open by these processes, with the pid holding each. */
function socketOwners(processes: ProcessInfo[]): Map<string, number> {
  const owner = new Map<string, number>();
  for (const p of processes) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${p.pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        if (inode) {
          owner.set(inode, p.pid);
        }
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return owner;
}

/** Paths of the Unix domain sockets these processes have bound (VS Code's vscode-ipc-*.sock…). */
export function unixSocketPaths(processes: ProcessInfo[]): string[] {
  const owner = socketOwners(processes);
  let lines: string[];
  try {
    lines = readFileSync("/proc/net/unix", "utf8").trim().split("\n").slice(1);
  } catch {
    return [];
  }
  const paths = new Set<string>();
  for (const line of lines) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/);
    const [inode, path] = [fields[6], fields[7]];
    if (path?.startsWith("/") && owner.has(inode)) {
      paths.add(path);
    }
  }
  return [...paths];
}

/** The TMPDIR each of these processes runs with (unset: the system's /tmp). */
export function tmpdirsOf(processes: ProcessInfo[]): string[] {
  return processes.flatMap((p) => {
    try {
      const entry = readFileSync(`/proc/${p.pid}/environ`, "utf8")
        .split("\0")
        .find((e) => e.startsWith("TMPDIR="));
      return [entry ? entry.slice("TMPDIR=".length) : "/tmp"];
    } catch {
      return [];
    }
  });
}

/** TCP sockets in LISTEN state held by these processes, with their local address. */
export function listeningSockets(processes: ProcessInfo[]): ListeningSocket[] {
  const owner = socketOwners(processes);
  const sockets: ListeningSocket[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      const pid = owner.get(inode);
      if (state === "0A" && pid !== undefined) {
        const [address, port] = local.split(":");
        sockets.push({ pid, address: decodeAddress(address), port: parseInt(port, 16) });
      }
    }
  }
  return sockets;
}

export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}
