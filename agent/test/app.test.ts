// The agent service without a port (app.handle): signatures, replay protection, routing, body
// validation, limits, the audit trail and the error handler, with real commands behind it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AgentApp, type AgentAppDeps, type AgentRequest, type AgentResponse } from "../src/app";
import { AuditUnavailableError, type AuditEntry, type AuditSink } from "../src/audit";
import fc from "fast-check";
import { NonceCache, RequestAuthenticator, startFloorSec } from "../src/auth";
import { DEFAULT_LIMITS, type AgentLimits } from "../src/config";
import type { CommandPolicy } from "../src/policy/types";
import {
  HEADER_KEY,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  checkResponseSchema,
  errorResponseSchema,
  execResponseSchema,
  healthResponseSchema,
  infoResponseSchema,
  signedHeaders,
  type ErrorResponse,
  type ExecResponse,
} from "../src/protocol";
import { AGENT_VERSION } from "../src/version";
import { allowlistPolicy } from "./support/policy";
import { eventually } from "../../test/helpers/eventually";
import { noneLeft, pidsMatching, uniqueSleepSeconds } from "./support/processes";

/** The audit sink in memory; `failure` makes every write fail (a full disk), `failAfter` after N more records. */
class MemoryAudit implements AuditSink {
  readonly records: AuditEntry[] = [];
  failure: Error | null = null;
  failAfter = Infinity;
  get healthy(): boolean {
    return this.failure === null;
  }
  append(entry: AuditEntry): Promise<void> {
    if (this.failAfter <= 0 && this.failure === null) {
      this.failure = new Error("ENOSPC: no space left on device");
    }
    if (this.failure) {
      return Promise.reject(new AuditUnavailableError(`the audit log cannot be written (${this.failure.message})`));
    }
    this.failAfter--;
    this.records.push(entry);
    return Promise.resolve();
  }
  recover(): Promise<boolean> {
    return Promise.resolve(this.failure === null);
  }
  of<E extends AuditEntry["event"]>(event: E): Extract<AuditEntry, { event: E }>[] {
    return this.records.filter((r): r is Extract<AuditEntry, { event: E }> => r.event === event);
  }
}

const KEY_ID = "ops-1";
const SECRET = randomBytes(32).toString("hex");
const OTHER_KEY_ID = "ops-2";
const OTHER_SECRET = randomBytes(32).toString("hex");

const policy = allowlistPolicy(["uptime", "df", "ps", "head", "echo", "sleep", "cat", "true", "false", "rm"]);

interface Harness {
  app: AgentApp;
  audit: MemoryAudit;
  logs: string[];
}

function makeApp(
  overrides: { limits?: Partial<AgentLimits>; policy?: CommandPolicy; now?: () => number } & Pick<AgentAppDeps, "journal" | "liveNonces" | "floorSec"> = {},
): Harness {
  const audit = new MemoryAudit();
  const logs: string[] = [];
  const deps: AgentAppDeps = {
    policy: overrides.policy ?? policy,
    keys: [
      { id: KEY_ID, secret: Buffer.from(SECRET) },
      { id: OTHER_KEY_ID, secret: Buffer.from(OTHER_SECRET) },
    ],
    limits: { ...DEFAULT_LIMITS, killGraceSec: 0.5, ...overrides.limits },
    audit,
    osName: "Test OS",
    log: (m) => logs.push(m),
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.journal ? { journal: overrides.journal } : {}),
    ...(overrides.liveNonces ? { liveNonces: overrides.liveNonces } : {}),
    ...(overrides.floorSec !== undefined ? { floorSec: overrides.floorSec } : {}),
  };
  return { app: new AgentApp(deps), audit, logs };
}

function request(method: string, url: string, payload?: unknown, opts: { keyId?: string; secret?: string; now?: number; signed?: boolean; signal?: AbortSignal } = {}): AgentRequest {
  const body = Buffer.from(payload === undefined ? "" : typeof payload === "string" ? payload : JSON.stringify(payload));
  const headers: AgentRequest["headers"] = payload === undefined ? {} : { "content-type": "application/json" };
  if (opts.signed !== false) {
    Object.assign(headers, signedHeaders(opts.keyId ?? KEY_ID, opts.secret ?? SECRET, method, url, body, opts.now));
  }
  return { method, url, headers, body, remoteAddress: "127.0.0.1", ...(opts.signal ? { signal: opts.signal } : {}) };
}

function errorOf(response: AgentResponse): ErrorResponse {
  return errorResponseSchema.parse(response.body);
}

void describe("agent app: authentication", () => {
  void test("GET /v1/health is unsigned and reveals only status and version", async () => {
    const { app } = makeApp();
    const r = await app.handle(request("GET", "/v1/health", undefined, { signed: false }));
    assert.equal(r.status, 200);
    assert.deepEqual(healthResponseSchema.parse(r.body), { status: "ok", version: AGENT_VERSION });
    assert.deepEqual(Object.keys(r.body as object).sort(), ["status", "version"]);
  });

  void test("unsigned requests to every other route are refused with 401 and audited", async () => {
    const { app, audit } = makeApp();
    for (const [method, url, body] of [
      ["GET", "/v1/info", undefined],
      ["POST", "/v1/check", { commands: ["uptime"] }],
      ["POST", "/v1/exec", { commands: ["uptime"] }],
    ] as const) {
      const r = await app.handle(request(method, url, body, { signed: false }));
      assert.equal(r.status, 401, url);
      assert.equal(errorOf(r).error, "unauthorized");
      assert.match(errorOf(r).message, /not signed/);
      assert.equal(r.headers["www-authenticate"], "ATL-HMAC-SHA256");
    }
    // In aggregate: the first refusal at once, the others summed up when the interval ends.
    assert.equal(audit.of("auth-refused").length, 1);
    app.close();
    const refusals = audit.of("auth-refused");
    assert.deepEqual(
      refusals.map((r) => [r.client, r.count, r.reasons.unsigned]),
      [
        ["127.0.0.1", 1, 1],
        ["127.0.0.1", 2, 2],
      ],
    );
    assert.deepEqual(refusals[1].paths.sort(), ["/v1/check", "/v1/exec"]);
    assert.equal(audit.of("exec").length, 0, "nothing ran");
  });

  void test("a forged signature (wrong secret) is refused", async () => {
    const { app, audit } = makeApp();
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["uptime"] }, { secret: randomBytes(32).toString("hex") }));
    assert.equal(r.status, 401);
    assert.match(errorOf(r).message, /signature does not match/);
    assert.equal(audit.of("exec").length, 0);
    const [refusal] = audit.of("auth-refused");
    assert.deepEqual(refusal.keyIds, [KEY_ID]);
    assert.deepEqual(refusal.paths, ["/v1/exec"]);
    assert.deepEqual(refusal.reasons, { "bad-signature": 1 });
  });

  void test("an unknown key id is refused", async () => {
    const { app } = makeApp();
    const r = await app.handle(request("POST", "/v1/check", { commands: ["uptime"] }, { keyId: "nobody" }));
    assert.equal(r.status, 401);
    assert.match(errorOf(r).message, /unknown key id "nobody"/);
  });

  void test("stale and future timestamps (outside ±300 s) are refused, with a hint about clocks", async () => {
    const { app } = makeApp();
    for (const offset of [-301_000, +301_000]) {
      const r = await app.handle(request("GET", "/v1/info", undefined, { now: Date.now() + offset }));
      assert.equal(r.status, 401);
      assert.match(errorOf(r).message, /clock/);
    }
    const ok = await app.handle(request("GET", "/v1/info", undefined, { now: Date.now() - 290_000 }));
    assert.equal(ok.status, 200, "inside the window is fine");
  });

  void test("a replayed request (same nonce) is refused the second time", async () => {
    const { app, audit } = makeApp();
    const once = request("POST", "/v1/exec", { commands: ["echo replay"] });
    assert.equal((await app.handle(once)).status, 200);
    const again = await app.handle({ ...once, headers: { ...once.headers } });
    assert.equal(again.status, 401);
    assert.match(errorOf(again).message, /already used/);
    assert.equal(audit.of("exec").length, 1, "the command ran once");
  });

  void test("the signature covers body, method and path: any change is refused", async () => {
    const { app } = makeApp();
    const original = request("POST", "/v1/check", { commands: ["uptime"] });
    const tampered = await app.handle({ ...original, body: Buffer.from(JSON.stringify({ commands: ["rm -rf /tmp/x"] })) });
    assert.equal(tampered.status, 401);
    const moved = await app.handle({ ...request("POST", "/v1/check", { commands: ["uptime"] }), url: "/v1/exec" });
    assert.equal(moved.status, 401);
    const query = await app.handle({ ...request("GET", "/v1/info"), url: "/v1/info?x=1" });
    assert.equal(query.status, 401);
  });

  void test("malformed auth headers are refused, not crashed on", async () => {
    const { app } = makeApp();
    const good = request("GET", "/v1/info");
    const variants: Record<string, string | string[]>[] = [
      { [HEADER_SIGNATURE]: "zz" },
      { [HEADER_SIGNATURE]: "a".repeat(64) },
      { [HEADER_TIMESTAMP]: "yesterday" },
      { [HEADER_NONCE]: "short" },
      { [HEADER_KEY]: "bad key id!" },
      { [HEADER_KEY]: [KEY_ID, KEY_ID] },
    ];
    for (const variant of variants) {
      const r = await app.handle({ ...good, headers: { ...good.headers, ...variant } });
      assert.equal(r.status, 401, JSON.stringify(variant));
    }
  });

  void test("several keys work at once (rotation), and a removed key stops working", async () => {
    const { app } = makeApp();
    assert.equal((await app.handle(request("GET", "/v1/info"))).status, 200);
    assert.equal((await app.handle(request("GET", "/v1/info", undefined, { keyId: OTHER_KEY_ID, secret: OTHER_SECRET }))).status, 200);
    app.replaceKeys([{ id: OTHER_KEY_ID, secret: Buffer.from(OTHER_SECRET) }]);
    assert.equal((await app.handle(request("GET", "/v1/info"))).status, 401);
    assert.equal((await app.handle(request("GET", "/v1/info", undefined, { keyId: OTHER_KEY_ID, secret: OTHER_SECRET }))).status, 200);
  });

  void test("a full replay cache answers 429 instead of forgetting nonces", async () => {
    const { app } = makeApp({ limits: { maxNonces: 2 } });
    assert.equal((await app.handle(request("GET", "/v1/info"))).status, 200);
    assert.equal((await app.handle(request("GET", "/v1/info"))).status, 200);
    const full = await app.handle(request("GET", "/v1/info"));
    assert.equal(full.status, 429);
    assert.equal(full.headers["retry-after"], "1");
  });
});

void describe("agent app: replay cache", () => {
  void test("remembers nonces for the window, then forgets them; capacity is enforced", () => {
    const cache = new NonceCache(3, 300);
    const t0 = 1_700_000_000_000;
    const ts = t0 / 1000;
    assert.equal(cache.remember("a".repeat(32), ts, t0), "ok");
    assert.equal(cache.remember("A".repeat(32), ts, t0 + 1000), "replay", "hex case does not make a new nonce");
    assert.equal(cache.remember("b".repeat(32), ts, t0), "ok");
    assert.equal(cache.remember("c".repeat(32), ts, t0), "ok");
    assert.equal(cache.remember("d".repeat(32), ts, t0), "full");
    // After the window the old nonces are swept: room again, and a stale nonce is no replay.
    const later = t0 + 302_000;
    assert.equal(cache.remember("d".repeat(32), later / 1000, later), "ok");
    assert.equal(cache.size, 1);
  });
});

void describe("agent app: requests", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-app-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("GET /v1/info describes the host and the agent", async () => {
    const { app } = makeApp();
    const r = await app.handle(request("GET", "/v1/info"));
    assert.equal(r.status, 200);
    const info = infoResponseSchema.parse(r.body);
    assert.equal(info.os, "Test OS");
    assert.ok(info.cpus >= 1);
    assert.ok(info.memoryBytes > 0);
    assert.equal(info.agentVersion, AGENT_VERSION);
    assert.equal(info.protocolVersion, 1);
    assert.ok(info.policy.allowedPrograms.includes("uptime"));
    assert.equal(info.limits.maxCommands, DEFAULT_LIMITS.maxCommands);
  });

  void test("POST /v1/check decides and runs nothing", async () => {
    const { app, audit } = makeApp();
    const marker = join(dir, "check-marker");
    await writeFile(marker, "keep");
    const r = await app.handle(request("POST", "/v1/check", { commands: ["uptime", `rm ${marker}`, "shutdown -h now"] }));
    assert.equal(r.status, 200);
    const { results } = checkResponseSchema.parse(r.body);
    assert.deepEqual(
      results.map((x) => [x.command, x.decision]),
      [
        ["uptime", "allowed"],
        [`rm ${marker}`, "allowed"],
        ["shutdown -h now", "refused"],
      ],
    );
    assert.equal(results[2].rule, "refuse:program:shutdown");
    await stat(marker);
    assert.equal(audit.of("check").length, 3);
    assert.equal(audit.of("exec").length, 0);
  });

  void test("POST /v1/exec runs allowed commands in order and reports refused ones without running them", async () => {
    const { app, audit } = makeApp();
    const marker = join(dir, "exec-marker");
    await writeFile(marker, "keep");
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["echo first", `touch ${marker}`, "uptime", "df -h", "ps aux | head -n 3"] }));
    assert.equal(r.status, 200);
    const { results } = execResponseSchema.parse(r.body);
    assert.deepEqual(
      results.map((x) => x.decision),
      ["allowed", "refused", "allowed", "allowed", "allowed"],
    );
    assert.equal(results[0].stdout, "first\n");
    assert.equal(results[1].exitCode, null);
    assert.equal(results[1].stdout, "");
    assert.match(results[1].reason, /touch is not on the allowlist/);
    assert.match(results[2].stdout, /load average/);
    assert.match(results[3].stdout, /Filesystem/);
    assert.equal(results[4].stdout.trimEnd().split("\n").length, 3);
    const st = await stat(marker);
    assert.equal(st.size, 4, "the refused command did not run");
    assert.deepEqual(
      audit.of("exec").map((a) => [a.decision, a.exitCode]),
      [
        ["allowed", 0],
        ["refused", null],
        ["allowed", 0],
        ["allowed", 0],
        ["allowed", 0],
      ],
    );
  });

  void test("an empty command is refused on its own; the rest of the request still runs", async () => {
    const { app } = makeApp();
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["", "echo still-runs"] }));
    assert.equal(r.status, 200);
    const { results } = execResponseSchema.parse(r.body);
    assert.deepEqual(
      results.map((x) => [x.decision, x.stdout]),
      [
        ["refused", ""],
        ["allowed", "still-runs\n"],
      ],
    );
  });

  void test("timeoutSec is honoured and capped at the agent's maximum", async () => {
    const { app } = makeApp({ limits: { maxTimeoutSec: 1 } });
    const marker = uniqueSleepSeconds();
    const r = await app.handle(request("POST", "/v1/exec", { commands: [`sleep ${marker}`], timeoutSec: 3600 }));
    const [result] = (r.body as ExecResponse).results;
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, "SIGTERM");
    assert.ok(await noneLeft(`sleep ${marker}`));
  });

  void test("malformed bodies get 400 with the reason", async () => {
    const { app } = makeApp({ limits: { maxCommands: 3 } });
    const cases: [unknown, RegExp][] = [
      ["{not json", /not valid JSON/],
      [[], /must be an object/],
      [{}, /commands: is required/],
      [{ commands: [] }, /commands: must not be empty/],
      [{ commands: "uptime" }, /commands: must be an array/],
      [{ commands: ["uptime", 42] }, /commands\[1\]: must be a string/],
      [{ commands: [true] }, /commands\[0\]: must be a string/],
      [{ commands: ["uptime"], timeoutSec: "10" }, /timeoutSec: must be a number/],
      [{ commands: ["uptime"], timeoutSec: -1 }, /timeoutSec: must be at least/],
      [{ commands: ["uptime"], dryRun: true }, /dryRun: is not a known field/],
      [{ commands: ["uptime", "uptime", "uptime", "uptime"] }, /Too many commands in one request: 4 \(at most 3\)/],
    ];
    for (const [payload, reason] of cases) {
      const r = await app.handle(request("POST", "/v1/exec", payload));
      assert.equal(r.status, 400, JSON.stringify(payload).slice(0, 80));
      assert.equal(errorOf(r).error, "bad-request");
      assert.match(errorOf(r).message, reason);
    }
    const wrongType = request("POST", "/v1/check", { commands: ["uptime"] });
    const r = await app.handle({ ...wrongType, headers: { ...wrongType.headers, "content-type": "text/plain" } });
    assert.equal(r.status, 400);
    assert.match(errorOf(r).message, /must be JSON/);
  });

  void test("a body over the limit gets 413", async () => {
    const { app } = makeApp({ limits: { maxBodyBytes: 2048 } });
    const r = await app.handle(request("POST", "/v1/exec", { commands: Array.from({ length: 40 }, () => "echo " + "y".repeat(60)) }));
    assert.equal(r.status, 413);
    assert.equal(errorOf(r).error, "too-large");
    assert.match(errorOf(r).message, /2048 bytes/);
  });

  void test("unknown routes and methods get 404 and 405", async () => {
    const { app } = makeApp();
    const missing = await app.handle(request("GET", "/v1/shell"));
    assert.equal(missing.status, 404);
    const wrong = await app.handle(request("GET", "/v1/exec"));
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "POST");
  });

  void test("more concurrent executions than allowed get 429 with Retry-After", async () => {
    const { app } = makeApp({ limits: { maxConcurrent: 1 } });
    const marker = uniqueSleepSeconds();
    const abort = new AbortController();
    const first = app.handle(request("POST", "/v1/exec", { commands: [`sleep ${marker}`] }, { signal: abort.signal }));
    await eventually(() => app.executing === 1, 30_000, "one command executing");
    const second = await app.handle(request("POST", "/v1/exec", { commands: ["uptime"] }));
    assert.equal(second.status, 429);
    assert.equal(second.headers["retry-after"], "1");
    assert.equal(errorOf(second).error, "busy");
    // Checks are not executions: still answered.
    assert.equal((await app.handle(request("POST", "/v1/check", { commands: ["uptime"] }))).status, 200);
    abort.abort();
    const [stopped] = ((await first).body as ExecResponse).results;
    assert.equal(stopped.signal, "SIGTERM");
    assert.equal(app.executing, 0);
    assert.equal((await app.handle(request("POST", "/v1/exec", { commands: ["true"] }))).status, 200);
  });

  void test("a client that goes away stops its commands, and the rest are not run", async () => {
    const { app, audit } = makeApp();
    const marker = uniqueSleepSeconds();
    const abort = new AbortController();
    const pending = app.handle(request("POST", "/v1/exec", { commands: [`sleep ${marker}`, "echo later"] }, { signal: abort.signal }));
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length === 1, 30_000, "the sleep running");
    abort.abort();
    const { results } = (await pending).body as ExecResponse;
    assert.equal(results[0].signal, "SIGTERM");
    assert.equal(results[1].stdout, "", "the second command did not run");
    assert.deepEqual(
      audit.of("exec").map((a) => a.aborted),
      [true, true],
    );
  });

  void test("when the audit log cannot be written, nothing runs (503)", async () => {
    const { app, audit } = makeApp();
    audit.failure = new Error("ENOSPC");
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["uptime"] }));
    assert.equal(r.status, 503);
    assert.match(errorOf(r).message, /audit log/);
  });

  void test("while draining (shutdown) new executions get 503 and connections close", async () => {
    const { app } = makeApp();
    app.startDraining();
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["uptime"] }));
    assert.equal(r.status, 503);
    assert.equal(r.headers.connection, "close");
  });

  void test("a policy that throws refuses the command (fail closed), it does not 500", async () => {
    const throwing: CommandPolicy = {
      check: () => {
        throw new Error("parser exploded");
      },
      expand: (d) => Promise.resolve(d),
      summary: () => policy.summary(),
    };
    const { app, logs } = makeApp({ policy: throwing });
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["uptime"] }));
    assert.equal(r.status, 200);
    const [result] = (r.body as ExecResponse).results;
    assert.equal(result.decision, "refused");
    assert.equal(result.rule, "refuse:internal:policy-error");
    assert.ok(logs.some((l) => l.includes("parser exploded")));
  });

  void test("an unexpected failure is a 500 that leaks no internals; the log has them", async () => {
    const broken: CommandPolicy = {
      check: (c) => policy.check(c),
      expand: (d) => Promise.resolve(d),
      summary: () => {
        throw new Error("secret internal detail /etc/atl-agent/keys");
      },
    };
    const { app, logs } = makeApp({ policy: broken });
    const r = await app.handle(request("GET", "/v1/info"));
    assert.equal(r.status, 500);
    assert.equal(errorOf(r).error, "internal");
    assert.doesNotMatch(JSON.stringify(r.body), /secret internal detail|keys/);
    assert.ok(logs.some((l) => l.includes("secret internal detail")));
  });

  void test("the audit trail has every decision and no secret or signature", async () => {
    const { app, audit } = makeApp();
    const exec = request("POST", "/v1/exec", { commands: ["echo audited", "reboot"] });
    await app.handle(exec);
    await app.handle(request("POST", "/v1/check", { commands: ["uptime"] }));
    await app.handle(request("GET", "/v1/info", undefined, { secret: "x".repeat(64) }));
    const text = audit.records.map((r) => JSON.stringify(r)).join("\n");
    assert.ok(!text.includes(SECRET) && !text.includes(OTHER_SECRET));
    assert.ok(!text.includes(exec.headers[HEADER_SIGNATURE] as string), "no signature");
    assert.ok(!text.includes("audited\\n"), "no command output");
    const [ran, refused] = audit.of("exec");
    const [started] = audit.of("exec-start");
    assert.deepEqual(started, {
      event: "exec-start",
      request: ran.request,
      index: 0,
      keyId: KEY_ID,
      client: "127.0.0.1",
      command: "echo audited",
      risk: "read-only",
      rule: "allow:echo",
    });
    assert.match(ran.request, /^[0-9a-f]{12}$/);
    assert.ok(audit.records.indexOf(started) < audit.records.indexOf(ran), "the start is recorded before the result");
    assert.equal(audit.of("exec-start").length, 1, "a refused command has no start record");
    assert.deepEqual(
      { ...ran, durationMs: 0 },
      {
        event: "exec",
        request: ran.request,
        index: 0,
        keyId: KEY_ID,
        client: "127.0.0.1",
        command: "echo audited",
        decision: "allowed",
        risk: "read-only",
        rule: "allow:echo",
        exitCode: 0,
        signal: null,
        durationMs: 0,
        stdoutBytes: 8,
        stderrBytes: 0,
        truncated: false,
        timedOut: false,
        aborted: false,
      },
    );
    assert.equal(refused.decision, "refused");
    assert.equal(refused.index, 1);
    assert.equal(refused.rule, "refuse:program:reboot");
    assert.equal(audit.of("check").length, 1);
    assert.equal(audit.of("auth-refused").length, 1);
  });
});

void describe("agent app: failing closed", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-app-faults-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test("a command whose start record cannot be written does not run; the next requests get 503 until the log works", async () => {
    const { app, audit } = makeApp();
    const marker = join(dir, "audit-marker");
    // Room for the first command's start and result records only.
    audit.failAfter = 2;
    const r = await app.handle(request("POST", "/v1/exec", { commands: ["echo first", `cat ${marker}`, "echo third"] }));
    assert.equal(r.status, 200);
    const { results } = execResponseSchema.parse(r.body);
    assert.equal(results[0].stdout, "first\n");
    assert.deepEqual(
      results.slice(1).map((x) => [x.decision, x.exitCode, x.stdout, x.notRun]),
      [
        ["allowed", null, "", "audit-unavailable"],
        ["allowed", null, "", "audit-unavailable"],
      ],
    );
    assert.match(results[1].stderr, /not run: the agent cannot write its audit log/);
    const refused = await app.handle(request("POST", "/v1/exec", { commands: ["echo later"] }));
    assert.equal(refused.status, 503);
    // The log works again: the next request probes it and runs.
    audit.failure = null;
    audit.failAfter = Infinity;
    const again = await app.handle(request("POST", "/v1/exec", { commands: ["echo back"] }));
    assert.equal(again.status, 200);
    assert.equal(execResponseSchema.parse(again.body).results[0].stdout, "back\n");
  });

  void test("binary output is marked and compact: each run of non-text bytes is one U+FFFD", async () => {
    const { app } = makeApp();
    const file = join(dir, "binary.dat");
    // 64 KiB of NULs, then text, then invalid UTF-8 and an escape sequence.
    await writeFile(file, Buffer.concat([Buffer.alloc(65_536), Buffer.from("text\n"), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from("\x1b[31mred\n")]));
    const r = await app.handle(request("POST", "/v1/exec", { commands: [`cat ${file}`, "echo plain"] }));
    const { results } = execResponseSchema.parse(r.body);
    assert.equal(results[0].stdout, "\ufffdtext\n\ufffd[31mred\n");
    assert.equal(results[0].stdoutBinary, true);
    assert.match(results[0].stderr, /stdout is not plain text/);
    assert.equal(results[1].stdoutBinary, undefined, "plain text is not marked");
    assert.ok(JSON.stringify(r.body).length < 1000, "64 KiB of NULs do not become 384 KiB of \\u0000");
  });

  void test("the response cap bounds the output kept for a whole request", async () => {
    const { app } = makeApp({ limits: { maxResponseBytes: 5000, maxOutputBytes: 4096 } });
    const file = join(dir, "three-k.txt");
    await writeFile(file, "x".repeat(3000));
    const r = await app.handle(request("POST", "/v1/exec", { commands: [`cat ${file}`, `cat ${file}`, `cat ${file}`] }));
    const { results } = execResponseSchema.parse(r.body);
    assert.deepEqual(
      results.map((x) => [x.stdout.length, x.truncated, x.exitCode]),
      [
        [3000, false, 0],
        [2000, true, 0],
        [0, true, 0],
      ],
    );
    assert.match(results[1].stderr, /response cap \(5000 bytes per request\)/);
  });

  void test("once draining, no further command of a running request starts", async () => {
    const { app, audit } = makeApp();
    const marker = uniqueSleepSeconds();
    const pending = app.handle(request("POST", "/v1/exec", { commands: [`sleep ${marker}`, "echo after"], timeoutSec: 2 }));
    await eventually(async () => (await pidsMatching(`sleep ${marker}`)).length === 1, 30_000, "the sleep running");
    app.startDraining();
    const { results } = (await pending).body as ExecResponse;
    assert.equal(results[0].timedOut, true, "the running command was left to its own end");
    assert.equal(results[1].notRun, "shutting-down");
    assert.match(results[1].stderr, /not run: the agent is shutting down/);
    assert.deepEqual(
      audit.of("exec").map((a) => [a.index, a.notRun]),
      [
        [0, undefined],
        [1, "shutting-down"],
      ],
    );
    assert.equal(audit.of("exec-start").length, 1);
  });

  void test("a nonce is on disk before anything is acted on; a journal that cannot be written refuses", async () => {
    const journaled: string[] = [];
    let failing = false;
    let healthy = true;
    const journal = {
      get healthy() {
        return healthy;
      },
      commit: (nonce: string) => {
        journaled.push(nonce);
        healthy = !failing;
        return failing ? Promise.reject(new Error("EIO")) : Promise.resolve();
      },
    };
    const { app, audit } = makeApp({ journal });
    const first = request("GET", "/v1/info");
    assert.equal((await app.handle(first)).status, 200);
    assert.deepEqual(journaled, [String(first.headers[HEADER_NONCE]).toLowerCase()]);
    failing = true;
    // The failing write is noticed before the first command starts: nothing runs.
    const inFlight = await app.handle(request("POST", "/v1/exec", { commands: ["echo never", "echo nor-this"] }));
    assert.equal(inFlight.status, 200);
    assert.deepEqual(
      execResponseSchema.parse(inFlight.body).results.map((r) => [r.notRun, r.stdout]),
      [
        ["journal-unavailable", ""],
        ["journal-unavailable", ""],
      ],
    );
    assert.deepEqual(
      audit.of("exec").map((r) => r.notRun),
      ["journal-unavailable", "journal-unavailable"],
    );
    // Then every signed request waits for its own write: 503 until one gets through.
    const refused = await app.handle(request("POST", "/v1/check", { commands: ["uptime"] }));
    assert.equal(refused.status, 503);
    assert.match(errorOf(refused).message, /replay journal/);
    failing = false;
    assert.equal((await app.handle(request("POST", "/v1/exec", { commands: ["echo back"] }))).status, 200);
  });

  void test("nonces from the journal of an earlier run are still refused", async () => {
    const earlier = request("POST", "/v1/exec", { commands: ["echo once"] });
    const nonce = String(earlier.headers[HEADER_NONCE]);
    const { app, audit } = makeApp({ journal: { healthy: true, commit: () => Promise.resolve() }, liveNonces: [{ nonce, expiresAtMs: Date.now() + 300_000 }] });
    const r = await app.handle(earlier);
    assert.equal(r.status, 401);
    assert.match(errorOf(r).message, /already used/);
    assert.equal(audit.of("exec").length, 0);
  });

  void test("without a journal, requests signed before the start floor are refused", async () => {
    const now = Date.now();
    const { app } = makeApp({ floorSec: Math.floor(now / 1000) + 5 });
    const early = await app.handle(request("GET", "/v1/info", undefined, { now }));
    assert.equal(early.status, 401);
    assert.match(errorOf(early).message, /signed before the agent \(re\)started/);
    const ahead = await app.handle(request("GET", "/v1/info", undefined, { now: now + 60_000 }));
    assert.equal(ahead.status, 401, "without a journal, at most 5 s ahead");
    assert.match(errorOf(ahead).message, /ahead of the agent's clock \(at most 5 s allowed/);
    assert.equal((await app.handle(request("GET", "/v1/info", undefined, { now: now + 5_000 }))).status, 200);
  });

  void test("without a journal, whatever one run accepted the next run refuses, however soon it restarts (same second too)", () => {
    // The CI failure this pins: a restart in the same second as the last accepted request let that
    // request's timestamp (start + 5 s) pass the next run's floor.
    const key = { id: "k1", secret: randomBytes(32) };
    const headersAt = (timestampSec: number) => ({ ...signedHeaders(key.id, key.secret, "GET", "/v1/info", "", timestampSec * 1000) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: -400, max: 400 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (firstStart, acceptedAfter, timestampOffset, restartAfter, replayAfter) => {
          const first = new RequestAuthenticator([key], { maxNonces: 10, floorSec: startFloorSec(firstStart) });
          const acceptedAt = firstStart + acceptedAfter;
          const timestamp = Math.floor(acceptedAt / 1000) + timestampOffset;
          const headers = headersAt(timestamp);
          fc.pre(first.precheck(headers, acceptedAt) === null);
          const secondStart = acceptedAt + restartAfter;
          const second = new RequestAuthenticator([key], { maxNonces: 10, floorSec: startFloorSec(secondStart) });
          const refused = second.precheck(headers, secondStart + replayAfter);
          assert.ok(refused !== null, `timestamp ${timestamp} accepted at ${acceptedAt} passed again after a restart at ${secondStart}`);
          assert.ok(refused.kind === "before-start" || refused.kind === "clock-skew", refused.kind);
        },
      ),
      { numRuns: 2_000 },
    );
    // A client with a correct clock gets through within seconds of a start.
    const start = Date.now();
    const fresh = new RequestAuthenticator([key], { maxNonces: 10, floorSec: startFloorSec(start) });
    assert.equal(fresh.precheck(headersAt(startFloorSec(start)), start + 1_000), null);
  });

  void test("a flood of refused signatures is audited as counts per client, not a line each", async () => {
    const { app, audit } = makeApp();
    for (let i = 0; i < 200; i++) {
      const r = await app.handle({ ...request("GET", "/v1/info", undefined, { signed: false }), remoteAddress: i % 2 === 0 ? "10.0.0.1" : "10.0.0.2" });
      assert.equal(r.status, 401);
    }
    assert.equal(audit.of("auth-refused").length, 2, "one line per client at once");
    app.close();
    const records = audit.of("auth-refused");
    assert.equal(records.length, 4);
    assert.equal(
      records.reduce((sum, r) => sum + r.count, 0),
      200,
    );
  });
});
