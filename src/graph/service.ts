// The DiagnosisService the chat panel and the CLI drive: one graph thread per diagnosis, streamed
// as DiagnosisEvents (node progress, proposal, command start/finish, LLM tokens, analysis, answer,
// alarms, host-needed, report, usage, status, error). Runs of one thread are serialized; threads
// live in the file-backed checkpointer, so a pending approval can be resumed after a reload or
// from another process.
import type { BaseCheckpointSaver, StateSnapshot } from "@langchain/langgraph";
import { Command } from "@langchain/langgraph";
import { AtlError, toAtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import { FileCheckpointSaver } from "./checkpointer";
import { parseApprovalDecision } from "./decision";
import type { DiagnosisDeps } from "./deps";
import type {
  ApprovalDecision,
  DiagnosisEvent,
  DiagnosisEventSink,
  DiagnosisInput,
  DiagnosisReport,
  DiagnosisService,
  Proposal,
  ThreadStatus,
  Usage,
} from "./diagnosis";
import { createDiagnosisGraph, createGraphContext, type DiagnosisGraph } from "./graph";
import { buildReport } from "./report";
import type { DiagnosisStateType } from "./state";

const t: Translate = translate;

const EVENT_TYPES = new Set<DiagnosisEvent["type"]>([
  "node",
  "progress",
  "proposal",
  "command-started",
  "command-finished",
  "token",
  "analysis",
  "answer",
  "alarms",
  "host-needed",
  "report",
  "usage",
  "status",
  "error",
]);

type GraphInput = Parameters<DiagnosisGraph["stream"]>[0];

function resumeWith(decision: ApprovalDecision): GraphInput {
  return new Command({ resume: decision });
}

export interface DiagnosisServiceOptions {
  /** Default: a FileCheckpointSaver in deps.checkpointDir. */
  checkpointer?: BaseCheckpointSaver;
}

/** The service plus housekeeping the editor needs (history view: remove a thread). */
export interface DiagnosisServiceHandle extends DiagnosisService {
  /** Forgets a thread (its checkpoint file too). */
  deleteThread(threadId: string): Promise<void>;
  /** Where the thread stands (null: unknown thread). */
  status(threadId: string): Promise<ThreadStatus | null>;
}

export function createDiagnosisService(deps: DiagnosisDeps, options: DiagnosisServiceOptions = {}): DiagnosisServiceHandle {
  const checkpointer = options.checkpointer ?? new FileCheckpointSaver(deps.checkpointDir);
  const context = createGraphContext(deps);
  const graph: DiagnosisGraph = createDiagnosisGraph(deps, { checkpointer }, context);
  const queues = new Map<string, Promise<unknown>>();
  /** Usage last reported per thread, to send a usage event only when it changed. */
  const lastUsage = new Map<string, Usage>();
  /** Threads whose last run threw (the checkpoint still shows the step before the failure). */
  const failed = new Set<string>();

  /** Runs `task` after every earlier task of the same thread. */
  function serialized<T>(threadId: string, task: () => Promise<T>): Promise<T> {
    const previous = queues.get(threadId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    queues.set(threadId, settled);
    void settled.then(() => {
      if (queues.get(threadId) === settled) {
        queues.delete(threadId);
      }
    });
    return next;
  }

  const configFor = (threadId: string) => ({ configurable: { thread_id: threadId } });

  async function snapshotOf(threadId: string): Promise<StateSnapshot | null> {
    validateThreadId(threadId);
    const snapshot = await graph.getState(configFor(threadId));
    return snapshot.config.configurable?.checkpoint_id ? snapshot : null;
  }

  function pendingOf(snapshot: StateSnapshot | null): Proposal | null {
    for (const task of snapshot?.tasks ?? []) {
      for (const item of task.interrupts) {
        const value = item.value as Proposal | undefined;
        if (value && Array.isArray(value.commands)) {
          return value;
        }
      }
    }
    return null;
  }

  function statusOf(snapshot: StateSnapshot | null): ThreadStatus | null {
    if (!snapshot) {
      return null;
    }
    if (pendingOf(snapshot)) {
      return "waiting-approval";
    }
    const threadId = (snapshot.config.configurable as { thread_id?: string } | undefined)?.thread_id;
    if (threadId !== undefined && failed.has(threadId)) {
      return "failed";
    }
    const status = (snapshot.values as DiagnosisStateType).status;
    return status === "running" || status === "waiting-approval" ? "done" : status;
  }

  async function run(threadId: string, input: GraphInput, onEvent: DiagnosisEventSink, signal: AbortSignal | undefined): Promise<ThreadStatus> {
    try {
      return await runGraph(threadId, input, onEvent, signal);
    } finally {
      // A returned status means the thread is on disk (a pending approval survives a reload).
      await flush(threadId);
    }
  }

  async function flush(threadId: string): Promise<void> {
    if (checkpointer instanceof FileCheckpointSaver) {
      await checkpointer.flush(threadId);
    }
  }

  async function runGraph(threadId: string, input: GraphInput, onEvent: DiagnosisEventSink, signal: AbortSignal | undefined): Promise<ThreadStatus> {
    const usageBefore = lastUsage.get(threadId) ?? null;
    let analysisSeen = false;
    failed.delete(threadId);
    onEvent({ type: "status", status: "running" });
    try {
      const stream = await graph.stream(input, {
        ...configFor(threadId),
        // No "messages" mode: its callbacks ran on every node and router; the answer node sends
        // its tokens itself on the custom stream.
        streamMode: ["updates", "custom"],
        // Checkpoint when the run stops (at the approval interrupt, at the end, on an error), not
        // after every step: a window that dies mid-run comes back at the last approval, where
        // nothing runs again without the user, and each step saves the serialization of the state.
        durability: "exit",
        recursionLimit: 80,
        ...(signal ? { signal } : {}),
      });
      for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
        if (mode === "custom") {
          if (isDiagnosisEvent(chunk)) {
            analysisSeen ||= chunk.type === "analysis";
            onEvent(chunk);
          }
        } else if (mode === "updates") {
          const interrupts = (chunk as { __interrupt__?: { value?: Proposal }[] }).__interrupt__;
          const proposal = interrupts?.[0]?.value;
          if (proposal) {
            onEvent({ type: "proposal", proposal });
          }
        }
      }
    } catch (error) {
      const failure = signal?.aborted ? new AtlError("cancelled", t("The diagnosis was cancelled."), { cause: error }) : toAtlError(error, "internal");
      deps.logger.error(failure);
      failed.add(threadId);
      onEvent({ type: "error", code: failure.code, message: failure.userMessage });
      onEvent({ type: "status", status: "failed" });
      return "failed";
    }
    const snapshot = await snapshotOf(threadId);
    const status = statusOf(snapshot) ?? "done";
    const values = snapshot?.values as DiagnosisStateType | undefined;
    if (values && (analysisSeen || (status !== "waiting-approval" && status !== "needs-host" && values.runs.length + values.answers.length > 0))) {
      onEvent({ type: "report", report: buildReport(values, status, deps.settings().language) });
    }
    const usage = values?.usage ?? null;
    if (usage && usageChanged(usageBefore, usage)) {
      onEvent({ type: "usage", usage });
    }
    if (usage) {
      lastUsage.set(threadId, usage);
    }
    onEvent({ type: "status", status });
    return status;
  }

  return {
    async start(threadId: string, input: DiagnosisInput, onEvent: DiagnosisEventSink, signal?: AbortSignal): Promise<ThreadStatus> {
      validateThreadId(threadId);
      const hostId = input.hostId ?? null;
      const turn = input.kind === "alarm" ? { kind: "alarm" as const, alarm: input.alarm, hostId } : { kind: "chat" as const, text: input.text, hostId };
      return serialized(threadId, () => run(threadId, { threadId, turn }, onEvent, signal));
    },

    async resume(threadId: string, decision: ApprovalDecision, onEvent: DiagnosisEventSink, signal?: AbortSignal): Promise<ThreadStatus> {
      validateThreadId(threadId);
      const checked = parseApprovalDecision(decision);
      return serialized(threadId, async () => {
        const snapshot = await snapshotOf(threadId);
        if (!pendingOf(snapshot)) {
          onEvent({ type: "error", code: "internal", message: t("No command proposal is waiting for approval in this thread.") });
          const status = statusOf(snapshot) ?? "done";
          onEvent({ type: "status", status });
          return status;
        }
        return run(threadId, resumeWith(checked), onEvent, signal);
      });
    },

    async followUp(threadId: string, text: string, onEvent: DiagnosisEventSink, signal?: AbortSignal): Promise<ThreadStatus> {
      validateThreadId(threadId);
      return serialized(threadId, async () => {
        const snapshot = await snapshotOf(threadId);
        if (pendingOf(snapshot)) {
          // Writing while a proposal waits means "not this": a reject whose reason is the message.
          return run(threadId, resumeWith({ kind: "reject", reason: text }), onEvent, signal);
        }
        return run(threadId, { threadId, turn: { kind: "chat", text, hostId: null } }, onEvent, signal);
      });
    },

    async pendingProposal(threadId: string): Promise<Proposal | null> {
      return pendingOf(await snapshotOf(threadId));
    },

    async report(threadId: string): Promise<DiagnosisReport | null> {
      const snapshot = await snapshotOf(threadId);
      if (!snapshot) {
        return null;
      }
      return buildReport(snapshot.values as DiagnosisStateType, statusOf(snapshot) ?? "done", deps.settings().language);
    },

    async status(threadId: string): Promise<ThreadStatus | null> {
      return statusOf(await snapshotOf(threadId));
    },

    async deleteThread(threadId: string): Promise<void> {
      validateThreadId(threadId);
      lastUsage.delete(threadId);
      failed.delete(threadId);
      return serialized(threadId, () => checkpointer.deleteThread(threadId));
    },
  };
}

function validateThreadId(threadId: string): void {
  if (typeof threadId !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(threadId)) {
    throw new AtlError("internal", t('Invalid diagnosis thread id "{0}".', String(threadId).slice(0, 40)));
  }
}

function isDiagnosisEvent(value: unknown): value is DiagnosisEvent {
  return typeof value === "object" && value !== null && EVENT_TYPES.has((value as { type?: DiagnosisEvent["type"] }).type!);
}

function usageChanged(before: Usage | null, after: Usage): boolean {
  return !before || before.calls !== after.calls || before.totalTokens !== after.totalTokens;
}
