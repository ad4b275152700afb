// What an evaluation run produces: one result per question, tallies per scenario and language,
// the terminal table, the Markdown table of docs/diagnosis.md, and the JSON record
// (eval/results/<mode>.json) that `npm run bench` and the integration tests read.
import type { CommitInfo, MachineInfo } from "../bench/report";
import type { HealthyOutcome, Outcome } from "./score";
import type { AskLanguage } from "./scenarios";

export const RESULT_SCHEMA = 1;

export interface QuestionResult {
  scenario: string;
  condition: "fault" | "healthy";
  /** Question id within the scenario, e.g. "en-2". */
  ask: string;
  lang: AskLanguage;
  /** The words, or the alarm's name. */
  question: string;
  outcome: Outcome | HealthyOutcome;
  verdict: string | null;
  why: string;
  /** The analysis's resources include what the fault is about (null: the analysis gave none). */
  understood: boolean | null;
  summary: string;
  severity: string | null;
  status: string;
  /** Commands the diagnosis ran. */
  commands: number;
  /** Replay: commands the plan asked for that the recording does not have. */
  notRecorded: string[];
  errors: string[];
  durationMs: number;
}

export interface ScenarioStatus {
  id: string;
  title: string;
  fault: string;
  /** False when the fault could not be staged here (with the reason); a replay: whether a fixture exists. */
  staged: boolean;
  reason: string | null;
}

export interface EvalRun {
  schema: typeof RESULT_SCHEMA;
  mode: "live" | "replay";
  date: string;
  command: string;
  durationSec: number;
  machine: MachineInfo;
  commit: CommitInfo;
  /** The user the agent ran as (live), or the recordings' (replay). */
  agentUser: string;
  /** Replay: when the fixtures were recorded (oldest, newest). */
  recorded: { oldest: string; newest: string } | null;
  scenarios: ScenarioStatus[];
  results: QuestionResult[];
}

export interface Tally {
  named: number;
  partial: number;
  missed: number;
  wrong: number;
  total: number;
}

export interface HealthyTally {
  clean: number;
  wrong: number;
  justified: number;
  total: number;
}

export function tally(results: QuestionResult[]): Tally {
  const fault = results.filter((r) => r.condition === "fault");
  return {
    named: fault.filter((r) => r.outcome === "named").length,
    partial: fault.filter((r) => r.outcome === "partial").length,
    missed: fault.filter((r) => r.outcome === "missed").length,
    wrong: fault.filter((r) => r.outcome === "confident-wrong").length,
    total: fault.length,
  };
}

export function healthyTally(results: QuestionResult[]): HealthyTally {
  const healthy = results.filter((r) => r.condition === "healthy");
  return {
    clean: healthy.filter((r) => r.outcome === "clean").length,
    wrong: healthy.filter((r) => r.outcome === "confident-wrong").length,
    justified: healthy.filter((r) => r.outcome === "justified").length,
    total: healthy.length,
  };
}

export interface Headline {
  /** Named share of fault questions, 0–1. */
  namedShare: number;
  named: number;
  total: number;
  /** Confident-wrong on faults plus on healthy twins. */
  confidentWrong: number;
  byLanguage: Record<AskLanguage, Tally>;
  healthy: HealthyTally;
  /** Fault questions whose analysis named the fault's resource among its resources (of those that gave resources). */
  understood: { yes: number; of: number };
}

export function headline(run: EvalRun): Headline {
  const all = tally(run.results);
  const healthy = healthyTally(run.results);
  const byLanguage = Object.fromEntries((["alarm", "en", "ko"] as const).map((lang) => [lang, tally(run.results.filter((r) => r.lang === lang))])) as Record<AskLanguage, Tally>;
  const judged = run.results.filter((r) => r.condition === "fault" && r.understood !== null && r.understood !== undefined);
  return {
    namedShare: all.total > 0 ? all.named / all.total : 0,
    named: all.named,
    total: all.total,
    confidentWrong: all.wrong + healthy.wrong,
    byLanguage,
    healthy,
    understood: { yes: judged.filter((r) => r.understood).length, of: judged.length },
  };
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)} %` : "–";
}

/** "2/3" named of the language's fault questions, with the non-named outcomes spelled out. */
function cell(t: Tally): string {
  if (t.total === 0) {
    return "–";
  }
  const others = [t.partial ? `${t.partial}P` : "", t.missed ? `${t.missed}M` : "", t.wrong ? `${t.wrong}W` : ""].filter(Boolean).join(" ");
  return `${t.named}/${t.total}${others ? ` ${others}` : ""}`;
}

function healthyCell(t: HealthyTally): string {
  if (t.total === 0) {
    return "–";
  }
  return `${t.clean}/${t.total} clean${t.wrong ? `, ${t.wrong} wrong` : ""}${t.justified ? `, ${t.justified} busy-CPU` : ""}`;
}

interface Row {
  scenario: string;
  alarm: string;
  en: string;
  ko: string;
  all: Tally;
  healthy: string;
}

function rows(run: EvalRun): Row[] {
  return run.scenarios.map((s) => {
    const own = run.results.filter((r) => r.scenario === s.id);
    const lang = (l: AskLanguage): string => cell(tally(own.filter((r) => r.lang === l)));
    return { scenario: s.staged ? s.title : `${s.title} (not staged: ${s.reason ?? "?"})`, alarm: lang("alarm"), en: lang("en"), ko: lang("ko"), all: tally(own), healthy: healthyCell(healthyTally(own)) };
  });
}

/** The table for the terminal. */
export function renderText(run: EvalRun): string {
  const table = rows(run);
  const head = ["scenario", "alarm", "en", "ko", "named", "partial", "missed", "wrong", "healthy twin"];
  const body = table.map((r) => [r.scenario, r.alarm, r.en, r.ko, String(r.all.named), String(r.all.partial), String(r.all.missed), String(r.all.wrong), r.healthy]);
  const h = headline(run);
  const total = tally(run.results);
  body.push(["all", cell(h.byLanguage.alarm), cell(h.byLanguage.en), cell(h.byLanguage.ko), String(total.named), String(total.partial), String(total.missed), String(total.wrong), healthyCell(h.healthy)]);
  const widths = head.map((_, i) => Math.max(head[i].length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.slice(0, -1).map(line), widths.map((w) => "-".repeat(w)).join("  "), line(body[body.length - 1])];
  out.push(
    "",
    `${run.mode === "live" ? "Live" : "Replay"}: ${h.named}/${h.total} named (${percent(h.named, h.total)}), confident-wrong ${total.wrong} on faults + ${h.healthy.wrong} on healthy twins` +
      `${h.healthy.justified ? ` (${h.healthy.justified} busy-CPU verdicts on healthy twins not counted)` : ""}.`,
    `Per language: alarm ${percent(h.byLanguage.alarm.named, h.byLanguage.alarm.total)}, English ${percent(h.byLanguage.en.named, h.byLanguage.en.total)}, Korean ${percent(h.byLanguage.ko.named, h.byLanguage.ko.total)} named.`,
    `Understood (the analysis's resources include the fault's): ${h.understood.yes}/${h.understood.of} fault questions.`,
    "Cells: named/questions, then P partial, M missed, W confident-wrong.",
  );
  const stale = run.results.filter((r) => r.notRecorded.length > 0);
  if (stale.length > 0) {
    out.push(`${stale.length} replayed question(s) asked for commands the fixtures do not have (answered "not recorded"): record again with --record.`);
  }
  return out.join("\n");
}

function md(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** The table for docs/diagnosis.md and BENCHMARKS.md. */
export function renderMarkdown(run: EvalRun): string {
  const h = headline(run);
  const total = tally(run.results);
  const lines = [
    "| Scenario | Alarm | English | Korean | Named | Partial | Missed | Confident-wrong | Healthy twin |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows(run).map((r) => `| ${md(r.scenario)} | ${r.alarm} | ${r.en} | ${r.ko} | ${r.all.named} | ${r.all.partial} | ${r.all.missed} | ${r.all.wrong} | ${r.healthy} |`),
    `| **All** | ${cell(h.byLanguage.alarm)} | ${cell(h.byLanguage.en)} | ${cell(h.byLanguage.ko)} | **${total.named}** (${percent(total.named, total.total)}) | ${total.partial} | ${total.missed} | **${total.wrong}** | ${healthyCell(h.healthy)} |`,
  ];
  return lines.join("\n");
}
