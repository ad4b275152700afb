// Token budget benchmark (issue 9, item 6): the prompt ATL sends to analyse a host whose `ps aux`
// lists 3,000 processes and whose log output is 5 MB, counted with a real tokenizer
// (gpt-tokenizer, o200k), against the naive "send everything" prompt (the same instructions with
// every output whole, as the prototype did). The ATL figure is measured on the request the scripted
// LLM server actually received from the real graph.
//
//   node --import tsx bench/tokens.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { countTokens } from "gpt-tokenizer";
import { createCommandPolicy } from "../agent/src/policy";
import { parseAlarmMessage } from "../src/alarms/parse";
import { ANY_READ_ONLY, approvalGate, createRule, memoryRuleSource } from "../src/diagnosis/approvalRules";
import type { HostResolver } from "../src/graph/deps";
import type { CommandRun } from "../src/graph/diagnosis";
import { alarmForPrompt, analysisPrompt } from "../src/graph/prompts";
import { createDiagnosisService } from "../src/graph/service";
import { newDelimiter } from "../src/llm/fence";
import type { HostEntry } from "../src/hosts/model";
import { silentLogger } from "../src/shared/log";
import type { ExecResult, Transport } from "../src/transports/transport";
import { startScriptedLlm } from "../test/helpers/scriptedLlm";
import type { BenchResult } from "./report";
import { runAlone } from "./measure";

const TARGET_TOKENS = 6000;
const LOG_BYTES = 5 * 1024 * 1024;
const PROCESSES = 3000;

const LOG_COMMAND = "tail -n 200000 /var/log/app/worker.log";
const COMMANDS = ["uptime", "nproc", "free -m", "df -hP", "ps aux", LOG_COMMAND];

function psAux(): string {
  const lines = ["USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"];
  lines.push("app         4242 99.3  0.4 812344 70312 ?        Rl   03:01  11:02 /usr/bin/python3 /opt/jobs/reindex.py --all");
  for (let i = 0; i < PROCESSES - 1; i++) {
    const pid = 10_000 + i * 7;
    const cpu = (i % 13) / 10;
    lines.push(`app       ${String(pid).padStart(6)}  ${cpu.toFixed(1)}  0.${i % 10} ${String(120_000 + i * 13).padStart(6)} ${String(7_000 + (i % 900)).padStart(5)} ?        S    03:${String(i % 60).padStart(2, "0")}   0:0${i % 10} /usr/bin/worker --queue=jobs-${i % 17} --id=${i}`);
  }
  return `${lines.join("\n")}\n`;
}

function log(): string {
  const levels = ["INFO", "INFO", "INFO", "WARN", "INFO", "ERROR"];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < LOG_BYTES; i++) {
    const line = `2026-11-25T03:${String(Math.floor(i / 3000) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}.${String(i % 1000).padStart(3, "0")}Z worker[${10_000 + (i % 3000) * 7}] ${levels[i % levels.length]} job=${i} queue=jobs-${i % 17} took ${(i * 37) % 2000}ms status=${i % 11 === 0 ? "retry" : "ok"} trace=${(i * 2654435761 >>> 0).toString(16)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}

const OUTPUTS: Record<string, () => string> = {
  uptime: () => " 03:12:45 up 12 days,  4:01,  2 users,  load average: 7.93, 6.10, 4.02\n",
  nproc: () => "2\n",
  "free -m": () => "               total        used        free      shared  buff/cache   available\nMem:            7821        6120         210          14        1490        1402\nSwap:              0           0           0\n",
  "df -hP": () => "Filesystem      Size  Used Avail Use% Mounted on\n/dev/nvme0n1p1   20G   15G  5.0G  75% /\ntmpfs           3.9G     0  3.9G   0% /dev/shm\n",
  "ps aux": psAux,
  [LOG_COMMAND]: log,
};

const HOST: HostEntry = { id: "bench-host", name: "bench-host", transport: "agent", url: "http://127.0.0.1:1", keyId: "bench" };

export async function benchTokens(): Promise<BenchResult[]> {
  const outputs = new Map(Object.entries(OUTPUTS).map(([command, make]) => [command, make()]));
  const transport: Transport = {
    kind: "agent",
    exec: (commands) =>
      Promise.resolve(
        commands.map((command): ExecResult => ({ command, decision: "allowed", reason: "bench", exitCode: 0, signal: null, stdout: outputs.get(command) ?? "", stderr: "", durationMs: 1, truncated: false })),
      ),
    health: () => Promise.resolve({ reachable: true, latencyMs: 0, version: "bench", error: null }),
    dispose: () => undefined,
  };
  const hosts: HostResolver = { list: () => [HOST], get: () => HOST, resolveAlarmHost: () => ({ kind: "found", host: HOST }), resolveForAlarm: () => HOST, resolveFromText: () => HOST, transport: () => Promise.resolve(transport) };
  const parsed = parseAlarmMessage(readFileSync(join(__dirname, "..", "test", "unit", "alarms", "samples", "01-ec2-cpu-alarm.json"), "utf8"));
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  const alarm = parsed.alarm;

  const llm = await startScriptedLlm([
    { schema: "command_plan", json: { rationale: "CPU alarm.", commands: COMMANDS.map((command) => ({ command, purpose: "evidence", expectedSignal: "the culprit" })) } },
    { schema: "diagnosis_analysis", json: { summary: "reindex.py uses a whole CPU.", severity: "high", findings: [], nextSteps: [], culprit: null, furtherCommands: [] } },
  ]);
  const dir = await mkdtemp(join(tmpdir(), "atl-bench-tokens-"));
  try {
    const service = createDiagnosisService({
      llm: { provider: "openai-compatible", model: "gpt-4.1-mini", baseUrl: llm.url, azure: null, structuredOutputMethod: "jsonSchema", timeoutSeconds: 60, maxRetries: 0, prices: {}, apiKey: "bench" },
      hosts,
      policy: createCommandPolicy(),
      incidents: { listIncidents: () => [] },
      checkpointDir: dir,
      logger: silentLogger,
      approvals: approvalGate(memoryRuleSource([createRule({ scope: { host: HOST.id }, command: ANY_READ_ONLY, durationMs: 3_600_000, once: false, origin: "command" }, new Date(), "bench")])),
      settings: () => ({ timeoutSeconds: 30, outputTokenBudget: 600, redactionPatterns: [], language: "en" }),
    });
    const status = await service.start("bench-tokens", { kind: "alarm", alarm }, () => undefined);
    if (status !== "done") {
      throw new Error(`expected the diagnosis an approval rule covers to finish, got ${status}`);
    }
    const request = llm.requests.find((r) => r.schema === "diagnosis_analysis");
    if (!request) {
      throw new Error("the analysis request never reached the LLM");
    }
    const sent = countTokens(request.text);

    // The naive prompt: the same instructions and alarm, every output whole (no redaction or budget).
    const runs: CommandRun[] = COMMANDS.map((command, i) => ({ id: `c${i + 1}`, command, status: "ok", exitCode: 0, signal: null, stdout: outputs.get(command)!, stderr: "", durationMs: 1, truncated: false, reason: null }));
    const naivePrompt = analysisPrompt({
      host: { id: HOST.id, name: HOST.name, transport: "agent" },
      resources: [],
      runbookCulprit: null,
      checked: [],
      alarmText: alarmForPrompt(alarm),
      question: null,
      findings: [],
      runbookSummary: "",
      outputs: runs.map((r) => ({ id: r.id, command: r.command, status: r.status, exitCode: 0, durationMs: 1, stdout: r.stdout, stderr: "", omittedLines: 0 })),
      allowFurtherCommands: true,
      delimiter: newDelimiter(),
      language: "en",
    });
    const naive = countTokens(`${naivePrompt.system}\n${naivePrompt.user}`);
    const inputBytes = [...outputs.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    return [
      {
        name: `tokens: analysis prompt for ps aux (${PROCESSES.toLocaleString("en-US")} processes) + ${LOG_BYTES / 1024 / 1024} MB log (baseline: send everything)`,
        value: sent,
        unit: "tokens",
        baseline: naive,
        ratio: Math.round((sent / naive) * 10_000) / 10_000,
        target: `≤ ${TARGET_TOKENS.toLocaleString("en-US")} tokens`,
        pass: sent <= TARGET_TOKENS,
      },
      { name: "tokens: command output the host returned", value: Math.round(inputBytes / 1024), unit: "KiB", baseline: null, ratio: null, target: null, pass: null },
    ];
  } finally {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runAlone(() => benchTokens(), "naive");
}
