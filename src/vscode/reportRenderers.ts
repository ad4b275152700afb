// The report renderers handed to the diagnosis features (src/report renders; this picks them).
import type { DiagnosisReport } from "../graph/diagnosis";
import type { ReportRenderers } from "./report/reports";

export function createReportRenderers(): ReportRenderers {
  const json = (report: DiagnosisReport): string => JSON.stringify(report, null, 2);
  return { markdown: (report) => `\`\`\`json\n${json(report)}\n\`\`\``, plainText: json };
}
