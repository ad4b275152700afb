// The diagnosis graph's state: one thread per diagnosis, checkpointed after every node. Plain JSON
// only (the checkpointer writes it to disk, the chat panel restores from it). Lists that grow over
// a thread (runs, proposals, answers, errors) append; everything else keeps the latest value.
import { Annotation } from "@langchain/langgraph";
import type { Alarm } from "../alarms/model";
import type { Analysis, ApprovalDecision, CommandRun, HostRef, Proposal, ProposedCommand, RichText, ThreadStatus, Usage } from "./diagnosis";
import { mergeUsage } from "../llm/usage";

/** What one turn of the thread asks for: the alarm that started it, or a chat message. */
export type Turn = { kind: "alarm"; alarm: Alarm; hostId: string | null } | { kind: "chat"; text: string; hostId: string | null };

/** Where receive sends a turn. `end`: nothing to do (e.g. the host is unknown: needs-host). */
export type Route = "generate" | "answer" | "fetch" | "end";

/** A rejected proposal and why: generate must come back with a different plan. */
export interface Rejection {
  round: number;
  reason: string;
  commands: string[];
}

/** A question answered from the thread's evidence (answer and fetch nodes). */
export interface Exchange {
  question: string;
  answer: RichText;
  source: "llm" | "offline" | "fetch";
}

/** A failure the thread survived (shown in the chat, kept in the report). */
export interface ThreadError {
  code: string;
  message: string;
  node: string;
}

/** A host question for the user: the thread stops with status needs-host until one is chosen. */
export interface HostNeeded {
  message: string;
  candidates: HostRef[];
}

const latest = <T>(initial: () => T) => Annotation<T>({ reducer: (_current: T, update: T) => update, default: initial });
const appended = <T>() => Annotation<T[]>({ reducer: (current: T[], update: T[]) => current.concat(update), default: () => [] });

export const DiagnosisState = Annotation.Root({
  /** The thread id (also the checkpointer's thread_id). */
  threadId: latest<string>(() => ""),
  /** When the thread started (ISO 8601). */
  createdAt: latest<string>(() => ""),
  /** The current turn; set by start / followUp, read by receive. */
  turn: latest<Turn | null>(() => null),
  /** The alarm the thread is about (from the first turn; a later alarm turn replaces it). */
  alarm: latest<Alarm | null>(() => null),
  /** The latest chat text of the user (null for an alarm turn). */
  question: latest<string | null>(() => null),
  /** The host every command of the thread runs on, once resolved. */
  host: latest<HostRef | null>(() => null),
  /** Set by receive when it cannot tell which host is meant. */
  hostNeeded: latest<HostNeeded | null>(() => null),
  /** The turn that stopped for want of a host; a later turn that names one resumes it. */
  stalledTurn: latest<Turn | null>(() => null),
  /** receive's routing decision for the current turn. */
  route: latest<Route>(() => "end"),
  /** Planning round: 1 for the first proposal, +1 for each re-plan or follow-up proposal. */
  round: latest<number>(() => 0),
  /** The proposal being decided (or just decided). */
  proposal: latest<Proposal | null>(() => null),
  /** Every proposal of the thread, in order; a proposal is replaced in place when its round is the same. */
  proposals: Annotation<Proposal[]>({
    reducer: (current: Proposal[], update: Proposal[]) => {
      const next = [...current];
      for (const proposal of update) {
        const at = next.findIndex((p) => p.round === proposal.round);
        if (at >= 0) {
          next[at] = proposal;
        } else {
          next.push(proposal);
        }
      }
      return next;
    },
    default: () => [],
  }),
  /** The user's answer to the latest proposal. */
  decision: latest<ApprovalDecision | null>(() => null),
  /** Commands the approval let through, already re-checked by the policy (refused ones run as "refused"). */
  approved: latest<ProposedCommand[]>(() => []),
  /** Every command outcome of the thread. */
  runs: appended<CommandRun>(),
  /** Ids of the runs of the latest execute step (what analyze looks at first). */
  lastRunIds: latest<string[]>(() => []),
  /** The round whose commands ran last (0: none yet); rejections after it shape the next plan. */
  executedRound: latest<number>(() => 0),
  rejections: appended<Rejection>(),
  /** The latest analysis (findings, summary, severity, next steps). */
  analysis: latest<Analysis | null>(() => null),
  answers: appended<Exchange>(),
  /** Token usage of the thread, summed over every LLM call. */
  usage: Annotation<Usage | null>({ reducer: (a: Usage | null, b: Usage | null) => mergeUsage(a, b), default: () => null }),
  errors: appended<ThreadError>(),
  /** Where the thread stands after the last node (waiting-approval is derived from the interrupt). */
  status: latest<ThreadStatus>(() => "running"),
});

export type DiagnosisStateType = typeof DiagnosisState.State;
export type DiagnosisStateUpdate = typeof DiagnosisState.Update;
