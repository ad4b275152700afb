// generate: the plan for this round. The built-in runbook's plan is always computed (it works
// offline); with an LLM, the model gets the alarm and the runbook's idea as evidence and proposes
// its own plan. Every command is labelled by the policy before anyone sees it. After a reject the
// reason goes into the prompt and the new plan must differ from the rejected one.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { newDelimiter } from "../../llm/fence";
import { toMarkdown } from "../../shared/richText";
import { createRedactor } from "../../llm/redact";
import { labelCommands, nextCommandNumber, withStandingApproval, type PlannedCommand } from "../commands";
import { askStructured, emit, type GraphContext } from "../context";
import type { Proposal } from "../diagnosis";
import { alarmForPrompt, MAX_PLAN_COMMANDS, planPrompt, SCHEMA } from "../prompts";
import { planFromAlarm, planFromText, type RunbookPlan } from "../runbooks";
import type { DiagnosisStateType, DiagnosisStateUpdate, Rejection, ThreadError } from "../state";
import { alternativeRationale, nothingElseToPropose } from "../text";
import type { ReportLanguage } from "../../shared/l10n";

export const PlanReply = z.object({
  rationale: z.string(),
  commands: z.array(z.object({ command: z.string(), purpose: z.string(), expectedSignal: z.string() })),
});

export function generateNode(ctx: GraphContext) {
  return async function generate(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    const settings = ctx.deps.settings();
    const round = state.round + 1;
    const host = state.host!;
    // Rejections since the last executed round shape this plan.
    const rejections = state.rejections.filter((r) => r.round > state.executedRound);
    const rejectedCommands = new Set(rejections.flatMap((r) => r.commands));
    const runbook = runbookPlan(state, rejections, settings.language);

    const errors: ThreadError[] = [];
    let planned: PlannedCommand[] = [];
    let rationale = runbook?.rationale ?? "";
    let source: Proposal["source"] = "runbook";
    let usage: DiagnosisStateUpdate["usage"] = null;

    if (ctx.llm) {
      const redactor = createRedactor(settings.redactionPatterns);
      const delimiter = newDelimiter();
      const ran = [...new Set(state.runs.filter((r) => r.status !== "refused").map((r) => r.command))];
      const prompt = planPrompt({
        host,
        alarmText: state.alarm ? redactor.redact(alarmForPrompt(state.alarm)).text : null,
        question: state.question ? redactor.redact(state.question).text : null,
        runbook: runbook ? { name: runbook.runbook, rationale: runbook.rationale, commands: runbook.commands } : null,
        earlier: state.analysis ? { summary: redactor.redact(toMarkdown(state.analysis.summary)).text, findings: state.analysis.findings, ranCommands: ran } : null,
        rejections: rejections.map((r) => ({ commands: r.commands, reason: redactor.redact(r.reason).text })),
        delimiter,
        language: settings.language,
      });
      const reply = await askStructured(ctx.llm, { schema: PlanReply, name: SCHEMA.plan, prompt, signal: config.signal });
      if (reply.ok) {
        usage = reply.usage;
        const commands = reply.value.commands.filter((c) => !rejectedCommands.has(c.command.trim())).slice(0, MAX_PLAN_COMMANDS);
        if (commands.length > 0) {
          planned = commands;
          rationale = reply.value.rationale.trim() || rationale;
          source = "llm";
        } else {
          const message = rejections.length > 0 ? "The LLM proposed only commands the operator rejected; ATL falls back to its runbook." : "The LLM proposed no commands; ATL falls back to its runbook.";
          errors.push({ code: "llm-reply", message, node: "generate" });
        }
      } else {
        errors.push({ code: reply.failure.code, message: `${reply.failure.message} ATL proposes its built-in runbook instead.`, node: "generate" });
      }
    }
    if (planned.length === 0 && runbook) {
      planned = runbook.commands.filter((c) => !rejectedCommands.has(c.command));
      rationale = rejections.length > 0 ? alternativeRationale(runbook.rationale, settings.language) : runbook.rationale;
      source = "runbook";
    }
    for (const error of errors) {
      emit(config, { type: "error", code: error.code, message: error.message });
    }

    const commands = labelCommands(ctx.deps.policy, planned, nextCommandNumber(state.proposals));
    if (commands.length === 0) {
      const message = nothingElseToPropose(settings.language);
      emit(config, { type: "progress", message });
      return { errors, usage, round, proposal: null, status: rejections.length > 0 ? "rejected" : "done" };
    }
    const proposal = withStandingApproval(ctx.deps, { threadId: state.threadId, round, host, commands, rationale, source, autoApproved: false });
    return { errors, usage, round, proposal, proposals: [proposal], decision: null, approved: [], status: "waiting-approval" };
  };
}

/**
 * The runbook's plan for this turn. After a reject: a runbook the reason names ("check memory
 * instead") first, else the same plan without the rejected commands.
 */
function runbookPlan(state: DiagnosisStateType, rejections: Rejection[], language: ReportLanguage): RunbookPlan | null {
  const options = { language };
  const fromAlarm = () => (state.alarm ? planFromAlarm(state.alarm, options) : null);
  const base = state.question ? (planFromText(state.question, options) ?? fromAlarm()) : fromAlarm();
  const latest = rejections[rejections.length - 1];
  if (latest) {
    const rejected = new Set(rejections.flatMap((r) => r.commands));
    const named = planFromText(latest.reason, options);
    if (named && named.commands.some((c) => !rejected.has(c.command))) {
      return named;
    }
  }
  return base ?? planFromText("general health check", options);
}
