// Graph overhead benchmark (issue 9, item 4): alarm → proposal ready, and approval → report, through
// the real DiagnosisService (graph, file checkpointer, policy, prompts, parsers) with a zero-latency
// scripted LLM on loopback and a zero-cost in-process transport, so the cost of ATL's own code shows.
// Each LLM step makes one LLM call: a bare structured ChatOpenAI call to the same server, made in the
// same iteration, is subtracted to give ATL's own time (the target); totals are reported too.
//
//   node --import tsx bench/graph.ts [--iterations 30]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { createCommandPolicy } from "../agent/src/policy";
import { parseAlarmMessage } from "../src/alarms/parse";
import type { Alarm } from "../src/alarms/model";
import type { HostResolver } from "../src/graph/deps";
import { createDiagnosisService } from "../src/graph/service";
import { AnalysisReply } from "../src/graph/nodes/analyze";
import type { HostEntry } from "../src/hosts/model";
import { createChatModel } from "../src/llm/model";
import type { LlmSettings } from "../src/llm/settings";
import { invokeStructured } from "../src/llm/structured";
import { silentLogger } from "../src/shared/log";
import type { ExecResult, Transport } from "../src/transports/transport";
import { startScriptedLlm, type ScriptedLlm } from "../test/helpers/scriptedLlm";
import type { BenchResult } from "./report";
import { flag, runAlone } from "./measure";

export interface GraphBenchOptions {
  iterations: number;
}

const TARGET_MS = 20;

const HOST: HostEntry = { id: "bench-host", name: "bench-host", aliases: ["i-0a1b2c3d4e5f67890"], transport: "agent", url: "http://127.0.0.1:1", keyId: "bench" };

/** Realistic outputs of the CPU runbook's commands, returned instantly. */
function cannedOutput(command: string): string {
  if (command.startsWith("uptime")) {
    return " 03:12:45 up 12 days,  4:01,  2 users,  load average: 7.93, 6.10, 4.02\n";
  }
  if (command.startsWith("nproc")) {
    return "2\n";
  }
  if (command.startsWith("ps ") || command.startsWith("top ")) {
    const lines = ["    PID    PPID USER     %CPU %MEM   RSS ELAPSED STAT COMMAND"];
    lines.push("   4242       1 app      99.0  0.1  9000    3600 R    atl-burn-cpu");
    for (let i = 0; i < 14; i++) {
      lines.push(`   ${1000 + i}       1 root      0.${i}  0.1  4000   86400 S    worker-${i}`);
    }
    return `${lines.join("\n")}\n`;
  }
  return "ok\n";
}

/** A transport that costs nothing: what remains is ATL's own time. */
const instantTransport: Transport = {
  kind: "agent",
  exec(commands: string[]): Promise<ExecResult[]> {
    return Promise.resolve(
      commands.map((command) => ({ command, decision: "allowed", reason: "bench", exitCode: 0, signal: null, stdout: cannedOutput(command), stderr: "", durationMs: 0, truncated: false })),
    );
  },
  health: () => Promise.resolve({ reachable: true, latencyMs: 0, version: "bench", error: null }),
  dispose: () => undefined,
};

const hosts: HostResolver = {
  list: () => [HOST],
  get: (id) => (id === HOST.id ? HOST : undefined),
  resolveAlarmHost: () => ({ kind: "found", host: HOST }),
  resolveForAlarm: () => HOST,
  resolveFromText: () => HOST,
  transport: () => Promise.resolve(instantTransport),
};

function sampleAlarm(): Alarm {
  const body = readFileSync(join(__dirname, "..", "test", "unit", "alarms", "samples", "01-ec2-cpu-alarm.json"), "utf8");
  const parsed = parseAlarmMessage(body);
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  return parsed.alarm;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (n: number) => Math.round(n * 100) / 100;

const PLAN = {
  rationale: "CPU alarm: load and busiest processes.",
  commands: [
    { command: "uptime", purpose: "load", expectedSignal: "load above CPU count" },
    { command: "nproc", purpose: "CPUs", expectedSignal: "count" },
    { command: "ps -eo pid,ppid,user,pcpu,pmem,rss,etimes,stat,comm --sort=-pcpu | head -n 15", purpose: "busiest", expectedSignal: "one process near 100%" },
  ],
};
const ANALYSIS = {
  summary: "atl-burn-cpu (pid 4242) uses a whole CPU.",
  severity: "high",
  findings: [{ title: "CPU burner", detail: "pid 4242", severity: "high", evidence: [{ commandId: "c3", excerpt: "4242       1 app      99.0  0.1  9000    3600 R    atl-burn-cpu" }] }],
  nextSteps: ["Stop it."],
  culprit: null, furtherCommands: [],
};

interface Run {
  proposalMs: number;
  reportMs: number;
  /** A bare LLM call made in the same iteration (0 without an LLM). */
  bareMs: number;
}

export async function measure(mode: "llm" | "offline", iterations: number, settings: LlmSettings): Promise<Run[]> {
  const dir = await mkdtemp(join(tmpdir(), `atl-bench-graph-${mode}-`));
  try {
    const policy = createCommandPolicy();
    const service = createDiagnosisService({
      llm: mode === "llm" ? settings : null,
      hosts,
      policy,
      incidents: { listIncidents: () => [] },
      checkpointDir: dir,
      logger: silentLogger,
      settings: () => ({ timeoutSeconds: 30, outputTokenBudget: 600, redactionPatterns: [], language: "en" }),
    });
    const alarm = sampleAlarm();
    const bare = mode === "llm" ? bareLlmCall(settings) : () => Promise.resolve(0);
    const runs: Run[] = [];
    const warmup = 3;
    for (let i = 0; i < iterations + warmup; i++) {
      const thread = `bench-${mode}-${i}`;
      let t = performance.now();
      const waiting = await service.start(thread, { kind: "alarm", alarm }, () => undefined);
      const proposalMs = performance.now() - t;
      if (waiting !== "waiting-approval") {
        throw new Error(`expected a proposal, got ${waiting}`);
      }
      const proposal = (await service.pendingProposal(thread))!;
      const ids = proposal.commands.filter((c) => c.decision === "allowed" && !/^(mpstat|vmstat)/.test(c.command)).map((c) => c.id);
      t = performance.now();
      const done = await service.resume(thread, { kind: "approve", commandIds: ids }, () => undefined);
      const reportMs = performance.now() - t;
      if (done !== "done") {
        throw new Error(`expected done, got ${done}`);
      }
      // Interleaved, so that the shared machine's load hits both alike.
      const bareMs = await bare();
      if (i >= warmup) {
        runs.push({ proposalMs, reportMs, bareMs });
      }
    }
    return runs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The bare LLM call of a step: the same structured request straight to the scripted server. */
function bareLlmCall(settings: LlmSettings): () => Promise<number> {
  const model = createChatModel(settings);
  return async () => {
    const t = performance.now();
    await invokeStructured(model, { schema: AnalysisReply, name: "diagnosis_analysis", method: "jsonSchema", messages: [{ role: "user", content: "bench (schema: diagnosis_analysis)" }] });
    return performance.now() - t;
  };
}

export async function benchGraph(opts: GraphBenchOptions): Promise<BenchResult[]> {
  const iterations = Math.max(1, opts.iterations);
  const llm: ScriptedLlm = await startScriptedLlm([], {});
  llm.push({ schema: "command_plan", json: PLAN, times: Infinity }, { schema: "diagnosis_analysis", json: ANALYSIS, times: Infinity });
  const settings: LlmSettings = {
    provider: "openai-compatible",
    model: "gpt-4.1-mini",
    baseUrl: llm.url,
    azure: null,
    structuredOutputMethod: "jsonSchema",
    timeoutSeconds: 30,
    maxRetries: 0,
    prices: {},
    apiKey: "bench",
  };
  try {
    const withLlm = await measure("llm", iterations, settings);
    const offline = await measure("offline", iterations, settings);
    const bare = median(withLlm.map((r) => r.bareMs));
    const result = (name: string, value: number, baseline: number | null, target: boolean): BenchResult => ({
      name,
      value: round(value),
      unit: "ms",
      baseline: baseline === null ? null : round(baseline),
      ratio: baseline === null || baseline === 0 ? null : round(value / baseline),
      target: target ? `≤ ${TARGET_MS} ms` : null,
      pass: target ? value <= TARGET_MS : null,
    });
    // Each LLM step makes one LLM call; ATL's own time is the step minus that call (per iteration).
    const own = (pick: (r: Run) => number) => median(withLlm.map((r) => Math.max(0, pick(r) - r.bareMs)));
    return [
      result("graph: alarm → proposal ready, ATL's own time (scripted LLM, minus its LLM call)", own((r) => r.proposalMs), null, true),
      result("graph: approval → report, ATL's own time (scripted LLM, instant transport, minus its LLM call)", own((r) => r.reportMs), null, true),
      result("graph: alarm → proposal ready (no LLM)", median(offline.map((r) => r.proposalMs)), null, true),
      result("graph: approval → report (no LLM, instant transport)", median(offline.map((r) => r.reportMs)), null, true),
      result("graph: alarm → proposal ready, total with the scripted LLM (baseline: bare LLM call)", median(withLlm.map((r) => r.proposalMs)), bare, false),
      result("graph: approval → report, total with the scripted LLM (baseline: bare LLM call)", median(withLlm.map((r) => r.reportMs)), bare, false),
    ];
  } finally {
    await llm.close();
  }
}

if (require.main === module) {
  runAlone(() => benchGraph({ iterations: flag("--iterations", 30) }), "bare LLM call");
}
