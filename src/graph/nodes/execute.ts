// execute: runs the approved commands on the thread's host through its transport, one at a time so
// the chat shows each start and finish. Refused commands are recorded, never sent. A connection
// failure (host unreachable, bad key, missing secret) stops the step: the remaining commands are
// reported as not run and the thread fails with the reason.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { AtlError, toAtlError } from "../../shared/errors";
import { translate, type Translate } from "../../shared/l10n";
import type { ExecResult, Transport } from "../../transports/transport";
import { refusedRun } from "../commands";
import { emit, type GraphContext } from "../context";
import type { CommandRun, ProposedCommand } from "../diagnosis";
import type { DiagnosisStateType, DiagnosisStateUpdate, ThreadError } from "../state";

const t: Translate = translate;

/** Failures that affect every command on the host, not just one. */
const CONNECTION_FAILURES = new Set(["host-unknown", "host-unreachable", "host-key-mismatch", "agent-auth", "config", "cancelled"]);

export function executeNode(ctx: GraphContext) {
  return async function execute(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    const settings = ctx.deps.settings();
    const ref = state.host!;
    const runs: CommandRun[] = [];
    const errors: ThreadError[] = [];
    let stopped: AtlError | null = null;
    let transport: Transport | null = null;

    try {
      const entry = ctx.deps.hosts.get(ref.id);
      if (!entry) {
        throw new AtlError("host-unknown", t("The host {0} is no longer in the inventory.", ref.id), { fix: t("Add it back to atl.hosts or pick another host.") });
      }
      transport = await ctx.deps.hosts.transport(entry);
    } catch (error) {
      stopped = toAtlError(error, "transport");
    }

    for (const command of state.approved) {
      if (command.decision === "refused") {
        const run = refusedRun(command);
        runs.push(run);
        emit(config, { type: "command-finished", run });
        continue;
      }
      if (stopped || !transport || config.signal?.aborted) {
        const reason = stopped ? stopped.userMessage : "Cancelled before it ran.";
        const run = notRun(command, reason);
        runs.push(run);
        emit(config, { type: "command-finished", run });
        continue;
      }
      emit(config, { type: "command-started", id: command.id, command: command.command });
      const started = Date.now();
      let run: CommandRun;
      try {
        const [result] = await transport.exec([command.command], { timeoutSec: settings.timeoutSeconds, ...(config.signal ? { signal: config.signal } : {}) });
        run = result ? toRun(command, result) : notRun(command, "The host returned no result for this command.");
      } catch (error) {
        const failure = toAtlError(error, "transport");
        run = { ...notRun(command, failure.userMessage), durationMs: Date.now() - started };
        if (CONNECTION_FAILURES.has(failure.code)) {
          stopped = failure;
        }
      }
      runs.push(run);
      emit(config, { type: "command-finished", run });
    }

    if (stopped) {
      errors.push({ code: stopped.code, message: stopped.userMessage, node: "execute" });
      emit(config, { type: "error", code: stopped.code, message: stopped.userMessage });
    }
    const failed = stopped !== null && runs.every((r) => r.status !== "ok" && r.status !== "failed" && r.status !== "timeout");
    return {
      runs,
      lastRunIds: runs.map((r) => r.id),
      executedRound: state.proposal?.round ?? state.round,
      errors,
      status: failed ? "failed" : "running",
    };
  };
}

export type ExecuteRoute = "analyze" | "end";

export function routeAfterExecute(state: DiagnosisStateType): ExecuteRoute {
  return state.status === "failed" ? "end" : "analyze";
}

/** A transport's result as the run the thread records (also used by the tools, src/diagnosis/tools.ts). */
export function toRun(command: ProposedCommand, result: ExecResult): CommandRun {
  const base = {
    id: command.id,
    command: command.command,
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: result.durationMs,
    truncated: result.truncated,
  };
  if (result.decision === "refused") {
    return { ...base, status: "refused", reason: result.reason };
  }
  if (result.timedOut) {
    return { ...base, status: "timeout", reason: "Killed at its timeout." };
  }
  // How it ran when that is not what was written: sampled for a window, patterns expanded.
  const notes = [result.sampling ? t("Sampled for {0} s; it stopped by itself.", result.sampling.seconds) : "", result.executed ? t("Ran as: {0}", shorten(result.executed)) : ""].filter((n) => n !== "").join(" ") || null;
  if (result.exitCode === 0) {
    return { ...base, status: "ok", reason: notes };
  }
  return { ...base, status: "failed", reason: result.exitCode === null ? (result.signal ? `Killed by ${result.signal}.` : result.reason || null) : notes };
}

/** A long expanded line, cut for display (the full line is in the agent's audit log). */
function shorten(line: string): string {
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

function notRun(command: ProposedCommand, reason: string): CommandRun {
  return { id: command.id, command: command.command, status: "error", exitCode: null, signal: null, stdout: "", stderr: "", durationMs: 0, truncated: false, reason };
}
