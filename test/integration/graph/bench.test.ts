// Smoke run of the graph and token benchmarks with tiny sizes: they run end to end and report in
// the shape bench/run.ts expects. No timing is asserted here (that is what the benchmark is for).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { benchGraph } from "../../../bench/graph";

void describe("bench/graph.ts smoke", () => {
  void it("measures both steps with and without the LLM", async () => {
    const results = await benchGraph({ iterations: 1 });
    assert.equal(results.length, 6);
    for (const r of results) {
      assert.equal(typeof r.name, "string");
      assert.ok(Number.isFinite(r.value) && r.value >= 0, `${r.name}: ${r.value}`);
      assert.equal(r.unit, "ms");
      assert.ok(r.pass === null || typeof r.pass === "boolean");
    }
  });
});
