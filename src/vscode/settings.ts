// The typed `atl.*` settings: read once into a snapshot, re-read on onDidChangeConfiguration, with
// every value checked (a wrong value is reported once with an "Open settings" button and treated
// as unset, so a typo never turns into a stack trace further down).
import * as vscode from "vscode";
import type { DiagnosisSettings } from "../graph/deps";
import type { LlmProvider, LlmSettings, ModelPrice, StructuredOutputMethod } from "../llm/settings";
import { AtlError } from "../shared/errors";
import type { HostEntry } from "../hosts/model";
import { parseHostsInventory } from "../hosts/inventory";
import { regionFromQueueUrl } from "../sqs/queueUrl";
import type { Logger } from "../shared/log";
import { Disposable } from "./disposable";
import type { ReportLanguage } from "../shared/l10n";

export { regionFromQueueUrl };

export type SqsMode = "consume" | "peek";
export type GroupBy = "state" | "host";
export type NotifyMode = "all" | "alarm" | "off";
export type ReportLanguageSetting = "auto" | ReportLanguage;

export interface SqsSettings {
  /** null: no queue configured, polling is off. */
  queueUrl: string | null;
  /** `atl.sqs.region`, else the region in the queue URL; null: the profile's region. */
  region: string | null;
  endpoint: string | null;
  profile: string | null;
  mode: SqsMode;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  autoStart: boolean;
}

/** `auto`: the editor's model when available and allowed, else none. `vscode`: the editor's model. */
export type LlmProviderSetting = LlmProvider | "none" | "auto";

export interface LlmViewSettings {
  provider: LlmProviderSetting;
  /** Which of the editor's models (`vscode`/`auto`); empty fields match any. */
  editorModel: { vendor: string; family: string; id: string };
  model: string;
  baseUrl: string | null;
  azure: { instanceName: string; deployment: string; apiVersion: string };
  structuredOutputMethod: StructuredOutputMethod;
  timeoutSeconds: number;
  maxRetries: number;
  outputTokenBudget: number;
  prices: Record<string, ModelPrice>;
  tracing: boolean;
  redactionPatterns: string[];
}

export interface AlarmViewSettings {
  groupBy: GroupBy;
  notify: NotifyMode;
  resolvedRetentionHours: number;
}

/** Proactive triage (src/diagnosis/triage.ts): what an arriving alarm starts by itself. */
export interface TriageSettings {
  onArrival: boolean;
  maxConcurrent: number;
  debounceMinutes: number;
}

/** One wrong value: which setting, what is wrong, and the fix. */
export interface SettingProblem {
  setting: string;
  message: string;
}

export interface SettingsSnapshot {
  sqs: SqsSettings;
  hosts: HostEntry[];
  llm: LlmViewSettings;
  executionTimeoutSeconds: number;
  alarms: AlarmViewSettings;
  triage: TriageSettings;
  reportLanguage: ReportLanguageSetting;
  problems: SettingProblem[];
}

export interface SettingsChange {
  readonly previous: SettingsSnapshot;
  readonly current: SettingsSnapshot;
  /** True when the change touched `atl.<section>` (e.g. "sqs", "hosts", "alarms.groupBy"). */
  affects(section: string): boolean;
}

const QUEUE_URL = /^https?:\/\/\S+\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const HTTP_URL = /^https?:\/\/\S+$/;
const PROFILE = /^[A-Za-z0-9_.+=,@-]{1,64}$/;
const MODEL = /^[A-Za-z0-9._:/-]{1,128}$/;

/** One setting as package.json's `contributes.configuration` declares it. */
export interface SettingSchema {
  type?: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
}

/** Every `atl.*` setting by its full key: package.json is the one source of defaults, bounds and choices. */
export type SettingsSchema = Readonly<Record<string, SettingSchema>>;

/** The settings schema of an extension manifest (`context.extension.packageJSON`). */
export function settingsSchema(manifest: unknown): SettingsSchema {
  const configuration = (manifest as { contributes?: { configuration?: { properties?: Record<string, SettingSchema> } | { properties?: Record<string, SettingSchema> }[] } }).contributes?.configuration;
  const sections = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  return Object.assign({}, ...sections.map((section) => section.properties ?? {})) as SettingsSchema;
}

/** Reads `atl.*` from a configuration section into a validated snapshot. Pure apart from `get`. */
export function readSettings(config: Pick<vscode.WorkspaceConfiguration, "get">, schema: SettingsSchema): SettingsSnapshot {
  const problems: SettingProblem[] = [];
  const spec = (key: string): SettingSchema => {
    const found = schema[`atl.${key}`];
    if (!found) {
      throw new AtlError("internal", `The setting atl.${key} is not declared in package.json.`);
    }
    return found;
  };
  const stringDefault = (key: string): string => {
    const value = spec(key).default;
    return typeof value === "string" ? value : "";
  };
  const str = (key: string, pattern: RegExp | null, fix: string): string | null => {
    const value = config.get<unknown>(key);
    if (value === undefined || value === null || value === "") {
      return null;
    }
    if (typeof value !== "string" || (pattern && !pattern.test(value.trim()))) {
      problems.push({ setting: `atl.${key}`, message: vscode.l10n.t("atl.{0} is not valid ({1}). {2}", key, JSON.stringify(value).slice(0, 80), fix) });
      return null;
    }
    return value.trim();
  };
  const num = (key: string): number => {
    const { default: fallback, minimum: min = -Infinity, maximum: max = Infinity, type } = spec(key);
    if (typeof fallback !== "number") {
      throw new AtlError("internal", `The setting atl.${key} has no numeric default in package.json.`);
    }
    const integer = type === "integer";
    const value = config.get<unknown>(key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      problems.push({ setting: `atl.${key}`, message: vscode.l10n.t("atl.{0} must be a number from {1} to {2}; using {3}.", key, min, max, fallback) });
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(key: string): T => {
    const allowed = (spec(key).enum ?? []) as readonly T[];
    const fallback = spec(key).default as T;
    const value = config.get<unknown>(key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
      return value as T;
    }
    problems.push({ setting: `atl.${key}`, message: vscode.l10n.t("atl.{0} must be one of {1}; using {2}.", key, allowed.join(", "), fallback) });
    return fallback;
  };
  const strings = (key: string): string[] => {
    const value = config.get<unknown>(key);
    if (value === undefined || value === null) {
      return [];
    }
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
      problems.push({ setting: `atl.${key}`, message: vscode.l10n.t("atl.{0} must be a list of strings; ignored.", key) });
      return [];
    }
    return value as string[];
  };

  const queueUrl = str("sqs.queueUrl", QUEUE_URL, vscode.l10n.t("Use the queue URL from the SQS console: https://sqs.REGION.amazonaws.com/ACCOUNT_ID/QUEUE_NAME."));
  const explicitRegion = str("sqs.region", REGION, vscode.l10n.t("Use a region code such as ap-northeast-2."));
  const sqs: SqsSettings = {
    queueUrl,
    region: explicitRegion ?? (queueUrl ? regionFromQueueUrl(queueUrl) : null),
    endpoint: str("sqs.endpoint", HTTP_URL, vscode.l10n.t("Use an http(s) URL such as http://127.0.0.1:4566, or leave it empty for AWS.")),
    profile: str("aws.profile", PROFILE, vscode.l10n.t("Use a profile name from ~/.aws/config.")),
    mode: oneOf<SqsMode>("sqs.mode"),
    waitTimeSeconds: num("sqs.waitTimeSeconds"),
    visibilityTimeoutSeconds: num("sqs.visibilityTimeoutSeconds"),
    autoStart: config.get<unknown>("sqs.autoStart") !== false,
  };

  const inventory = parseHostsInventory(config.get<unknown>("hosts") ?? []);
  for (const error of inventory.errors) {
    problems.push({ setting: "atl.hosts", message: error.startsWith("hosts[") ? `atl.${error}` : error });
  }

  const llm: LlmViewSettings = {
    provider: oneOf<LlmProviderSetting>("llm.provider"),
    editorModel: {
      vendor: str("llm.vscode.vendor", null, "") ?? "",
      family: str("llm.vscode.family", null, "") ?? "",
      id: str("llm.vscode.id", null, "") ?? "",
    },
    model: str("llm.model", MODEL, vscode.l10n.t("Use a model name such as gpt-4.1-mini.")) ?? stringDefault("llm.model"),
    baseUrl: str("llm.baseUrl", HTTP_URL, vscode.l10n.t("Use an http(s) URL such as http://127.0.0.1:11434/v1.")),
    azure: {
      instanceName: str("llm.azure.instanceName", /^[A-Za-z0-9-]{2,64}$/, vscode.l10n.t("Use the Azure OpenAI resource name.")) ?? "",
      deployment: str("llm.azure.deployment", null, "") ?? "",
      apiVersion: str("llm.azure.apiVersion", /^\d{4}-\d{2}-\d{2}(-preview)?$/, vscode.l10n.t("Use a version such as 2024-10-21.")) ?? stringDefault("llm.azure.apiVersion"),
    },
    structuredOutputMethod: oneOf<StructuredOutputMethod>("llm.structuredOutputMethod"),
    timeoutSeconds: num("llm.timeoutSeconds"),
    maxRetries: num("llm.maxRetries"),
    outputTokenBudget: num("llm.outputTokenBudget"),
    prices: readPrices(config.get<unknown>("llm.prices"), problems),
    tracing: config.get<unknown>("llm.tracing") === true,
    redactionPatterns: readPatterns(strings("llm.redactionPatterns"), problems),
  };

  const alarms: AlarmViewSettings = {
    groupBy: oneOf<GroupBy>("alarms.groupBy"),
    notify: oneOf<NotifyMode>("alarms.notify"),
    resolvedRetentionHours: num("alarms.resolvedRetentionHours"),
  };

  return {
    sqs,
    hosts: inventory.hosts,
    llm,
    executionTimeoutSeconds: num("execution.timeoutSeconds"),
    alarms,
    triage: {
      onArrival: config.get<unknown>("triage.onArrival") !== false,
      maxConcurrent: num("triage.maxConcurrent"),
      debounceMinutes: num("triage.debounceMinutes"),
    },
    reportLanguage: oneOf<ReportLanguageSetting>("report.language"),
    problems,
  };
}

function readPrices(value: unknown, problems: SettingProblem[]): Record<string, ModelPrice> {
  if (value === undefined || value === null) {
    return {};
  }
  const prices: Record<string, ModelPrice> = {};
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push({ setting: "atl.llm.prices", message: vscode.l10n.t('atl.llm.prices must be an object such as {"gpt-4.1-mini": {"input": 0.4, "output": 1.6}}; ignored.') });
    return prices;
  }
  for (const [model, price] of Object.entries(value as Record<string, unknown>)) {
    const p = price as Partial<ModelPrice> | null;
    if (p && typeof p.input === "number" && typeof p.output === "number" && p.input >= 0 && p.output >= 0) {
      prices[model] = { input: p.input, output: p.output };
    } else {
      problems.push({ setting: "atl.llm.prices", message: vscode.l10n.t('atl.llm.prices["{0}"] needs numbers "input" and "output" (USD per million tokens); ignored.', model) });
    }
  }
  return prices;
}

function readPatterns(patterns: string[], problems: SettingProblem[]): string[] {
  return patterns.filter((pattern) => {
    try {
      new RegExp(pattern);
      return true;
    } catch (error) {
      problems.push({
        setting: "atl.llm.redactionPatterns",
        message: vscode.l10n.t("atl.llm.redactionPatterns: {0} is not a regular expression ({1}); ignored.", JSON.stringify(pattern), error instanceof Error ? error.message : String(error)),
      });
      return false;
    }
  });
}

/** The live settings: `current` is always the latest snapshot; listeners hear what changed. */
export class AtlSettings extends Disposable {
  private snapshot: SettingsSnapshot;
  private readonly changeEmitter = this._register(new vscode.EventEmitter<SettingsChange>());
  readonly onDidChange = this.changeEmitter.event;
  private reportedProblems = new Set<string>();

  constructor(
    private readonly schema: SettingsSchema,
    private readonly logger: Logger,
  ) {
    super();
    this.snapshot = readSettings(vscode.workspace.getConfiguration("atl"), schema);
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration("atl")) {
          return;
        }
        const previous = this.snapshot;
        this.snapshot = readSettings(vscode.workspace.getConfiguration("atl"), this.schema);
        this.reportProblems();
        this.changeEmitter.fire({ previous, current: this.snapshot, affects: (section) => event.affectsConfiguration(`atl.${section}`) });
      }),
    );
  }

  get current(): SettingsSnapshot {
    return this.snapshot;
  }

  /** What the diagnosis graph reads on every run. */
  diagnosisSettings(): DiagnosisSettings {
    const s = this.snapshot;
    return {
      timeoutSeconds: s.executionTimeoutSeconds,
      outputTokenBudget: s.llm.outputTokenBudget,
      redactionPatterns: s.llm.redactionPatterns,
      language: this.reportLanguage(),
    };
  }

  /**
   * The LLM settings with the API key, or null when no LLM is configured (`atl.llm.provider` none):
   * the built-in runbooks diagnose then. Throws an AtlError with the fix when a key is missing.
   * The editor's model (`auto`, `vscode`) is resolved by EditorModels (src/vscode/lm), not here.
   */
  llmSettings(apiKey: string | undefined): LlmSettings | null {
    const llm = this.snapshot.llm;
    if (llm.provider === "none" || llm.provider === "auto" || llm.provider === "vscode") {
      return null;
    }
    if (llm.provider === "openai-compatible" && !llm.baseUrl) {
      throw new AtlError("llm-config", vscode.l10n.t("atl.llm.provider is openai-compatible but atl.llm.baseUrl is empty."), {
        fix: vscode.l10n.t("Set atl.llm.baseUrl to the server's /v1 URL, e.g. http://127.0.0.1:11434/v1."),
      });
    }
    if (llm.provider === "azure" && !llm.azure.instanceName) {
      throw new AtlError("llm-config", vscode.l10n.t("atl.llm.provider is azure but atl.llm.azure.instanceName is empty."), {
        fix: vscode.l10n.t("Set atl.llm.azure.instanceName to your Azure OpenAI resource name."),
      });
    }
    if (!apiKey && llm.provider !== "openai-compatible") {
      throw new AtlError("llm-config", vscode.l10n.t("No API key for the {0} LLM.", llm.provider), {
        fix: vscode.l10n.t("Run ATL: Set LLM API key, or set atl.llm.provider to none to diagnose with the built-in runbooks."),
      });
    }
    return {
      provider: llm.provider,
      model: llm.model,
      baseUrl: llm.baseUrl,
      azure: llm.provider === "azure" ? llm.azure : null,
      structuredOutputMethod: llm.structuredOutputMethod,
      timeoutSeconds: llm.timeoutSeconds,
      maxRetries: llm.maxRetries,
      prices: llm.prices,
      // Local OpenAI-compatible servers usually ignore the key, but the client needs one.
      apiKey: apiKey ?? "not-needed",
      tracing: llm.tracing,
    };
  }

  /** `atl.report.language`, with auto resolved from the VS Code display language. */
  reportLanguage(): ReportLanguage {
    const setting = this.snapshot.reportLanguage;
    if (setting !== "auto") {
      return setting;
    }
    return vscode.env.language.toLowerCase().startsWith("ko") ? "ko" : "en";
  }

  /**
   * Writes a setting where it takes effect: the workspace when it already overrides the value
   * there, otherwise the user settings.
   */
  async update(key: string, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration("atl");
    const inspected = config.inspect(key);
    const target =
      inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
  }

  /**
   * Shows each new problem once: a warning naming the setting and what is wrong, with a button
   * that opens the Settings editor at it. Problems already shown are not repeated.
   */
  reportProblems(): void {
    const problems = this.snapshot.problems;
    const keys = new Set(problems.map((p) => `${p.setting}\u0000${p.message}`));
    const fresh = problems.filter((p) => !this.reportedProblems.has(`${p.setting}\u0000${p.message}`));
    this.reportedProblems = keys;
    if (fresh.length === 0) {
      return;
    }
    for (const problem of fresh) {
      this.logger.warn(`Setting ${problem.setting}: ${problem.message}`);
    }
    const first = fresh[0];
    if (first === undefined) {
      return;
    }
    const message = fresh.length === 1 ? first.message : vscode.l10n.t("{0} (and {1} more setting problems: see the ATL log)", first.message, fresh.length - 1);
    const open = vscode.l10n.t("Open settings");
    void vscode.window.showWarningMessage(message, open).then(async (choice) => {
      if (choice === open) {
        await vscode.commands.executeCommand("workbench.action.openSettings", first.setting);
      }
    });
  }
}
