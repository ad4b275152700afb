// What the diagnosis graph needs from the outside world, as small interfaces: the LLM settings (the
// model itself is built inside graph.js so LangChain never enters extension.js), the host
// directory, the command policy, the alarm store, where checkpoints live, a logger and settings.
import type { Alarm, IncidentSource } from "../alarms/model";
import type { HostEntry } from "../hosts/model";
import type { AlarmHostMatch } from "../hosts/resolve";
import type { Logger } from "../shared/log";
import type { Transport } from "../transports/transport";
import type { ChatModel } from "../llm/chat";
import type { LlmSettings } from "../llm/settings";
import type { CommandPolicy } from "../../agent/src/policy/types";
import type { ApprovalRuleRef, Proposal } from "./diagnosis";
import type { ReportLanguage } from "../shared/l10n";

export type { AzureSettings, LlmProvider, LlmSettings, ModelPrice, StructuredOutputMethod } from "../llm/settings";

/** The host directory (src/hosts/directory.ts implements it). */
export interface HostResolver {
  list(): HostEntry[];
  get(id: string): HostEntry | undefined;
  /** The host an alarm names, or why there is none (src/hosts/resolve.ts). */
  resolveAlarmHost(alarm: Alarm): AlarmHostMatch;
  /** The host an alarm names, or null. */
  resolveForAlarm(alarm: Alarm): HostEntry | null;
  resolveFromText(text: string): HostEntry | null;
  /** A connected transport to the host (cached by the directory; do not dispose it). */
  transport(host: HostEntry): Promise<Transport>;
}

/**
 * Standing approvals (src/diagnosis/approvalRules.ts): whether a new plan may run without asking.
 * Asked once per proposal, when it is made (never when a waiting proposal is resumed, so a rule
 * added meanwhile cannot override the person's decision).
 */
export interface ApprovalGate {
  /** The rules that let every allowed command of the plan run (once-rules among them are spent), or null: ask. */
  approve(proposal: Proposal, host: HostEntry): ApprovalRuleRef[] | null;
}

/** Read on every run, so changes apply to the next step without recreating the service. */
export interface DiagnosisSettings {
  /** Per command on the host. */
  timeoutSeconds: number;
  /** Tokens of each command's output sent to the LLM (head + tail). */
  outputTokenBudget: number;
  /** Extra regular expressions redacted before text reaches the LLM. */
  redactionPatterns: string[];
  language: ReportLanguage;
}

/** The alarm store as the graph sees it: incidents for fetch, and composite children → host. */
export type DiagnosisIncidents = IncidentSource & {
  /** The host id of the (child) alarm with this ARN, if the store knows it. */
  hostForArn?(arn: string): string | null;
};

export interface DiagnosisDeps {
  /** null: no LLM, the built-in runbooks plan and analyse (unless `chatModel` is given). */
  llm: LlmSettings | null;
  /**
   * A chat model the caller built (the editor's language model): used instead of one built from
   * `llm`, whose prices, if any, still cost its usage.
   */
  chatModel?: ChatModel;
  hosts: HostResolver;
  policy: CommandPolicy;
  incidents: DiagnosisIncidents;
  /** Directory of the file-backed checkpointer (one JSON file per thread). Created if missing. */
  checkpointDir: string;
  logger: Logger;
  settings(): DiagnosisSettings;
  /** Standing approvals; absent: every plan waits for a person. */
  approvals?: ApprovalGate;
  clock?: () => Date;
}
