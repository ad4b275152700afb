// The services extension.ts builds once at activation and hands to every feature — the contract
// between the extension's wiring and the diagnosis features (src/vscode/chat/index.ts):
//
//   logger    the "ATL" LogOutputChannel behind the Logger interface
//   settings  typed `atl.*` (current snapshot, onDidChange, llmSettings(apiKey), diagnosisSettings())
//   secrets   SecretStorage: get(name), llmApiKey(), agentSecret(hostId), set/delete, onDidChange
//   hosts     the Hosts view's model: hosts, get(id), status(id) (reachability), refresh(), onDidChange
//   onDidChangeHosts  fires with the new inventory when `atl.hosts` changes
//   store     the AlarmStore in global storage (incidents, unparsed entries, acknowledge/remove…)
//   incidents the store as the graph sees it (IncidentSource + hostForArn)
//   policy    the command policy, when the extension built one (graph.js otherwise provides it)
//   reports   the report renderers (Markdown and plain text)
//   storageDir  the extension's global storage folder (created)
//   loadGraph dist/graph.js, loaded on first use only (src/diagnosis/bundles.ts)
//   loadSqs   dist/sqs.js (the AWS SDK), loaded when this window polls or tests a queue
//   rules     the user's approval rules (global state); approvals: the graph's gate over them
//   languageModels  the editor's language models (Copilot…): LLM settings for auto/vscode, consent
//
// Commands pass domain objects: `atl.diagnoseAlarm` gets an Incident (tree click, context menu,
// notification button), an incident id, or nothing (palette: pick). Host commands get a HostEntry
// (Hosts view), a host id, or nothing (pick).
import type * as vscode from "vscode";
import type { CommandPolicy } from "../../agent/src/policy/types";
import type { AlarmStore } from "../alarms/store";
import type { BundleLoader, GraphBundle, SqsBundle } from "../diagnosis/bundles";
import type { DiagnosisIncidents } from "../graph/deps";
import type { HostEntry } from "../hosts/model";
import type { Logger } from "../shared/log";
import type { DiagnosisFeatureServices } from "./chat/index";
import type { HostsModel } from "./hosts/hostsModel";
import type { ReportRenderers } from "./report/reports";
import type { EditorModels } from "./lm/editorModels";
import type { SecretStore } from "./secrets";
import type { AtlSettings } from "./settings";
import type { ApprovalRulesStore } from "./triage/rulesStore";

export interface AtlServices extends DiagnosisFeatureServices {
  readonly logger: Logger;
  readonly settings: AtlSettings;
  readonly secrets: SecretStore;
  readonly hosts: HostsModel;
  readonly onDidChangeHosts: vscode.Event<HostEntry[]>;
  readonly store: AlarmStore;
  readonly incidents: DiagnosisIncidents;
  readonly policy?: CommandPolicy;
  readonly reports: ReportRenderers;
  readonly storageDir: string;
  readonly loadGraph: BundleLoader<GraphBundle>;
  readonly loadSqs: BundleLoader<SqsBundle>;
  /** The user's approval rules (global state). */
  readonly rules: ApprovalRulesStore;
  readonly languageModels: EditorModels;
}
