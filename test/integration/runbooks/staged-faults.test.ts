// The evaluation's fast subset (the full one is `npm run eval`): real faults staged on this machine
// under random names (test/helpers/faults.ts) and diagnosed offline through the real diagnosis
// service and the real agent process, as the evaluation does; every staged fault is undone on every
// path (stop, SIGTERM, a SIGKILLed stager swept later). And a replay of every recorded fixture
// (eval/fixtures) with the current analysis: no question may turn confidently wrong, and the named
// count may not fall below what eval/results/replay.json has committed. The ≥ 90 % target lives in
// `npm run eval`, not here, so the team is not blocked while the rules improve.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCommandPolicy } from "../../../agent/src/policy/index";
import { EVAL_ALARM_CONTEXT, snsAlarmBody } from "../../../eval/alarms";
import { diagnoseQuestion, type Question } from "../../../eval/diagnose";
import { headline, tally } from "../../../eval/report";
import { FIXTURES_DIR, processesIn, readRun, resultsFile, runReplay } from "../../../eval/run";
import { SCENARIOS, unavailable, type Facts, type StageEnv, type StagedCondition } from "../../../eval/scenarios";
import { scoreFault } from "../../../eval/score";
import { RESOURCES } from "../../../src/graph/diagnosis";
import { resourceCommands, snapshotCommands } from "../../../src/graph/runbooks/catalog";
import { HostDirectory } from "../../../src/hosts/directory";
import type { AgentHostEntry } from "../../../src/hosts/model";
import { silentLogger } from "../../../src/shared/log";
import { AgentTransport } from "../../../src/transports/agent";
import { startAgent, type RunningAgent } from "../../helpers/agent";
import { LEDGER_DIR, sweepLeftovers } from "../../helpers/faults";
import { eventually } from "../../helpers/eventually";
import { plainText } from "../../../src/shared/richText";

const policy = createCommandPolicy();
const root = process.getuid?.() === 0;
const env: StageEnv = { programRoot: undefined, dataRoot: undefined };
const identity = { hostName: "prod-eval-01", instanceId: "i-0e7a1c9b2d4f60813" };

function processNames(): string[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, "utf8").trim();
      } catch {
        return "";
      }
    });
}

function mounted(path: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((l) => l.split(" ")[4] === path);
}

void describe("staged faults diagnosed through the real agent (fast subset of npm run eval)", { timeout: 900_000 }, () => {
  let agent: RunningAgent;
  let directory: HostDirectory;
  let entry: AgentHostEntry;

  before(async () => {
    sweepLeftovers();
    agent = await startAgent({ limits: { maxTimeoutSec: 120 } });
    entry = { id: identity.hostName, name: identity.hostName, aliases: [identity.instanceId], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile };
    directory = new HostDirectory([entry], { get: () => Promise.resolve(undefined) }, { policy, logger: silentLogger });
  });
  after(async () => {
    directory?.dispose();
    await agent?.stop();
  });

  void it("every runbook command is accepted by the agent and finds its tool on this Debian host", async () => {
    const transport = new AgentTransport({ host: entry, secret: agent.secret, policy, logger: silentLogger });
    try {
      const target = { path: "/var", service: "atl-none", process: "atl-none", pid: process.pid };
      const planned = [...snapshotCommands(), ...RESOURCES.flatMap((resource) => resourceCommands(resource, target))];
      const commands = [...new Set(planned.map((c) => c.command))];
      const results = await transport.exec(commands, { timeoutSec: 60 });
      // The time daemon is the host's choice (chrony, systemd-timesyncd, ntpd): this Debian test host
      // has no chrony, and the analysis says it could not check then. Every other tool must be here.
      const optional = new Set(["chronyc"]);
      for (const r of results) {
        assert.equal(r.decision, "allowed", `${r.command}: ${r.reason}`);
        if (r.exitCode === 127 && optional.has(r.command.split(" ")[0])) {
          continue;
        }
        assert.notEqual(r.exitCode, 127, `${r.command}: tool missing (${r.stderr.trim()})`);
        assert.ok(!r.timedOut, `${r.command} timed out`);
      }
    } finally {
      transport.dispose();
    }
  });

  /** What must be true on the host while the fault is staged, and gone after. */
  const checks: Record<string, { present(staged: StagedCondition): void; absent(staged: StagedCondition): void }> = {
    zombies: {
      present: (s) => {
        const parent = Number(s.culprit?.pids[0]);
        const zombies = spawnSync("ps", ["-o", "stat=", "--ppid", String(parent)], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.startsWith("Z"));
        assert.equal(zombies.length, 50, "the parent has 50 zombie children");
      },
      absent: (s) => assert.ok(!processNames().includes(String(s.facts.name)) && !processNames().includes(String(s.facts.children)), "parent and zombies are gone"),
    },
    "dead-listener": {
      present: (s) => assert.ok(!spawnSync("ss", ["-ltn"], { encoding: "utf8" }).stdout.includes(`:${s.facts.port} `), "nothing listens on the port"),
      absent: (s) => assert.ok(!processNames().includes(String(s.facts.name))),
    },
    "full-filesystem": {
      present: (s) => {
        const df = spawnSync("df", ["-P", String(s.facts.mount)], { encoding: "utf8" }).stdout;
        assert.match(df, /\s9[5-9]%\s/, df);
      },
      absent: (s) => assert.ok(!mounted(String(s.facts.mount)) && !existsSync(String(s.facts.mount)), "unmounted and removed"),
    },
    "connection-hog": {
      present: (s) => {
        const established = spawnSync("ss", ["-tnH", "state", "established", "src", String(s.facts.from)], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
        assert.equal(established.length, 2000, "the client holds 2000 connections");
      },
      absent: (s) => assert.ok(!processNames().includes(String(s.facts.client)) && !processNames().includes(String(s.facts.service))),
    },
  };

  for (const id of Object.keys(checks)) {
    const scenario = SCENARIOS.find((s) => s.id === id)!;
    void it(`${scenario.title}: staged under random names, diagnosed from its alarm and in English and Korean, then removed`, async (t) => {
      const made = await scenario.stage(env);
      if (unavailable(made)) {
        assert.ok(!root, `as root every fast-subset fault can be staged: ${made.reason}`);
        t.skip(made.reason);
        return;
      }
      try {
        checks[id].present(made);
        const facts: Facts = { ...identity, ...made.facts };
        const questions: Question[] = [
          { id: `${id}-alarm`, lang: "alarm", text: null, alarmBody: snsAlarmBody(scenario.alarm(facts), { ...EVAL_ALARM_CONTEXT, now: new Date() }) },
          { id: `${id}-en`, lang: "en", text: scenario.en[0](facts), alarmBody: null },
          { id: `${id}-ko`, lang: "ko", text: scenario.ko[0](facts), alarmBody: null },
        ];
        for (const question of questions) {
          const outcome = await diagnoseQuestion({ question, hosts: [entry], hostId: entry.id, policy, transport: (host) => directory.transport(host) });
          assert.equal(outcome.status, "done", `${question.id}: ${outcome.errors.join("; ")}`);
          assert.ok(outcome.analysis, question.id);
          assert.ok(outcome.runs.length > 0 && outcome.runs.every((r) => r.status !== "refused"), `${question.id}: read-only commands ran`);
          if (question.lang === "ko") {
            assert.match(plainText(outcome.analysis.summary), /[가-힣]/, "a Korean question gets a Korean summary");
          }
          const score = scoreFault(outcome.analysis, made.culprit!, scenario.resources, processesIn(outcome.runs).names);
          // The target is measured by npm run eval; here the outcome is shown, not asserted.
          t.diagnostic(`${question.id}: ${score.outcome} — ${plainText(outcome.analysis.summary)}`);
        }
      } finally {
        await made.stop();
      }
      checks[id].absent(made);
    });
  }
});

void describe("a staged fault is removed on every path", { timeout: 300_000 }, () => {
  // A stager in a child process: it stages a zombie parent and a full file system, says "staged",
  // and waits. `handlers` installs the SIGTERM clean-up.
  const stager = (handlers: boolean): string => `
    const f = require(${JSON.stringify(join(__dirname, "..", "..", "helpers", "faults.ts"))});
    (async () => {
      ${handlers ? "f.installCleanupHandlers();" : ""}
      const z = await f.startZombieParent(5);
      const fs = await f.stageFullFilesystem({ sizeMiB: 8 });
      process.stdout.write("staged " + JSON.stringify({ name: z.name, mount: fs.staged ? fs.mountPoint : null }) + "\\n");
      setInterval(() => {}, 1000);
    })();`;

  async function startStager(handlers: boolean): Promise<{ pid: number; name: string; mount: string | null; exited: Promise<void>; kill(signal: NodeJS.Signals): void }> {
    const child = spawn(process.execPath, ["--import", "tsx", "-e", stager(handlers)], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const staged = await new Promise<{ name: string; mount: string | null }>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /^staged (.*)$/m.exec(out);
        if (m) {
          resolve(JSON.parse(m[1]) as { name: string; mount: string | null });
        }
      });
      child.once("exit", (code) => reject(new Error(`the stager exited (${code}) before staging`)));
    });
    return { pid: child.pid!, ...staged, exited, kill: (signal) => child.kill(signal) };
  }

  void it("SIGTERM: the stager's handlers remove its faults before it exits", async () => {
    const s = await startStager(true);
    assert.ok(processNames().includes(s.name));
    s.kill("SIGTERM");
    await s.exited;
    await eventually(() => !processNames().includes(s.name), 60_000, "the zombie parent is gone");
    if (s.mount) {
      assert.ok(!mounted(s.mount) && !existsSync(s.mount), "the file system is unmounted and removed");
    }
    assert.ok(!existsSync(join(LEDGER_DIR, `${s.pid}.json`)), "its ledger is gone");
  });

  void it("SIGKILL: what the dead stager left is swept by the next run", async () => {
    const s = await startStager(false);
    s.kill("SIGKILL");
    await s.exited;
    if (s.mount) {
      assert.ok(mounted(s.mount), "a SIGKILLed stager cannot clean up: the mount is still there");
    }
    const swept = sweepLeftovers();
    assert.ok(swept.length > 0, "the sweeper found the dead stager's ledger");
    await eventually(() => !processNames().includes(s.name), 60_000, "the zombie parent is gone");
    if (s.mount) {
      assert.ok(!mounted(s.mount) && !existsSync(s.mount), "the file system is unmounted and removed");
    }
    assert.ok(!existsSync(join(LEDGER_DIR, `${s.pid}.json`)), "its ledger is gone");
  });
});

void describe("replay of every recorded fixture (eval/fixtures) with the current analysis", { timeout: 600_000 }, () => {
  void it("no question turns confidently wrong, and the named count does not fall below the committed record", async (t) => {
    const committed = await readRun(resultsFile("replay"));
    const replay = await runReplay({ fixtures: FIXTURES_DIR, only: null, langs: ["alarm", "en", "ko"], healthy: true });
    assert.ok(replay.fixtures.length > 0, `no fixtures in ${FIXTURES_DIR}`);
    const now = tally(replay.results);
    t.diagnostic(`replay: ${now.named}/${now.total} named, ${now.partial} partial, ${now.missed} missed, ${now.wrong} confident-wrong; healthy twins: ${replay.results.filter((r) => r.condition === "healthy" && r.outcome === "confident-wrong").length} confident-wrong`);
    if (!committed) {
      t.diagnostic("no committed eval/results/replay.json to compare with");
      return;
    }
    const key = (r: { scenario: string; condition: string; ask: string }): string => `${r.scenario}/${r.condition}/${r.ask}`;
    const wasWrong = new Set(committed.results.filter((r) => r.outcome === "confident-wrong").map(key));
    const newlyWrong = replay.results.filter((r) => r.outcome === "confident-wrong" && !wasWrong.has(key(r)));
    assert.deepEqual(
      newlyWrong.map((r) => `${key(r)}: ${r.verdict ?? ""} — ${r.summary}`),
      [],
      "questions that now name a wrong culprit (run npm run eval -- --replay to see them all)",
    );
    const before = headline(committed);
    assert.ok(
      now.named >= before.named,
      `named fell from ${before.named} to ${now.named} of ${now.total}: ` +
        replay.results
          .filter((r) => r.outcome !== "named" && committed.results.some((c) => key(c) === key(r) && c.outcome === "named"))
          .map((r) => `${key(r)} is now ${r.outcome}`)
          .join("; ") +
        ". If the plan changed, record the fixtures again (npm run eval -- --record, as root); then commit eval/results/replay.json (npm run eval -- --replay).",
    );
  });

  void it("0 confident-wrong over every fixture, faults and healthy twins (issue 12's target)", async () => {
    const replay = await runReplay({ fixtures: FIXTURES_DIR, only: null, langs: ["alarm", "en", "ko"], healthy: true });
    const wrong = replay.results.filter((r) => r.outcome === "confident-wrong");
    assert.equal(
      wrong.length,
      0,
      `${wrong.length} confident-wrong, e.g. ${wrong
        .slice(0, 3)
        .map((r) => `${r.scenario}/${r.condition}/${r.ask}: ${r.why}`)
        .join("; ")} (npm run eval -- --replay lists them all)`,
    );
  });
});
