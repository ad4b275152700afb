// Labelling proposed commands with the command policy (before anyone sees them) and turning an
// approval decision into the list of commands to run. Pure functions: the approval node calls them
// after interrupt() returns, and tests call them directly.
import type { CommandPolicy } from "../../agent/src/policy/types";
import type { DiagnosisDeps } from "./deps";
import type { ApprovalDecision, CommandRun, Proposal, ProposedCommand } from "./diagnosis";

export interface PlannedCommand {
  command: string;
  purpose: string;
  expectedSignal: string;
}

/** Normalizes a command line: one line, trimmed, bounded. Null when nothing usable is left. */
export function cleanCommand(command: string): string | null {
  const line = command.replace(/\r?\n+/g, " ").replace(/\s+/g, " ").trim();
  if (line.length === 0 || line.length > 1000) {
    return null;
  }
  return line;
}

/** Policy-labels planned commands, dropping empty lines and duplicates, with ids from `firstId`. */
export function labelCommands(policy: CommandPolicy, planned: PlannedCommand[], firstId: number): ProposedCommand[] {
  const seen = new Set<string>();
  const out: ProposedCommand[] = [];
  for (const p of planned) {
    const command = cleanCommand(p.command);
    if (!command || seen.has(command)) {
      continue;
    }
    seen.add(command);
    out.push(labelOne(policy, `c${firstId + out.length}`, command, p.purpose.trim(), p.expectedSignal.trim()));
  }
  return out;
}

export function labelOne(policy: CommandPolicy, id: string, command: string, purpose: string, expectedSignal: string): ProposedCommand {
  const decision = policy.check(command);
  return { id, command, purpose, expectedSignal, decision: decision.decision, risk: decision.risk, reason: decision.reason, rule: decision.rule };
}

/** The next free command number in a thread (ids stay unique across rounds: c1…c5, then c6…). */
export function nextCommandNumber(proposals: Proposal[]): number {
  let max = 0;
  for (const proposal of proposals) {
    for (const command of proposal.commands) {
      const n = Number(/^c(\d+)$/.exec(command.id)?.[1] ?? 0);
      max = Math.max(max, n);
    }
  }
  return max + 1;
}

/**
 * The commands an approval lets through, re-checked by the policy. Only listed ids run (so a
 * mutating command runs only when the user listed it); edits replace a command's text and are
 * checked again; added commands get new ids. Refused commands stay in the list, marked refused:
 * execute records them and never sends them.
 */
export function approvedCommands(policy: CommandPolicy, proposal: Proposal, decision: Extract<ApprovalDecision, { kind: "approve" }>, firstNewId: number): ProposedCommand[] {
  const listed = new Set(decision.commandIds);
  const edits = new Map((decision.edits ?? []).map((e) => [e.id, e.command]));
  const out: ProposedCommand[] = [];
  for (const command of proposal.commands) {
    if (!listed.has(command.id)) {
      continue;
    }
    const edited = edits.get(command.id);
    if (edited !== undefined) {
      const line = cleanCommand(edited);
      if (!line) {
        continue;
      }
      out.push(labelOne(policy, command.id, line, command.purpose, command.expectedSignal));
    } else {
      // Re-check even unedited commands: the policy may have changed since the proposal was made.
      out.push(labelOne(policy, command.id, command.command, command.purpose, command.expectedSignal));
    }
  }
  let next = firstNewId;
  for (const added of decision.add ?? []) {
    const line = cleanCommand(added);
    if (!line) {
      continue;
    }
    out.push(labelOne(policy, `c${next}`, line, "Added by the operator.", ""));
    next += 1;
  }
  return out;
}

/**
 * A new proposal as the approval rules leave it: marked auto-approved (with the rules) when they
 * let every allowed command run. Called where proposals are made, once, so the approval node can
 * decide from the checkpointed proposal alone when it runs again on resume.
 */
export function withStandingApproval(deps: DiagnosisDeps, proposal: Proposal): Proposal {
  const host = deps.approvals ? deps.hosts.get(proposal.host.id) : undefined;
  if (!deps.approvals || !host || !autoApprovable(proposal)) {
    return proposal;
  }
  const rules = deps.approvals.approve(proposal, host);
  return rules ? { ...proposal, autoApproved: true, approvedBy: rules } : proposal;
}

/** Commands auto-approval may run: the allowed read-only ones (only when nothing else is allowed). */
export function autoApprovable(proposal: Proposal): ProposedCommand[] | null {
  const allowed = proposal.commands.filter((c) => c.decision === "allowed");
  if (allowed.length === 0 || allowed.some((c) => c.risk !== "read-only")) {
    return null;
  }
  return allowed;
}

/** A refused command's record: reported in the results, never sent to the host. */
export function refusedRun(command: ProposedCommand): CommandRun {
  return {
    id: command.id,
    command: command.command,
    status: "refused",
    exitCode: null,
    signal: null,
    stdout: "",
    stderr: "",
    durationMs: 0,
    truncated: false,
    reason: command.reason,
  };
}
