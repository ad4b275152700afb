// One question through the real diagnosis path: the DiagnosisService the chat panel and
// `atl diagnose` drive (graph, policy, runbooks, no LLM), approving every allowed read-only
// command of each proposal as `atl diagnose --approve read-only` does. The transport is the
// real agent's (recorded) in a live run and the recording in a replay.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandPolicy } from "../agent/src/policy/types";
import { parseAlarmMessage } from "../src/alarms/parse";
import type { DiagnosisSettings } from "../src/graph/deps";
import type { Analysis, CommandRun, DiagnosisEvent, DiagnosisInput, ThreadStatus } from "../src/graph/diagnosis";
import { createDiagnosisService } from "../src/graph/service";
import { HostDirectory } from "../src/hosts/directory";
import type { HostEntry } from "../src/hosts/model";
import { silentLogger } from "../src/shared/log";
import type { Transport } from "../src/transports/transport";
import type { AskLanguage } from "./scenarios";

export interface Question {
  id: string;
  lang: AskLanguage;
  text: string | null;
  alarmBody: string | null;
}

export interface DiagnosisResult {
  status: ThreadStatus;
  analysis: Analysis | null;
  runs: CommandRun[];
  errors: string[];
  durationMs: number;
}

/** The host directory as the graph sees it, with the transport chosen per question. */
class QuestionHosts extends HostDirectory {
  constructor(
    hosts: HostEntry[],
    policy: CommandPolicy,
    private readonly transportFor: (host: HostEntry) => Promise<Transport>,
  ) {
    super(hosts, { get: () => Promise.resolve(undefined) }, { policy, logger: silentLogger });
  }

  override transport(host: HostEntry): Promise<Transport> {
    return this.transportFor(host);
  }
}

/** Proposals a read-only approval may leave waiting (each LLM-free round adds commands). */
const MAX_ROUNDS = 6;

export async function diagnoseQuestion(options: {
  question: Question;
  /** The inventory (the host the question is about among them). */
  hosts: HostEntry[];
  hostId: string;
  policy: CommandPolicy;
  transport: (host: HostEntry) => Promise<Transport>;
  /** The clock the graph sees (a replay uses the recording's time). */
  clock?: () => Date;
  timeoutSeconds?: number;
}): Promise<DiagnosisResult> {
  const { question } = options;
  const started = Date.now();
  const checkpointDir = await mkdtemp(join(tmpdir(), "atl-eval-"));
  const settings: DiagnosisSettings = {
    timeoutSeconds: options.timeoutSeconds ?? 30,
    outputTokenBudget: 600,
    redactionPatterns: [],
    language: question.lang === "ko" ? "ko" : "en",
  };
  const service = createDiagnosisService({
    llm: null,
    hosts: new QuestionHosts(options.hosts, options.policy, options.transport),
    policy: options.policy,
    incidents: { listIncidents: () => [] },
    checkpointDir,
    logger: silentLogger,
    settings: () => settings,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const errors: string[] = [];
  let analysis: Analysis | null = null;
  const onEvent = (event: DiagnosisEvent): void => {
    if (event.type === "analysis") {
      analysis = event.analysis;
    } else if (event.type === "error") {
      errors.push(`${event.code}: ${event.message}`);
    }
  };
  try {
    let input: DiagnosisInput;
    if (question.alarmBody !== null) {
      const parsed = parseAlarmMessage(question.alarmBody);
      if (!parsed.ok) {
        throw new Error(`the alarm of ${question.id} does not parse: ${parsed.error}`);
      }
      input = { kind: "alarm", alarm: parsed.alarm, hostId: options.hostId };
    } else {
      input = { kind: "chat", text: question.text ?? "", hostId: options.hostId };
    }
    const threadId = `eval-${question.id}`;
    let status = await service.start(threadId, input, onEvent);
    for (let round = 0; status === "waiting-approval" && round < MAX_ROUNDS; round++) {
      const proposal = await service.pendingProposal(threadId);
      const ids = (proposal?.commands ?? []).filter((c) => c.decision === "allowed" && c.risk === "read-only").map((c) => c.id);
      status = ids.length > 0 ? await service.resume(threadId, { kind: "approve", commandIds: ids }, onEvent) : await service.resume(threadId, { kind: "reject", reason: "only read-only commands run in the evaluation", replan: false }, onEvent);
    }
    const report = await service.report(threadId);
    return { status, analysis: analysis ?? report?.analysis ?? null, runs: report?.runs ?? [], errors, durationMs: Date.now() - started };
  } finally {
    await rm(checkpointDir, { recursive: true, force: true });
  }
}
