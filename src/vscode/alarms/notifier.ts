// Toasts for new alarms (setting `atl.alarms.notify`): one per alarm with a Diagnose button while
// few arrive, one "N new alarms — Show" once a storm starts. Only the polling window notifies, so
// several open windows do not each raise the same toast. With triage on arrival, an alarm whose
// triage starts gets one toast, the triage's ("plan ready… Review", "culprit — high · Open"),
// raised when the triage stops (src/vscode/triage/editorTriage.ts); this one stays silent for it.
import * as vscode from "vscode";
import type { Incident } from "../../alarms/model";
import type { Logger } from "../../shared/log";
import { Disposable } from "../disposable";
import type { AtlSettings } from "../settings";
import type { AlarmsSource } from "./alarmsModel";
import { type AlarmArrival, diffArrivals, NotificationPlanner, type NotificationAction, type SeenIncidents, snapshotOf, wantsNotification } from "../../alarms/notifications";
import { metricSummary, notificationText } from "../../alarms/present";

export class AlarmNotifier extends Disposable {
  private seen: SeenIncidents;
  private readonly planner = new NotificationPlanner();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Every toast shown (newest last): the in-editor tests read it, since toasts are not in the DOM there. */
  readonly shown: NotificationAction[] = [];
  /** True when the triage will raise this alarm's toast (set once the diagnosis features exist). */
  announcedByTriage: ((incident: Incident) => boolean) | undefined;

  constructor(
    private readonly source: AlarmsSource,
    private readonly settings: AtlSettings,
    private readonly shouldNotify: () => boolean,
    private readonly logger: Logger,
  ) {
    super();
    this.seen = snapshotOf(source.incidents());
    this._register(source.onDidChange(() => this.onStoreChange()));
    this._register({ dispose: () => clearTimeout(this.flushTimer) });
  }

  private onStoreChange(): void {
    const incidents = this.source.incidents();
    const arrivals = diffArrivals(this.seen, incidents);
    this.seen = snapshotOf(incidents);
    const mode = this.settings.current.alarms.notify;
    const wanted = arrivals.filter((a) => wantsNotification(a, mode));
    if (wanted.length === 0 || !this.shouldNotify()) {
      return;
    }
    if (this.announcedByTriage) {
      // The triage hears of the same change from the store after this listener: ask it a tick later.
      setImmediate(() => {
        if (!this.isDisposed) {
          this.plan(wanted.filter((a) => a.state !== "ALARM" || !this.announcedByTriage?.(a.incident)));
        }
      });
      return;
    }
    this.plan(wanted);
  }

  private plan(wanted: AlarmArrival[]): void {
    if (wanted.length === 0) {
      return;
    }
    for (const action of this.planner.add(wanted, Date.now())) {
      this.show(action);
    }
    if (this.planner.pending) {
      this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      const summary = this.planner.flush(Date.now());
      if (summary) {
        this.show(summary);
      } else if (this.planner.pending) {
        this.scheduleFlush();
      }
    }, this.planner.settleMs + 50);
  }

  private show(action: NotificationAction): void {
    this.shown.push(action);
    if (this.shown.length > 100) {
      this.shown.splice(0, this.shown.length - 100);
    }
    if (action.kind === "summary") {
      const showButton = vscode.l10n.t("Show");
      const message =
        action.alarms === action.count
          ? vscode.l10n.t("ATL: {0} more alarms arrived.", action.count)
          : vscode.l10n.t("ATL: {0} more alarm changes arrived ({1} in ALARM).", action.count, action.alarms);
      this.logger.info(message);
      void vscode.window.showWarningMessage(message, showButton).then(async (choice) => {
        if (choice === showButton) {
          await vscode.commands.executeCommand("atl.alarms.focus");
        }
      });
      return;
    }
    this.showSingle(action.arrival);
  }

  private showSingle(arrival: AlarmArrival): void {
    const { incident } = arrival;
    const metric = metricSummary(incident.alarm.metric, incident.alarm.reason);
    const name = notificationText(incident.name, 120);
    const detail = metric ? ` — ${notificationText(metric, 80)}` : "";
    const diagnose = vscode.l10n.t("Diagnose");
    const message =
      arrival.state === "ALARM"
        ? vscode.l10n.t("ATL: {0} is in ALARM{1}", name, detail)
        : arrival.state === "OK"
          ? vscode.l10n.t("ATL: {0} is OK again", name)
          : vscode.l10n.t("ATL: {0} has insufficient data", name);
    const show = arrival.state === "ALARM" ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const buttons = arrival.state === "ALARM" ? [diagnose] : [];
    void show(message, ...buttons).then(async (choice) => {
      if (choice === diagnose) {
        await vscode.commands.executeCommand("atl.diagnoseAlarm", incident);
      }
    });
  }
}
