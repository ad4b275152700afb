// The Diagnoses view: one row per thread (alarm or host, time, severity, status), newest first.
// Clicking a row reopens its chat panel; the context menu opens, copies or removes its report.
import { formatDate, formatDateTime } from "../../shared/format";
import * as vscode from "vscode";
import type { Severity, ThreadStatus } from "../../graph/diagnosis";
import type { DiagnosisHistory, DiagnosisSummary } from "../../diagnosis/history";

export const DIAGNOSES_VIEW = "atl.diagnoses";

export function statusText(status: ThreadStatus): string {
  switch (status) {
    case "waiting-approval":
      return vscode.l10n.t("waiting for approval");
    case "running":
      return vscode.l10n.t("running");
    case "done":
      return vscode.l10n.t("done");
    case "rejected":
      return vscode.l10n.t("rejected");
    case "needs-host":
      return vscode.l10n.t("needs a host");
    case "failed":
      return vscode.l10n.t("failed");
    case "answered":
      return vscode.l10n.t("answered");
  }
}

export function severityText(severity: Severity): string {
  switch (severity) {
    case "info":
      return vscode.l10n.t("info");
    case "low":
      return vscode.l10n.t("low");
    case "medium":
      return vscode.l10n.t("medium");
    case "high":
      return vscode.l10n.t("high");
    case "critical":
      return vscode.l10n.t("critical");
  }
}

function icon(summary: DiagnosisSummary): vscode.ThemeIcon {
  switch (summary.status) {
    case "waiting-approval":
      return new vscode.ThemeIcon("bell-dot", new vscode.ThemeColor("list.warningForeground"));
    case "running":
      return new vscode.ThemeIcon("loading~spin");
    case "needs-host":
      return new vscode.ThemeIcon("server", new vscode.ThemeColor("list.warningForeground"));
    case "rejected":
      return new vscode.ThemeIcon("circle-slash");
    case "failed":
      return new vscode.ThemeIcon("error", new vscode.ThemeColor("list.errorForeground"));
    case "answered":
      return new vscode.ThemeIcon("comment-discussion");
    case "done":
      switch (summary.severity) {
        case "critical":
        case "high":
          return new vscode.ThemeIcon("flame", new vscode.ThemeColor("list.errorForeground"));
        case "medium":
          return new vscode.ThemeIcon("warning", new vscode.ThemeColor("list.warningForeground"));
        default:
          return new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed"));
      }
  }
}

function relativeTime(iso: string, now: number): string {
  const minutes = Math.round((now - Date.parse(iso)) / 60_000);
  if (!Number.isFinite(minutes)) {
    return iso;
  }
  if (minutes < 1) {
    return vscode.l10n.t("just now");
  }
  if (minutes < 60) {
    return vscode.l10n.t("{0} min ago", minutes);
  }
  const hours = Math.round(minutes / 60);
  if (hours < 48) {
    return vscode.l10n.t("{0} h ago", hours);
  }
  return formatDate(iso, vscode.env.language);
}

export class DiagnosisItem extends vscode.TreeItem {
  constructor(readonly summary: DiagnosisSummary) {
    super(summary.title, vscode.TreeItemCollapsibleState.None);
    this.id = summary.id;
    const parts = [statusText(summary.status)];
    if (summary.severity) {
      parts.push(severityText(summary.severity));
    }
    if (summary.hostName && !summary.title.includes(summary.hostName)) {
      parts.push(summary.hostName);
    }
    parts.push(relativeTime(summary.createdAt, Date.now()));
    this.description = parts.join(" · ");
    // Plain text: the title comes from an alarm name (attacker-controlled).
    this.tooltip = [
      summary.title,
      summary.hostName ? vscode.l10n.t("Host: {0}", summary.hostName) : null,
      vscode.l10n.t("Status: {0}", statusText(summary.status)),
      summary.severity ? vscode.l10n.t("Severity: {0}", severityText(summary.severity)) : null,
      vscode.l10n.t("Started: {0}", formatDateTime(summary.createdAt, vscode.env.language)),
    ]
      .filter((line): line is string => line !== null)
      .join("\n");
    this.iconPath = icon(summary);
    // `diagnosis.<status>[.report]`: threads with a report get the report actions (package.json menus).
    this.contextValue = `diagnosis.${summary.status}${summary.hasReport ? ".report" : ""}`;
    this.accessibilityInformation = { label: `${summary.title}, ${this.description}` };
    this.command = { command: "atl.openDiagnosis", title: vscode.l10n.t("Open diagnosis"), arguments: [summary.id] };
  }
}

export class DiagnosesTreeProvider implements vscode.TreeDataProvider<DiagnosisSummary>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: { dispose(): void };
  readonly onDidChangeTreeData = this.changed.event;
  private shown = "";
  private empty: boolean | undefined;

  constructor(private readonly history: DiagnosisHistory) {
    this.subscription = history.onDidChange(() => this.refresh());
  }

  /**
   * Redraws when a row would look different. The history tells on every save of a thread (each
   * step of a running diagnosis); redrawing the view for each re-rendered the ATL sidebar under
   * the user's pointer.
   */
  refresh(): void {
    const list = this.history.list();
    this.setEmpty(list.length === 0);
    const shown = JSON.stringify(
      list.map((summary) => {
        const item = new DiagnosisItem(summary);
        return [item.id, item.label, item.description, item.tooltip, (item.iconPath as vscode.ThemeIcon).id, item.contextValue];
      }),
    );
    if (shown !== this.shown) {
      this.shown = shown;
      this.changed.fire();
    }
  }

  private setEmpty(empty: boolean): void {
    if (empty !== this.empty) {
      this.empty = empty;
      void vscode.commands.executeCommand("setContext", "atl.diagnoses.empty", empty);
    }
  }

  getTreeItem(summary: DiagnosisSummary): vscode.TreeItem {
    return new DiagnosisItem(summary);
  }

  async getChildren(parent?: DiagnosisSummary): Promise<DiagnosisSummary[]> {
    if (parent) {
      return [];
    }
    await this.history.load();
    const list = this.history.list();
    this.setEmpty(list.length === 0);
    return list;
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
