// The report of a thread, from its checkpointed state: what the chat panel, the "ATL Reports"
// channel and the CLI render (src/report/ turns it into Markdown or plain text).
import { statusAfterTurn, type DiagnosisReport, type RichText, type ThreadStatus } from "./diagnosis";
import type { DiagnosisStateType } from "./state";
import type { ReportLanguage } from "../shared/l10n";
import { upgradeAnalysis } from "./upgrade";
import { toRichText } from "../shared/richText";

export function buildReport(state: DiagnosisStateType, status: ThreadStatus, language: ReportLanguage): DiagnosisReport {
  return {
    threadId: state.threadId,
    createdAt: state.createdAt,
    alarm: state.alarm,
    host: state.host,
    question: state.question,
    proposals: state.proposals,
    runs: state.runs,
    // A thread checkpointed by a version before RichText resumes with Markdown strings.
    analysis: upgradeAnalysis(state.analysis),
    usage: state.usage,
    language,
    status: statusAfterTurn(status, state.analysis !== null),
    rejections: state.rejections,
    answers: state.answers.map((a) => ({ question: a.question, answer: toRichText(a.answer as RichText | string) })),
    errors: state.errors.map((e) => ({ code: e.code, message: e.message })),
  };
}
