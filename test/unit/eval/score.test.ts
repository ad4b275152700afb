// Scoring a diagnosis against the staged culprit (eval/score.ts): the verdict (Analysis.culprit)
// first, the summary the engineer reads always; partial for neighbours, summary-only and findings;
// healthy twins; and the alarm bodies the scenarios send parse as CloudWatch alarms.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EVAL_ALARM_CONTEXT, snsAlarmBody } from "../../../eval/alarms";
import { processesIn } from "../../../eval/run";
import { SCENARIOS, type ExpectedCulprit } from "../../../eval/scenarios";
import { namedInSummary, scoreFault, scoreHealthy } from "../../../eval/score";
import { parseAlarmMessage } from "../../../src/alarms/parse";
import type { MarkdownAnalysis as Analysis, Culprit, MarkdownFinding as Finding, Resource } from "../../../src/graph/diagnosis";

function analysis(summary: string, extra: Partial<Analysis> = {}): Analysis {
  return { summary, severity: "high", findings: [], nextSteps: [], source: "runbook", fallbackReason: null, culprit: null, resources: [], checked: [], ...extra };
}

function finding(title: string, detail = ""): Finding {
  return { title, detail, severity: "medium", evidence: [], source: "parser" };
}

const ZOMBIE_PARENT: ExpectedCulprit = { kind: "parent", names: ["ledger-synch"], pids: [4242], related: ["ledger-syncre"] };
const ZOMBIES: Resource[] = ["zombies", "processes"];

const FULL_DIR: ExpectedCulprit = {
  kind: "path",
  names: ["/srv/inbox-volna/exports/inbox-9ygs", "/srv/inbox-volna/exports/inbox-9ygs/snapshot-usprfp.bin"],
  pids: [],
  related: ["/srv/inbox-volna"],
};

const known = new Set(["node", "esbuild", "ledger-synch", "ledger-syncre"]);

function parent(extra: Partial<Culprit> = {}): Culprit {
  return { resource: "zombies", kind: "parent", name: "ledger-synch", pid: 4242, detail: "50 zombie children", ...extra };
}

void describe("scoring a staged fault", () => {
  void it("named: the verdict names the culprit (name or pid) and so does the summary", () => {
    const score = scoreFault(analysis("`ledger-synch` (pid 4242) has 50 zombie children.", { culprit: parent(), resources: ["zombies"] }), ZOMBIE_PARENT, ZOMBIES, known);
    assert.equal(score.outcome, "named");
    assert.equal(score.understood, true);
    assert.equal(scoreFault(analysis("50 zombies, all children of pid 4242.", { culprit: parent({ name: "sleep" }) }), ZOMBIE_PARENT, ZOMBIES, known).outcome, "named");
  });

  void it("partial: a right verdict the summary does not state, a neighbour, or a culprit only in the summary or a finding", () => {
    assert.equal(scoreFault(analysis("There are 50 zombie processes.", { culprit: parent() }), ZOMBIE_PARENT, ZOMBIES, known).outcome, "partial");
    // ledger-syncre (the zombies) is next to the culprit; a name that only starts like it is not it.
    assert.equal(scoreFault(analysis("50 zombie `ledger-syncre`.", { culprit: parent({ kind: "process", name: "ledger-syncre", pid: 5000 }) }), ZOMBIE_PARENT, ZOMBIES, known).outcome, "partial");
    assert.equal(scoreFault(analysis("`ledger-synch` (pid 4242) leaves zombies."), ZOMBIE_PARENT, ZOMBIES, known).outcome, "partial");
    assert.equal(scoreFault(analysis("Zombie processes: 50.", { findings: [finding("`ledger-synch` (pid 4242) does not reap its children")] }), ZOMBIE_PARENT, ZOMBIES, known).outcome, "partial");
  });

  void it("partial for the mount of a full directory, named for the directory or its file", () => {
    const mount: Culprit = { resource: "disk-space", kind: "mount", name: "/srv/inbox-volna", pid: null, detail: "98% full" };
    assert.equal(scoreFault(analysis("`/srv/inbox-volna` is 98% full.", { culprit: mount }), FULL_DIR, ["disk-space"], known).outcome, "partial");
    const dir: Culprit = { resource: "disk-space", kind: "path", name: "/srv/inbox-volna/exports/inbox-9ygs/snapshot-usprfp.bin", pid: null, detail: "61M" };
    assert.equal(scoreFault(analysis("/srv/inbox-volna is 98% full: /srv/inbox-volna/exports/inbox-9ygs holds 61M.", { culprit: dir }), FULL_DIR, ["disk-space"], known).outcome, "named");
  });

  void it("confident-wrong: a verdict on something else, even when a finding is right", () => {
    const a = analysis("`node` (pid 10694) uses 85% CPU.", { culprit: { resource: "cpu", kind: "process", name: "node", pid: 10694, detail: null }, findings: [finding("`ledger-synch` (pid 4242) has 50 zombies")] });
    assert.equal(scoreFault(a, ZOMBIE_PARENT, ZOMBIES, known).outcome, "confident-wrong");
  });

  void it("confident-wrong: no verdict, but the summary the engineer reads blames a busy bystander", () => {
    const score = scoreFault(analysis("`esbuild` (pid 10713) uses 95% CPU, `node` (pid 10694) 85%; load 3.5 per core."), ZOMBIE_PARENT, ZOMBIES, known);
    assert.equal(score.outcome, "confident-wrong");
    assert.match(score.why, /esbuild/);
  });

  void it("missed: nothing named; and whether the question was understood is reported apart", () => {
    const score = scoreFault(analysis("No evidence of zombies; checked: ps.", { resources: ["cpu"] }), ZOMBIE_PARENT, ZOMBIES, known);
    assert.equal(score.outcome, "missed");
    assert.equal(score.understood, false);
  });
});

void describe("scoring a healthy twin", () => {
  const busy = { pids: new Set([10713]), names: new Set(["esbuild"]) };
  void it("any culprit named, by the verdict or the summary, is confident-wrong; nothing named is clean", () => {
    assert.equal(scoreHealthy(analysis("`node` (pid 11523) uses 41% CPU."), ZOMBIES, false, busy, known).outcome, "confident-wrong");
    assert.equal(scoreHealthy(analysis("Zombies.", { culprit: parent() }), ZOMBIES, false, busy, known).outcome, "confident-wrong");
    assert.equal(scoreHealthy(analysis("No evidence of zombies; checked: ps."), ZOMBIES, false, busy, known).outcome, "clean");
  });

  void it("a CPU question naming a process that really is busy is justified, not wrong", () => {
    const esbuild: Culprit = { resource: "cpu", kind: "process", name: "esbuild", pid: 10713, detail: "95% CPU" };
    assert.equal(scoreHealthy(analysis("`esbuild` (pid 10713) uses 95% CPU.", { culprit: esbuild }), ["cpu"], true, busy, known).outcome, "justified");
    assert.equal(scoreHealthy(analysis("`esbuild` (pid 10713) uses 95% CPU."), ZOMBIES, false, busy, known).outcome, "confident-wrong");
    assert.equal(scoreHealthy(analysis("`node` (pid 1) uses 20% CPU."), ["cpu"], true, busy, known).outcome, "confident-wrong");
  });

  void it("reads names from the summary: backticked processes, paths and addresses, and pids", () => {
    assert.deepEqual(namedInSummary("`node` (pid 12) and `/var/log` and `127.5.6.7:53`; run `vmstat`.", known), { names: ["node", "/var/log", "127.5.6.7:53"], pids: [12] });
  });
});

void describe("processes in the outputs", () => {
  void it("finds names and busy pids in top and ps tables", () => {
    const top = `top - 20:27:57 up 30 min,  0 user,  load average: 8.95, 6.84, 4.69
    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
  29692 root      10 -10 2196032  67892  41632 S 112.0   0.3   0:05.33 archive-svckw
  21050 root      20   0 1453.6g 321416 142512 R  16.0   1.3   0:20.10 chromium`;
    const ps = `    PID    PPID USER     %CPU %MEM   RSS ELAPSED STAT COMMAND
   3378       1 root     60.2  0.1  1234     100 Sl   npm ci`;
    const seen = processesIn([{ stdout: top }, { stdout: ps }]);
    assert.deepEqual([...seen.names].sort(), ["archive-svckw", "chromium", "npm ci"]);
    assert.deepEqual([...seen.busy.pids].sort((a, b) => a - b), [3378, 29692]);
  });
});

void describe("the scenarios' alarm bodies", () => {
  const facts = { hostName: "prod-api-07", instanceId: "i-0123456789abcdef0", name: "ledger-synch", port: 41234, mount: "/srv/inbox-volna", app: "ledger", nameserver: "127.5.6.7" };
  for (const scenario of SCENARIOS) {
    void it(`${scenario.id}: an SNS envelope ATL parses, about this host`, () => {
      const spec = scenario.alarm(facts);
      const parsed = parseAlarmMessage(snsAlarmBody(spec, { ...EVAL_ALARM_CONTEXT, now: new Date("2026-11-25T03:12:45.148Z") }));
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
      assert.equal(parsed.alarm.state, "ALARM");
      assert.equal(parsed.alarm.source, "sns");
      assert.equal(parsed.alarm.metric?.name, spec.metric);
      assert.equal(parsed.alarm.metric?.namespace, spec.namespace);
      assert.deepEqual(parsed.alarm.metric?.dimensions, spec.dimensions);
      assert.match(parsed.alarm.reason, /^Threshold Crossed: \d out of the last \d datapoints \[/);
      if (spec.dimensions.InstanceId) {
        assert.equal(parsed.alarm.hostId, facts.instanceId);
      }
    });
  }

  void it("every scenario asks three English and three Korean questions, and the Korean ones are Korean", () => {
    for (const scenario of SCENARIOS) {
      assert.equal(scenario.en.length, 3, scenario.id);
      assert.equal(scenario.ko.length, 3, scenario.id);
      for (const word of scenario.ko) {
        assert.match(word(facts), /[가-힣]/, scenario.id);
      }
    }
  });
});
