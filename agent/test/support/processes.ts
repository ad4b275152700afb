// Looking for processes a test left behind, by a unique marker in their command line (through the
// agent's own process wrapper: child_process is reserved to it).
import { randomBytes } from "node:crypto";
import { eventually } from "../../../test/helpers/eventually";
import { ProcessRunner } from "../../src/exec";

const runner = new ProcessRunner();

/** A sleep duration no other process on the machine uses, to find ours by command line. */
export function uniqueSleepSeconds(): string {
  // e.g. 300.123456: a valid `sleep` argument that doubles as a marker.
  return `${300 + randomBytes(2).readUInt16BE(0)}.${randomBytes(3).readUIntBE(0, 3)}`;
}

/** Pids of processes whose full command line contains `marker`. */
export async function pidsMatching(marker: string): Promise<number[]> {
  const program = { steps: [{ op: null, pipeline: { stages: [{ argv: ["pgrep", "-f", "--", marker], stdoutToNull: false, stderrToNull: false, stderrToStdout: false }] } }] };
  const result = await runner.run(program, { timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 });
  return result.stdout.text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** True once no process matches `marker` (waiting for kills to land); kills stragglers if any. */
export async function noneLeft(marker: string): Promise<boolean> {
  try {
    await eventually(async () => (await pidsMatching(marker)).length === 0, 15_000, `no process left with ${marker}`);
    return true;
  } catch {
    killPids(await pidsMatching(marker));
    return false;
  }
}

/** Kills the given pids (those a test started and found by marker), ignoring ones already gone. */
export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
