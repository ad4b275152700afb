// AgentTransport against the real agent process (test/helpers/agent.ts): commands run and stream
// per command, refused commands are reported and never reach the agent, the agent's own policy
// still has the last word, and every failure (signature, unreachable, busy) comes back as an
// AtlError that says what to do. The HostDirectory path (inventory → secretFile → transport) too.
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import type { ExecAuditRecord } from "../../../agent/src/audit";
import { createCommandPolicy } from "../../../agent/src/policy/index";
import { AtlError } from "../../../src/shared/errors";
import { HostDirectory } from "../../../src/hosts/directory";
import { parseHostsInventory } from "../../../src/hosts/inventory";
import type { AgentHostEntry } from "../../../src/hosts/model";
import { probeHost } from "../../../src/transports/probe";
import { silentLogger } from "../../../src/shared/log";
import { AgentTransport } from "../../../src/transports/agent";
import type { ExecResult } from "../../../src/transports/transport";
import { startAgent, type RunningAgent } from "../../helpers/agent";

const policy = createCommandPolicy();

function hostOf(agent: RunningAgent, overrides: Partial<AgentHostEntry> = {}): AgentHostEntry {
  return { id: "agent-host", name: "agent-host", transport: "agent", url: agent.url, keyId: agent.keyId, ...overrides };
}

async function execRecords(agent: RunningAgent): Promise<ExecAuditRecord[]> {
  return (await agent.audit()).filter((r): r is ExecAuditRecord => r.event === "exec");
}

async function rejectsAtl(promise: Promise<unknown>, code: string, check: (e: AtlError) => void = () => undefined): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AtlError, `expected AtlError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check(error);
    return true;
  });
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

void describe("AgentTransport against the real agent", { timeout: 180_000 }, () => {
  let agent: RunningAgent;
  before(async () => {
    // An operator rule refusing `uptime` shows that the agent's policy has the last word.
    agent = await startAgent({ policy: { version: 1, rules: [{ id: "no-uptime", program: "uptime", effect: "refuse", risk: "read-only", reason: "uptime is off on this host" }] } });
  });
  after(async () => {
    await agent?.stop();
  });

  void it("runs commands in order and reports each as it finishes", async () => {
    const t = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger });
    try {
      const seen: [number, string][] = [];
      const results = await t.exec(["echo one", "ls /nonexistent-atl", "echo three"], { timeoutSec: 20, onResult: (r, i) => seen.push([i, r.command]) });
      assert.deepEqual(seen, [[0, "echo one"], [1, "ls /nonexistent-atl"], [2, "echo three"]]);
      assert.deepEqual(results.map((r) => r.stdout), ["one\n", "", "three\n"]);
      assert.equal(results[1]?.exitCode, 2);
      assert.match(results[1]?.stderr ?? "", /No such file/);
    } finally {
      t.dispose();
    }
  });

  void it("reports refused commands without sending them; the agent's own refusals come back too", async () => {
    const t = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger });
    try {
      const results = await t.exec(["rm -rf /tmp/atl-agent-canary", "uptime", "echo ok"], { timeoutSec: 20 });
      assert.deepEqual(results.map((r) => r.decision), ["refused", "refused", "allowed"]);
      assert.match(results[0]?.reason ?? "", /rm/);
      assert.match(results[1]?.reason ?? "", /uptime is off on this host/, "refused by the agent's operator rule");
      const records = await execRecords(agent);
      assert.ok(!records.some((r) => r.command.startsWith("rm ")), "the locally refused command never reached the agent");
      assert.ok(records.some((r) => r.command === "uptime" && r.decision === "refused"));
    } finally {
      t.dispose();
    }
  });

  void it("a wrong secret is an agent-auth error that says which key and how to fix it", async () => {
    const t = new AgentTransport({ host: hostOf(agent), secret: "not-the-secret", policy, logger: silentLogger });
    try {
      await rejectsAtl(t.exec(["echo hi"], { timeoutSec: 20 }), "agent-auth", (e) => {
        assert.match(e.message, /agent-host .* refused ATL's signature/);
        assert.match(e.fix ?? "", new RegExp(`keyId "${agent.keyId}"`));
        assert.match(e.fix ?? "", /ATL: Set agent secret/);
        assert.ok(!e.userMessage.includes("not-the-secret"), "the secret never appears in the message");
      });
      await rejectsAtl(t.info(), "agent-auth");
    } finally {
      t.dispose();
    }
  });

  void it("an unreachable agent is host-unreachable with what to check", async () => {
    const port = await closedPort();
    const t = new AgentTransport({ host: hostOf(agent, { url: `http://127.0.0.1:${port}` }), secret: agent.secret, policy, logger: silentLogger });
    try {
      await rejectsAtl(t.exec(["echo hi"], { timeoutSec: 5 }), "host-unreachable", (e) => {
        assert.match(e.message, /ECONNREFUSED/);
        assert.match(e.fix ?? "", /agent runs on the host/);
      });
      const health = await t.health();
      assert.equal(health.reachable, false);
      assert.match(health.error ?? "", /Cannot reach the agent/);
    } finally {
      t.dispose();
    }
  });

  void it("health, info and the light probe agree on the agent's version", async () => {
    const t = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger });
    try {
      const health = await t.health();
      assert.equal(health.reachable, true);
      const info = await t.info();
      assert.equal(health.version, info.agentVersion);
      const probe = await probeHost(hostOf(agent));
      assert.equal(probe.reachable, true);
      assert.equal(probe.version, info.agentVersion);
      const notAgent = net.createServer((s) => s.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"));
      await new Promise<void>((resolve) => notAgent.listen(0, "127.0.0.1", resolve));
      const other = await probeHost(hostOf(agent, { url: `http://127.0.0.1:${(notAgent.address() as net.AddressInfo).port}` }));
      notAgent.close();
      assert.match(other.error ?? "", /not an ATL agent/);
    } finally {
      t.dispose();
    }
  });

  void it("stops between commands when cancelled", async () => {
    const t = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger });
    try {
      const controller = new AbortController();
      const done: ExecResult[] = [];
      const pending = t.exec(["echo first", "sleep 5", "echo never"], {
        timeoutSec: 20,
        signal: controller.signal,
        onResult: (r) => {
          done.push(r);
          controller.abort();
        },
      });
      await rejectsAtl(pending, "cancelled");
      assert.deepEqual(done.map((r) => r.command), ["echo first"]);
      assert.ok(!(await execRecords(agent)).some((r) => r.command === "echo never"));
    } finally {
      t.dispose();
    }
  });
});

void describe("AgentTransport when the agent is busy", { timeout: 120_000 }, () => {
  let agent: RunningAgent;
  before(async () => {
    agent = await startAgent({ limits: { maxConcurrent: 1 } });
  });
  after(async () => {
    await agent?.stop();
  });

  void it("retries once after Retry-After, then says the agent is busy", async () => {
    const holder = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger });
    const impatient = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger, maxRetryWaitSec: 0 });
    const patient = new AgentTransport({ host: hostOf(agent), secret: agent.secret, policy, logger: silentLogger });
    try {
      const holding = holder.exec(["sleep 4"], { timeoutSec: 20 });
      // Until the holder's request reaches the agent, "echo hi" may still get the slot: try again.
      let busy: unknown = null;
      for (let i = 0; i < 100 && busy === null; i++) {
        busy = await impatient.exec(["echo hi"], { timeoutSec: 5 }).then(
          () => null,
          (e: unknown) => e,
        );
      }
      assert.ok(busy instanceof AtlError, String(busy));
      assert.equal(busy.code, "agent-busy", busy.message);
      assert.match(busy.fix ?? "", /Wait for the other diagnoses/);
      await holding;
      const [after] = await patient.exec(["echo after"], { timeoutSec: 5 });
      assert.equal(after?.stdout, "after\n", "the slot is free again");
    } finally {
      holder.dispose();
      impatient.dispose();
      patient.dispose();
    }
  });
});

void describe("HostDirectory → AgentTransport (inventory with secretFile)", { timeout: 120_000 }, () => {
  let agent: RunningAgent;
  before(async () => {
    agent = await startAgent();
  });
  after(async () => {
    await agent?.stop();
  });

  void it("goes from an inventory entry to a command run on the host", async () => {
    const { hosts, errors } = parseHostsInventory([{ id: "i-0abc", name: "local", transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile }]);
    assert.deepEqual(errors, []);
    const directory = new HostDirectory(hosts, { get: () => Promise.resolve(undefined) }, { policy, logger: silentLogger });
    try {
      const host = directory.resolveFromText("is i-0abc ok?");
      assert.ok(host);
      const transport = await directory.transport(host);
      const [echo] = await transport.exec(["echo through-the-directory"], { timeoutSec: 10 });
      assert.equal(echo?.stdout, "through-the-directory\n");
    } finally {
      directory.dispose();
    }
  });
});
