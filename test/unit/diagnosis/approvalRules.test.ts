// Approval rules: what a standing "always allow" lets run without asking. Commands are labelled by
// the real policy (with an operator rule that allows one mutating command) and matched word by
// word after the policy's parser read them — never by the raw text; mutating and refused commands
// are never covered; expiry and once are honoured; the file format names the bad field.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCommandPolicy } from "../../../agent/src/policy";
import {
  ANY_READ_ONLY,
  ApprovalRuleSet,
  approvalGate,
  createRule,
  memoryRuleSource,
  loadRulesFile,
  migrateAutoApproveHosts,
  parseRulesFile,
  suggestPattern,
  type ApprovalRule,
  type RuleHost,
} from "../../../src/diagnosis/approvalRules";
import { labelCommands } from "../../../src/graph/commands";
import { AtlError } from "../../../src/shared/errors";

const policy = createCommandPolicy({ version: 1, rules: [{ id: "restart-nginx", program: "systemctl", args: ["restart", "nginx"], risk: "mutating", effect: "allow" }] });
const NOW = new Date("2026-06-01T10:00:00Z");
const HOUR = 3_600_000;

const web1: RuleHost = { id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", aliases: ["web-01"], tags: ["prod", "web"] };
const db1: RuleHost = { id: "prod-db-01", name: "prod-db-01", tags: ["prod", "db"] };

function plan(...commands: string[]) {
  return labelCommands(
    policy,
    commands.map((command) => ({ command, purpose: "p", expectedSignal: "s" })),
    1,
  );
}

function rule(partial: Partial<ApprovalRule> & Pick<ApprovalRule, "scope" | "command">): ApprovalRule {
  return { id: partial.id ?? "r1", expiresAt: null, once: false, createdAt: NOW.toISOString(), origin: "command", ...partial };
}

function covered(rules: ApprovalRule[], host: RuleHost, commands: string[], now = NOW): boolean {
  return new ApprovalRuleSet(rules).covers(plan(...commands), host, now).covered;
}

void describe("approval rules: what they cover", () => {
  const nginx = rule({ scope: { host: "prod-web-*" }, command: "journalctl -u nginx" });

  void it("matches an argv prefix of the parsed command, not a prefix of its text", () => {
    assert.equal(covered([nginx], web1, ['journalctl -u nginx --since "1 hour ago" --no-pager']), true);
    assert.equal(covered([nginx], web1, ["journalctl -u 'nginx' -n 50"]), true, "quotes are removed by the parser");
    assert.equal(covered([nginx], web1, ["/usr/bin/journalctl -u nginx"]), true, "the program by its base name");
    assert.equal(covered([nginx], web1, ["journalctl -u nginx.service"]), false, "a longer word is another argument");
    assert.equal(covered([nginx], web1, ["journalctl -u nginxx"]), false);
    assert.equal(covered([nginx], web1, ["journalctl -u"]), false, "shorter than the prefix");
    assert.equal(covered([nginx], web1, ["journalctl --unit nginx"]), false, "other words, not covered");
  });

  void it("needs a rule for every program of a pipeline or list", () => {
    assert.equal(covered([nginx], web1, ["journalctl -u nginx | tail -n 50"]), false);
    assert.equal(covered([nginx], web1, ["journalctl -u nginx; ps aux"]), false);
    assert.equal(covered([nginx], web1, ["journalctl -u nginx && journalctl -u nginx -n 5"]), true);
    const tail = rule({ id: "r2", scope: { host: "prod-web-*" }, command: "tail" });
    const coverage = new ApprovalRuleSet([nginx, tail]).covers(plan("journalctl -u nginx | tail -n 50"), web1, NOW);
    assert.equal(coverage.covered, true);
    assert.deepEqual(coverage.commands[0].ruleIds, ["r1", "r2"]);
  });

  void it("scopes by host glob (id, name or alias), by tag, or every host", () => {
    assert.equal(covered([nginx], db1, ["journalctl -u nginx"]), false, "prod-web-* is not prod-db-01");
    assert.equal(covered([rule({ scope: { host: "PROD-WEB-0?" }, command: "uptime" })], web1, ["uptime"]), true, "case-insensitive, ? is one character");
    assert.equal(covered([rule({ scope: { host: "web-01" }, command: "uptime" })], web1, ["uptime"]), true, "an alias");
    assert.equal(covered([rule({ scope: { host: "i-0a1b2c3d4e5f67890" }, command: "uptime" })], web1, ["uptime"]), true, "the id");
    assert.equal(covered([rule({ scope: { host: "prod-web" }, command: "uptime" })], web1, ["uptime"]), false, "a glob is anchored");
    assert.equal(covered([rule({ scope: { host: "prod.web.01" }, command: "uptime" })], web1, ["uptime"]), false, "dots are literal");
    assert.equal(covered([rule({ scope: { tag: "WEB" }, command: "uptime" })], web1, ["uptime"]), true);
    assert.equal(covered([rule({ scope: { tag: "web" }, command: "uptime" })], db1, ["uptime"]), false);
    assert.equal(covered([rule({ scope: { all: true }, command: "uptime" })], db1, ["uptime"]), true);
  });

  void it("covers a plan only when every allowed command is read-only and covered", () => {
    const any = rule({ scope: { all: true }, command: ANY_READ_ONLY });
    assert.equal(covered([any], web1, ["uptime", "df -h", "ps aux --sort=-%cpu"]), true);
    const partial = new ApprovalRuleSet([nginx]).covers(plan("journalctl -u nginx", "uptime"), web1, NOW);
    assert.equal(partial.covered, false, "one command without a rule: the plan waits");
    assert.deepEqual(
      partial.commands.map((c) => [c.id, c.kind]),
      [
        ["c1", "covered"],
        ["c2", "no-rule"],
      ],
    );
    assert.deepEqual(partial.ruleIds, [], "nothing is used when the plan waits");
  });

  void it("never covers a mutating command, even with a rule naming it or allowing everything", () => {
    const restart = rule({ scope: { all: true }, command: "systemctl restart nginx" });
    const any = rule({ id: "r2", scope: { all: true }, command: ANY_READ_ONLY });
    const coverage = new ApprovalRuleSet([restart, any]).covers(plan("uptime", "systemctl restart nginx"), web1, NOW);
    assert.equal(coverage.covered, false);
    assert.equal(coverage.commands[1].kind, "mutating");
    assert.equal(covered([restart, any], web1, ["systemctl restart nginx"]), false);
  });

  void it("ignores refused commands (they never run) but does not approve a plan of refused commands", () => {
    const any = rule({ scope: { all: true }, command: ANY_READ_ONLY });
    const coverage = new ApprovalRuleSet([any]).covers(plan("uptime", "rm -rf /", "cat /etc/shadow"), web1, NOW);
    assert.equal(coverage.covered, true);
    assert.deepEqual(
      coverage.commands.map((c) => c.kind),
      ["covered", "refused", "refused"],
    );
    assert.equal(covered([any], web1, ["rm -rf /"]), false);
    assert.equal(covered([any], web1, []), false);
  });

  void it("honours the expiry", () => {
    const shift = rule({ scope: { host: "prod-web-*" }, command: "uptime", expiresAt: new Date(NOW.getTime() + 8 * HOUR).toISOString() });
    assert.equal(covered([shift], web1, ["uptime"], new Date(NOW.getTime() + 8 * HOUR - 1)), true);
    assert.equal(covered([shift], web1, ["uptime"], new Date(NOW.getTime() + 8 * HOUR)), false, "expired at the instant");
    assert.deepEqual(new ApprovalRuleSet([shift]).active(new Date(NOW.getTime() + 9 * HOUR)), []);
  });

  void it("spends a once-rule only when no lasting rule covers the command", () => {
    const once = rule({ id: "once", scope: { all: true }, command: "uptime", once: true });
    const lasting = rule({ id: "lasting", scope: { host: "prod-web-*" }, command: "uptime" });
    assert.deepEqual(new ApprovalRuleSet([once, lasting]).covers(plan("uptime"), web1, NOW).ruleIds, ["lasting"]);
    assert.deepEqual(new ApprovalRuleSet([once, lasting]).covers(plan("uptime"), db1, NOW).ruleIds, ["once"]);
  });
});

void describe("approval rules: the graph's gate", () => {
  const proposal = (host: RuleHost, ...commands: string[]) => ({
    threadId: "t",
    round: 1,
    host: { id: host.id, name: host.name, transport: "agent" as const },
    commands: plan(...commands),
    rationale: "r",
    source: "runbook" as const,
    autoApproved: false,
  });
  const entry = (host: RuleHost) => ({ ...host, aliases: [...(host.aliases ?? [])], tags: [...(host.tags ?? [])], transport: "agent" as const, url: "http://127.0.0.1:9", keyId: "k" });

  void it("approves a covered plan with the rules it rests on, and spends a once-rule", () => {
    const source = memoryRuleSource([rule({ id: "look", scope: { tag: "web" }, command: "uptime", once: true })]);
    const gate = approvalGate(source, () => NOW);
    assert.deepEqual(gate.approve(proposal(web1, "uptime"), entry(web1)), [{ id: "look", command: "uptime", scope: "tag:web" }]);
    assert.equal(gate.approve(proposal(web1, "uptime"), entry(web1)), null, "spent");
  });

  void it("asks when the plan is not covered, and spends nothing", () => {
    const source = memoryRuleSource([rule({ id: "look", scope: { all: true }, command: "uptime", once: true })]);
    const gate = approvalGate(source, () => NOW);
    assert.equal(gate.approve(proposal(db1, "uptime", "df -h"), entry(db1)), null);
    assert.equal(source.current().rules.length, 1);
  });
});

void describe("approval rules: the file format", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-rules-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const bad = (data: unknown): string => {
    try {
      parseRulesFile(data, "rules file r.json", NOW);
    } catch (error) {
      assert.ok(error instanceof AtlError);
      assert.equal(error.code, "config");
      assert.ok(error.fix);
      return error.message;
    }
    assert.fail("accepted");
  };

  void it("reads a valid file, filling createdAt and origin", () => {
    const file = parseRulesFile(
      {
        version: 1,
        rules: [
          { id: "nginx-logs", scope: { host: "prod-web-*" }, command: "journalctl  -u nginx", expiresAt: "2026-06-01T18:00:00+09:00" },
          { id: "all-ro", scope: { tag: "staging" }, command: "*", once: true },
        ],
      },
      "rules file r.json",
      NOW,
    );
    assert.deepEqual(file.rules[0], {
      id: "nginx-logs",
      scope: { host: "prod-web-*" },
      command: "journalctl  -u nginx",
      expiresAt: "2026-06-01T09:00:00.000Z",
      once: false,
      createdAt: NOW.toISOString(),
      origin: "file",
    });
    assert.equal(file.rules[1].once, true);
    assert.equal(file.rules[1].expiresAt, null);
  });

  void it("names the field of the first problem", () => {
    assert.match(bad({ version: 2, rules: [] }), /field "version"/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { hosts: "x" }, command: "uptime" }] }), /field "rules\[0\]\.scope": must be \{"host"/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { host: "web 01" }, command: "uptime" }] }), /rules\[0\]\.scope/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "journalctl -u nginx | tail" }] }), /field "rules\[0\]\.command": must be one simple command/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "uptime $(id)" }] }), /field "rules\[0\]\.command": cannot be read/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "/tmp/x" }] }), /plain name/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "df >/dev/null" }] }), /redirect/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "uptime", expiresAt: "tomorrow" }] }), /field "rules\[0\]\.expiresAt"/);
    assert.match(bad({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "uptime", allow: "all" }] }), /rules\[0\]/);
    assert.match(
      bad({
        version: 1,
        rules: [
          { id: "a", scope: { all: true }, command: "uptime" },
          { id: "a", scope: { all: true }, command: "df" },
        ],
      }),
      /rules\[1\]\.id" repeats/,
    );
  });

  void it("refuses a file every user may write, and says how to fix it", async () => {
    const path = join(dir, "rules.json");
    await writeFile(path, JSON.stringify({ version: 1, rules: [{ id: "a", scope: { all: true }, command: "uptime" }] }));
    await chmod(path, 0o600);
    assert.equal(loadRulesFile(path, NOW).rules.length, 1);
    await chmod(path, 0o666);
    assert.throws(() => loadRulesFile(path, NOW), (error: AtlError) => /writable by every user/.test(error.message) && error.fix === `Run: chmod go-w ${path}`);
    assert.throws(() => loadRulesFile(join(dir, "missing.json"), NOW), /no such file/);
    await writeFile(join(dir, "broken.json"), "{");
    assert.throws(() => loadRulesFile(join(dir, "broken.json"), NOW), /not valid JSON/);
  });

  void it("creates rules from the editor with an expiry, and validates them", () => {
    const created = createRule({ scope: { host: "prod-web-*" }, command: " journalctl   -u nginx ", durationMs: 8 * HOUR, once: false, origin: "chat" }, NOW, "r-1");
    assert.equal(created.command, "journalctl -u nginx");
    assert.equal(created.expiresAt, "2026-06-01T18:00:00.000Z");
    assert.throws(() => createRule({ scope: { host: "*" }, command: "rm -rf / | x", durationMs: null, once: true, origin: "chat" }, NOW, "r-2"), AtlError);
  });

  void it("suggests the stable words of a command as the pattern", () => {
    assert.equal(suggestPattern('journalctl -u nginx --since "1 hour ago" --no-pager'), "journalctl -u nginx");
    assert.equal(suggestPattern("ps aux --sort=-%cpu | head -n 15"), "ps aux");
    assert.equal(suggestPattern("/usr/bin/df -h /var"), "df -h");
    assert.equal(suggestPattern("top -b -n 1"), "top -b -n");
    assert.equal(suggestPattern("uptime $(id)"), null);
  });

  void it("migrates the hosts of autoApproveReadOnlyHosts to lasting any-read-only rules on those hosts", () => {
    const rules = migrateAutoApproveHosts(["i-0a1b2c3d4e5f67890", "i-0a1b2c3d4e5f67890", "prod-*", " prod-db-01 "], NOW);
    assert.deepEqual(
      rules.map((r) => [r.scope, r.command, r.expiresAt, r.once, r.origin]),
      [
        [{ host: "i-0a1b2c3d4e5f67890" }, "*", null, false, "migrated"],
        [{ host: "prod-db-01" }, "*", null, false, "migrated"],
      ],
      "a glob is not an id: dropped rather than widened",
    );
    assert.equal(covered(rules, web1, ["uptime", "df -h"]), true);
    assert.equal(covered(rules, { id: "other", name: "other" }, ["uptime"]), false);
    // The migrated set round-trips through the file format.
    assert.deepEqual(parseRulesFile({ version: 1, rules }, "x", NOW).rules, rules);
  });
});
