// What an approval lets through: only listed ids, edits and additions re-checked by the real
// policy, refused commands kept as "refused" (never sent), auto-approval only for read-only plans.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCommandPolicy } from "../../../agent/src/policy";
import { approvedCommands, autoApprovable, labelCommands, nextCommandNumber } from "../../../src/graph/commands";
import { parseApprovalDecision } from "../../../src/graph/decision";
import type { Proposal } from "../../../src/graph/diagnosis";

const policy = createCommandPolicy({ version: 1, rules: [{ id: "restart-nginx", program: "systemctl", args: ["restart", "nginx"], risk: "mutating", effect: "allow" }] });
const plan = (commands: string[]) => commands.map((command) => ({ command, purpose: "p", expectedSignal: "s" }));

function proposal(commands: string[], first = 1): Proposal {
  return { threadId: "t", round: 1, host: { id: "h", name: "h", transport: "agent" }, commands: labelCommands(policy, plan(commands), first), rationale: "r", source: "llm", autoApproved: false };
}

void describe("labelling and approval", () => {
  void it("labels every command with the policy and drops blanks and duplicates", () => {
    const labelled = labelCommands(policy, plan(["uptime", " uptime ", "", "rm -rf /", "systemctl restart nginx", "df -h\nrm -rf /"]), 1);
    assert.deepEqual(
      labelled.map((c) => [c.id, c.command, c.decision, c.risk]),
      [
        ["c1", "uptime", "allowed", "read-only"],
        ["c2", "rm -rf /", "refused", "mutating"],
        ["c3", "systemctl restart nginx", "allowed", "mutating"],
        ["c4", "df -h rm -rf /", "refused", "mutating"],
      ],
    );
  });

  void it("runs only listed ids; an edit is checked again; added commands get new ids", () => {
    const p = proposal(["uptime", "free -m", "systemctl restart nginx"]);
    const approved = approvedCommands(policy, p, { kind: "approve", commandIds: ["c1", "c2"], edits: [{ id: "c2", command: "rm -rf /tmp/x" }], add: ["df -hP", "shutdown -h now"] }, nextCommandNumber([p]));
    assert.deepEqual(
      approved.map((c) => [c.id, c.command, c.decision]),
      [
        ["c1", "uptime", "allowed"],
        ["c2", "rm -rf /tmp/x", "refused"],
        ["c4", "df -hP", "allowed"],
        ["c5", "shutdown -h now", "refused"],
      ],
    );
    assert.ok(!approved.some((c) => c.command === "systemctl restart nginx"), "a mutating command runs only when listed");
  });

  void it("auto-approves only plans whose allowed commands are all read-only", () => {
    assert.deepEqual(
      autoApprovable(proposal(["uptime", "rm -rf /"]))?.map((c) => c.command),
      ["uptime"],
    );
    assert.equal(autoApprovable(proposal(["uptime", "systemctl restart nginx"])), null);
    assert.equal(autoApprovable(proposal(["rm -rf /"])), null);
  });

  void it("validates decisions from untrusted callers", () => {
    assert.deepEqual(parseApprovalDecision({ kind: "approve", commandIds: ["c1"], extra: 1 }), { kind: "approve", commandIds: ["c1"] });
    assert.deepEqual(parseApprovalDecision({ kind: "reject", reason: "no", replan: false }), { kind: "reject", reason: "no", replan: false });
    for (const bad of [null, "approve", { kind: "approve" }, { kind: "approve", commandIds: [1] }, { kind: "run", commandIds: [] }, { kind: "reject" }, { kind: "approve", commandIds: [], add: ["x".repeat(3000)] }]) {
      assert.throws(() => parseApprovalDecision(bad), /approval decision is malformed/, JSON.stringify(bad));
    }
  });
});
