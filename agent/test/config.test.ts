// Configuration: flags over the JSON config file over defaults, keys and their secret files, the
// audit log file, and the shipped deployment examples (unit, config, policy).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AtlError } from "../../src/shared/errors";
import { openAuditLog, type AuditLog, type AuditRecord } from "../src/audit";
import { DEFAULT_LIMITS, DEFAULT_PORT, loadKeys, parseArgs, parseListen, resolveConfig, SECRET_ENV, weakSecretReason } from "../src/config";
import { ProcessRunner } from "../src/exec";
import { createCommandPolicy, loadPolicyFile } from "../src/policy/index";

const DEPLOY = join(__dirname, "..", "deploy");
const SECRET = "3f9c1a2b7d4e60a85c1e9b2f7d3a6c04e8b1f5d2";

function isConfigError(pattern: RegExp) {
  return (error: unknown): boolean => error instanceof AtlError && error.code === "config" && pattern.test(error.message) && typeof error.fix === "string";
}

void describe("agent config: flags", () => {
  void test("parses the documented flags, with a space or =", () => {
    assert.deepEqual(parseArgs(["--listen", "0.0.0.0:9917", "--key-id=ops", "--secret-file", "/k", "--policy=/p", "--audit", "/a", "--tls-cert", "/c", "--tls-key", "/ck", "--config", "/cfg"]), {
      listen: "0.0.0.0:9917",
      keyId: "ops",
      secretFile: "/k",
      policy: "/p",
      audit: "/a",
      tlsCert: "/c",
      tlsKey: "/ck",
      config: "/cfg",
    });
    assert.deepEqual(parseArgs(["--help"]), { help: true });
    assert.deepEqual(parseArgs(["--version"]), { version: true });
  });

  void test("refuses unknown flags and flags without a value", () => {
    assert.throws(() => parseArgs(["--port", "1"]), isConfigError(/Unknown option "--port"/));
    assert.throws(() => parseArgs(["--key-id"]), isConfigError(/--key-id needs a value/));
    assert.throws(() => parseArgs(["--key-id", "--secret-file", "x"]), isConfigError(/--key-id needs a value/));
  });

  void test("listen addresses: IPv4, IPv6, any host, bad ones", () => {
    assert.deepEqual(parseListen("127.0.0.1:9917"), { host: "127.0.0.1", port: 9917 });
    assert.deepEqual(parseListen("[::1]:0"), { host: "::1", port: 0 });
    assert.deepEqual(parseListen(":9917"), { host: "0.0.0.0", port: 9917 });
    assert.deepEqual(parseListen("agent.internal:80"), { host: "agent.internal", port: 80 });
    for (const bad of ["9917", "host:", "host:99999", "::1:80", "a b:1"]) {
      assert.throws(() => parseListen(bad), isConfigError(/is not HOST:PORT/), bad);
    }
  });
});

void describe("agent config: resolving", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("defaults: loopback on 9917, default limits, audit to stderr", async () => {
    const config = await resolveConfig({ keyId: "k", secretFile: "/etc/k" }, {});
    assert.deepEqual(config.listen, { host: "127.0.0.1", port: DEFAULT_PORT });
    assert.deepEqual(config.limits, DEFAULT_LIMITS);
    assert.equal(config.auditFile, null);
    assert.equal(config.stateDir, null, "no replay journal unless asked for");
    assert.equal(config.tls, null);
    assert.deepEqual(config.keys, [{ id: "k", secretFile: "/etc/k" }]);
    // Under systemd, StateDirectory= names the journal's folder; --state-dir wins over it.
    assert.equal((await resolveConfig({ keyId: "k", secretFile: "/etc/k" }, { STATE_DIRECTORY: "/var/lib/atl-agent" })).stateDir, "/var/lib/atl-agent");
    assert.equal((await resolveConfig({ keyId: "k", secretFile: "/etc/k", stateDir: "/srv/s" }, { STATE_DIRECTORY: "/var/lib/atl-agent" })).stateDir, "/srv/s");
  });

  void test("flags override the file; paths in the file are relative to it", async () => {
    const file = join(dir, "config.json");
    await writeFile(
      file,
      JSON.stringify({
        listen: "0.0.0.0:1234",
        keys: [
          { id: "old", secretFile: "keys/old.key" },
          { id: "k", secretFile: "keys/k.key" },
        ],
        tls: { certFile: "tls/cert.pem", keyFile: "tls/key.pem" },
        limits: { maxConcurrent: 4, maxTimeoutSec: 60 },
        policyFile: "policy.json",
        auditFile: "/var/log/atl-agent/audit.jsonl",
      }),
    );
    const config = await resolveConfig({ config: file, listen: "127.0.0.1:0", keyId: "k", secretFile: "/flag/k.key", audit: "/tmp/a.jsonl" }, {});
    assert.deepEqual(config.listen, { host: "127.0.0.1", port: 0 });
    assert.deepEqual(config.keys, [
      { id: "old", secretFile: join(dir, "keys/old.key") },
      { id: "k", secretFile: "/flag/k.key" },
    ]);
    assert.deepEqual(config.tls, { certFile: join(dir, "tls/cert.pem"), keyFile: join(dir, "tls/key.pem") });
    assert.equal(config.limits.maxConcurrent, 4);
    assert.equal(config.limits.maxTimeoutSec, 60);
    assert.equal(config.limits.maxCommands, DEFAULT_LIMITS.maxCommands);
    assert.equal(config.policyFile, join(dir, "policy.json"));
    assert.equal(config.auditFile, "/tmp/a.jsonl");
  });

  void test("refuses: no key, secret without key id, half TLS, bad limits, unknown fields, duplicate ids", async () => {
    await assert.rejects(resolveConfig({}, {}), isConfigError(/refuses to start without one/));
    await assert.rejects(resolveConfig({ secretFile: "/k" }, {}), isConfigError(/--secret-file needs --key-id/));
    await assert.rejects(resolveConfig({}, { [SECRET_ENV]: SECRET }), isConfigError(/--key-id is missing/));
    await assert.rejects(resolveConfig({ keyId: "k" }, {}), isConfigError(/has no secret/));
    await assert.rejects(resolveConfig({ keyId: "bad id" }, { [SECRET_ENV]: SECRET }), isConfigError(/not a valid key id/));
    await assert.rejects(resolveConfig({ keyId: "k", tlsCert: "/c" }, { [SECRET_ENV]: SECRET }), isConfigError(/both a certificate and a private key/));

    const write = async (content: unknown): Promise<string> => {
      const file = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
      return file;
    };
    const env = { [SECRET_ENV]: SECRET };
    await assert.rejects(resolveConfig({ keyId: "k", config: await write("{") }, env), isConfigError(/not valid JSON/));
    await assert.rejects(resolveConfig({ keyId: "k", config: await write({ limits: { maxConcurrent: 0 } }) }, env), isConfigError(/limits\.maxConcurrent: must be at least 1/));
    await assert.rejects(resolveConfig({ keyId: "k", config: await write({ limit: {} }) }, env), isConfigError(/limit: is not a known field/));
    await assert.rejects(
      resolveConfig({ keyId: "k", config: await write({ limits: { defaultTimeoutSec: 100, maxTimeoutSec: 10 } }) }, env),
      isConfigError(/defaultTimeoutSec \(100\) is above limits\.maxTimeoutSec \(10\)/),
    );
    await assert.rejects(
      resolveConfig({ config: await write({ keys: [{ id: "a", secretFile: "/a" }, { id: "a", secretFile: "/b" }] }) }, {}),
      isConfigError(/appears twice/),
    );
    await assert.rejects(resolveConfig({ config: join(dir, "missing.json") }, {}), isConfigError(/Cannot read the config file/));
  });

  void test("keys: secret files are trimmed, short or missing ones refused, loose modes warned about", async () => {
    const good = join(dir, "good.key");
    await writeFile(good, `${SECRET}\n`, { mode: 0o600 });
    await chmod(good, 0o600);
    const warnings: string[] = [];
    const keys = await loadKeys([{ id: "k", secretFile: good }], {}, (w) => warnings.push(w));
    assert.deepEqual(keys, [{ id: "k", secret: Buffer.from(SECRET) }]);
    assert.equal(warnings.length, 0);

    await chmod(good, 0o640);
    await loadKeys([{ id: "k", secretFile: good }], {}, (w) => warnings.push(w));
    assert.match(warnings[0] ?? "", /accessible by group or others \(mode 640\); run: chmod 600/);

    const fromEnv = await loadKeys([{ id: "e", secretFile: null }], { [SECRET_ENV]: ` ${SECRET} ` }, () => undefined);
    assert.deepEqual(fromEnv, [{ id: "e", secret: Buffer.from(SECRET) }]);

    const short = join(dir, "short.key");
    await writeFile(short, "abc\n", { mode: 0o600 });
    await assert.rejects(loadKeys([{ id: "s", secretFile: short }], {}, () => undefined), isConfigError(/only 3 characters; at least 32/));
    await assert.rejects(loadKeys([{ id: "m", secretFile: join(dir, "none.key") }], {}, () => undefined), isConfigError(/ENOENT/));
    await assert.rejects(loadKeys([{ id: "e", secretFile: null }], {}, () => undefined), isConfigError(/is empty/));
  });

  void test("a FIFO, a directory or a device as the secret file is refused at once, not waited on", async () => {
    const fifo = join(dir, "secret.fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
    // Nobody ever writes to it: reading it the ordinary way would block the start-up for ever.
    await assert.rejects(loadKeys([{ id: "f", secretFile: fifo }], {}, () => undefined), isConfigError(/a FIFO \(named pipe\), not a regular file/));
    await assert.rejects(loadKeys([{ id: "d", secretFile: dir }], {}, () => undefined), isConfigError(/a directory, not a regular file/));
    await assert.rejects(loadKeys([{ id: "z", secretFile: "/dev/zero" }], {}, () => undefined), isConfigError(/a device, not a regular file/));
  });

  void test("low-entropy secrets are refused with a fix; random ones pass", async () => {
    await assert.rejects(
      loadKeys([{ id: "a", secretFile: null }], { [SECRET_ENV]: "a".repeat(40) }, () => undefined),
      (error: unknown) => isConfigError(/too predictable to sign requests: it is one character repeated/)(error) && /openssl rand -hex 32/.test((error as AtlError).fix ?? ""),
    );
    assert.match(weakSecretReason("abababababababababababababababab") ?? "", /only 2 distinct characters/);
    assert.match(weakSecretReason("0123456789abcdef0123456789abcdef") ?? "", /repeats a 16-character pattern/);
    assert.match(weakSecretReason("abcdefghijklmnopqrstuvwxyzABCDEF") ?? "", /run of consecutive characters/);
    assert.equal(weakSecretReason(SECRET), null);
    // Real secrets as operators make them: hex and base64 of 32 random bytes, and a passphrase.
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256)));
      assert.equal(weakSecretReason(bytes.toString("hex")), null);
      assert.equal(weakSecretReason(bytes.toString("base64")), null);
      assert.equal(weakSecretReason(bytes.toString("hex").slice(0, 32)), null, "16 random bytes in hex");
    }
    assert.equal(weakSecretReason("correct horse battery staple in the rain"), null);
  });
});

void describe("agent audit log file", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-audit-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function lines(path: string): Promise<AuditRecord[]> {
    return (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditRecord);
  }

  function open(path: string, errors: Error[] = []): AuditLog {
    return openAuditLog(path, { onError: (e) => errors.push(e) });
  }

  void test("appends JSON lines with a time, each on disk when append resolves, mode 600", async () => {
    const path = join(dir, "append.jsonl");
    await writeFile(path, '{"earlier":true}\n');
    const audit = open(path);
    await audit.append({ event: "start", version: "1", detail: "first" });
    const records = await lines(path);
    assert.equal(records.length, 2, "appended, not truncated");
    assert.equal(records[1].event === "start" && records[1].detail, "first");
    assert.match(records[1].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // A burst is committed together, in order.
    await Promise.all(Array.from({ length: 300 }, (_, i) => audit.append({ event: "stop", version: "1", detail: String(i) })));
    const after = await lines(path);
    assert.deepEqual(
      after.slice(2).map((r) => (r.event === "stop" ? Number(r.detail) : -1)),
      Array.from({ length: 300 }, (_, i) => i),
    );
    await audit.close();
  });

  void test("a rotated or removed file is noticed by inode and reopened, without SIGHUP", async () => {
    const path = join(dir, "rotate.jsonl");
    const audit = open(path);
    await audit.append({ event: "start", version: "1", detail: "first" });
    // logrotate's default: move the file away and create an empty one in its place.
    await rename(path, `${path}.1`);
    await writeFile(path, "", { mode: 0o600 });
    await audit.append({ event: "stop", version: "1", detail: "second" });
    assert.equal((await lines(`${path}.1`)).length, 1, "nothing more went to the rotated file");
    const fresh = await lines(path);
    assert.deepEqual(
      fresh.map((r) => r.event),
      ["audit-reopened", "stop"],
    );
    assert.match(JSON.stringify(fresh[0]), /another file is at the audit path now \(rotated\)/);

    await unlink(path);
    await audit.append({ event: "stop", version: "1", detail: "third" });
    const recreated = await lines(path);
    assert.match(JSON.stringify(recreated[0]), /moved away or removed/);
    assert.equal(recreated[1].event === "stop" && recreated[1].detail, "third");
    await audit.close();
  });

  void test("a file whose folder is gone cannot be reopened: the write fails and the log is unhealthy", async () => {
    const sub = join(dir, "gone");
    await mkdir(sub);
    const errors: Error[] = [];
    const audit = open(join(sub, "audit.jsonl"), errors);
    await audit.append({ event: "start", version: "1", detail: "x" });
    await rm(sub, { recursive: true, force: true });
    await assert.rejects(audit.append({ event: "stop", version: "1", detail: "y" }), /audit log cannot be written \(cannot reopen/);
    assert.equal(audit.healthy, false);
    assert.match(errors[0]?.message ?? "", /ENOENT/);
    await assert.rejects(audit.append({ event: "stop", version: "1", detail: "z" }), /cannot be written/, "refused at once while unhealthy");
    assert.equal(await audit.recover(), false);
  });

  void test("a path that cannot be opened fails at start-up", () => {
    assert.throws(() => open(join(dir, "no", "such", "dir", "audit.jsonl")), { code: "ENOENT" });
  });

  void test("a failing write rejects, marks the log unhealthy and reports the error once", async () => {
    const errors: Error[] = [];
    const audit = open("/dev/full", errors);
    assert.equal(audit.healthy, true);
    await assert.rejects(audit.append({ event: "start", version: "1", detail: "x".repeat(100) }), /ENOSPC/);
    assert.equal(audit.healthy, false);
    assert.equal(await audit.recover(), false);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.message), /ENOSPC/);
  });
});

void describe("agent deployment examples", () => {
  void test("the example config is valid and names an example policy that loads", async () => {
    const config = await resolveConfig({ config: join(DEPLOY, "config.example.json") }, {});
    assert.deepEqual(config.listen, { host: "0.0.0.0", port: 9917 });
    assert.equal(config.keys.length, 1);
    assert.ok(config.tls);
    assert.equal(config.auditFile, "/var/log/atl-agent/audit.jsonl");
    assert.equal(config.stateDir, "/var/lib/atl-agent");
    assert.deepEqual(config.limits, DEFAULT_LIMITS, "the example shows the defaults");
    const policy = createCommandPolicy(loadPolicyFile(join(DEPLOY, "policy.example.json")));
    const restart = policy.check("systemctl restart nginx");
    assert.equal(restart.decision, "allowed");
    assert.equal(restart.risk, "mutating");
    assert.equal(policy.check("docker logs web").decision, "refused");
  });

  void test("the systemd unit has the hardening the README promises and passes systemd-analyze", async (t) => {
    const unit = await readFile(join(DEPLOY, "atl-agent.service"), "utf8");
    for (const line of [
      "User=atl-agent",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=read-only",
      "PrivateTmp=yes",
      "Restart=on-failure",
      "LogsDirectory=atl-agent",
      "StateDirectory=atl-agent",
      "CapabilityBoundingSet=",
      "ExecReload=/bin/kill -HUP $MAINPID",
    ]) {
      assert.ok(unit.split("\n").includes(line), `unit has ${line}`);
    }
    const runner = new ProcessRunner();
    const which = await runner.run({ steps: [{ op: null, pipeline: { stages: [{ argv: ["systemd-analyze", "--version"], stdoutToNull: true, stderrToNull: true, stderrToStdout: false }] } }] }, { timeoutMs: 20_000, maxOutputBytes: 65536 });
    if (which.exitCode !== 0) {
      t.skip("systemd-analyze is not installed");
      return;
    }
    const verify = await runner.run(
      { steps: [{ op: null, pipeline: { stages: [{ argv: ["systemd-analyze", "verify", join(DEPLOY, "atl-agent.service")], stdoutToNull: false, stderrToNull: false, stderrToStdout: true }] } }] },
      { timeoutMs: 60_000, maxOutputBytes: 65536 },
    );
    // Only complaints about this unit count (a container may lack other units it mentions).
    const complaints = verify.stdout.text.split("\n").filter((l) => l.includes("atl-agent.service") && !/Failed to resolve|is not a valid user|not found/.test(l));
    assert.deepEqual(complaints, []);
  });
});
