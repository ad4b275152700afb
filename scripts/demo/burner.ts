// The demo's staged fault: a runaway process with a distinctive name spinning CPU cores, like a
// stuck job on a production host. Unlike the test helper's burner it dies with the demo even when
// the demo itself is killed (SIGKILL, a closed terminal): it exits as soon as its stdin — a pipe
// from the demo — closes.
import { spawn, type ChildProcess } from "node:child_process";

/** `comm` keeps 15 characters: this is what ps, top and the diagnosis summary show. */
export const BURNER_NAME = "atl-demo-burner";

export interface Burner {
  name: string;
  pid: number;
  threads: number;
  stop(): Promise<void>;
}

// The main thread only watches stdin; worker threads spin. Workers are created after the title is
// set, so every thread of the process carries the name. The process runs in a session of its own,
// so Linux's scheduler autogroups weigh it on its own and `nice` applies to that group too.
function burnerScript(name: string, threads: number, nice: number): string {
  return `
process.title = ${JSON.stringify(name)};
try { require("node:fs").writeFileSync("/proc/self/autogroup", "${nice}"); } catch {}
try { require("node:os").setPriority(${nice}); } catch {}
const { Worker } = require("node:worker_threads");
for (let i = 0; i < ${threads}; i++) {
  new Worker("for (;;) { Math.sqrt(Math.random()); }", { eval: true });
}
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdout.write("ready\\n");
`;
}

/**
 * Starts the burner; resolves once its threads run. `nice` (default 0) is applied when allowed;
 * a negative value needs root. Stopped by stop(), or when the demo's end of its stdin closes.
 */
export function startBurner(options: { name?: string; threads?: number; nice?: number } = {}): Promise<Burner> {
  const name = options.name ?? BURNER_NAME;
  if (name.length > 15) {
    throw new Error(`The process name ${name} is longer than the 15 characters ps shows.`);
  }
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const nice = Math.floor(options.nice ?? 0);
  const child = spawn(process.execPath, ["-e", burnerScript(name, threads, nice)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onExit = (code: number | null, signal: string | null): void => reject(new Error(`${name} exited at start (${code ?? signal}): ${out}`));
    child.once("exit", onExit);
    child.once("error", reject);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) {
        child.off("exit", onExit);
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve({ name, pid: child.pid ?? -1, threads, stop: () => stopChild(child) });
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

