// Proactive triage in the editor: the polling window feeds the alarm store's transitions to the
// TriageCoordinator (src/diagnosis/triage.ts), which starts a diagnosis thread per host without a
// panel, a click or a consent prompt (the editor's model runs only once the user allowed it; the
// runbooks otherwise). What runs follows the approval rules, as in every diagnosis. When the first
// run stops, one toast names the result ("java (pid 4123): 98 % CPU — high", "plan ready: 6
// read-only commands"); the Alarms view shows each alarm's triage state through alarmTriage().
// Alarm text reaches toasts and transcript notes as plain text only.
import * as vscode from "vscode";
import type { Incident } from "../../alarms/model";
import { notificationText } from "../../alarms/present";
import type { AlarmStore } from "../../alarms/store";
import type { DiagnosisSummary } from "../../diagnosis/history";
import type { DiagnosisThread } from "../../diagnosis/thread";
import { alarmTriage, TriageCoordinator, triageId, type AlarmTriage, type TriageJob, type TriageNote, type TriageRunner } from "../../diagnosis/triage";
import type { Proposal, ThreadStatus } from "../../graph/diagnosis";
import { pluralForm } from "../../shared/format";
import type { Logger } from "../../shared/log";
import type { DiagnosisFeatures } from "../chat/index";
import { severityText } from "../diagnoses/view";
import { Disposable } from "../disposable";
import type { AtlSettings } from "../settings";
import { plainText } from "../../shared/richText";

export interface EditorTriageDeps {
  store: AlarmStore;
  settings: AtlSettings;
  diagnosis: DiagnosisFeatures;
  /** True while this window polls the queue: only it triages, so several windows triage once. */
  isLeader(): boolean;
  /** Fires when polling starts, stops or moves to another window. */
  onDidChangePolling: vscode.Event<unknown>;
  logger: Logger;
}

/** A toast the triage raised (the in-editor tests read them: toasts are not in the DOM there). */
export interface TriageToast {
  threadId: string | null;
  status: ThreadStatus | "summary";
  message: string;
}

/**
 * When this window becomes the poller (startup, a reload, the previous poller's window closed), an
 * alarm that fired this recently and has no diagnosis yet is triaged now: it arrived while no
 * window triaged, or its triage was still queued when the window went away.
 */
const CATCH_UP_MS = 60 * 60_000;

/** Toasts one at a time while few triages finish; beyond this many per window, one summary. */
const TOASTS_PER_WINDOW = 4;
const TOAST_WINDOW_MS = 30_000;

export class EditorTriage extends Disposable implements TriageRunner {
  readonly coordinator: TriageCoordinator;
  readonly shown: TriageToast[] = [];
  private readonly changeEmitter = this._register(new vscode.EventEmitter<void>());
  /** Fires when an alarm's triage state may have changed (queue, thread status, history). */
  readonly onDidChange = this.changeEmitter.event;
  private byIncident: Map<string, DiagnosisSummary> | null = null;
  private toastWindowStart = 0;
  private toastsInWindow = 0;
  private suppressed = 0;
  private summaryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EditorTriageDeps) {
    super();
    const { settings, store, diagnosis, logger } = deps;
    this.coordinator = new TriageCoordinator({
      runner: this,
      hosts: () => settings.current.hosts,
      maxConcurrent: () => settings.current.triage.maxConcurrent,
      debounceMs: () => settings.current.triage.debounceMinutes * 60_000,
      logger,
    });
    this._register({ dispose: () => this.coordinator.dispose() });
    this._register({ dispose: () => clearTimeout(this.summaryTimer) });
    this._register(
      store.onDidChange((change) => {
        if (change.transitions.length > 0 && settings.current.triage.onArrival && deps.isLeader()) {
          this.coordinator.onTransitions(change.transitions);
        }
      }),
    );
    let leader = deps.isLeader();
    this._register(
      deps.onDidChangePolling(() => {
        const now = deps.isLeader();
        if (now && !leader) {
          void this.catchUp().catch((error: unknown) => logger.warn(`Triage catch-up failed: ${error instanceof Error ? error.message : String(error)}`));
        }
        leader = now;
      }),
    );
    this._register(this.coordinator.onDidChange(() => this.changeEmitter.fire()));
    this._register(
      diagnosis.history.onDidChange(() => {
        this.byIncident = null;
        this.changeEmitter.fire();
      }),
    );
  }

  /** An alarm's triage: queued, planning, waiting for approval, running, culprit + severity… */
  triageOf(incident: Incident): AlarmTriage | null {
    const state = this.coordinator.state(incident.id);
    const threadId = state?.kind === "started" || state?.kind === "joined" ? state.threadId : null;
    const summary = (threadId ? this.deps.diagnosis.history.summary(threadId) : undefined) ?? this.summaryOfIncident(incident.id);
    const live = summary ? this.deps.diagnosis.thread(summary.id) : undefined;
    return alarmTriage(state, summary, live ? ranCommandsThisTurn(live) : undefined);
  }

  /**
   * True when this arrival of the alarm has a triage queued or started, whose toast will name it
   * (the alarm's own "in ALARM" toast then stays silent: one toast per alarm). An alarm that joined
   * another thread, or flapped within the debounce, keeps its own toast.
   */
  announces(incident: Incident): boolean {
    if (!this.deps.settings.current.triage.onArrival) {
      return false;
    }
    const state = this.coordinator.state(incident.id);
    return state?.kind === "queued" || (state?.kind === "started" && state.threadId === triageId(incident));
  }

  /** Triages recent open alarms that have no diagnosis (see CATCH_UP_MS); nothing twice. */
  async catchUp(): Promise<void> {
    if (!this.deps.settings.current.triage.onArrival || !this.deps.isLeader()) {
      return;
    }
    const { history } = this.deps.diagnosis;
    await history.load();
    const since = Date.now() - CATCH_UP_MS;
    const missed = this.deps.store
      .listIncidents({ status: "open" })
      .filter((i) => i.alarm.state === "ALARM" && Date.parse(i.lastChangeAt) >= since)
      .filter((i) => !this.coordinator.state(i.id) && !history.summary(triageId(i)) && !history.list().some((s) => s.incidentId === i.id))
      .sort((a, b) => a.lastChangeAt.localeCompare(b.lastChangeAt));
    if (missed.length > 0) {
      this.deps.logger.info(`Triage: ${missed.length} recent alarm(s) without a diagnosis; triaging them now.`);
      this.coordinator.enqueueOpen(missed);
    }
  }

  // ---- TriageRunner --------------------------------------------------------------------------------

  async run(job: TriageJob): Promise<ThreadStatus> {
    await this.deps.diagnosis.history.load();
    const clicked = this.deps.diagnosis.history
      .list()
      .find((s) => s.incidentId === job.incident.id && s.id !== job.id && s.status !== "failed" && Date.parse(s.createdAt) >= Date.parse(job.incident.lastChangeAt));
    if (clicked) {
      // Someone clicked Diagnose while this triage waited for a slot: that thread is the alarm's.
      this.deps.logger.info(`Triage of ${job.incident.name}: diagnosed from a click already (${clicked.id}); not started again.`);
      return clicked.status;
    }
    const created = await this.deps.diagnosis.createTriageThread(job.id, job.incident, job.host);
    if (!created) {
      // This arrival has a thread already (another window, or before a reload): nothing runs twice.
      this.deps.logger.info(`Triage ${job.id} exists already; not started again.`);
      return this.deps.diagnosis.history.summary(job.id)?.status ?? "done";
    }
    for (const incident of job.joined) {
      created.thread.note(noteText({ kind: "joined", incident }));
    }
    this.changeEmitter.fire();
    const status = await created.run();
    this.toast(created.thread, status);
    return status;
  }

  note(threadId: string, note: TriageNote): void {
    const thread = this.deps.diagnosis.thread(threadId);
    if (thread) {
      thread.note(noteText(note));
    }
    this.changeEmitter.fire();
  }

  resolvedBeforeRun(job: TriageJob): void {
    this.deps.logger.info(`Triage of ${job.incident.name}: OK again before it ran; nothing was run.`);
  }

  // ---- toasts ----------------------------------------------------------------------------------------

  private toast(thread: DiagnosisThread, status: ThreadStatus): void {
    const message = resultText(thread, status, this.deps.diagnosis.history.summary(thread.id));
    if (!message) {
      return;
    }
    const now = Date.now();
    if (now - this.toastWindowStart > TOAST_WINDOW_MS) {
      this.toastWindowStart = now;
      this.toastsInWindow = 0;
    }
    if (this.toastsInWindow >= TOASTS_PER_WINDOW) {
      // A storm: the Diagnoses view lists them; one summary instead of a toast each.
      this.suppressed++;
      this.summaryTimer ??= setTimeout(() => this.showSummary(), TOAST_WINDOW_MS);
      return;
    }
    this.toastsInWindow++;
    const button = status === "waiting-approval" ? vscode.l10n.t("Review") : vscode.l10n.t("Open");
    this.record({ threadId: thread.id, status, message });
    const show = status === "failed" || status === "needs-host" ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(message, button).then(async (choice) => {
      if (choice === button) {
        await this.deps.diagnosis.open(thread.id);
      }
    });
  }

  private showSummary(): void {
    this.summaryTimer = undefined;
    const count = this.suppressed;
    this.suppressed = 0;
    if (count === 0 || this.isDisposed) {
      return;
    }
    const message = pluralForm(count, vscode.env.language, {
      one: vscode.l10n.t("ATL: {0} more alarm was triaged.", count),
      other: vscode.l10n.t("ATL: {0} more alarms were triaged.", count),
    });
    const show = vscode.l10n.t("Show diagnoses");
    this.record({ threadId: null, status: "summary", message });
    void vscode.window.showInformationMessage(message, show).then(async (choice) => {
      if (choice === show) {
        await vscode.commands.executeCommand("atl.diagnoses.focus");
      }
    });
  }

  private record(toast: TriageToast): void {
    this.shown.push(toast);
    if (this.shown.length > 100) {
      this.shown.splice(0, this.shown.length - 100);
    }
    this.deps.logger.info(toast.message);
  }

  private summaryOfIncident(incidentId: string): DiagnosisSummary | undefined {
    if (!this.byIncident) {
      this.byIncident = new Map();
      // Newest first wins: the latest diagnosis of the alarm is the one to show and open.
      for (const summary of [...this.deps.diagnosis.history.list()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
        if (summary.incidentId) {
          this.byIncident.set(summary.incidentId, summary);
        }
      }
    }
    return this.byIncident.get(incidentId);
  }
}

/** Context for a thread, in its transcript. Alarm names are plain text there. */
function noteText(note: TriageNote): string {
  const name = notificationText(note.incident.name, 120);
  switch (note.kind) {
    case "joined":
      return vscode.l10n.t("Another alarm on this host: {0} ({1}).", name, note.incident.alarm.state);
    case "flapped":
      return vscode.l10n.t("{0} changed again: {1}.", name, note.incident.alarm.state);
    case "resolved":
      return vscode.l10n.t("{0} is OK again.", name);
  }
}

/** The toast of a triage's first run: the verdict, the plan that waits, or why it stopped. */
export function resultText(thread: DiagnosisThread, status: ThreadStatus, summary: DiagnosisSummary | undefined): string | null {
  const name = notificationText(thread.header.alarm?.name ?? thread.header.title, 120);
  switch (status) {
    case "done":
    case "answered": {
      const severity = summary?.severity ? severityText(summary.severity) : null;
      const verdict = summary?.culprit ? notificationText(summary.culprit, 120) : notificationText(plainText(thread.latestReport()?.analysis?.summary ?? []), 160);
      if (severity && verdict) {
        return vscode.l10n.t("ATL: {0}: {1} — {2}", name, verdict, severity);
      }
      return vscode.l10n.t("ATL: {0}: diagnosis finished.", name);
    }
    case "waiting-approval": {
      const proposal = pendingProposal(thread);
      const allowed = proposal?.commands.filter((c) => c.decision === "allowed") ?? [];
      const readOnly = allowed.filter((c) => c.risk === "read-only").length;
      if (allowed.length > 0 && readOnly === allowed.length) {
        return pluralForm(readOnly, vscode.env.language, {
          one: vscode.l10n.t("ATL: {0}: plan ready: {1} read-only command", name, readOnly),
          other: vscode.l10n.t("ATL: {0}: plan ready: {1} read-only commands", name, readOnly),
        });
      }
      return vscode.l10n.t("ATL: {0}: plan ready: {1} commands ({2} read-only)", name, allowed.length, readOnly);
    }
    case "needs-host": {
      const why = lastHostNeeded(thread);
      return why ? vscode.l10n.t("ATL: {0} needs a host: {1}", name, notificationText(why, 240)) : vscode.l10n.t("ATL: “{0}” needs you to pick a host.", name);
    }
    case "failed":
      return vscode.l10n.t("ATL: triage of {0} failed; its panel shows why.", name);
    case "rejected":
    case "running":
      return null;
  }
}

function pendingProposal(thread: DiagnosisThread): Proposal | null {
  const snapshot = thread.snapshot();
  let latest: Proposal | null = null;
  for (const entry of snapshot.entries) {
    if (entry.kind === "event" && entry.event.type === "proposal" && (snapshot.pendingRound === null || entry.event.proposal.round === snapshot.pendingRound)) {
      latest = entry.event.proposal;
    }
  }
  return latest;
}

function lastHostNeeded(thread: DiagnosisThread): string | null {
  const entries = thread.snapshot().entries;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry.kind === "event" && entry.event.type === "host-needed") {
      return entry.event.message;
    }
  }
  return null;
}

/** The thread started commands since its latest proposal (running them, no longer planning). */
function ranCommandsThisTurn(thread: DiagnosisThread): boolean {
  const entries = thread.snapshot().entries;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry.kind === "event" && entry.event.type === "command-started") {
      return true;
    }
    if ((entry.kind === "event" && entry.event.type === "proposal") || entry.kind === "user") {
      return false;
    }
  }
  return false;
}
