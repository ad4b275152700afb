// Scoring one diagnosis against the staged culprit:
//   named            the verdict (Analysis.culprit) names the culprit — name, pid, path, unit or
//                    address as fits — and the summary the engineer reads names it too
//   partial          the verdict names something next to it (the listener of the client's
//                    connections, the mount of the full directory); or the verdict is right but the
//                    summary does not say so; or there is no verdict and only the summary or a
//                    finding names the culprit
//   missed           nothing named ("no evidence of …")
//   confident-wrong  the verdict names something that is not the culprit — or there is no
//                    verdict but the summary blames something else (the engineer reads the summary)
// On a healthy twin (no fault staged) any culprit named, by the verdict or the summary, is
// confident-wrong — except on the CPU scenario when the named process really used half a core or
// more in the outputs (this machine is shared with other builds): "justified", counted apart.
import type { Analysis as RichAnalysis, Culprit, Finding as RichFinding, Resource } from "../src/graph/diagnosis";
import { toMarkdown, type RichText } from "../src/shared/richText";

// The graph's analyses carry RichText; hand-made ones in tests may be Markdown strings. Names are
// matched on the Markdown (a code span is a name the text blames).
type Analysis = RichAnalysis<string | RichText>;
type Finding = RichFinding<string | RichText>;
const md = (text: string | RichText): string => (typeof text === "string" ? text : toMarkdown(text));
import type { ExpectedCulprit } from "./scenarios";

export type Outcome = "named" | "partial" | "missed" | "confident-wrong";
export type HealthyOutcome = "clean" | "confident-wrong" | "justified";

export interface Score {
  outcome: Outcome | HealthyOutcome;
  /** What the verdict (or, without one, the summary) named, in one line; null when nothing. */
  verdict: string | null;
  /** Why this outcome, for the report. */
  why: string;
  /** Whether the analysis's resources include what the fault is about (null: no resources given). */
  understood: boolean | null;
}

function verdictText(v: Culprit): string {
  return [`${v.kind} ${v.name}`, v.pid ? `pid ${v.pid}` : "", v.detail ?? ""].filter(Boolean).join(" · ");
}

function mentionsPid(text: string, pid: number): boolean {
  return new RegExp(`\\bpid[ =:]*${pid}\\b|\\(${pid}\\)`, "i").test(text);
}

/** Whether `text` names one of `names` as a whole token ("foo" does not name "foo-bar"). */
function mentionsName(text: string, names: string[]): string | null {
  for (const name of names) {
    if (name.length === 0) {
      continue;
    }
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const head = /^\w/.test(name) ? "(?<![\\w./-])" : "";
    const tail = /[\w-]$/.test(name) ? "(?![\\w-]|\\.\\w)" : "";
    if (new RegExp(`${head}${escaped}${tail}`).test(text)) {
      return name;
    }
  }
  return null;
}

function namesCulprit(text: string, pids: number[], culprit: ExpectedCulprit): boolean {
  return mentionsName(text, culprit.names) !== null || culprit.pids.some((p) => pids.includes(p) || mentionsPid(text, p));
}

/**
 * What a summary names, read from its text: backticked tokens that are processes seen in the
 * outputs, paths or addresses, and "pid N" mentions.
 */
export function namedInSummary(summary: string, knownProcesses: Set<string>): { names: string[]; pids: number[] } {
  const names = [...summary.matchAll(/`([^`\n]{1,200})`/g)]
    .map((m) => m[1] ?? "")
    .filter((token) => knownProcesses.has(token) || token.startsWith("/") || /^\d{1,3}(\.\d{1,3}){3}(:\d+)?$/.test(token));
  const pids = [...summary.matchAll(/\bpid[ =:]*(\d+)/gi)].map((m) => Number(m[1]));
  return { names, pids };
}

/** Names and pids the summary blames that are neither the culprit nor next to it. */
function othersInSummary(summary: string, culprit: ExpectedCulprit | null, knownProcesses: Set<string>): string[] {
  const named = namedInSummary(summary, knownProcesses);
  const ours = (n: string): boolean =>
    culprit !== null && (mentionsName(n, culprit.names) !== null || mentionsName(n, culprit.related) !== null || culprit.names.some((c) => c.startsWith(`${n}/`) || n.startsWith(`${c}/`)));
  return [...named.names.filter((n) => !ours(n)), ...named.pids.filter((p) => !culprit?.pids.includes(p)).map((p) => `pid ${p}`)];
}

function findingNames(finding: Finding, culprit: ExpectedCulprit): boolean {
  const v = finding.culprit;
  return namesCulprit(`${md(finding.title)}\n${md(finding.detail)}${v ? `\n${verdictText(v)}` : ""}`, v?.pid ? [v.pid] : [], culprit);
}

function understood(analysis: Analysis, resources: Resource[]): boolean | null {
  return Array.isArray(analysis.resources) ? analysis.resources.some((r) => resources.includes(r)) : null;
}

/** Scores a diagnosis of a staged fault. `knownProcesses`: process names seen in the outputs. */
export function scoreFault(analysis: Analysis, culprit: ExpectedCulprit, resources: Resource[], knownProcesses: Set<string>): Score {
  const summary = md(analysis.summary);
  const v = analysis.culprit ?? null;
  const base = { understood: understood(analysis, resources) };
  const summaryNames = namesCulprit(summary, [], culprit);
  if (v) {
    const text = verdictText(v);
    if (namesCulprit(`${v.name}\n${v.detail ?? ""}`, v.pid ? [v.pid] : [], culprit)) {
      return summaryNames
        ? { ...base, outcome: "named", verdict: text, why: "the verdict and the summary name the culprit" }
        : { ...base, outcome: "partial", verdict: text, why: "the verdict names the culprit but the summary does not say so" };
    }
    if (mentionsName(`${v.name}\n${v.detail ?? ""}`, culprit.related)) {
      return { ...base, outcome: "partial", verdict: text, why: "the verdict names something next to the culprit" };
    }
    return { ...base, outcome: "confident-wrong", verdict: text, why: "the verdict names something else" };
  }
  const others = othersInSummary(summary, culprit, knownProcesses);
  if (summaryNames) {
    return { ...base, outcome: "partial", verdict: null, why: "no verdict; the summary names the culprit" };
  }
  if (others.length > 0) {
    return { ...base, outcome: "confident-wrong", verdict: others.join(", "), why: `no verdict, but the summary blames ${others.join(", ")}` };
  }
  if (mentionsName(summary, culprit.related)) {
    return { ...base, outcome: "partial", verdict: null, why: "no verdict; the summary names something next to the culprit" };
  }
  if ((analysis.findings ?? []).some((f) => findingNames(f, culprit))) {
    return { ...base, outcome: "partial", verdict: null, why: "no verdict; a finding names the culprit" };
  }
  return { ...base, outcome: "missed", verdict: null, why: "nothing named" };
}

/**
 * Scores a diagnosis of a healthy twin. `busy`: processes the outputs show using at least half a
 * core (one of them named on a CPU question is "justified").
 */
export function scoreHealthy(analysis: Analysis, resources: Resource[], cpuQuestion: boolean, busy: { pids: Set<number>; names: Set<string> }, knownProcesses: Set<string>): Score {
  const base = { understood: understood(analysis, resources) };
  const v = analysis.culprit ?? null;
  let pids: number[];
  let names: string[];
  let verdict: string;
  if (v) {
    verdict = verdictText(v);
    pids = v.pid ? [v.pid] : [];
    names = [v.name];
  } else {
    const named = namedInSummary(md(analysis.summary), knownProcesses);
    if (named.names.length === 0 && named.pids.length === 0) {
      return { ...base, outcome: "clean", verdict: null, why: "nothing named" };
    }
    pids = named.pids;
    names = named.names;
    verdict = [...names, ...pids.map((p) => `pid ${p}`)].join(", ");
  }
  if (cpuQuestion && (pids.some((p) => busy.pids.has(p)) || names.some((n) => busy.names.has(n)))) {
    return { ...base, outcome: "justified", verdict, why: "a CPU question, and the named process really was busy" };
  }
  return { ...base, outcome: "confident-wrong", verdict, why: v ? "a verdict on a healthy host" : "no verdict, but the summary blames something on a healthy host" };
}
