// docs/policy.md lists, per program, what is allowed and why, generated from the rules: this test
// fails when a rule changes and the page was not regenerated (profile-doc.ts --write).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { READ_ONLY_PROGRAMS } from "../../src/policy/programs/rules";
import { DOC_PATH, docWithReference } from "./profile-doc";

void describe("docs/policy.md program reference", () => {
  void it("is the one the rules generate", () => {
    const doc = readFileSync(DOC_PATH, "utf8");
    assert.equal(doc, docWithReference(doc), "run: node --import tsx agent/test/policy/profile-doc.ts --write");
  });

  void it("has every program of the profile declare its options (or its own grammar and a note)", () => {
    for (const [name, rule] of Object.entries(READ_ONLY_PROGRAMS)) {
      if (rule.options) {
        assert.equal(rule.options.strict, true, `${name}: options not strict`);
      } else {
        assert.ok(rule.check || rule.note, `${name}: own grammar without a check`);
        assert.ok(rule.note, `${name}: own grammar without a note for the docs`);
      }
    }
  });
});
