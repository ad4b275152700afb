// The LLM settings (`atl.llm.*` plus the API key) as plain data. No LangChain here: the extension
// reads settings into this shape and hands it to graph.js, which builds the model. The editor's
// model (`vscode`) comes with the port the extension implements instead of a URL and key.
import type { EditorModelPort } from "./editor";

export type LlmProvider = "openai" | "azure" | "openai-compatible" | "vscode";

export type StructuredOutputMethod = "jsonSchema" | "functionCalling" | "jsonMode";

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

export interface AzureSettings {
  instanceName: string;
  /** Empty: the model name is the deployment name. */
  deployment: string;
  apiVersion: string;
}

/** The `atl.llm.*` settings plus the API key (from SecretStorage, or env in the CLI). */
export interface LlmSettings {
  provider: LlmProvider;
  model: string;
  /** OpenAI-compatible servers (and an OpenAI proxy); null for the provider's default. */
  baseUrl: string | null;
  /** Required when provider is "azure". */
  azure: AzureSettings | null;
  structuredOutputMethod: StructuredOutputMethod;
  /** One request. */
  timeoutSeconds: number;
  /** Clamped to 0–2 (LangChain's default of 6 retries a bad server for minutes). */
  maxRetries: number;
  /** Extra or overriding prices by model name; built-in prices cover common OpenAI models. */
  prices: Record<string, ModelPrice>;
  apiKey: string;
  /** Keep LANGSMITH_* / LANGCHAIN_TRACING* as the environment has them. Default false: cleared. */
  tracing?: boolean;
  /** Provider `vscode`: the editor's model (`model` holds its `vendor/id`). */
  editor?: EditorModelPort;
}
