// Smoke run of `npm run bench` (bench/run.ts) with tiny sizes (--quick): every benchmark starts its
// real parts (agent, sshd, fauxqs, scripted LLM, fresh Node processes, code-server when installed),
// returns well-formed figures against its baselines, and the runner prints the table and writes
// results.json and BENCHMARKS.md; --only re-measures one benchmark and keeps the others. Figures are
// never asserted against time (the machine is shared); only their shape and what they must prove.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { codeServerInstalled } from "../../../bench/activation";
import { ANALYSIS_END, ANALYSIS_START, markdownText, type BenchRun } from "../../../bench/report";
import { SUITES } from "../../../bench/run";
import { runTs, type Finished } from "../../helpers/process";


function runBench(args: string[]): Promise<Finished> {
  return runTs("bench/run.ts", args);
}

void describe("npm run bench --quick (smoke)", { timeout: 30 * 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "atl-bench-smoke-"));
  const withCodeServer = codeServerInstalled();
  let first: { code: number | null; stdout: string; stderr: string };
  let run: BenchRun;

  before(async () => {
    first = await runBench(["--quick", "--out", out, ...(withCodeServer ? [] : ["--no-code-server"])]);
    run = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchRun;
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  void it("runs every benchmark to the end and prints the table", () => {
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    for (const s of SUITES) {
      assert.ok(first.stdout.includes(`${s.title} [${s.name}]`), `table block for ${s.name}`);
    }
    assert.match(first.stdout, /\d+ figures; targets: \d+ met, \d+ missed\n/);
  });

  void it("writes results.json with every row and the run's metadata", () => {
    assert.equal(run.schema, 1);
    assert.equal(run.quick, true);
    assert.ok(!Number.isNaN(Date.parse(run.date)));
    assert.equal(run.node, process.version);
    assert.match(run.commit.sha ?? "", /^[0-9a-f]{40}$/);
    assert.ok(run.machine.cpuModel.length > 0 && run.machine.cores >= 1 && run.machine.memoryMiB > 0);
    assert.equal(run.machine.loadAverageAtStart.length, 3);
    assert.deepEqual(
      run.suites.map((s) => [s.suite, s.status, s.error]),
      SUITES.map((s) => [s.name, "ok", null]),
    );
    assert.equal(run.results.length, run.suites.reduce((n, s) => n + s.results.length, 0));
    for (const r of run.results) {
      const what = `${r.suite}: ${r.name}`;
      assert.ok(r.name.length > 0 && r.unit.length > 0, what);
      assert.ok(Number.isFinite(r.value) && r.value >= 0, what);
      // A baseline comes with its ratio, and the ratio is value ÷ baseline (up to rounding).
      assert.equal(r.baseline === null, r.ratio === null, what);
      if (r.baseline !== null && r.ratio !== null && r.baseline > 0) {
        assert.ok(Math.abs(r.ratio - r.value / r.baseline) <= 0.02 * Math.max(1, r.ratio) + 0.01, `${what}: ratio ${r.ratio} vs ${r.value}/${r.baseline}`);
      }
      // A verdict exactly where there is a target.
      assert.equal(r.target === null, r.pass === null, what);
    }
  });

  void it("measures each figure the issue asks for against its baseline", () => {
    const rows = (suite: string) => run.results.filter((r) => r.suite === suite);
    const find = (suite: string, pattern: RegExp) => {
      const row = rows(suite).find((r) => pattern.test(r.name));
      assert.ok(row, `${suite}: no row matching ${pattern} in ${JSON.stringify(rows(suite).map((r) => r.name))}`);
      return row;
    };
    for (const p of ["p50", "p90", "p99"]) {
      assert.ok(find("agent", new RegExp(`uptime latency ${p}`)).baseline !== null, `agent ${p} against spawn`);
      assert.ok(find("ssh", new RegExp(`uptime latency ${p}`)).baseline !== null, `ssh ${p} against spawn`);
    }
    assert.equal(find("agent", /latency p50/).target, "≤ 1.2× spawn");
    assert.ok(find("agent", /throughput/).baseline !== null);
    assert.equal(find("policy", /checks per second, wall clock/).target, "≥ 50,000 checks/s");
    assert.equal(find("ingestion", /publish → alarm in store, p50/).target, "≤ 100 ms");
    assert.ok(find("ingestion", /storm of 1500 messages/).value > 0);
    assert.ok(find("ingestion", /peak RSS/).baseline !== null, "storm memory against the SDK alone");
    assert.ok(find("graph", /alarm → proposal ready/).target !== null);
    assert.ok(find("graph", /approval → report/).target !== null);
    assert.equal(find("activation", /extension\.js size/).target, "≤ 1,024 KiB");
    assert.equal(find("activation", /require dist\/extension\.js, median/).target, "≤ 60 ms");
    assert.ok(find("activation", /require dist\/graph\.js/).baseline !== null);
    if (withCodeServer) {
      assert.ok(find("activation", /in code-server 4\.139\.1, activate\(\)/).value >= 0);
    }
    // Diagnosis accuracy: the replay of recorded fixtures, with the targets.
    assert.equal(find("eval", /replay of .*culprit named/).target, "≥ 90 %");
    assert.equal(find("eval", /replay of .*confident-wrong/).target, "0");
    // The budget really cuts the prompt: ATL sends a small fraction of the naive prompt.
    const tokens = find("tokens", /analysis prompt/);
    assert.ok(tokens.baseline !== null && tokens.value < tokens.baseline, `${tokens.value} vs naive ${tokens.baseline}`);
  });

  void it("writes BENCHMARKS.md with the machine, the load, each table and how to reproduce", () => {
    const text = readFileSync(join(out, "BENCHMARKS.md"), "utf8");
    assert.ok(text.includes("quick run (tiny sizes; figures not representative)"));
    assert.ok(text.includes(run.machine.cpuModel));
    assert.ok(text.includes(`${run.machine.loadAverageAtStart.join(" / ")} at start`));
    for (const s of run.suites) {
      assert.ok(text.includes(`### ${s.title} (\`${s.suite}\`)`), s.suite);
    }
    for (const r of run.results) {
      assert.ok(text.includes(`| ${markdownText(r.name)} |`), r.name);
    }
    assert.ok(text.includes("## Reproduce") && text.includes("npm run bench -- --only"));
  });

  void it("--only re-measures one benchmark, keeps the others and the written analysis", async () => {
    const markdownFile = join(out, "BENCHMARKS.md");
    writeFileSync(markdownFile, readFileSync(markdownFile, "utf8").replace("_No analysis written yet._", "Hand-written: why a target was missed."));
    const again = await runBench(["--quick", "--only", "policy", "--out", out]);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.ok(again.stdout.includes("Policy check [policy]") && !again.stdout.includes("Agent execution [agent]"));
    const merged = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchRun;
    assert.deepEqual(
      merged.suites.map((s) => s.suite),
      run.suites.map((s) => s.suite),
    );
    const before = new Map(run.suites.map((s) => [s.suite, s.startedAt]));
    for (const s of merged.suites) {
      if (s.suite === "policy") {
        assert.ok(s.startedAt > before.get("policy")!, "policy was measured again");
      } else {
        assert.equal(s.startedAt, before.get(s.suite), `${s.suite} kept from the first run`);
      }
    }
    const text = readFileSync(markdownFile, "utf8");
    assert.ok(text.includes(`${ANALYSIS_START}\n\nHand-written: why a target was missed.\n\n${ANALYSIS_END}`));
  });

  void it("refuses an unknown benchmark name and lists the known ones", async () => {
    const r = await runBench(["--only", "policy,nope"]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`unknown benchmark nope; known: ${SUITES.map((s) => s.name).join(", ")}`), r.stderr);
    assert.ok(!existsSync(join(out, "results.json.tmp")));
  });
});
