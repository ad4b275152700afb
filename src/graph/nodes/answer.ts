// answer: replies to a follow-up question from the evidence the thread already holds (command
// outputs, findings). With an LLM the reply streams token by token; offline, a best-effort answer
// is put together from the findings, saying that an LLM would answer better.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { AIMessageChunk, MessageContent } from "@langchain/core/messages";
import { newDelimiter } from "../../llm/fence";
import { createRedactor } from "../../llm/redact";
import { llmError } from "../../llm/structured";
import { addUsage } from "../../llm/usage";
import { emit, type GraphContext } from "../context";
import type { Finding } from "../diagnosis";
import { latestRuns, outputsForPrompt, redactFindings } from "../evidence";
import { alarmForPrompt, answerPrompt } from "../prompts";
import type { DiagnosisStateType, DiagnosisStateUpdate, Exchange, ThreadError } from "../state";
import { offlineAnswer } from "../text";

export function answerNode(ctx: GraphContext) {
  return async function answer(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    emit(config, { type: "node", node: "answer", phase: "started" });
    const settings = ctx.deps.settings();
    const question = state.question ?? "";
    const errors: ThreadError[] = [];
    let usage: DiagnosisStateUpdate["usage"] = null;
    let exchange: Exchange | null = null;

    if (ctx.model && ctx.llm) {
      const redactor = createRedactor(settings.redactionPatterns);
      const delimiter = newDelimiter();
      const prompt = answerPrompt({
        question: redactor.redact(question).text,
        host: state.host,
        alarmText: state.alarm ? redactor.redact(alarmForPrompt(state.alarm)).text : null,
        summary: state.analysis ? redactor.redact(state.analysis.summary).text : null,
        findings: redactFindings(state.analysis?.findings ?? [], redactor),
        outputs: outputsForPrompt(latestRuns(state.runs), redactor, settings.outputTokenBudget),
        earlierAnswers: state.answers.filter((a) => a.source !== "fetch").map((a) => ({ question: redactor.redact(a.question).text, answer: a.answer })),
        delimiter,
        language: settings.language,
      });
      try {
        // Streamed here, each piece sent as a token event: the graph itself does not run in the
        // "messages" stream mode, whose callbacks would cost every node and router of every run.
        const stream = await ctx.model.stream(
          [
            { role: "system", content: prompt.system },
            { role: "user", content: prompt.user },
          ],
          { signal: config.signal, runName: "atl.answer" },
        );
        let reply: AIMessageChunk | undefined;
        for await (const chunk of stream) {
          const piece = contentText(chunk.content);
          if (piece) {
            emit(config, { type: "token", node: "answer", text: piece });
          }
          reply = reply ? reply.concat(chunk) : chunk;
        }
        const text = reply ? contentText(reply.content).trim() : "";
        usage = addUsage(null, { promptTokens: reply?.usage_metadata?.input_tokens ?? 0, completionTokens: reply?.usage_metadata?.output_tokens ?? 0 }, ctx.llm.model, ctx.llm.prices);
        if (text) {
          exchange = { question, answer: text, source: "llm" };
        } else {
          errors.push({ code: "llm-reply", message: "The LLM sent an empty answer; ATL answers from its findings instead.", node: "answer" });
        }
      } catch (error) {
        const failure = llmError(error);
        if (failure.code === "cancelled") {
          throw failure;
        }
        errors.push({ code: failure.code, message: `${failure.userMessage} ATL answers from its findings instead.`, node: "answer" });
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

function contentText(content: MessageContent): string {
  return typeof content === "string" ? content : content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}

function findingsFor(state: DiagnosisStateType): Finding[] {
  return state.analysis?.findings ?? [];
}
