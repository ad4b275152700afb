// Builds the chat model from the LLM settings: ChatOpenAI for OpenAI and any OpenAI-compatible
// server (Ollama, vLLM, LM Studio), AzureChatOpenAI for Azure. Lives in graph.js only (LangChain).
// Retries are capped at 2 (LangChain's default of 6 retries a broken server for minutes) and
// LangSmith tracing is switched off unless the user opted in.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AzureChatOpenAI, ChatOpenAI } from "@langchain/openai";
import { AtlError } from "../shared/errors";
import { EditorChatModel } from "./editorChatModel";
import { translate, type Translate } from "../shared/l10n";
import type { LlmSettings } from "./settings";

const t: Translate = translate;

const TRACING_VARIABLES = ["LANGSMITH_TRACING", "LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_CALLBACKS_BACKGROUND"];

/** Clears LangSmith/LangChain tracing variables (unless opted in): prompts carry host data. */
export function applyTracingPolicy(settings: Pick<LlmSettings, "tracing">, env: NodeJS.ProcessEnv = process.env): void {
  if (settings.tracing === true) {
    return;
  }
  for (const name of TRACING_VARIABLES) {
    if (name !== "LANGCHAIN_CALLBACKS_BACKGROUND") {
      delete env[name];
    }
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith("LANGSMITH_") || name.startsWith("LANGCHAIN_TRACING")) {
      delete env[name];
    }
  }
}

export function clampRetries(value: number): number {
  return Number.isFinite(value) ? Math.min(2, Math.max(0, Math.floor(value))) : 1;
}

/** Throws AtlError("llm-config") with the setting to fix when the settings cannot work. */
export function validateLlmSettings(settings: LlmSettings): void {
  const fix = (what: string) => ({ fix: t("Set {0} in the ATL settings (or the CLI flags).", what) });
  if (!settings.model.trim() && settings.provider !== "vscode") {
    throw new AtlError("llm-config", t("No LLM model is configured."), fix("atl.llm.model"));
  }
  if (settings.baseUrl !== null && settings.baseUrl !== "" && !/^https?:\/\/\S+$/.test(settings.baseUrl)) {
    throw new AtlError("llm-config", t('The LLM base URL "{0}" is not an http(s) URL.', settings.baseUrl), fix("atl.llm.baseUrl"));
  }
  switch (settings.provider) {
    case "openai":
      if (!settings.apiKey) {
        throw new AtlError("llm-config", t("No OpenAI API key is set."), { fix: t("Run “ATL: Set LLM API key” (CLI: set OPENAI_API_KEY).") });
      }
      break;
    case "azure":
      if (!settings.apiKey) {
        throw new AtlError("llm-config", t("No Azure OpenAI API key is set."), { fix: t("Run “ATL: Set LLM API key” (CLI: set OPENAI_API_KEY).") });
      }
      if (!settings.azure || (!settings.azure.instanceName && !settings.baseUrl)) {
        throw new AtlError("llm-config", t("Azure OpenAI needs an instance name (or an endpoint URL)."), fix("atl.llm.azure.instanceName"));
      }
      break;
    case "openai-compatible":
      if (!settings.baseUrl) {
        throw new AtlError("llm-config", t("An OpenAI-compatible provider needs a base URL."), fix("atl.llm.baseUrl"));
      }
      break;
    case "vscode":
      if (!settings.editor) {
        throw new AtlError("llm-config", t("The editor's language model is only available inside VS Code."), { fix: t("Use --llm-model/--llm-base-url in the CLI.") });
      }
      break;
  }
}

export interface ChatModelOptions {
  /**
   * Whether the graph's "messages" stream mode may stream this model's replies token by token
   * (the answer node). Structured calls are not shown as they arrive: a plain request is cheaper.
   */
  stream?: boolean;
}

export function createChatModel(settings: LlmSettings, options: ChatModelOptions = {}): BaseChatModel {
  validateLlmSettings(settings);
  applyTracingPolicy(settings);
  if (settings.provider === "vscode") {
    // Timeouts, retries and cancellation belong to the editor's API (and the port).
    return new EditorChatModel(settings.editor!);
  }
  const common = {
    timeout: Math.max(1, settings.timeoutSeconds) * 1000,
    maxRetries: clampRetries(settings.maxRetries),
    // Never `streaming: true` (its token counting downloads a tokenizer). Unset lets the graph's
    // "messages" mode stream; `disableStreaming` keeps structured calls to one plain request.
    ...(options.stream === false ? { disableStreaming: true } : {}),
    streamUsage: true,
  };
  if (settings.provider === "azure") {
    const azure = settings.azure!;
    return new AzureChatOpenAI({
      ...common,
      model: settings.model,
      azureOpenAIApiKey: settings.apiKey,
      azureOpenAIApiInstanceName: azure.instanceName || undefined,
      azureOpenAIApiDeploymentName: azure.deployment || settings.model,
      azureOpenAIApiVersion: azure.apiVersion,
      ...(settings.baseUrl ? { azureOpenAIEndpoint: settings.baseUrl } : {}),
    });
  }
  return new ChatOpenAI({
    ...common,
    model: settings.model,
    // Local servers ignore the key, but the client insists on one.
    apiKey: settings.apiKey || "not-needed",
    useResponsesApi: false,
    configuration: settings.baseUrl ? { baseURL: settings.baseUrl } : {},
  });
}
