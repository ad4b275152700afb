// The ATL status bar item: is the queue being polled, how many incidents are open, and — when the
// consumer fails — its one-line error and fix, one click from the log.
import * as vscode from "vscode";
import type { PollingState } from "./polling";
import { Disposable } from "./disposable";

export interface StatusBarView {
  readonly text: string;
  readonly tooltip: string;
  readonly command: string | undefined;
  readonly severity: "normal" | "warning" | "error" | "muted";
}

/** What the item shows for a polling state and a count of open incidents (pure, for tests). */
export function statusBarView(state: PollingState, openIncidents: number, unacknowledged: number): StatusBarView {
  const count = openIncidents > 0 ? ` ${openIncidents}` : "";
  const incidents =
    openIncidents === 0
      ? vscode.l10n.t("No open incidents.")
      : openIncidents === 1
        ? vscode.l10n.t("1 open incident ({0} not acknowledged).", unacknowledged)
        : vscode.l10n.t("{0} open incidents ({1} not acknowledged).", openIncidents, unacknowledged);
  const attention = unacknowledged > 0 ? "warning" : "normal";
  switch (state.kind) {
    case "unconfigured":
      return {
        text: `$(bell-slash) ATL${count}`,
        tooltip: vscode.l10n.t("ATL: no SQS queue configured. Click to connect one."),
        command: "atl.configureSqs",
        severity: "muted",
      };
    case "stopped":
      return {
        text: `$(debug-pause) ATL${count}`,
        tooltip: `${vscode.l10n.t("ATL: polling stopped. Click to start.")}\n${incidents}`,
        command: "atl.startPolling",
        severity: openIncidents > 0 ? attention : "muted",
      };
    case "starting":
      return {
        text: `$(sync~spin) ATL${count}`,
        tooltip: `${vscode.l10n.t("ATL: connecting to the queue…")}\n${incidents}`,
        command: "atl.alarms.focus",
        severity: attention,
      };
    case "polling":
      return {
        text: `$(radio-tower) ATL${count}`,
        tooltip: `${vscode.l10n.t("ATL: polling {0} ({1} mode).", state.queueName, state.mode)}\n${incidents}`,
        command: "atl.alarms.focus",
        severity: attention,
      };
    case "standby":
      return {
        text: `$(radio-tower) ATL${count}`,
        tooltip: `${vscode.l10n.t("ATL: another VS Code window polls {0}; this window shows the same alarms.", state.queueName)}\n${incidents}`,
        command: "atl.alarms.focus",
        severity: attention,
      };
    case "error":
      return {
        text: `$(error) ATL${count}`,
        tooltip: `${state.message}${state.fix ? `\n${state.fix}` : ""}\n${vscode.l10n.t("Click to show the log.")}`,
        command: "atl.showLog",
        severity: "error",
      };
  }
}

export class AtlStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem("atl.status", vscode.StatusBarAlignment.Left, 50));
  private last: StatusBarView | undefined;

  constructor() {
    super();
    this.item.name = vscode.l10n.t("ATL alarms");
  }

  /** What is shown now (the in-editor tests read it). */
  get view(): StatusBarView | undefined {
    return this.last;
  }

  update(state: PollingState, openIncidents: number, unacknowledged: number): void {
    const view = statusBarView(state, openIncidents, unacknowledged);
    this.last = view;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.color = view.severity === "muted" ? new vscode.ThemeColor("disabledForeground") : undefined;
    this.item.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
    this.item.accessibilityInformation = { label: `${view.text.replace(/\$\([^)]*\)\s*/g, "")}. ${view.tooltip}`, role: "button" };
    this.item.show();
  }
}
