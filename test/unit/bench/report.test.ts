// The benchmark report (bench/report.ts): the terminal table, the merge of a partial run into the
// last results, and BENCHMARKS.md (machine, load, table, missed targets, the kept analysis).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANALYSIS_END,
  ANALYSIS_START,
  formatNumber,
  keptAnalysis,
  markdownText,
  mergeRun,
  parseRun,
  renderMarkdown,
  renderTable,
  tally,
  type BenchRun,
  type SuiteRecord,
} from "../../../bench/report";

function suite(name: string, results: SuiteRecord["results"], extra: Partial<SuiteRecord> = {}): SuiteRecord {
  return {
    suite: name,
    title: `${name} title`,
    options: { iterations: 5 },
    startedAt: "2026-11-25T06:00:00.000Z",
    durationSec: 12.3,
    loadAverageAtStart: [3.5, 2, 1],
    commit: "a".repeat(40),
    quick: false,
    status: "ok",
    error: null,
    results,
    ...extra,
  };
}

const AGENT = suite("agent", [
  { name: "agent: p50 | keep-alive", value: 1.234, unit: "ms", baseline: 1.1, ratio: 1.12, target: "≤ 1.2× spawn", pass: true },
  { name: "agent: throughput", value: 141234.7, unit: "cmd/s", baseline: 150000, ratio: 0.94, target: "≥ 0.9× spawn", pass: true },
]);
const POLICY = suite("policy", [{ name: "policy: checks/s", value: 41000, unit: "checks/s", baseline: null, ratio: null, target: "≥ 50,000 checks/s", pass: false }]);
const FAILED = suite("ingestion", [], { status: "failed", error: "fauxqs did not start" });

const RUN_META: Omit<BenchRun, "suites" | "results"> = {
  schema: 1,
  date: "2026-11-25T06:30:00.000Z",
  command: "npm run bench",
  quick: false,
  machine: { cpuModel: "Test CPU @ 2.0GHz", cores: 2, memoryMiB: 7900, os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0", loadAverageAtStart: [3.5, 2, 1] },
  node: "v20.20.2",
  commit: { sha: "b".repeat(40), uncommittedFiles: 3 },
  durationSec: 200,
  loadAverageAtEnd: [2, 2, 1],
};

void describe("bench report", () => {
  void it("formats figures for people: thousands separators, no float noise", () => {
    assert.equal(formatNumber(141234.7), "141,235");
    assert.equal(formatNumber(0.1 + 0.2), "0.3");
    assert.equal(formatNumber(1.234), "1.234");
    assert.equal(formatNumber(965.7), "965.7");
  });

  void it("prints one aligned block per benchmark with value, baseline, ratio, target and verdict", () => {
    const table = renderTable([AGENT, POLICY, FAILED]);
    const lines = table.split("\n");
    const p50 = lines.find((l) => l.includes("agent: p50"));
    assert.ok(p50, table);
    assert.match(p50, /1\.234 ms\s+1\.1 ms\s+1\.12×\s+≤ 1\.2× spawn\s+pass/);
    assert.match(lines.find((l) => l.includes("agent: throughput")) ?? "", /141,235 cmd\/s\s+150,000 cmd\/s\s+0\.94×/);
    assert.match(lines.find((l) => l.includes("policy: checks/s")) ?? "", /41,000 checks\/s\s+≥ 50,000 checks\/s\s+MISSED/);
    assert.ok(table.includes("FAILED: fauxqs did not start"));
    // Columns line up: every row of a block starts its value column at the same offset.
    const header = lines.find((l) => l.trimStart().startsWith("benchmark"));
    assert.ok(header);
    const valueEnd = header.indexOf("value") + "value".length;
    assert.ok(valueEnd > 0);
    assert.ok(lines.filter((l) => l.includes("agent:")).every((l) => l.length >= valueEnd));
    assert.deepEqual(tally([AGENT, POLICY, FAILED]), { rows: 3, met: 2, missed: 1, failedSuites: 1 });
  });

  void it("keeps the other benchmarks of the last run when only some are measured, in the runner's order", () => {
    const previous = mergeRun(RUN_META, [AGENT, POLICY], null, ["agent", "policy"]);
    const newPolicy = suite("policy", [{ ...POLICY.results[0], value: 60000, pass: true }], { startedAt: "2026-11-25T07:00:00.000Z" });
    const merged = mergeRun({ ...RUN_META, date: "2026-11-25T07:00:00.000Z" }, [newPolicy], previous, ["agent", "ssh", "policy"]);
    assert.deepEqual(
      merged.suites.map((s) => [s.suite, s.startedAt]),
      [
        ["agent", "2026-11-25T06:00:00.000Z"],
        ["policy", "2026-11-25T07:00:00.000Z"],
      ],
    );
    assert.deepEqual(
      merged.results.map((r) => [r.suite, r.name, r.value]),
      [
        ["agent", "agent: p50 | keep-alive", 1.234],
        ["agent", "agent: throughput", 141234.7],
        ["policy", "policy: checks/s", 60000],
      ],
    );
    // Quick figures are never mixed into a full run.
    const quick = mergeRun({ ...RUN_META, quick: true }, [suite("ssh", [], { quick: true })], previous, ["agent", "ssh", "policy"]);
    assert.deepEqual(
      quick.suites.map((s) => s.suite),
      ["ssh"],
    );
  });

  void it("reads back only its own results files", () => {
    const run = mergeRun(RUN_META, [AGENT], null, ["agent"]);
    assert.deepEqual(parseRun(JSON.stringify(run)), run);
    assert.equal(parseRun('{"results": []}'), null);
    assert.equal(parseRun("not json"), null);
  });

  void it("writes BENCHMARKS.md with the machine, its load, every row, missed targets and how to reproduce", () => {
    const run = mergeRun(RUN_META, [AGENT, POLICY, FAILED], null, ["agent", "policy", "ingestion"]);
    const text = renderMarkdown(run, { agent: "What the agent figures mean." }, null);
    assert.ok(text.includes("Test CPU @ 2.0GHz, 2 cores"), text);
    assert.ok(text.includes("3.5 / 2 / 1 at start"));
    assert.ok(text.includes("the machine was shared and busy"), "load above the core count is called out");
    assert.ok(text.includes("v20.20.2"));
    assert.ok(text.includes("`bbbbbbbbbbbb`"));
    assert.ok(text.includes("| Benchmark | Value | Baseline | Ratio | Target | Result |"));
    // A | in a name cannot break the table.
    assert.ok(text.includes("| agent: p50 \\| keep-alive | 1.234 ms | 1.1 ms | 1.12× | ≤ 1.2× spawn | pass |"), text);
    assert.ok(text.includes("| policy: checks/s | 41,000 checks/s |  |  | ≥ 50,000 checks/s | **missed** |"));
    assert.ok(text.includes("What the agent figures mean."));
    assert.ok(text.includes("**This benchmark failed:** fauxqs did not start"));
    assert.match(text, /## Targets missed in this run\n\n- policy: checks\/s: 41,000 checks\/s, target ≥ 50,000 checks\/s \(load average 3\.5/);
    assert.ok(text.includes("npm run bench -- --only"));
    assert.ok(text.includes("2 met, 1 missed"));
  });

  void it("keeps targets readable in Markdown while nothing can open a tag or end a cell", () => {
    assert.equal(markdownText("peak RSS < 80 MB"), "peak RSS < 80 MB");
    assert.equal(markdownText("a <script>x</script> | b"), "a &lt;script>x&lt;/script> \\| b");
    assert.equal(markdownText("two\nlines"), "two lines");
  });

  void it("keeps the written analysis when BENCHMARKS.md is regenerated", () => {
    const run = mergeRun(RUN_META, [AGENT], null, ["agent"]);
    const first = renderMarkdown(run, {}, null);
    assert.ok(first.includes(ANALYSIS_START) && first.includes(ANALYSIS_END));
    const edited = first.replace("_No analysis written yet._", "The policy misses its target because the machine was busy.");
    const second = renderMarkdown(run, {}, keptAnalysis(edited));
    assert.ok(second.includes("The policy misses its target because the machine was busy."));
    assert.equal(keptAnalysis("no markers here"), null);
  });
});
