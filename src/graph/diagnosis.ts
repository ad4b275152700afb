// The diagnosis as the rest of ATL sees it: proposals, approval decisions, command runs, findings,
// reports, and the events a run streams. The chat panel, the CLI and the report renderers use these
// types; the graph's internal state lives in state.ts. Plain JSON, no classes: they cross the
// extension ↔ webview boundary and the checkpointer.
import type { Alarm, Incident } from "../alarms/model";
import type { PolicyDecisionKind, Risk } from "../../agent/src/policy/types";

export type { PolicyDecisionKind, Risk };

export type Severity = "info" | "low" | "medium" | "high" | "critical";

export type NodeName = "receive" | "generate" | "approval" | "execute" | "analyze" | "answer" | "fetch";

export interface HostRef {
  id: string;
  name: string;
  transport: "agent" | "ssh";
}

/** One proposed command, labelled by the policy before anyone sees it. */
export interface ProposedCommand {
  /** Stable within the proposal (`c1`, `c2`, …); approvals refer to it. */
  id: string;
  command: string;
  /** Why run it. */
  purpose: string;
  /** What in its output would confirm or rule out a cause. */
  expectedSignal: string;
  decision: PolicyDecisionKind;
  risk: Risk;
  /** The policy's reason (why refused, or what kind of read it is). */
  reason: string;
  rule: string;
}

export interface Proposal {
  threadId: string;
  /** 1 for the first plan of a thread, +1 per re-plan (reject, follow-up). */
  round: number;
  host: HostRef;
  commands: ProposedCommand[];
  /** One or two sentences on the plan. */
  rationale: string;
  source: "runbook" | "llm";
  /** Set when read-only commands were approved automatically by the host's auto-approve setting. */
  autoApproved: boolean;
}

/**
 * The user's answer at the approval step. `approve` lists the ids to run; mutating commands run
 * only when listed explicitly; refused ones never run. `edits` replace a command's text and are
 * re-checked by the policy (an edit that is refused is reported, not run). `add` appends new
 * commands written by the user (also checked). A reject sends the reason back to the planner for a
 * different plan; `replan: false` ends the thread instead (status "rejected").
 */
export type ApprovalDecision =
  | { kind: "approve"; commandIds: string[]; edits?: { id: string; command: string }[]; add?: string[] }
  | { kind: "reject"; reason: string; replan?: boolean };

export type RunStatus = "ok" | "failed" | "refused" | "timeout" | "error" | "skipped";

/** The outcome of one command on the host. Output is untrusted text. */
export interface CommandRun {
  id: string;
  command: string;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  truncated: boolean;
  /** Policy reason when refused, error text when the transport failed. */
  reason: string | null;
}

export interface Evidence {
  commandId: string;
  command: string;
  /** The lines of output the finding rests on (verbatim, short). */
  excerpt: string;
}

export interface Finding {
  title: string;
  detail: string;
  severity: Severity;
  evidence: Evidence[];
  /** `parser` findings come from the built-in output parsers; `llm` from the model. */
  source: "parser" | "llm";
}

export interface Analysis {
  summary: string;
  severity: Severity;
  findings: Finding[];
  nextSteps: string[];
  source: "runbook" | "llm";
  /** Set when the LLM failed and the runbook analysis stands in (shown to the user). */
  fallbackReason: string | null;
}

export interface Usage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Estimated from the price table; null when the model has no price. */
  costUsd: number | null;
  calls: number;
}

export interface DiagnosisReport {
  threadId: string;
  createdAt: string;
  alarm: Alarm | null;
  host: HostRef | null;
  /** The user's words when the diagnosis started from chat. */
  question: string | null;
  proposals: Proposal[];
  runs: CommandRun[];
  analysis: Analysis | null;
  usage: Usage | null;
  language: "en" | "ko";
  /** Where the thread stood when the report was made (absent in reports from older versions). */
  status?: ThreadStatus;
  /** Rejected plans and why. */
  rejections?: { round: number; reason: string; commands: string[] }[];
  /** Follow-up questions and their answers. */
  answers?: { question: string; answer: string }[];
  /** Failures the thread survived (LLM errors, unreachable host), in order. */
  errors?: { code: string; message: string }[];
}

/** What starts a thread. */
export type DiagnosisInput =
  | { kind: "alarm"; alarm: Alarm; hostId?: string }
  | { kind: "chat"; text: string; hostId?: string };

export type ThreadStatus = "waiting-approval" | "running" | "done" | "rejected" | "needs-host" | "failed" | "answered";

/** Streamed while the graph runs; the chat panel renders them, the CLI prints progress. */
export type DiagnosisEvent =
  | { type: "node"; node: NodeName; phase: "started" | "finished" }
  | { type: "progress"; message: string }
  | { type: "proposal"; proposal: Proposal }
  | { type: "command-started"; id: string; command: string }
  | { type: "command-finished"; run: CommandRun }
  | { type: "token"; node: NodeName; text: string }
  | { type: "analysis"; analysis: Analysis }
  | { type: "answer"; text: string }
  | { type: "alarms"; incidents: Incident[]; query: string }
  | { type: "host-needed"; message: string; candidates: HostRef[] }
  | { type: "report"; report: DiagnosisReport }
  | { type: "usage"; usage: Usage }
  | { type: "status"; status: ThreadStatus }
  | { type: "error"; code: string; message: string };

export type DiagnosisEventSink = (event: DiagnosisEvent) => void;

/** What a caller (chat panel, CLI) drives: one thread per diagnosis, resumable after a restart. */
export interface DiagnosisService {
  /** Starts a thread; resolves when it stops (waiting for approval, done, …). */
  start(threadId: string, input: DiagnosisInput, onEvent: DiagnosisEventSink, signal?: AbortSignal): Promise<ThreadStatus>;
  /** Answers a pending approval (also after a reload: the checkpoint is on disk). */
  resume(threadId: string, decision: ApprovalDecision, onEvent: DiagnosisEventSink, signal?: AbortSignal): Promise<ThreadStatus>;
  /** A follow-up in the same thread: more commands, a question about the evidence, or an alarm list. */
  followUp(threadId: string, text: string, onEvent: DiagnosisEventSink, signal?: AbortSignal): Promise<ThreadStatus>;
  /** The pending proposal of a thread, if it waits for approval (for restoring a panel). */
  pendingProposal(threadId: string): Promise<Proposal | null>;
  /** The latest report of a thread, if any. */
  report(threadId: string): Promise<DiagnosisReport | null>;
}
