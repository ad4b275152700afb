// The chat panel's message protocol, the one module both sides import: the host (src/vscode/chat/,
// src/diagnosis/thread.ts) and the webview (src/webview/). What the webview sends is defined by zod
// schemas the host validates with (a webview is untrusted input too: exact shapes, bounded sizes,
// nothing extra); the request types are inferred from them. Every request carries an id and gets
// exactly one `reply`, with a result or an error. Plain JSON only.
import * as z from "zod/mini";
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
import { AtlError } from "../shared/errors";
import { formatMessage } from "../shared/l10n";

export type { Alarm, ApprovalDecision, DiagnosisEvent, HostRef, NodeName, PolicyDecisionKind, Proposal, ProposedCommand, Risk, Severity, ThreadStatus };

/** Limits the host enforces on what the webview sends (and the webview on what it lets you type). */
export const LIMITS = {
  commandLength: 2000,
  textLength: 4000,
  reasonLength: 1000,
  commandsPerDecision: 50,
  idLength: 200,
  incidentIdLength: 2048,
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

// ---- webview → host: the schemas the host validates with -----------------------------------

export const REPORT_ACTIONS = ["open", "save", "copy"] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

/** Message for a check that is not one of zod's own codes (read back by `describeIssue`). */
const BLANK = "is empty";
const TWICE = "has a command selected twice";

// Built on the first message, not when the module loads: the extension loads this module at
// activation (the chat panel's host side), where building schemas would cost before the first paint.
function buildSchemas() {
  const nonBlank = (value: string): boolean => value.trim().length > 0;
  /** A string of at most `max` characters; blank only where `allowBlank` says so. */
  const text = (max: number, allowBlank = false) => (allowBlank ? z.string().check(z.maxLength(max)) : z.string().check(z.maxLength(max), z.refine(nonBlank, BLANK)));
  const id = text(LIMITS.idLength);
  const command = text(LIMITS.commandLength);
  const round = z.int().check(z.minimum(0));
  const list = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.maxLength(LIMITS.commandsPerDecision));
  const request = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) => z.strictObject({ type: z.literal(type), requestId: id, ...shape });

  const requests = [
    /** The policy's verdict on a command being edited or added; runs nothing. */
    request("check-command", { command: text(LIMITS.commandLength, true) }),
    request("approve", {
      round,
      commandIds: list(id).check(z.refine((ids) => new Set(ids).size === ids.length, TWICE)),
      edits: list(z.strictObject({ id, command })),
      add: list(command),
    }),
    /** `replan`: the reason goes back to the planner for a different plan; false ends the thread. */
    request("reject", { round, reason: text(LIMITS.reasonLength), replan: z.boolean() }),
    /**
     * A message in the thread. While a proposal waits, it is sent only with `rejectPending` (the
     * user agreed that it rejects the proposal, with the message as the reason, and re-plans).
     */
    request("follow-up", { text: text(LIMITS.textLength), rejectPending: z.boolean() }),
    request("pick-host", { hostId: id }),
    request("cancel", {}),
    request("report", { action: z.enum(REPORT_ACTIONS) }),
    request("diagnose-incident", { incidentId: text(LIMITS.incidentIdLength) }),
    /**
     * "Always allow…" next to a proposed read-only command: the host looks the command up in the
     * thread's own proposal (the webview sends no command text) and asks the user, in the editor's
     * own pickers, where and for how long. Nothing is granted without that answer.
     */
    request("allow-always", { round, commandId: id }),
  ] as const;
  const ready = z.strictObject({ type: z.literal("ready") });
  return { message: z.discriminatedUnion("type", [ready, ...requests]) };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;

/** Everything the webview may send: `ready`, then requests. */
export type FromWebviewMessage = z.infer<Schemas["message"]>;
export type RequestMessage = Exclude<FromWebviewMessage, { type: "ready" }>;
export type RequestType = RequestMessage["type"];
export type RequestOf<T extends RequestType> = Extract<RequestMessage, { type: T }>;

/** What a request's reply carries when the host accepted it. */
export interface RequestResults {
  "check-command": PolicyCheck;
  approve: null;
  reject: null;
  "follow-up": null;
  "pick-host": null;
  cancel: null;
  report: null;
  "diagnose-incident": null;
  "allow-always": null;
}

/** The outcome of one request: its result, or the message to show. */
export type Reply<T = RequestResults[RequestType]> = { ok: true; result: T } | { ok: false; error: string };

/** Returns the message if it is exactly one of the protocol's shapes; throws an AtlError otherwise. */
export function parseWebviewMessage(raw: unknown): FromWebviewMessage {
  schemas ??= buildSchemas();
  const parsed = schemas.message.safeParse(raw);
  if (parsed.success) {
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  throw new AtlError("webview-message", `The chat panel sent an invalid message: ${issue ? describeIssue(issue, raw) : "it does not parse"}.`, {
    fix: "Close and reopen the diagnosis panel.",
  });
}

/** One short sentence on what is wrong, quoting at most a short prefix of the offending text. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = issue.path.map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key).slice(0, 40)}`)).join("");
  const path = where === "" ? "" : `"${where}"`;
  switch (issue.code) {
    case "invalid_type":
      return path === "" ? "the message is not an object" : `${path} is not ${issue.expected === "array" ? "a list" : issue.expected === "int" ? "a non-negative integer" : `a ${issue.expected}`}`;
    case "too_big":
      return issue.origin === "array" ? `${path} has more than ${String(issue.maximum)} items` : `${path} is longer than ${String(issue.maximum)} characters`;
    case "too_small":
      return issue.origin === "number" || issue.origin === "int" ? `${path} is not a non-negative integer` : `${path} is too short`;
    case "unrecognized_keys":
      return `unexpected field "${where === "" ? "" : `${where}.`}${(issue.keys[0] ?? "").slice(0, 40)}"`;
    case "invalid_union": {
      const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
      return `unknown type ${JSON.stringify(typeof type === "string" ? type.slice(0, 40) : typeof type)}`;
    }
    case "invalid_value":
      return `${path} is not one of ${issue.values.map(String).join(", ")}`;
    case "custom":
      return `${path} ${issue.message}`;
    default:
      return `${path || "the message"} is invalid`;
  }
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
  /** The one answer to a request: its result, or refused with a message to show. */
  | ({ type: "reply"; requestId: string } & Reply);

export type ReplyMessage = Extract<ToWebviewMessage, { type: "reply" }>;

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
  "alwaysAllow",
  "runSelected",
  "runAllReadOnly",
  "reject",
  "rejectReasonLabel",
  "rejectReasonPlaceholder",
  "confirmReject",
  "rejectAndStop",
  "cancel",
  "nothingSelected",
  "decisionApprovedOne",
  "decisionApprovedOther",
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
  "usageCallsOne",
  "usageCallsOther",
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
  "requestTimedOut",
  "starting",
  "replaceProposalQuestion",
  "replaceProposal",
  "keepProposal",
  "showAll",
  "showLess",
  "open",
  "resolved",
] as const;

export type StringKey = (typeof STRING_KEYS)[number];
export type WebviewStrings = Record<StringKey, string>;

/** Fills `{0}`, `{1}`… in a localized string. */
export function format(template: string, ...args: (string | number)[]): string {
  return formatMessage(template, args);
}
