// Renders the Alarms view from AlarmsModel: groups by state (or host) with counts, incidents with
// the alarm name as label, metric vs threshold and age as description, an escaped Markdown tooltip,
// codicons and theme colours per state, and contextValues the package.json menus match.
import * as vscode from "vscode";
import type { AlarmState, Incident, UnparsedEntry } from "../../alarms/model";
import type { HostEntry } from "../../hosts/model";
import { Disposable } from "../disposable";
import { type AlarmGroup, type AlarmNode, type AlarmsModel, hostForIncident, isGroup, isIncident } from "./alarmsModel";
import { markdownTooltipText, incidentDescription, incidentTooltipMarkdown, relativeTime } from "../../alarms/present";
import type { Translate } from "../../shared/l10n";
import type { AlarmTriage } from "../../diagnosis/triage";
import { severityText } from "../diagnoses/view";

/** An alarm's proactive triage, when there is one (src/vscode/triage/editorTriage.ts). */
export type TriageLookup = (incident: Incident) => AlarmTriage | null;

const t: Translate = (message, ...args) => vscode.l10n.t(message, ...args);

export class AlarmsTreeProvider extends Disposable implements vscode.TreeDataProvider<AlarmNode> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<AlarmNode | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private roots: AlarmGroup[] = [];
  /** Set once the diagnosis features exist (they are built after the view). */
  triage: TriageLookup | undefined;

  constructor(
    readonly model: AlarmsModel,
    private readonly hosts: () => HostEntry[],
    private readonly clock: () => Date = () => new Date(),
  ) {
    super();
    this._register(model.onDidChange(() => this.changeEmitter.fire(undefined)));
  }

  getChildren(element?: AlarmNode): AlarmNode[] {
    if (!element) {
      this.roots = this.model.groups();
      return this.roots;
    }
    if (isGroup(element)) {
      return [...element.incidents, ...element.unparsed];
    }
    return [];
  }

  getParent(element: AlarmNode): AlarmNode | undefined {
    if (isGroup(element)) {
      return undefined;
    }
    return this.roots.find((g) => (isIncident(element) ? g.incidents.some((i) => i.id === element.id) : g.unparsed.some((u) => u.id === element.id)));
  }

  getTreeItem(element: AlarmNode): vscode.TreeItem {
    if (isGroup(element)) {
      return groupItem(element, this.model.groupBy === "host");
    }
    if (isIncident(element)) {
      return incidentItem(element, hostForIncident(element, this.hosts()), this.clock(), this.triage?.(element) ?? null);
    }
    return unparsedItem(element, this.clock());
  }
}

const STATE_ICON: Record<AlarmState, { icon: string; color: string }> = {
  ALARM: { icon: "error", color: "errorForeground" },
  INSUFFICIENT_DATA: { icon: "question", color: "charts.yellow" },
  OK: { icon: "pass", color: "testing.iconPassed" },
};

function groupItem(group: AlarmGroup, byHost: boolean): vscode.TreeItem {
  const count = group.incidents.length + group.unparsed.length;
  // OK and Unparsed start collapsed: what needs attention is what is open.
  const expanded = group.state === "ALARM" || group.state === "INSUFFICIENT_DATA" || (byHost && group.incidents.some((i) => i.status === "open"));
  const item = new vscode.TreeItem(group.label, expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `group:${group.key}`;
  item.description = String(count);
  item.contextValue = group.state === "UNPARSED" ? "group.unparsed" : "group";
  if (group.state === "UNPARSED") {
    item.iconPath = new vscode.ThemeIcon("file-code", new vscode.ThemeColor("charts.orange"));
    item.tooltip = vscode.l10n.t("Messages that are not CloudWatch alarms, kept instead of dropped. Open one to see its raw body.");
  } else if (group.state) {
    const { icon, color } = STATE_ICON[group.state];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
  } else {
    item.iconPath = new vscode.ThemeIcon("server");
  }
  item.accessibilityInformation = { label: `${group.label}, ${count}` };
  return item;
}

export function incidentContextValue(incident: Incident): "incident.open" | "incident.open.ack" | "incident.resolved" {
  if (incident.status === "resolved") {
    return "incident.resolved";
  }
  return incident.acknowledged ? "incident.open.ack" : "incident.open";
}

/** The triage part of an alarm's row: "planning…", "plan waits for approval", "java (pid 4123): … — high". */
export function triageText(triage: AlarmTriage): string {
  switch (triage.phase) {
    case "queued":
      return vscode.l10n.t("triage queued");
    case "planning":
      return vscode.l10n.t("planning…");
    case "running":
      return vscode.l10n.t("running commands…");
    case "waiting-approval":
      return vscode.l10n.t("plan waits for approval");
    case "needs-host":
      return vscode.l10n.t("needs a host");
    case "done": {
      const severity = triage.severity ? severityText(triage.severity) : null;
      if (triage.culprit) {
        // Two values side by side, no sentence to translate.
        return severity ? `${triage.culprit} — ${severity}` : triage.culprit;
      }
      return severity ? vscode.l10n.t("diagnosed — {0}", severity) : vscode.l10n.t("diagnosed");
    }
    case "rejected":
      return vscode.l10n.t("plan rejected");
    case "failed":
      return vscode.l10n.t("triage failed");
    case "joined":
      return vscode.l10n.t("in the host's diagnosis");
    case "resolved":
      return vscode.l10n.t("OK before its triage; nothing ran");
  }
}

function incidentItem(incident: Incident, host: HostEntry | null, now: Date, triage: AlarmTriage | null): vscode.TreeItem {
  const locale = vscode.env.language;
  const state: AlarmState = incident.status === "resolved" ? "OK" : incident.alarm.state;
  // TreeItem labels and descriptions are plain text: alarm text cannot inject anything there.
  const item = new vscode.TreeItem(incident.name, vscode.TreeItemCollapsibleState.None);
  item.id = `incident:${incident.id}`;
  item.description = incidentDescription(incident, now, locale, t);
  if (triage) {
    // Plain text like the rest of the row: the culprit comes from command output.
    item.description = `${triageText(triage)} · ${item.description}`;
  }
  item.contextValue = incidentContextValue(incident);
  const { icon, color } = STATE_ICON[state];
  item.iconPath = new vscode.ThemeIcon(incident.acknowledged && incident.status === "open" ? "bell-slash" : icon, new vscode.ThemeColor(color));
  const tooltip = new vscode.MarkdownString(incidentTooltipMarkdown(incident, host?.name ?? null, locale, t));
  tooltip.isTrusted = false;
  tooltip.supportHtml = false;
  tooltip.supportThemeIcons = false;
  item.tooltip = tooltip;
  // A triaged alarm opens its thread; otherwise a click diagnoses it.
  item.command = triage?.threadId
    ? { command: "atl.openDiagnosis", title: vscode.l10n.t("Open diagnosis"), arguments: [triage.threadId] }
    : { command: "atl.diagnoseAlarm", title: vscode.l10n.t("Diagnose alarm"), arguments: [incident] };
  item.accessibilityInformation = { label: `${incident.name}, ${state}, ${item.description}` };
  return item;
}

function unparsedItem(entry: UnparsedEntry, now: Date): vscode.TreeItem {
  const item = new vscode.TreeItem(vscode.l10n.t("Unparsed message"), vscode.TreeItemCollapsibleState.None);
  item.id = `unparsed:${entry.id}`;
  item.description = `${relativeTime(entry.receivedAt, now, vscode.env.language)} · ${entry.error.replace(/\s+/g, " ").slice(0, 80)}`;
  item.contextValue = "unparsed";
  item.iconPath = new vscode.ThemeIcon("file-code", new vscode.ThemeColor("charts.orange"));
  const tooltip = new vscode.MarkdownString(
    [
      `**${markdownTooltipText(vscode.l10n.t("Not an alarm"))}**: ${markdownTooltipText(entry.error)}`,
      markdownTooltipText(vscode.l10n.t("Received {0}, SQS message {1}", entry.receivedAt, entry.messageId ?? "?")),
      markdownTooltipText(entry.body, 200),
    ].join("\n\n"),
  );
  tooltip.isTrusted = false;
  tooltip.supportHtml = false;
  tooltip.supportThemeIcons = false;
  item.tooltip = tooltip;
  item.command = { command: "atl.showUnparsed", title: vscode.l10n.t("Show raw message"), arguments: [entry] };
  return item;
}
