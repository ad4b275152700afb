// Scoring one diagnosis against the staged culprit:
//   named            the verdict names the culprit (name, pid, path, address as fits) and the
//                    summary the engineer reads says so too
//   partial          the verdict names something next to it (the listener of the client's
//                    connections, the mount of the full directory), or only a finding names it
//   missed           nothing named ("no evidence of …")
//   confident-wrong  the verdict names something that is not the culprit
// On a healthy host (no fault staged) any named culprit is confident-wrong, except on a CPU
// question when the named process really was busy (this machine is shared with other builds):
// that counts as "justified" and is reported apart.
//
// The verdict is `Analysis.culprit` when the analysis has one (the structured contract); an
// analysis without the field is read from its summary text (backticked names and "pid N").
import type { Analysis, Finding } from "../src/graph/diagnosis";
import type { ExpectedCulprit } from "./scenarios";

export type Outcome = "named" | "partial" | "missed" | "confident-wrong";
export type HealthyOutcome = "clean" | "confident-wrong" | "justified";

/** The structured verdict (src/graph/diagnosis.ts `Culprit`), as far as scoring reads it. */
export interface Verdict {
  resource?: string;
  /** One of CulpritKind, as the diagnosis sets it. */
  kind?: string;
  name?: string | null;
  pid?: number | null;
  detail?: string | null;
}

type AnalysisLike = Analysis & { culprit?: Verdict | null; resources?: unknown };
type FindingLike = Finding & { culprit?: Verdict | null; resource?: string | null };

export interface Score {
  outcome: Outcome | HealthyOutcome;
  /** What the verdict named, in one line (or null when nothing). */
  verdict: string | null;
  /** Why this outcome, for the report. */
  why: string;
}

function verdictText(v: Verdict): string {
  return [v.name ?? "", v.pid ? `pid ${v.pid}` : "", v.detail ?? ""].filter(Boolean).join(" · ");
}

function mentionsPid(text: string, pid: number): boolean {
  return new RegExp(`\\bpid[ =:]*${pid}\\b|\\(${pid}\\)`, "i").test(text);
}

/** Whether `text` names one of `names` (whole token: "foo" does not name "foo-bar"). */
function mentionsName(text: string, names: string[]): string | null {
  for (const name of names) {
    if (name.length === 0) {
      continue;
    }
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // A name ending in a word character must not run on into more name characters.
    const tail = /[\w-]$/.test(name) ? "(?![\\w.-]*[\\w])" : "";
    const head = /^[\w]/.test(name) ? "(?<![\\w./-])" : "";
    if (new RegExp(`${head}${escaped}${tail}`).test(text)) {
      return name;
    }
  }
  return null;
}

function namesCulprit(text: string, pids: number[], culprit: ExpectedCulprit): boolean {
  return mentionsName(text, culprit.names) !== null || culprit.pids.some((p) => pids.includes(p) || mentionsPid(text, p));
}

/** The structured verdict, or null when the analysis has no `culprit` field at all (older analyses). */
export function structuredVerdict(analysis: Analysis): Verdict | null | undefined {
  const a = analysis as AnalysisLike;
  return "culprit" in a ? (a.culprit ?? null) : undefined;
}

/**
 * What a summary names, read from its text: backticked tokens that are processes seen in the
 * outputs or paths, and "pid N" mentions. Only used for analyses without the structured verdict.
 */
export function namedInSummary(summary: string, knownProcesses: Set<string>): { names: string[]; pids: number[] } {
  const names = [...summary.matchAll(/`([^`\n]{1,200})`/g)]
    .map((m) => m[1] ?? "")
    .filter((token) => knownProcesses.has(token) || token.startsWith("/") || /^\d{1,3}(\.\d{1,3}){3}(:\d+)?$/.test(token));
  const pids = [...summary.matchAll(/\bpid[ =:]*(\d+)/gi)].map((m) => Number(m[1]));
  return { names, pids };
}

function findingNames(finding: FindingLike, culprit: ExpectedCulprit): boolean {
  const v = finding.culprit;
  const text = `${finding.title}\n${finding.detail}${v ? `\n${verdictText(v)}` : ""}`;
  return namesCulprit(text, v?.pid ? [v.pid] : [], culprit);
}

/** Scores a diagnosis of a staged fault. `knownProcesses`: process names seen in the outputs. */
export function scoreFault(analysis: Analysis, culprit: ExpectedCulprit, knownProcesses: Set<string>): Score {
  const summary = analysis.summary;
  const structured = structuredVerdict(analysis);
  const inFindings = (analysis.findings as FindingLike[]).some((f) => findingNames(f, culprit));
  const summaryNames = namesCulprit(summary, [], culprit);
  if (structured !== undefined) {
    if (structured === null) {
      return inFindings
        ? { outcome: "partial", verdict: null, why: "no verdict; a finding names the culprit" }
        : { outcome: "missed", verdict: null, why: "no verdict" };
    }
    const text = verdictText(structured);
    if (namesCulprit(text, structured.pid ? [structured.pid] : [], culprit)) {
      return summaryNames
        ? { outcome: "named", verdict: text, why: "the verdict and the summary name the culprit" }
        : { outcome: "partial", verdict: text, why: "the verdict names the culprit but the summary does not say so" };
    }
    if (mentionsName(text, culprit.related)) {
      return { outcome: "partial", verdict: text, why: "the verdict names something next to the culprit" };
    }
    return { outcome: "confident-wrong", verdict: text, why: "the verdict names something else" };
  }
  // No structured verdict: read the summary.
  const named = namedInSummary(summary, knownProcesses);
  const wrongNames = named.names.filter((n) => !mentionsName(n, culprit.names) && !mentionsName(n, culprit.related) && !culprit.names.some((c) => c.startsWith(`${n}/`) || n.startsWith(`${c}/`)));
  const wrongPids = named.pids.filter((p) => !culprit.pids.includes(p));
  const verdict = named.names.length > 0 || named.pids.length > 0 ? [...named.names, ...named.pids.map((p) => `pid ${p}`)].join(", ") : null;
  if (summaryNames) {
    // The culprit leads the summary; other names after it (context) do not make it wrong.
    return { outcome: "named", verdict, why: "the summary names the culprit" };
  }
  if (wrongNames.length > 0 || wrongPids.length > 0) {
    return { outcome: "confident-wrong", verdict, why: `the summary names ${[...wrongNames, ...wrongPids.map((p) => `pid ${p}`)].join(", ")}` };
  }
  if (mentionsName(summary, culprit.related) || inFindings) {
    return { outcome: "partial", verdict, why: inFindings ? "a finding names the culprit, the summary does not" : "the summary names something next to the culprit" };
  }
  return { outcome: "missed", verdict, why: "nothing named" };
}

/**
 * Scores a diagnosis of the healthy twin. `busyPids`: processes the outputs show using at least
 * half a core (a named one of these on a CPU question is "justified").
 */
export function scoreHealthy(analysis: Analysis, cpuQuestion: boolean, busy: { pids: Set<number>; names: Set<string> }, knownProcesses: Set<string>): Score {
  const structured = structuredVerdict(analysis);
  let verdict: string | null;
  let pids: number[];
  let names: string[];
  if (structured !== undefined) {
    if (structured === null) {
      return { outcome: "clean", verdict: null, why: "no verdict" };
    }
    verdict = verdictText(structured);
    pids = structured.pid ? [structured.pid] : [];
    names = structured.name ? [structured.name] : [];
  } else {
    const named = namedInSummary(analysis.summary, knownProcesses);
    if (named.names.length === 0 && named.pids.length === 0) {
      return { outcome: "clean", verdict: null, why: "the summary names nothing" };
    }
    verdict = [...named.names, ...named.pids.map((p) => `pid ${p}`)].join(", ");
    pids = named.pids;
    names = named.names;
  }
  if (cpuQuestion && (pids.some((p) => busy.pids.has(p)) || names.some((n) => busy.names.has(n)))) {
    return { outcome: "justified", verdict, why: "a CPU question, and the named process really was busy" };
  }
  return { outcome: "confident-wrong", verdict, why: "a culprit named on a healthy host" };
}
