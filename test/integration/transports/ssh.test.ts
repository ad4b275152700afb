// SshTransport against a real OpenSSH server on 127.0.0.1 (test/helpers/sshd.ts): the pinned host
// key is what lets it in, a wrong pin stops it before any credential or command leaves, refused
// commands never reach the host, the remote shell runs exactly the argv the policy checked, and
// timeouts, output caps, connection reuse and idle close behave as on a real server.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { createCommandPolicy } from "../../../agent/src/policy/index";
import { AtlError } from "../../../src/shared/errors";
import type { SshHostEntry } from "../../../src/hosts/model";
import { probeHost } from "../../../src/transports/probe";
import { silentLogger } from "../../../src/shared/log";
import { SshTransport, type SshTransportOptions } from "../../../src/transports/ssh";
import { startSshd, type Sshd } from "../../helpers/sshd";
import { eventually } from "../../helpers/eventually";

const policy = createCommandPolicy();
const OTHER_FP = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

function hostOf(sshd: Sshd, overrides: Partial<SshHostEntry> = {}): SshHostEntry {
  return { id: "test-host", name: "test-host", transport: "ssh", host: sshd.host, port: sshd.port, username: sshd.username, hostKeySha256: sshd.hostKeySha256, ...overrides };
}

async function transportFor(sshd: Sshd, options: Partial<SshTransportOptions> = {}): Promise<SshTransport> {
  return new SshTransport({
    host: hostOf(sshd),
    privateKey: await readFile(sshd.privateKeyFile, "utf8"),
    policy,
    logger: silentLogger,
    ...options,
  });
}

/**
 * The sshd log since `before`, once every connection in it has ended (as many ends as starts):
 * what a client did on those connections is then all there, so "nothing was offered" is a fact,
 * not a guess after a sleep.
 */
async function logOfEndedConnections(sshd: Sshd, before: string): Promise<string> {
  return eventually(
    async () => {
      const added = (await sshd.log()).slice(before.length);
      const started = count(added, /Connection from /);
      const ended = count(added, /Connection (?:closed|reset) by |Disconnected from |Received disconnect from /);
      return started > 0 && ended >= started ? added : undefined;
    },
    60_000,
    "every connection to end in the sshd log",
  );
}

function count(text: string, needle: RegExp): number {
  return (text.match(new RegExp(needle.source, "g")) ?? []).length;
}

/** Live (not zombie) processes of the test user whose command line is exactly `args`. */
function liveProcesses(user: string, args: string): string[] {
  const ps = spawnSync("ps", ["-u", user, "-o", "stat=,args="], { encoding: "utf8" });
  return ps.stdout.split("\n").filter((l) => l.trim().endsWith(args) && !l.trim().startsWith("Z"));
}

async function rejectsAtl(promise: Promise<unknown>, code: string, check: (e: AtlError) => void = () => undefined): Promise<AtlError> {
  let caught: AtlError | null = null;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AtlError, `expected AtlError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check(error);
    caught = error;
    return true;
  });
  return caught as unknown as AtlError;
}

void describe("SshTransport against a private sshd", { timeout: 180_000 }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  void it("logs in with the pinned host key and runs commands as the user", async () => {
    const t = await transportFor(sshd);
    try {
      const [who, up] = await t.exec(["id -un", "uptime"], { timeoutSec: 20 });
      assert.equal(who?.exitCode, 0);
      assert.equal(who?.stdout.trim(), sshd.username);
      assert.equal(who?.decision, "allowed");
      assert.match(up?.stdout ?? "", /load average/);
      assert.match(await sshd.log(), new RegExp(`Accepted publickey for ${sshd.username}`));
    } finally {
      t.dispose();
    }
  });

  void it("sends each argument single-quoted: the remote shell expands nothing", async () => {
    const t = await transportFor(sshd);
    try {
      const [echo] = await t.exec([`echo 'a  b' "c d" '$HOME' '*' '\`id\`' "it's"`], { timeoutSec: 20 });
      assert.equal(echo?.decision, "allowed", echo?.reason);
      assert.equal(echo?.stdout, "a  b c d $HOME * `id` it's\n");
      const [missing] = await t.exec(["ls /nonexistent-atl"], { timeoutSec: 20 });
      assert.equal(missing?.exitCode, 2, "exit codes come back");
      assert.match(missing?.stderr ?? "", /No such file/);
    } finally {
      t.dispose();
    }
  });

  void it("expands path patterns itself over SFTP (no remote shell does), checks every name, and samples", async () => {
    const dir = await mkdtemp(join(tmpdir(), "atl-ssh-glob-"));
    try {
      for (const file of ["a.log", "b.log", "-rf", ".hidden", "keys/id_rsa"]) {
        await mkdir(join(dir, file, ".."), { recursive: true });
        await writeFile(join(dir, file), "line\n");
      }
      await chmod(dir, 0o755);
      await chmod(join(dir, "keys"), 0o755);
      const t = await transportFor(sshd);
      try {
        const [ls, none, key, relative, vmstat] = await t.exec([`ls -1 ${dir}/*`, `ls ${dir}/*.gz`, `cat ${dir}/keys/*`, "ls -d atl-nothing-*", "vmstat 1"], { timeoutSec: 30 });
        assert.equal(ls?.exitCode, 0, ls?.stderr);
        assert.equal(ls?.executed, `ls -1 ${dir}/-rf ${dir}/a.log ${dir}/b.log ${dir}/keys`);
        assert.equal(ls?.stdout, `${dir}/-rf\n${dir}/a.log\n${dir}/b.log\n\n${dir}/keys:\nid_rsa\n`);
        assert.equal(none?.decision, "allowed");
        assert.match(none?.stderr ?? "", /\*\.gz/, "a pattern that matches nothing stays as written");
        assert.equal(key?.decision, "refused");
        assert.match(key?.reason ?? "", /id_rsa/);
        assert.equal(relative?.executed, "ls -d 'atl-nothing-*'", "relative patterns read the login directory");
        assert.equal(vmstat?.exitCode, 0, vmstat?.stderr);
        assert.deepEqual(vmstat?.sampling, { seconds: 5 });
        assert.equal(vmstat?.executed, "vmstat 1 6");
        assert.equal(vmstat?.stdout.trim().split("\n").length, 8);
      } finally {
        t.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  void it("refuses to log in when the host presents another key, before any credential is sent", async () => {
    const before = await sshd.log();
    const t = new SshTransport({ host: hostOf(sshd, { hostKeySha256: OTHER_FP }), privateKey: await readFile(sshd.privateKeyFile, "utf8"), policy, logger: silentLogger });
    try {
      await rejectsAtl(t.exec(["id -un"], { timeoutSec: 20 }), "host-key-mismatch", (e) => {
        assert.ok(e.message.includes(sshd.hostKeySha256), "shows the key the host presented");
        assert.ok(e.message.includes(OTHER_FP), "shows the pinned key");
        assert.match(e.fix ?? "", /ssh-keygen -lf/);
      });
      const health = await t.health();
      assert.match(health.error ?? "", /presented host key/);
      const added = await logOfEndedConnections(sshd, before);
      assert.match(added, /Connection from 127\.0\.0\.1/, "it did connect");
      assert.equal(count(added, /publickey/), 0, `no key offered, no command: ${added}`);
      assert.equal(count(added, /Accepted/), 0);
    } finally {
      t.dispose();
    }
  });

  void it("reports refused commands without sending them (no connection at all when nothing is allowed)", async () => {
    const t = await transportFor(sshd);
    try {
      const before = await sshd.log();
      const results = await t.exec(["touch /tmp/atl-ssh-canary", "cat /etc/shadow"], { timeoutSec: 20 });
      assert.deepEqual(results.map((r) => r.decision), ["refused", "refused"]);
      assert.match(results[0]?.reason ?? "", /touch/);
      assert.ok(results.every((r) => r.exitCode === null && r.stdout === ""));
      assert.equal(t.connectionsOpened, 0);
      assert.equal(existsSync("/tmp/atl-ssh-canary"), false);
      assert.equal((await sshd.log()).slice(before.length), "", "the server saw nothing");
      const mixed = await t.exec(["echo one", "rm -rf /tmp/x", "echo three"], { timeoutSec: 20 });
      assert.deepEqual(mixed.map((r) => r.decision), ["allowed", "refused", "allowed"]);
      assert.deepEqual(mixed.map((r) => r.stdout), ["one\n", "", "three\n"], "the others still run, in order");
    } finally {
      t.dispose();
    }
  });

  void it("kills a command at its timeout and says so", async () => {
    const t = await transportFor(sshd, { killGraceMs: 1000 });
    try {
      const [slow] = await t.exec(["sleep 9"], { timeoutSec: 1 });
      assert.equal(slow?.timedOut, true);
      assert.equal(slow?.exitCode, null);
      assert.ok(slow?.signal);
      await eventually(() => liveProcesses(sshd.username, "sleep 9").length === 0, 20_000, "the remote sleep to be gone");
      const [next] = await t.exec(["echo still-usable"], { timeoutSec: 20 });
      assert.equal(next?.stdout, "still-usable\n", "the connection survives a timeout");
    } finally {
      t.dispose();
    }
  });

  void it("stops a command when the caller aborts", async () => {
    const t = await transportFor(sshd);
    try {
      await t.exec(["true"], { timeoutSec: 20 });
      const controller = new AbortController();
      const pending = t.exec(["sleep 8"], { timeoutSec: 30, signal: controller.signal });
      await eventually(() => liveProcesses(sshd.username, "sleep 8").length > 0, 20_000, "the remote sleep to start");
      controller.abort();
      await rejectsAtl(pending, "cancelled");
      await eventually(() => liveProcesses(sshd.username, "sleep 8").length === 0, 20_000, "the remote sleep to be killed");
    } finally {
      t.dispose();
    }
  });

  void it("caps output at 1 MiB per stream by default (truncated flag) and keeps reading to the end", async () => {
    const t = await transportFor(sshd);
    try {
      // seq 1 400000 writes about 2.6 MB.
      const [big, after] = await t.exec(["seq 1 400000", "echo next"], { timeoutSec: 30 });
      assert.equal(big?.stdout.length, 1024 * 1024);
      assert.ok(big?.stdout.startsWith("1\n2\n"));
      assert.equal(big?.truncated, true);
      assert.equal(big?.exitCode, 0, "the command ran to its end");
      assert.equal(after?.stdout, "next\n");
      const small = await transportFor(sshd, { maxOutputBytes: 1000 });
      const [seq] = await small.exec(["seq 1 100000"], { timeoutSec: 30 });
      assert.ok((seq?.stdout.length ?? 0) <= 1000 && seq?.truncated);
      assert.ok(seq?.stdout.startsWith("1\n2\n3\n"));
      small.dispose();
    } finally {
      t.dispose();
    }
  });

  void it("reuses one connection for many commands and closes it when idle", async () => {
    const before = await sshd.log();
    const t = await transportFor(sshd, { idleMs: 300 });
    try {
      await t.exec(["echo 1"], { timeoutSec: 20 });
      await t.exec(["echo 2", "echo 3"], { timeoutSec: 20 });
      assert.equal(t.connectionsOpened, 1);
      assert.equal(count((await sshd.log()).slice(before.length), /Accepted publickey/), 1, "one login for three commands");
      // This connection's own disconnect, by its client port: an earlier test's dispose may be logged late.
      const port = /Accepted publickey for \S+ from \S+ port (\d+)/.exec((await sshd.log()).slice(before.length))?.[1];
      assert.ok(port, "the login names its client port");
      const closed = new RegExp(`(Disconnected from user \\S+|Received disconnect from) \\S+ port ${port}\\b`);
      await eventually(async () => closed.test((await sshd.log()).slice(before.length)), 20_000, "the idle connection to close");
      const [again] = await t.exec(["echo 4"], { timeoutSec: 20 });
      assert.equal(again?.stdout, "4\n");
      assert.equal(t.connectionsOpened, 2, "a new connection after the idle close");
    } finally {
      t.dispose();
    }
  });

  void it("reconnects when the server dropped the reused connection", async () => {
    const t = await transportFor(sshd);
    try {
      await t.exec(["echo before"], { timeoutSec: 20 });
      // Kill this sshd's per-connection processes (its children): the server side of our connection.
      const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(sshd.pid)], { encoding: "utf8" }).stdout.split(/\s+/).filter(Boolean).map(Number);
      assert.ok(children.length > 0);
      for (const pid of children) {
        process.kill(pid, "SIGKILL");
      }
      const [after] = await t.exec(["echo after"], { timeoutSec: 20 });
      assert.equal(after?.stdout, "after\n");
      assert.equal(t.connectionsOpened, 2);
    } finally {
      t.dispose();
    }
  });

  void it("runs commands of concurrent callers over the same connection", async () => {
    const t = await transportFor(sshd);
    try {
      const all = await Promise.all([1, 2, 3, 4].map((n) => t.exec([`echo ${n}`], { timeoutSec: 20 })));
      assert.deepEqual(all.map((r) => r[0]?.stdout), ["1\n", "2\n", "3\n", "4\n"]);
      assert.equal(t.connectionsOpened, 1);
    } finally {
      t.dispose();
    }
  });

  void it("health(): the banner from the probe plus a real login", async () => {
    const t = await transportFor(sshd);
    try {
      const health = await t.health();
      assert.equal(health.reachable, true);
      assert.equal(health.error, null);
      assert.match(health.version ?? "", /^SSH-2\.0-OpenSSH_/);
    } finally {
      t.dispose();
    }
  });

  void it("explains unreachable hosts and rejected logins", async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const nowhere = new SshTransport({ host: hostOf(sshd, { port: closed }), privateKey: await readFile(sshd.privateKeyFile, "utf8"), policy, logger: silentLogger });
    await rejectsAtl(nowhere.exec(["id -un"], { timeoutSec: 5 }), "host-unreachable", (e) => assert.match(e.fix ?? "", /sshd runs/));
    nowhere.dispose();
    const stranger = new SshTransport({ host: hostOf(sshd, { username: "root" }), privateKey: await readFile(sshd.privateKeyFile, "utf8"), policy, logger: silentLogger });
    await rejectsAtl(stranger.exec(["id -un"], { timeoutSec: 5 }), "transport", (e) => assert.match(e.fix ?? "", /authorized_keys/));
    stranger.dispose();
    const keyless = new SshTransport({ host: hostOf(sshd), policy, logger: silentLogger, agentSocket: "" });
    await rejectsAtl(keyless.exec(["id -un"], { timeoutSec: 5 }), "config", (e) => assert.match(e.fix ?? "", /privateKeyFile/));
  });
});

void describe("SshTransport with a host that has several host keys", { timeout: 120_000 }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ["ed25519", "ecdsa", "rsa"] });
  });
  after(async () => {
    await sshd?.stop();
  });

  void it("accepts a pin of any of the host's keys (ecdsa or rsa from known_hosts), and only those", async () => {
    const key = await readFile(sshd.privateKeyFile, "utf8");
    for (const type of ["ecdsa", "rsa", "ed25519"]) {
      const t = new SshTransport({ host: hostOf(sshd, { hostKeySha256: sshd.hostKeys[type] }), privateKey: key, policy, logger: silentLogger });
      const [who] = await t.exec(["id -un"], { timeoutSec: 20 });
      assert.equal(who?.stdout.trim(), sshd.username, type);
      t.dispose();
    }
    const before = await sshd.log();
    const impostor = new SshTransport({ host: hostOf(sshd, { hostKeySha256: OTHER_FP }), privateKey: key, policy, logger: silentLogger });
    await rejectsAtl(impostor.exec(["id -un"], { timeoutSec: 20 }), "host-key-mismatch", (e) => {
      for (const fp of Object.values(sshd.hostKeys)) {
        assert.ok(e.message.includes(fp), `lists ${fp}`);
      }
    });
    impostor.dispose();
    assert.equal(count(await logOfEndedConnections(sshd, before), /publickey|Accepted/), 0, "no key offered to any of them");
  });
});

void describe("SshTransport with an encrypted key", { timeout: 120_000 }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ keyPassphrase: "correct horse" });
  });
  after(async () => {
    await sshd?.stop();
  });

  void it("asks for the passphrase when it is missing or wrong, and logs in with it", async () => {
    const key = await readFile(sshd.privateKeyFile, "utf8");
    const without = new SshTransport({ host: hostOf(sshd), privateKey: key, policy, logger: silentLogger });
    await rejectsAtl(without.exec(["id -un"], { timeoutSec: 20 }), "config", (e) => assert.match(e.fix ?? "", /passphrase/));
    without.dispose();
    const wrong = new SshTransport({ host: hostOf(sshd), privateKey: key, passphrase: "wrong", policy, logger: silentLogger });
    await rejectsAtl(wrong.exec(["id -un"], { timeoutSec: 20 }), "config");
    wrong.dispose();
    const right = new SshTransport({ host: hostOf(sshd), privateKey: key, passphrase: sshd.keyPassphrase ?? "", policy, logger: silentLogger });
    const [who] = await right.exec(["id -un"], { timeoutSec: 20 });
    assert.equal(who?.stdout.trim(), sshd.username);
    right.dispose();
  });
});

void describe("probeHost (light check for the Hosts view)", { timeout: 60_000 }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  void it("reads the SSH banner without logging in", async () => {
    const before = await sshd.log();
    const health = await probeHost(hostOf(sshd));
    assert.equal(health.reachable, true);
    assert.equal(health.error, null);
    assert.match(health.version ?? "", /^SSH-2\.0-OpenSSH_9/);
    assert.ok(health.latencyMs !== null && health.latencyMs >= 0);
    assert.doesNotMatch(await logOfEndedConnections(sshd, before), /publickey|Accepted/);
  });

  void it("says why a host is not reachable, and notices a port that is not SSH", async () => {
    const closed = await probeHost(hostOf(sshd, { port: 1 }), { timeoutMs: 3000 });
    assert.equal(closed.reachable, false);
    assert.match(closed.error ?? "", /Cannot reach 127\.0\.0\.1:1: ECONNREFUSED/);
    const http = net.createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as net.AddressInfo;
    const wrong = await probeHost(hostOf(sshd, { port }), { timeoutMs: 3000 });
    http.close();
    assert.equal(wrong.reachable, false);
    assert.match(wrong.error ?? "", /closed the connection before sending an SSH banner|not with an SSH banner/);
  });
});
