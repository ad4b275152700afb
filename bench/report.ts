// What a benchmark run produces: the table printed to the terminal, bench/results.json (every row
// plus the run's metadata: date, machine, load, Node, commit) and BENCHMARKS.md. Pure functions
// over the run record, except the two that read the machine and the git commit.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** One figure. `baseline` is measured in the same run; `ratio` = value / baseline. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: string | null;
  pass: boolean | null;
}

export type LoadAverage = [number, number, number];

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryMiB: number;
  os: string;
  kernel: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverageAtStart: LoadAverage;
}

export interface CommitInfo {
  sha: string | null;
  /** Files with uncommitted changes in the checkout when the run started (others' work too). */
  uncommittedFiles: number | null;
}

/** One benchmark module's part of a run. */
export interface SuiteRecord {
  suite: string;
  title: string;
  options: Record<string, number | boolean | string>;
  startedAt: string;
  durationSec: number;
  loadAverageAtStart: LoadAverage;
  commit: string | null;
  quick: boolean;
  status: "ok" | "failed";
  error: string | null;
  results: BenchResult[];
}

export interface BenchRun {
  schema: 1;
  /** When this run started (ISO 8601, UTC). */
  date: string;
  /** The command line, e.g. `npm run bench -- --only policy`. */
  command: string;
  quick: boolean;
  machine: MachineInfo;
  node: string;
  commit: CommitInfo;
  durationSec: number;
  loadAverageAtEnd: LoadAverage;
  /** Suites in the order of the runner; with `--only`, the others are carried over from the last run. */
  suites: SuiteRecord[];
  /** Every row of every suite, flat, for tools. */
  results: (BenchResult & { suite: string })[];
}

export function loadAverage(): LoadAverage {
  const [a, b, c] = os.loadavg();
  return [round2(a), round2(b), round2(c)];
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function distroName(): string {
  try {
    const line = readFileSync("/etc/os-release", "utf8")
      .split("\n")
      .find((l) => l.startsWith("PRETTY_NAME="));
    if (line) {
      return line.slice("PRETTY_NAME=".length).replace(/^"|"$/g, "");
    }
  } catch {
    // Not Linux, or no os-release: fall back to the platform name.
  }
  return `${os.platform()} ${os.arch()}`;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    os: distroName(),
    kernel: os.release(),
    loadAverageAtStart: loadAverage(),
  };
}

export function commitInfo(cwd: string): CommitInfo {
  const git = (args: string[]): string | null => {
    const r = spawnSync("git", args, { cwd, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const sha = git(["rev-parse", "HEAD"]);
  const status = git(["status", "--porcelain", "--untracked-files=no"]);
  return { sha, uncommittedFiles: status === null ? null : status.split("\n").filter(Boolean).length };
}

/**
 * The run to write: this run's suites, and with `--only` the other suites of the previous run
 * (each keeps its own date, load and commit), in the runner's order.
 */
export function mergeRun(run: Omit<BenchRun, "suites" | "results">, measured: SuiteRecord[], previous: BenchRun | null, order: string[]): BenchRun {
  const bySuite = new Map<string, SuiteRecord>();
  for (const s of previous?.suites ?? []) {
    // A quick run's figures are not comparable to a full run's: never carried into a full one.
    if (s.quick === run.quick) {
      bySuite.set(s.suite, s);
    }
  }
  for (const s of measured) {
    bySuite.set(s.suite, s);
  }
  const rank = (name: string): number => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  const suites = [...bySuite.values()].sort((a, b) => rank(a.suite) - rank(b.suite));
  return { ...run, suites, results: suites.flatMap((s) => s.results.map((r) => ({ suite: s.suite, ...r }))) };
}

/** Parses a results.json written by an earlier run; null when absent or not ours. */
export function parseRun(text: string): BenchRun | null {
  try {
    const value = JSON.parse(text) as Partial<BenchRun>;
    return value.schema === 1 && Array.isArray(value.suites) ? (value as BenchRun) : null;
  } catch {
    return null;
  }
}

// ---- formatting ----

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (Math.abs(value) >= 1000) {
    return Math.round(value).toLocaleString("en-US");
  }
  // Suites round their figures; trim float noise without inventing precision.
  return String(Number(value.toPrecision(4)));
}

export function formatValue(value: number, unit: string): string {
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

export function formatRatio(ratio: number | null): string {
  return ratio === null ? "" : `${formatNumber(ratio)}×`;
}

export function verdict(pass: boolean | null): string {
  return pass === null ? "" : pass ? "pass" : "MISSED";
}

function suiteLine(s: SuiteRecord): string {
  const load = s.loadAverageAtStart.join(" / ");
  return `${s.durationSec.toFixed(0)} s, load average ${load} at start, ${s.startedAt.replace("T", " ").slice(0, 16)} UTC`;
}

/** Names longer than this wrap onto continuation lines, so the table fits a normal terminal. */
const NAME_WIDTH = 64;

/** Word-wraps a benchmark name to lines of at most `width` characters (long words are not split). */
export function wrapName(name: string, width = NAME_WIDTH): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of name.split(" ")) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = `  ${word}`;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  lines.push(current);
  return lines;
}

/** The terminal table: one block per suite, columns aligned, long names wrapped. */
export function renderTable(suites: SuiteRecord[]): string {
  const header = ["benchmark", "value", "baseline", "ratio", "target", "result"];
  const cells = (r: BenchResult): string[] => [
    r.name,
    formatValue(r.value, r.unit),
    r.baseline === null ? "" : formatValue(r.baseline, r.unit),
    formatRatio(r.ratio),
    r.target ?? "",
    verdict(r.pass),
  ];
  const rows = suites.flatMap((s) => s.results.map(cells));
  const widths = header.map((h, i) =>
    i === 0 ? Math.max(h.length, ...rows.flatMap((r) => wrapName(r[0]).map((l) => l.length))) : Math.max(h.length, ...rows.map((r) => r[i].length)),
  );
  const line = (row: string[]): string =>
    row
      .map((c, i) => (i === 0 || i === 4 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  for (const s of suites) {
    out.push("", `${s.title} [${s.suite}] — ${suiteLine(s)}`);
    if (s.status === "failed") {
      out.push(`  FAILED: ${s.error ?? "unknown error"}`);
    }
    if (s.results.length > 0) {
      out.push(`  ${line(header)}`);
      for (const r of s.results) {
        const [first, ...rest] = wrapName(r.name);
        out.push(`  ${line([first, ...cells(r).slice(1)])}`);
        for (const more of rest) {
          out.push(`  ${more}`);
        }
      }
    }
  }
  return out.join("\n") + "\n";
}

export interface Tally {
  rows: number;
  met: number;
  missed: number;
  failedSuites: number;
}

export function tally(suites: SuiteRecord[]): Tally {
  const rows = suites.flatMap((s) => s.results);
  return {
    rows: rows.length,
    met: rows.filter((r) => r.pass === true).length,
    missed: rows.filter((r) => r.pass === false).length,
    failedSuites: suites.filter((s) => s.status === "failed").length,
  };
}

/** Text for a Markdown table cell or line: `|` cannot end a cell, `<x` cannot open a tag ("< 80 MB" stays readable). */
export function markdownText(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/<(?=[A-Za-z/!?])/g, "&lt;")
    .replace(/\n/g, " ");
}

const md = markdownText;

/** Text kept between these markers in BENCHMARKS.md survives regeneration (the written analysis). */
export const ANALYSIS_START = "<!-- analysis:start (kept when BENCHMARKS.md is regenerated) -->";
export const ANALYSIS_END = "<!-- analysis:end -->";

export function keptAnalysis(markdown: string | null): string | null {
  if (markdown === null) {
    return null;
  }
  const start = markdown.indexOf(ANALYSIS_START);
  const end = markdown.indexOf(ANALYSIS_END);
  return start >= 0 && end > start ? markdown.slice(start + ANALYSIS_START.length, end).trim() : null;
}

export interface SuiteNotes {
  [suite: string]: string;
}

/** BENCHMARKS.md: how to reproduce, the machine, the table per suite, what each figure means. */
export function renderMarkdown(run: BenchRun, notes: SuiteNotes, analysis: string | null, resultsLink = "bench/results.json"): string {
  const m = run.machine;
  const t = tally(run.suites);
  const out: string[] = [];
  out.push("# ATL benchmarks", "");
  out.push(
    "Generated by `npm run bench` (bench/run.ts) — do not edit by hand except between the analysis markers.",
    "Every figure with a baseline was measured side by side with it in the same run, on the same",
    `machine; the ratio is value ÷ baseline. Machine-readable results: [\`${resultsLink}\`](${resultsLink}).`,
    "",
  );
  out.push("## Latest run", "");
  out.push(`- **Date:** ${run.date.replace("T", " ").slice(0, 19)} UTC${run.quick ? " — **quick run (tiny sizes; figures not representative)**" : ""}`);
  out.push(`- **Command:** \`${run.command}\` (${Math.round(run.durationSec)} s)`);
  out.push(`- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${formatNumber(Math.round(m.memoryMiB / 102.4) / 10)} GiB RAM, ${m.os}, Linux ${m.kernel}`);
  out.push(
    `- **Load average (1/5/15 min):** ${m.loadAverageAtStart.join(" / ")} at start, ${run.loadAverageAtEnd.join(" / ")} at the end` +
      (m.loadAverageAtStart[0] > m.cores ? ` — **the machine was shared and busy** (more runnable processes than its ${m.cores} cores)` : ""),
  );
  out.push(`- **Node:** ${run.node}`);
  out.push(
    `- **Commit:** ${run.commit.sha ? `\`${run.commit.sha.slice(0, 12)}\`` : "unknown"}` +
      (run.commit.uncommittedFiles ? ` (plus ${run.commit.uncommittedFiles} files with uncommitted changes in the shared checkout)` : ""),
  );
  out.push(
    `- **Targets:** ${t.met} met, ${t.missed} missed, of ${t.met + t.missed} with a target (${t.rows} figures)` +
      (t.failedSuites > 0 ? `; **${t.failedSuites} benchmark(s) failed to run**` : ""),
  );
  out.push("");

  out.push("## Results", "");
  for (const s of run.suites) {
    out.push(`### ${md(s.title)} (\`${s.suite}\`)`, "");
    const opts = Object.entries(s.options)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(", ");
    out.push(`_${suiteLine(s)}${opts ? `; ${opts}` : ""}${s.commit && s.commit !== run.commit.sha ? `; commit \`${s.commit.slice(0, 12)}\`` : ""}_`, "");
    if (s.status === "failed") {
      out.push(`**This benchmark failed:** ${md(s.error ?? "unknown error")}`, "");
    }
    if (s.results.length > 0) {
      out.push("| Benchmark | Value | Baseline | Ratio | Target | Result |", "| --- | ---: | ---: | ---: | --- | --- |");
      for (const r of s.results) {
        const result = r.pass === null ? "" : r.pass ? "pass" : "**missed**";
        out.push(
          `| ${md(r.name)} | ${md(formatValue(r.value, r.unit))} | ${r.baseline === null ? "" : md(formatValue(r.baseline, r.unit))} | ${formatRatio(r.ratio)} | ${md(r.target ?? "")} | ${result} |`,
        );
      }
      out.push("");
    }
    const note = notes[s.suite];
    if (note) {
      out.push(note.trim(), "");
    }
  }

  const missed = run.suites.flatMap((s) => s.results.filter((r) => r.pass === false).map((r) => ({ s, r })));
  out.push("## Targets missed in this run", "");
  if (missed.length === 0) {
    out.push("None.", "");
  } else {
    for (const { s, r } of missed) {
      out.push(`- ${md(r.name)}: ${md(formatValue(r.value, r.unit))}, target ${md(r.target ?? "")} (load average ${s.loadAverageAtStart[0]} at the start of this benchmark).`);
    }
    out.push("");
  }

  out.push("## Analysis", "", ANALYSIS_START, "", analysis ?? "_No analysis written yet._", "", ANALYSIS_END, "");

  out.push(
    "## Reproduce",
    "",
    "```sh",
    "npm ci && (cd agent && npm ci)     # once",
    "npm run bench                      # every benchmark, full sizes (a few minutes on 2 cores)",
    "npm run bench -- --only policy,activation   # some of them; the others keep their last figures",
    "npm run bench -- --quick           # tiny sizes, a smoke run; prints only (add --out DIR to write)",
    "npm run bench -- --list            # the benchmarks and what they measure",
    "```",
    "",
    "`npm run bench` builds every bundle first (`node esbuild.mjs`), prints the table, and writes",
    "`bench/results.json` and this file. Flags: `--only a,b` (agent, ssh, policy, ingestion, graph, activation,",
    "tokens), `--quick`, `--out DIR` (write both files there instead), `--no-write`, `--no-code-server`",
    "(skip the in-editor activation figure), `--strict` (exit 1 when a target is missed). Everything talks",
    "only to 127.0.0.1: the real agent process, a private sshd, the fauxqs SQS/SNS emulator, a scripted",
    "OpenAI-compatible server and code-server with headless Chromium (`npm run setup` once).",
    "",
    "**How to read it.** Targets come from issue 9. A ratio compares ATL with the thing it wraps, measured",
    "in the same run with samples interleaved, so a busy machine slows both sides alike and the ratio",
    "stays meaningful when absolute times do not. Absolute milliseconds depend on the machine and on its",
    "load: compare them only between runs with a similar load average. Percentiles are nearest-rank over",
    "the samples; with few samples p99 is close to the maximum.",
    "",
  );
  return out.join("\n");
}
