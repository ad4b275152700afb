// Smoke run of the SSH benchmark (bench/ssh.ts) with tiny sizes: it starts, measures every figure
// against its baseline and cleans up. Figures themselves are not asserted (no timing assertions).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { benchSsh } from "../../../bench/ssh";

void describe("bench/ssh.ts smoke", { timeout: 120_000 }, () => {
  void it("returns p50/p90/p99 against spawn, the no-delay comparison and a fresh-connection figure", async () => {
    const results = await benchSsh({ iterations: 10 });
    assert.equal(results.length, 5);
    for (const r of results) {
      assert.ok(Number.isFinite(r.value) && r.value > 0, r.name);
      assert.equal(r.unit, "ms");
      assert.ok(r.baseline !== null && r.ratio !== null, r.name);
    }
    assert.deepEqual(results.slice(0, 3).map((r) => /p(50|90|99)/.exec(r.name)?.[0]), ["p50", "p90", "p99"]);
  });
});
