// What the CLI's diagnosing subcommands share: flag parsing, the LLM flags, secrets from the
// environment, the inventory and policy files, and a stderr logger. One place, so `diagnose`,
// `watch` and `mcp` read the same flags the same way.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { createCommandPolicy, loadPolicyFile, PolicyFileError, type CommandPolicy } from "../../agent/src/policy";
import { loadRulesFile, type ApprovalRule } from "../diagnosis/approvalRules";
import { parseHostsInventory } from "../hosts/inventory";
import { secretNames, type HostEntry, type SecretLookup } from "../hosts/model";
import type { LlmProvider, LlmSettings, StructuredOutputMethod } from "../llm/settings";
import { AtlError, errnoCode } from "../shared/errors";
import type { Logger } from "../shared/log";

/** Bad flags or unreadable input files: the subcommand prints it (with its usage) and exits 2. */
export class UsageError extends Error {}

/** `--name value` / `--name=value` flags and bare switches; anything else is a UsageError. */
export function parseFlags(args: readonly string[], valueFlags: ReadonlySet<string>, switches: ReadonlySet<string>): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const raw = args[i];
    const eq = raw.indexOf("=");
    const name = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    if (valueFlags.has(name)) {
      const value = eq > 0 && raw.startsWith("--") ? raw.slice(eq + 1) : args[++i];
      if (value === undefined) {
        throw new UsageError(`${name} needs a value`);
      }
      values.set(name, value);
    } else if (switches.has(name)) {
      flags.add(name);
    } else {
      throw new UsageError(`unknown argument "${raw}"`);
    }
  }
  return { values, flags };
}

/** Readers of flag values that throw a UsageError naming the flag. */
export function flagReaders(values: ReadonlyMap<string, string>) {
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = values.get(name);
    if (value === undefined) {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) {
      throw new UsageError(`${name} must be one of ${allowed.join(", ")}`);
    }
    return value as T;
  };
  const integer = (name: string, fallback: number, min: number, max: number, what = "a whole number"): number => {
    const value = values.get(name);
    if (value === undefined) {
      return fallback;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`${name} must be ${what} (${min}–${max})`);
    }
    return n;
  };
  const seconds = (name: string, fallback: number): number => integer(name, fallback, 1, 3600, "a whole number of seconds");
  return { oneOf, integer, seconds };
}

/** The LLM flags (`--llm-model M`, `--llm-base-url URL`, …); without any, the runbooks plan and analyse. */
export const LLM_FLAGS = [
  "--llm-base-url",
  "--llm-model",
  "--llm-provider",
  "--llm-structured-output",
  "--llm-timeout",
  "--azure-instance",
  "--azure-deployment",
  "--azure-api-version",
] as const;

export const LLM_USAGE = `  --llm-base-url URL        OpenAI-compatible server (Ollama, vLLM, …); implies --llm-provider openai-compatible
  --llm-model M             model name (enables the LLM; default provider openai)
  --llm-provider P          openai | azure | openai-compatible
  --llm-structured-output M jsonSchema (default) | functionCalling | jsonMode
  --llm-timeout SEC         one LLM request (default 60)
  --azure-instance NAME --azure-deployment NAME --azure-api-version V`;

export interface LlmOptions {
  llmBaseUrl: string | null;
  llmModel: string | null;
  llmProvider: LlmProvider | null;
  structuredOutput: StructuredOutputMethod;
  llmTimeout: number;
  azureInstance: string;
  azureDeployment: string;
  azureApiVersion: string;
}

export function llmOptions(values: ReadonlyMap<string, string>): LlmOptions {
  const { oneOf, seconds } = flagReaders(values);
  return {
    llmBaseUrl: values.get("--llm-base-url") ?? null,
    llmModel: values.get("--llm-model") ?? null,
    llmProvider: values.has("--llm-provider") ? oneOf("--llm-provider", ["openai", "azure", "openai-compatible"] as const, "openai") : null,
    structuredOutput: oneOf("--llm-structured-output", ["jsonSchema", "functionCalling", "jsonMode"] as const, "jsonSchema"),
    llmTimeout: seconds("--llm-timeout", 60),
    azureInstance: values.get("--azure-instance") ?? "",
    azureDeployment: values.get("--azure-deployment") ?? "",
    azureApiVersion: values.get("--azure-api-version") ?? "2024-10-21",
  };
}

/** The LLM settings the flags describe, or null (no LLM flag: runbooks only). Key from the environment. */
export function llmFrom(options: LlmOptions, env: NodeJS.ProcessEnv): LlmSettings | null {
  if (!options.llmModel && !options.llmBaseUrl && !options.llmProvider) {
    return null;
  }
  const provider: LlmProvider = options.llmProvider ?? (options.llmBaseUrl ? "openai-compatible" : "openai");
  return {
    provider,
    model: options.llmModel ?? "gpt-4.1-mini",
    baseUrl: options.llmBaseUrl,
    azure: provider === "azure" ? { instanceName: options.azureInstance, deployment: options.azureDeployment, apiVersion: options.azureApiVersion } : null,
    structuredOutputMethod: options.structuredOutput,
    timeoutSeconds: options.llmTimeout,
    maxRetries: 1,
    prices: {},
    apiKey: env.OPENAI_API_KEY ?? env.ATL_LLM_API_KEY ?? "",
  };
}

/** What the CLI reads secrets from: environment variables (files are read by the directory). */
export function envSecrets(env: NodeJS.ProcessEnv): SecretLookup {
  const key = (id: string) => id.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return {
    get(name: string): Promise<string | undefined> {
      const agent = /^atl\.host\.(.+)\.agentSecret$/.exec(name);
      if (agent) {
        return Promise.resolve(env[`ATL_AGENT_SECRET_${key(agent[1])}`]);
      }
      const ssh = /^atl\.host\.(.+)\.sshPassphrase$/.exec(name);
      if (ssh) {
        return Promise.resolve(env[`ATL_SSH_PASSPHRASE_${key(ssh[1])}`]);
      }
      return Promise.resolve(name === secretNames.llmApiKey ? (env.OPENAI_API_KEY ?? env.ATL_LLM_API_KEY) : undefined);
    },
  };
}

/** The `--rules FILE` approval rules (null without the flag); a file ATL cannot trust or read is a UsageError. */
export function readRules(file: string | null | undefined): ApprovalRule[] | null {
  if (!file) {
    return null;
  }
  try {
    return loadRulesFile(file, new Date()).rules;
  } catch (error) {
    throw new UsageError(error instanceof AtlError ? error.userMessage : String(error));
  }
}

/** The `--hosts FILE` inventory; problems of single entries go to stderr, none valid is a UsageError. */
export async function readInventory(file: string, command: string): Promise<HostEntry[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch (error) {
    const reason = errnoCode(error) === "ENOENT" ? "no such file" : (error as Error).message;
    throw new UsageError(`cannot read the inventory ${file}: ${reason}`);
  }
  const inventory = parseHostsInventory(value, { baseDir: dirname(resolve(file)) });
  for (const error of inventory.errors) {
    process.stderr.write(`atl ${command}: ${file}: ${error}\n`);
  }
  if (inventory.hosts.length === 0) {
    throw new UsageError(`the inventory ${file} has no valid host`);
  }
  return inventory.hosts;
}

/** The default policy, or with the operator's rules of `--policy FILE`. */
export function loadPolicy(file: string | null): CommandPolicy {
  if (!file) {
    return createCommandPolicy();
  }
  try {
    return createCommandPolicy(loadPolicyFile(file));
  } catch (error) {
    if (error instanceof PolicyFileError) {
      throw new UsageError(`${error.message} ${error.fix}`);
    }
    throw error;
  }
}

/** Warnings on stderr (unless quiet); `levels` adds info and error lines. */
export function stderrLogger(quiet: boolean, levels: { info?: boolean; error?: boolean } = {}): Logger {
  const write = (level: string) => (message: string | Error) => {
    if (!quiet) {
      process.stderr.write(`atl: ${level}: ${message instanceof Error ? message.message : message}\n`);
    }
  };
  const off = (): undefined => undefined;
  return { trace: off, debug: off, info: levels.info ? write("info") : off, warn: write("warning"), error: levels.error ? write("error") : off };
}
