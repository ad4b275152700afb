// The diagnosis loop in the editor: "Diagnose host" / "Diagnose alarm", one chat panel per thread
// (restored after a reload through the `atl.chat` serializer), the Diagnoses history view, and the
// report commands. `registerDiagnosisFeatures` is called once from extension.ts.
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import type { CommandPolicy } from "../../../agent/src/policy/types";
import type { Incident } from "../../alarms/model";
import { AtlError } from "../../shared/errors";
import { formatDateTime, pluralForm } from "../../shared/format";
import type { ApprovalGate, DiagnosisIncidents, DiagnosisSettings } from "../../graph/deps";
import type { DiagnosisInput, DiagnosisReport, DiagnosisService, HostRef, ThreadStatus } from "../../graph/diagnosis";
import type { HostEntry, SecretLookup } from "../../hosts/model";
import type { LlmSettings } from "../../llm/settings";
import type { Logger } from "../../shared/log";
import type { PolicyCheck, ReportAction, ThreadHeader } from "../../webview/protocol";
import { hostForIncident } from "../../diagnosis/grouping";
import { registerCommand } from "../commands";
import { DiagnosisHistory, type DiagnosisSummary } from "../../diagnosis/history";
import { DiagnosesTreeProvider, DIAGNOSES_VIEW, severityText, statusText } from "../diagnoses/view";
import type { HostStatus } from "../hosts/hostsModel";
import { ReportPublisher, type ReportRenderers } from "../report/reports";
import type { BundleLoader, GraphBundle } from "../../diagnosis/bundles";
import { GraphServiceProvider } from "../../diagnosis/graphService";
import { ChatPanel, CHAT_VIEW_TYPE, type PanelState } from "./panel";
import { threadTexts } from "./strings";
import { DiagnosisThread, latestReport, type ThreadDeps } from "../../diagnosis/thread";

/** What the diagnosis features need from the rest of the extension (services.ts provides it). */
export interface DiagnosisFeatureServices {
  logger: Logger;
  settings: {
    llmSettings(apiKey: string | undefined): LlmSettings | null;
    diagnosisSettings(): DiagnosisSettings;
  };
  secrets: SecretLookup & { llmApiKey(): Promise<string | undefined> };
  hosts: {
    readonly hosts: HostEntry[];
    get(id: string): HostEntry | undefined;
    status(id: string): HostStatus;
    refresh(): Promise<void>;
    readonly onDidChange: vscode.Event<void>;
  };
  /** The alarm store: open incidents for "Diagnose alarm" and the graph's fetch node. */
  incidents: DiagnosisIncidents;
  /** The command policy, if the extension already built one (otherwise graph.js provides it). */
  policy?: CommandPolicy;
  /** The user's approval rules, as the graph asks them. */
  approvals?: ApprovalGate;
  /** Markdown and plain-text report renderers (src/report). */
  reports: ReportRenderers;
  /** dist/graph.js, loaded on the first diagnosis. */
  loadGraph: BundleLoader<GraphBundle>;
  /** The editor's language models (src/vscode/lm): their LLM settings, and consent asked on a user action. */
  languageModels?: {
    llmSettings(apiKey: string | undefined): Promise<LlmSettings | null>;
    prepareForUserAction(): Promise<void>;
  };
}

/** What tests (through activate()'s return value) and other features use. */
export interface DiagnosisFeatures {
  readonly history: DiagnosisHistory;
  readonly reports: ReportPublisher;
  /** The Diagnoses view's provider. */
  readonly tree: DiagnosesTreeProvider;
  /** Fires when a chat panel is created (opened or restored). */
  readonly onDidOpenPanel: vscode.Event<ChatPanel>;
  panel(threadId: string): ChatPanel | undefined;
  thread(threadId: string): DiagnosisThread | undefined;
  /** Opens (or reveals) the panel of a stored thread. */
  open(threadId: string): Promise<ChatPanel>;
  /**
   * Proactive triage (src/vscode/triage/editorTriage.ts): a thread for an arriving alarm, with no
   * panel, no click and no consent prompt. `id` is the triage's; undefined when a thread with that
   * id exists already (one arrival never runs twice). `run` starts it and resolves when it stops;
   * the caller raises the toast of that first run.
   */
  createTriageThread(id: string, incident: Incident, host: HostEntry | null): Promise<{ thread: DiagnosisThread; run(): Promise<ThreadStatus> } | undefined>;
}

export function registerDiagnosisFeatures(context: vscode.ExtensionContext, services: DiagnosisFeatureServices): DiagnosisFeatures {
  const controller = new DiagnosisController(context, services);
  context.subscriptions.push(controller);
  return controller;
}

/** How long a new thread waits for its panel to show before it starts anyway. */
const PANEL_SHOWN_TIMEOUT_MS = 10_000;

type HostPick = vscode.QuickPickItem & { host: HostEntry };
type IncidentPick = vscode.QuickPickItem & { incident: Incident };
type ThreadPick = vscode.QuickPickItem & { id: string };

class DiagnosisController implements DiagnosisFeatures, vscode.Disposable {
  readonly history: DiagnosisHistory;
  readonly reports: ReportPublisher;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly threads = new Map<string, DiagnosisThread>();
  private readonly panels = new Map<string, ChatPanel>();
  private readonly loading = new Map<string, Promise<DiagnosisThread | undefined>>();
  /** Triage threads in their first run: their toast is the triage's, not notify()'s. */
  private readonly triageRuns = new Set<string>();
  private readonly graph: GraphServiceProvider;
  private readonly openEmitter = new vscode.EventEmitter<ChatPanel>();
  private readonly logger: Logger;
  readonly tree: DiagnosesTreeProvider;
  private readonly treeView: vscode.TreeView<DiagnosisSummary>;
  private shownBadge: number | undefined;

  readonly onDidOpenPanel = this.openEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: DiagnosisFeatureServices,
  ) {
    this.logger = services.logger;
    const storage = context.globalStorageUri.fsPath;
    this.history = new DiagnosisHistory(path.join(storage, "diagnoses"), this.logger);
    this.graph = new GraphServiceProvider({
      loadGraph: services.loadGraph,
      checkpointDir: path.join(storage, "checkpoints"),
      logger: this.logger,
      secrets: services.secrets,
      incidents: services.incidents,
      hosts: () => services.hosts.hosts,
      llmSettings: (key) => (services.languageModels ? services.languageModels.llmSettings(key) : services.settings.llmSettings(key)),
      diagnosisSettings: () => services.settings.diagnosisSettings(),
      ...(services.policy ? { policy: services.policy } : {}),
      ...(services.approvals ? { approvals: services.approvals } : {}),
      busy: () => [...this.threads.values()].some((t) => t.isBusy),
    });
    this.reports = new ReportPublisher(services.reports, (id) => this.reportOf(id));
    this.tree = new DiagnosesTreeProvider(this.history);
    this.treeView = vscode.window.createTreeView(DIAGNOSES_VIEW, { treeDataProvider: this.tree, showCollapseAll: false });
    this.disposables.push(this.openEmitter, this.reports, this.tree, this.treeView, { dispose: () => this.graph.dispose() });
    // Other windows' diagnoses appear (and go) without a reload.
    this.disposables.push(this.history.onDidChange(() => this.updateBadge()), this.history.watch());

    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(CHAT_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, state: unknown) => this.restorePanel(panel, state),
      }),
      registerCommand("atl.diagnoseHost", (arg, text) => this.diagnoseHost(arg, text), this.logger),
      registerCommand("atl.diagnoseAlarm", (arg) => this.diagnoseAlarm(arg), this.logger),
      registerCommand("atl.openDiagnosis", async (arg) => (await this.open(await this.threadIdFrom(arg, false))).threadId, this.logger),
      registerCommand("atl.removeDiagnosis", async (arg) => this.remove(await this.threadIdFrom(arg, false)), this.logger),
      registerCommand("atl.openReport", async (arg) => this.report(await this.threadIdFrom(arg, true), "open"), this.logger),
      registerCommand("atl.saveReport", async (arg) => this.report(await this.threadIdFrom(arg, true), "save"), this.logger),
      registerCommand("atl.copyReport", async (arg) => this.report(await this.threadIdFrom(arg, true), "copy"), this.logger),
    );
  }

  panel(threadId: string): ChatPanel | undefined {
    return this.panels.get(threadId);
  }

  thread(threadId: string): DiagnosisThread | undefined {
    return this.threads.get(threadId);
  }

  async open(threadId: string): Promise<ChatPanel> {
    const existing = this.panels.get(threadId);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const thread = await this.loadThread(threadId);
    if (!thread) {
      throw new AtlError("not-found", vscode.l10n.t("This diagnosis no longer exists."), { fix: vscode.l10n.t("It was removed from the Diagnoses view.") });
    }
    const panel = vscode.window.createWebviewPanel(CHAT_VIEW_TYPE, thread.header.title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, "media")],
    });
    return this.attachPanel(panel, thread);
  }

  async createTriageThread(id: string, incident: Incident, host: HostEntry | null): Promise<{ thread: DiagnosisThread; run(): Promise<ThreadStatus> } | undefined> {
    await this.history.load();
    if (this.threads.has(id) || this.history.summary(id) || (await this.history.get(id))) {
      return undefined;
    }
    const header = { title: incident.alarm.name, alarm: incident.alarm, question: null, host: host ? hostRef(host) : null, incidentId: incident.id };
    // Without a host the graph resolves it from the alarm and says which id is not in the inventory.
    const input: DiagnosisInput = host ? { kind: "alarm", alarm: incident.alarm, hostId: host.id } : { kind: "alarm", alarm: incident.alarm };
    const thread = await DiagnosisThread.create(id, header, input, this.threadDeps(), { triage: true });
    this.adopt(thread);
    const run = async (): Promise<ThreadStatus> => {
      this.triageRuns.add(id);
      try {
        return await thread.start();
      } finally {
        this.triageRuns.delete(id);
      }
    };
    return { thread, run };
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) {
      panel.dispose();
    }
    for (const thread of this.threads.values()) {
      thread.dispose();
    }
    this.threads.clear();
    for (const disposable of this.disposables.splice(0)) {
      disposable.dispose();
    }
  }

  // ---- commands ----------------------------------------------------------------------------------

  private async diagnoseHost(arg: unknown, textArg: unknown): Promise<string | undefined> {
    const hosts = this.services.hosts;
    let host = hostFromArg(arg, (id) => hosts.get(id));
    if (arg !== undefined && !host && typeof arg === "string") {
      throw new AtlError("host-unknown", vscode.l10n.t("No host with id {0} in atl.hosts.", arg), { fix: vscode.l10n.t("Add it with ATL: Add host, or check atl.hosts.") });
    }
    host ??= await this.pickHost();
    if (!host) {
      return undefined;
    }
    const text = typeof textArg === "string" && textArg.trim().length > 0 ? textArg.trim() : await this.askSymptom(host);
    if (!text) {
      return undefined;
    }
    await this.services.languageModels?.prepareForUserAction();
    const ref = hostRef(host);
    const title = `${host.name}: ${text.split("\n")[0] ?? text}`;
    return this.startThread(
      { title: title.length > 80 ? `${title.slice(0, 79)}…` : title, alarm: null, question: text, host: ref, incidentId: null },
      { kind: "chat", text, hostId: host.id },
    );
  }

  private async diagnoseAlarm(arg: unknown): Promise<string | undefined> {
    const incident = this.incidentFromArg(arg) ?? (await this.pickIncident());
    if (!incident) {
      return undefined;
    }
    // Diagnose on an incident that already has a live or finished thread reopens that thread.
    await this.history.load();
    const existing = this.history.list().find((s) => s.incidentId === incident.id && s.status !== "failed");
    if (existing) {
      await this.open(existing.id);
      return existing.id;
    }
    const host = hostForIncident(incident, this.services.hosts.hosts);
    await this.services.languageModels?.prepareForUserAction();
    return this.startThread(
      { title: incident.alarm.name, alarm: incident.alarm, question: null, host: host ? hostRef(host) : null, incidentId: incident.id },
      host ? { kind: "alarm", alarm: incident.alarm, hostId: host.id } : { kind: "alarm", alarm: incident.alarm },
    );
  }

  private async remove(threadId: string): Promise<void> {
    this.panels.get(threadId)?.dispose();
    const thread = this.threads.get(threadId);
    thread?.dispose();
    this.threads.delete(threadId);
    await this.history.remove(threadId);
    // The graph's checkpoint of the thread goes too (when the graph is loaded; else it is inert).
    try {
      await this.graph.built?.deleteThread(threadId);
    } catch (error) {
      this.logger.warn(`Could not delete the checkpoint of diagnosis ${threadId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async report(threadId: string, action: ReportAction): Promise<void> {
    switch (action) {
      case "open":
        await this.reports.open(threadId);
        return;
      case "save":
        await this.reports.save(threadId);
        return;
      case "copy":
        await this.reports.copy(threadId);
        return;
    }
  }

  // ---- threads and panels ------------------------------------------------------------------------

  private async startThread(header: Omit<ThreadHeader, "threadId" | "createdAt">, input: DiagnosisInput): Promise<string> {
    const thread = await DiagnosisThread.create(randomUUID(), header, input, this.threadDeps());
    this.adopt(thread);
    const panel = await this.open(thread.id);
    // Start once the panel shows the thread (it says "starting" while the first diagnosis loads the
    // engine, which blocks the extension host for seconds); a webview that is slow to load does
    // not hold the diagnosis back for long.
    void panel.whenShown(PANEL_SHOWN_TIMEOUT_MS).then(() => thread.start());
    return thread.id;
  }

  private threadDeps(): ThreadDeps {
    return {
      service: (): Promise<DiagnosisService> => this.graph.get(),
      history: this.history,
      logger: this.logger,
      onReport: (report: DiagnosisReport, previous: DiagnosisReport | null) => this.reports.publish(report, previous),
      text: threadTexts(),
    };
  }

  private adopt(thread: DiagnosisThread): void {
    this.threads.set(thread.id, thread);
    thread.onDidChangeStatus((status) => this.notify(thread, status));
  }

  private async loadThread(threadId: string): Promise<DiagnosisThread | undefined> {
    const loaded = this.threads.get(threadId);
    if (loaded) {
      return loaded;
    }
    let pending = this.loading.get(threadId);
    if (!pending) {
      pending = (async () => {
        const record = await this.history.get(threadId);
        if (!record) {
          return undefined;
        }
        const thread = await DiagnosisThread.restore(record, this.threadDeps());
        this.adopt(thread);
        return thread;
      })();
      this.loading.set(threadId, pending);
      void pending.finally(() => this.loading.delete(threadId));
    }
    return pending;
  }

  private async restorePanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const threadId = typeof state === "object" && state !== null ? (state as Partial<PanelState>).threadId : undefined;
    const thread = typeof threadId === "string" ? await this.loadThread(threadId).catch(() => undefined) : undefined;
    if (!thread || this.panels.has(thread.id)) {
      // Removed from the history (or already open elsewhere): nothing to restore.
      panel.dispose();
      return;
    }
    this.attachPanel(panel, thread);
  }

  private attachPanel(webviewPanel: vscode.WebviewPanel, thread: DiagnosisThread): ChatPanel {
    const panel = new ChatPanel(webviewPanel, thread, this.context.extensionUri, {
      logger: this.logger,
      checkCommand: (command) => this.checkCommand(command),
      hosts: () => this.services.hosts.hosts.map(hostRef),
      pickHost: (t, hostId) => {
        const host = this.services.hosts.get(hostId);
        if (!host) {
          throw new AtlError("webview-message", vscode.l10n.t("No host with id {0} in atl.hosts.", hostId));
        }
        return t.pickHost(hostRef(host));
      },
      report: (threadId, action) => this.report(threadId, action),
      diagnoseIncident: async (incidentId) => {
        await this.diagnoseAlarm(incidentId);
      },
      allowAlways: async (command, hostId) => {
        // The rule's pickers (src/vscode/triage/rulesView.ts) ask where and for how long.
        await vscode.commands.executeCommand("atl.addApprovalRule", { command, hostId });
      },
    });
    this.panels.set(thread.id, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(thread.id) === panel) {
        this.panels.delete(thread.id);
      }
    });
    this.openEmitter.fire(panel);
    return panel;
  }

  private checkCommand(command: string): PolicyCheck {
    if (command.trim().length === 0) {
      return { command, decision: "refused", risk: "read-only", reason: vscode.l10n.t("Empty command.") };
    }
    const decision = this.graph.policy().check(command);
    return { command, decision: decision.decision, risk: decision.risk, reason: decision.reason };
  }

  private async reportOf(threadId: string): Promise<DiagnosisReport | null> {
    const thread = this.threads.get(threadId);
    if (thread) {
      return thread.latestReport();
    }
    const record = await this.history.get(threadId);
    return record ? latestReport(record.entries) : null;
  }

  /** A toast when a thread needs the user, or finished, while its panel is not in view. */
  private notify(thread: DiagnosisThread, status: ThreadStatus): void {
    const panel = this.panels.get(thread.id);
    if (panel?.panel.visible || this.triageRuns.has(thread.id)) {
      return;
    }
    const title = thread.header.title;
    const open = vscode.l10n.t("Open");
    let message: string;
    switch (status) {
      case "waiting-approval":
        message = vscode.l10n.t("ATL: “{0}” waits for your approval of the proposed commands.", title);
        break;
      case "needs-host":
        message = vscode.l10n.t("ATL: “{0}” needs you to pick a host.", title);
        break;
      case "done": {
        const severity = this.history.summary(thread.id)?.severity;
        message = severity ? vscode.l10n.t("ATL: diagnosis of “{0}” finished (severity {1}).", title, severityText(severity)) : vscode.l10n.t("ATL: diagnosis of “{0}” finished.", title);
        break;
      }
      case "failed":
        message = vscode.l10n.t("ATL: diagnosis of “{0}” failed; its panel shows why.", title);
        break;
      default:
        return;
    }
    void vscode.window.showInformationMessage(message, open).then(async (choice) => {
      if (choice === open) {
        await this.open(thread.id);
      }
    });
  }

  /** Set only when the count changes: a badge set again redraws the ATL icon in the activity bar (every save of a thread tells the history). */
  private updateBadge(): void {
    const waiting = this.history.list().filter((s) => s.status === "waiting-approval" || s.status === "needs-host").length;
    if (waiting === this.shownBadge) {
      return;
    }
    this.shownBadge = waiting;
    const tooltip = pluralForm(waiting, vscode.env.language, { one: vscode.l10n.t("{0} diagnosis waits for you", waiting), other: vscode.l10n.t("{0} diagnoses wait for you", waiting) });
    this.treeView.badge = waiting > 0 ? { value: waiting, tooltip } : undefined;
  }

  // ---- pickers ---------------------------------------------------------------------------------------

  /** Quick pick of `atl.hosts` with each host's reachability, updated live as probes answer. */
  private async pickHost(): Promise<HostEntry | undefined> {
    const hosts = this.services.hosts;
    if (hosts.hosts.length === 0) {
      const add = vscode.l10n.t("Add host");
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t("No hosts are configured in atl.hosts."), add);
      if (choice === add) {
        await vscode.commands.executeCommand("atl.addHost");
      }
      return undefined;
    }
    const quickPick = vscode.window.createQuickPick<HostPick>();
    quickPick.title = vscode.l10n.t("ATL: Diagnose host");
    quickPick.placeholder = vscode.l10n.t("Pick the host to diagnose");
    quickPick.matchOnDescription = true;
    const render = (): void => {
      const activeId = quickPick.activeItems[0]?.host.id;
      const items = [...hosts.hosts].sort((a, b) => a.name.localeCompare(b.name)).map((host) => hostPick(host, hosts.status(host.id)));
      quickPick.items = items;
      const active = items.find((item) => item.host.id === activeId);
      if (active) {
        quickPick.activeItems = [active];
      }
      quickPick.busy = items.some((item) => hosts.status(item.host.id).state === "checking");
    };
    const subscription = hosts.onDidChange(render);
    render();
    if (hosts.hosts.some((h) => isStale(hosts.status(h.id)))) {
      void hosts.refresh();
    }
    try {
      return await new Promise<HostEntry | undefined>((resolve) => {
        quickPick.onDidAccept(() => {
          resolve(quickPick.selectedItems[0]?.host);
          quickPick.hide();
        });
        quickPick.onDidHide(() => resolve(undefined));
        quickPick.show();
      });
    } finally {
      subscription.dispose();
      quickPick.dispose();
    }
  }

  private async askSymptom(host: HostEntry): Promise<string | undefined> {
    const text = await vscode.window.showInputBox({
      title: vscode.l10n.t("ATL: Diagnose {0}", host.name),
      prompt: vscode.l10n.t("What is wrong on {0}? Describe the symptom; ATL proposes commands for you to approve.", host.name),
      placeHolder: vscode.l10n.t("e.g. the API answers slowly since 10:00, CPU looks high"),
      ignoreFocusOut: true,
      validateInput: (value) => {
        if (value.trim().length === 0) {
          return vscode.l10n.t("Describe the symptom in a few words.");
        }
        return value.length > 4000 ? vscode.l10n.t("At most 4000 characters.") : undefined;
      },
    });
    return text?.trim() || undefined;
  }

  private incidentFromArg(arg: unknown): Incident | undefined {
    if (typeof arg === "string") {
      const incident = this.services.incidents.listIncidents({ status: "all" }).find((i) => i.id === arg);
      if (!incident) {
        throw new AtlError("not-found", vscode.l10n.t("That alarm is no longer in the Alarms view."), { fix: vscode.l10n.t("It may have been removed or aged out; refresh the Alarms view.") });
      }
      return incident;
    }
    if (isIncident(arg)) {
      // The tree hands over its copy; prefer the store's latest state of the same incident.
      return this.services.incidents.listIncidents({ status: "all" }).find((i) => i.id === arg.id) ?? arg;
    }
    return undefined;
  }

  private async pickIncident(): Promise<Incident | undefined> {
    const open = this.services.incidents.listIncidents({ status: "open" });
    if (open.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t("No open alarms to diagnose. Use ATL: Diagnose host to look at a host directly."));
      return undefined;
    }
    const items: IncidentPick[] = open.map((incident) => ({
      label: incident.alarm.name,
      description: [incident.alarm.state, incident.hostId ?? undefined, formatDateTime(incident.lastChangeAt, vscode.env.language)].filter(Boolean).join(" · "),
      detail: incident.alarm.reason.slice(0, 200),
      incident,
    }));
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t("ATL: Diagnose alarm"), placeHolder: vscode.l10n.t("Pick an open alarm"), matchOnDescription: true });
    return picked?.incident;
  }

  /** The thread a command is about: its argument, the active panel, or a pick from the history. */
  private async threadIdFrom(arg: unknown, needsReport: boolean): Promise<string> {
    if (typeof arg === "string") {
      return arg;
    }
    if (typeof arg === "object" && arg !== null && typeof (arg as { id?: unknown }).id === "string") {
      return (arg as { id: string }).id;
    }
    const active = [...this.panels.values()].find((p) => p.panel.active);
    if (active && (!needsReport || active.thread.latestReport())) {
      return active.threadId;
    }
    await this.history.load();
    const candidates = this.history.list().filter((s) => !needsReport || s.hasReport);
    if (candidates.length === 0) {
      throw new AtlError("not-found", needsReport ? vscode.l10n.t("No diagnosis has a report yet.") : vscode.l10n.t("There are no diagnoses yet."), {
        fix: vscode.l10n.t("Start one with ATL: Diagnose host or Diagnose alarm."),
      });
    }
    const picked = await vscode.window.showQuickPick<ThreadPick>(
      candidates.map((s) => ({ label: s.title, description: `${statusText(s.status)} · ${formatDateTime(s.createdAt, vscode.env.language)}`, id: s.id })),
      { title: vscode.l10n.t("ATL: pick a diagnosis") },
    );
    if (!picked) {
      throw new AtlError("cancelled", "cancelled");
    }
    return picked.id;
  }
}

function hostRef(host: HostEntry): HostRef {
  return { id: host.id, name: host.name, transport: host.transport };
}

function hostFromArg(arg: unknown, get: (id: string) => HostEntry | undefined): HostEntry | undefined {
  if (typeof arg === "string") {
    return get(arg);
  }
  if (typeof arg === "object" && arg !== null) {
    const id = (arg as { id?: unknown }).id;
    if (typeof id === "string") {
      return get(id) ?? get(id.replace(/^host:/, ""));
    }
  }
  return undefined;
}

function isIncident(value: unknown): value is Incident {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const v = value as Partial<Incident>;
  return typeof v.id === "string" && typeof v.alarm === "object" && v.alarm !== null && typeof v.arn === "string";
}

function isStale(status: HostStatus): boolean {
  return status.state === "unknown" || (status.state !== "checking" && (!status.checkedAt || Date.now() - status.checkedAt.getTime() > 60_000));
}

function hostPick(host: HostEntry, status: HostStatus): HostPick {
  let detail: string;
  switch (status.state) {
    case "reachable": {
      const parts = [vscode.l10n.t("$(pass) reachable")];
      if (status.health?.latencyMs !== null && status.health?.latencyMs !== undefined) {
        parts.push(`${Math.round(status.health.latencyMs)} ms`);
      }
      if (status.health?.version) {
        parts.push(status.health.version);
      }
      detail = parts.join(" · ");
      break;
    }
    case "unreachable":
      detail = vscode.l10n.t("$(error) unreachable: {0}", status.health?.error ?? vscode.l10n.t("no answer"));
      break;
    case "checking":
      detail = vscode.l10n.t("$(sync~spin) checking…");
      break;
    case "unknown":
      detail = vscode.l10n.t("not checked yet");
      break;
  }
  const where = host.transport === "agent" ? `agent ${host.url}` : `ssh ${host.username}@${host.host}${host.port ? `:${host.port}` : ""}`;
  return { label: host.name, description: host.id === host.name ? where : `${host.id} · ${where}`, detail, host };
}
