// `atl watch --queue-url URL --hosts FILE …`: proactive triage without the editor — for a team's
// bastion or a container next to the queue. The same SQS consumer, alarm store, triage coordinator
// and diagnosis graph as the extension. Per triage it writes DIR/<id>.md (the report) and
// DIR/<id>.json (alarm, host, status, severity, summary, findings) and prints one JSON line on
// stdout. Without --auto or a rule that covers the plan it stops at waiting-approval and runs
// nothing. SIGINT/SIGTERM: stops receiving, lets running triages finish (then stops them), exit 0.
//
// Exit codes: 0 stopped by a signal; 2 usage, unreadable inventory, policy or rules file.
import { existsSync } from "node:fs";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Incident } from "../alarms/model";
import { AlarmStore } from "../alarms/store";
import { approvalGate, memoryRuleSource, type ApprovalRule } from "../diagnosis/approvalRules";
import { TriageCoordinator, triageId, type TriageJob, type TriageNote, type TriageRunner } from "../diagnosis/triage";
import type { DiagnosisSettings } from "../graph/deps";
import type { Analysis, DiagnosisEvent, DiagnosisReport, Finding, Proposal, ThreadStatus } from "../graph/diagnosis";
import { createDiagnosisService, type DiagnosisServiceHandle } from "../graph/service";
import { HostDirectory } from "../hosts/directory";
import type { HostEntry } from "../hosts/model";
import { markdownLine, markdownLiteral, renderMarkdown, renderProposalMarkdown } from "../report";
import { AtlError } from "../shared/errors";
import type { Logger } from "../shared/log";
import { SqsAlarmConsumer } from "../sqs/consumer";
import { envSecrets, flagReaders, LLM_FLAGS, LLM_USAGE, llmFrom, llmOptions, loadPolicy, parseFlags, readInventory, readRules, stderrLogger, UsageError, type LlmOptions } from "./common";
import type { ReportLanguage } from "../shared/l10n";
import { plainText } from "../shared/richText";

const USAGE = `Usage: atl watch --queue-url URL --hosts FILE [options]

Consumes the alarm queue and triages every ALARM by itself. Per triage: DIR/<id>.md (the report),
DIR/<id>.json (alarm, host, status, severity, summary, findings) and one JSON line on stdout.

  --queue-url URL           the SQS queue subscribed to the alarm topic
  --endpoint URL            an SQS emulator (fauxqs, LocalStack); empty for AWS
  --region R                region code (default: from the URL, then the profile)
  --profile P               AWS profile (default: the SDK's default chain)
  --hosts FILE              inventory: JSON array, same shape as the atl.hosts setting
  --auto read-only          run every plan's allowed read-only commands without asking
  --rules FILE              approval rules: read-only commands they cover run without asking
  --out DIR                 where reports go (default ./atl-triage; DIR/.atl keeps the alarm store)
  --max-concurrent N        triages at once (1–16, default 2); one per host at a time
  --debounce-minutes M      an alarm on a host triaged less than M minutes ago joins that
                            triage instead of starting another (0–1440, default 10)
${LLM_USAGE}
  --policy FILE             operator policy file (the agent's --policy), for labelling commands
  --timeout SEC             per command on the host (default 30)
  --language en|ko          report language (default en)
  --quiet                   no log lines on stderr

Without --auto or --rules, every triage stops at waiting-approval: the plan is written, nothing runs.
Mutating commands never run unattended; refused ones never run.
API key: OPENAI_API_KEY (or ATL_LLM_API_KEY). Agent secrets: the host's secretFile, or
ATL_AGENT_SECRET_<ID>. AWS credentials: the SDK's chain (environment, profile, instance role).
Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage or unreadable files.
`;

interface Options extends LlmOptions {
  queueUrl: string;
  endpoint: string | null;
  region: string | null;
  profile: string | null;
  hostsFile: string;
  auto: "read-only" | null;
  rulesFile: string | null;
  out: string;
  maxConcurrent: number;
  debounceMinutes: number;
  policyFile: string | null;
  timeout: number;
  language: ReportLanguage;
  quiet: boolean;
}

const VALUE_FLAGS = new Set([
  "--queue-url",
  "--endpoint",
  "--region",
  "--profile",
  "--hosts",
  "--auto",
  "--rules",
  "--out",
  "--max-concurrent",
  "--debounce-minutes",
  ...LLM_FLAGS,
  "--policy",
  "--timeout",
  "--language",
]);

function parseArgs(args: string[]): Options {
  const { values, flags } = parseFlags(args, VALUE_FLAGS, new Set(["--quiet"]));
  const { oneOf, integer, seconds } = flagReaders(values);
  const queueUrl = values.get("--queue-url");
  const hostsFile = values.get("--hosts");
  if (!queueUrl) {
    throw new UsageError("--queue-url URL is required");
  }
  if (!hostsFile) {
    throw new UsageError("--hosts FILE is required");
  }
  return {
    queueUrl,
    endpoint: values.get("--endpoint") ?? null,
    region: values.get("--region") ?? null,
    profile: values.get("--profile") ?? null,
    hostsFile,
    auto: values.has("--auto") ? oneOf("--auto", ["read-only"] as const, "read-only") : null,
    rulesFile: values.get("--rules") ?? null,
    out: resolve(values.get("--out") ?? "atl-triage"),
    maxConcurrent: integer("--max-concurrent", 2, 1, 16),
    debounceMinutes: integer("--debounce-minutes", 10, 0, 1440, "a whole number of minutes"),
    ...llmOptions(values),
    policyFile: values.get("--policy") ?? null,
    timeout: seconds("--timeout", 30),
    language: oneOf("--language", ["en", "ko"] as const, "en"),
    quiet: flags.has("--quiet"),
  };
}

/** The status a triage file reports (the contract in ARCHITECTURE.md). */
export type TriageFileStatus = "done" | "waiting-approval" | "resolved" | "failed";

/** DIR/<id>.json. */
export interface TriageFile {
  id: string;
  alarm: string;
  incident: string;
  arn: string;
  host: string | null;
  status: TriageFileStatus;
  severity: Analysis["severity"] | null;
  summary: string;
  culprit: Analysis["culprit"];
  findings: Finding[];
  /** Every command of the triage: what ran, and what waits (`status` null) for approval. */
  commands: { id: string; command: string; decision: string; risk: string; status: string | null; exitCode: number | null }[];
  /** The approval rules that let commands run unasked, if any. */
  approvedBy: NonNullable<Proposal["approvedBy"]>;
  /** Other alarms on the host (or this alarm's changes) while it was triaged. */
  context: { kind: TriageNote["kind"]; alarm: string; state: string; at: string }[];
  startedAt: string;
  finishedAt: string;
}

function fileStatus(status: ThreadStatus): TriageFileStatus {
  switch (status) {
    case "done":
    case "answered":
      return "done";
    case "waiting-approval":
      return "waiting-approval";
    case "running":
    case "rejected":
    case "needs-host":
    case "failed":
      return "failed";
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}

interface JobRecord {
  job: TriageJob;
  startedAt: string;
  context: TriageFile["context"];
  /** Written once the triage stopped (context notes rewrite it). */
  file: TriageFile | null;
  markdown: string | null;
}

/** Runs triages on the diagnosis service and writes their files. */
class FileTriageRunner implements TriageRunner {
  private readonly records = new Map<string, JobRecord>();
  private readonly aborts = new Set<AbortController>();

  constructor(
    private readonly service: DiagnosisServiceHandle,
    private readonly options: Options,
    private readonly logger: Logger,
  ) {}

  async run(job: TriageJob): Promise<ThreadStatus> {
    const record: JobRecord = { job, startedAt: new Date().toISOString(), context: job.joined.map((i) => contextOf("joined", i)), file: null, markdown: null };
    this.records.set(job.id, record);
    const abort = new AbortController();
    this.aborts.add(abort);
    let lastError: string | null = null;
    let hostNeeded: string | null = null;
    const onEvent = (event: DiagnosisEvent): void => {
      if (event.type === "error") {
        lastError = event.message;
      } else if (event.type === "host-needed") {
        hostNeeded = event.message;
      }
    };
    let status: ThreadStatus;
    try {
      const alarm = job.incident.alarm;
      status = await this.service.start(job.id, { kind: "alarm", alarm, ...(job.host ? { hostId: job.host.id } : {}) }, onEvent, abort.signal);
      while (status === "waiting-approval" && this.options.auto === "read-only" && !abort.signal.aborted) {
        const pending = await this.service.pendingProposal(job.id);
        const ids = (pending?.commands ?? []).filter((c) => c.decision === "allowed" && c.risk === "read-only").map((c) => c.id);
        if (ids.length === 0) {
          break;
        }
        status = await this.service.resume(job.id, { kind: "approve", commandIds: ids }, onEvent, abort.signal);
      }
    } catch (error) {
      lastError = error instanceof AtlError ? error.userMessage : error instanceof Error ? error.message : String(error);
      status = "failed";
    } finally {
      this.aborts.delete(abort);
    }
    if (abort.signal.aborted) {
      lastError = "Stopped (SIGINT/SIGTERM) before the triage finished.";
      status = "failed";
    }
    const report = await this.service.report(job.id).catch(() => null);
    const pending = status === "waiting-approval" ? await this.service.pendingProposal(job.id).catch(() => null) : null;
    this.finish(record, status, report, pending, hostNeeded ?? lastError);
    await this.write(record);
    return status;
  }

  note(threadId: string, note: TriageNote): void {
    const record = this.records.get(threadId);
    if (!record) {
      return;
    }
    record.context.push(contextOf(note.kind, note.incident));
    if (record.file) {
      record.file.context = record.context;
      void this.write(record, false).catch((error: unknown) => this.logger.warn(`Could not update ${threadId}.json: ${String(error)}`));
    }
  }

  resolvedBeforeRun(job: TriageJob): void {
    const now = new Date().toISOString();
    const record: JobRecord = { job, startedAt: now, context: job.joined.map((i) => contextOf("joined", i)), file: null, markdown: null };
    const summary = `${job.incident.name} was back to OK before its triage ran; nothing was run.`;
    record.file = { ...baseFile(job, record, "resolved", now), summary };
    record.markdown = triageMarkdown(job.incident.name, summary);
    void this.write(record).catch((error: unknown) => this.logger.warn(`Could not write ${job.id}.json: ${String(error)}`));
  }

  /** Stops the triages still running (a signal and the grace period passed). */
  abortAll(): void {
    for (const abort of this.aborts) {
      abort.abort();
    }
  }

  private finish(record: JobRecord, status: ThreadStatus, report: DiagnosisReport | null, pending: Proposal | null, message: string | null): void {
    const { job } = record;
    const now = new Date().toISOString();
    const file = baseFile(job, record, fileStatus(status), now);
    const proposals = report?.proposals ?? (pending ? [pending] : []);
    const runs = new Map((report?.runs ?? []).map((r) => [r.id, r]));
    const commands = new Map<string, TriageFile["commands"][number]>();
    for (const proposal of [...proposals, ...(pending ? [pending] : [])]) {
      for (const c of proposal.commands) {
        const run = runs.get(c.id);
        commands.set(c.id, { id: c.id, command: c.command, decision: c.decision, risk: c.risk, status: run?.status ?? null, exitCode: run?.exitCode ?? null });
      }
      file.approvedBy.push(...(proposal.approvedBy ?? []).filter((r) => !file.approvedBy.some((a) => a.id === r.id)));
    }
    file.commands = [...commands.values()];
    file.host = report?.host?.id ?? pending?.host.id ?? job.host?.id ?? null;
    const analysis = report?.analysis ?? null;
    if (file.status === "done" && analysis) {
      file.severity = analysis.severity;
      file.summary = plainText(analysis.summary);
      file.culprit = analysis.culprit;
      file.findings = analysis.findings;
    } else if (file.status === "waiting-approval" && pending) {
      const allowed = pending.commands.filter((c) => c.decision === "allowed");
      const readOnly = allowed.filter((c) => c.risk === "read-only").length;
      file.summary = `Plan ready: ${allowed.length} command(s) (${readOnly} read-only) wait for approval; nothing ran. Run with --auto read-only, or add a rule that covers them (--rules).`;
    } else {
      file.summary = message ?? `The triage stopped: ${status}.`;
    }
    record.file = file;
    if (file.status === "done" && report) {
      record.markdown = renderMarkdown(report);
    } else if (file.status === "waiting-approval" && pending) {
      record.markdown = triageMarkdown(job.incident.name, file.summary, renderProposalMarkdown(pending, this.options.language));
    } else {
      record.markdown = triageMarkdown(job.incident.name, file.summary);
    }
  }

  private async write(record: JobRecord, announce = true): Promise<void> {
    const file = record.file!;
    file.context = record.context;
    const base = join(this.options.out, record.job.id);
    const context = record.context.length > 0 ? `\n## Context\n\n${record.context.map((c) => `- ${c.at} · ${c.kind} · ${c.state} · ${c.alarm.replace(/[\r\n]+/g, " ")}`).join("\n")}\n` : "";
    await writeAtomic(`${base}.md`, `${record.markdown ?? ""}${context}`);
    await writeAtomic(`${base}.json`, `${JSON.stringify(file, null, 2)}\n`);
    if (announce) {
      const line = { id: file.id, alarm: file.alarm, host: file.host, status: file.status, severity: file.severity, summary: file.summary, report: `${base}.md`, json: `${base}.json` };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
}

function contextOf(kind: TriageNote["kind"], incident: Incident): TriageFile["context"][number] {
  return { kind, alarm: incident.name, state: incident.alarm.state, at: incident.lastChangeAt };
}

/**
 * DIR/<id>.md of a triage that has no report yet (resolved, waiting, failed): the alarm's name and
 * the summary are alarm text and error messages — literal Markdown, the name on one line — and the
 * proposal is ATL's own rendering.
 */
export function triageMarkdown(alarmName: string, summary: string, proposal?: string): string {
  return `# ${markdownLine(alarmName)}\n\n${markdownLiteral(summary)}\n${proposal ? `\n${proposal}` : ""}`;
}

function baseFile(job: TriageJob, record: JobRecord, status: TriageFileStatus, now: string): TriageFile {
  return {
    id: job.id,
    alarm: job.incident.name,
    incident: job.incident.id,
    arn: job.incident.arn,
    host: job.host?.id ?? null,
    status,
    severity: null,
    summary: "",
    culprit: null,
    findings: [],
    commands: [],
    approvedBy: [],
    context: record.context,
    startedAt: record.startedAt,
    finishedAt: now,
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): { promise: Promise<NodeJS.Signals>; dispose(): void } {
  let done: (signal: NodeJS.Signals) => void = () => undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => (done = resolve));
  const handler = (signal: NodeJS.Signals): void => done(signal);
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    promise,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** How long running triages may take to finish after a signal before they are stopped. */
const STOP_GRACE_MS = 20_000;

export async function watchCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const signal = untilSignal();
  let options: Options;
  let inventory: HostEntry[];
  let rules: ApprovalRule[] | null;
  try {
    options = parseArgs(args);
    inventory = await readInventory(options.hostsFile, "watch");
    rules = readRules(options.rulesFile);
  } catch (error) {
    signal.dispose();
    if (error instanceof UsageError) {
      process.stderr.write(`atl watch: ${error.message}\n${/needs|required|unknown argument|must/.test(error.message) ? USAGE : ""}`);
      return 2;
    }
    throw error;
  }
  let policy;
  try {
    policy = loadPolicy(options.policyFile);
  } catch (error) {
    signal.dispose();
    process.stderr.write(`atl watch: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const logger = stderrLogger(options.quiet, { info: true, error: true });
  await mkdir(options.out, { recursive: true, mode: 0o700 });
  const stateDir = join(options.out, ".atl");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const store = await AlarmStore.open({ dir: join(stateDir, "store"), logger, watch: false });
  const hosts = new HostDirectory(inventory, envSecrets(process.env), { policy, logger });
  const settings: DiagnosisSettings = { timeoutSeconds: options.timeout, outputTokenBudget: 600, redactionPatterns: [], language: options.language };
  const service = createDiagnosisService({
    llm: llmFrom(options, process.env),
    hosts,
    policy,
    incidents: store,
    checkpointDir: join(stateDir, "checkpoints"),
    logger,
    settings: () => settings,
    ...(rules ? { approvals: approvalGate(memoryRuleSource(rules)) } : {}),
  });
  const runner = new FileTriageRunner(service, options, logger);
  const triage = new TriageCoordinator({
    runner,
    hosts: () => inventory,
    maxConcurrent: () => options.maxConcurrent,
    debounceMs: () => options.debounceMinutes * 60_000,
    logger,
  });
  const subscription = store.onDidChange((change) => triage.onTransitions(change.transitions));
  const consumer = new SqsAlarmConsumer({
    connection: { queueUrl: options.queueUrl, region: options.region, endpoint: options.endpoint, profile: options.profile },
    store,
    mode: "consume",
    logger,
  });
  consumer.onDidFail((error) => logger.warn(`SQS: ${error.userMessage} (retrying)`));
  logger.info(
    `watching ${options.queueUrl}: ${inventory.length} host(s), ${options.auto ? "read-only commands run unasked" : rules ? `${rules.length} approval rule(s)` : "plans wait for approval"}, reports in ${options.out}`,
  );
  // Alarms saved before a stop but not triaged yet (no file) are triaged now.
  triage.enqueueOpen(store.listIncidents({ status: "open" }).filter((i) => !existsSync(join(options.out, `${triageId(i)}.json`))));
  consumer.start();

  const received = await signal.promise;
  logger.info(`${received}: stopping (running triages get ${STOP_GRACE_MS / 1000} s to finish).`);
  signal.dispose();
  // A second signal stops at once.
  const hurry = untilSignal();
  triage.stop();
  await consumer.stop();
  subscription.dispose();
  const grace = setTimeout(() => runner.abortAll(), STOP_GRACE_MS);
  void hurry.promise.then(() => runner.abortAll());
  await triage.idle();
  clearTimeout(grace);
  hurry.dispose();
  await store.close();
  hosts.dispose();
  return 0;
}
