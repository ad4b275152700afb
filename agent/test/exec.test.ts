// The process wrapper against real commands: pipes, `;`/`&&`/`||`, exit codes, a fixed
// environment, output caps on huge outputs, timeouts that kill whole process groups, aborts.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { COMMAND_ENV, ProcessRunner, type RunLimits } from "../src/exec";
import { cmd, pipeline, program, redirect } from "./support/programs";
import { eventually } from "../../test/helpers/eventually";
import { killPids, noneLeft, pidsMatching, uniqueSleepSeconds } from "./support/processes";

const MiB = 1024 * 1024;
const limits: RunLimits = { timeoutMs: 30_000, maxOutputBytes: MiB, killGraceMs: 500 };
const runner = new ProcessRunner();

void describe("exec: running commands without a shell", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-exec-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("uptime runs and returns its real output", async () => {
    const r = await runner.run(program(cmd("uptime")), limits);
    assert.equal(r.exitCode, 0);
    assert.equal(r.signal, null);
    assert.match(r.stdout.text, /load average/);
    assert.equal(r.stderr.text, "");
    assert.equal(r.truncated, false);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdoutBytes, Buffer.byteLength(r.stdout.text));
  });

  void test("a pipeline connects stages: ps aux --sort=-%cpu | head -n 5", async () => {
    const r = await runner.run(program(pipeline(cmd("ps", "aux", "--sort=-%cpu"), cmd("head", "-n", "5"))), limits);
    assert.equal(r.exitCode, 0);
    const lines = r.stdout.text.trimEnd().split("\n");
    assert.equal(lines.length, 5);
    assert.match(lines[0], /^USER\s+PID\s+%CPU/);
  });

  void test("a writer whose reader exits dies quietly as under a shell (yes | head -n 2)", async () => {
    const r = await runner.run(program(pipeline(cmd("yes"), cmd("head", "-n", "2"))), limits);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.text, "y\ny\n");
    assert.equal(r.stderr.text, "", "no 'Connection reset' or 'write error' from yes");
  });

  void test("three-stage pipeline and the exit status of the last stage (no pipefail)", async () => {
    const r = await runner.run(program(pipeline(cmd("printf", "b\\na\\nb\\n"), cmd("sort"), cmd("uniq", "-c"))), limits);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(
      r.stdout.text.trim().split("\n").map((l) => l.trim()),
      ["1 a", "2 b"],
    );
    assert.equal((await runner.run(program(pipeline(cmd("false"), cmd("true"))), limits)).exitCode, 0);
    assert.equal((await runner.run(program(pipeline(cmd("true"), cmd("false"))), limits)).exitCode, 1);
  });

  void test("; && || are evaluated like sh", async () => {
    const r1 = await runner.run(program(cmd("false"), "&&", cmd("echo", "skipped"), ";", cmd("echo", "after-semicolon")), limits);
    assert.equal(r1.stdout.text, "after-semicolon\n");
    assert.equal(r1.exitCode, 0);

    const r2 = await runner.run(program(cmd("false"), "&&", cmd("echo", "no"), "||", cmd("echo", "fallback")), limits);
    assert.equal(r2.stdout.text, "fallback\n");

    const r3 = await runner.run(program(cmd("true"), "||", cmd("echo", "no"), "&&", cmd("echo", "yes")), limits);
    assert.equal(r3.stdout.text, "yes\n");

    const r4 = await runner.run(program(cmd("echo", "one"), ";", cmd("false")), limits);
    assert.equal(r4.stdout.text, "one\n");
    assert.equal(r4.exitCode, 1, "the status is the last pipeline's");
  });

  void test("exit codes are reported as they are", async () => {
    const r = await runner.run(program(cmd("sh", "-c", "echo oops >&2; exit 3")), limits);
    assert.equal(r.exitCode, 3);
    assert.equal(r.stderr.text, "oops\n");
  });

  void test("arguments are argv, never shell syntax", async () => {
    const marker = join(dir, "must-not-exist");
    const r = await runner.run(program(cmd("echo", `$(touch ${marker})`, "; rm -rf /", "`id`", "*")), limits);
    assert.equal(r.stdout.text, `$(touch ${marker}) ; rm -rf / \`id\` *\n`);
    await assert.rejects(rm(marker), { code: "ENOENT" });
  });

  void test("a command that does not exist gives exit 127 and a reason, and && stops there", async () => {
    const r = await runner.run(program(cmd("atl-no-such-command"), "&&", cmd("echo", "not run")), limits);
    assert.equal(r.exitCode, 127);
    assert.equal(r.stdout.text, "");
    assert.match(r.stderr.text, /atl-agent: atl-no-such-command: command not found/);

    const r2 = await runner.run(program(pipeline(cmd("atl-no-such-command"), cmd("wc", "-c"))), limits);
    assert.equal(r2.exitCode, 0);
    assert.equal(r2.stdout.text.trim(), "0");
    assert.match(r2.stderr.text, /command not found/);

    const r3 = await runner.run(program(pipeline(cmd("echo", "x"), cmd("atl-no-such-command"))), limits);
    assert.equal(r3.exitCode, 127);
  });

  void test("a file that is not executable gives exit 126", async () => {
    const file = join(dir, "not-executable");
    await writeFile(file, "#!/bin/sh\necho hi\n");
    await chmod(file, 0o644);
    const r = await runner.run(program(cmd(file)), limits);
    assert.equal(r.exitCode, 126);
    assert.match(r.stderr.text, /permission denied/);
  });

  void test("commands get a fixed environment, cwd / and no stdin", async () => {
    process.env.ATL_TEST_LEAK = "secret-value";
    try {
      const env = await runner.run(program(cmd("env")), limits);
      const lines = env.stdout.text.trim().split("\n").sort();
      assert.deepEqual(lines, Object.entries(COMMAND_ENV).map(([k, v]) => `${k}=${v}`).sort());
      assert.doesNotMatch(env.stdout.text, /secret-value/);
    } finally {
      delete process.env.ATL_TEST_LEAK;
    }
    assert.equal((await runner.run(program(cmd("pwd")), limits)).stdout.text, "/\n");
    // cat with no arguments reads stdin: it must see end-of-file at once, not hang.
    const cat = await runner.run(program(cmd("cat")), { ...limits, timeoutMs: 10_000 });
    assert.equal(cat.timedOut, false);
    assert.equal(cat.stdout.text, "");
    assert.equal(cat.exitCode, 0);
  });

  void test("each stage runs in its own process group", async () => {
    const self = await runner.run(program(cmd("cat", "/proc/self/stat")), limits);
    const fields = self.stdout.text.slice(self.stdout.text.lastIndexOf(")") + 2).split(" ");
    const [pid, pgid, sid] = [self.stdout.text.split(" ")[0], fields[2], fields[3]];
    assert.equal(pgid, pid, "the stage leads its own process group");
    assert.equal(sid, pid, "and its own session (no controlling terminal)");
  });

  void test("redirections: 2>/dev/null, >/dev/null, 2>&1 at the end and in the middle", async () => {
    const noisy = (): ReturnType<typeof cmd> => cmd("sh", "-c", "echo out; echo err >&2");
    const dropErr = await runner.run(program(redirect(noisy(), { stderrToNull: true })), limits);
    assert.equal(dropErr.stdout.text, "out\n");
    assert.equal(dropErr.stderr.text, "");

    const dropOut = await runner.run(program(redirect(noisy(), { stdoutToNull: true })), limits);
    assert.equal(dropOut.stdout.text, "");
    assert.equal(dropOut.stderr.text, "err\n");

    const dropBoth = await runner.run(program(redirect(noisy(), { stdoutToNull: true, stderrToStdout: true })), limits);
    assert.equal(dropBoth.stdout.text + dropBoth.stderr.text, "");

    const merged = await runner.run(program(redirect(noisy(), { stderrToStdout: true })), limits);
    assert.deepEqual(merged.stdout.text.trim().split("\n").sort(), ["err", "out"]);
    assert.equal(merged.stderr.text, "");

    const mergedIntoPipe = await runner.run(program(pipeline(redirect(noisy(), { stderrToStdout: true }), cmd("wc", "-l"))), limits);
    assert.equal(mergedIntoPipe.stdout.text.trim(), "2");
    assert.equal(mergedIntoPipe.stderr.text, "");

    const errBypassesPipe = await runner.run(program(pipeline(noisy(), cmd("wc", "-l"))), limits);
    assert.equal(errBypassesPipe.stdout.text.trim(), "1");
    assert.equal(errBypassesPipe.stderr.text, "err\n");
  });

  void test("64 MiB of output is capped at the limit, drained to the end, without holding it in memory", async () => {
    const rssBefore = process.memoryUsage().rss;
    const r = await runner.run(program(pipeline(cmd("head", "-c", String(64 * MiB), "/dev/zero"), cmd("tr", "\\0", "a"))), limits);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.equal(r.exitCode, 0, "the writer was not blocked or killed: it finished");
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.text.length, MiB);
    assert.equal(r.stdoutBytes, 64 * MiB, "every byte was read and counted");
    assert.ok(rssGrowth < 40 * MiB, `memory grew by ${Math.round(rssGrowth / MiB)} MiB for 64 MiB of output`);
  });

  void test("stderr is capped separately", async () => {
    const r = await runner.run(program(cmd("sh", "-c", "head -c 300000 /dev/zero | tr '\\0' e >&2; echo fine")), { ...limits, maxOutputBytes: 100_000 });
    assert.equal(r.stdout.text, "fine\n");
    assert.equal(r.stderr.text.length, 100_000);
    assert.equal(r.stderrBytes, 300_000);
    assert.equal(r.truncated, true);
  });

  void test("the cap never cuts a UTF-8 character in half", async () => {
    const r = await runner.run(program(pipeline(cmd("yes", "é"), cmd("head", "-c", "3000"))), { ...limits, maxOutputBytes: 1024 });
    assert.equal(r.truncated, true);
    assert.ok(!r.stdout.text.includes("\ufffd"), "no replacement character at the cut");
    assert.ok(Buffer.byteLength(r.stdout.text) <= 1024);
  });

  void test("a command past its timeout is killed with all its children", async () => {
    const marker = uniqueSleepSeconds();
    const r = await runner.run(program(cmd("sh", "-c", `sleep ${marker} & sleep ${marker} & echo started; wait`)), { ...limits, timeoutMs: 1500 });
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, "SIGTERM");
    assert.equal(r.stdout.text, "started\n", "output before the kill is kept");
    assert.match(r.stderr.text, /timed out after 1\.5 s/);
    const gone = await noneLeft(`sleep ${marker}`);
    assert.ok(gone, "no orphaned child survives");
  });

  void test("a command that ignores SIGTERM gets SIGKILL after the grace period", async () => {
    const marker = uniqueSleepSeconds();
    const r = await runner.run(program(cmd("sh", "-c", `trap '' TERM; sleep ${marker}`)), { ...limits, timeoutMs: 1000, killGraceMs: 500 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, "SIGKILL");
    const gone = await noneLeft(`sleep ${marker}`);
    assert.ok(gone);
  });

  void test("a background process left behind by a finished command is killed with its group", async () => {
    const marker = uniqueSleepSeconds();
    const r = await runner.run(program(cmd("sh", "-c", `sleep ${marker} >/dev/null 2>&1 & echo spawned`)), limits);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.text, "spawned\n");
    const gone = await noneLeft(`sleep ${marker}`);
    assert.ok(gone, "the leftover sleep was killed");
  });

  void test("a process that escaped its group (setsid) cannot hold the result hostage", async () => {
    const marker = uniqueSleepSeconds();
    try {
      const r = await runner.run(program(cmd("setsid", "sleep", marker)), { ...limits, timeoutMs: 500, killGraceMs: 300 });
      assert.equal(r.timedOut, true, "the run ends even though the escaped sleep still holds the pipes");
    } finally {
      killPids(await pidsMatching(`sleep ${marker}`));
    }
  });

  void test("aborting stops the running command and the rest of the program", async () => {
    const marker = uniqueSleepSeconds();
    const controller = new AbortController();
    const running = runner.run(program(cmd("sleep", marker), ";", cmd("echo", "not reached")), { ...limits, signal: controller.signal });
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length > 0, 30_000, "the sleep running");
    assert.equal(runner.activeCount, 1);
    controller.abort();
    const r = await running;
    assert.equal(r.aborted, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout.text, "");
    assert.match(r.stderr.text, /stopped before it finished/);
    assert.equal(runner.activeCount, 0);
  });

  void test("stopAll() stops every running command and idle() resolves after", async () => {
    const marker = uniqueSleepSeconds();
    const runs = [runner.run(program(cmd("sleep", marker)), limits), runner.run(program(cmd("sleep", marker)), limits)];
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length === 2, 30_000, "both sleeps running");
    runner.stopAll();
    const results = await Promise.all(runs);
    await runner.idle();
    assert.deepEqual(
      results.map((r) => [r.aborted, r.signal]),
      [
        [true, "SIGTERM"],
        [true, "SIGTERM"],
      ],
    );
    assert.ok(await noneLeft(`sleep ${marker}`));
  });
});
