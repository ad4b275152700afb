// The operator policy file: rules that add to the read-only profile (allow `systemctl restart nginx`
// as mutating) or take something away from it; a bad file fails with an error naming the field.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createCommandPolicy, loadPolicyFile, parsePolicyFile, PolicyFileError, type PolicyFile } from "../../src/policy";
import { operatorPolicyExample } from "./corpus";

const dir = mkdtempSync(join(tmpdir(), "atl-policy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writePolicy(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function loadError(content: unknown): PolicyFileError {
  const path = writePolicy(`bad-${Math.random().toString(16).slice(2)}.json`, content);
  try {
    loadPolicyFile(path);
  } catch (error) {
    assert.ok(error instanceof PolicyFileError, String(error));
    return error;
  }
  assert.fail("the policy file was accepted");
}

void describe("operator policy file", () => {
  const file: PolicyFile = loadPolicyFile(writePolicy("policy.json", operatorPolicyExample));
  const policy = createCommandPolicy(file);

  void it("allows systemctl restart nginx as mutating, with the operator's rule id", () => {
    const d = policy.check("systemctl restart nginx");
    assert.equal(d.decision, "allowed");
    assert.equal(d.risk, "mutating");
    assert.equal(d.rule, "operator:restart-nginx");
    assert.match(d.reason, /needs explicit approval/);
    assert.deepEqual(d.program?.steps[0].pipeline.stages[0].argv, ["systemctl", "restart", "nginx"]);
  });

  void it("matches the rule exactly: other units, extra arguments and the default profile still decide", () => {
    assert.equal(policy.check("systemctl restart postgresql").decision, "refused");
    assert.equal(policy.check("systemctl restart nginx --no-block").decision, "refused");
    assert.equal(policy.check("systemctl restart nginx; rm -rf /tmp/x").decision, "refused");
    assert.equal(policy.check("sudo systemctl restart nginx").decision, "refused");
    assert.equal(policy.check("systemctl status nginx").decision, "allowed");
  });

  void it("labels a pipeline with an operator-allowed mutating step as mutating overall", () => {
    const d = policy.check("systemctl restart nginx && systemctl is-active nginx");
    assert.equal(d.decision, "allowed");
    assert.equal(d.risk, "mutating");
    assert.deepEqual(
      d.segments.map((s) => s.risk),
      ["mutating", "read-only"],
    );
  });

  void it("still refuses structure the parser cannot verify, whatever the rule", () => {
    assert.equal(policy.check("systemctl restart $(echo nginx)").rule, "refuse:structure:command-substitution");
    assert.equal(policy.check("systemctl restart nginx > /tmp/x").rule, "refuse:structure:redirect");
  });

  void it("refuse rules take allowed commands away", () => {
    const d = policy.check("docker logs --tail 100 web");
    assert.equal(d.decision, "refused");
    assert.equal(d.rule, "refuse:operator:no-docker-logs");
    assert.equal(d.reason, "Container logs hold customer data");
    assert.equal(policy.check("docker ps").decision, "allowed");
    assert.equal(createCommandPolicy().check("docker logs --tail 100 web").decision, "allowed");
  });

  void it("can allow a program outside the profile for exact arguments only", () => {
    assert.equal(policy.check("curl -fsS http://127.0.0.1:8080/health").decision, "allowed");
    assert.equal(policy.check("curl -fsS http://127.0.0.1:8080/health").risk, "read-only");
    assert.equal(policy.check("curl -fsS http://evil.example/").decision, "refused");
  });

  void it("allows a vendor agent's status command by its exact absolute path, with the same argument rules", () => {
    const ctl = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl";
    const vendor = createCommandPolicy(
      parsePolicyFile({
        version: 1,
        rules: [
          { id: "cwagent-status", program: ctl, args: ["-m", "ec2", "-a", "status"], risk: "read-only", effect: "allow" },
          { id: "ssm-version", program: "/opt/aws/amazon-ssm-agent/bin/amazon-ssm-agent", args: ["-version"], risk: "read-only", effect: "allow" },
        ],
      }),
    );
    const d = vendor.check(`${ctl} -m ec2 -a status`);
    assert.equal(d.decision, "allowed", d.reason);
    assert.equal(d.rule, "operator:cwagent-status");
    assert.deepEqual(d.program?.steps[0].pipeline.stages[0].argv, [ctl, "-m", "ec2", "-a", "status"]);
    assert.equal(vendor.check("/opt/aws/amazon-ssm-agent/bin/amazon-ssm-agent -version | head -n 1").decision, "allowed");
    // Other arguments, the bare name, the path spelled differently, a planted copy: refused.
    assert.equal(vendor.check(`${ctl} -m ec2 -a stop`).rule, "refuse:unknown:" + ctl);
    assert.equal(vendor.check("amazon-cloudwatch-agent-ctl -m ec2 -a status").rule, "refuse:unknown:amazon-cloudwatch-agent-ctl");
    assert.equal(vendor.check("/opt/aws/amazon-cloudwatch-agent/bin//amazon-cloudwatch-agent-ctl -m ec2 -a status").rule, "refuse:program-path");
    assert.equal(vendor.check("/opt/aws/x/../amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -m ec2 -a status").rule, "refuse:program-path");
    assert.equal(vendor.check("/tmp/amazon-cloudwatch-agent-ctl -m ec2 -a status").rule, "refuse:program-path");
    // A path rule cannot read secrets either.
    const open = createCommandPolicy(parsePolicyFile({ version: 1, rules: [{ id: "tool", program: "/opt/tool/bin/tool", allowExtraArgs: true, risk: "read-only", effect: "allow" }] }));
    assert.equal(open.check("/opt/tool/bin/tool /etc/shadow").rule, "refuse:sensitive-path:/opt/tool/bin/tool");
    // And a refuse rule by path takes it away.
    const refusing = createCommandPolicy(parsePolicyFile({ version: 1, rules: [{ id: "no-df", program: "/usr/bin/df", allowExtraArgs: true, risk: "read-only", effect: "refuse" }] }));
    assert.equal(refusing.check("/usr/bin/df -h").rule, "refuse:operator:no-df");
  });

  void it("never lets a rule read secrets", () => {
    const open = createCommandPolicy(parsePolicyFile({ version: 1, rules: [{ id: "cat-any", program: "cat", allowExtraArgs: true, risk: "read-only", effect: "allow" }] }));
    assert.equal(open.check("cat /etc/shadow").rule, "refuse:sensitive-path:cat");
  });

  void it("lists the operator's rules in the summary", () => {
    assert.deepEqual(policy.summary().operatorRules, [
      { id: "restart-nginx", effect: "allow", risk: "mutating" },
      { id: "no-docker-logs", effect: "refuse", risk: "read-only" },
      { id: "curl-health", effect: "allow", risk: "read-only" },
    ]);
  });

  void it("names the bad field of an invalid file", () => {
    const cases: [unknown, RegExp, string | null][] = [
      [{ version: 2, rules: [] }, /field "version"/, "version"],
      [{ rules: [] }, /field "version"/, "version"],
      [{ version: 1 }, /field "rules"/, "rules"],
      [{ version: 1, rules: [{ id: "x", program: "systemctl", risk: "dangerous", effect: "allow" }] }, /field "rules\[0\]\.risk"/, "rules[0].risk"],
      [{ version: 1, rules: [{ id: "x", program: "/opt/../bin/rm", risk: "mutating", effect: "allow" }] }, /field "rules\[0\]\.program".*base name/, "rules[0].program"],
      [{ version: 1, rules: [{ id: "x", program: "bin/rm", risk: "mutating", effect: "allow" }] }, /field "rules\[0\]\.program".*absolute path/, "rules[0].program"],
      [{ version: 1, rules: [{ id: "x", program: "rm", risk: "mutating", effect: "permit" }] }, /field "rules\[0\]\.effect"/, "rules[0].effect"],
      [{ version: 1, rules: [{ id: "x", program: "rm", args: "-rf", risk: "mutating", effect: "allow" }] }, /field "rules\[0\]\.args"/, "rules[0].args"],
      [{ version: 1, rules: [{ id: "x", program: "rm", args: ["a\nb"], risk: "mutating", effect: "allow" }] }, /field "rules\[0\]\.args\[0\]"/, "rules[0].args[0]"],
      [{ version: 1, rules: [{ id: "x", program: "rm", risk: "mutating", effect: "allow", extra: true }] }, /rules\[0\]/, "rules[0]"],
      [{ version: 1, rules: [{ id: "has space", program: "rm", risk: "mutating", effect: "allow" }] }, /field "rules\[0\]\.id"/, "rules[0].id"],
      [
        {
          version: 1,
          rules: [
            { id: "x", program: "rm", risk: "mutating", effect: "allow" },
            { id: "x", program: "ls", risk: "read-only", effect: "allow" },
          ],
        },
        /field "rules\[1\]\.id" repeats/,
        "rules[1].id",
      ],
      [[], /the top level/, null],
    ];
    for (const [content, message, field] of cases) {
      const error = loadError(content);
      assert.match(error.message, message, JSON.stringify(content));
      assert.equal(error.field, field, JSON.stringify(content));
      assert.ok(error.fix.length > 0);
    }
  });

  void it("refuses a policy file every user can write (they could allow any command)", () => {
    for (const mode of [0o666, 0o646, 0o602]) {
      const path = writePolicy(`writable-${mode.toString(8)}.json`, operatorPolicyExample);
      chmodSync(path, mode);
      assert.throws(
        () => loadPolicyFile(path),
        (e: unknown) => e instanceof PolicyFileError && /writable by every user/.test(e.message) && e.fix === `Run: chmod go-w ${path}`,
        mode.toString(8),
      );
    }
    for (const mode of [0o644, 0o664, 0o600]) {
      const path = writePolicy(`ok-${mode.toString(8)}.json`, operatorPolicyExample);
      chmodSync(path, mode);
      assert.equal(loadPolicyFile(path).rules.length, 3);
    }
  });

  void it("says when the file is missing or not JSON", () => {
    assert.throws(() => loadPolicyFile(join(dir, "missing.json")), (e: unknown) => e instanceof PolicyFileError && /Cannot read the policy file .*ENOENT/.test(e.message));
    const error = loadError("{ version: 1, ");
    assert.match(error.message, /is not valid JSON/);
  });
});
