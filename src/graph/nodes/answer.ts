// answer: replies to a follow-up question from the evidence the thread already holds (command
// outputs, findings). With an LLM the reply streams token by token; offline, a best-effort answer
// is put together from the findings, saying that an LLM would answer better.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { newDelimiter } from "../../llm/fence";
import { fromMarkdown, toMarkdown } from "../../shared/richText";
import { createRedactor } from "../../llm/redact";
import { askText, emit, type GraphContext } from "../context";
import type { Finding } from "../diagnosis";
import { latestRuns, outputsForPrompt, redactFindings } from "../evidence";
import { alarmForPrompt, answerPrompt } from "../prompts";
import type { DiagnosisStateType, DiagnosisStateUpdate, Exchange, ThreadError } from "../state";
import { offlineAnswer } from "../text";

export function answerNode(ctx: GraphContext) {
  return async function answer(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    const settings = ctx.deps.settings();
    const question = state.question ?? "";
    const errors: ThreadError[] = [];
    let usage: DiagnosisStateUpdate["usage"] = null;
    let exchange: Exchange | null = null;

    if (ctx.llm) {
      const redactor = createRedactor(settings.redactionPatterns);
      const prompt = answerPrompt({
        question: redactor.redact(question).text,
        host: state.host,
        alarmText: state.alarm ? redactor.redact(alarmForPrompt(state.alarm)).text : null,
        summary: state.analysis ? redactor.redact(toMarkdown(state.analysis.summary)).text : null,
        findings: redactFindings(state.analysis?.findings ?? [], redactor),
        outputs: outputsForPrompt(latestRuns(state.runs), redactor, settings.outputTokenBudget),
        earlierAnswers: state.answers.filter((a) => a.source !== "fetch").map((a) => ({ question: redactor.redact(a.question).text, answer: a.answer })),
        delimiter: newDelimiter(),
        language: settings.language,
      });
      // Streamed here, each piece sent as a token event: the graph itself does not run in the
      // "messages" stream mode, whose callbacks would cost every node and router of every run.
      const reply = await askText(ctx.llm, { prompt, signal: config.signal, onText: (piece) => emit(config, { type: "token", node: "answer", text: piece }) });
      if (!reply.ok) {
        errors.push({ code: reply.failure.code, message: `${reply.failure.userMessage} ATL answers from its findings instead.`, node: "answer" });
      } else {
        usage = reply.usage;
        const text = reply.value.trim();
        if (text) {
          exchange = { question, answer: fromMarkdown(text), source: "llm" };
        } else {
          errors.push({ code: "llm-reply", message: "The LLM sent an empty answer; ATL answers from its findings instead.", node: "answer" });
        }
      }
    }
    exchange ??= { question, answer: offlineAnswer(question, state.analysis, findingsFor(state), state.runs.length, ctx.llm !== null, settings.language), source: "offline" };
    for (const error of errors) {
      emit(config, { type: "error", code: error.code, message: error.message });
    }
    emit(config, { type: "answer", text: exchange.answer });
    return { answers: [exchange], errors, usage, status: "answered" };
  };
}

function findingsFor(state: DiagnosisStateType): Finding[] {
  return state.analysis?.findings ?? [];
}
