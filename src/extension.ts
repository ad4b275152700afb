// Activation: wiring only. Builds the services (logger, settings, secrets, alarm store, hosts),
// the Alarms and Hosts views, the status bar, polling and the commands, registers every
// disposable as it is created, and hands the services to the diagnosis features. Returns the
// small API the in-editor tests drive.
import * as path from "node:path";
import * as vscode from "vscode";
import { AlarmStore, type StoreProblem } from "./alarms/store";
import { approvalGate } from "./diagnosis/approvalRules";
import { bundleLoader } from "./diagnosis/bundles";
import { toAtlError } from "./shared/errors";
import { probeHost } from "./transports/probe";
import { installTranslator, type Translate } from "./shared/l10n";
import { registerDiagnosisFeatures, type DiagnosisFeatures } from "./vscode/chat/index";
import { AlarmsView, registerAlarmCommands } from "./vscode/alarms/alarmsView";
import { registerCommand, showError } from "./vscode/commands";
import { registerHostCommands, HostsView } from "./vscode/hosts/hostsView";
import { HostsModel } from "./vscode/hosts/hostsModel";
import { OutputChannelLogger } from "./vscode/log";
import { PollingController } from "./vscode/polling";
import { createReportRenderers } from "./report/index";
import { SecretStore, setLlmApiKey } from "./vscode/secrets";
import type { AtlServices } from "./vscode/services";
import { AtlSettings, settingsSchema } from "./vscode/settings";
import { registerSqsCommands } from "./vscode/sqs/sqsCommands";
import { createSqsPoller } from "./vscode/sqs/sqsPoller";
import { AtlStatusBar } from "./vscode/statusBar";
import { ApprovalRulesStore } from "./vscode/triage/rulesStore";
import { registerRulesView } from "./vscode/triage/rulesView";
import { EditorTriage } from "./vscode/triage/editorTriage";
import { EditorModels } from "./vscode/lm/editorModels";
import { registerLanguageModelTools, type LanguageModelTools } from "./vscode/lm/tools";
import { registerMcpServerDefinitionProvider } from "./vscode/lm/mcpServer";
import { registerChatParticipant } from "./vscode/lm/participant";

/** What activate() returns: the pieces the in-editor tests inspect. Not a public API. */
export interface AtlApi {
  readonly services: AtlServices;
  readonly alarms: AlarmsView;
  readonly hosts: HostsView;
  readonly statusBar: AtlStatusBar;
  readonly polling: PollingController;
  readonly diagnosis: DiagnosisFeatures;
  readonly tools: LanguageModelTools;
  readonly triage: EditorTriage;
  readonly activationMs: number;
}

let shutdown: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<AtlApi> {
  const started = performance.now();
  // Messages of the code without `vscode` (SQS, transports, LLM) in the display language too.
  const forward: Translate = (message, ...args) => vscode.l10n.t(message, ...args);
  installTranslator(forward);
  context.subscriptions.push({ dispose: () => installTranslator(undefined) });
  const logger = new OutputChannelLogger();
  context.subscriptions.push(logger);
  context.subscriptions.push(registerCommand("atl.showLog", () => logger.show(), logger));

  try {
    const settings = new AtlSettings(settingsSchema(context.extension.packageJSON), logger);
    context.subscriptions.push(settings);
    const secrets = new SecretStore(context.secrets, logger);
    context.subscriptions.push(secrets);

    const storageDir = context.globalStorageUri.fsPath;
    const store = await AlarmStore.open({ dir: storageDir, logger, resolvedRetentionHours: settings.current.alarms.resolvedRetentionHours });
    context.subscriptions.push(store);
    // A damaged store file was worked around (AlarmStore.open never fails): say so once.
    const showStoreProblem = (problem: StoreProblem): void => {
      const showLog = vscode.l10n.t("Show log");
      void vscode.window.showWarningMessage(problem.message, showLog).then((choice) => choice === showLog && logger.show());
    };
    store.problems.forEach(showStoreProblem);
    context.subscriptions.push(store.onDidReportProblem(showStoreProblem));

    const hosts = new HostsModel(settings, secrets, (host, signal) => probeHost(host, { signal }), logger);
    context.subscriptions.push(hosts);

    // Approval rules live in global state (never settings: a repository cannot grant approval).
    const rules = new ApprovalRulesStore(context.globalState, logger);
    context.subscriptions.push(rules);
    await rules.migrateOldSetting(vscode.workspace.getConfiguration("atl")).catch((error: unknown) => logger.error(toAtlError(error, "storage")));

    const distDir = path.join(context.extensionUri.fsPath, "dist");
    // The diagnosis graph and the AWS SDK load on first use, not at activation.
    const loadGraph = bundleLoader("graph", distDir, logger);
    const loadSqs = bundleLoader("sqs", distDir, logger);
    const languageModels = new EditorModels(context, settings, logger);
    context.subscriptions.push(languageModels);
    const services: AtlServices = {
      logger,
      settings,
      secrets,
      hosts,
      onDidChangeHosts: hosts.onDidChangeHosts,
      store,
      incidents: store,
      reports: createReportRenderers(),
      storageDir,
      loadGraph,
      loadSqs,
      rules,
      approvals: approvalGate(rules),
      languageModels,
    };

    const polling = new PollingController(settings, (sqs) => createSqsPoller(sqs, { store, storageDir, logger, loadSqs }), logger);
    context.subscriptions.push(polling);

    const alarms = new AlarmsView(services, polling);
    context.subscriptions.push(alarms);
    const hostsView = new HostsView(hosts);
    context.subscriptions.push(hostsView);

    const statusBar = new AtlStatusBar();
    context.subscriptions.push(statusBar);
    const updateStatus = (): void => {
      const counts = store.counts();
      statusBar.update(polling.state, counts.open, counts.unacknowledged);
    };
    context.subscriptions.push(polling.onDidChangeState(updateStatus), store.onDidChange(updateStatus));
    updateStatus();

    context.subscriptions.push(
      ...registerAlarmCommands(alarms, { store, settings, logger }, polling),
      ...registerHostCommands(hostsView, { settings, secrets, hosts, logger, loadGraph }),
      ...registerSqsCommands({ settings, logger, polling, loadSqs }),
      registerCommand("atl.setLlmApiKey", () => setLlmApiKey(secrets, settings.current.llm.provider), logger),
      ...registerRulesView({ store: rules, hosts: () => settings.current.hosts, logger }),
      registerCommand("atl.openSettings", () => vscode.commands.executeCommand("workbench.action.openSettings", "@ext:atl-team.atl"), logger),
    );

    const diagnosis = registerDiagnosisFeatures(context, services);
    // Proactive triage: an arriving alarm starts its own diagnosis in the polling window.
    const triage = new EditorTriage({ store, settings, diagnosis, isLeader: () => polling.isLeader, onDidChangePolling: polling.onDidChangeState, logger });
    context.subscriptions.push(triage);
    alarms.setTriage((incident) => triage.triageOf(incident), triage.onDidChange, (incident) => triage.announces(incident));
    // ATL inside Copilot's agent mode and other agents: language-model tools, MCP server definition.
    const tools = registerLanguageModelTools(services, diagnosis);
    context.subscriptions.push(...tools.disposables, ...registerMcpServerDefinitionProvider(context, services), ...registerChatParticipant(context, services, diagnosis));

    settings.reportProblems();
    await polling.initialize();
    void hosts.refresh();

    shutdown = async () => {
      await polling.shutdown();
      await store.close();
    };

    const activationMs = Math.round(performance.now() - started);
    logger.info(`ATL activated in ${activationMs} ms`);
    return { services, alarms, hosts: hostsView, statusBar, polling, diagnosis, tools, triage, activationMs };
  } catch (error) {
    // Without the store there is nothing to show: say why once, with the fix, and fail activation.
    const atl = toAtlError(error, "storage");
    showError(atl, logger, "activation");
    throw atl;
  }
}

/** Stops polling (awaiting the loop) and writes what the store still holds. */
export async function deactivate(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.();
}
