// Where the graph takes the runbook analysis: the rules write Markdown strings (ATL's code in code
// spans, untrusted names through mdCode / mdText), read here once into RichText, so nothing after
// this point parses or escapes a string that mixes ATL's formatting with attacker text.
import { fromMarkdown } from "../shared/richText";
import type { Analysis, CommandRun, Finding, MarkdownAnalysis, MarkdownFinding } from "./diagnosis";
import { analyzeRuns as analyzeRunsMarkdown, type AnalysisContext, type RunbookCommand } from "./runbooks";

/** The runbook analysis as RichText, plus the commands worth running next. */
export interface RunbookAnalysis extends Analysis {
  furtherCommands: RunbookCommand[];
}

export function richFinding(finding: MarkdownFinding): Finding {
  return { ...finding, title: fromMarkdown(finding.title), detail: fromMarkdown(finding.detail) };
}

export function richAnalysis<T extends MarkdownAnalysis>(analysis: T): Omit<T, keyof MarkdownAnalysis> & Analysis {
  return { ...analysis, summary: fromMarkdown(analysis.summary), findings: analysis.findings.map(richFinding), nextSteps: analysis.nextSteps.map(fromMarkdown) };
}

/** The built-in runbooks' analysis of `runs` (src/graph/runbooks), as RichText. */
export function analyzeRuns(runs: CommandRun[], context: AnalysisContext): RunbookAnalysis {
  return richAnalysis(analyzeRunsMarkdown(runs, context));
}
