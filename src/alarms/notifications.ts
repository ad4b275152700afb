// Which alarm changes deserve a toast, and how many: arrivals are found by diffing store snapshots;
// a few get their own toast (with Diagnose), the rest of a storm becomes one "N new alarms — Show"
// toast. No `vscode` import: the planner is tested under node, notifier.ts shows what it plans.
import type { AlarmState, Incident } from "./model";

export type NotifyMode = "all" | "alarm" | "off";

export interface AlarmArrival {
  incident: Incident;
  /** opened: a new incident in ALARM; changed: a known incident moved to another state. */
  kind: "opened" | "changed";
  state: AlarmState;
}

/** Incident id → last change time and state, the memory of what was already seen. */
export type SeenIncidents = Map<string, { lastChangeAt: string; state: AlarmState; flaps: number }>;

export function snapshotOf(incidents: Incident[]): SeenIncidents {
  return new Map(incidents.map((i) => [i.id, { lastChangeAt: i.lastChangeAt, state: i.alarm.state, flaps: i.flaps }]));
}

/** What changed between two store snapshots, oldest change first. */
export function diffArrivals(previous: SeenIncidents, incidents: Incident[]): AlarmArrival[] {
  const arrivals: AlarmArrival[] = [];
  for (const incident of incidents) {
    const seen = previous.get(incident.id);
    if (!seen) {
      arrivals.push({ incident, kind: "opened", state: incident.alarm.state });
    } else if (seen.lastChangeAt !== incident.lastChangeAt && (seen.state !== incident.alarm.state || seen.flaps !== incident.flaps)) {
      arrivals.push({ incident, kind: "changed", state: incident.alarm.state });
    }
  }
  return arrivals.sort((a, b) => a.incident.lastChangeAt.localeCompare(b.incident.lastChangeAt));
}

export function wantsNotification(arrival: AlarmArrival, mode: NotifyMode): boolean {
  switch (mode) {
    case "off":
      return false;
    case "alarm":
      return arrival.state === "ALARM" && arrival.incident.status === "open";
    case "all":
      return true;
  }
}

export type NotificationAction = { kind: "single"; arrival: AlarmArrival } | { kind: "summary"; count: number; alarms: number };

/**
 * Rate limit for toasts: at most `maxSingles` individual toasts per `windowMs`; everything past
 * that is held and released as one summary toast once no new arrival came for `settleMs`.
 */
export class NotificationPlanner {
  private singles: number[] = [];
  private held: AlarmArrival[] = [];
  private lastHeldAt = 0;

  constructor(
    private readonly maxSingles = 3,
    private readonly windowMs = 30_000,
    readonly settleMs = 2_000,
  ) {}

  /** Actions to show now for these arrivals. */
  add(arrivals: AlarmArrival[], now: number): NotificationAction[] {
    this.singles = this.singles.filter((at) => now - at < this.windowMs);
    const actions: NotificationAction[] = [];
    for (const arrival of arrivals) {
      if (this.held.length === 0 && this.singles.length < this.maxSingles) {
        this.singles.push(now);
        actions.push({ kind: "single", arrival });
      } else {
        this.held.push(arrival);
        this.lastHeldAt = now;
      }
    }
    return actions;
  }

  /** Whether a summary waits; call `flush` after `settleMs` without arrivals. */
  get pending(): boolean {
    return this.held.length > 0;
  }

  /** The summary of held arrivals once the storm settled, or null if it has not. */
  flush(now: number): NotificationAction | null {
    if (this.held.length === 0 || now - this.lastHeldAt < this.settleMs) {
      return null;
    }
    const held = this.held;
    this.held = [];
    // The summary counts as one toast of the window.
    this.singles.push(now);
    return { kind: "summary", count: held.length, alarms: held.filter((a) => a.state === "ALARM").length };
  }
}
