// The user's approval rules in the editor: kept in the extension's global state (this user, every
// workspace; never in settings, so a repository cannot grant approval), validated on every read,
// pruned when expired, spent when once. Moves the old `atl.approval.autoApproveReadOnlyHosts` user
// value into rules on activation; a workspace value of it is ignored.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { ApprovalRuleSet, createRule, isActive, migrateAutoApproveHosts, parseRulesFile, type ApprovalRule, type ApprovalRuleSource, type NewRule } from "../../diagnosis/approvalRules";
import { toAtlError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { Disposable } from "../disposable";

const STATE_KEY = "atl.approvalRules";
const OLD_SETTING = "approval.autoApproveReadOnlyHosts";
/** Expired rules stay listed (greyed) this long, so "why did it ask again?" has an answer. */
const KEEP_EXPIRED_MS = 24 * 3_600_000;

export class ApprovalRulesStore extends Disposable implements ApprovalRuleSource {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changeEmitter.event;
  private cache: { raw: unknown; set: ApprovalRuleSet } | undefined;

  constructor(
    private readonly state: vscode.Memento,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    super();
  }

  /** Every stored rule (active and recently expired), newest first. */
  list(): ApprovalRule[] {
    return [...this.current().rules].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The stored rules; global state is shared by the windows, so this is read each time. */
  current(): ApprovalRuleSet {
    const raw = this.state.get<unknown>(STATE_KEY);
    if (this.cache && this.cache.raw === raw) {
      return this.cache.set;
    }
    let set: ApprovalRuleSet;
    try {
      set = new ApprovalRuleSet(raw === undefined ? [] : parseRulesFile(raw, "stored approval rules", this.clock()).rules);
    } catch (error) {
      // Fail closed: damaged rules approve nothing (the next change rewrites them).
      this.logger.error(`Ignoring the stored approval rules: ${toAtlError(error, "storage").userMessage}`);
      set = new ApprovalRuleSet([]);
    }
    this.cache = { raw, set };
    return set;
  }

  /** Creates a rule (validated) and stores it. */
  async add(spec: NewRule): Promise<ApprovalRule> {
    const rule = createRule(spec, this.clock(), `r-${randomBytes(4).toString("hex")}`);
    await this.write([rule, ...this.current().rules]);
    this.logger.info(`Approval rule added: ${rule.command} on ${describeScope(rule)}${rule.expiresAt ? ` until ${rule.expiresAt}` : ""}${rule.once ? " (once)" : ""}.`);
    return rule;
  }

  async revoke(ids: readonly string[]): Promise<number> {
    const before = this.current().rules;
    const kept = before.filter((r) => !ids.includes(r.id));
    if (kept.length !== before.length) {
      await this.write(kept);
      this.logger.info(`Approval rule(s) revoked: ${ids.join(", ")}.`);
    }
    return before.length - kept.length;
  }

  spend(ids: readonly string[]): void {
    void this.revoke(ids).catch((error: unknown) => this.logger.error(toAtlError(error, "storage")));
  }

  /**
   * The old setting's user value becomes rules, and the setting is removed. Only the user value:
   * a workspace (a repository's .vscode/settings.json) can never approve anything.
   */
  async migrateOldSetting(configuration: vscode.WorkspaceConfiguration): Promise<number> {
    const inspected = configuration.inspect<unknown>(OLD_SETTING);
    const hosts = Array.isArray(inspected?.globalValue) ? inspected.globalValue.filter((h): h is string => typeof h === "string") : [];
    if (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined) {
      this.logger.warn(`atl.${OLD_SETTING} in workspace settings is ignored: a workspace cannot approve commands. Use ATL: Add approval rule.`);
    }
    if (hosts.length === 0) {
      return 0;
    }
    const existing = this.current().rules;
    const covered = new Set(existing.filter((r) => r.origin === "migrated" && "host" in r.scope).map((r) => ("host" in r.scope ? r.scope.host : "")));
    const migrated = migrateAutoApproveHosts(
      hosts.filter((h) => !covered.has(h)),
      this.clock(),
    ).map((rule) => ({ ...rule, id: `migrated-${randomBytes(4).toString("hex")}` }));
    if (migrated.length > 0) {
      await this.write([...migrated, ...existing]);
    }
    await configuration.update(OLD_SETTING, undefined, vscode.ConfigurationTarget.Global);
    this.logger.info(`Moved ${migrated.length} host(s) of atl.${OLD_SETTING} to approval rules (any read-only command, until revoked).`);
    return migrated.length;
  }

  private async write(rules: ApprovalRule[]): Promise<void> {
    const now = this.clock();
    const kept = rules.filter((r) => isActive(r, new Date(now.getTime() - KEEP_EXPIRED_MS)));
    await this.state.update(STATE_KEY, { version: 1, rules: kept });
    this.cache = undefined;
    this.changeEmitter.fire();
  }
}

/** `prod-web-*`, `tag web`, `every host` — for logs (the view localizes its own). */
function describeScope(rule: ApprovalRule): string {
  const scope = rule.scope;
  return "all" in scope ? "every host" : "tag" in scope ? `tag ${scope.tag}` : scope.host;
}
