// The Approval rules view and its commands: every rule with its scope and expiry, revocable inline
// or from the palette; "Add approval rule" asks for the hosts, the command and how long. The rules
// themselves live in rulesStore.ts (global state).
import * as vscode from "vscode";
import { ANY_READ_ONLY, commandPatternProblem, isActive, type ApprovalRule, type RuleScope } from "../../diagnosis/approvalRules";
import type { HostEntry } from "../../hosts/model";
import type { Logger } from "../../shared/log";
import { cancelled, registerCommand } from "../commands";
import { Disposable } from "../disposable";
import type { ApprovalRulesStore } from "./rulesStore";

export const RULES_VIEW = "atl.approvalRules";
const HOUR = 3_600_000;

/** How long a rule lasts, as offered in the palette and next to a command in the chat panel. */
export interface RuleDuration {
  label: string;
  durationMs: number | null;
  once: boolean;
}

export function ruleDurations(): RuleDuration[] {
  return [
    { label: vscode.l10n.t("for 8 hours (this on-call shift)"), durationMs: 8 * HOUR, once: false },
    { label: vscode.l10n.t("for 1 hour"), durationMs: HOUR, once: false },
    { label: vscode.l10n.t("for 24 hours"), durationMs: 24 * HOUR, once: false },
    { label: vscode.l10n.t("for 7 days"), durationMs: 7 * 24 * HOUR, once: false },
    { label: vscode.l10n.t("once (the next plan only)"), durationMs: null, once: true },
    { label: vscode.l10n.t("until I revoke it"), durationMs: null, once: false },
  ];
}

/** "prod-web-*", "hosts tagged web", "every host". */
export function scopeText(scope: RuleScope): string {
  return "all" in scope ? vscode.l10n.t("every host") : "tag" in scope ? vscode.l10n.t("hosts tagged {0}", scope.tag) : scope.host;
}

export function commandText(command: string): string {
  return command === ANY_READ_ONLY ? vscode.l10n.t("any read-only command") : command;
}

/** "until 18:00", "until 6/2 18:00", "once", "until revoked", "expired". */
export function expiryText(rule: ApprovalRule, now: Date): string {
  if (!isActive(rule, now)) {
    return vscode.l10n.t("expired");
  }
  const parts: string[] = [];
  if (rule.expiresAt) {
    const at = new Date(rule.expiresAt);
    const sameDay = at.toDateString() === now.toDateString();
    const time = at.toLocaleString(vscode.env.language, sameDay ? { hour: "2-digit", minute: "2-digit" } : { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
    parts.push(vscode.l10n.t("until {0}", time));
  }
  if (rule.once) {
    parts.push(vscode.l10n.t("once"));
  }
  return parts.length > 0 ? parts.join(", ") : vscode.l10n.t("until revoked");
}

class RulesTreeProvider extends Disposable implements vscode.TreeDataProvider<ApprovalRule> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(
    private readonly store: ApprovalRulesStore,
    private readonly clock: () => Date,
  ) {
    super();
    this._register(store.onDidChange(() => this.changeEmitter.fire()));
  }

  refresh(): void {
    this.changeEmitter.fire();
  }

  getChildren(element?: ApprovalRule): ApprovalRule[] {
    return element ? [] : this.store.list();
  }

  getTreeItem(rule: ApprovalRule): vscode.TreeItem {
    const now = this.clock();
    const active = isActive(rule, now);
    // Plain-text label and description: a rule's command is the user's own words, shown as text.
    const item = new vscode.TreeItem(commandText(rule.command), vscode.TreeItemCollapsibleState.None);
    item.id = `rule:${rule.id}`;
    item.description = `${scopeText(rule.scope)} · ${expiryText(rule, now)}`;
    item.contextValue = active ? "approvalRule" : "approvalRule.expired";
    item.iconPath = new vscode.ThemeIcon(active ? "shield" : "history", active ? undefined : new vscode.ThemeColor("disabledForeground"));
    item.tooltip = vscode.l10n.t(
      "Runs without asking: {0} on {1}, {2}. Only read-only commands; mutating ones always ask. Created {3}.",
      commandText(rule.command),
      scopeText(rule.scope),
      expiryText(rule, now),
      new Date(rule.createdAt).toLocaleString(vscode.env.language),
    );
    item.accessibilityInformation = { label: `${commandText(rule.command)}, ${item.description}` };
    return item;
  }
}

export interface RulesViewDeps {
  store: ApprovalRulesStore;
  hosts: () => HostEntry[];
  logger: Logger;
  clock?: () => Date;
}

/** The view and the commands atl.addApprovalRule, atl.revokeApprovalRule, atl.showApprovalRules. */
export function registerRulesView(deps: RulesViewDeps): vscode.Disposable[] {
  const clock = deps.clock ?? (() => new Date());
  const provider = new RulesTreeProvider(deps.store, clock);
  const view = vscode.window.createTreeView(RULES_VIEW, { treeDataProvider: provider, canSelectMany: true });
  const updateChrome = (): void => {
    const active = deps.store.list().filter((r) => isActive(r, clock())).length;
    view.badge = active > 0 ? { value: active, tooltip: vscode.l10n.t("{0} approval rule(s) in force", active) } : undefined;
    void vscode.commands.executeCommand("setContext", "atl.approvalRules.count", active);
  };
  updateChrome();
  // Expiry is a matter of time, not of an event: redraw while the view is shown.
  const tick = setInterval(() => {
    if (view.visible) {
      provider.refresh();
      updateChrome();
    }
  }, 60_000);
  return [
    provider,
    view,
    { dispose: () => clearInterval(tick) },
    deps.store.onDidChange(updateChrome),
    registerCommand("atl.addApprovalRule", (arg) => addRule(deps, arg), deps.logger),
    registerCommand("atl.revokeApprovalRule", (arg, selected) => revokeRules(deps, arg, selected, clock), deps.logger),
    registerCommand("atl.showApprovalRules", () => vscode.commands.executeCommand(`${RULES_VIEW}.focus`), deps.logger),
  ];
}

/** What the chat panel passes: a command and host to suggest; the palette passes nothing. */
export interface RuleSuggestion {
  command?: string;
  hostId?: string;
}

type ScopePick = vscode.QuickPickItem & { scope: RuleScope | "glob" };
type DurationPick = vscode.QuickPickItem & { duration: RuleDuration };

async function addRule(deps: RulesViewDeps, arg: unknown): Promise<ApprovalRule> {
  const suggestion: RuleSuggestion = typeof arg === "object" && arg !== null ? (arg) : {};
  const title = vscode.l10n.t("ATL: Add approval rule");
  const host = suggestion.hostId ? deps.hosts().find((h) => h.id === suggestion.hostId) : undefined;

  const scopes: ScopePick[] = [];
  if (host) {
    scopes.push({ label: host.name, description: vscode.l10n.t("this host"), scope: { host: host.id === host.name ? host.id : host.name } });
  }
  scopes.push({ label: vscode.l10n.t("Hosts matching a pattern…"), description: "prod-web-*", scope: "glob" });
  for (const tag of [...new Set(deps.hosts().flatMap((h) => h.tags ?? []))].sort()) {
    scopes.push({ label: vscode.l10n.t("Hosts tagged {0}", tag), scope: { tag } });
  }
  scopes.push({ label: vscode.l10n.t("Every host"), scope: { all: true } });
  const scopePick = await vscode.window.showQuickPick(scopes, { title, placeHolder: vscode.l10n.t("Where may the command run without asking?") });
  if (!scopePick) {
    throw cancelled();
  }
  let scope: RuleScope;
  if (scopePick.scope === "glob") {
    const glob = await vscode.window.showInputBox({
      title,
      prompt: vscode.l10n.t("Host id, name or alias, or a pattern: * is any characters, ? one."),
      value: host ? host.name.replace(/\d+$/, "*") : "",
      validateInput: (value) => (/^[A-Za-z0-9._:*?-]{1,128}$/.test(value.trim()) ? undefined : vscode.l10n.t("Letters, digits, . _ : - and the wildcards * ?")),
    });
    if (glob === undefined) {
      throw cancelled();
    }
    scope = { host: glob.trim() };
  } else {
    scope = scopePick.scope;
  }

  const command = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t("The command, as the start of its words (journalctl -u nginx also allows journalctl -u nginx -n 50), or * for any read-only command."),
    value: suggestion.command ?? "",
    validateInput: (value) => {
      const problem = commandPatternProblem(value.trim());
      return problem ?? undefined;
    },
  });
  if (command === undefined) {
    throw cancelled();
  }

  const durationPick = await vscode.window.showQuickPick<DurationPick>(
    ruleDurations().map((duration) => ({ label: duration.label, duration })),
    { title, placeHolder: vscode.l10n.t("Allow {0} on {1}…", commandText(command.trim()), scopeText(scope)) },
  );
  if (!durationPick) {
    throw cancelled();
  }
  const rule = await deps.store.add({ scope, command: command.trim(), durationMs: durationPick.duration.durationMs, once: durationPick.duration.once, origin: suggestion.command ? "chat" : "command" });
  void vscode.window.showInformationMessage(
    vscode.l10n.t("ATL: {0} on {1} now runs without asking ({2}). Mutating commands still ask.", commandText(rule.command), scopeText(rule.scope), expiryText(rule, new Date())),
  );
  return rule;
}

type RulePick = vscode.QuickPickItem & { rule: ApprovalRule };

async function revokeRules(deps: RulesViewDeps, arg: unknown, selected: unknown, clock: () => Date): Promise<void> {
  const asRule = (value: unknown): ApprovalRule | undefined => {
    const id = typeof value === "string" ? value : typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
    return typeof id === "string" ? deps.store.list().find((r) => r.id === id) : undefined;
  };
  let rules = Array.isArray(selected) && selected.length > 0 ? selected.map(asRule).filter((r): r is ApprovalRule => !!r) : [asRule(arg)].filter((r): r is ApprovalRule => !!r);
  if (rules.length === 0) {
    const all = deps.store.list();
    if (all.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t("There are no approval rules: every plan waits for you."));
      return;
    }
    const picked = await vscode.window.showQuickPick<RulePick>(
      all.map((rule) => ({ label: commandText(rule.command), description: `${scopeText(rule.scope)} · ${expiryText(rule, clock())}`, rule })),
      { title: vscode.l10n.t("ATL: Revoke approval rule"), canPickMany: true },
    );
    if (!picked || picked.length === 0) {
      throw cancelled();
    }
    rules = picked.map((p) => p.rule);
  }
  const count = await deps.store.revoke(rules.map((r) => r.id));
  void vscode.window.showInformationMessage(vscode.l10n.t("ATL: revoked {0} approval rule(s); those commands ask again.", count));
}
