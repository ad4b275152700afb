// Real runbook commands from public sources (runbooks.ts, each with the page it comes from) run as
// written: at least 95 % of them, and every one that does not is refused for a stated reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCommandPolicy, parsePolicyFile } from "../../src/policy";
import { runbookCommands, runbookOperatorPolicy } from "./runbooks";

const policy = createCommandPolicy();
const withVendorRules = createCommandPolicy(parsePolicyFile(runbookOperatorPolicy));

void describe("real runbook commands", () => {
  void it("are at least 100, from public pages, none twice", () => {
    assert.ok(runbookCommands.length >= 100, `${runbookCommands.length} commands`);
    for (const c of runbookCommands) {
      assert.match(c.source, /^https?:\/\/[^ ]+$/, c.command);
    }
    assert.equal(new Set(runbookCommands.map((c) => c.command)).size, runbookCommands.length);
  });

  void it("run as written: at least 95 %, and each refusal is one the corpus explains", () => {
    const wrong: string[] = [];
    let allowed = 0;
    for (const c of runbookCommands) {
      const d = (c.operatorRule ? withVendorRules : policy).check(c.command);
      if (d.decision === "allowed") {
        allowed++;
        assert.equal(d.risk, "read-only", c.command);
        if (c.refusedBecause) {
          wrong.push(`${c.command}: allowed, but the corpus says it is refused (${c.refusedBecause})`);
        }
        if (c.operatorRule) {
          assert.equal(d.rule, `operator:${c.operatorRule}`, c.command);
        }
      } else if (!c.refusedBecause) {
        wrong.push(`${c.command}: ${d.rule}: ${d.reason}`);
      }
    }
    assert.deepEqual(wrong, []);
    const share = allowed / runbookCommands.length;
    assert.ok(share >= 0.95, `${allowed} of ${runbookCommands.length} (${(share * 100).toFixed(1)} %) run as written`);
  });

  void it("need the operator rule only for vendor agents' own programs (by exact path)", () => {
    for (const c of runbookCommands.filter((x) => x.operatorRule)) {
      assert.equal(policy.check(c.command).rule, "refuse:program-path", c.command);
    }
  });
});
