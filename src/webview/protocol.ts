// The chat panel's message protocol: one discriminated union per direction, imported by the host
// (src/vscode/chat/) and the webview (src/webview/). The host validates everything the webview sends
// (src/diagnosis/validate.ts): a webview is untrusted input too. Plain JSON only.
import type { Alarm } from "../alarms/model";
import type {
  ApprovalDecision,
  DiagnosisEvent,
  HostRef,
  NodeName,
  PolicyDecisionKind,
  Proposal,
  ProposedCommand,
  Risk,
  Severity,
  ThreadStatus,
} from "../graph/diagnosis";

export type { Alarm, ApprovalDecision, DiagnosisEvent, HostRef, NodeName, PolicyDecisionKind, Proposal, ProposedCommand, Risk, Severity, ThreadStatus };

/** Limits the host enforces on what the webview sends (and the webview on what it lets you type). */
export const LIMITS = {
  commandLength: 2000,
  textLength: 4000,
  reasonLength: 1000,
  commandsPerDecision: 50,
  idLength: 200,
} as const;

/** What a thread is about: shown in the card at the top of the panel. */
export interface ThreadHeader {
  threadId: string;
  /** Alarm name, or the host and question. Untrusted text. */
  title: string;
  alarm: Alarm | null;
  /** The user's words when the thread started from "Diagnose host". */
  question: string | null;
  host: HostRef | null;
  /** The incident the thread diagnoses (Diagnose on the same incident reopens this thread). */
  incidentId: string | null;
  createdAt: string;
}

/** One durable line of a thread: what the panel restores from after a reload. */
export type TranscriptEntry =
  | { kind: "user"; at: string; text: string }
  | { kind: "decision"; at: string; round: number; decision: ApprovalDecision }
  | { kind: "host-picked"; at: string; host: HostRef }
  | { kind: "event"; at: string; event: DiagnosisEvent };

export interface ThreadSnapshot {
  header: ThreadHeader;
  entries: TranscriptEntry[];
  status: ThreadStatus;
  /** A call into the graph is in flight (the input is disabled; Stop is offered). */
  busy: boolean;
  /** Round of the proposal waiting for a decision, if any. */
  pendingRound: number | null;
}

/** A host the user can pick when the graph cannot tell which host the thread is about. */
export type HostChoice = HostRef;

/** The policy's verdict on a command the user is editing. */
export interface PolicyCheck {
  command: string;
  decision: PolicyDecisionKind;
  risk: Risk;
  reason: string;
}

// ---- host → webview -------------------------------------------------------------------------

export type ToWebviewMessage =
  /** The whole thread: first answer to `ready`, and again after a reload. */
  | { type: "init"; strings: WebviewStrings; locale: string; thread: ThreadSnapshot; hosts: HostChoice[] }
  /** A durable entry appended to the transcript. */
  | { type: "entry"; entry: TranscriptEntry }
  /** Streamed LLM text of a node (transient: the final answer or analysis replaces it). */
  | { type: "token"; node: NodeName; text: string }
  | { type: "status"; status: ThreadStatus; busy: boolean; pendingRound: number | null }
  /** Answer to `check-command`. */
  | { type: "policy"; requestId: string; result: PolicyCheck }
  /** Answer to any request: accepted, or refused with a message to show. */
  | { type: "reply"; requestId: string; ok: boolean; error: string | null };

// ---- webview → host -------------------------------------------------------------------------

export type ReportAction = "open" | "save" | "copy";

export type FromWebviewMessage =
  | { type: "ready" }
  | { type: "check-command"; requestId: string; command: string }
  | {
      type: "approve";
      requestId: string;
      round: number;
      commandIds: string[];
      edits: { id: string; command: string }[];
      add: string[];
    }
  /** `replan`: the reason goes back to the planner for a different plan; false ends the thread. */
  | { type: "reject"; requestId: string; round: number; reason: string; replan: boolean }
  | { type: "follow-up"; requestId: string; text: string }
  | { type: "pick-host"; requestId: string; hostId: string }
  | { type: "cancel"; requestId: string }
  | { type: "report"; requestId: string; action: ReportAction }
  | { type: "diagnose-incident"; requestId: string; incidentId: string };

export type FromWebviewType = FromWebviewMessage["type"];

// ---- strings ----------------------------------------------------------------------------------

/**
 * Every string the webview shows, localized by the host (vscode.l10n) and sent in `init`.
 * `{0}`-style placeholders are filled in by the webview.
 */
export const STRING_KEYS = [
  "alarm",
  "state",
  "metric",
  "reason",
  "time",
  "host",
  "region",
  "account",
  "question",
  "noHost",
  "statusWaitingApproval",
  "statusRunning",
  "statusDone",
  "statusRejected",
  "statusNeedsHost",
  "statusFailed",
  "statusAnswered",
  "nodeReceive",
  "nodeGenerate",
  "nodeApproval",
  "nodeExecute",
  "nodeAnalyze",
  "nodeAnswer",
  "nodeFetch",
  "proposalTitle",
  "proposalRationale",
  "proposalFromRunbook",
  "proposalFromLlm",
  "proposalAutoApproved",
  "purpose",
  "expectedSignal",
  "riskReadOnly",
  "riskMutating",
  "riskRefused",
  "selectCommand",
  "editCommand",
  "checking",
  "addCommand",
  "addCommandPlaceholder",
  "removeCommand",
  "runSelected",
  "runAllReadOnly",
  "reject",
  "rejectReasonLabel",
  "rejectReasonPlaceholder",
  "confirmReject",
  "rejectAndStop",
  "cancel",
  "nothingSelected",
  "decisionApproved",
  "decisionRejected",
  "decisionEdited",
  "decisionAdded",
  "commandRunning",
  "exitCode",
  "duration",
  "truncated",
  "output",
  "stdout",
  "stderr",
  "noOutput",
  "runOk",
  "runFailed",
  "runRefused",
  "runTimeout",
  "runError",
  "runSkipped",
  "analysisTitle",
  "severity",
  "severityInfo",
  "severityLow",
  "severityMedium",
  "severityHigh",
  "severityCritical",
  "summary",
  "findings",
  "evidence",
  "nextSteps",
  "fallback",
  "answerTitle",
  "alarmsTitle",
  "alarmsNone",
  "diagnose",
  "hostNeededTitle",
  "pickHost",
  "hostPicked",
  "usage",
  "usageLine",
  "usageCost",
  "reportReady",
  "openReport",
  "saveReport",
  "copyReport",
  "errorTitle",
  "followUpLabel",
  "followUpPlaceholder",
  "send",
  "stop",
  "you",
  "working",
  "threadUsable",
  "open",
  "resolved",
] as const;

export type StringKey = (typeof STRING_KEYS)[number];
export type WebviewStrings = Record<StringKey, string>;

/** Fills `{0}`, `{1}`… in a localized string. */
export function format(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (match, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? match : String(value);
  });
}
