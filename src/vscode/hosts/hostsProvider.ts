// Renders the Hosts view: one item per `atl.hosts` entry with its reachability (icon and colour
// per state, latency and agent version or SSH banner in the description). `contextValue`
// host.agent / host.ssh drives the item menus in package.json.
import * as vscode from "vscode";
import type { HostEntry } from "../../hosts/model";
import { markdownTooltipText } from "../../alarms/present";
import { Disposable } from "../disposable";
import type { HostsModel, HostStatus } from "./hostsModel";

export class HostsTreeProvider extends Disposable implements vscode.TreeDataProvider<HostEntry> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<HostEntry | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(readonly model: HostsModel) {
    super();
    this._register(model.onDidChange(() => this.changeEmitter.fire(undefined)));
  }

  getChildren(element?: HostEntry): HostEntry[] {
    if (element) {
      return [];
    }
    return [...this.model.hosts].sort((a, b) => a.name.localeCompare(b.name));
  }

  getTreeItem(host: HostEntry): vscode.TreeItem {
    return hostTreeItem(host, this.model.status(host.id));
  }
}

export function hostTreeItem(host: HostEntry, status: HostStatus): vscode.TreeItem {
  const item = new vscode.TreeItem(host.name, vscode.TreeItemCollapsibleState.None);
  item.id = `host:${host.id}`;
  item.contextValue = host.transport === "agent" ? "host.agent" : "host.ssh";
  item.description = hostDescription(host, status);
  item.iconPath = hostIcon(status);
  item.tooltip = hostTooltip(host, status);
  item.accessibilityInformation = { label: `${host.name}, ${item.description}` };
  return item;
}

export function hostDescription(host: HostEntry, status: HostStatus): string {
  const parts: string[] = [host.transport === "agent" ? vscode.l10n.t("agent") : vscode.l10n.t("ssh")];
  switch (status.state) {
    case "unknown":
      break;
    case "checking":
      parts.push(vscode.l10n.t("checking…"));
      break;
    case "reachable":
      if (status.health?.latencyMs !== null && status.health?.latencyMs !== undefined) {
        parts.push(`${Math.round(status.health.latencyMs)} ms`);
      }
      if (status.health?.version) {
        parts.push(host.transport === "agent" ? `v${status.health.version.replace(/^v/, "")}` : status.health.version);
      }
      if (status.health?.error) {
        parts.push(status.health.error.slice(0, 80));
      }
      break;
    case "unreachable":
      parts.push(vscode.l10n.t("unreachable"));
      if (status.health?.error) {
        parts.push(status.health.error.slice(0, 80));
      }
      break;
  }
  if (host.transport === "agent" && !status.hasSecret) {
    parts.push(vscode.l10n.t("no secret"));
  }
  if (host.tags && host.tags.length > 0) {
    parts.push(host.tags.join(", "));
  }
  return parts.join(" · ");
}

function hostIcon(status: HostStatus): vscode.ThemeIcon {
  switch (status.state) {
    case "unknown":
      return new vscode.ThemeIcon("vm-outline");
    case "checking":
      return new vscode.ThemeIcon("loading~spin");
    case "reachable":
      return status.hasSecret && !status.health?.error
        ? new vscode.ThemeIcon("vm-active", new vscode.ThemeColor("testing.iconPassed"))
        : new vscode.ThemeIcon("vm-active", new vscode.ThemeColor("charts.yellow"));
    case "unreachable":
      return new vscode.ThemeIcon("debug-disconnect", new vscode.ThemeColor("errorForeground"));
  }
}

function hostTooltip(host: HostEntry, status: HostStatus): vscode.MarkdownString {
  const lines: string[] = [`**${markdownTooltipText(host.name)}** (${markdownTooltipText(host.id)})`];
  if (host.transport === "agent") {
    lines.push(markdownTooltipText(vscode.l10n.t("ATL agent at {0}, key id {1}", host.url, host.keyId)));
    lines.push(
      markdownTooltipText(
        host.secretFile
          ? vscode.l10n.t("Secret: file {0}", host.secretFile)
          : status.hasSecret
            ? vscode.l10n.t("Secret: in SecretStorage")
            : vscode.l10n.t("Secret: missing (ATL: Set agent secret)"),
      ),
    );
  } else {
    lines.push(markdownTooltipText(vscode.l10n.t("SSH {0}@{1}:{2}", host.username, host.host, host.port ?? 22)));
    lines.push(markdownTooltipText(vscode.l10n.t("Pinned host key {0}", host.hostKeySha256)));
  }
  if (host.aliases && host.aliases.length > 0) {
    lines.push(markdownTooltipText(vscode.l10n.t("Aliases: {0}", host.aliases.join(", "))));
  }
  switch (status.state) {
    case "reachable":
      lines.push(markdownTooltipText(vscode.l10n.t("Reachable ({0} ms){1}", Math.round(status.health?.latencyMs ?? 0), status.health?.version ? `, ${status.health.version}` : "")));
      if (status.health?.error) {
        lines.push(markdownTooltipText(status.health.error));
      }
      break;
    case "unreachable":
      lines.push(markdownTooltipText(vscode.l10n.t("Unreachable: {0}", status.health?.error ?? vscode.l10n.t("no answer"))));
      break;
    case "checking":
      lines.push(markdownTooltipText(vscode.l10n.t("Checking…")));
      break;
    case "unknown":
      break;
  }
  if (status.checkedAt) {
    lines.push(markdownTooltipText(vscode.l10n.t("Checked at {0}", status.checkedAt.toLocaleTimeString())));
  }
  const markdown = new vscode.MarkdownString(lines.join("\n\n"));
  markdown.isTrusted = false;
  markdown.supportHtml = false;
  markdown.supportThemeIcons = false;
  return markdown;
}
