// The real agent as a child process on 127.0.0.1 (what an operator runs), driven over HTTP by the
// typed client and by raw requests: authentication, real commands under the real policy, caps,
// timeouts that leave no orphan, limits, TLS, key rotation, graceful shutdown and the audit file.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AgentClient, AgentRequestError, signedHeaders } from "../src/protocol";
import { buildAgentBundle, runAgentOnce, startAgent, type RunningAgent } from "../../test/helpers/agent";
import { TEST_POLICY, message, raw, signedRaw } from "./support/http";
import { eventually } from "../../test/helpers/eventually";
import { noneLeft, pidsMatching, uniqueSleepSeconds } from "./support/processes";

void describe("agent process: authentication and protocol", () => {
  let agent: RunningAgent;
  before(async () => {
    agent = await startAgent({ limits: { maxBodyBytes: 4096, maxCommands: 5 } });
  });
  after(async () => {
    await agent.stop();
  });

  void test("health answers unsigned with status and version only", async () => {
    const health = await agent.client().health();
    assert.equal(health.status, "ok");
    assert.match(health.version, /^\d+\.\d+\.\d+/);
    const r = await raw(agent.url, "GET", "/v1/health", {});
    assert.deepEqual(Object.keys(r.body as object).sort(), ["status", "version"]);
  });

  void test("unsigned, forged, stale, replayed and unknown-key requests get 401", async () => {
    const body = JSON.stringify({ commands: ["uptime"] });
    const unsigned = await raw(agent.url, "POST", "/v1/exec", { "content-type": "application/json" }, body);
    assert.equal(unsigned.status, 401);
    assert.match(message(unsigned).message, /not signed/);

    const forged = await signedRaw(agent, "POST", "/v1/exec", body, { secret: randomBytes(32).toString("hex") });
    assert.equal(forged.status, 401);
    assert.match(message(forged).message, /signature does not match/);

    const stale = await signedRaw(agent, "POST", "/v1/exec", body, { now: Date.now() - 400_000 });
    assert.equal(stale.status, 401);
    assert.match(message(stale).message, /behind the agent's clock/);

    const headers = { "content-type": "application/json", ...signedHeaders(agent.keyId, agent.secret, "POST", "/v1/exec", body) };
    assert.equal((await raw(agent.url, "POST", "/v1/exec", headers, body)).status, 200);
    const replayed = await raw(agent.url, "POST", "/v1/exec", headers, body);
    assert.equal(replayed.status, 401);
    assert.match(message(replayed).message, /already used/);

    const stranger = new AgentClient({ url: agent.url, keyId: "stranger", secret: agent.secret });
    try {
      await assert.rejects(stranger.info(), (e: unknown) => e instanceof AgentRequestError && e.kind === "auth" && e.status === 401 && /unknown key id/.test(e.message));
    } finally {
      stranger.close();
    }
    // Refusals are audited per client and interval: the first at once, the rest when it ends.
    const audit = await agent.waitForAudit((records) => records.some((r) => r.event === "auth-refused") && records.some((r) => r.event === "exec"));
    const refusals = audit.filter((r) => r.event === "auth-refused");
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0].event === "auth-refused" && refusals[0].client, "127.0.0.1");
    const execs = audit.filter((r) => r.event === "exec");
    assert.equal(execs.length, 1, "only the one genuine request ran");
  });

  void test("info tells the host, the agent and the policy", async () => {
    const info = await agent.client().info();
    assert.ok(info.hostname.length > 0);
    assert.match(info.kernel, /Linux/);
    assert.ok(info.cpus >= 1 && info.memoryBytes > 0);
    assert.equal(info.protocolVersion, 1);
    assert.ok(info.policy.allowedPrograms.includes("uptime"));
    assert.equal(info.limits.maxCommands, 5);
  });

  void test("malformed and oversized bodies get 400 and 413 with a reason", async () => {
    const notJson = await signedRaw(agent, "POST", "/v1/exec", "{commands:");
    assert.equal(notJson.status, 400);
    assert.match(message(notJson).message, /not valid JSON/);

    const wrongShape = await signedRaw(agent, "POST", "/v1/exec", JSON.stringify({ commands: [1] }));
    assert.equal(wrongShape.status, 400);
    assert.match(message(wrongShape).message, /commands\[0\]: must be a string/);

    const tooMany = await signedRaw(agent, "POST", "/v1/check", JSON.stringify({ commands: Array(6).fill("uptime") }));
    assert.equal(tooMany.status, 400);
    assert.match(message(tooMany).message, /at most 5/);

    const big = JSON.stringify({ commands: ["echo " + "x".repeat(4000), "echo " + "y".repeat(4000)] });
    const tooLarge = await signedRaw(agent, "POST", "/v1/exec", big);
    assert.equal(tooLarge.status, 413);
    assert.match(message(tooLarge).message, /4096 bytes/);

    await assert.rejects(
      agent.client().exec(["echo " + "z".repeat(3000), "echo " + "z".repeat(3000)]),
      (e: unknown) => e instanceof AgentRequestError && e.kind === "too-large",
    );
    // The agent is still fine afterwards.
    assert.equal((await agent.client().health()).status, "ok");
  });

  void test("unknown routes get 404 as JSON", async () => {
    const r = await raw(agent.url, "GET", "/admin", {});
    assert.equal(r.status, 404);
    assert.equal(message(r).error, "not-found");
  });
});

void describe("agent process: running commands", () => {
  let agent: RunningAgent;
  let dir: string;
  before(async () => {
    agent = await startAgent({ policy: TEST_POLICY, limits: { maxConcurrent: 2, killGraceSec: 1 } });
    dir = await mkdtemp(join(tmpdir(), "atl-agent-run-"));
  });
  after(async () => {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  });

  void test("uptime, df -h and ps aux --sort=-%cpu | head -n 5 return real output", async () => {
    const { results } = await agent.client().exec(["uptime", "df -h", "ps aux --sort=-%cpu | head -n 5"]);
    assert.deepEqual(
      results.map((r) => [r.decision, r.exitCode]),
      [
        ["allowed", 0],
        ["allowed", 0],
        ["allowed", 0],
      ],
    );
    assert.match(results[0].stdout, /load average:/);
    assert.match(results[1].stdout, /^Filesystem\s+Size\s+Used/);
    const ps = results[2].stdout.trimEnd().split("\n");
    assert.equal(ps.length, 5);
    assert.match(ps[0], /^USER\s+PID\s+%CPU/);
  });

  void test("a refused command is not run while the allowed ones in the same request are", async () => {
    const marker = join(dir, "marker");
    await writeFile(marker, "precious");
    const { results } = await agent.client().exec(["echo before", `rm -f ${marker}`, `find ${dir} -delete`, "echo after"]);
    assert.deepEqual(
      results.map((r) => r.decision),
      ["allowed", "refused", "refused", "allowed"],
    );
    assert.equal(results[0].stdout, "before\n");
    assert.equal(results[3].stdout, "after\n");
    assert.equal(results[1].exitCode, null);
    assert.match(results[1].reason, /rm/);
    assert.equal(await readFile(marker, "utf8"), "precious");
  });

  void test("a command that does not exist is a result (exit 127), not a failure", async () => {
    const { results } = await agent.client().exec(["ls /definitely/not/here"]);
    assert.equal(results[0].exitCode, 2);
    assert.match(results[0].stderr, /No such file/);
    const check = await agent.client().check(["uptime", "rm -rf /"]);
    assert.deepEqual(
      check.results.map((r) => [r.decision, r.risk]),
      [
        ["allowed", "read-only"],
        ["refused", "mutating"],
      ],
    );
  });

  void test("a 64 MiB output is capped at 1 MiB and marked truncated", async () => {
    const command = "sh -c 'yes 0123456789abcdef | head -c 67108864'";
    const { results } = await agent.client().exec([command], 60);
    const [r] = results;
    assert.equal(r.exitCode, 0);
    assert.equal(r.truncated, true);
    assert.equal(Buffer.byteLength(r.stdout), 1024 * 1024);
    assert.equal(r.stdoutBinary, undefined);
    const audit = (await agent.waitForAudit((records) => records.some((a) => a.event === "exec" && a.command === command))).filter(
      (a) => a.event === "exec" && a.command === command,
    );
    assert.equal(audit.length, 1);
    assert.equal(audit[0].event === "exec" && audit[0].stdoutBytes, 64 * 1024 * 1024);
  });

  void test("a binary file comes back marked and compact, not six bytes per NUL", async () => {
    // A 64 MiB sparse file: all NUL bytes, like a preallocated log or a core dump.
    const huge = join(dir, "huge.bin");
    await writeFile(huge, "");
    await truncate(huge, 64 * 1024 * 1024);
    const { results } = await agent.client().exec([`cat ${huge}`], 60);
    const [r] = results;
    assert.equal(r.exitCode, 0);
    assert.equal(r.truncated, true);
    assert.equal(r.stdoutBinary, true);
    assert.equal(r.stdout, "\ufffd", "1 MiB of NULs is one marked run");
    assert.match(r.stderr, /stdout is not plain text/);
  });

  void test("a command past its timeout is killed with its children, leaving no orphan", async () => {
    const marker = uniqueSleepSeconds();
    const started = Date.now();
    const { results } = await agent.client().exec([`sh -c 'sleep ${marker} & sleep ${marker} & echo spawned; wait'`], 1);
    const [r] = results;
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, "SIGTERM");
    assert.equal(r.stdout, "spawned\n");
    // The sleeps last over 300 s: returning well before that shows nobody waited for them, however busy the machine.
    assert.ok(Date.now() - started < 200_000, "the request returned instead of waiting for the sleeps");
    assert.ok(await noneLeft(`sleep ${marker}`), "no orphaned sleep remains");
  });

  void test("more concurrent executions than allowed get 429 with Retry-After", async () => {
    const marker = uniqueSleepSeconds();
    const abort = new AbortController();
    const client = agent.client();
    const running = [client.exec([`sleep ${marker}`], 60, abort.signal), client.exec([`sleep ${marker}`], 60, abort.signal)].map((p) =>
      p.catch((e: unknown) => e),
    );
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length === 2, 30_000, "both sleeps running");
    await assert.rejects(client.exec(["uptime"]), (e: unknown) => e instanceof AgentRequestError && e.kind === "busy" && e.status === 429 && e.retryAfterSec === 1);
    // Cancelling the requests stops their commands on the host.
    abort.abort();
    await Promise.all(running);
    assert.ok(await noneLeft(`sleep ${marker}`), "cancelled commands were killed");
    await eventually(async () => (await agent.audit()).filter((a) => a.event === "exec" && a.command === `sleep ${marker}`).length === 2, 30_000, "both sleeps audited");
    const aborted = (await agent.audit()).filter((a) => a.event === "exec" && a.command === `sleep ${marker}`);
    assert.ok(aborted.every((a) => a.event === "exec" && a.aborted));
    assert.equal((await client.exec(["uptime"])).results[0].exitCode, 0, "slots are free again");
  });

  void test("the audit file has every decision, and no secret, signature or output", async () => {
    const client = agent.client();
    await client.exec(["echo audit-output-xyz", "reboot"]);
    await client.check(["shutdown -h now"]);
    const records = await agent.waitForAudit((all) => all.some((r) => r.event === "check" && r.command === "shutdown -h now"));
    const text = await readFile(agent.auditFile, "utf8");
    assert.ok(!text.includes(agent.secret), "no secret");
    assert.ok(!text.includes("audit-output-xyz\\n"), "no command output");
    assert.ok(!/[0-9a-f]{64}/.test(text), "no signature or secret-like hex");
    const find = (command: string, event: string) => records.find((r) => "command" in r && r.command === command && r.event === event);
    const echo = find("echo audit-output-xyz", "exec");
    assert.ok(echo && echo.event === "exec");
    assert.equal(echo.decision, "allowed");
    assert.equal(echo.keyId, agent.keyId);
    assert.equal(echo.client, "127.0.0.1");
    assert.equal(echo.exitCode, 0);
    assert.equal(echo.stdoutBytes, "audit-output-xyz\n".length);
    assert.equal(typeof echo.durationMs, "number");
    const reboot = find("reboot", "exec");
    assert.ok(reboot && reboot.event === "exec" && reboot.decision === "refused" && reboot.rule.startsWith("refuse:"));
    assert.ok(find("shutdown -h now", "check"));
    assert.ok(records.some((r) => r.event === "start"));
    assert.equal((await stat(agent.auditFile)).mode & 0o777, 0o600, "the audit file is private");
  });
});

void describe("agent process: start-up, keys, TLS and shutdown", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-agent-start-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("refuses to start without a key, with a short secret, or with a bad config", async () => {
    const noKey = await runAgentOnce(["--listen", "127.0.0.1:0"]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /refuses to start without one/);
    assert.match(noKey.stderr, /fix: /);

    const shortFile = join(dir, "short.key");
    await writeFile(shortFile, "tooshort\n", { mode: 0o600 });
    const short = await runAgentOnce(["--listen", "127.0.0.1:0", "--key-id", "k", "--secret-file", shortFile]);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /only 8 characters; at least 32/);

    const missing = await runAgentOnce(["--listen", "127.0.0.1:0", "--key-id", "k", "--secret-file", join(dir, "nope.key")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /ENOENT/);

    const config = join(dir, "config.json");
    await writeFile(config, JSON.stringify({ limits: { maxConcurrent: "lots" } }));
    const bad = await runAgentOnce(["--config", config, "--key-id", "k"], { env: { ATL_AGENT_SECRET: randomBytes(32).toString("hex") } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /limits\.maxConcurrent: must be a number/);

    const unknown = await runAgentOnce(["--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option "--bogus"/);

    const badPolicy = join(dir, "policy.json");
    await writeFile(badPolicy, JSON.stringify({ version: 1, rules: [{ id: "x", program: "sh", risk: "maybe", effect: "allow" }] }));
    const policy = await runAgentOnce(["--key-id", "k", "--policy", badPolicy], { env: { ATL_AGENT_SECRET: randomBytes(32).toString("hex") } });
    assert.equal(policy.code, 2);
    assert.match(policy.stderr, /rules\[0\]\.risk/);
  });

  void test("warns when the secret file is readable by others, and still starts", async () => {
    const agent = await startAgent();
    try {
      await chmod(agent.secretFile, 0o644);
      const again = await runAgentOnce(["--listen", "127.0.0.1:0", "--key-id", "k", "--secret-file", agent.secretFile], { until: /listening on/ });
      assert.match(again.stderr, /accessible by group or others \(mode 644\); run: chmod 600/);
      assert.match(again.stderr, /listening on/);
    } finally {
      await agent.stop();
    }
  });

  void test("the secret can come from ATL_AGENT_SECRET instead of a file", async () => {
    const agent = await startAgent({ keyFromEnv: true });
    try {
      const { results } = await agent.client().exec(["uptime"]);
      assert.equal(results[0].exitCode, 0);
    } finally {
      await agent.stop();
    }
  });

  void test("several keys at once, and SIGHUP reloads a rotated key", async () => {
    const agent = await startAgent({ extraKeys: [{ id: "next" }] });
    try {
      const [next] = agent.extraKeys;
      assert.equal((await agent.client().info()).agentVersion.length > 0, true);
      const nextClient = agent.client({ keyId: next.id, secret: next.secret });
      assert.equal((await nextClient.check(["uptime"])).results[0].decision, "allowed");

      const rotated = randomBytes(32).toString("hex");
      await writeFile(next.secretFile, rotated, { mode: 0o600 });
      agent.process.kill("SIGHUP");
      await eventually(() => agent.output().includes("reloaded"), 30_000, "the agent to say it reloaded");
      await assert.rejects(agent.client({ keyId: next.id, secret: next.secret }).info(), (e: unknown) => e instanceof AgentRequestError && e.kind === "auth");
      assert.ok((await agent.client({ keyId: next.id, secret: rotated }).info()).hostname);
    } finally {
      await agent.stop();
    }
  });

  void test("serves HTTPS with the given certificate", async () => {
    const agent = await startAgent({ tls: true });
    try {
      assert.match(agent.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { results } = await agent.client().exec(["uptime"]);
      assert.match(results[0].stdout, /load average/);
      // Without trusting the certificate the client refuses the connection.
      const untrusting = new AgentClient({ url: agent.url, keyId: agent.keyId, secret: agent.secret });
      try {
        await assert.rejects(untrusting.health(), (e: unknown) => e instanceof AgentRequestError && e.kind === "unreachable");
      } finally {
        untrusting.close();
      }
    } finally {
      await agent.stop();
    }
  });

  void test("SIGTERM lets a running command finish, starts nothing more, answers all, and exits 0", async () => {
    const agent = await startAgent({ policy: TEST_POLICY, shutdownGraceSec: 60 });
    const id = randomBytes(6).toString("hex");
    const gate = join(dir, `gate-${id}`);
    const marker = join(dir, `after-sigterm-${id}`);
    // The first command runs until the test opens the gate, after SIGTERM: no race with a busy machine.
    const pending = agent.client().exec([`sh -c 'while [ ! -e ${gate} ]; do sleep 0.05; done'`, `sh -c 'echo ran > ${marker}'`], 120);
    await eventually(async () => (await pidsMatching(gate)).length > 0, 30_000, "the gated command running");
    agent.process.kill("SIGTERM");
    await eventually(() => /SIGTERM: stopping/.test(agent.output()), 30_000, "the agent to log SIGTERM: stopping");
    await writeFile(gate, "");
    const { results } = await pending;
    assert.equal(results[0].exitCode, 0, "the running command was allowed to finish");
    assert.equal(results[1].notRun, "shutting-down");
    assert.match(results[1].stderr, /not run: the agent is shutting down/);
    const status = await agent.stop({ keepDir: true });
    assert.deepEqual(status, { code: 0, signal: null });
    await assert.rejects(readFile(marker), { code: "ENOENT" }, "the second command never started");
    const records = await agent.audit();
    assert.equal(records.at(-1)?.event, "stop");
    assert.deepEqual(
      records.filter((r) => r.event === "exec").map((r) => r.event === "exec" && [r.index, r.exitCode, r.notRun]),
      [
        [0, 0, undefined],
        [1, null, "shutting-down"],
      ],
    );
    await rm(agent.dir, { recursive: true, force: true });
  });

  void test("SIGTERM kills commands still running at the shutdown deadline, then exits 0", async () => {
    const agent = await startAgent({ policy: TEST_POLICY, shutdownGraceSec: 1, limits: { killGraceSec: 1 } });
    const marker = uniqueSleepSeconds();
    const pending = agent.client().exec([`sh -c 'sleep ${marker}; echo never'`], 120);
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length > 0, 30_000, "the sleep running");
    agent.process.kill("SIGTERM");
    const { results } = await pending;
    assert.equal(results[0].signal, "SIGTERM");
    assert.equal(results[0].stdout, "");
    assert.deepEqual(await agent.stop({ keepDir: true }), { code: 0, signal: null });
    assert.ok(await noneLeft(`sleep ${marker}`), "no orphan after shutdown");
    const records = await agent.audit();
    const exec = records.find((r) => r.event === "exec");
    assert.ok(exec && exec.event === "exec" && exec.aborted);
    assert.match(JSON.stringify(records.at(-1)), /running commands were stopped/);
    await rm(agent.dir, { recursive: true, force: true });
  });

  void test("the bundle runs alone with plain node (copy one file to the host)", async () => {
    const bundle = buildAgentBundle();
    const alone = join(dir, "atl-agent.js");
    await copyFile(bundle, alone);
    const agent = await startAgent({ bundle: alone });
    try {
      const { results } = await agent.client().exec(["uptime", "ps aux --sort=-%cpu | head -n 5"]);
      assert.equal(results[0].exitCode, 0);
      assert.equal(results[1].stdout.trimEnd().split("\n").length, 5);
    } finally {
      await agent.stop();
    }
  });
});
