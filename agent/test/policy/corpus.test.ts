// Every corpus case gets the expected decision, and the decision has the shape the agent and the
// approval UI rely on (a Program only when allowed, a rule id that says why, risk per segment).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCommandPolicy } from "../../src/policy";
import { corpus } from "./corpus";

const policy = createCommandPolicy();

void describe("policy corpus", () => {
  void it("has hundreds of cases across every category", () => {
    assert.ok(corpus.length >= 500, `only ${corpus.length} cases`);
    const categories = new Set(corpus.map((c) => c.category));
    for (const category of ["diagnostics", "destructive", "privilege-escalation", "exfiltration", "persistence", "sensitive-read", "runs-forever", "structure", "obfuscation"]) {
      assert.ok(categories.has(category), `missing category ${category}`);
    }
    assert.ok(corpus.filter((c) => c.expect === "allowed").length >= 150);
  });

  for (const category of new Set(corpus.map((c) => c.category))) {
    void it(`decides every "${category}" case as expected`, () => {
      const wrong: string[] = [];
      for (const c of corpus.filter((x) => x.category === category)) {
        const d = policy.check(c.command);
        if (d.decision !== c.expect) {
          wrong.push(`${JSON.stringify(c.command)}: expected ${c.expect}, got ${d.decision} (${d.rule}: ${d.reason})`);
          continue;
        }
        if (c.risk !== undefined && d.risk !== c.risk) {
          wrong.push(`${JSON.stringify(c.command)}: expected risk ${c.risk}, got ${d.risk}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }

  void it("gives allowed commands a Program and refused ones none, with rule ids and reasons", () => {
    for (const c of corpus) {
      const d = policy.check(c.command);
      assert.equal(d.command, c.command);
      assert.ok(d.reason.length > 0, c.command);
      assert.ok(d.segments.length > 0, c.command);
      if (d.decision === "allowed") {
        assert.ok(d.program, c.command);
        assert.match(d.rule, /^(allow|operator):/);
        assert.ok(d.segments.every((s) => s.decision === "allowed"));
        const stages = d.program.steps.flatMap((s) => s.pipeline.stages);
        assert.equal(stages.length, d.segments.length, c.command);
      } else {
        assert.equal(d.program, null, c.command);
        assert.match(d.rule, /^refuse:/, c.command);
        const first = d.segments.find((s) => s.decision === "refused");
        assert.ok(first, c.command);
        assert.equal(d.rule, first.rule);
      }
    }
  });

  void it("labels the overall risk with the highest segment risk", () => {
    const d = policy.check("uptime; rm -rf /tmp/x");
    assert.equal(d.decision, "refused");
    assert.equal(d.risk, "mutating");
    assert.deepEqual(
      d.segments.map((s) => [s.text, s.decision, s.risk, s.rule]),
      [
        ["uptime", "allowed", "read-only", "allow:uptime"],
        ["rm -rf /tmp/x", "refused", "mutating", "refuse:mutating:rm"],
      ],
    );
    assert.match(d.reason, /^"rm -rf \/tmp\/x": rm deletes files/);
  });

  void it("labels refusals of read-only programs read-only when they only run forever or read secrets", () => {
    const cases: [string, string][] = [
      ["tail -f /var/log/syslog", "read-only"],
      ["vmstat 10", "read-only"],
      ["dmesg -w", "read-only"],
      ["kubectl get pods -w", "read-only"],
      ["cat /etc/shadow", "read-only"],
      ["grep -r x /", "read-only"],
      ["sort -o /etc/passwd /etc/passwd", "mutating"],
      ["journalctl --rotate", "mutating"],
      ["rm -f /tmp/x", "mutating"],
      ["echo $(id)", "mutating"],
    ];
    for (const [command, risk] of cases) {
      const d = policy.check(command);
      assert.equal(d.decision, "refused", command);
      assert.equal(d.risk, risk, command);
    }
  });

  void it("names the construct it cannot verify", () => {
    const cases: [string, string][] = [
      ["echo $(id)", "refuse:structure:command-substitution"],
      ["echo `id`", "refuse:structure:command-substitution"],
      ["FOO=1 uptime", "refuse:structure:assignment"],
      ["uptime &", "refuse:structure:background"],
      ["uptime > /tmp/x", "refuse:structure:redirect"],
      ["cat <<EOF", "refuse:structure:redirect"],
      ["(id)", "refuse:structure:subshell"],
      ["uptime\nid", "refuse:structure:newline"],
      ["echo $'\\x41'", "refuse:structure:ansi-c-quote"],
      ["/usr/bin/*", "refuse:structure:glob"],
      ["ls ~", "refuse:structure:tilde"],
      ["echo {a,b}", "refuse:structure:brace"],
      ["cаt /etc/hosts", "refuse:structure:non-ascii"],
      ["uptime\u200b", "refuse:structure:invisible-character"],
      ["x".repeat(4097), "refuse:structure:too-long"],
      ["sudo uptime", "refuse:wrapper:sudo"],
      ["bash -c id", "refuse:interpreter:bash"],
      ["curl http://x", "refuse:network:curl"],
      ["printenv", "refuse:secrets:printenv"],
      ["less /var/log/syslog", "refuse:interactive:less"],
      ["cat /etc/shadow", "refuse:sensitive-path:cat"],
      ["tail -f /var/log/syslog", "refuse:args:tail:option:-f"],
      ["frobnicate", "refuse:unknown:frobnicate"],
      ["/tmp/ls", "refuse:program-path"],
    ];
    for (const [command, rule] of cases) {
      const d = policy.check(command);
      assert.equal(d.decision, "refused", command);
      assert.equal(d.rule, rule, command);
      if (rule.startsWith("refuse:structure:")) {
        assert.match(d.reason, /^cannot verify/, command);
      }
    }
  });

  void it("accepts a command of exactly 4 KiB and refuses one byte more", () => {
    const base = "echo ";
    assert.equal(policy.check(base + "a".repeat(4096 - base.length)).decision, "allowed");
    assert.equal(policy.check(base + "a".repeat(4097 - base.length)).decision, "refused");
  });

  void it("summarizes the profile for /v1/info", () => {
    const summary = policy.summary();
    assert.equal(summary.profile, "default-read-only");
    for (const program of ["uptime", "df", "journalctl", "systemctl", "docker", "kubectl"]) {
      assert.ok(summary.allowedPrograms.includes(program), program);
    }
    for (const program of ["rm", "sudo", "curl", "sh"]) {
      assert.ok(!summary.allowedPrograms.includes(program), program);
    }
    assert.deepEqual(summary.operatorRules, []);
  });
});
