// Report renderers (Markdown for preview/save/copy and the CLI, plain text for the "ATL Reports"
// channel). LangChain-free: the extension imports this module directly.
import type { DiagnosisReport } from "../graph/diagnosis";
import { renderMarkdown } from "./markdown";
import { renderText } from "./text";

export { codeBlock, escapeMarkdown, fenceFor, inlineCode, renderMarkdown } from "./markdown";
export { renderText } from "./text";
export { reportStrings } from "./strings";

export interface ReportRenderers {
  markdown(report: DiagnosisReport): string;
  plainText(report: DiagnosisReport): string;
}

export function createReportRenderers(): ReportRenderers {
  return { markdown: renderMarkdown, plainText: renderText };
}
