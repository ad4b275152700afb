// approval: stops the graph at interrupt() with the labelled proposal; the caller resumes it with an
// ApprovalDecision. Nothing with side effects happens before interrupt() (on resume the node runs
// again from its start). A proposal the approval rules covered when it was made (autoApproved)
// skips the prompt. Edits and additions are checked by the policy again; refused commands never run.
import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { approvedCommands, autoApprovable, nextCommandNumber } from "../commands";
import { emit, type GraphContext } from "../context";
import type { ApprovalDecision, Proposal } from "../diagnosis";
import type { DiagnosisStateType, DiagnosisStateUpdate } from "../state";

/** Re-planning after this many rejections in a row would just go round in circles: stop. */
export const MAX_REJECTIONS = 3;

export function approvalNode(ctx: GraphContext) {
  return function approval(state: DiagnosisStateType, config: LangGraphRunnableConfig): DiagnosisStateUpdate {
    const proposal = state.proposal!;
    // Decided from the checkpointed proposal, not the rules now: deterministic when the node re-runs.
    const commands = proposal.autoApproved ? autoApprovable(proposal) : null;
    if (commands) {
      emit(config, { type: "proposal", proposal });
      return { approved: commands, decision: { kind: "approve", commandIds: commands.map((c) => c.id) }, status: "running" };
    }

    // The service validated the resume value; the graph re-runs this node from here on resume.
    const decision = interrupt<Proposal, ApprovalDecision>(proposal);

    if (decision.kind === "reject") {
      const rejection = { round: proposal.round, reason: decision.reason.trim(), commands: proposal.commands.map((c) => c.command) };
      const rejectedInARow = state.rejections.filter((r) => r.round > state.executedRound).length + 1;
      const stop = decision.replan === false || rejectedInARow >= MAX_REJECTIONS;
      return { decision, rejections: [rejection], approved: [], status: stop ? "rejected" : "running" };
    }
    const approved = approvedCommands(ctx.deps.policy, proposal, decision, nextCommandNumber(state.proposals));
    return { decision, approved, status: approved.length > 0 ? "running" : "rejected" };
  };
}

export type ApprovalRoute = "execute" | "generate" | "end";

export function routeAfterApproval(state: DiagnosisStateType): ApprovalRoute {
  if (state.decision?.kind === "reject") {
    return state.status === "rejected" ? "end" : "generate";
  }
  return state.approved.length > 0 ? "execute" : "end";
}
