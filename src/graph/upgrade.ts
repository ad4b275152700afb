// Reports, analyses and transcripts saved by versions before RichText carried their text as
// Markdown strings: read here into RichText (toRichText), so a diagnosis kept on disk still opens,
// renders and exports. Anything already RichText passes unchanged.
import type { Analysis, DiagnosisEvent, DiagnosisReport, Finding, RichText } from "./diagnosis";
import { toRichText } from "../shared/richText";

type Stored<T> = { [K in keyof T]: T[K] extends RichText ? RichText | string : T[K] extends RichText[] ? (RichText | string)[] : T[K] };

function upgradeFinding(finding: Stored<Finding> | Finding): Finding {
  return { ...finding, title: toRichText(finding.title), detail: toRichText(finding.detail) };
}

export function upgradeAnalysis(analysis: Analysis | null): Analysis | null {
  if (!analysis) {
    return null;
  }
  const stored = analysis as unknown as Stored<Analysis> & { findings: Stored<Finding>[] };
  return {
    ...analysis,
    summary: toRichText(stored.summary),
    findings: (stored.findings ?? []).map(upgradeFinding),
    nextSteps: (stored.nextSteps ?? []).map((step) => toRichText(step)),
  };
}

export function upgradeReport(report: DiagnosisReport): DiagnosisReport {
  const answers = report.answers?.map((a) => ({ question: a.question, answer: toRichText(a.answer) }));
  return { ...report, analysis: upgradeAnalysis(report.analysis), ...(answers ? { answers } : {}) };
}

export function upgradeEvent(event: DiagnosisEvent): DiagnosisEvent {
  switch (event.type) {
    case "analysis":
      return { ...event, analysis: upgradeAnalysis(event.analysis) ?? event.analysis };
    case "answer":
      return { ...event, text: toRichText(event.text) };
    case "report":
      return { ...event, report: upgradeReport(event.report) };
    default:
      return event;
  }
}
