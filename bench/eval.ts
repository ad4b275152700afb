// Diagnosis accuracy in `npm run bench`: the recorded fixtures (eval/fixtures) re-analysed now by
// the current code (replay: deterministic, no staging), and the figures of the last live run of
// `npm run eval` (eval/results/live.json, staged faults on a real host), each row labelled with
// where it comes from. Targets from issue 12: ≥ 90 % named and 0 confident-wrong.
//
//   node --import tsx bench/eval.ts
import { headline, tally, type EvalRun, type Headline } from "../eval/report";
import { FIXTURES_DIR, readRun, resultsFile, runReplay } from "../eval/run";
import { runAlone, round } from "./measure";
import type { BenchResult } from "./report";

const NAMED_TARGET = 0.9;

function figures(prefix: string, h: Headline): BenchResult[] {
  const share = (n: number, total: number): number => (total > 0 ? round((n / total) * 100, 1) : 0);
  const rows: BenchResult[] = [
    { name: `${prefix}: culprit named, all scenarios and questions (${h.named}/${h.total})`, value: share(h.named, h.total), unit: "%", baseline: null, ratio: null, target: "≥ 90 %", pass: h.total > 0 && h.namedShare >= NAMED_TARGET },
    { name: `${prefix}: confident-wrong verdicts (faults + healthy twins)`, value: h.confidentWrong, unit: "questions", baseline: null, ratio: null, target: "0", pass: h.confidentWrong === 0 },
  ];
  for (const [lang, label] of [
    ["alarm", "alarm bodies"],
    ["en", "English"],
    ["ko", "Korean"],
  ] as const) {
    const t = h.byLanguage[lang];
    rows.push({ name: `${prefix}: named, ${label} (${t.named}/${t.total})`, value: share(t.named, t.total), unit: "%", baseline: null, ratio: null, target: null, pass: null });
  }
  rows.push({
    name: `${prefix}: healthy twins with a culprit named (of ${h.healthy.total}; busy-CPU verdicts apart: ${h.healthy.justified})`,
    value: h.healthy.wrong,
    unit: "questions",
    baseline: null,
    ratio: null,
    target: null,
    pass: null,
  });
  return rows;
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

export async function benchEval(options: { only?: string[] } = {}): Promise<BenchResult[]> {
  const started = performance.now();
  const replay = await runReplay({ fixtures: FIXTURES_DIR, only: options.only ?? null, langs: ["alarm", "en", "ko"], healthy: true });
  const elapsed = performance.now() - started;
  if (replay.fixtures.length === 0) {
    throw new Error(`no fixtures in ${FIXTURES_DIR}: record them with npm run eval -- --record (as root)`);
  }
  const recorded = replay.fixtures.map((f) => f.recordedAt).sort();
  const run: EvalRun = {
    schema: 1,
    mode: "replay",
    date: new Date().toISOString(),
    command: "npm run bench",
    durationSec: Math.round(elapsed / 1000),
    machine: { cpuModel: "", cores: 0, memoryMiB: 0, os: "", kernel: "", loadAverageAtStart: [0, 0, 0] },
    commit: { sha: null, uncommittedFiles: null },
    agentUser: "",
    recorded: { oldest: recorded[0], newest: recorded[recorded.length - 1] },
    scenarios: replay.statuses,
    results: replay.results,
  };
  const first = day(recorded[0] ?? "");
  const last = day(recorded[recorded.length - 1] ?? "");
  const results = figures(`replay of ${replay.fixtures.length} scenarios recorded ${first === last ? first : `${first}–${last}`}`, headline(run));
  const questions = replay.results.length;
  results.push({
    name: `replay: analysis time per question (${questions} questions, graph + runbooks, no host)`,
    value: round(elapsed / Math.max(1, questions), 1),
    unit: "ms",
    baseline: null,
    ratio: null,
    target: null,
    pass: null,
  });
  const stale = replay.results.filter((r) => r.notRecorded.length > 0).length;
  if (stale > 0) {
    results.push({ name: "replay: questions whose plan asked for commands the fixtures lack (record again)", value: stale, unit: "questions", baseline: null, ratio: null, target: "0", pass: false });
  }
  const live = await readRun(resultsFile("live"));
  if (live) {
    const t = tally(live.results);
    if (t.total > 0) {
      results.push(...figures(`last live run (${day(live.date)}, ${live.scenarios.filter((s) => s.staged).length} scenarios staged, agent as ${live.agentUser})`, headline(live)));
    }
  }
  return results;
}

if (require.main === module) {
  runAlone(() => benchEval());
}
