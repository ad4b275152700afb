// `node dist/cli.js check "COMMAND"` as an operator or a script runs it: the decision as JSON,
// exit 0 when allowed, 1 when refused, 2 on usage or policy-file errors.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { operatorPolicyExample } from "./corpus";

const root = join(import.meta.dirname, "../../..");
const cli = join(root, "dist/cli.js");
const dir = mkdtempSync(join(tmpdir(), "atl-check-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "check", ...args], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

interface Decision {
  command: string;
  decision: string;
  risk: string;
  reason: string;
  rule: string;
  segments: { text: string; argv: string[]; decision: string; risk: string; reason: string; rule: string }[];
  program: unknown;
}

void describe("atl check (the CLI)", () => {
  before(() => {
    // Always test the current source: the build of one bundle takes about a second.
    const build = spawnSync(process.execPath, ["esbuild.mjs", "--only", "cli"], { cwd: root, encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
  });

  void it("prints an allowed command's decision with the /v1/check fields, rule and segments; exit 0", async () => {
    const r = await run(["ps aux --sort=-%cpu | head -n 5"]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as Decision;
    assert.equal(d.command, "ps aux --sort=-%cpu | head -n 5");
    assert.equal(d.decision, "allowed");
    assert.equal(d.risk, "read-only");
    assert.equal(typeof d.reason, "string");
    assert.equal(d.rule, "allow:ps");
    assert.deepEqual(
      d.segments.map((s) => [s.argv, s.rule]),
      [
        [["ps", "aux", "--sort=-%cpu"], "allow:ps"],
        [["head", "-n", "5"], "allow:head"],
      ],
    );
    assert.ok(d.program);
  });

  void it("says how a sampling command runs: the count it gets and the window", async () => {
    const r = await run(["vmstat 1"]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as Decision & { sampling?: { seconds: number }; executed?: string };
    assert.deepEqual(d.sampling, { seconds: 5 });
    assert.equal(d.executed, "vmstat 1 6");
  });

  void it("exits 1 with the reason for a refused command", async () => {
    const r = await run(["rm -rf / --no-preserve-root"]);
    assert.equal(r.code, 1);
    const d = JSON.parse(r.stdout) as Decision;
    assert.equal(d.decision, "refused");
    assert.equal(d.risk, "mutating");
    assert.equal(d.rule, "refuse:mutating:rm");
    assert.equal(d.program, null);
  });

  void it("exits 2 without a command, with several unquoted words, or with a dangling --policy", async () => {
    for (const args of [[], ["df", "-h"], ["--policy"]]) {
      const r = await run(args);
      assert.equal(r.code, 2, JSON.stringify(args));
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^atl check: .*\nUsage: atl check/);
    }
  });

  void it("applies an operator policy file with --policy", async () => {
    const path = join(dir, "policy.json");
    writeFileSync(path, JSON.stringify(operatorPolicyExample));
    const r = await run(["--policy", path, "systemctl restart nginx"]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as Decision;
    assert.equal(d.risk, "mutating");
    assert.equal(d.rule, "operator:restart-nginx");
    assert.equal((await run([`--policy=${path}`, "docker logs web"])).code, 1);
  });

  void it("exits 2 naming the bad field of an invalid policy file", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ version: 1, rules: [{ id: "x", program: "systemctl", risk: "yes", effect: "allow" }] }));
    const r = await run(["--policy", path, "uptime"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /field "rules\[0\]\.risk"/);
  });

  void it("checks one command per stdin line with -, one JSON line each; exit 1 if any is refused", async () => {
    const r = await run(["-"], "uptime\ndf -h\n\ncat /etc/shadow\n");
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Decision);
    assert.deepEqual(
      lines.map((d) => [d.command, d.decision]),
      [
        ["uptime", "allowed"],
        ["df -h", "allowed"],
        ["cat /etc/shadow", "refused"],
      ],
    );
    assert.equal((await run(["-"], "uptime\nfree -m\n")).code, 0);
  });
});
