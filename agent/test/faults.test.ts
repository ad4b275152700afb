// Faults injected into the real agent process: a full disk (a size-limited tmpfs) and a file size
// limit under the audit log, the audit file removed or its folder locked, restarts with a replayed
// request, SIGTERM in the middle of a request, idle connections up to the open-file limit, a flood
// of unsigned requests, a memory bound under binary output, and start-up mistakes (a FIFO as the
// secret file, a low-entropy secret, a timeout of 1e400).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import type { AuditRecord } from "../src/audit";
import { AgentRequestError, signedHeaders, type ExecResult } from "../src/protocol";
import { runAgentOnce, startAgent, type RunningAgent } from "../../test/helpers/agent";
import { TEST_POLICY, message, raw, signedRaw } from "./support/http";
import { eventually } from "../../test/helpers/eventually";
import { noneLeft, pidsMatching, uniqueSleepSeconds } from "./support/processes";

const isRoot = process.getuid?.() === 0;

/** Every line of the audit file; lines that are not JSON (torn records) as strings. */
async function auditLines(path: string): Promise<(AuditRecord | string)[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as AuditRecord;
      } catch {
        return line;
      }
    });
}

function records(lines: (AuditRecord | string)[]): AuditRecord[] {
  return lines.filter((l): l is AuditRecord => typeof l !== "string");
}

/** The TCP sockets of this network namespace (IPv4) as the kernel lists them, with their state. */
async function tcpSockets(): Promise<{ localPort: number; remotePort: number; state: string }[]> {
  const text = await readFile("/proc/net/tcp", "utf8");
  return text
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [, local, remote, state] = line.trim().split(/\s+/);
      return { localPort: parseInt(local.split(":")[1], 16), remotePort: parseInt(remote.split(":")[1], 16), state };
    });
}

/**
 * A launcher that drops the helper's `--audit FILE` (so the audit log goes to stderr, as in an
 * ad-hoc run) and then runs `exec` (a shell line over "$@", the agent's command line).
 */
function stderrAuditLauncher(exec: string): string[] {
  const drop = 'skip=; for a in "$@"; do shift; if [ -n "$skip" ]; then skip=; continue; fi; if [ "$a" = --audit ]; then skip=1; continue; fi; set -- "$@" "$a"; done';
  return ["sh", "-c", `${drop}; ${exec}`, "sh"];
}

/** Writes to `path` until the file system is full (ENOSPC). */
function fillUp(path: string): void {
  const fd = openSync(path, "w");
  const block = Buffer.alloc(4096, 0x61);
  try {
    for (;;) {
      writeSync(fd, block);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") {
      throw error;
    }
  } finally {
    closeSync(fd);
  }
}

/** Runs one command per request until the agent stops running them; returns the results and how it stopped. */
async function runUntilRefused(agent: RunningAgent, command: (i: number) => string, max = 400): Promise<{ results: ExecResult[]; stoppedBy: string }> {
  const client = agent.client();
  const results: ExecResult[] = [];
  for (let i = 0; i < max; i++) {
    try {
      const [result] = (await client.exec([command(i)])).results;
      results.push(result);
      if (result.notRun !== undefined) {
        return { results, stoppedBy: `not run: ${result.notRun}` };
      }
    } catch (error) {
      if (error instanceof AgentRequestError && error.status === 503) {
        return { results, stoppedBy: "503" };
      }
      throw error;
    }
  }
  return { results, stoppedBy: "never" };
}

/** Each number that ran (a line in `ranFile`) has its exec-start record in the audit lines. */
async function assertEveryRunWasRecorded(ranFile: string, lines: (AuditRecord | string)[]): Promise<number> {
  const ran = (await readFile(ranFile, "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => l !== "")
    .map(Number);
  const started = new Set(
    records(lines)
      .filter((r) => r.event === "exec-start")
      .map((r) => (r.event === "exec-start" ? /echo (\d+) >>/.exec(r.command)?.[1] : undefined)),
  );
  for (const n of ran) {
    assert.ok(started.has(String(n)), `command ${n} ran, so its exec-start record must be in the audit log`);
  }
  return ran.length;
}

/** A torn record is followed by an audit-recovered record that names it, on a fresh line. */
function assertTornRecordsRecognizable(lines: (AuditRecord | string)[]): number {
  let torn = 0;
  lines.forEach((line, i) => {
    if (typeof line === "string") {
      torn++;
      const next = lines[i + 1];
      assert.ok(next !== undefined && typeof next !== "string" && next.event === "audit-recovered", `a torn line is followed by audit-recovered: ${JSON.stringify(next)}`);
      assert.match(next.event === "audit-recovered" ? next.detail : "", /line above is a torn record/);
      assert.ok(line.startsWith('{"time":'), "the fragment is the start of a record");
    }
  });
  return torn;
}

function mountTmpfs(dir: string, size: string): boolean {
  return spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir]).status === 0;
}

void describe("agent process: the audit log fails closed", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-faults-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("a full disk under the audit log: nothing runs unrecorded, the torn record is marked, SIGHUP after freeing space resumes", async (t: TestContext) => {
    const mnt = join(dir, "tmpfs");
    await mkdir(mnt);
    if (!isRoot || !mountTmpfs(mnt, "256k")) {
      t.skip("needs root to mount a size-limited tmpfs");
      return;
    }
    const ranFile = join(dir, "ran-full-disk");
    let agent: RunningAgent | null = null;
    try {
      agent = await startAgent({ policy: TEST_POLICY, auditFile: join(mnt, "audit.jsonl") });
      const auditFile = agent.auditFile;
      const filler = join(mnt, "filler");
      // Fill the disk so that only the free tail of the audit file's last page is left (records
      // then get cut at the page end); a page-aligned file gets one more command first.
      for (;;) {
        fillUp(filler);
        if ((await stat(auditFile)).size % 4096 !== 0) {
          break;
        }
        await unlink(filler);
        await agent.client().exec(["uptime"]);
      }
      const { stoppedBy } = await runUntilRefused(agent, (i) => `sh -c 'echo ${i} >> ${ranFile}'`);
      assert.notEqual(stoppedBy, "never", "a full disk stops commands");
      await assert.rejects(agent.client().exec(["uptime"]), (e: unknown) => e instanceof AgentRequestError && e.status === 503 && /audit log/.test(e.message));
      assert.match(agent.output(), /cannot write the audit log .*(ENOSPC|cut short)/);

      // Free the disk and reopen the log (what an operator does after cleaning up).
      await unlink(filler);
      agent.process.kill("SIGHUP");
      await eventually(() => agent?.output().includes("reloaded") ?? false, 30_000, "the agent to say it reloaded");
      const [after] = (await agent.client().exec([`sh -c 'echo 9999 >> ${ranFile}'`])).results;
      assert.equal(after.exitCode, 0, "runs again once a record can be written");

      const lines = await auditLines(auditFile);
      const ran = await assertEveryRunWasRecorded(ranFile, lines);
      assert.ok(ran >= 1);
      assert.equal(assertTornRecordsRecognizable(lines), 1, "the write cut at the page end left one torn record");
      const recovered = records(lines).filter((r) => r.event === "audit-recovered");
      assert.ok(recovered.some((r) => r.event === "audit-recovered" && /can be written again after/.test(r.detail)));
    } finally {
      await agent?.stop();
      spawnSync("umount", [mnt]);
    }
  });

  void test("a full disk under the replay journal: nothing is acted on until a nonce can be written again", async (t: TestContext) => {
    const mnt = join(dir, "tmpfs-state");
    await mkdir(mnt);
    if (!isRoot || !mountTmpfs(mnt, "64k")) {
      t.skip("needs root to mount a size-limited tmpfs");
      return;
    }
    const ranFile = join(dir, "ran-journal");
    let agent: RunningAgent | null = null;
    try {
      agent = await startAgent({ policy: TEST_POLICY, stateDir: mnt });
      fillUp(join(mnt, "filler"));
      const { stoppedBy, results } = await runUntilRefused(agent, (i) => `sh -c 'echo ${i} >> ${ranFile}'`, 2000);
      assert.notEqual(stoppedBy, "never");
      await assert.rejects(agent.client().check(["uptime"]), (e: unknown) => e instanceof AgentRequestError && e.status === 503 && /replay journal/.test(e.message));
      // Every command that ran had its nonce on disk: the segment holds one line per request that ran.
      let journaled = 0;
      for (const segment of (await readdir(mnt)).filter((f) => f.endsWith(".nonces"))) {
        journaled += (await readFile(join(mnt, segment), "latin1")).split("\n").filter((l) => /^\d+ [0-9a-f]{32,}$/.test(l)).length;
      }
      const ran = (await readFile(ranFile, "utf8").catch(() => "")).split("\n").filter((l) => l !== "").length;
      assert.equal(ran, results.filter((r) => r.exitCode === 0).length);
      assert.ok(journaled >= ran, `${journaled} nonces on disk for ${ran} commands run`);
      await unlink(join(mnt, "filler"));
      assert.equal((await agent.client().exec(["uptime"])).results[0].exitCode, 0, "runs again once a nonce can be written");
    } finally {
      await agent?.stop();
      spawnSync("umount", [mnt]);
    }
  });

  void test("a file size limit (ulimit -f): the write fails with EFBIG instead of killing the agent; a rotated file is picked up", async () => {
    const ranFile = join(dir, "ran-fsize");
    const agent = await startAgent({ policy: TEST_POLICY, rlimits: { fsize: 16 * 1024 } });
    try {
      const { results, stoppedBy } = await runUntilRefused(agent, (i) => `sh -c 'echo ${i} >> ${ranFile}'`);
      assert.notEqual(stoppedBy, "never");
      assert.ok(results.length >= 5, "commands ran until the limit");
      assert.equal(agent.process.exitCode, null, "SIGXFSZ did not kill the agent");
      await assert.rejects(agent.client().exec(["uptime"]), (e: unknown) => e instanceof AgentRequestError && e.status === 503);
      assert.match(agent.output(), /cannot write the audit log .*(EFBIG|cut short)/);

      // logrotate moves the full file away: the next request notices the new file and runs.
      await rename(agent.auditFile, `${agent.auditFile}.1`);
      const [after] = (await agent.client().exec(["uptime"])).results;
      assert.equal(after.exitCode, 0);
      const old = await auditLines(`${agent.auditFile}.1`);
      await assertEveryRunWasRecorded(ranFile, old);
      assert.ok((await stat(`${agent.auditFile}.1`)).size <= 16 * 1024);
      assert.ok(old.some((l) => typeof l === "string"), "the record at the limit is torn");
      const fresh = records(await auditLines(agent.auditFile));
      assert.deepEqual(
        fresh.slice(0, 2).map((r) => r.event),
        ["audit-reopened", "audit-recovered"],
      );
      assert.ok(fresh.some((r) => r.event === "exec" && r.exitCode === 0));
    } finally {
      await agent.stop();
    }
  });

  void test("a removed audit file is reopened; when its folder cannot be written, commands are refused until it can", async (t: TestContext) => {
    if (!isRoot) {
      t.skip("needs root to run the agent as nobody (root ignores folder permissions)");
      return;
    }
    const agent = await startAgent({ user: "nobody" });
    try {
      await unlink(agent.auditFile);
      assert.equal((await agent.client().exec(["uptime"])).results[0].exitCode, 0);
      const reopened = records(await auditLines(agent.auditFile));
      assert.equal(reopened[0].event, "audit-reopened");
      assert.match(JSON.stringify(reopened[0]), /moved away or removed/);
      assert.deepEqual(
        reopened.slice(1).map((r) => r.event),
        ["exec-start", "exec"],
      );

      await unlink(agent.auditFile);
      await chmod(agent.dir, 0o555);
      const [refused] = (await agent.client().exec(["uptime"])).results;
      assert.equal(refused.notRun, "audit-unavailable");
      assert.equal(refused.exitCode, null);
      await assert.rejects(agent.client().exec(["uptime"]), (e: unknown) => e instanceof AgentRequestError && e.status === 503);
      assert.match(agent.output(), /cannot reopen .*EACCES/);

      await chmod(agent.dir, 0o755);
      assert.equal((await agent.client().exec(["uptime"])).results[0].exitCode, 0);
      const back = records(await auditLines(agent.auditFile));
      assert.deepEqual(
        back.map((r) => r.event),
        ["audit-reopened", "audit-recovered", "exec-start", "exec"],
      );
    } finally {
      await chmod(agent.dir, 0o755).catch(() => undefined);
      await agent.stop();
    }
  });

  void test("audit on stderr: a stderr closed at start refuses to start; a pipe whose reader goes away refuses the next command and all later requests", async () => {
    // Run as `atl-agent … 2>&-`: node hands the agent /dev/null as fd 2, which would swallow every record.
    await assert.rejects(startAgent({ policy: TEST_POLICY, launcher: stderrAuditLauncher("exec \"$@\" 2>&-") }), /exited \(2\) before listening/);

    const ranFile = join(dir, "ran-stderr");
    const agent = await startAgent({ policy: TEST_POLICY, launcher: stderrAuditLauncher('exec "$@"') });
    try {
      const [first] = (await agent.client().exec([`sh -c 'echo 1 >> ${ranFile}'`])).results;
      assert.equal(first.exitCode, 0);
      assert.match(agent.output(), /"event":"exec-start"/, "the audit records go to stderr");
      // The reader of the agent's stderr goes away (a terminal closed, `| tee` killed).
      agent.process.stderr?.destroy();
      const [second] = (await agent.client().exec([`sh -c 'echo 2 >> ${ranFile}'`])).results;
      assert.equal(second.notRun, "audit-unavailable");
      await assert.rejects(agent.client().exec([`sh -c 'echo 3 >> ${ranFile}'`]), (error: unknown) => error instanceof AgentRequestError && error.status === 503);
      assert.equal(await readFile(ranFile, "utf8"), "1\n", "only the command whose record was written ran");
    } finally {
      await agent.stop();
    }
  });
});

void describe("agent process: replay, shutdown, connections", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-faults-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("a captured signed request runs once, also after a restart (replay journal)", async () => {
    const secret = randomBytes(32).toString("hex");
    const stateDir = join(dir, "state");
    const ranFile = join(dir, "ran-replay");
    const body = JSON.stringify({ commands: [`sh -c 'echo ran >> ${ranFile}'`] });
    const first = await startAgent({ policy: TEST_POLICY, secret, stateDir });
    const headers = { "content-type": "application/json", ...signedHeaders(first.keyId, secret, "POST", "/v1/exec", body) };
    try {
      assert.equal((await raw(first.url, "POST", "/v1/exec", headers, body)).status, 200);
    } finally {
      await first.stop();
    }
    const second = await startAgent({ policy: TEST_POLICY, secret, stateDir });
    try {
      assert.match(second.output(), /replay journal: .* \(1 live nonces\)/);
      const replayed = await raw(second.url, "POST", "/v1/exec", headers, body);
      assert.equal(replayed.status, 401);
      assert.match(message(replayed).message, /already used/);
      // A request signed anew still runs.
      assert.equal((await second.client().exec(["uptime"])).results[0].exitCode, 0);
    } finally {
      await second.stop();
    }
    assert.equal(await readFile(ranFile, "utf8"), "ran\n", "the command ran exactly once");
  });

  void test("without a replay journal a restart refuses requests signed before it (start-time floor)", async () => {
    const secret = randomBytes(32).toString("hex");
    const ranFile = join(dir, "ran-floor");
    const body = JSON.stringify({ commands: [`sh -c 'echo ran >> ${ranFile}'`] });
    const first = await startAgent({ policy: TEST_POLICY, secret, stateDir: false });
    assert.match(first.output(), /note: no state directory/);
    // Signed after the floor of the first run (its start + 5 s), as a client with a correct clock
    // would a few seconds after the start; accepted once at most 5 s ahead of the agent's clock.
    const headers = { "content-type": "application/json", ...signedHeaders(first.keyId, secret, "POST", "/v1/exec", body, Date.now() + 7_000) };
    try {
      await eventually(async () => (await raw(first.url, "POST", "/v1/exec", headers, body)).status === 200, 20_000, "the restarted agent to accept a fresh request");
    } finally {
      await first.stop();
    }
    const second = await startAgent({ policy: TEST_POLICY, secret, stateDir: false });
    try {
      const replayed = await raw(second.url, "POST", "/v1/exec", headers, body);
      assert.equal(replayed.status, 401);
      assert.match(message(replayed).message, /signed before the agent \(re\)started/);
    } finally {
      await second.stop();
    }
    assert.equal(await readFile(ranFile, "utf8"), "ran\n");
  });

  void test("SIGTERM at the deadline: the running command and its group are killed, the rest is not run, the answer is complete", async () => {
    const agent = await startAgent({ policy: TEST_POLICY, shutdownGraceSec: 1, limits: { killGraceSec: 1 } });
    const marker = uniqueSleepSeconds();
    const ranFile = join(dir, `after-${marker}`);
    const pending = agent.client().exec([`sh -c 'sleep ${marker} & sleep ${marker}; echo never'`, `sh -c 'echo ran > ${ranFile}'`, "uptime"], 120);
    // Both sleeps (and the sh whose command line names them).
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length >= 3, 30_000, "three sleeps running");
    agent.process.kill("SIGTERM");
    const { results } = await pending;
    assert.equal(results[0].signal, "SIGTERM");
    assert.deepEqual(
      results.slice(1).map((r) => r.notRun),
      ["shutting-down", "shutting-down"],
    );
    assert.deepEqual(await agent.stop({ keepDir: true }), { code: 0, signal: null });
    assert.ok(await noneLeft(`sleep ${marker}`), "the background sleep of the killed group is gone too");
    await assert.rejects(readFile(ranFile), { code: "ENOENT" });
    const audit = records(await auditLines(agent.auditFile));
    assert.deepEqual(
      audit.filter((r) => r.event === "exec").map((r) => r.event === "exec" && [r.index, r.aborted, r.notRun ?? null]),
      [
        [0, true, null],
        [1, true, "shutting-down"],
        [2, true, "shutting-down"],
      ],
    );
    assert.equal(audit.filter((r) => r.event === "exec-start").length, 1);
    assert.equal(audit.at(-1)?.event, "stop");
    await rm(agent.dir, { recursive: true, force: true });
  });

  void test("idle connections up to the open-file limit do not lock signed clients out", async () => {
    // 512 descriptors: room for about 300 client connections next to 4 running requests.
    const agent = await startAgent({ rlimits: { nofile: 512 }, limits: { maxConcurrent: 4 } });
    const sockets: net.Socket[] = [];
    let closedByAgent = 0;
    try {
      assert.match(agent.output(), /at most \d+ client connections/);
      const port = Number(new URL(agent.url).port);
      for (let i = 0; i < 700; i++) {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("error", () => undefined);
        socket.on("close", () => closedByAgent++);
        sockets.push(socket);
      }
      await Promise.all(sockets.map((s) => new Promise((resolve) => (s.connecting ? s.once("connect", resolve).once("close", resolve) : resolve(null)))));
      const client = agent.client();
      for (let i = 0; i < 5; i++) {
        assert.equal((await client.exec(["uptime"])).results[0].exitCode, 0, "a signed client gets through");
      }
      assert.ok(closedByAgent >= 700 - 320, `the oldest idle anonymous connections were closed (${closedByAgent})`);
      assert.equal(agent.process.exitCode, null);
    } finally {
      for (const s of sockets) {
        s.destroy();
      }
      await agent.stop();
    }
  });

  void test("connections that never send a request are reset after the deadline, opened concurrently with signed requests", async () => {
    const agent = await startAgent();
    const sockets: net.Socket[] = [];
    const ports = new Set<number>();
    let closed = 0;
    try {
      const port = Number(new URL(agent.url).port);
      // Silent sockets opened while signed requests are in flight, in several waves. None of them
      // reads (an idle attacker does not): a plain close (FIN) left some half-open for good — the
      // peer in CLOSE-WAIT, node never emitting 'close' for a socket nobody reads.
      const signed: Promise<ExecResult[]>[] = [];
      for (let wave = 0; wave < 3; wave++) {
        signed.push(agent.client().exec(["uptime"]).then((r) => r.results));
        for (let i = 0; i < 20; i++) {
          const socket = net.connect(port, "127.0.0.1");
          socket.on("error", () => undefined);
          socket.on("close", () => closed++);
          socket.on("connect", () => ports.add(socket.localPort ?? 0));
          sockets.push(socket);
        }
        signed.push(agent.client().exec(["uptime"]).then((r) => r.results));
      }
      for (const results of await Promise.all(signed)) {
        assert.equal(results[0].exitCode, 0, "the signed requests run meanwhile");
      }
      // The agent resets them by itself (after about 10 s): wait for it, however busy the machine.
      await eventually(() => closed === sockets.length, 120_000, "every silent connection closed");
      // Reset, not half-closed: neither side keeps any state for them (no FIN-WAIT-2/TIME-WAIT on
      // the agent's side, no CLOSE-WAIT on the client's).
      assert.equal(ports.size, sockets.length);
      const left = (await tcpSockets()).filter((t) => (t.localPort === port && ports.has(t.remotePort)) || (t.remotePort === port && ports.has(t.localPort)));
      assert.deepEqual(left, []);
    } finally {
      for (const s of sockets) {
        s.destroy();
      }
      await agent.stop();
    }
  });

  void test("a flood of unsigned requests costs a few audit lines, with the count", async () => {
    // One interval for the whole flood, however slow the machine: the summary comes at stop.
    const agent = await startAgent({ limits: { authAuditIntervalSec: 3600 } });
    try {
      const body = JSON.stringify({ commands: ["uptime"] });
      for (let i = 0; i < 300; i++) {
        const r = await raw(agent.url, "POST", "/v1/exec", { "content-type": "application/json" }, body);
        assert.equal(r.status, 401);
      }
      const before = records(await auditLines(agent.auditFile)).filter((r) => r.event === "auth-refused");
      assert.equal(before.length, 1, "the first at once, the others counted");
    } finally {
      await agent.stop({ keepDir: true });
    }
    const refusals = records(await auditLines(agent.auditFile)).filter((r) => r.event === "auth-refused");
    assert.equal(refusals.length, 2);
    assert.equal(
      refusals.reduce((sum, r) => sum + (r.event === "auth-refused" ? r.count : 0), 0),
      300,
    );
    assert.ok((await stat(agent.auditFile)).size < 4096, "a few hundred bytes, not 300 lines");
    await rm(agent.dir, { recursive: true, force: true });
  });
});

void describe("agent process: memory and start-up mistakes", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-faults-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("binary output at full concurrency stays within a memory bound, every answer complete and capped", async () => {
    const agent = await startAgent({ policy: TEST_POLICY, limits: { maxConcurrent: 8, maxCommands: 4 } });
    try {
      // Each command: 1 MiB of random bytes on stdout and 1 MiB of NULs on stderr (the old 6x case).
      const command = "sh -c 'head -c 1048576 /dev/urandom; head -c 1048576 /dev/zero >&2'";
      const answers = await Promise.all(Array.from({ length: 8 }, () => agent.client().exec(Array.from({ length: 4 }, () => command), 60)));
      for (const { results } of answers) {
        assert.equal(results.length, 4);
        assert.ok(results.every((r) => r.exitCode === 0));
        // The first two commands fill the 4 MiB response cap (the default); the others keep nothing.
        assert.ok(results.slice(0, 2).every((r) => r.stdoutBinary === true && r.stderrBinary === true && r.stderr.startsWith("\ufffd")));
        assert.ok(results.slice(2).every((r) => r.stdout === "" && r.truncated && /response cap \(4194304 bytes per request\)/.test(r.stderr)));
        // Each kept byte is at most 3 bytes of UTF-8 in the answer (one U+FFFD for a run).
        const kept = results.reduce((sum, r) => sum + Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr), 0);
        assert.ok(kept < 3 * 4 * 1024 * 1024, `kept ${kept}`);
      }
      const status = await readFile(`/proc/${agent.pid}/status`, "utf8");
      const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
      assert.ok(peakKiB < 256 * 1024, `peak RSS ${Math.round(peakKiB / 1024)} MiB`);
    } finally {
      await agent.stop();
    }
  });

  void test("a FIFO as the secret file fails at once with a clear error; so does a low-entropy secret", async () => {
    const fifo = join(dir, "secret.fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const started = Date.now();
    const fromFifo = await runAgentOnce(["--listen", "127.0.0.1:0", "--key-id", "k", "--secret-file", fifo], { timeoutMs: 60_000 });
    assert.equal(fromFifo.killed, false, "it did not hang");
    assert.equal(fromFifo.code, 2);
    assert.match(fromFifo.stderr, /a FIFO \(named pipe\), not a regular file/);
    assert.ok(Date.now() - started < 60_000);

    const weak = join(dir, "weak.key");
    await writeFile(weak, `${"x".repeat(40)}\n`, { mode: 0o600 });
    const repeated = await runAgentOnce(["--listen", "127.0.0.1:0", "--key-id", "k", "--secret-file", weak]);
    assert.equal(repeated.code, 2);
    assert.match(repeated.stderr, /too predictable to sign requests: it is one character repeated/);
    assert.match(repeated.stderr, /fix: Use a random secret: openssl rand -hex 32/);
  });

  void test("timeoutSec 1e400 gets a sensible reason", async () => {
    const agent = await startAgent();
    try {
      const r = await signedRaw(agent, "POST", "/v1/exec", '{"commands":["uptime"],"timeoutSec":1e400}');
      assert.equal(r.status, 400);
      assert.equal(message(r).message, "Invalid request body: timeoutSec: must be at most 86400, got a number too large to represent.");
    } finally {
      await agent.stop();
    }
  });
});
