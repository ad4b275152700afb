// Proactive triage: an alarm that arrives starts its own diagnosis. The coordinator decides what
// starts, when and where — one triage per host at a time (alarms of that host join it as context),
// at most `maxConcurrent` at once with a queue for the rest, an alarm back to OK before its
// triage ran is marked resolved and not run, an alarm on a host triaged less than `debounceMs`
// ago joins that thread instead of starting another (storms, flapping), and no incident is
// triaged twice for one arrival. A TriageRunner does the work (the editor's threads, the CLI's
// files); the coordinator owns no I/O. The editor feeds it only in the polling window, so several
// windows triage once.
import type { Incident } from "../alarms/model";
import type { IncidentTransition } from "../alarms/incidents";
import type { Culprit, Severity, ThreadStatus } from "../graph/diagnosis";
import type { HostEntry } from "../hosts/model";
import { resolveAlarmHost } from "../hosts/resolve";
import { Emitter, type Event } from "../shared/events";
import type { Logger } from "../shared/log";
import type { DiagnosisSummary } from "./history";

/**
 * Where an incident's triage stands: queued (waiting for a slot), started (planning, running,
 * waiting for approval… — the thread's own status says which), joined (context of another
 * alarm's thread on its host), resolved (back to OK before its triage ran: nothing ran).
 */
export type TriageState =
  | { kind: "queued"; hostName: string | null }
  | { kind: "started"; threadId: string }
  | { kind: "joined"; threadId: string | null }
  | { kind: "resolved" };

/** What a runner starts: the alarm that opened the triage, on its host, with the alarms that joined before it started. */
export interface TriageJob {
  /** Stable per triage: the thread id and the CLI's file name. */
  id: string;
  incident: Incident;
  /** The inventory host the alarm names; null: not in the inventory (the thread says so and runs nothing). */
  host: HostEntry | null;
  /** Other incidents of this host that arrived while the job waited. */
  joined: Incident[];
}

/** A note for a thread: another alarm on its host, or its own alarm flapping or going back to OK. */
export interface TriageNote {
  kind: "joined" | "flapped" | "resolved";
  incident: Incident;
}

export interface TriageRunner {
  /** Runs the triage until its thread stops (done, waiting for approval, needs a host, failed). */
  run(job: TriageJob): Promise<ThreadStatus>;
  /** Adds context to a thread that started (it may be running or have stopped). */
  note(threadId: string, note: TriageNote): void;
  /** An incident resolved before its triage ran: nothing ran (the CLI writes its status). */
  resolvedBeforeRun?(job: TriageJob): void;
}

export interface TriageOptions {
  runner: TriageRunner;
  hosts: () => readonly HostEntry[];
  /** Read for every start (a settings change applies to the next one). */
  maxConcurrent: () => number;
  /** An alarm on a host triaged less than this ago joins that thread; 0: never. */
  debounceMs: () => number;
  logger: Logger;
  now?: () => number;
}

interface Job extends TriageJob {
  hostKey: string;
  state: "queued" | "running";
}

interface HostRecent {
  threadId: string;
  /** When its triage started. */
  at: number;
  running: boolean;
}

/** The verdict in a few words for a toast or a tree row: "java (pid 4123): 98 % CPU for 5 min". */
export function culpritText(culprit: Culprit | null): string | null {
  if (!culprit) {
    return null;
  }
  const name = culprit.pid !== null ? `${culprit.name} (pid ${culprit.pid})` : culprit.name;
  return culprit.detail ? `${name}: ${culprit.detail}` : name;
}

/** Where an alarm's triage stands, as the Alarms view shows it. */
export type TriagePhase = "queued" | "planning" | "running" | "waiting-approval" | "needs-host" | "done" | "rejected" | "failed" | "joined" | "resolved";

export interface AlarmTriage {
  phase: TriagePhase;
  /** The thread to open; null while queued, resolved, or joined to a triage that has not started. */
  threadId: string | null;
  severity: Severity | null;
  culprit: string | null;
}

/**
 * An alarm's triage from what the coordinator knows (this window) and the thread's summary (the
 * history every window shares). `commandsStarted`: the live thread ran commands in its current
 * turn (running, not planning); undefined when the thread is not loaded here.
 */
export function alarmTriage(state: TriageState | undefined, thread: DiagnosisSummary | undefined, commandsStarted?: boolean): AlarmTriage | null {
  if (state?.kind === "queued") {
    return { phase: "queued", threadId: null, severity: null, culprit: null };
  }
  if (state?.kind === "resolved") {
    return { phase: "resolved", threadId: null, severity: null, culprit: null };
  }
  if (state?.kind === "joined" && (!thread || state.threadId !== thread.id)) {
    return { phase: "joined", threadId: state.threadId, severity: null, culprit: null };
  }
  if (!thread) {
    return null;
  }
  const base = { threadId: thread.id, severity: thread.severity, culprit: thread.culprit ?? null };
  return { ...base, phase: state?.kind === "joined" ? "joined" : phaseOf(thread.status, commandsStarted === true) };
}

function phaseOf(status: ThreadStatus, commandsStarted: boolean): TriagePhase {
  switch (status) {
    case "running":
      return commandsStarted ? "running" : "planning";
    case "waiting-approval":
    case "needs-host":
    case "rejected":
    case "failed":
    case "done":
      return status;
    case "answered":
      return "done";
  }
}

/** A thread id from the alarm name and the arrival: readable, file-safe, the same for the same arrival. */
export function triageId(incident: Incident): string {
  const slug =
    incident.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "alarm";
  return `${slug}-${fnv1a(`${incident.id}|${incident.lastChangeAt}`)}`;
}

/** 10 hex digits of FNV-1a (two rounds): stable, dependency-free, enough to tell arrivals apart. */
function fnv1a(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return (a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0")).slice(0, 10);
}

export class TriageCoordinator {
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, Job>();
  /** Per host key: the latest triage (debounce and joining after it stopped). */
  private readonly recent = new Map<string, HostRecent>();
  private readonly states = new Map<string, TriageState>();
  private readonly changes = new Emitter<string[]>();
  private readonly settled: (() => void)[] = [];
  private stopped = false;
  private readonly now: () => number;

  /** Fires with the ids of incidents whose triage state changed. */
  readonly onDidChange: Event<string[]> = this.changes.event;

  constructor(private readonly options: TriageOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The triage state of an incident this coordinator has seen, if any. */
  state(incidentId: string): TriageState | undefined {
    return this.states.get(incidentId);
  }

  /** Triages running now. */
  get activeCount(): number {
    return this.running.size;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /** Feeds alarm state changes (oldest first), as the alarm store reports them. */
  onTransitions(transitions: readonly IncidentTransition[]): void {
    const changed = new Set<string>();
    for (const transition of transitions) {
      if (this.stopped) {
        break;
      }
      const incident = transition.incident;
      if (transition.kind === "resolved" || (incident.status === "resolved" && transition.kind !== "late")) {
        this.onResolved(incident, changed);
      } else if (incident.status === "open" && incident.alarm.state === "ALARM" && (transition.kind === "opened" || transition.kind === "reopened" || transition.kind === "escalated")) {
        this.onAlarm(incident, transition.kind !== "opened", changed);
      }
    }
    this.pump(changed);
    if (changed.size > 0) {
      this.changes.fire([...changed]);
    }
  }

  /** Triages open ALARM incidents (the CLI at start: what arrived but was not triaged before a stop). */
  enqueueOpen(incidents: readonly Incident[]): void {
    this.onTransitions(incidents.filter((i) => i.status === "open" && i.alarm.state === "ALARM").map((incident) => ({ kind: "opened", incident, alarm: incident.alarm })));
  }

  /** Resolves when nothing is queued or running (after stop(): when nothing is running). */
  idle(): Promise<void> {
    if (this.isIdle) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.settled.push(resolve));
  }

  /** Starts nothing more (queued jobs stay unstarted); running ones finish. */
  stop(): void {
    this.stopped = true;
    this.pump(new Set());
  }

  private get isIdle(): boolean {
    return this.running.size === 0 && (this.queue.length === 0 || this.stopped);
  }

  dispose(): void {
    this.stop();
    this.changes.dispose();
  }

  // ---- arrivals --------------------------------------------------------------------------------

  private onAlarm(incident: Incident, again: boolean, changed: Set<string>): void {
    const own = this.jobOf(incident.id);
    if (own) {
      // Already waiting or running for this incident: keep the newest view of it.
      if (own.incident.id === incident.id) {
        own.incident = incident;
      } else {
        own.joined = own.joined.map((i) => (i.id === incident.id ? incident : i));
      }
      if (own.state === "running") {
        this.options.runner.note(own.id, { kind: "flapped", incident });
      }
      return;
    }
    const match = resolveAlarmHost(incident.alarm, this.options.hosts());
    const host = match.kind === "found" ? match.host : null;
    // An alarm on an instance that is not in the inventory gets a thread that says why nothing runs:
    // one per unknown instance, as for a known host (a storm on it does not make a thread per alarm);
    // an alarm that names no instance at all, one of its own.
    const hostKey = host ? `host:${host.id}` : match.kind === "not-found" && match.named.length > 0 ? `unknown:${[...new Set(match.named)].sort().join(",")}` : `incident:${incident.id}`;

    const active = this.running.get(hostKey) ?? this.queue.find((j) => j.hostKey === hostKey);
    if (active) {
      active.joined.push(incident);
      if (active.state === "running") {
        this.options.runner.note(active.id, { kind: "joined", incident });
        this.setState(incident.id, { kind: "joined", threadId: active.id }, changed);
      } else {
        this.setState(incident.id, { kind: "joined", threadId: null }, changed);
      }
      return;
    }
    const recent = this.recent.get(hostKey);
    const previous = this.states.get(incident.id);
    if (recent && this.now() - recent.at < this.options.debounceMs()) {
      const sameIncident = previous?.kind === "started" && previous.threadId === recent.threadId;
      this.options.runner.note(recent.threadId, { kind: sameIncident || again ? "flapped" : "joined", incident });
      if (!sameIncident) {
        this.setState(incident.id, { kind: "joined", threadId: recent.threadId }, changed);
      }
      return;
    }
    const job: Job = { id: triageId(incident), incident, host, joined: [], hostKey, state: "queued" };
    this.queue.push(job);
    this.setState(incident.id, { kind: "queued", hostName: host?.name ?? null }, changed);
  }

  private onResolved(incident: Incident, changed: Set<string>): void {
    const job = this.jobOf(incident.id);
    if (job?.state === "queued") {
      if (job.incident.id === incident.id) {
        // The alarm that opened the job is OK again: the next one still in ALARM leads, or the job goes.
        const next = job.joined.findIndex((i) => i.status === "open" && i.alarm.state === "ALARM");
        if (next >= 0) {
          job.incident = job.joined.splice(next, 1)[0];
          job.id = triageId(job.incident);
          this.setState(job.incident.id, { kind: "queued", hostName: job.host?.name ?? null }, changed);
        } else {
          this.queue.splice(this.queue.indexOf(job), 1);
          for (const other of job.joined) {
            this.setState(other.id, { kind: "resolved" }, changed);
          }
          this.options.runner.resolvedBeforeRun?.({ ...job, incident });
        }
      } else {
        job.joined = job.joined.filter((i) => i.id !== incident.id);
      }
      this.setState(incident.id, { kind: "resolved" }, changed);
      this.options.logger.info(`Triage: ${incident.name} is OK again before its triage ran; nothing was run.`);
      return;
    }
    const state = this.states.get(incident.id);
    const threadId = job?.id ?? (state?.kind === "started" || state?.kind === "joined" ? state.threadId : null);
    if (threadId) {
      this.options.runner.note(threadId, { kind: "resolved", incident });
    }
  }

  // ---- running ----------------------------------------------------------------------------------

  private pump(changed: Set<string>): void {
    while (!this.stopped && this.queue.length > 0 && this.running.size < Math.max(1, this.options.maxConcurrent())) {
      const job = this.queue.shift()!;
      job.state = "running";
      this.running.set(job.hostKey, job);
      this.recent.set(job.hostKey, { threadId: job.id, at: this.now(), running: true });
      this.setState(job.incident.id, { kind: "started", threadId: job.id }, changed);
      for (const other of job.joined) {
        this.setState(other.id, { kind: "joined", threadId: job.id }, changed);
      }
      void this.run(job);
    }
    if (this.isIdle) {
      for (const resolve of this.settled.splice(0)) {
        resolve();
      }
    }
  }

  private async run(job: Job): Promise<void> {
    try {
      const status = await this.options.runner.run(job);
      this.options.logger.info(`Triage of ${job.incident.name}${job.host ? ` on ${job.host.name}` : ""}: ${status}.`);
    } catch (error) {
      // The runner reports failures in the thread; this only keeps the queue moving.
      this.options.logger.error(`Triage of ${job.incident.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.running.delete(job.hostKey);
      const recent = this.recent.get(job.hostKey);
      if (recent?.threadId === job.id) {
        recent.running = false;
      }
      const changed = new Set<string>();
      this.pump(changed);
      if (changed.size > 0) {
        this.changes.fire([...changed]);
      }
    }
  }

  private jobOf(incidentId: string): Job | undefined {
    const all = [...this.running.values(), ...this.queue];
    return all.find((j) => j.incident.id === incidentId || j.joined.some((i) => i.id === incidentId));
  }

  private setState(incidentId: string, state: TriageState, changed: Set<string>): void {
    this.states.set(incidentId, state);
    changed.add(incidentId);
  }
}
