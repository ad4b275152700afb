// `node dist/cli.js watch` as a team runs it next to the queue: the built bundle, the SQS/SNS
// emulator (fauxqs), real agents on 127.0.0.1 (their audit logs say what ran), a real CPU burner
// as the fault. Without --auto the plan waits and nothing runs; with --auto read-only the report
// names the burner; a rules file approves only what it covers; an alarm whose instance is not in
// the inventory runs nothing anywhere; a storm of 50 alarms on 3 hosts gives 3 triages, at most N
// at once, nothing run twice; SIGTERM stops it with exit 0.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ExecAuditRecord } from "../../../agent/src/audit";
import type { TriageFile } from "../../../src/cli/watch";
import { startAgent, type RunningAgent } from "../../helpers/agent";
import { startCpuHog, type StagedProcess } from "../../helpers/faults";
import { Fauxqs, type AlarmRoute } from "../../helpers/fauxqs";
import { WatchProcess } from "../../helpers/watch";
import { cpuAlarmMessage } from "../../unit/alarms/samples";

const ROOT = resolve(__dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cli.js");
const WEB_01 = "i-0a1b2c3d4e5f67890";

type Watch = WatchProcess<Line>;

interface Line {
  id: string;
  alarm: string;
  host: string | null;
  status: TriageFile["status"];
  severity: string | null;
  summary: string;
  report: string;
  json: string;
}

function file(line: Line): TriageFile {
  return JSON.parse(readFileSync(line.json, "utf8")) as TriageFile;
}

async function executed(agent: RunningAgent): Promise<string[]> {
  return (await agent.audit()).filter((r): r is ExecAuditRecord => r.event === "exec").map((r) => r.command);
}

void describe("atl watch (dist/cli.js)", () => {
  let emulator: Fauxqs;
  const agents: RunningAgent[] = [];
  let burner: StagedProcess;
  let dir: string;
  let hostsFile: string;
  const running: Watch[] = [];

  before(async () => {
    // `npm test` builds every bundle first; build here only when run on its own.
    if (!existsSync(CLI)) {
      const build = spawnSync(process.execPath, ["esbuild.mjs", "--only", "cli"], { cwd: ROOT, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
    emulator = await Fauxqs.start();
    for (let i = 0; i < 3; i++) {
      agents.push(await startAgent());
    }
    burner = await startCpuHog();
    dir = await mkdtemp(join(tmpdir(), "atl-watch-"));
    hostsFile = join(dir, "hosts.json");
    const instances = [WEB_01, "i-0b000000000000002", "i-0c000000000000003"];
    await writeFile(
      hostsFile,
      JSON.stringify(
        agents.map((agent, i) => ({
          id: `prod-web-0${i + 1}`,
          name: `prod-web-0${i + 1}`,
          aliases: [instances[i]],
          tags: ["web"],
          transport: "agent",
          url: agent.url,
          keyId: agent.keyId,
          secretFile: agent.secretFile,
        })),
      ),
    );
  });

  after(async () => {
    for (const watch of running) {
      watch.child.kill("SIGKILL");
    }
    await burner?.stop();
    for (const agent of agents) {
      await agent.stop();
    }
    await emulator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function watch(route: AlarmRoute, out: string, extra: string[] = []): Watch {
    const w = WatchProcess.start<Line>({ emulator, route, hostsFile, out: join(dir, out), home: dir, args: extra });
    running.push(w);
    return w;
  }

  void it("without --auto: the plan waits, nothing runs on the host; SIGTERM exits 0", async () => {
    const route = await emulator.createAlarmRoute();
    const w = watch(route, "plain");
    const before = (await executed(agents[0])).length;
    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    const [line] = await w.until(1);
    assert.equal(line.status, "waiting-approval", w.stderr);
    assert.equal(line.alarm, "prod-web-01-cpu-high");
    assert.equal(line.host, "prod-web-01");
    const json = file(line);
    assert.ok(json.commands.length > 0 && json.commands.every((c) => c.status === null), "every command waits");
    assert.ok(json.commands.every((c) => c.risk === "read-only" || c.decision === "refused"));
    assert.match(readFileSync(line.report, "utf8"), /Plan ready: \d+ command\(s\)/);
    assert.equal((await executed(agents[0])).length, before, "the agent ran nothing");
    assert.equal(await w.stop("SIGTERM"), 0);
  });

  void it("with --auto read-only: the read-only commands run and the report names the staged culprit", async () => {
    const route = await emulator.createAlarmRoute();
    const w = watch(route, "auto", ["--auto", "read-only"]);
    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    const [line] = await w.until(1);
    assert.equal(line.status, "done", `${line.summary}\n${w.stderr}`);
    assert.ok(line.severity);
    const json = file(line);
    assert.ok(json.findings.length > 0);
    assert.ok(json.commands.every((c) => c.status !== null || c.decision === "refused"), "every allowed command ran");
    assert.ok(readFileSync(line.report, "utf8").includes(burner.name), "the report names the CPU burner");
    const ran = await executed(agents[0]);
    assert.deepEqual(ran.slice(-json.commands.filter((c) => c.status !== null && c.status !== "refused").length), json.commands.filter((c) => c.status !== null && c.status !== "refused").map((c) => c.command));
    assert.equal(await w.stop("SIGINT"), 0);
  });

  void it("with --rules: a rule that covers the plan runs it; a rule that does not leaves it waiting", async () => {
    const rules = join(dir, "rules.json");
    await writeFile(rules, JSON.stringify({ version: 1, rules: [{ id: "web-ro", scope: { tag: "web" }, command: "*", expiresAt: new Date(Date.now() + 3_600_000).toISOString() }] }));
    await chmod(rules, 0o600);
    const route = await emulator.createAlarmRoute();
    const w = watch(route, "rules", ["--rules", rules]);
    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    const [line] = await w.until(1);
    assert.equal(line.status, "done", `${line.summary}\n${w.stderr}`);
    assert.deepEqual(file(line).approvedBy, [{ id: "web-ro", command: "*", scope: "tag:web" }]);
    assert.equal(await w.stop(), 0);

    const narrow = join(dir, "narrow.json");
    await writeFile(narrow, JSON.stringify({ version: 1, rules: [{ id: "uptime-only", scope: { all: true }, command: "uptime" }] }));
    await chmod(narrow, 0o600);
    const route2 = await emulator.createAlarmRoute();
    const before = (await executed(agents[0])).length;
    const w2 = watch(route2, "narrow", ["--rules", narrow]);
    await emulator.publish(route2.topicArn, cpuAlarmMessage({ name: "prod-web-01-cpu-again", instanceId: WEB_01 }));
    const [waiting] = await w2.until(1);
    assert.equal(waiting.status, "waiting-approval");
    assert.equal((await executed(agents[0])).length, before);
    assert.equal(await w2.stop(), 0);
  });

  void it("an alarm whose instance is not in the inventory runs nothing anywhere and says how to add it", async () => {
    const route = await emulator.createAlarmRoute();
    const w = watch(route, "unknown", ["--auto", "read-only"]);
    const before = await Promise.all(agents.map(executed));
    await emulator.publishSample(route, "02-cwagent-mem-used-percent-alarm-raw.json");
    const [line] = await w.until(1);
    assert.equal(line.status, "failed");
    assert.equal(line.host, null);
    assert.match(line.summary, /"i-0f9e8d7c6b5a43210", which is not in the host inventory/);
    const after = await Promise.all(agents.map(executed));
    assert.deepEqual(
      after.map((a) => a.length),
      before.map((b) => b.length),
    );
    assert.equal(await w.stop(), 0);
  });

  void it("a storm of 50 alarms on 3 hosts: 3 triages, at most 2 at once, nothing run twice", async () => {
    const route = await emulator.createAlarmRoute();
    const before = await Promise.all(agents.map(executed));
    const instances = [WEB_01, "i-0b000000000000002", "i-0c000000000000003"];
    const base = Date.now();
    const storm = Array.from({ length: 50 }, (_, i) => cpuAlarmMessage({ name: `storm-${i}-prod-web-0${(i % 3) + 1}-cpu`, instanceId: instances[i % 3], at: new Date(base + i).toISOString() }));
    const w = watch(route, "storm", ["--auto", "read-only", "--max-concurrent", "2"]);
    await emulator.publishBatch(route.topicArn, storm);
    const lines = await w.until(3);
    assert.deepEqual(lines.map((l) => l.host).sort(), ["prod-web-01", "prod-web-02", "prod-web-03"]);
    assert.ok(lines.every((l) => l.status === "done"), JSON.stringify(lines.map((l) => [l.host, l.status, l.summary])));
    const files = lines.map(file);
    assert.equal(files.reduce((n, f) => n + 1 + f.context.length, 0), 50, "every alarm reached its host's triage");
    // At most two at once: no instant lies inside three triages.
    const spans = files.map((f) => [Date.parse(f.startedAt), Date.parse(f.finishedAt)] as const);
    for (const [start] of spans) {
      assert.ok(spans.filter(([s, e]) => s <= start && start < e).length <= 2, JSON.stringify(spans));
    }
    // Each host ran its plan once.
    const after = await Promise.all(agents.map(executed));
    for (let i = 0; i < 3; i++) {
      const ran = after[i].slice(before[i].length);
      const planned = files.find((f) => f.host === `prod-web-0${i + 1}`)!.commands.filter((c) => c.status !== null && c.status !== "refused");
      assert.deepEqual(ran, planned.map((c) => c.command), `prod-web-0${i + 1} ran its plan exactly once`);
    }
    assert.equal(await w.stop(), 0);
    assert.equal(w.lines.length, 3, "no triage after the storm");
  });

  void it("refuses a rules file others may write, with exit 2", async () => {
    const rules = join(dir, "open-rules.json");
    await writeFile(rules, JSON.stringify({ version: 1, rules: [] }));
    await chmod(rules, 0o666);
    const route = await emulator.createAlarmRoute();
    const w = watch(route, "bad-rules", ["--rules", rules]);
    assert.equal(await w.exited, 2);
    assert.match(w.stderr, /writable by every user/);
  });
});
