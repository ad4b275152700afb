// `atl diagnose (--alarm FILE | --host ID --ask "TEXT") --hosts FILE [--approve none|read-only|all]
// [--llm-base-url URL --llm-model M] …`: runs the diagnosis graph headless (the same graph.js code as
// the editor) and prints the Markdown report on stdout; progress goes to stderr.
//
// Exit codes: 0 report printed; 1 the host is unknown or unreachable, or the diagnosis failed;
// 2 usage, unreadable inventory or alarm; 3 commands wait for approval (`--approve none`, or nothing
// the chosen mode may approve): the proposal is printed, and with --checkpoint-dir and --thread the
// same command with another --approve continues it.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandPolicy } from "../../agent/src/policy";
import type { Alarm } from "../alarms/model";
import { parseAlarmMessage } from "../alarms/parse";
import { AtlError, errnoCode } from "../shared/errors";
import type { DiagnosisEvent, DiagnosisReport, Proposal, ThreadStatus } from "../graph/diagnosis";
import type { DiagnosisSettings } from "../graph/deps";
import { createDiagnosisService } from "../graph/service";
import { HostDirectory } from "../hosts/directory";
import type { HostEntry } from "../hosts/model";
import { envSecrets, flagReaders, LLM_FLAGS, LLM_USAGE, llmFrom, llmOptions, loadPolicy, parseFlags, readInventory, stderrLogger, UsageError, type LlmOptions } from "./common";
import { renderMarkdown, renderProposalMarkdown } from "../report";
import type { ReportLanguage } from "../shared/l10n";

const USAGE = `Usage: atl diagnose (--alarm FILE|- | --host ID --ask "TEXT") --hosts FILE [options]

Runs a diagnosis and prints the Markdown report on stdout (progress on stderr).

  --alarm FILE|-            SNS/SQS message body or raw alarm JSON (- reads stdin)
  --host ID --ask "TEXT"    a host from the inventory and what to look at
  --hosts FILE              inventory: JSON array, same shape as the atl.hosts setting
  --approve MODE            none (default): print the proposal and exit 3
                            read-only: run the allowed read-only commands
                            all: run every allowed command, mutating ones included
${LLM_USAGE}
  --policy FILE             operator policy file (the agent's --policy), for labelling commands
  --timeout SEC             per command on the host (default 30)
  --language en|ko          report language (default en)
  --checkpoint-dir DIR      keep the thread on disk (default: a temporary folder, removed)
  --thread ID               thread id; with --checkpoint-dir, continues a waiting thread
  --json                    print the report as JSON instead of Markdown
  --quiet                   no progress on stderr

Without --llm-model/--llm-base-url the built-in runbooks plan and analyse.
API key: OPENAI_API_KEY (or ATL_LLM_API_KEY). Agent secrets: the host's secretFile, or
ATL_AGENT_SECRET_<ID> (ID upper-cased, non-alphanumerics as _).
Exit codes: 0 done, 1 host unknown/unreachable or diagnosis failed, 2 usage, 3 waiting for approval.
`;

type ApproveMode = "none" | "read-only" | "all";

interface Options extends LlmOptions {
  alarmFile: string | null;
  hostId: string | null;
  ask: string | null;
  hostsFile: string | null;
  approve: ApproveMode;
  policyFile: string | null;
  timeout: number;
  language: ReportLanguage;
  checkpointDir: string | null;
  thread: string | null;
  json: boolean;
  quiet: boolean;
}

const VALUE_FLAGS = new Set([
  "--alarm",
  "--host",
  "--ask",
  "--hosts",
  "--approve",
  ...LLM_FLAGS,
  "--policy",
  "--timeout",
  "--language",
  "--checkpoint-dir",
  "--thread",
]);

function parseArgs(args: string[]): Options {
  const { values, flags } = parseFlags(args, VALUE_FLAGS, new Set(["--json", "--quiet"]));
  const { oneOf, seconds } = flagReaders(values);
  const options: Options = {
    alarmFile: values.get("--alarm") ?? null,
    hostId: values.get("--host") ?? null,
    ask: values.get("--ask") ?? null,
    hostsFile: values.get("--hosts") ?? null,
    approve: oneOf("--approve", ["none", "read-only", "all"] as const, "none"),
    ...llmOptions(values),
    policyFile: values.get("--policy") ?? null,
    timeout: seconds("--timeout", 30),
    language: oneOf("--language", ["en", "ko"] as const, "en"),
    checkpointDir: values.get("--checkpoint-dir") ?? null,
    thread: values.get("--thread") ?? null,
    json: flags.has("--json"),
    quiet: flags.has("--quiet"),
  };
  if (!options.hostsFile) {
    throw new UsageError("--hosts FILE is required");
  }
  if (options.alarmFile && options.ask) {
    throw new UsageError("use either --alarm or --ask, not both");
  }
  if (!options.alarmFile && !options.ask && !options.thread) {
    throw new UsageError("give --alarm FILE, or --host ID --ask \"TEXT\"");
  }
  if (options.ask && !options.hostId) {
    throw new UsageError("--ask needs --host ID");
  }
  if (options.thread && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(options.thread)) {
    throw new UsageError("--thread must be letters, digits, '.', '_', ':' or '-'");
  }
  return options;
}

async function readAlarm(file: string): Promise<Alarm> {
  let body: string;
  try {
    body = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${errnoCode(error) === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  const parsed = parseAlarmMessage(body);
  if (!parsed.ok) {
    throw new UsageError(`${file} is not an alarm (${parsed.kind}): ${parsed.error}`);
  }
  return parsed.alarm;
}

/** One progress line per event that matters on a terminal. */
function progress(event: DiagnosisEvent, quiet: boolean): void {
  if (quiet) {
    return;
  }
  let line: string | null;
  switch (event.type) {
    case "node":
      line = event.phase === "started" ? `… ${event.node}` : null;
      break;
    case "proposal":
      line = `proposal (round ${event.proposal.round}, ${event.proposal.source}${event.proposal.autoApproved ? ", auto-approved" : ""}): ${event.proposal.commands.length} command(s)`;
      break;
    case "command-started":
      line = `$ ${event.command}`;
      break;
    case "command-finished":
      line = `  ${event.run.status}${event.run.exitCode === null ? "" : ` (exit ${event.run.exitCode})`}, ${event.run.durationMs} ms${event.run.reason ? `: ${event.run.reason}` : ""}`;
      break;
    case "error":
      line = `warning: ${event.message}`;
      break;
    case "host-needed":
      line = event.message;
      break;
    case "progress":
      line = event.message;
      break;
    default:
      line = null;
  }
  if (line) {
    process.stderr.write(`atl: ${line.replace(/[\r\n]+/g, " ")}\n`);
  }
}

function idsFor(proposal: Proposal, mode: ApproveMode): string[] {
  const allowed = proposal.commands.filter((c) => c.decision === "allowed");
  return (mode === "all" ? allowed : mode === "read-only" ? allowed.filter((c) => c.risk === "read-only") : []).map((c) => c.id);
}

export async function diagnoseCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: Options;
  let alarm: Alarm | null;
  let inventory: HostEntry[];
  let policy: CommandPolicy;
  try {
    options = parseArgs(args);
    inventory = await readInventory(options.hostsFile!, "diagnose");
    alarm = options.alarmFile ? await readAlarm(options.alarmFile) : null;
    policy = loadPolicy(options.policyFile);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`atl diagnose: ${error.message}\n${error.message.startsWith("unknown argument") || /needs|required|give|either|must/.test(error.message) ? USAGE : ""}`);
      return 2;
    }
    throw error;
  }

  const logger = stderrLogger(options.quiet);
  const hosts = new HostDirectory(inventory, envSecrets(process.env), { policy, logger });
  const ownDir = options.checkpointDir === null;
  const checkpointDir = options.checkpointDir ?? (await mkdtemp(join(tmpdir(), "atl-diagnose-")));
  try {
    // Fail fast, in one line, when the host is unknown or cannot be reached.
    let host: HostEntry | null = null;
    if (options.hostId) {
      host = hosts.get(options.hostId) ?? null;
      if (!host) {
        throw new AtlError("host-unknown", `Unknown host "${options.hostId}": the inventory has ${inventory.map((h) => h.id).join(", ")}.`, { fix: `Add it to ${options.hostsFile!}.` });
      }
    } else if (alarm) {
      const match = hosts.resolveAlarmHost(alarm);
      host = match.kind === "found" ? match.host : null;
      if (match.kind === "not-found") {
        // Never another host: the alarm names a machine the inventory does not know.
        throw new AtlError("host-unknown", `The alarm "${alarm.name}" is about ${match.named.join(", ")}, which is not in ${options.hostsFile!}.`, {
          fix: match.mentioned
            ? `If it is ${match.mentioned.id}, add "${match.named[0]}" to its "aliases"; or pass --host ID.`
            : `Add a host with "id": "${match.named[0]}" (or that alias) to ${options.hostsFile!}, or pass --host ID.`,
        });
      }
      if (!host && alarm.children.length === 0) {
        throw new AtlError("host-unknown", `The alarm "${alarm.name}" names no host of ${options.hostsFile!}.`, { fix: "Pass --host ID." });
      }
    }
    if (host) {
      const health = await (await hosts.transport(host)).health();
      if (!health.reachable) {
        throw new AtlError("host-unreachable", `Host ${host.id} is unreachable: ${(health.error ?? "no answer").replace(/\.$/, "")}.`, { fix: "Check the agent (or sshd) and the network." });
      }
      if (health.error) {
        // It answers, but cannot be used: not an agent, or the SSH login failed (key, passphrase).
        throw new AtlError("host-unreachable", `Host ${host.id} answers but cannot be used: ${health.error}`, { fix: "Check the host entry in the hosts file (URL, key, passphrase in ATL_SSH_PASSPHRASE_<ID>), or run ATL: Test host in the editor." });
      }
    }

    const settings: DiagnosisSettings = { timeoutSeconds: options.timeout, outputTokenBudget: 600, redactionPatterns: [], language: options.language };
    const service = createDiagnosisService({
      llm: llmFrom(options, process.env),
      hosts,
      policy,
      incidents: { listIncidents: () => [] },
      checkpointDir,
      logger,
      settings: () => settings,
    });
    const threadId = options.thread ?? `cli-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
    // Written by the event callback (an object, so TypeScript does not narrow it away).
    const last: { failure: { code: string; message: string } | null; report: DiagnosisReport | null } = { failure: null, report: null };
    const onEvent = (event: DiagnosisEvent) => {
      progress(event, options.quiet);
      if (event.type === "error") {
        last.failure = { code: event.code, message: event.message };
      }
      if (event.type === "report") {
        last.report = event.report;
      }
    };

    let status: ThreadStatus;
    const pendingAtStart = options.thread ? await service.pendingProposal(threadId) : null;
    if (pendingAtStart) {
      status = "waiting-approval";
    } else if (alarm) {
      status = await service.start(threadId, { kind: "alarm", alarm, ...(host ? { hostId: host.id } : {}) }, onEvent);
    } else if (options.ask) {
      status = await service.start(threadId, { kind: "chat", text: options.ask, hostId: host!.id }, onEvent);
    } else {
      throw new UsageError(`thread ${threadId} has no proposal waiting in ${checkpointDir}`);
    }

    while (status === "waiting-approval") {
      const proposal = (await service.pendingProposal(threadId))!;
      const ids = idsFor(proposal, options.approve);
      if (ids.length === 0) {
        process.stdout.write(renderProposalMarkdown(proposal, options.language));
        const how =
          options.approve === "none"
            ? "waiting for approval"
            : `nothing in this proposal may run with --approve ${options.approve}`;
        const resume = ownDir ? "rerun with --approve read-only|all (add --checkpoint-dir DIR --thread ID to keep a proposal between runs)" : `continue with: --checkpoint-dir ${checkpointDir} --thread ${threadId} --approve read-only|all`;
        process.stderr.write(`atl diagnose: ${how}; ${resume}\n`);
        return 3;
      }
      last.failure = null;
      status = await service.resume(threadId, { kind: "approve", commandIds: ids }, onEvent);
    }

    if (status === "needs-host") {
      throw new AtlError("host-unknown", "Cannot tell which host to diagnose.", { fix: "Pass --host ID." });
    }
    if (status === "failed") {
      const { code, message } = last.failure ?? { code: "internal", message: "The diagnosis failed." };
      process.stderr.write(`atl diagnose: ${code === "host-unreachable" || code === "agent-auth" || code === "config" ? "" : "failed: "}${message.split("\n")[0]}\n`);
      return 1;
    }
    const final = last.report ?? (await service.report(threadId));
    if (!final) {
      process.stderr.write("atl diagnose: the diagnosis produced no report\n");
      return 1;
    }
    process.stdout.write(options.json ? `${JSON.stringify(final, null, 2)}\n` : renderMarkdown(final));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`atl diagnose: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AtlError) {
      process.stderr.write(`atl diagnose: ${error.userMessage.split("\n")[0]}\n`);
      return 1;
    }
    throw error;
  } finally {
    hosts.dispose();
    if (ownDir) {
      await rm(checkpointDir, { recursive: true, force: true });
    }
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
