// The diagnosis as the rest of ATL sees it: proposals, approval decisions, command runs, findings,
// reports, and the events a run streams. The chat panel, the CLI and the report renderers use these
// types; the graph's internal state lives in state.ts. Plain JSON, no classes: they cross the
// extension ↔ webview boundary and the checkpointer.
import type { Alarm, Incident } from "../alarms/model";
import type { PolicyDecisionKind, Risk } from "../../agent/src/policy/types";
import type { Usage } from "../llm/usage";
import type { ReportLanguage } from "../shared/l10n";
import type { RichText, Span } from "../shared/richText";

export type { PolicyDecisionKind, Risk, RichText, Span, Usage };

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
  /** Set when approval rules let the plan's read-only commands run without asking. */
  autoApproved: boolean;
  /** The rules that approved it (absent in proposals from older versions and ones a person approved). */
  approvedBy?: ApprovalRuleRef[];
}

/** An approval rule as a proposal records it: enough to say which rule let commands run. */
export interface ApprovalRuleRef {
  id: string;
  /** The argv prefix, or `*` for any read-only command. */
  command: string;
  /** `host:prod-web-*`, `tag:web` or `all`. */
  scope: string;
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

/**
 * What a diagnosis is about: the resources of a host an on-call engineer reasons in (the USE
 * method's utilisation, saturation and errors, per resource). A question or an alarm is understood
 * as one or more of these; every finding and every culprit belongs to one.
 */
export type Resource =
  | "cpu"
  | "memory"
  | "swap"
  | "disk-space"
  | "inodes"
  | "disk-io"
  /** The number of processes and threads (pids in use against pid_max). */
  | "processes"
  | "zombies"
  | "file-descriptors"
  /** Sockets, connections, ports and listen queues. */
  | "connections"
  /** Interfaces, their errors and drops, retransmissions. */
  | "network"
  /** systemd units and the daemons behind them. */
  | "services"
  /** OOM kills, hung tasks, lockups, panics, file system and I/O errors from the kernel. */
  | "kernel"
  | "time"
  | "dns"
  /** Reboots and availability (status checks). */
  | "reboot";

/** Every resource, in the order reports list them. */
export const RESOURCES: readonly Resource[] = [
  "cpu",
  "memory",
  "swap",
  "disk-space",
  "inodes",
  "disk-io",
  "processes",
  "zombies",
  "file-descriptors",
  "connections",
  "network",
  "services",
  "kernel",
  "time",
  "dns",
  "reboot",
];

export type CulpritKind = "process" | "parent" | "client" | "listener" | "path" | "mount" | "unit" | "device" | "interface" | "user" | "other";

/** The thing behind a symptom, named so the engineer can act on it. */
export interface Culprit {
  resource: Resource;
  kind: CulpritKind;
  /**
   * What the engineer acts on: the process's command name, the zombies' parent's name, the client
   * (its address, or its command name when it runs on the host), the file or directory path, the
   * mount point, the unit name, the device or interface name.
   */
  name: string;
  pid: number | null;
  /** One short clause with the figure that makes it the culprit ("5012 open files of 1024 allowed"). */
  detail: string | null;
}

/** One thing the analysis looked at, for "no evidence of X; checked: …". */
export interface Check {
  resource: Resource;
  /** What was read, in the report language ("open files per process"). */
  what: string;
  /** The command whose output it was read from. */
  commandId: string;
  command: string;
  /** `abnormal`: it produced a finding above info; `no-data`: the command ran but gave nothing usable. */
  outcome: "normal" | "abnormal" | "no-data";
}

/**
 * Text a person reads in a diagnosis (summary, findings, next steps, answers) is RichText: ATL's
 * code spans kept apart from untrusted text, so every renderer shows code as code and the rest
 * literally (src/shared/richText.ts). The runbook rules write Markdown strings instead
 * (MarkdownFinding: untrusted values through mdCode/mdText); the graph reads them into RichText
 * once, where it takes the runbook analysis (src/graph/runbookText.ts).
 */
export interface Finding<Text = RichText> {
  title: Text;
  detail: Text;
  severity: Severity;
  evidence: Evidence[];
  /** `parser` findings come from the built-in output parsers; `llm` from the model. */
  source: "parser" | "llm";
  /** The resource the finding is about (absent in findings from older versions). */
  resource?: Resource;
  /** The culprit this finding names, if it names one. */
  culprit?: Culprit | null;
}

export interface Analysis<Text = RichText> {
  summary: Text;
  severity: Severity;
  findings: Finding<Text>[];
  nextSteps: Text[];
  source: "runbook" | "llm";
  /** Set when the LLM failed and the runbook analysis stands in (shown to the user). */
  fallbackReason: string | null;
  /**
   * The verdict: what the evidence ties to the symptom asked about or alarmed on. Null when no
   * finding ties one (the summary then says "no evidence of …; checked: …"), never a busy process
   * that has nothing to do with the question.
   */
  culprit: Culprit | null;
  /** What the question or alarm was understood to be about, most specific first. */
  resources: Resource[];
  /** What was checked, per resource. */
  checked: Check[];
}

/** A finding as the runbook rules write it: Markdown, code spans for ATL's code. */
export type MarkdownFinding = Finding<string>;
/** An analysis as the runbook rules write it (see MarkdownFinding). */
export type MarkdownAnalysis = Analysis<string>;

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
  language: ReportLanguage;
  /** Where the thread stood when the report was made (absent in reports from older versions). */
  status?: ThreadStatus;
  /** Rejected plans and why. */
  rejections?: { round: number; reason: string; commands: string[] }[];
  /** Follow-up questions and their answers. */
  answers?: { question: string; answer: RichText }[];
  /** Failures the thread survived (LLM errors, unreachable host), in order. */
  errors?: { code: string; message: string }[];
}

/** What starts a thread. */
export type DiagnosisInput =
  | { kind: "alarm"; alarm: Alarm; hostId?: string }
  | { kind: "chat"; text: string; hostId?: string };

export type ThreadStatus = "waiting-approval" | "running" | "done" | "rejected" | "needs-host" | "failed" | "answered";

/**
 * A diagnosis keeps its verdict: once it has an analysis, a later turn that ends answered,
 * rejected or failed (a question, a rejected or stopped follow-up round) leaves it "done". What
 * needs the user or is in flight (waiting-approval, needs-host, running) still shows.
 */
export function statusAfterTurn(turn: ThreadStatus, hasVerdict: boolean): ThreadStatus {
  return hasVerdict && (turn === "answered" || turn === "rejected" || turn === "failed") ? "done" : turn;
}

/** Streamed while the graph runs; the chat panel renders them, the CLI prints progress. */
export type DiagnosisEvent =
  | { type: "node"; node: NodeName; phase: "started" | "finished" }
  | { type: "progress"; message: string }
  | { type: "proposal"; proposal: Proposal }
  | { type: "command-started"; id: string; command: string }
  | { type: "command-finished"; run: CommandRun }
  | { type: "token"; node: NodeName; text: string }
  | { type: "analysis"; analysis: Analysis }
  | { type: "answer"; text: RichText }
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
