// The Alarms view as the workbench shows it: the tree view with its badge, the context keys the
// manifest's menus and welcome views use, relative times kept fresh while visible, and the
// commands on alarms.
import * as vscode from "vscode";
import type { Incident } from "../../alarms/model";
import type { AlarmStore } from "../../alarms/store";
import { registerCommand } from "../commands";
import { Disposable } from "../disposable";
import type { PollingController } from "../polling";
import type { AtlServices } from "../services";
import {
  acknowledgeAlarms,
  clearResolved,
  copyAlarmArn,
  openAlarmInConsole,
  RAW_SCHEME,
  RawMessageDocuments,
  removeAlarms,
  showUnparsed,
  type AlarmCommandDeps,
} from "./alarmCommands";
import { AlarmsModel, type AlarmNode, type AlarmsSource } from "./alarmsModel";
import { AlarmsTreeProvider, type TriageLookup } from "./alarmsProvider";
import { AlarmNotifier } from "./notifier";

export const ALARMS_VIEW = "atl.alarms";
const CLOCK_TICK_MS = 60_000;

/** The store as the view model needs it. */
export function alarmsSource(store: AlarmStore): AlarmsSource {
  return {
    incidents: () => store.listIncidents({ status: "all" }),
    unparsed: () => store.listUnparsed(),
    onDidChange: (listener: (e: void) => unknown, thisArgs?: unknown, disposables?: vscode.Disposable[]) => {
      const subscription = store.onDidChange(() => {
        listener.call(thisArgs);
      });
      disposables?.push(subscription);
      return subscription;
    },
  };
}

export class AlarmsView extends Disposable {
  readonly model: AlarmsModel;
  readonly provider: AlarmsTreeProvider;
  readonly treeView: vscode.TreeView<AlarmNode>;
  readonly notifier: AlarmNotifier;
  private clock: NodeJS.Timeout | undefined;
  private shownBadge: number | undefined;
  private shownEmpty: boolean | undefined;

  constructor(services: AtlServices, polling: PollingController) {
    super();
    const { settings, store } = services;
    const source = alarmsSource(store);
    const hosts = () => settings.current.hosts;
    this.model = this._register(new AlarmsModel(source, hosts, settings.current.alarms.groupBy));
    this.provider = this._register(new AlarmsTreeProvider(this.model, hosts));
    this.treeView = this._register(vscode.window.createTreeView(ALARMS_VIEW, { treeDataProvider: this.provider, showCollapseAll: true, canSelectMany: true }));
    this.notifier = this._register(new AlarmNotifier(source, settings, () => polling.isLeader, services.logger));
    this._register(vscode.workspace.registerTextDocumentContentProvider(RAW_SCHEME, new RawMessageDocuments(store)));

    this._register(this.model.onDidChange(() => this.updateChrome()));
    this._register(
      settings.onDidChange((change) => {
        if (change.affects("alarms.groupBy")) {
          this.model.groupBy = change.current.alarms.groupBy;
          void vscode.commands.executeCommand("setContext", "atl.alarms.groupBy", change.current.alarms.groupBy);
        }
        if (change.affects("alarms.resolvedRetentionHours")) {
          store.setResolvedRetentionHours(change.current.alarms.resolvedRetentionHours);
          void store.ageOut();
        }
        if (change.affects("hosts")) {
          this.model.fireNow();
        }
        if (change.affects("sqs.queueUrl")) {
          void vscode.commands.executeCommand("setContext", "atl.configured.sqs", !!change.current.sqs.queueUrl);
        }
      }),
    );
    this._register(polling.onDidChangeState((state) => void vscode.commands.executeCommand("setContext", "atl.polling", state.kind !== "stopped" && state.kind !== "unconfigured")));
    // Relative times ("5 min ago") go stale: redraw once a minute while the view is visible.
    this._register(this.treeView.onDidChangeVisibility((e) => this.tickWhileVisible(e.visible)));
    this._register({ dispose: () => clearInterval(this.clock) });
    this.tickWhileVisible(this.treeView.visible);

    void vscode.commands.executeCommand("setContext", "atl.configured.sqs", !!settings.current.sqs.queueUrl);
    void vscode.commands.executeCommand("setContext", "atl.alarms.groupBy", settings.current.alarms.groupBy);
    void vscode.commands.executeCommand("setContext", "atl.polling", settings.current.sqs.autoStart && !!settings.current.sqs.queueUrl);
    this.updateChrome();
  }

  /** Shows each alarm's triage state (set once the diagnosis features exist). */
  setTriage(lookup: TriageLookup, onDidChange: vscode.Event<void>, announcedByTriage: (incident: Incident) => boolean): void {
    this.provider.triage = lookup;
    this.notifier.announcedByTriage = announcedByTriage;
    this._register(onDidChange(() => this.model.refresh()));
    this.model.fireNow();
  }

  private tickWhileVisible(visible: boolean): void {
    clearInterval(this.clock);
    this.clock = visible ? setInterval(() => this.model.fireNow(), CLOCK_TICK_MS) : undefined;
    if (visible) {
      this.model.fireNow();
    }
  }

  /**
   * Badge (open incidents), the empty-view context key, and the view's description — each set
   * only when its value changes: a badge set again redraws the ATL icon in the activity bar.
   */
  private updateChrome(): void {
    const counts = this.model.counts();
    if (counts.open !== this.shownBadge) {
      this.shownBadge = counts.open;
      this.treeView.badge =
        counts.open > 0
          ? { value: counts.open, tooltip: counts.open === 1 ? vscode.l10n.t("1 open incident") : vscode.l10n.t("{0} open incidents", counts.open) }
          : undefined;
    }
    const empty = counts.total === 0;
    if (empty !== this.shownEmpty) {
      this.shownEmpty = empty;
      void vscode.commands.executeCommand("setContext", "atl.alarms.empty", empty);
    }
  }

  /** The elements selected in the view (multi-select commands). */
  get selection(): readonly AlarmNode[] {
    return this.treeView.selection;
  }
}

export function registerAlarmCommands(view: AlarmsView, deps: AlarmCommandDeps, polling: PollingController): vscode.Disposable[] {
  const { logger, settings, store } = deps;
  return [
    registerCommand("atl.refreshAlarms", async () => {
      await store.reload();
      await store.ageOut();
      polling.retryNow();
      view.model.fireNow();
    }, logger),
    registerCommand("atl.startPolling", () => polling.start(), logger),
    registerCommand("atl.stopPolling", () => polling.stop(), logger),
    registerCommand("atl.copyAlarmArn", (arg, selection) => copyAlarmArn(deps, arg, selection), logger),
    registerCommand("atl.openAlarmInConsole", (arg) => openAlarmInConsole(deps, arg), logger),
    registerCommand("atl.acknowledgeAlarm", (arg, selection) => acknowledgeAlarms(deps, arg, selection), logger),
    registerCommand("atl.removeAlarm", (arg, selection) => removeAlarms(deps, arg, selection), logger),
    registerCommand("atl.showUnparsed", (arg) => showUnparsed(deps, arg), logger),
    registerCommand("atl.clearResolved", () => clearResolved(deps), logger),
    registerCommand("atl.groupAlarmsByState", () => settings.update("alarms.groupBy", "state"), logger),
    registerCommand("atl.groupAlarmsByHost", () => settings.update("alarms.groupBy", "host"), logger),
  ];
}
