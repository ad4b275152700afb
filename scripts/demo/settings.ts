// The ATL settings of the demo: the emulator's queue, this machine as `demo-host` behind the local
// agent (its secret in a mode-600 file, since the editor's SecretStorage cannot be filled from
// outside), and the LLM: none (built-in runbooks), a local OpenAI-compatible server, or the relay
// that holds the user's key. Secrets never appear here. Also the environment the editor needs.
import { DEMO_HOST, DEMO_REGION } from "./scenario";

export interface DemoLlm {
  /** none: runbooks; compatible: `baseUrl` is an OpenAI-compatible API (a local server or the relay). */
  kind: "none" | "compatible";
  baseUrl?: string;
  model?: string;
  /** Where it goes, for the summary: "OpenAI through the local relay", "http://127.0.0.1:11434/v1". */
  description: string;
}

export interface DemoSettingsInput {
  queueUrl: string;
  endpoint: string;
  agent: { url: string; keyId: string; secretFile: string };
  instanceId: string;
  /** Other names this machine answers to in alarms (its host name). */
  aliases?: string[];
  llm: DemoLlm;
}

export function demoSettings(input: DemoSettingsInput): Record<string, unknown> {
  const aliases = [input.instanceId, ...(input.aliases ?? [])].filter((a, i, all) => a !== DEMO_HOST && all.indexOf(a) === i);
  return {
    "atl.sqs.queueUrl": input.queueUrl,
    "atl.sqs.endpoint": input.endpoint,
    "atl.sqs.region": DEMO_REGION,
    "atl.hosts": [
      {
        id: DEMO_HOST,
        name: DEMO_HOST,
        transport: "agent",
        url: input.agent.url,
        keyId: input.agent.keyId,
        secretFile: input.agent.secretFile,
        aliases,
        tags: ["demo", "this machine"],
      },
    ],
    "atl.llm.provider": input.llm.kind === "none" ? "none" : "openai-compatible",
    ...(input.llm.kind === "compatible" ? { "atl.llm.baseUrl": input.llm.baseUrl, "atl.llm.model": input.llm.model ?? "gpt-4.1-mini" } : {}),
    "atl.alarms.notify": "alarm",
    // Triage on arrival stays on (the default): the alarm arrives with its plan already made, and
    // with no approval rule that plan waits for the one click that runs it.
  };
}

/**
 * The editor's environment: static fake AWS credentials (the emulator accepts any; with them the
 * SDK never looks for real ones), no instance-metadata lookups, and no SDK warning about Node 20.
 */
export const DEMO_EDITOR_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: "atl-demo",
  AWS_SECRET_ACCESS_KEY: "atl-demo",
  AWS_REGION: DEMO_REGION,
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/** Editor settings for a first look: the README of the demo workspace opens at start. */
export const DEMO_EDITOR_SETTINGS: Readonly<Record<string, unknown>> = {
  "workbench.startupEditor": "readme",
};
