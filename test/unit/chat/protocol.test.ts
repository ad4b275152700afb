// The chat webview is untrusted input: the host accepts exactly the protocol's shapes, bounded,
// and refuses anything else with a webview-message error (the panel shows it; nothing runs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AtlError } from "../../../src/shared/errors";
import { LIMITS, STRING_KEYS, format, parseWebviewMessage } from "../../../src/webview/protocol";

function rejects(raw: unknown, pattern?: RegExp): void {
  assert.throws(
    () => parseWebviewMessage(raw),
    (error: unknown) => error instanceof AtlError && error.code === "webview-message" && (!pattern || pattern.test(error.message)),
  );
}

void describe("chat protocol: messages from the webview", () => {
  void it("accepts every message type in its exact shape", () => {
    const valid = [
      { type: "ready" },
      { type: "check-command", requestId: "r1", command: "df -h" },
      { type: "check-command", requestId: "r1", command: "" },
      { type: "approve", requestId: "r2", round: 1, commandIds: ["c1", "c2"], edits: [{ id: "c2", command: "ps aux --sort=-%cpu" }], add: ["uptime"] },
      { type: "approve", requestId: "r2", round: 0, commandIds: [], edits: [], add: ["uptime"] },
      { type: "reject", requestId: "r3", round: 2, reason: "look at the network first", replan: true },
      { type: "reject", requestId: "r3", round: 2, reason: "false alarm", replan: false },
      { type: "follow-up", requestId: "r4", text: "why is the load so high?", rejectPending: false },
      { type: "follow-up", requestId: "r4", text: "look at the network first", rejectPending: true },
      { type: "pick-host", requestId: "r5", hostId: "i-0abc1234def567890" },
      { type: "cancel", requestId: "r6" },
      { type: "report", requestId: "r7", action: "open" },
      { type: "report", requestId: "r7", action: "save" },
      { type: "report", requestId: "r7", action: "copy" },
      { type: "diagnose-incident", requestId: "r8", incidentId: "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:high-cpu#2026-11-25T03:12:45.148Z" },
    ];
    for (const message of valid) {
      assert.deepEqual(parseWebviewMessage(message), message);
    }
  });

  void it("refuses what is not an object or has an unknown type", () => {
    for (const raw of [null, undefined, 42, "ready", [], [{ type: "ready" }]]) {
      rejects(raw, /not an object/);
    }
    rejects({ type: "run-shell", requestId: "r1", command: "rm -rf /" }, /unknown type/);
    rejects({ requestId: "r1" }, /unknown type/);
  });

  void it("refuses extra fields, so nothing unvalidated rides along", () => {
    rejects({ type: "ready", html: "<img src=x onerror=alert(1)>" }, /unexpected field/);
    rejects({ type: "cancel", requestId: "r1", force: true }, /unexpected field/);
    rejects(JSON.parse('{"type":"follow-up","requestId":"r1","text":"hi","rejectPending":false,"__proto__":{"admin":true}}'), /unexpected field/);
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: ["c1"], edits: [{ id: "c1", command: "ls", risk: "read-only" }], add: [] }, /unexpected field/);
  });

  void it("refuses wrong types and empty values", () => {
    rejects({ type: "follow-up", requestId: "r1", text: 42, rejectPending: false }, /"text" is not a string/);
    rejects({ type: "follow-up", requestId: "r1", text: "   ", rejectPending: false }, /"text" is empty/);
    rejects({ type: "follow-up", text: "hello", rejectPending: false }, /"requestId"/);
    rejects({ type: "follow-up", requestId: "r1", text: "hello" }, /"rejectPending"/);
    rejects({ type: "approve", requestId: "r1", round: "1", commandIds: [], edits: [], add: [] }, /"round"/);
    rejects({ type: "approve", requestId: "r1", round: -1, commandIds: [], edits: [], add: [] }, /"round"/);
    rejects({ type: "approve", requestId: "r1", round: 1.5, commandIds: [], edits: [], add: [] }, /"round"/);
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: "c1", edits: [], add: [] }, /"commandIds" is not a list/);
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: [1], edits: [], add: [] }, /commandIds\[0\]/);
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: [], edits: [], add: [""] }, /add\[0\]/);
    rejects({ type: "reject", requestId: "r1", round: 1, reason: "", replan: true }, /"reason" is empty/);
    rejects({ type: "reject", requestId: "r1", round: 1, reason: "no" }, /"replan"/);
    rejects({ type: "report", requestId: "r1", action: "delete" }, /"action"/);
  });

  void it("refuses a command selected twice", () => {
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: ["c1", "c1"], edits: [], add: [] }, /twice/);
  });

  void it("bounds every size", () => {
    const long = (n: number): string => "x".repeat(n + 1);
    rejects({ type: "check-command", requestId: "r1", command: long(LIMITS.commandLength) }, /longer than/);
    rejects({ type: "follow-up", requestId: "r1", text: long(LIMITS.textLength), rejectPending: false }, /longer than/);
    rejects({ type: "reject", requestId: "r1", round: 1, reason: long(LIMITS.reasonLength), replan: true }, /longer than/);
    rejects({ type: "cancel", requestId: long(LIMITS.idLength) }, /longer than/);
    const many = Array.from({ length: LIMITS.commandsPerDecision + 1 }, (_, i) => `c${i}`);
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: many, edits: [], add: [] }, /more than/);
    rejects({ type: "approve", requestId: "r1", round: 1, commandIds: [], edits: [], add: [long(LIMITS.commandLength)] }, /add\[0\]/);
  });

  void it("keeps the offending text out of the message beyond a short prefix", () => {
    try {
      parseWebviewMessage({ type: "x".repeat(10_000), requestId: "r1" });
      assert.fail("should throw");
    } catch (error) {
      assert.ok(error instanceof AtlError);
      assert.ok(error.message.length < 200, error.message);
    }
  });
});

void describe("chat protocol: strings", () => {
  void it("fills numbered placeholders and leaves unknown ones", () => {
    assert.equal(format("{0} tokens ({1} in)", 10, 7), "10 tokens (7 in)");
    assert.equal(format("Run: {0} {2}", "df -h"), "Run: df -h {2}");
    // A placeholder value is inserted literally, never re-expanded.
    assert.equal(format("{0}", "{0}{1}"), "{0}{1}");
  });

  void it("has no duplicate string keys", () => {
    assert.equal(new Set(STRING_KEYS).size, STRING_KEYS.length);
  });
});
