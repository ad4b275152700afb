// Chat text goes where the operator meant, in English and Korean, without an LLM.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIncidentFilter, routeByKeywords } from "../../../src/graph/routing";

void describe("keyword routing", () => {
  const cases: [string, boolean, string][] = [
    ["show open alarms on prod-web-01", false, "fetch"],
    ["list alarms", true, "fetch"],
    ["알람 목록 보여줘", false, "fetch"],
    ["현재 발생한 알람 있어?", true, "fetch"],
    ["CPU 사용률이 높아", false, "generate"],
    ["check disk usage on web-01", false, "generate"],
    ["why is the load so high?", false, "generate"],
    ["why is the load so high?", true, "answer"],
    ["왜 메모리가 부족한가요?", true, "answer"],
    ["check memory too", true, "generate"],
    ["디스크도 확인해줘", true, "generate"],
  ];
  for (const [text, hasEvidence, route] of cases) {
    void it(`${JSON.stringify(text)} (${hasEvidence ? "with" : "without"} evidence) → ${route}`, () => {
      assert.equal(routeByKeywords(text, hasEvidence).route, route);
    });
  }

  void it("a question about a topic the thread has not looked at needs commands", () => {
    assert.deepEqual(routeByKeywords("what is filling the disk?", true, false), { route: "generate", confident: false });
    assert.deepEqual(routeByKeywords("what is filling the disk?", true, true), { route: "answer", confident: true });
  });
});

void describe("alarm filters from words", () => {
  void it("reads status, state, host, text and count", () => {
    assert.deepEqual(parseIncidentFilter("show open alarms on prod-web-01", () => "prod-web-01"), { status: "open", hostId: "prod-web-01" });
    assert.deepEqual(parseIncidentFilter("resolved alarms for i-0a1b2c3d4e5f67890"), { status: "resolved", hostId: "i-0a1b2c3d4e5f67890" });
    assert.deepEqual(parseIncidentFilter("all alarms named \"cpu-high\", last 5"), { status: "all", text: "cpu-high", limit: 5 });
    assert.deepEqual(parseIncidentFilter("INSUFFICIENT_DATA alarms"), { status: "open", state: "INSUFFICIENT_DATA" });
    assert.deepEqual(parseIncidentFilter("해결된 알람 3개 보여줘"), { status: "resolved", limit: 3 });
    assert.deepEqual(parseIncidentFilter("전체 알람"), { status: "all" });
  });
});
