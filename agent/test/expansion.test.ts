// What engineers type runs on the real agent: path patterns expanded by the agent itself (every name
// checked again, a file named like an option passed as a name, a key among them refusing the
// command), and sampling commands bounded to the window, stopping by themselves with their summary
// and reported as sampled, not as a timeout. The agent runs as an unprivileged user, as deployed.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ExecResult } from "../src/protocol";
import { startAgent, type RunningAgent } from "../../test/helpers/agent";

void describe("path patterns and sampling on the running agent", { timeout: 120_000 }, () => {
  let agent: RunningAgent;
  let dir: string;

  before(async () => {
    agent = await startAgent({ user: "nobody" });
    dir = await mkdtemp(join(tmpdir(), "atl-expand-"));
    for (const file of ["a.log", "b.log", "-rf", "--exec=id", ".hidden", "sub/x.log", "keys/id_ed25519", "keys/id_ed25519.pub"]) {
      await mkdir(join(dir, file, ".."), { recursive: true });
      await writeFile(join(dir, file), "line\n");
    }
    for (const d of [dir, join(dir, "sub"), join(dir, "keys")]) {
      await chmod(d, 0o755);
    }
  });

  after(async () => {
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function exec(command: string): Promise<ExecResult> {
    const { results } = await agent.client().exec([command], 30);
    assert.equal(results.length, 1);
    return results[0];
  }

  test("expands a pattern into sorted names (no dot files), runs them, and says what ran", async () => {
    const r = await exec(`ls -1 ${dir}/*`);
    assert.equal(r.decision, "allowed", r.reason);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.executed, `ls -1 ${dir}/--exec=id ${dir}/-rf ${dir}/a.log ${dir}/b.log ${dir}/keys ${dir}/sub`);
    assert.match(r.stdout, /a\.log\n/);
    assert.doesNotMatch(r.stdout, /\.hidden/);
    const audit = (await agent.audit()).filter((a) => a.event === "exec" && a.command === `ls -1 ${dir}/*`);
    assert.equal(audit.length, 1);
    assert.equal((audit[0] as { executed?: string }).executed, r.executed);
  });

  test("runs the checklist's disk pipeline with a pattern and stderr to /dev/null", async () => {
    const r = await exec(`du -sh ${dir}/* 2>/dev/null | sort -rh | head -n 3`);
    assert.equal(r.decision, "allowed", r.reason);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 3);
  });

  test("keeps a pattern that matches nothing as written, as bash does", async () => {
    const r = await exec(`ls ${dir}/*.gz`);
    assert.equal(r.decision, "allowed");
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /\*\.gz/);
    assert.equal(r.executed, `ls '${dir}/*.gz'`);
  });

  test("refuses, without running anything, when a name found is a secret", async () => {
    const r = await exec(`cat ${dir}/keys/*`);
    assert.equal(r.decision, "refused");
    assert.equal(r.rule, "refuse:sensitive-path:cat");
    assert.match(r.reason, /id_ed25519/);
    assert.equal(r.stdout, "");
    const ok = await exec(`cat ${dir}/keys/*.pub`);
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.stdout, "line\n");
  });

  test("samples vmstat 1 for the window: it stops by itself, exit 0, reported as sampled", async () => {
    const checked = await agent.client().check(["vmstat 1"]);
    assert.deepEqual(checked.results[0].sampling, { seconds: 5 });
    const r = await exec("vmstat 1");
    assert.equal(r.decision, "allowed", r.reason);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.timedOut, undefined);
    assert.deepEqual(r.sampling, { seconds: 5 });
    assert.equal(r.executed, "vmstat 1 6");
    // Two header lines and six reports (the first one averages since boot).
    assert.equal(r.stdout.trim().split("\n").length, 8, r.stdout);
  });

  test("samples mpstat until its summary, and top in batch mode", async () => {
    const mpstat = await exec("mpstat -P ALL 1");
    assert.equal(mpstat.exitCode, 0, mpstat.stderr);
    assert.match(mpstat.stdout, /^Average:/m);
    const top = await exec("top");
    assert.equal(top.exitCode, 0, top.stderr);
    assert.equal(top.executed, "top -b -d 5 -n 2");
    assert.equal((top.stdout.match(/^top - /gm) ?? []).length, 2, top.stdout.slice(0, 500));
  });

  test("samples systemd-cgtop in batch mode, one frame a second for the window", async () => {
    const cgtop = await exec("systemd-cgtop -d 1 --depth=1");
    assert.equal(cgtop.exitCode, 0, cgtop.stderr);
    assert.equal(cgtop.executed, "systemd-cgtop -b -n 6 -d 1 --depth=1");
    assert.deepEqual(cgtop.sampling, { seconds: 5 });
    // Each frame starts with the root control group.
    assert.equal((cgtop.stdout.match(/^\/ /gm) ?? []).length, 6, cgtop.stdout.slice(0, 500));
  });

  test("a recursive read of an ordinary folder skips the secret files in it (grep -r, diff -r), and -R is refused", async () => {
    const marker = `MARK${Date.now()}`;
    const secrets = [".env", ".env.production", "id_rsa", "ID_ED25519", "credentials", "Credentials.json", "server.PEM", "tls.key", "app-secrets.yaml", ".bash_history", ".pgpass", "conf/.aws/credentials", "conf/.ssh/id_ed25519", "conf/.ssh/config", "keys/service-account-prod.json"];
    const ordinary = ["app.log", "logs/error.log", "conf/app.conf"];
    for (const tree of ["app", "app2"]) {
      for (const file of [...secrets, ...ordinary]) {
        const path = join(dir, tree, file);
        await mkdir(join(path, ".."), { recursive: true, mode: 0o755 });
        await chmod(join(path, ".."), 0o755);
        // Each tree's copies differ, so diff would print both sides of every file it compares.
        await writeFile(join(path), `${marker} ${tree} ${secrets.includes(file) ? "SECRET" : "plain"} ${file}\n`, { mode: 0o644 });
      }
    }
    await chmod(join(dir, "app"), 0o755);
    await chmod(join(dir, "app2"), 0o755);
    await symlink(join(dir, "app", "id_rsa"), join(dir, "app", "innocent.log"));

    const grep = await exec(`grep -r ${marker} ${dir}/app`);
    assert.equal(grep.decision, "allowed", grep.reason);
    assert.equal(grep.exitCode, 0, grep.stderr);
    assert.match(grep.executed ?? "", /--exclude=/, "the exclusions are shown in what ran");
    const found = grep.stdout.trim().split("\n").map((line) => line.slice(`${dir}/app/`.length).split(":")[0]).sort();
    assert.deepEqual(found, [...ordinary].sort(), grep.stdout);

    const diff = await exec(`diff -r ${dir}/app ${dir}/app2`);
    assert.equal(diff.decision, "allowed", diff.reason);
    assert.equal(diff.exitCode, 1, diff.stderr);
    assert.match(diff.stdout, /plain app\.log/);
    assert.doesNotMatch(diff.stdout, /SECRET/, diff.stdout);

    const deref = await exec(`grep -R ${marker} ${dir}/app`);
    assert.equal(deref.decision, "refused");
    assert.match(deref.reason, /symbolic links/);
  });
});
