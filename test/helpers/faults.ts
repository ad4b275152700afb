// Real faults staged on this machine for the offline-runbook tests, each with its clean-up:
// a CPU burner and a memory hog with distinctive process names, a nearly full filesystem (a small
// tmpfs mounted for the test), a crashed service leaving its port dead, and a real kernel OOM kill
// inside a memory-limited cgroup. Mounting and cgroups need root: those return
// `{ staged: false, reason }` instead of throwing, so a test can skip and say why.
//
//   const burner = await startCpuBurner();          // comm "atl-burn-cpu"
//   …
//   await burner.stop();
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StagedProcess {
  /** The process name (`comm`) as ps and top show it. */
  name: string;
  pid: number;
  stop(): Promise<void>;
}

export type Unavailable = { staged: false; reason: string };

/** Node sets comm with process.title (prctl PR_SET_NAME), so ps/top show `name` (≤ 15 chars). */
function spawnNamed(name: string, body: string): Promise<StagedProcess> {
  if (name.length > 15) {
    throw new Error(`process name ${name} is longer than the 15 characters comm keeps`);
  }
  const script = `process.title = ${JSON.stringify(name)};\n${body}`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`${name} exited early (${code ?? signal}) ${out}`));
    child.once("exit", onExit);
    child.once("error", reject);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) {
        child.off("exit", onExit);
        resolve({ name, pid: child.pid ?? -1, stop: () => stopChild(child) });
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/**
 * A process spinning `threads` cores at ~100 % user CPU each (worker threads), like a runaway job.
 * `nice` below 0 (root only; ignored otherwise) raises its priority: on a machine busy with other
 * work (other engineers' builds on a shared 2-core box) it then stays the top consumer, as a
 * runaway is on a production host.
 */
export function startCpuBurner(name = "atl-burn-cpu", options: { threads?: number; nice?: number } = {}): Promise<StagedProcess> {
  const spin = "for (;;) { Math.sqrt(Math.random()); }";
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  return spawnNamed(
    name,
    // Workers inherit the nice value of the thread that creates them: set it first.
    `try { require("node:os").setPriority(${Math.floor(options.nice ?? 0)}); } catch {}
     const { Worker } = require("node:worker_threads");
     for (let i = 1; i < ${threads}; i++) { new Worker(${JSON.stringify(spin)}, { eval: true }); }
     process.stdout.write("ready\\n"); ${spin}`,
  );
}

/** A process holding `bytes` of resident memory (every page touched) and otherwise idle. */
export function startMemoryHog(bytes: number, name = "atl-mem-hog"): Promise<StagedProcess> {
  return spawnNamed(
    name,
    `const b = Buffer.allocUnsafe(${Math.floor(bytes)}); b.fill(7); globalThis.keep = b;
     process.stdout.write("ready\\n"); setInterval(() => b[0]++, 60000);`,
  );
}

export interface StagedFilesystem {
  staged: true;
  /** Mount point of the small tmpfs. */
  mountPoint: string;
  /** The file that fills it (under `var/log/atl-app/`). */
  fillFile: string;
  sizeBytes: number;
  stop(): Promise<void>;
}

/**
 * A `sizeMiB` tmpfs mounted under /tmp and filled to about `fillPercent` % by one log file, with a
 * few small files beside it (so `du` has something to rank).
 */
export async function stageFullFilesystem(options: { sizeMiB?: number; fillPercent?: number } = {}): Promise<StagedFilesystem | Unavailable> {
  const sizeMiB = options.sizeMiB ?? 16;
  const fillPercent = options.fillPercent ?? 97;
  const dir = await mkdtemp(join(tmpdir(), "atl-fault-fs-"));
  const mountPoint = join(dir, "data");
  await mkdir(mountPoint);
  const mounted = await runCommand("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0755`, "atl-fault-fs", mountPoint]);
  if (mounted.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    return { staged: false, reason: `mounting a tmpfs is not permitted here (${mounted.output.trim() || `exit ${mounted.code}`}); run the tests as root` };
  }
  const stop = async (): Promise<void> => {
    await runCommand("umount", ["-l", mountPoint]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const appDir = join(mountPoint, "var", "log", "atl-app");
    await mkdir(appDir, { recursive: true });
    await mkdir(join(mountPoint, "srv", "cache"), { recursive: true });
    await writeFile(join(mountPoint, "srv", "cache", "index.db"), Buffer.alloc(64 * 1024, 1));
    const sizeBytes = Math.floor((sizeMiB * 1024 * 1024 * fillPercent) / 100) - 64 * 1024;
    const fillFile = join(appDir, "atl-fill.log");
    await writeFile(fillFile, Buffer.alloc(sizeBytes, "x"));
    return { staged: true, mountPoint, fillFile, sizeBytes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface StagedDeadPort {
  /** The service name the process ran under (comm). */
  name: string;
  port: number;
  /** The pid it had before it crashed. */
  crashedPid: number;
}

/** A TCP service listening on 127.0.0.1 under `name`; `stop()` is the crash. */
export async function startFakeService(name = "atl-fake-svc"): Promise<StagedProcess & { port: number }> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `process.title = ${JSON.stringify(name)};
       const s = require("node:net").createServer((c) => c.end("hello\\n"));
       s.listen(0, "127.0.0.1", () => process.stdout.write("ready " + s.address().port + "\\n"));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`${name} exited early (${code})`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) {
        resolve(Number(match[1]));
      }
    });
  });
  return { name, pid: child.pid ?? -1, port, stop: () => stopChild(child) };
}

/** A service that was listening and crashed (SIGKILL): nothing listens on its port any more. */
export async function stageDeadPort(name = "atl-fake-svc"): Promise<StagedDeadPort> {
  const service = await startFakeService(name);
  await service.stop();
  return { name, port: service.port, crashedPid: service.pid };
}

export interface StagedOomKill {
  staged: true;
  name: string;
  /** The pid the kernel killed. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * A real kernel OOM kill: a process named `name` allocates past the limit of a fresh cgroup-v1
 * memory group and the kernel kills it, logging "Killed process PID (name)" to the kernel log.
 * Needs root and a writable /sys/fs/cgroup/memory.
 */
export async function stageOomKill(name = "atl-oom-victim"): Promise<StagedOomKill | Unavailable> {
  const group = `/sys/fs/cgroup/memory/atl-fault-oom-${process.pid}-${Date.now()}`;
  try {
    await mkdir(group);
  } catch (error) {
    return { staged: false, reason: `cannot create a memory cgroup (${(error as Error).message}); run as root with cgroup v1 memory` };
  }
  const cleanup = async (): Promise<void> => {
    await rmdir(group).catch(() => undefined);
  };
  try {
    await writeFile(join(group, "memory.limit_in_bytes"), String(48 * 1024 * 1024));
    await writeFile(join(group, "memory.memsw.limit_in_bytes"), String(48 * 1024 * 1024)).catch(() => undefined);
    // The victim waits for its pid to be moved into the group, then allocates until killed.
    const child = spawn(
      process.execPath,
      [
        "--max-old-space-size=1024",
        "-e",
        `process.title = ${JSON.stringify(name)};
         process.stdout.write("pid\\n");
         process.stdin.once("data", () => { const keep = []; for (;;) { const b = Buffer.allocUnsafe(8 << 20); b.fill(1); keep.push(b); } });`,
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    const pid = child.pid ?? -1;
    await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
    await writeFile(join(group, "cgroup.procs"), String(pid));
    const exit = new Promise<string | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    child.stdin?.write("go\n");
    const signal = await exit;
    if (signal !== "SIGKILL") {
      await cleanup();
      return { staged: false, reason: `the victim ended with ${signal ?? "an exit"} instead of an OOM kill` };
    }
    return { staged: true, name, pid, stop: cleanup };
  } catch (error) {
    await cleanup();
    return { staged: false, reason: `cannot stage an OOM kill here (${(error as Error).message})` };
  }
}

function runCommand(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => resolve({ code: -1, output: error.message }));
    child.once("close", (code) => resolve({ code, output }));
  });
}
