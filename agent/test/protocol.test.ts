// The client side of the protocol against agents that misbehave in ways the real one never should
// (so they are small node:http servers): answers that break the schema, non-JSON, errors with
// Retry-After, a kept-alive connection closed under the client, a cancelled request.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { AgentClient, AgentRequestError, HEADER_NONCE, canonicalRequest, signRequest, signaturesEqual, normalizeSecret } from "../src/protocol";

async function withServer(handler: http.RequestListener, run: (url: string, server: http.Server) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, server);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

const isKind = (kind: AgentRequestError["kind"], pattern?: RegExp) => (e: unknown) => e instanceof AgentRequestError && e.kind === kind && (!pattern || pattern.test(e.message));

void describe("protocol: signing", () => {
  void test("the canonical string and signature follow ARCHITECTURE.md", () => {
    const canonical = canonicalRequest("post", "/v1/exec", "1700000000", "ab".repeat(16), '{"commands":["uptime"]}');
    assert.equal(canonical.split("\n").length, 5);
    assert.ok(canonical.startsWith(`POST\n/v1/exec\n1700000000\n${"ab".repeat(16)}\n`));
    const sig = signRequest("secret", "POST", "/v1/exec", "1700000000", "ab".repeat(16), '{"commands":["uptime"]}');
    assert.match(sig, /^[0-9a-f]{64}$/);
    assert.equal(signaturesEqual(sig, sig.toUpperCase()), true);
    assert.equal(signaturesEqual(sig, sig.slice(0, 63) + (sig[63] === "0" ? "1" : "0")), false);
    assert.equal(signaturesEqual(sig, "not hex"), false);
    assert.equal(normalizeSecret("  abc\n"), "abc");
  });
});

void describe("protocol: AgentClient against misbehaving agents", () => {
  void test("an answer that breaks the schema is a protocol error naming the field", async () => {
    await withServer(
      (_req, res) => json(res, 200, { results: [{ command: "uptime", decision: "maybe" }] }),
      async (url) => {
        const client = new AgentClient({ url, keyId: "k", secret: "s" });
        try {
          await assert.rejects(client.exec(["uptime"]), isKind("protocol", /results\[0\]\.decision: must be one of/));
        } finally {
          client.close();
        }
      },
    );
  });

  void test("a body that is not JSON is a protocol error", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>proxy login</html>");
      },
      async (url) => {
        const client = new AgentClient({ url, keyId: "k", secret: "s" });
        try {
          await assert.rejects(client.health(), isKind("protocol", /not JSON/));
        } finally {
          client.close();
        }
      },
    );
  });

  void test("429 carries Retry-After, 401 is an auth error with the agent's reason", async () => {
    let calls = 0;
    await withServer(
      (_req, res) => {
        calls++;
        if (calls === 1) {
          json(res, 429, { error: "busy", message: "already running 16 requests" }, { "retry-after": "3" });
        } else {
          json(res, 401, { error: "unauthorized", message: "Request refused: unknown key id \"k\"." });
        }
      },
      async (url) => {
        const client = new AgentClient({ url, keyId: "k", secret: "s" });
        try {
          await assert.rejects(client.exec(["uptime"]), (e: unknown) => isKind("busy")(e) && (e as AgentRequestError).retryAfterSec === 3);
          await assert.rejects(client.info(), isKind("auth", /unknown key id/));
        } finally {
          client.close();
        }
      },
    );
  });

  void test("a kept-alive connection closed by the agent is retried once, signed anew", async () => {
    const nonces: string[] = [];
    let requests = 0;
    await withServer(
      (req, res) => {
        requests++;
        nonces.push(String(req.headers[HEADER_NONCE]));
        if (requests === 2) {
          // The second request arrives on the reused socket: drop it unanswered, as an agent whose
          // idle timeout fired at that moment would.
          req.socket.destroy();
          return;
        }
        json(res, 200, { results: [] });
      },
      async (url) => {
        const client = new AgentClient({ url, keyId: "k", secret: "s" });
        try {
          await client.check(["uptime"]);
          await client.check(["uptime"]);
          assert.equal(requests, 3);
          assert.equal(new Set(nonces).size, 3, "every attempt has its own nonce");
        } finally {
          client.close();
        }
      },
    );
  });

  void test("cancelling a request rejects it at once", async () => {
    await withServer(
      () => undefined, // never answers
      async (url) => {
        const client = new AgentClient({ url, keyId: "k", secret: "s" });
        const abort = new AbortController();
        const pending = client.exec(["sleep 100"], 100, abort.signal);
        setTimeout(() => abort.abort(), 50);
        try {
          await assert.rejects(pending, isKind("unreachable", /cancelled/));
        } finally {
          client.close();
        }
      },
    );
  });

  void test("an agent that does not answer in time is a timeout", async () => {
    await withServer(
      () => undefined,
      async (url) => {
        const client = new AgentClient({ url, keyId: "k", secret: "s", requestTimeoutMs: 300 });
        try {
          await assert.rejects(client.health(), isKind("timeout"));
        } finally {
          client.close();
        }
      },
    );
  });

  void test("an agent that is not there is unreachable", async () => {
    const client = new AgentClient({ url: "http://127.0.0.1:1", keyId: "k", secret: "s" });
    try {
      await assert.rejects(client.health(), isKind("unreachable", /Cannot reach/));
    } finally {
      client.close();
    }
    assert.throws(() => new AgentClient({ url: "ftp://x", keyId: "k", secret: "s" }), isKind("bad-request"));
  });
});
