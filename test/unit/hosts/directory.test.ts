// HostDirectory: which host an alarm or a sentence is about, and transports with their secrets —
// missing or unreadable secrets fail with the fix, transports are shared and disposed together.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCommandPolicy } from "../../../agent/src/policy/index";
import { AtlError } from "../../../src/shared/errors";
import { HostDirectory } from "../../../src/hosts/directory";
import type { HostEntry, SecretLookup } from "../../../src/hosts/model";
import { silentLogger } from "../../../src/shared/log";
import { AgentTransport } from "../../../src/transports/agent";
import { SshTransport } from "../../../src/transports/ssh";
import { alarm, metric } from "../runbooks/support";

const FP = "SHA256:pcFsr97XSRAza+e5H4qcCRspJGxC33vy6HnMBEd9r0s";
const hosts: HostEntry[] = [
  { id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", transport: "agent", url: "http://10.0.1.5:9917", keyId: "ops", aliases: ["web-01"] },
  { id: "prod-db-01", name: "prod-db-01", transport: "ssh", host: "ip-10-0-2-7.ap-northeast-2.compute.internal", port: 22, username: "ec2-user", hostKeySha256: FP, aliases: ["i-0123456789abcdef0"] },
  { id: "prod-web-010", name: "prod-web-010", transport: "agent", url: "http://10.0.1.50:9917", keyId: "ops" },
];

class Secrets implements SecretLookup {
  readonly values = new Map<string, string>();
  get(name: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(name));
  }
}

function directory(secrets = new Secrets(), list = hosts): HostDirectory {
  return new HostDirectory(list, secrets, { policy: createCommandPolicy(), logger: silentLogger });
}

async function rejectsWith(promise: Promise<unknown>, code: string, fix: RegExp, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AtlError, String(error));
    assert.equal(error.code, code);
    assert.match(error.fix ?? "", fix);
    if (message) {
      assert.match(error.message, message);
    }
    return true;
  });
}

void describe("HostDirectory: which host", () => {
  const dir = directory();

  void it("resolves an alarm by instance id, alias, metric-math query dimensions or the CWAgent host name", () => {
    assert.equal(dir.resolveForAlarm(alarm("cpu", metric("AWS/EC2", "CPUUtilization", { InstanceId: "i-0a1b2c3d4e5f67890" })))?.name, "prod-web-01");
    assert.equal(dir.resolveForAlarm(alarm("disk", metric("CWAgent", "disk_used_percent", { InstanceId: "i-0123456789abcdef0", path: "/" })))?.id, "prod-db-01");
    const math = metric("", "", {}, { namespace: null, name: null });
    math.queries = [{ id: "m1", expression: null, label: null, namespace: "AWS/EC2", name: "NetworkIn", statistic: "Sum", dimensions: { InstanceId: "i-0a1b2c3d4e5f67890" }, returnData: false }];
    assert.equal(dir.resolveForAlarm(alarm("net", math, { hostId: null }))?.name, "prod-web-01");
    assert.equal(dir.resolveForAlarm(alarm("mem", metric("CWAgent", "mem_used_percent", { host: "ip-10-0-2-7.ap-northeast-2.compute.internal" })))?.id, "prod-db-01");
  });

  void it("never takes another host for an instance that is not in the inventory (issue 17 item 13)", () => {
    // The alarm's instance is unknown; its name mentions prod-web-01, which is another instance.
    const misnamed = alarm("prod-web-01-cpu-high", metric("AWS/EC2", "CPUUtilization", { InstanceId: "i-0fedcba9876543210" }));
    assert.equal(dir.resolveForAlarm(misnamed), null);
    assert.deepEqual(dir.resolveAlarmHost(misnamed), { kind: "not-found", named: ["i-0fedcba9876543210"], mentioned: hosts[0] });
    const unknown = alarm("checkout-latency", metric("AWS/EC2", "CPUUtilization", { InstanceId: "i-0fedcba9876543210" }));
    assert.deepEqual(directory(new Secrets(), [hosts[0]]).resolveAlarmHost(unknown), { kind: "not-found", named: ["i-0fedcba9876543210"], mentioned: null }, "not the only host either");
    const cwagent = alarm("mem", metric("CWAgent", "mem_used_percent", { host: "ip-10-9-9-9" }), { hostId: null });
    assert.deepEqual(dir.resolveAlarmHost(cwagent), { kind: "not-found", named: ["ip-10-9-9-9"], mentioned: null });
  });

  void it("matches an alarm that names no host by a host its name mentions; composites are left to the store", () => {
    const elb = alarm("prod-web-01-http-5xx", metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", { LoadBalancer: "app/web/123" }), { hostId: null });
    assert.equal(dir.resolveForAlarm(elb)?.name, "prod-web-01");
    const latency = alarm("checkout-latency", metric("AWS/ApplicationELB", "TargetResponseTime", { LoadBalancer: "app/web/123" }), { hostId: null });
    assert.deepEqual(dir.resolveAlarmHost(latency), { kind: "unnamed" });
    assert.equal(dir.resolveForAlarm(alarm("web-tier-degraded", null, { children: ["arn:aws:cloudwatch:r:1:alarm:x"] })), null);
  });

  void it("resolves free text by id, name or alias as whole words, first mention first", () => {
    assert.equal(dir.resolveFromText("prod-web-01의 CPU 사용률이 높아요")?.name, "prod-web-01");
    assert.equal(dir.resolveFromText("check prod-web-010 please")?.id, "prod-web-010", "not prod-web-01 inside prod-web-010");
    assert.equal(dir.resolveFromText("web-01 and prod-db-01 are slow")?.name, "prod-web-01");
    assert.equal(dir.resolveFromText("disk on i-0123456789abcdef0.")?.id, "prod-db-01");
    assert.equal(dir.resolveFromText("PROD-DB-01 memory")?.id, "prod-db-01");
    assert.equal(dir.resolveFromText("nothing here"), null);
    assert.equal(dir.get("prod-db-01")?.id, "prod-db-01");
    assert.equal(dir.get("nope"), undefined);
    assert.deepEqual(dir.list().map((h) => h.id), hosts.map((h) => h.id));
  });
});

void describe("HostDirectory: transports and secrets", () => {
  let tmp = "";
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "atl-dir-"));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  void it("a missing agent secret fails with the command that fixes it; once set, it works", async () => {
    const secrets = new Secrets();
    const dir = directory(secrets);
    const web = hosts[0];
    await rejectsWith(dir.transport(web), "config", /Run ATL: Set agent secret for i-0a1b2c3d4e5f67890/, /No agent secret is stored for prod-web-01/);
    secrets.values.set("atl.host.i-0a1b2c3d4e5f67890.agentSecret", "s3cret");
    const transport = await dir.transport(web);
    assert.ok(transport instanceof AgentTransport);
    assert.equal(await dir.transport(web), transport, "cached");
    dir.dispose();
    await rejectsWith(dir.transport(web), "cancelled", /^$/, /closed/);
  });

  void it("reads secretFile (trailing newline trimmed); unreadable or empty files say which field to fix", async () => {
    const file = join(tmp, "web.key");
    await writeFile(file, "s3cret\n", { mode: 0o600 });
    const ok = directory(new Secrets(), [{ ...hosts[0], secretFile: file } as HostEntry]);
    assert.ok((await ok.transport(ok.list()[0])) instanceof AgentTransport);
    const missing = directory(new Secrets(), [{ ...hosts[0], secretFile: join(tmp, "nope.key") } as HostEntry]);
    await rejectsWith(missing.transport(missing.list()[0]), "config", /Check the path of "secretFile"/, /secretFile of i-0a1b2c3d4e5f67890 .* is not readable: ENOENT/);
    const emptyFile = join(tmp, "empty.key");
    await writeFile(emptyFile, "\n", { mode: 0o600 });
    const empty = directory(new Secrets(), [{ ...hosts[0], secretFile: emptyFile } as HostEntry]);
    await rejectsWith(empty.transport(empty.list()[0]), "config", /--secret-file/, /is empty/);
    ok.dispose();
  });

  void it("SSH hosts get an SshTransport with the key file read; an unreadable key file names privateKeyFile", async () => {
    const keyFile = join(tmp, "id_ed25519");
    await writeFile(keyFile, "-----BEGIN OPENSSH PRIVATE KEY-----\n", { mode: 0o600 });
    const db = { ...hosts[1], privateKeyFile: keyFile } as HostEntry;
    const dir = directory(new Secrets(), [db]);
    const [first, second] = await Promise.all([dir.transport(db), dir.transport(db)]);
    assert.ok(first instanceof SshTransport);
    assert.equal(first, second, "concurrent callers share one transport");
    const bad = directory(new Secrets(), [{ ...db, privateKeyFile: join(tmp, "missing") } as HostEntry]);
    await rejectsWith(bad.transport(bad.list()[0]), "config", /privateKeyFile/);
    dir.dispose();
    await rejectsWith(dir.transport(db), "cancelled", /^$/);
  });
});
