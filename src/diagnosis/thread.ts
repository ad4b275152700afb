// One diagnosis thread as the editor drives it: calls into the DiagnosisService (start, resume,
// follow-up), turns the streamed events into a durable transcript, keeps the Diagnoses history up
// to date, and tells the attached panel. The panel is only a view: a thread keeps running (and its
// history keeps updating) when its panel is closed. No `vscode` import.
import { AtlError, assertNever, toAtlError } from "../shared/errors";
import {
  statusAfterTurn,
  type ApprovalDecision,
  type DiagnosisEvent,
  type DiagnosisInput,
  type DiagnosisReport,
  type DiagnosisService,
  type HostRef,
  type Proposal,
  type ThreadStatus,
} from "../graph/diagnosis";
import type { Logger } from "../shared/log";
import { culpritText } from "./triage";
import type { DiagnosisHistory, DiagnosisRecord } from "./history";
import type { ThreadHeader, ThreadSnapshot, ToWebviewMessage, TranscriptEntry } from "../webview/protocol";

export interface ThreadDeps {
  /** The graph service, loaded on first use. */
  service(): Promise<DiagnosisService>;
  history: DiagnosisHistory;
  logger: Logger;
  /**
   * A report, after each turn that changed it (the "ATL Reports" output channel): `previous` is the
   * thread's report before this turn (null for its first), so a follow-up adds only what is new.
   */
  onReport(report: DiagnosisReport, previous: DiagnosisReport | null): void;
  /** Localized fixed texts the thread writes into its transcript. */
  text: ThreadTexts;
  clock?: () => Date;
}

export interface ThreadTexts {
  busy: string;
  stopped: string;
  interrupted: string;
  interruptedAtApproval: string;
  alreadyDecided: string;
  unknownCommand: (id: string) => string;
  refusedCommand: (command: string) => string;
  nothingToRun: string;
  noHostNeeded: string;
  /** A message sent while a proposal waits, without agreeing that it rejects the proposal. */
  proposalWaits: string;
}

type Post = (message: ToWebviewMessage) => void;

export class DiagnosisThread {
  private busy = false;
  /** A new thread until its first run starts: it counts as busy (the panel says "starting"). */
  private starting = false;
  private abort: AbortController | null = null;
  private readonly viewers = new Set<Post>();
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  private persisting: Promise<void> = Promise.resolve();
  /** The latest proposal by round (the approval step validates decisions against it). */
  private readonly proposals = new Map<number, Proposal>();
  private readonly statusListeners = new Set<(status: ThreadStatus) => void>();

  private constructor(
    private readonly record: DiagnosisRecord,
    private readonly deps: ThreadDeps,
  ) {
    for (const entry of record.entries) {
      if (entry.kind === "event" && entry.event.type === "proposal") {
        this.proposals.set(entry.event.proposal.round, entry.event.proposal);
      }
    }
  }

  /** A new thread, saved to the history at once (`triage`: started by an arriving alarm). */
  static async create(id: string, header: Omit<ThreadHeader, "threadId" | "createdAt">, input: DiagnosisInput, deps: ThreadDeps, options: { triage?: boolean } = {}): Promise<DiagnosisThread> {
    const now = (deps.clock ?? (() => new Date()))().toISOString();
    const thread = new DiagnosisThread(
      {
        version: 1,
        summary: {
          id,
          title: header.title,
          hostName: header.host?.name ?? null,
          alarmName: header.alarm?.name ?? null,
          incidentId: header.incidentId,
          createdAt: now,
          updatedAt: now,
          status: "running",
          severity: null,
          hasReport: false,
          ...(options.triage ? { triage: true } : {}),
        },
        header: { ...header, threadId: id, createdAt: now },
        entries: [],
        pendingRound: null,
        input,
      },
      deps,
    );
    thread.starting = true;
    await deps.history.save(thread.record);
    return thread;
  }

  /**
   * A thread from the history (after a reload or from the Diagnoses view). A run that was in flight
   * when the window closed cannot continue. The graph checkpoints only when a run stops, so the
   * checkpoint of a run cut short after an approval is that approval: the proposal waits again
   * (nothing runs by itself). Otherwise the run is marked failed; either way the thread stays usable.
   */
  static async restore(record: DiagnosisRecord, deps: ThreadDeps): Promise<DiagnosisThread> {
    const thread = new DiagnosisThread({ ...record, input: record.input ?? null }, deps);
    const status = record.summary.status;
    if (status !== "running" && status !== "waiting-approval") {
      return thread;
    }
    // The checkpoint is the truth: a proposal may wait again (an interrupted run), or no longer
    // wait (resumed elsewhere).
    let pending: Proposal | null = null;
    try {
      pending = await (await deps.service()).pendingProposal(record.summary.id);
    } catch (error) {
      deps.logger.warn(`Cannot read the pending proposal of ${record.summary.id}: ${toAtlError(error).message}`);
    }
    if (pending) {
      thread.proposals.set(pending.round, pending);
    }
    thread.record.pendingRound = pending ? pending.round : null;
    if (status === "running") {
      const message = pending ? deps.text.interruptedAtApproval : deps.text.interrupted;
      thread.append({ kind: "event", at: thread.now(), event: { type: "error", code: "interrupted", message } });
      thread.setStatus(pending ? "waiting-approval" : statusAfterTurn("failed", thread.hasVerdict));
      await thread.flush();
    }
    return thread;
  }

  get id(): string {
    return this.record.summary.id;
  }

  get status(): ThreadStatus {
    return this.record.summary.status;
  }

  get isBusy(): boolean {
    return this.busy || this.starting;
  }

  get header(): ThreadHeader {
    return this.record.header;
  }

  snapshot(): ThreadSnapshot {
    return {
      header: this.record.header,
      entries: this.record.entries,
      status: this.record.summary.status,
      busy: this.isBusy,
      pendingRound: this.record.pendingRound,
    };
  }

  /** The thread has an analysis: its verdict stands through later turns. */
  private get hasVerdict(): boolean {
    return this.record.entries.some((e) => e.kind === "event" && e.event.type === "analysis");
  }

  /** The latest report of the thread, if any. */
  latestReport(): DiagnosisReport | null {
    return latestReport(this.record.entries);
  }

  /** Attaches a view (the panel); returns the detach function. */
  attach(post: Post): () => void {
    this.viewers.add(post);
    return () => this.viewers.delete(post);
  }

  onDidChangeStatus(listener: (status: ThreadStatus) => void): { dispose(): void } {
    this.statusListeners.add(listener);
    return { dispose: () => this.statusListeners.delete(listener) };
  }

  // ---- what the user does --------------------------------------------------------------------

  /** Runs the graph from the thread's input (a new thread, or again once a host is picked). */
  start(): Promise<ThreadStatus> {
    const input = this.record.input;
    if (!input) {
      throw new AtlError("not-found", "This diagnosis cannot be started again: its input is not stored.");
    }
    this.starting = false;
    return this.run((service, onEvent, signal) => service.start(this.id, input, onEvent, signal));
  }

  approve(round: number, decision: Extract<ApprovalDecision, { kind: "approve" }>): Promise<ThreadStatus> {
    const proposal = this.pendingProposal(round);
    const known = new Set(proposal.commands.map((c) => c.id));
    for (const id of [...decision.commandIds, ...(decision.edits ?? []).map((e) => e.id)]) {
      if (!known.has(id)) {
        throw new AtlError("webview-message", this.deps.text.unknownCommand(id));
      }
    }
    const edited = new Set((decision.edits ?? []).map((e) => e.id));
    for (const command of proposal.commands) {
      // A refused command may only be sent back edited (the policy re-checks the edit).
      if (decision.commandIds.includes(command.id) && command.decision === "refused" && !edited.has(command.id)) {
        throw new AtlError("policy-refused", this.deps.text.refusedCommand(command.command));
      }
    }
    if (decision.commandIds.length === 0 && (decision.add ?? []).length === 0) {
      throw new AtlError("webview-message", this.deps.text.nothingToRun);
    }
    return this.decide(round, decision);
  }

  /** `replan`: ask for a different plan (the reason goes to the planner); false ends the thread. */
  reject(round: number, reason: string, replan = true): Promise<ThreadStatus> {
    this.pendingProposal(round);
    return this.decide(round, { kind: "reject", reason, replan });
  }

  /**
   * A message in the thread. While a proposal waits, it would replace the proposal: that happens
   * only when the user said so (`rejectPending`), as a rejection with the message as the reason;
   * otherwise the message is refused and the proposal keeps waiting.
   */
  followUp(text: string, options: { rejectPending?: boolean } = {}): Promise<ThreadStatus> {
    this.ensureIdle();
    const round = this.record.pendingRound;
    if (round !== null && this.proposals.has(round)) {
      if (!options.rejectPending) {
        throw new AtlError("webview-message", this.deps.text.proposalWaits);
      }
      return this.reject(round, text, true);
    }
    this.append({ kind: "user", at: this.now(), text });
    return this.run((service, onEvent, signal) => service.followUp(this.id, text, onEvent, signal));
  }

  /** Answers the graph's "which host?" question and starts the thread again on that host. */
  pickHost(host: HostRef): Promise<ThreadStatus> {
    this.ensureIdle();
    if (this.status !== "needs-host") {
      throw new AtlError("webview-message", this.deps.text.noHostNeeded);
    }
    const input = this.record.input;
    this.append({ kind: "host-picked", at: this.now(), host });
    this.record.header = { ...this.record.header, host };
    this.record.summary.hostName = host.name;
    if (input) {
      this.record.input = { ...input, hostId: host.id };
      return this.start();
    }
    // A restored thread without its input: continue in the same thread, naming the host.
    return this.run((service, onEvent, signal) => service.followUp(this.id, host.id, onEvent, signal));
  }

  /**
   * A line of context in the transcript (another alarm on the host, this alarm flapping or OK
   * again): shown as progress, never as an instruction to the graph. Plain text.
   */
  note(message: string): void {
    this.append({ kind: "event", at: this.now(), event: { type: "progress", message } });
  }

  /** Stops the call in flight (the transport aborts its request; the thread stays usable). */
  cancel(): void {
    this.abort?.abort();
  }

  /** Writes any pending change of the transcript to the history now. */
  async flush(): Promise<void> {
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = null;
    }
    this.persisting = this.persisting.then(() => this.deps.history.save(this.record)).catch((error: unknown) => {
      this.deps.logger.error(toAtlError(error, "storage"));
    });
    await this.persisting;
  }

  dispose(): void {
    this.cancel();
    this.viewers.clear();
    this.statusListeners.clear();
  }

  // ---- internals --------------------------------------------------------------------------------

  private pendingProposal(round: number): Proposal {
    this.ensureIdle();
    const proposal = this.proposals.get(round);
    if (this.record.pendingRound !== round || !proposal) {
      throw new AtlError("webview-message", this.deps.text.alreadyDecided);
    }
    return proposal;
  }

  private decide(round: number, decision: ApprovalDecision): Promise<ThreadStatus> {
    this.append({ kind: "decision", at: this.now(), round, decision });
    this.record.pendingRound = null;
    return this.run((service, onEvent, signal) => service.resume(this.id, decision, onEvent, signal));
  }

  private ensureIdle(): void {
    if (this.isBusy) {
      throw new AtlError("webview-message", this.deps.text.busy);
    }
  }

  private async run(
    call: (service: DiagnosisService, onEvent: (event: DiagnosisEvent) => void, signal: AbortSignal) => Promise<ThreadStatus>,
  ): Promise<ThreadStatus> {
    this.ensureIdle();
    this.busy = true;
    const abort = new AbortController();
    this.abort = abort;
    this.record.pendingRound = null;
    this.setStatus("running");
    let status: ThreadStatus;
    try {
      const service = await this.deps.service();
      // The graph reports a Stop as its own (English) error: say it in the thread's words.
      const stopped = (event: DiagnosisEvent): DiagnosisEvent => (abort.signal.aborted && event.type === "error" && event.code === "cancelled" ? { ...event, message: this.deps.text.stopped } : event);
      status = await call(service, (event) => this.onEvent(stopped(event)), abort.signal);
    } catch (error) {
      const atlError = abort.signal.aborted ? new AtlError("cancelled", this.deps.text.stopped, { cause: error }) : toAtlError(error);
      if (!abort.signal.aborted) {
        this.deps.logger.error(atlError);
      }
      this.append({ kind: "event", at: this.now(), event: { type: "error", code: atlError.code, message: atlError.userMessage } });
      status = "failed";
    } finally {
      this.busy = false;
      this.abort = null;
    }
    if (status === "waiting-approval") {
      this.record.pendingRound = this.latestRound();
    }
    const kept = statusAfterTurn(status, this.hasVerdict);
    this.setStatus(kept);
    await this.flush();
    return kept;
  }

  private onEvent(event: DiagnosisEvent): void {
    switch (event.type) {
      case "token":
        this.post({ type: "token", node: event.node, text: event.text });
        return;
      case "status":
        // The call's return value is authoritative; mid-run statuses only update the history.
        if (event.status !== "waiting-approval") {
          this.record.summary.status = event.status;
        }
        return;
      case "proposal":
        this.proposals.set(event.proposal.round, event.proposal);
        if (!this.record.header.host) {
          this.record.header = { ...this.record.header, host: event.proposal.host };
          this.record.summary.hostName = event.proposal.host.name;
        }
        break;
      case "analysis":
        this.record.summary.severity = event.analysis.severity;
        this.record.summary.culprit = culpritText(event.analysis.culprit);
        break;
      case "report":
        this.record.summary.hasReport = true;
        try {
          this.deps.onReport(event.report, this.latestReport());
        } catch (error) {
          this.deps.logger.error(toAtlError(error));
        }
        break;
      case "node":
      case "progress":
      case "command-started":
      case "command-finished":
      case "answer":
      case "alarms":
      case "host-needed":
      case "usage":
      case "error":
        break;
      default:
        assertNever(event, "diagnosis event");
    }
    this.append({ kind: "event", at: this.now(), event });
  }

  private latestRound(): number | null {
    let round: number | null = null;
    for (const r of this.proposals.keys()) {
      round = round === null ? r : Math.max(round, r);
    }
    return round;
  }

  private append(entry: TranscriptEntry): void {
    this.record.entries.push(entry);
    this.record.summary.updatedAt = entry.at;
    this.post({ type: "entry", entry });
    this.schedulePersist();
  }

  private setStatus(status: ThreadStatus): void {
    this.record.summary.status = status;
    this.record.summary.updatedAt = this.now();
    this.post({ type: "status", status, busy: this.busy, pendingRound: this.record.pendingRound });
    for (const listener of this.statusListeners) {
      listener(status);
    }
    this.schedulePersist();
  }

  private schedulePersist(): void {
    if (this.persistTimer) {
      return;
    }
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      void this.flush();
    }, 300);
  }

  private post(message: ToWebviewMessage): void {
    for (const viewer of this.viewers) {
      viewer(message);
    }
  }

  private now(): string {
    return (this.deps.clock ?? (() => new Date()))().toISOString();
  }
}

/** The latest report event of a transcript, if any. */
export function latestReport(entries: readonly TranscriptEntry[]): DiagnosisReport | null {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry?.kind === "event" && entry.event.type === "report") {
      return entry.event.report;
    }
  }
  return null;
}
