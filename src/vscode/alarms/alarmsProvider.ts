// Renders the Alarms view from AlarmsModel: groups by state (or host) with counts, incidents with
// the alarm name as label, metric vs threshold and age as description, an escaped Markdown tooltip,
// codicons and theme colours per state, and contextValues the package.json menus match. A redraw
// tells VS Code only what changed: the rows whose text, icon or command differ since the last one
// (a triage step changes one row, not the tree), a group whose members changed, the whole tree
// only when the groups themselves did. Rows re-rendered under the pointer are what made clicks
// during a triage miss.
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
  private readonly changeEmitter = this._register(new vscode.EventEmitter<AlarmNode | AlarmNode[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /**
   * The groups as last handed out, one object per key for the view's lifetime: VS Code finds the
   * elements of a targeted refresh by identity. Their member lists are updated in place.
   */
  private roots: AlarmGroup[] = [];
  /**
   * What the view was last told: the groups (key, label, state), each group's members, and what
   * each element looked like (by node key, see itemSignature). getChildren() can run without a
   * redraw (a view revealed, a test), so this is kept apart from the roots.
   */
  private announcedGroups = "";
  private announcedMembers = new Map<string, AlarmNode[]>();
  private signatures = new Map<string, string>();
  /** Set once the diagnosis features exist (they are built after the view). */
  triage: TriageLookup | undefined;

  constructor(
    readonly model: AlarmsModel,
    private readonly hosts: () => HostEntry[],
    private readonly clock: () => Date = () => new Date(),
  ) {
    super();
    this._register(model.onDidChange(() => this.redraw()));
  }

  getChildren(element?: AlarmNode): AlarmNode[] {
    if (!element) {
      this.adopt(this.model.groups());
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

  /**
   * Tells the view what changed since the last redraw: nothing when no row looks different, the
   * changed rows, a group whose members changed (VS Code re-reads its children), or everything
   * when the groups were added, removed, reordered or relabelled.
   */
  private redraw(): void {
    const fresh = this.model.groups();
    const groups = JSON.stringify(fresh.map((g) => [g.key, g.label, g.state]));
    if (groups !== this.announcedGroups) {
      this.adopt(fresh);
      this.announce(groups);
      this.changeEmitter.fire(undefined);
      return;
    }
    this.adopt(fresh);
    const previous = this.signatures;
    const previousMembers = this.announcedMembers;
    this.announce(groups);
    const changed: AlarmNode[] = [];
    for (const group of this.roots) {
      const members = this.announcedMembers.get(group.key) ?? [];
      const before = previousMembers.get(group.key) ?? [];
      const sameMembers = members.length === before.length && members.every((node, j) => node === before[j]);
      if (!sameMembers || previous.get(nodeKey(group)) !== this.signatures.get(nodeKey(group))) {
        // A refreshed group re-reads its children: no need to name them as well.
        changed.push(group);
      }
      if (sameMembers) {
        changed.push(...members.filter((node) => previous.get(nodeKey(node)) !== this.signatures.get(nodeKey(node))));
      }
    }
    if (changed.length > 0) {
      this.changeEmitter.fire(changed);
    }
  }

  /** Records the roots as what the view has been told. */
  private announce(groups: string): void {
    this.announcedGroups = groups;
    this.announcedMembers = new Map();
    this.signatures = new Map();
    for (const group of this.roots) {
      const members = [...group.incidents, ...group.unparsed];
      this.announcedMembers.set(group.key, members);
      this.signatures.set(nodeKey(group), itemSignature(this.getTreeItem(group)));
      for (const node of members) {
        this.signatures.set(nodeKey(node), itemSignature(this.getTreeItem(node)));
      }
    }
  }

  /** Takes fresh groups as the roots, keeping the object of each group key that is still there. */
  private adopt(fresh: AlarmGroup[]): void {
    const byKey = new Map(this.roots.map((g) => [g.key, g]));
    this.roots = fresh.map((group) => {
      const own = byKey.get(group.key);
      if (!own || own.label !== group.label || own.state !== group.state) {
        return group;
      }
      own.incidents.splice(0, own.incidents.length, ...group.incidents);
      own.unparsed.splice(0, own.unparsed.length, ...group.unparsed);
      return own;
    });
  }
}

function nodeKey(node: AlarmNode): string {
  return isGroup(node) ? `group:${node.key}` : isIncident(node) ? `incident:${node.id}` : `unparsed:${node.id}`;
}

/** Everything of a row the user sees or clicks: when it is unchanged, the row is not redrawn. */
function itemSignature(item: vscode.TreeItem): string {
  const icon = item.iconPath instanceof vscode.ThemeIcon ? `${item.iconPath.id}/${item.iconPath.color?.id ?? ""}` : "";
  const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : (item.tooltip ?? "");
  const label = typeof item.label === "string" ? item.label : (item.label?.label ?? "");
  const command = item.command ? `${item.command.command}:${(item.command.arguments ?? []).map((a: unknown) => (typeof a === "string" ? a : isIncident(a) ? a.id : "")).join(",")}` : "";
  return JSON.stringify([label, item.description ?? "", tooltip, icon, item.contextValue ?? "", item.collapsibleState ?? 0, command]);
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
