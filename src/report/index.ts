// Report renderers (Markdown for preview/save/copy and the CLI, plain text for the "ATL Reports"
// channel). LangChain-free: the extension imports this module directly.
import type { DiagnosisReport } from "../graph/diagnosis";
import { renderMarkdown } from "./markdown";
import { renderText, renderTextUpdate } from "./text";

export { codeBlock, markdownLine, markdownLiteral, fenceFor, inlineCode, renderMarkdown, renderProposalMarkdown, richInline } from "./markdown";
export { renderText, renderTextUpdate } from "./text";
export { redactReport, type RenderOptions } from "./redact";
export { reportStrings } from "./strings";
export { upgradeAnalysis, upgradeEvent, upgradeReport } from "../graph/upgrade";

export interface ReportRenderers {
  markdown(report: DiagnosisReport): string;
  plainText(report: DiagnosisReport): string;
  /** What a later turn changed (empty when nothing the channel shows changed). */
  plainTextUpdate(previous: DiagnosisReport, report: DiagnosisReport): string;
}

/** Renderers for the editor; `patterns` reads the user's extra redaction patterns at render time. */
export function createReportRenderers(patterns: () => string[] = () => []): ReportRenderers {
  return {
    markdown: (report) => renderMarkdown(report, { redactionPatterns: patterns() }),
    plainText: (report) => renderText(report, { redactionPatterns: patterns() }),
    plainTextUpdate: (previous, report) => renderTextUpdate(previous, report, { redactionPatterns: patterns() }),
  };
}
