// Approval rules: the user's standing "always allow" decisions, which let read-only commands run
// without asking — on a host, a tag or every host; for one command (an argv prefix) or any
// read-only command; until a time, or once. The model, its JSON format (`--rules FILE`, the
// editor's global state) with validation, and the evaluation of a plan. Pure: no `vscode`, no I/O
// except loadRulesFile.
//
// What a rule can never do: approve a mutating command (the policy's label decides, not the rule),
// run a refused one, or match by the raw text — commands are parsed with the policy's own parser
// and compared word by word, so `journalctl -u nginx; rm -rf /` is never "a command starting with
// journalctl -u nginx".
import { readFileSync, statSync } from "node:fs";
import { posix } from "node:path";
import * as z from "zod/mini";
import { en } from "zod/locales";
import { parseCommandLine } from "../../agent/src/policy/parse";
import type { PolicyDecisionKind, Risk } from "../../agent/src/policy/types";
import type { ApprovalGate } from "../graph/deps";
import type { ApprovalRuleRef, Proposal } from "../graph/diagnosis";
import type { HostEntry } from "../hosts/model";
import { AtlError, errnoCode } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";

const t: Translate = translate;

/** Which hosts a rule applies to: a glob over a host's id, name and aliases; a tag; or every host. */
export type RuleScope = { host: string } | { tag: string } | { all: true };

export interface ApprovalRule {
  /** Unique in its set; letters, digits, `.`, `_`, `:`, `-`. */
  id: string;
  scope: RuleScope;
  /**
   * The command as an argv prefix written as a command line (`journalctl -u nginx` allows
   * `journalctl -u nginx --since "1 hour ago"`, not `journalctl -u nginx.service`), or `*` for any
   * read-only command. Every program of a pipeline or list must be allowed by some rule.
   */
  command: string;
  /** ISO 8601; the rule stops applying at this instant. Null: until revoked. */
  expiresAt: string | null;
  /** Consumed by the first plan it lets run. */
  once: boolean;
  /** ISO 8601. */
  createdAt: string;
  /** Where the rule came from (shown in the rules view). */
  origin: RuleOrigin;
}

export type RuleOrigin = "chat" | "command" | "migrated" | "file";

/** What a rule file (and the stored rules) look like on disk. */
export interface ApprovalRulesFile {
  version: 1;
  rules: ApprovalRule[];
}

/** A host as rules see it (a HostEntry fits). */
export interface RuleHost {
  id: string;
  name: string;
  aliases?: readonly string[];
  tags?: readonly string[];
}

/** A planned command as labelled by the command policy (a ProposedCommand fits). */
export interface RuleCommand {
  id: string;
  command: string;
  decision: PolicyDecisionKind;
  risk: Risk;
}

/** Why a command of a plan is or is not covered. */
export type CommandCoverageKind = "covered" | "mutating" | "refused" | "no-rule";

export interface CommandCoverage {
  id: string;
  kind: CommandCoverageKind;
  /** The rules that allow it (one per program of the command line); empty unless covered. */
  ruleIds: string[];
}

export interface Coverage {
  /**
   * True when the plan may run without asking: it has at least one allowed command, every allowed
   * command is read-only and covered by a rule. Refused commands never run and do not count.
   */
  covered: boolean;
  commands: CommandCoverage[];
  /** Every rule the covered commands rest on (once-rules among them are consumed on use). */
  ruleIds: string[];
}

export const ANY_READ_ONLY = "*";
export const MAX_RULES = 500;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const HOST_GLOB = /^[A-Za-z0-9._:*?-]{1,128}$/;
const MAX_COMMAND = 1000;

// ---- validation ------------------------------------------------------------------------------------

/** Why a command pattern cannot be a rule, or null when it can. */
export function commandPatternProblem(command: string): string | null {
  if (command === ANY_READ_ONLY) {
    return null;
  }
  if (command.trim().length === 0) {
    return t("must be a command such as `journalctl -u nginx`, or * for any read-only command");
  }
  if (command.length > MAX_COMMAND) {
    return t("must be at most {0} characters", MAX_COMMAND);
  }
  const parsed = parseCommandLine(command);
  if (!parsed.ok) {
    return t("cannot be read: {0}", parsed.refusal.reason);
  }
  const stages = parsed.steps.flatMap((s) => s.stages);
  if (parsed.steps.length !== 1 || stages.length !== 1) {
    return t("must be one simple command (no |, ;, && or ||): a rule allows one program; give each program of a pipeline its own rule");
  }
  const stage = stages[0];
  if (stage.stdoutToNull || stage.stderrToNull || stage.stderrToStdout) {
    return t("must not redirect output");
  }
  if (stage.argv[0].includes("/")) {
    return t("must start with the program's plain name (no path), e.g. journalctl");
  }
  return null;
}

/** The argv prefix of a valid pattern (`*` → null: any read-only command). */
function patternArgv(command: string): string[] | null {
  if (command === ANY_READ_ONLY) {
    return null;
  }
  const parsed = parseCommandLine(command);
  if (!parsed.ok) {
    throw new AtlError("internal", `Unvalidated approval rule command: ${command}`);
  }
  return parsed.steps[0].stages[0].argv;
}

function buildSchemas() {
  const iso = z.string().check(z.refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s)), "must be an ISO 8601 date and time, e.g. 2026-06-01T18:00:00Z"));
  const scope = z.union([
    z.strictObject({ host: z.string().check(z.regex(HOST_GLOB, "must be a host id, name or alias, or a glob such as prod-web-* (letters, digits, . _ : - * ?)")) }),
    z.strictObject({ tag: z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(64)) }),
    z.strictObject({ all: z.literal(true) }),
  ]);
  const rule = z.strictObject({
    id: z.string().check(z.regex(RULE_ID, "must be 1-64 letters, digits, dots, dashes, underscores or colons")),
    scope,
    command: z.string().check(
      z.refine((c) => commandPatternProblem(c) === null, {
        // The message is computed per value (zod/mini's refine takes one fixed text).
        error: (issue) => commandPatternProblem(String(issue.input)) ?? "is not a valid command pattern",
      }),
    ),
    expiresAt: z.optional(z.nullable(iso)),
    once: z.optional(z.boolean()),
    createdAt: z.optional(iso),
    origin: z.optional(z.enum(["chat", "command", "migrated", "file"])),
  });
  const file = z.strictObject({ version: z.literal(1), rules: z.array(rule).check(z.maxLength(MAX_RULES)) });
  return { file, englishErrors: en().localeError };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out;
}

const FORMAT_FIX =
  'The format is {"version":1,"rules":[{"id":"nginx-logs","scope":{"host":"prod-web-*"},"command":"journalctl -u nginx","expiresAt":"2026-06-01T18:00:00Z"}]}; scope is {"host": glob}, {"tag": name} or {"all": true}; command "*" allows any read-only command (see docs/triage.md).';

/**
 * Validates parsed JSON as a rules file; `source` names it in errors. Missing `createdAt` is read
 * as `now`, missing `origin` as `fallbackOrigin`. Throws an AtlError("config") naming the field.
 */
export function parseRulesFile(data: unknown, source: string, now: Date, fallbackOrigin: RuleOrigin = "file"): ApprovalRulesFile {
  schemas ??= buildSchemas();
  const result = schemas.file.safeParse(data, { error: schemas.englishErrors });
  if (!result.success) {
    // A union reports its own failure first; the branch the author meant is the one with a known key.
    const issue = result.error.issues[0];
    const field = fieldPath(issue.path);
    const where = field.length > 0 ? `field "${field}"` : "the top level";
    const message = issue.code === "invalid_union" && field.endsWith("scope") ? 'must be {"host": "prod-web-*"}, {"tag": "web"} or {"all": true}' : issue.message;
    throw new AtlError("config", `Invalid ${source}: ${where}: ${message}`, { fix: FORMAT_FIX });
  }
  const ids = new Set<string>();
  const rules = result.data.rules.map((raw, index): ApprovalRule => {
    if (ids.has(raw.id)) {
      throw new AtlError("config", `Invalid ${source}: field "rules[${index}].id" repeats the id "${raw.id}"`, { fix: "Give every rule its own id." });
    }
    ids.add(raw.id);
    return {
      id: raw.id,
      scope: raw.scope,
      command: raw.command,
      expiresAt: raw.expiresAt ? new Date(raw.expiresAt).toISOString() : null,
      once: raw.once ?? false,
      createdAt: raw.createdAt ? new Date(raw.createdAt).toISOString() : now.toISOString(),
      origin: raw.origin ?? fallbackOrigin,
    };
  });
  return { version: 1, rules };
}

/**
 * Reads a rules file (`atl watch --rules FILE`, `atl mcp --rules FILE`). Whoever can write it can
 * let commands run unattended, so a file other users may write is refused, like the agent's
 * policy file.
 */
export function loadRulesFile(path: string, now: Date): ApprovalRulesFile {
  let text: string;
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o002) !== 0) {
      throw new AtlError("config", `The rules file ${path} is writable by every user (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); anyone could approve commands`, {
        fix: `Run: chmod go-w ${path}`,
      });
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof AtlError) {
      throw error;
    }
    const code = errnoCode(error);
    throw new AtlError("config", `Cannot read the rules file ${path}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`, { cause: error, fix: "Check the path given with --rules." });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new AtlError("config", `The rules file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error, fix: FORMAT_FIX });
  }
  return parseRulesFile(data, `rules file ${path}`, now);
}

// ---- creating --------------------------------------------------------------------------------------

export interface NewRule {
  scope: RuleScope;
  command: string;
  /** How long it lasts; null: until revoked. Ignored for the expiry when `once` and null. */
  durationMs: number | null;
  once: boolean;
  origin: RuleOrigin;
}

/** A new rule with a fresh id; throws an AtlError("config") when the scope or command is invalid. */
export function createRule(spec: NewRule, now: Date, id: string): ApprovalRule {
  const rule = {
    id,
    scope: spec.scope,
    command: spec.command.trim() === ANY_READ_ONLY ? ANY_READ_ONLY : spec.command.trim().replace(/\s+/g, " "),
    expiresAt: spec.durationMs === null ? null : new Date(now.getTime() + spec.durationMs).toISOString(),
    once: spec.once,
    createdAt: now.toISOString(),
    origin: spec.origin,
  };
  return parseRulesFile({ version: 1, rules: [rule] }, "approval rule", now).rules[0];
}

/**
 * The rule pattern a proposed command suggests: its first program with the arguments up to the
 * first one that looks like a value that changes between runs (a number, a time, a path under
 * /proc…), at most three words — `journalctl -u nginx --since "1 hour ago"` → `journalctl -u nginx`.
 * Null when the command cannot be parsed.
 */
export function suggestPattern(command: string): string | null {
  const parsed = parseCommandLine(command);
  if (!parsed.ok) {
    return null;
  }
  const argv = parsed.steps[0]?.stages[0]?.argv;
  if (!argv || argv.length === 0) {
    return null;
  }
  const words = [posix.basename(argv[0])];
  for (const arg of argv.slice(1)) {
    if (words.length >= 3 || /\d/.test(arg) || arg.includes("/") || !/^[A-Za-z0-9._:@=-]+$/.test(arg)) {
      break;
    }
    words.push(arg);
  }
  return words.join(" ");
}

/**
 * Rules for the hosts of the old `atl.approval.autoApproveReadOnlyHosts` setting: any read-only
 * command on each listed host, until revoked (what the setting did).
 */
export function migrateAutoApproveHosts(hostIds: readonly string[], now: Date): ApprovalRule[] {
  const out: ApprovalRule[] = [];
  for (const hostId of new Set(hostIds.map((h) => h.trim()))) {
    // Host ids cannot hold glob characters; anything that is not an id is dropped, not widened.
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(hostId)) {
      continue;
    }
    out.push({ id: `migrated-${out.length + 1}`, scope: { host: hostId }, command: ANY_READ_ONLY, expiresAt: null, once: false, createdAt: now.toISOString(), origin: "migrated" });
  }
  return out;
}

// ---- evaluation --------------------------------------------------------------------------------------

/** Whether the rule still applies at `now`. */
export function isActive(rule: ApprovalRule, now: Date): boolean {
  return rule.expiresAt === null || Date.parse(rule.expiresAt) > now.getTime();
}

/** Whether the rule's scope includes the host. */
export function appliesToHost(rule: ApprovalRule, host: RuleHost): boolean {
  const scope = rule.scope;
  if ("all" in scope) {
    return true;
  }
  if ("tag" in scope) {
    const tag = scope.tag.toLowerCase();
    return (host.tags ?? []).some((t) => t.toLowerCase() === tag);
  }
  const glob = globRegExp(scope.host);
  return [host.id, host.name, ...(host.aliases ?? [])].some((name) => glob.test(name));
}

function globRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    source += ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.:-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "i");
}

/** Whether one program's argv starts with the rule's words (the program by its base name). */
function matchesArgv(prefix: readonly string[] | null, argv: readonly string[]): boolean {
  if (prefix === null) {
    return true;
  }
  if (argv.length < prefix.length || argv.length === 0) {
    return false;
  }
  // The policy only lets a path-qualified program from the system directories through.
  if (posix.basename(argv[0]) !== prefix[0]) {
    return false;
  }
  return prefix.every((word, k) => k === 0 || argv[k] === word);
}

/** A set of rules, evaluated against plans. Immutable: the stores replace it when rules change. */
export class ApprovalRuleSet {
  private readonly compiled: { rule: ApprovalRule; argv: string[] | null }[];

  constructor(readonly rules: readonly ApprovalRule[]) {
    this.compiled = rules.map((rule) => ({ rule, argv: patternArgv(rule.command) }));
  }

  /** The rules in force at `now`. */
  active(now: Date): ApprovalRule[] {
    return this.rules.filter((r) => isActive(r, now));
  }

  /** What the rules let run of `plan` on `host` at `now` (see Coverage). */
  covers(plan: readonly RuleCommand[], host: RuleHost, now: Date): Coverage {
    // Rules that can run many times first, so a once-rule is spent only when nothing else allows.
    const applicable = this.compiled.filter(({ rule }) => isActive(rule, now) && appliesToHost(rule, host)).sort((a, b) => Number(a.rule.once) - Number(b.rule.once));
    const commands: CommandCoverage[] = [];
    const used = new Set<string>();
    let allowed = 0;
    let covered = true;
    for (const command of plan) {
      if (command.decision !== "allowed") {
        commands.push({ id: command.id, kind: "refused", ruleIds: [] });
        continue;
      }
      allowed += 1;
      if (command.risk !== "read-only") {
        commands.push({ id: command.id, kind: "mutating", ruleIds: [] });
        covered = false;
        continue;
      }
      const ruleIds = coveringRules(applicable, command.command);
      if (!ruleIds) {
        commands.push({ id: command.id, kind: "no-rule", ruleIds: [] });
        covered = false;
        continue;
      }
      commands.push({ id: command.id, kind: "covered", ruleIds });
    }
    const ok = covered && allowed > 0;
    if (ok) {
      for (const c of commands) {
        c.ruleIds.forEach((id) => used.add(id));
      }
    }
    return { covered: ok, commands, ruleIds: [...used] };
  }
}

/** One rule per program of the command line, or null when some program has none. */
function coveringRules(applicable: readonly { rule: ApprovalRule; argv: string[] | null }[], command: string): string[] | null {
  const parsed = parseCommandLine(command);
  if (!parsed.ok) {
    return null;
  }
  const ids: string[] = [];
  for (const step of parsed.steps) {
    for (const stage of step.stages) {
      const match = applicable.find(({ argv }) => matchesArgv(argv, stage.argv));
      if (!match) {
        return null;
      }
      if (!ids.includes(match.rule.id)) {
        ids.push(match.rule.id);
      }
    }
  }
  return ids;
}

// ---- the graph's gate ----------------------------------------------------------------------------

/** Where a gate reads the rules and spends once-rules: the editor's global state, a --rules file. */
export interface ApprovalRuleSource {
  current(): ApprovalRuleSet;
  /** Once-rules that approved a plan: they stop applying. */
  spend(ruleIds: readonly string[]): void;
}

/** The rule as a proposal records it. */
export function ruleRef(rule: ApprovalRule): ApprovalRuleRef {
  const scope = rule.scope;
  return { id: rule.id, command: rule.command, scope: "all" in scope ? "all" : "tag" in scope ? `tag:${scope.tag}` : `host:${scope.host}` };
}

/**
 * The rules that let `commands` run on `host` without asking, or null when they do not cover them
 * (see Coverage); once-rules among them are spent. The graph's gate and `atl mcp --rules` decide
 * with this.
 */
export function approveByRules(source: ApprovalRuleSource, commands: readonly RuleCommand[], host: RuleHost, now: Date): ApprovalRuleRef[] | null {
  const set = source.current();
  const coverage = set.covers(commands, host, now);
  if (!coverage.covered) {
    return null;
  }
  const used = set.rules.filter((r) => coverage.ruleIds.includes(r.id));
  const spent = used.filter((r) => r.once).map((r) => r.id);
  if (spent.length > 0) {
    source.spend(spent);
  }
  return used.map(ruleRef);
}

/** The graph's ApprovalGate over a rule source: a plan runs unasked only when the rules cover it. */
export function approvalGate(source: ApprovalRuleSource, clock: () => Date = () => new Date()): ApprovalGate {
  return {
    approve: (proposal: Proposal, host: HostEntry): ApprovalRuleRef[] | null => approveByRules(source, proposal.commands, host, clock()),
  };
}

/** Rules held in memory (a --rules file read at start): once-rules are spent for this process. */
export function memoryRuleSource(rules: readonly ApprovalRule[]): ApprovalRuleSource {
  let set = new ApprovalRuleSet(rules);
  return {
    current: () => set,
    spend: (ids) => {
      set = new ApprovalRuleSet(set.rules.filter((r) => !ids.includes(r.id)));
    },
  };
}
