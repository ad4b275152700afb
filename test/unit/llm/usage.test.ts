// Token usage adds up per diagnosis and turns into a cost from the price table.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addUsage, costUsd, mergeUsage, priceFor } from "../../../src/llm/usage";

void describe("usage and cost", () => {
  void it("prices known models, dated variants and settings overrides", () => {
    assert.deepEqual(priceFor("gpt-4.1-mini"), { input: 0.4, output: 1.6 });
    assert.deepEqual(priceFor("gpt-4.1-mini-2025-04-14"), { input: 0.4, output: 1.6 });
    assert.deepEqual(priceFor("gpt-4.1-2025-04-14"), { input: 2, output: 8 });
    assert.equal(priceFor("llama3.1:8b"), null);
    assert.deepEqual(priceFor("llama3.1:8b", { "llama3.1:8b": { input: 0, output: 0 } }), { input: 0, output: 0 });
    assert.deepEqual(priceFor("gpt-4o", { "gpt-4o": { input: 1, output: 2 } }), { input: 1, output: 2 });
  });

  void it("accumulates calls and cost", () => {
    let total = addUsage(null, { promptTokens: 1000, completionTokens: 200 }, "gpt-4.1-mini");
    total = addUsage(total, { promptTokens: 3000, completionTokens: 800 }, "gpt-4.1-mini");
    assert.equal(total.calls, 2);
    assert.equal(total.promptTokens, 4000);
    assert.equal(total.totalTokens, 5000);
    assert.ok(Math.abs(total.costUsd! - costUsd({ input: 0.4, output: 1.6 }, 4000, 1000)!) < 1e-12);
    assert.equal(addUsage(null, { promptTokens: 5, completionTokens: 5 }, "local-model").costUsd, null);
    const merged = mergeUsage(total, addUsage(null, { promptTokens: 10, completionTokens: 1 }, "gpt-4.1-mini"));
    assert.equal(merged!.calls, 3);
    assert.equal(mergeUsage(null, total), total);
  });
});
