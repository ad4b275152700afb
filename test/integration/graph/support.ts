// A diagnosis service wired to real parts for the graph tests: the real agent on 127.0.0.1 (its
// audit log tells what reached the host), the real host directory and policy, the real alarm
// store, a checkpoint directory on disk, and (optionally) the scripted OpenAI-compatible server.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCommandPolicy } from "../../../agent/src/policy";
import type { ExecAuditRecord } from "../../../agent/src/audit";
import type { PolicyFile } from "../../../agent/src/policy/types";
import type { Alarm } from "../../../src/alarms/model";
import { parseAlarmMessage } from "../../../src/alarms/parse";
import { AlarmStore } from "../../../src/alarms/store";
import type { DiagnosisDeps, DiagnosisSettings } from "../../../src/graph/deps";
import type { DiagnosisEvent, ThreadStatus } from "../../../src/graph/diagnosis";
import { createDiagnosisService, type DiagnosisServiceHandle } from "../../../src/graph/service";
import { HostDirectory } from "../../../src/hosts/directory";
import type { AgentHostEntry, HostEntry } from "../../../src/hosts/model";
import type { LlmSettings } from "../../../src/llm/settings";
import { silentLogger } from "../../../src/shared/log";
import { startAgent, type RunningAgent } from "../../helpers/agent";
import type { Resources } from "../../helpers/resources";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";

export const SAMPLES = join(__dirname, "..", "..", "unit", "alarms", "samples");

export function sampleAlarm(file: string, patch: Partial<Alarm> = {}): Alarm {
  const parsed = parseAlarmMessage(readFileSync(join(SAMPLES, file), "utf8"));
  if (!parsed.ok) {
    throw new Error(`sample ${file} does not parse: ${parsed.error}`);
  }
  return { ...parsed.alarm, ...patch };
}

/** The CPU alarm of sample 01 is about instance i-0a1b2c3d4e5f67890 ("prod-web-01"). */
export const WEB_INSTANCE = "i-0a1b2c3d4e5f67890";

export function llmSettings(llm: ScriptedLlm, extra: Partial<LlmSettings> = {}): LlmSettings {
  return {
    provider: "openai-compatible",
    model: "gpt-4.1-mini",
    baseUrl: llm.url,
    azure: null,
    structuredOutputMethod: "jsonSchema",
    timeoutSeconds: 20,
    maxRetries: 0,
    prices: {},
    apiKey: "test-key",
    ...extra,
  };
}

/** An operator policy that allows one mutating command: `systemctl restart nginx`. */
export const RESTART_NGINX_POLICY: PolicyFile = { version: 1, rules: [{ id: "restart-nginx", program: "systemctl", args: ["restart", "nginx"], risk: "mutating", effect: "allow" }] };

/** The scripted LLM's reply to a planning request: these commands, with generic purposes. */
export function planReply(rationale: string, ...commands: string[]): { schema: string; json: unknown } {
  return { schema: "command_plan", json: { rationale, commands: commands.map((command) => ({ command, purpose: `run ${command}`, expectedSignal: "something" })) } };
}

/** The scripted LLM and a fixture whose service diagnoses with it; both released with `resources`. */
export async function startLlmFixture(resources: Resources, options: FixtureOptions = {}, llm: Partial<LlmSettings> = {}): Promise<{ llm: ScriptedLlm; fx: Fixture }> {
  const scripted = resources.add(await startScriptedLlm(), (l) => l.close());
  const fx = resources.add(await startFixture(options), (f) => f.close());
  fx.deps.llm = llmSettings(scripted, llm);
  fx.service = fx.reopen();
  return { llm: scripted, fx };
}

export interface Fixture {
  agent: RunningAgent;
  host: AgentHostEntry;
  hosts: HostDirectory;
  store: AlarmStore;
  checkpointDir: string;
  settings: DiagnosisSettings;
  deps: DiagnosisDeps;
  service: DiagnosisServiceHandle;
  /** A new service on the same checkpoint directory (what a reloaded window builds). */
  reopen(llm?: LlmSettings | null): DiagnosisServiceHandle;
  /** Commands the agent actually ran (its audit log), in order. */
  executed(): Promise<string[]>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  llm?: LlmSettings | null;
  settings?: Partial<DiagnosisSettings>;
  extraHosts?: HostEntry[];
  /** Operator policy rules for both the agent and ATL's own policy. */
  policyFile?: PolicyFile;
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const agent = await startAgent(options.policyFile ? { policy: options.policyFile } : {});
  const policy = createCommandPolicy(options.policyFile);
  const host: AgentHostEntry = {
    id: "prod-web-01",
    name: "prod-web-01",
    aliases: [WEB_INSTANCE],
    transport: "agent",
    url: agent.url,
    keyId: agent.keyId,
    secretFile: agent.secretFile,
  };
  const hosts = new HostDirectory([host, ...(options.extraHosts ?? [])], { get: () => Promise.resolve(undefined) }, { policy, logger: silentLogger });
  const root = await mkdtemp(join(tmpdir(), "atl-graph-"));
  const store = await AlarmStore.open({ dir: join(root, "store"), watch: false });
  const checkpointDir = join(root, "checkpoints");
  const settings: DiagnosisSettings = {
    timeoutSeconds: 20,
    outputTokenBudget: 600,
    redactionPatterns: [],
    language: "en",
    ...options.settings,
  };
  const deps: DiagnosisDeps = {
    llm: options.llm ?? null,
    hosts,
    policy,
    incidents: store,
    checkpointDir,
    logger: silentLogger,
    settings: () => settings,
  };
  return {
    agent,
    host,
    hosts,
    store,
    checkpointDir,
    settings,
    deps,
    service: createDiagnosisService(deps),
    reopen: (llm) => createDiagnosisService({ ...deps, llm: llm === undefined ? deps.llm : llm }),
    async executed() {
      const records = await agent.audit();
      return records.filter((r): r is ExecAuditRecord => r.event === "exec").map((r) => r.command);
    },
    async close() {
      hosts.dispose();
      store.dispose();
      await agent.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Collects a run's events. */
export function recorder(): { events: DiagnosisEvent[]; sink: (event: DiagnosisEvent) => void; of<T extends DiagnosisEvent["type"]>(type: T): Extract<DiagnosisEvent, { type: T }>[] } {
  const events: DiagnosisEvent[] = [];
  return {
    events,
    sink: (event) => events.push(event),
    of: <T extends DiagnosisEvent["type"]>(type: T) => events.filter((e): e is Extract<DiagnosisEvent, { type: T }> => e.type === type),
  };
}

export function expectStatus(actual: ThreadStatus, expected: ThreadStatus, events: DiagnosisEvent[]): void {
  if (actual !== expected) {
    const errors = events.filter((e) => e.type === "error");
    throw new Error(`status ${actual}, expected ${expected}; errors: ${JSON.stringify(errors)}`);
  }
}

/** The text of one fenced block of a prompt (`<<<UNTRUSTED-… label>>>` … `<<<END …>>>`). */
export function fencedBlock(prompt: string, label: string): string | null {
  const match = new RegExp(`<<<(UNTRUSTED-[0-9a-f]+) ${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}>>>\\n([\\s\\S]*?)\\n<<<END \\1>>>`).exec(prompt);
  return match ? match[2] : null;
}
