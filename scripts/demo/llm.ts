// Which LLM the demo uses, from the environment: none (built-in runbooks), an OpenAI-compatible
// server without a key (ATL_LLM_BASE_URL alone, e.g. Ollama on this machine), or a keyed API
// (OPENAI_API_KEY or ATL_LLM_API_KEY, with ATL_LLM_BASE_URL or OpenAI's URL) reached through the
// loopback relay so the key never leaves the demo process.
import { AtlError } from "../../src/shared/errors";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_MODEL = "gpt-4.1-mini";

export type LlmChoice =
  | { kind: "none" }
  | { kind: "direct"; baseUrl: string; model: string }
  | { kind: "relay"; target: string; apiKey: string; model: string };

const KEY_VARIABLES = ["OPENAI_API_KEY", "ATL_LLM_API_KEY"] as const;

/**
 * Reads the choice and removes the key variables from `env` (the demo's own process.env), so no
 * process the demo starts (agent, editor, fault) inherits the key.
 */
export function takeLlmChoice(env: NodeJS.ProcessEnv): LlmChoice {
  const apiKey = KEY_VARIABLES.map((name) => env[name]?.trim()).find((value) => value);
  for (const name of KEY_VARIABLES) {
    delete env[name];
  }
  const baseUrl = env.ATL_LLM_BASE_URL?.trim() || null;
  const model = env.ATL_LLM_MODEL?.trim() || DEFAULT_MODEL;
  if (baseUrl !== null && !/^https?:\/\/\S+$/.test(baseUrl)) {
    throw new AtlError("llm-config", `ATL_LLM_BASE_URL=${baseUrl} is not an http(s) URL.`, {
      fix: "Set it to the server's OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1, or unset it.",
    });
  }
  if (!/^[A-Za-z0-9._:/-]{1,128}$/.test(model)) {
    throw new AtlError("llm-config", `ATL_LLM_MODEL=${model} is not a model name.`, { fix: `Set a name such as ${DEFAULT_MODEL}, or unset it.` });
  }
  if (apiKey) {
    return { kind: "relay", target: baseUrl ?? OPENAI_BASE_URL, apiKey, model };
  }
  if (baseUrl) {
    return { kind: "direct", baseUrl, model };
  }
  return { kind: "none" };
}
