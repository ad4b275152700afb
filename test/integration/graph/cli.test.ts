// `node dist/cli.js diagnose` as a user runs it: the built bundle, a hosts file, the real agent on
// 127.0.0.1, with and without the scripted LLM. Exit codes and stdout/stderr are the contract.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { startAgent, type RunningAgent } from "../../helpers/agent";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";
import { sshHostEntry, startSshd, type Sshd } from "../../helpers/sshd";
import { SAMPLES } from "./support";
import type { ExecAuditRecord } from "../../../agent/src/audit";
import { runCli, type Finished } from "../../helpers/process";
import { Resources } from "../../helpers/resources";
import MarkdownIt from "markdown-it";

const ROOT = resolve(__dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cli.js");

/** `atl diagnose args` with only PATH and HOME (no LLM key from this environment) plus `env`. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return runCli(["diagnose", ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env } });
}

void describe("atl diagnose (dist/cli.js)", () => {
  let agent: RunningAgent;
  let llm: ScriptedLlm;
  let dir: string;
  let hostsFile: string;
  /** A private sshd whose client key is encrypted: the CLI needs ATL_SSH_PASSPHRASE_LOCKED_BOX. */
  let sshd: Sshd;
  const alarmFile = join(SAMPLES, "01-ec2-cpu-alarm.json");

  const resources = new Resources();

  before(async () => {
    // `npm test` builds every bundle first; build here only when run on its own.
    if (!existsSync(CLI)) {
      const build = spawnSync(process.execPath, ["esbuild.mjs", "--only", "cli"], { cwd: ROOT, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
    agent = resources.add(await startAgent(), (a) => a.stop());
    llm = resources.add(await startScriptedLlm(), (l) => l.close());
    sshd = resources.add(await startSshd({ keyPassphrase: "cli passphrase 42" }), (s) => s.stop());
    dir = resources.add(await mkdtemp(join(tmpdir(), "atl-cli-")), (d) => rm(d, { recursive: true, force: true }));
    hostsFile = join(dir, "hosts.json");
    await writeFile(
      hostsFile,
      JSON.stringify([
        { id: "prod-web-01", name: "prod-web-01", aliases: ["i-0a1b2c3d4e5f67890"], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile },
        { id: "prod-db-01", name: "prod-db-01", transport: "agent", url: "http://127.0.0.1:9", keyId: "k", secretFile: agent.secretFile },
        sshHostEntry(sshd, "locked-box"),
      ]),
    );
  });
  after(() => resources.release());

  const executed = async () => (await agent.audit()).filter((r): r is ExecAuditRecord => r.event === "exec").map((r) => r.command);

  void it("--approve none prints the proposal, runs nothing and exits 3", async () => {
    const r = await cli(["--alarm", alarmFile, "--hosts", hostsFile]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /# Commands waiting for approval: prod-web-01/);
    assert.match(r.stdout, /`uptime`/);
    assert.match(r.stderr, /waiting for approval/);
    assert.deepEqual(await executed(), []);
  });

  void it("--approve read-only runs the runbook on the agent and prints the Markdown report (no LLM)", async () => {
    const r = await cli(["--alarm", alarmFile, "--hosts", hostsFile, "--approve", "read-only", "--timeout", "20"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# ATL diagnosis: prod-web-01-cpu-high on prod-web-01/);
    assert.match(r.stdout, /## Findings/);
    assert.match(r.stdout, /### c1 `uptime` — ok, exit 0/);
    // ATL's own code spans render as code, never as literal backticks (issue 17 item 1).
    assert.ok(!r.stdout.includes("\\`"), "no escaped backtick in the report");
    const html = new MarkdownIt().render(r.stdout);
    assert.match(html, /<li>.*<code>[^<]+<\/code>/, "next steps quote commands as code");
    const prose = html.replace(/<pre>[\s\S]*?<\/pre>/g, "").replace(/<code>[\s\S]*?<\/code>/g, "");
    assert.ok(!prose.includes("`"), `no backtick shows outside code: ${prose}`);
    assert.match(r.stderr, /\$ uptime/, "progress goes to stderr");
    assert.ok((await executed()).includes("uptime"));
  });

  void it("asks through the LLM with --llm-base-url and prints JSON with --json", async () => {
    llm.push(
      { schema: "command_plan", json: { rationale: "Memory.", commands: [{ command: "free -m", purpose: "memory", expectedSignal: "low available" }] } },
      { schema: "diagnosis_analysis", json: { summary: "Memory is fine.", severity: "info", findings: [], nextSteps: [], culprit: null, furtherCommands: [] } },
    );
    const r = await cli(["--host", "prod-web-01", "--ask", "is memory ok?", "--hosts", hostsFile, "--approve", "read-only", "--llm-base-url", llm.url, "--llm-model", "gpt-4.1-mini", "--json", "--quiet"], {
      OPENAI_API_KEY: "sk-test-cli",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "--quiet");
    const report = JSON.parse(r.stdout) as { analysis: { summary: unknown; source: string }; runs: { command: string }[]; usage: { calls: number } };
    assert.deepEqual(report.analysis.summary, ["Memory is fine."], "RichText: runs of plain text and code");
    assert.equal(report.analysis.source, "llm");
    assert.deepEqual(
      report.runs.map((x) => x.command),
      ["free -m"],
    );
    assert.equal(report.usage.calls, 2);
    assert.equal(llm.requests.at(-1)!.headers.authorization, "Bearer sk-test-cli");
  });

  void it("keeps a waiting thread with --checkpoint-dir and continues it with another --approve", async () => {
    const checkpoints = join(dir, "ckpt");
    const wait = await cli(["--host", "prod-web-01", "--ask", "check disk", "--hosts", hostsFile, "--checkpoint-dir", checkpoints, "--thread", "disk-1"]);
    assert.equal(wait.code, 3, wait.stderr);
    assert.match(wait.stderr, /--checkpoint-dir .* --thread disk-1/);
    const go = await cli(["--hosts", hostsFile, "--checkpoint-dir", checkpoints, "--thread", "disk-1", "--approve", "read-only"]);
    assert.equal(go.code, 0, go.stderr);
    assert.match(go.stdout, /df -hP/);
  });

  void it("exits 1 with one line when the host is unknown or unreachable", async () => {
    const unknown = await cli(["--host", "nope", "--ask", "x", "--hosts", hostsFile]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^atl diagnose: Unknown host "nope": the inventory has prod-web-01, prod-db-01, locked-box\. /);
    assert.equal(unknown.stderr.trim().split("\n").length, 1);

    const down = await cli(["--host", "prod-db-01", "--ask", "check load", "--hosts", hostsFile, "--approve", "read-only"]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^atl diagnose: Host prod-db-01 is unreachable/);
    assert.equal(down.stderr.trim().split("\n").length, 1);
  });

  void it("stops before planning when an SSH host answers but its key needs a passphrase; goes on with it", async () => {
    const locked = await cli(["--host", "locked-box", "--ask", "check load", "--hosts", hostsFile, "--approve", "read-only"]);
    assert.equal(locked.code, 1, locked.stdout);
    assert.match(locked.stderr, /^atl diagnose: Host locked-box answers but cannot be used: Cannot use the SSH key .*ATL_SSH_PASSPHRASE_<ID>/);
    assert.equal(locked.stderr.trim().split("\n").length, 1);
    assert.equal(locked.stdout, "", "no plan for a host that cannot run it");

    const open = await cli(["--host", "locked-box", "--ask", "check load", "--hosts", hostsFile], { ATL_SSH_PASSPHRASE_LOCKED_BOX: sshd.keyPassphrase ?? "" });
    assert.equal(open.code, 3, open.stderr);
    assert.match(open.stdout, /uptime/, "with the passphrase the proposal is printed");
  });

  void it("exits 2 on usage errors and a body that is not an alarm", async () => {
    const noHosts = await cli(["--alarm", alarmFile]);
    assert.equal(noHosts.code, 2);
    assert.match(noHosts.stderr, /--hosts FILE is required/);
    const malformed = await cli(["--alarm", join(SAMPLES, "10-malformed-truncated-body.json"), "--hosts", hostsFile]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /is not an alarm/);
    const badMode = await cli(["--alarm", alarmFile, "--hosts", hostsFile, "--approve", "yes"]);
    assert.equal(badMode.code, 2);
  });
});
