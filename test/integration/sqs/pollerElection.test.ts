// PollerElection: one poller per machine across windows — instances in one process and separate
// processes; takeover when the poller's window closes, crashes, or hangs (stale heartbeat).
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { POLLER_LOCK_FILE, PollerElection } from "../../../src/sqs/pollerElection";
import { eventually } from "../../helpers/eventually";

let root: string;
let count = 0;
const elections: PollerElection[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "atl-election-"));
});
after(async () => {
  elections.forEach((e) => e.dispose());
  children.forEach((c) => c.kill("SIGKILL"));
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(root, `e${++count}`);
  await mkdir(dir);
  return dir;
}

/** Waits until the poller of `dir` has written `count` more heartbeats (the lock's heartbeatAt moved on). */
async function heartbeats(dir: string, count: number): Promise<void> {
  const beat = async (): Promise<number | undefined> => {
    try {
      return (JSON.parse(await readFile(join(dir, POLLER_LOCK_FILE), "utf8")) as { heartbeatAt?: number }).heartbeatAt;
    } catch {
      return undefined; // between a release and the next claim
    }
  };
  let last = await eventually(beat, 60_000, "a heartbeat in the lock");
  for (let i = 0; i < count; i++) {
    const seen = last;
    last = await eventually(
      async () => {
        const now = await beat();
        return now !== undefined && now > seen ? now : undefined;
      },
      60_000,
      `heartbeat ${i + 1} of ${count}`,
    );
  }
}

function election(dir: string, id: string): PollerElection {
  const e = new PollerElection({ dir, id, heartbeatMs: 100, staleMs: 1500 });
  elections.push(e);
  return e;
}

/** A separate process in the election; `lines` collects what it prints. */
function child(dir: string, id: string): { proc: ChildProcessWithoutNullStreams; lines: string[]; exited: Promise<void> } {
  const proc = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "support", "electionChild.ts"), dir, id]);
  children.push(proc);
  const lines: string[] = [];
  let buffer = "";
  proc.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
  });
  proc.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  return { proc, lines, exited };
}

void describe("PollerElection in one process", () => {
  void it("the first window polls, the second waits, and takes over when the first closes", async () => {
    const dir = await freshDir();
    const a = election(dir, "window-a");
    const b = election(dir, "window-b");
    const changesOfB: boolean[] = [];
    b.onDidChangeLeadership((leader) => changesOfB.push(leader));
    await a.start();
    await b.start();
    assert.equal(a.isPoller, true);
    assert.equal(b.isPoller, false);
    assert.deepEqual(await b.currentPoller(), { id: "window-a", pid: process.pid, host: hostname() });

    a.dispose();
    await eventually(() => b.isPoller, 60_000, "b to take over");
    assert.deepEqual(changesOfB, [true]);
    assert.equal((await a.currentPoller())?.id, "window-b");
  });

  void it("of many windows starting at once, exactly one polls", async () => {
    const dir = await freshDir();
    const all = Array.from({ length: 6 }, (_, i) => election(dir, `w${i}`));
    await Promise.all(all.map((e) => e.start()));
    assert.equal(all.filter((e) => e.isPoller).length, 1);
    // Still one after several heartbeats.
    await heartbeats(dir, 3);
    assert.equal(all.filter((e) => e.isPoller).length, 1);
    all.forEach((e) => e.dispose());
  });

  void it("a hung poller (alive, heartbeat stale) is replaced; a fresh one is not", async () => {
    const dir = await freshDir();
    const lock = join(dir, POLLER_LOCK_FILE);
    // Our own pid: a process that is alive, as a hung window's would be.
    await writeFile(lock, JSON.stringify({ id: "hung", pid: process.pid, host: hostname(), heartbeatAt: Date.now() }));
    const b = election(dir, "window-b");
    await b.start();
    assert.equal(b.isPoller, false, "a fresh heartbeat is respected");
    b.dispose();

    await writeFile(lock, JSON.stringify({ id: "hung", pid: process.pid, host: hostname(), heartbeatAt: Date.now() - 60_000 }));
    const c = election(dir, "window-c");
    await c.start();
    assert.equal(c.isPoller, true);
    assert.deepEqual((await readdir(dir)).sort(), [POLLER_LOCK_FILE]);
  });

  void it("a damaged lock file blocks only until it is older than the stale time", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, POLLER_LOCK_FILE), "{not json");
    const e = election(dir, "w");
    await e.start();
    assert.equal(e.isPoller, false);
    await eventually(() => e.isPoller, 60_000, "takeover of the damaged lock");
  });
});

void describe("PollerElection across processes (separate windows)", () => {
  void it("a crashed poller window (SIGKILL) is replaced at once: its pid is gone", async () => {
    const dir = await freshDir();
    const other = child(dir, "child-window");
    await eventually(() => other.lines.includes("started leader"), 60_000, "the child to poll");
    const me = election(dir, "test-window");
    await me.start();
    assert.equal(me.isPoller, false);

    other.proc.kill("SIGKILL");
    await other.exited;
    await eventually(() => me.isPoller, 60_000, "takeover after the crash");
  });

  void it("when the poller window closes, the waiting window process takes over", async () => {
    const dir = await freshDir();
    const me = election(dir, "test-window");
    await me.start();
    assert.equal(me.isPoller, true);
    const other = child(dir, "child-window");
    await eventually(() => other.lines.includes("started follower"), 60_000, "the child to wait");

    me.dispose();
    await eventually(() => other.lines.includes("leader"), 60_000, "the child to take over");
    other.proc.kill("SIGTERM");
    await other.exited;
    // The child gave the lock up when it closed.
    assert.deepEqual(await readdir(dir), []);
  });

  void it("three window processes starting at once elect exactly one", async () => {
    const dir = await freshDir();
    const kids = [child(dir, "p1"), child(dir, "p2"), child(dir, "p3")];
    await eventually(() => kids.every((k) => k.lines.some((l) => l.startsWith("started"))), 60_000, "all three to start");
    // Let the elected one prove itself over a few heartbeats before counting.
    await heartbeats(dir, 3);
    const leaders = kids.filter((k) => k.lines.filter((l) => l.endsWith("leader")).length > k.lines.filter((l) => l === "follower").length);
    assert.equal(leaders.length, 1, JSON.stringify(kids.map((k) => k.lines)));
    for (const k of kids) {
      k.proc.kill("SIGTERM");
      await k.exited;
    }
  });
});
