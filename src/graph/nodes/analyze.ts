// analyze: the runbook output parsers' findings, always; with an LLM, those findings and the
// redacted, budgeted outputs go into a fenced prompt and the model's structured analysis is
// validated (schema, then every cited excerpt against the output). A bad or late reply is an error
// event and the runbook analysis stands (fallbackReason). The LLM's culprit is held to the same
// calibration as the parsers' (tied to the question, quoted in kept evidence) or dropped. The LLM —
// or, offline, the runbook — may ask for more commands: they become a new proposal and go through
// approval again.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { newDelimiter } from "../../llm/fence";
import { fromMarkdown, toMarkdown } from "../../shared/richText";
import { createRedactor } from "../../llm/redact";
import { labelCommands, nextCommandNumber, withStandingApproval } from "../commands";
import { askStructured, badReply, emit, type GraphContext } from "../context";
import type { Analysis, Proposal } from "../diagnosis";
import { latestRuns, outputsForPrompt, redactFindings, verifyCulprit, verifyFindings } from "../evidence";
import { alarmForPrompt, analysisPrompt, MAX_FURTHER_COMMANDS, SCHEMA } from "../prompts";
import { analyzeRuns } from "../runbookAnalysis";
import type { DiagnosisStateType, DiagnosisStateUpdate, ThreadError } from "../state";
import { culpritDroppedNote, droppedEvidenceNote, furtherCommandsRationale, llmFallbackReason } from "../text";
import type { ReportLanguage } from "../../shared/l10n";

/** Rounds of commands in one thread before ATL stops asking for more on its own. */
export const MAX_ROUNDS = 4;

const severity = z.enum(["info", "low", "medium", "high", "critical"]);

export const AnalysisReply = z.object({
  summary: z.string(),
  severity,
  culprit: z.object({ resource: z.string(), kind: z.string(), name: z.string(), pid: z.number().nullable(), detail: z.string().nullable() }).nullable(),
  findings: z.array(
    z.object({
      title: z.string(),
      detail: z.string(),
      severity,
      evidence: z.array(z.object({ commandId: z.string(), excerpt: z.string() })),
    }),
  ),
  nextSteps: z.array(z.string()),
  furtherCommands: z.array(z.object({ command: z.string(), purpose: z.string(), expectedSignal: z.string() })),
});

export function analyzeNode(ctx: GraphContext) {
  return async function analyze(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    const settings = ctx.deps.settings();
    const runs = latestRuns(state.runs);
    const { furtherCommands: runbookFurther, ...runbook } = analyzeRuns(runs, { alarm: state.alarm, question: state.question, language: settings.language, now: ctx.now() });
    let analysis: Analysis = { ...runbook, source: "runbook", fallbackReason: null };
    const errors: ThreadError[] = [];
    let usage: DiagnosisStateUpdate["usage"] = null;
    let further: Proposal | null = null;

    if (ctx.llm) {
      const redactor = createRedactor(settings.redactionPatterns);
      const delimiter = newDelimiter();
      const allowFurther = state.round < MAX_ROUNDS;
      const prompt = analysisPrompt({
        host: state.host,
        resources: runbook.resources,
        runbookCulprit: runbook.culprit,
        checked: runbook.checked,
        alarmText: state.alarm ? redactor.redact(alarmForPrompt(state.alarm)).text : null,
        question: state.question ? redactor.redact(state.question).text : null,
        findings: redactFindings(runbook.findings, redactor),
        runbookSummary: redactor.redact(toMarkdown(runbook.summary)).text,
        outputs: outputsForPrompt(runs, redactor, settings.outputTokenBudget),
        allowFurtherCommands: allowFurther,
        delimiter,
        language: settings.language,
      });
      const reply = await askStructured(ctx.llm, {
        schema: AnalysisReply,
        name: SCHEMA.analysis,
        prompt,
        signal: config.signal,
        check: (value) => {
          if (!value.summary.trim()) {
            throw badReply("The LLM's analysis has an empty summary.");
          }
        },
      });
      if (reply.ok) {
        usage = reply.usage;
        const verified = verifyFindings(reply.value.findings, runs, redactor);
        if (verified.droppedEvidence > 0) {
          const message = droppedEvidenceNote(verified.droppedEvidence, verified.droppedFindings, settings.language);
          errors.push({ code: "llm-reply", message, node: "analyze" });
        }
        // The same calibration as the parsers': a culprit the evidence does not tie to the question is dropped.
        const verdict = verifyCulprit(reply.value.culprit, [...runbook.findings, ...verified.findings], runbook.resources, runbook.culprit);
        if (verdict.dropped) {
          errors.push({ code: "llm-reply", message: culpritDroppedNote(verdict.dropped, settings.language), node: "analyze" });
        }
        // The model writes Markdown: its code spans become code runs here, once; the rest is text.
        const nextSteps = reply.value.nextSteps.map((s) => s.trim()).filter((s) => s.length > 0).slice(0, 10).map(fromMarkdown);
        analysis = {
          summary: fromMarkdown(reply.value.summary.trim()),
          severity: reply.value.severity,
          findings: [...runbook.findings, ...verified.findings],
          nextSteps: nextSteps.length > 0 ? nextSteps : runbook.nextSteps,
          source: "llm",
          fallbackReason: null,
          culprit: verdict.dropped ? runbook.culprit : verdict.culprit,
          resources: runbook.resources,
          checked: runbook.checked,
        };
        if (allowFurther) {
          further = furtherProposal(ctx, state, reply.value.furtherCommands.slice(0, MAX_FURTHER_COMMANDS), settings.language);
        }
      } else {
        errors.push({ code: reply.failure.code, message: reply.failure.message, node: "analyze" });
        analysis = { ...analysis, fallbackReason: llmFallbackReason(reply.failure.message, settings.language) };
      }
    }
    // Offline, the runbook may still want a second look (a full mount it did not list, per-process I/O).
    if (!further && analysis.source === "runbook" && state.round < MAX_ROUNDS && runbookFurther.length > 0) {
      further = furtherProposal(ctx, state, runbookFurther, settings.language);
    }
    for (const error of errors) {
      emit(config, { type: "error", code: error.code, message: error.message });
    }
    emit(config, { type: "analysis", analysis });
    if (further) {
      return { analysis, errors, usage, round: further.round, proposal: further, proposals: [further], decision: null, approved: [], status: "waiting-approval" };
    }
    return { analysis, errors, usage, status: "done" };
  };
}

/** The LLM's extra commands as the next proposal, when any is new and allowed by the policy. */
function furtherProposal(ctx: GraphContext, state: DiagnosisStateType, commands: { command: string; purpose: string; expectedSignal: string }[], language: ReportLanguage): Proposal | null {
  const ran = new Set(state.runs.map((r) => r.command));
  const fresh = commands.filter((c) => !ran.has(c.command.trim()));
  const labelled = labelCommands(ctx.deps.policy, fresh, nextCommandNumber(state.proposals));
  if (!labelled.some((c) => c.decision === "allowed")) {
    return null;
  }
  return withStandingApproval(ctx.deps, {
    threadId: state.threadId,
    round: state.round + 1,
    host: state.host!,
    commands: labelled,
    rationale: furtherCommandsRationale(language),
    source: "llm",
    autoApproved: false,
  });
}

export type AnalyzeRoute = "approval" | "end";

export function routeAfterAnalyze(state: DiagnosisStateType): AnalyzeRoute {
  return state.status === "waiting-approval" && state.proposal !== null ? "approval" : "end";
}
