// The webview's request/reply client: one reply settles one request (result or the host's error),
// and nothing waits forever: a request the host does not answer in time, or one pending when the
// page goes away, is rejected.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestMessage } from "../../../src/webview/protocol";
import { RequestClient, RequestFailed } from "../../../src/webview/requests";

function client(timeouts: Partial<Record<RequestMessage["type"], number>> = {}): { client: RequestClient; posted: RequestMessage[] } {
  const posted: RequestMessage[] = [];
  return { client: new RequestClient({ post: (m) => posted.push(m), timeoutMessage: () => "no answer in time", timeouts }), posted };
}

async function failure(promise: Promise<unknown>): Promise<RequestFailed> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RequestFailed, String(error));
    return error;
  }
  assert.fail("the request should have been rejected");
}

void describe("chat protocol: requests from the webview", () => {
  void it("gives every request its own id and resolves it with the result of its reply", async () => {
    const { client: c, posted } = client();
    const check = c.request<"check-command">({ type: "check-command", command: "df -h" });
    const cancel = c.request({ type: "cancel" });
    assert.deepEqual(posted.map((m) => m.type), ["check-command", "cancel"]);
    const [first, second] = posted;
    assert.ok(first && second && first.requestId !== second.requestId);
    // Replies may come in any order; each settles its own request.
    c.settle({ type: "reply", requestId: second.requestId, ok: true, result: null });
    c.settle({ type: "reply", requestId: first.requestId, ok: true, result: { command: "df -h", decision: "allowed", risk: "read-only", reason: "reads" } });
    assert.deepEqual(await check, { command: "df -h", decision: "allowed", risk: "read-only", reason: "reads" });
    assert.equal(await cancel, null);
    assert.equal(c.size, 0);
  });

  void it("rejects with the host's message when the host refuses", async () => {
    const { client: c, posted } = client();
    const request = c.request({ type: "follow-up", text: "why?", rejectPending: false });
    c.settle({ type: "reply", requestId: posted[0].requestId, ok: false, error: "The diagnosis is still working" });
    const error = await failure(request);
    assert.equal(error.reason, "refused");
    assert.equal(error.message, "The diagnosis is still working");
  });

  void it("rejects a request the host does not answer in time, and ignores a late reply", async () => {
    const { client: c, posted } = client({ "check-command": 20 });
    const error = await failure(c.request({ type: "check-command", command: "uptime" }));
    assert.equal(error.reason, "timeout");
    assert.equal(error.message, "no answer in time");
    assert.equal(c.size, 0);
    c.settle({ type: "reply", requestId: posted[0].requestId, ok: true, result: null });
  });

  void it("rejects every pending request on dispose, and any request after it", async () => {
    const { client: c, posted } = client();
    const pending = [c.request({ type: "cancel" }), c.request({ type: "report", action: "save" })];
    c.dispose();
    for (const request of pending) {
      assert.equal((await failure(request)).reason, "disposed");
    }
    assert.equal((await failure(c.request({ type: "cancel" }))).reason, "disposed");
    assert.equal(posted.length, 2, "nothing is posted after dispose");
  });
});
