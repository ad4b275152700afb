// The store's state and the only code that changes it: deterministic operations (`StoreOp`) applied
// to `IncidentBook`. The same op log is replayed on top of a fresher file when another window wrote
// in between (see store.ts), so every op must give the same result whenever it is applied.
// Incident objects are replaced, never mutated: a reference the UI holds stays a consistent snapshot.
import type { Alarm, AlarmState, AlarmTransition, Incident, IncidentFilter, UnparsedEntry } from "./model";

export const HISTORY_LIMIT = 20;
/** The SQS maximum (1 MiB since 2025): a body up to it is kept whole; a longer one is cut, with a marker. */
export const UNPARSED_BODY_LIMIT = 1024 * 1024;
/**
 * All unparsed bodies together: the store file is rewritten on every change, so past this the
 * oldest entries go (logged by the store), as past `maxUnparsed` entries.
 */
export const UNPARSED_TOTAL_LIMIT = 32 * 1024 * 1024;

export type StoreOp =
  /** `key` dedupes redeliveries: `sns:<MessageId>` or, without an envelope, `sqs:<MessageId>`. */
  | { op: "alarm"; alarm: Alarm; key: string | null }
  | { op: "unparsed"; entry: UnparsedEntry; key: string | null }
  | { op: "ack"; ids: string[]; acknowledged: boolean }
  /** Removes incidents or unparsed entries; `onlyResolved` keeps any that reopened meanwhile. */
  | { op: "remove"; ids: string[]; onlyResolved: boolean };

export type TransitionKind = "opened" | "reopened" | "escalated" | "resolved" | "updated" | "late";

/** What one alarm did to its incident. */
export interface IncidentTransition {
  /**
   * opened: a new incident; reopened: ALARM/INSUFFICIENT_DATA soon after it resolved (a flap);
   * escalated: back to ALARM while open; resolved: OK; updated: any other change; late: an older
   * state change that arrived out of order (history only).
   */
  kind: TransitionKind;
  incident: Incident;
  alarm: Alarm;
}

export type ApplyResult =
  | { kind: "recorded"; transition: IncidentTransition }
  /** `dropped`: the oldest unparsed entries removed to stay within the limits. */
  | { kind: "unparsed"; entry: UnparsedEntry; dropped: string[] }
  | { kind: "duplicate" }
  | { kind: "changed"; ids: string[] }
  | { kind: "none" };

export interface BookOptions {
  /** A new ALARM this soon after the incident resolved reopens it (counted as a flap). */
  reopenWindowMs: number;
  /** Message ids and state-change keys remembered for dedupe (oldest forgotten first); two per message. */
  seenCapacity: number;
  /** Above this, the oldest resolved incidents are dropped. */
  maxIncidents: number;
  maxUnparsed: number;
}

export const DEFAULT_BOOK_OPTIONS: BookOptions = {
  reopenWindowMs: 30 * 60_000,
  seenCapacity: 20_000,
  maxIncidents: 5_000,
  maxUnparsed: 500,
};

/** The serialized form (alarms.json). */
export interface StoreFile {
  format: "atl-alarm-store";
  version: 1;
  savedAt: string;
  incidents: Incident[];
  unparsed: UnparsedEntry[];
  seen: string[];
}

export class IncidentBook {
  /** Insertion order = creation order. */
  private readonly incidents = new Map<string, Incident>();
  /** Per ARN, incident ids ordered by openedAt (oldest first). */
  private readonly byArn = new Map<string, string[]>();
  private readonly unparsed = new Map<string, UnparsedEntry>();
  /** Ordered set: Map keeps insertion order, so the first key is the oldest. */
  private readonly seen = new Map<string, true>();
  /** Composite incidents whose host is not known yet (a child may bring it later). */
  private readonly hostlessComposites = new Set<string>();
  /** Characters of all unparsed bodies (bounded by UNPARSED_TOTAL_LIMIT). */
  private unparsedChars = 0;

  constructor(private readonly options: BookOptions = DEFAULT_BOOK_OPTIONS) {}

  static fromFile(file: StoreFile, options: BookOptions = DEFAULT_BOOK_OPTIONS): IncidentBook {
    const book = new IncidentBook(options);
    for (const incident of file.incidents) {
      book.put(incident);
    }
    for (const entry of file.unparsed) {
      book.unparsed.set(entry.id, entry);
      book.unparsedChars += entry.body.length;
    }
    for (const key of file.seen) {
      book.seen.set(key, true);
    }
    return book;
  }

  toFile(savedAt: string): StoreFile {
    return {
      format: "atl-alarm-store",
      version: 1,
      savedAt,
      incidents: [...this.incidents.values()],
      unparsed: [...this.unparsed.values()],
      seen: [...this.seen.keys()],
    };
  }

  apply(op: StoreOp): ApplyResult {
    switch (op.op) {
      case "alarm":
        return this.applyAlarm(op.alarm, op.key);
      case "unparsed":
        return this.applyUnparsed(op.entry, op.key);
      case "ack":
        return this.applyAck(op.ids, op.acknowledged);
      case "remove":
        return this.applyRemove(op.ids, op.onlyResolved);
    }
  }

  // ---- queries ----

  get(id: string): Incident | undefined {
    return this.incidents.get(id);
  }

  getUnparsed(id: string): UnparsedEntry | undefined {
    return this.unparsed.get(id);
  }

  hasSeen(key: string): boolean {
    return this.seen.has(key);
  }

  allIncidents(): IterableIterator<Incident> {
    return this.incidents.values();
  }

  list(filter: IncidentFilter = {}): Incident[] {
    const status = filter.status ?? "all";
    const text = filter.text?.toLowerCase();
    const out: Incident[] = [];
    for (const incident of this.incidents.values()) {
      if (status !== "all" && incident.status !== status) {
        continue;
      }
      if (filter.state && incident.alarm.state !== filter.state) {
        continue;
      }
      if (filter.hostId && incident.hostId !== filter.hostId) {
        continue;
      }
      if (text && !incident.name.toLowerCase().includes(text) && !(incident.hostId ?? "").toLowerCase().includes(text)) {
        continue;
      }
      out.push(incident);
    }
    // Open first, then the most recent change first.
    out.sort((a, b) =>
      a.status === b.status ? (a.lastChangeAt < b.lastChangeAt ? 1 : a.lastChangeAt > b.lastChangeAt ? -1 : 0) : a.status === "open" ? -1 : 1,
    );
    return filter.limit !== undefined ? out.slice(0, Math.max(0, filter.limit)) : out;
  }

  listUnparsed(): UnparsedEntry[] {
    return [...this.unparsed.values()].sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1));
  }

  /** The host of an alarm ARN, from the incidents seen for it (composite alarms follow their children). */
  hostForArn(arn: string): string | null {
    const ids = this.byArn.get(arn) ?? [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const incident = this.incidents.get(ids[i]);
      if (incident?.hostId) {
        return incident.hostId;
      }
    }
    return null;
  }

  /** Resolved incidents whose resolution is older than `cutoff` (ISO time). */
  resolvedBefore(cutoff: string): string[] {
    const ids: string[] = [];
    for (const incident of this.incidents.values()) {
      if (incident.status === "resolved" && (incident.resolvedAt ?? incident.lastChangeAt) < cutoff) {
        ids.push(incident.id);
      }
    }
    return ids;
  }

  counts(): StoreCounts {
    const counts: StoreCounts = { open: 0, alarm: 0, insufficientData: 0, ok: 0, resolved: 0, unacknowledged: 0, unparsed: this.unparsed.size };
    for (const incident of this.incidents.values()) {
      if (incident.status === "open") {
        counts.open++;
        if (!incident.acknowledged) {
          counts.unacknowledged++;
        }
      } else {
        counts.resolved++;
      }
      const state: AlarmState = incident.alarm.state;
      if (state === "ALARM") {
        counts.alarm++;
      } else if (state === "INSUFFICIENT_DATA") {
        counts.insufficientData++;
      } else {
        counts.ok++;
      }
    }
    return counts;
  }

  // ---- operations ----

  private applyAlarm(alarm: Alarm, key: string | null): ApplyResult {
    // The same state change can reach us under different ids (published to two topics, SNS and
    // EventBridge, a re-sent copy): it is also remembered by ARN, state and time.
    const change = transitionKey(alarm);
    if ((key !== null && this.seen.has(key)) || this.seen.has(change)) {
      this.remember(key);
      return { kind: "duplicate" };
    }
    this.remember(key);
    this.remember(change);
    const ids = this.byArn.get(alarm.arn) ?? [];
    const list = ids.map((id) => this.incidents.get(id)).filter((i): i is Incident => i !== undefined);
    if (list.some((i) => i.history.some((h) => h.state === alarm.state && h.at === alarm.changedAt))) {
      return { kind: "duplicate" };
    }
    const step: AlarmTransition = { state: alarm.state, at: alarm.changedAt, reason: alarm.reason };
    const current = list.at(-1);

    // Standard SQS queues do not keep order: an older change only adds to the history.
    if (current && alarm.changedAt < current.lastChangeAt) {
      const target = [...list].reverse().find((i) => i.openedAt <= alarm.changedAt) ?? list[0];
      // A late ALARM between an OK and a later state is a flap we could not count on arrival.
      const updated: Incident = {
        ...target,
        openedAt: alarm.changedAt < target.openedAt ? alarm.changedAt : target.openedAt,
        ...withStep(target, step),
      };
      this.put(updated);
      return this.recorded("late", updated, alarm);
    }

    const hostId = alarm.hostId ?? this.compositeHost(alarm) ?? current?.hostId ?? null;
    if (current?.status === "open") {
      const updated: Incident = {
        ...advanced(current, alarm, hostId, step),
        status: alarm.state === "OK" ? "resolved" : "open",
        resolvedAt: alarm.state === "OK" ? alarm.changedAt : null,
      };
      this.put(updated);
      const kind: TransitionKind =
        alarm.state === "OK" ? "resolved" : alarm.state === "ALARM" && current.alarm.state !== "ALARM" ? "escalated" : "updated";
      return this.recorded(kind, updated, alarm);
    }
    if (current && current.status === "resolved") {
      const sinceResolved = Date.parse(alarm.changedAt) - Date.parse(current.resolvedAt ?? current.lastChangeAt);
      if (alarm.state === "OK" || sinceResolved <= this.options.reopenWindowMs) {
        const reopen = alarm.state !== "OK";
        const updated: Incident = {
          ...advanced(current, alarm, hostId, step),
          status: reopen ? "open" : "resolved",
          // Resolved again (an OK that overtook this one in the queue): the latest recovery counts.
          resolvedAt: reopen ? null : alarm.changedAt,
          // A flap back into ALARM needs attention again.
          acknowledged: reopen ? false : current.acknowledged,
        };
        this.put(updated);
        return this.recorded(reopen ? "reopened" : "updated", updated, alarm);
      }
    }
    const incident: Incident = {
      id: `${alarm.arn}#${alarm.changedAt}`,
      arn: alarm.arn,
      name: alarm.name,
      hostId,
      status: alarm.state === "OK" ? "resolved" : "open",
      alarm,
      openedAt: alarm.changedAt,
      resolvedAt: alarm.state === "OK" ? alarm.changedAt : null,
      lastChangeAt: alarm.changedAt,
      flaps: 0,
      acknowledged: false,
      history: [step],
    };
    this.put(incident);
    this.backfillComposites(alarm);
    this.enforceIncidentLimit();
    return this.recorded("opened", incident, alarm);
  }

  private applyUnparsed(entry: UnparsedEntry, key: string | null): ApplyResult {
    if ((key !== null && this.seen.has(key)) || this.unparsed.has(entry.id)) {
      return { kind: "duplicate" };
    }
    this.remember(key);
    const kept = withBodyLimit(entry);
    this.unparsed.set(kept.id, kept);
    this.unparsedChars += kept.body.length;
    const dropped: string[] = [];
    while (this.unparsed.size > this.options.maxUnparsed || (this.unparsedChars > UNPARSED_TOTAL_LIMIT && this.unparsed.size > 1)) {
      const oldest = this.unparsed.values().next().value;
      if (oldest === undefined) {
        break;
      }
      this.unparsed.delete(oldest.id);
      this.unparsedChars -= oldest.body.length;
      dropped.push(oldest.id);
    }
    return { kind: "unparsed", entry: kept, dropped };
  }

  private applyAck(ids: string[], acknowledged: boolean): ApplyResult {
    const changed: string[] = [];
    for (const id of ids) {
      const incident = this.incidents.get(id);
      if (incident && incident.acknowledged !== acknowledged) {
        this.put({ ...incident, acknowledged });
        changed.push(id);
      }
    }
    return changed.length > 0 ? { kind: "changed", ids: changed } : { kind: "none" };
  }

  private applyRemove(ids: string[], onlyResolved: boolean): ApplyResult {
    const removed: string[] = [];
    for (const id of ids) {
      const incident = this.incidents.get(id);
      if (incident && (!onlyResolved || incident.status === "resolved")) {
        this.drop(incident);
        removed.push(id);
      } else if (!incident && this.unparsed.has(id)) {
        this.unparsedChars -= this.unparsed.get(id)?.body.length ?? 0;
        this.unparsed.delete(id);
        removed.push(id);
      }
    }
    return removed.length > 0 ? { kind: "changed", ids: removed } : { kind: "none" };
  }

  // ---- helpers ----

  private recorded(kind: TransitionKind, incident: Incident, alarm: Alarm): ApplyResult {
    return { kind: "recorded", transition: { kind, incident, alarm } };
  }

  private put(incident: Incident): void {
    const isNew = !this.incidents.has(incident.id);
    this.incidents.set(incident.id, incident);
    if (isNew) {
      const ids = this.byArn.get(incident.arn) ?? [];
      ids.push(incident.id);
      this.byArn.set(incident.arn, ids);
    }
    if (incident.hostId === null && incident.alarm.children.length > 0) {
      this.hostlessComposites.add(incident.id);
    } else {
      this.hostlessComposites.delete(incident.id);
    }
    const ids = this.byArn.get(incident.arn);
    if (ids && ids.length > 1) {
      ids.sort((a, b) => {
        const x = this.incidents.get(a)?.openedAt ?? "";
        const y = this.incidents.get(b)?.openedAt ?? "";
        return x < y ? -1 : x > y ? 1 : 0;
      });
    }
  }

  private drop(incident: Incident): void {
    this.incidents.delete(incident.id);
    this.hostlessComposites.delete(incident.id);
    const ids = (this.byArn.get(incident.arn) ?? []).filter((id) => id !== incident.id);
    if (ids.length > 0) {
      this.byArn.set(incident.arn, ids);
    } else {
      this.byArn.delete(incident.arn);
    }
  }

  private remember(key: string | null): void {
    if (key === null) {
      return;
    }
    this.seen.set(key, true);
    while (this.seen.size > this.options.seenCapacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.seen.delete(oldest);
    }
  }

  private compositeHost(alarm: Alarm): string | null {
    for (const child of alarm.children) {
      const host = this.hostForArn(child);
      if (host) {
        return host;
      }
    }
    return null;
  }

  /** A child alarm arrived after its composite: give the composite the child's host. */
  private backfillComposites(child: Alarm): void {
    if (!child.hostId) {
      return;
    }
    for (const id of [...this.hostlessComposites]) {
      const incident = this.incidents.get(id);
      if (incident && incident.alarm.children.includes(child.arn)) {
        this.put({ ...incident, hostId: child.hostId });
      }
    }
  }

  private enforceIncidentLimit(): void {
    if (this.incidents.size <= this.options.maxIncidents) {
      return;
    }
    // Drop a tenth at a time so a storm above the limit does not sort on every alarm.
    const target = Math.floor(this.options.maxIncidents * 0.9);
    const resolved = [...this.incidents.values()]
      .filter((i) => i.status === "resolved")
      .sort((a, b) => (a.lastChangeAt < b.lastChangeAt ? -1 : 1));
    for (const incident of resolved.slice(0, this.incidents.size - target)) {
      this.drop(incident);
    }
  }
}

export interface StoreCounts {
  open: number;
  /** By the incident's current alarm state. */
  alarm: number;
  insufficientData: number;
  ok: number;
  resolved: number;
  /** Open and not acknowledged: what the badge shows. */
  unacknowledged: number;
  unparsed: number;
}

/**
 * A short, fixed-size key for one state change of one alarm: two 32-bit FNV-1a hashes (64 bits;
 * a collision among the ~10,000 remembered changes is about one in 10^11). Not a security
 * boundary: a forged collision could only hide one state change of an alarm the sender controls.
 */
function transitionKey(alarm: Alarm): string {
  const text = `${alarm.arn}\n${alarm.state}\n${alarm.changedAt}`;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return `t:${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}`;
}

/**
 * The incident's history with one more state change (in time order, so late ones land in place),
 * and its flap count: every return to ALARM from another state. Counting from the history makes
 * the count independent of the order SQS delivered the changes in; flaps older than the bounded
 * history stay counted.
 */
/** `incident` moved on by `alarm`'s state change: its latest alarm, name, host and time, the step in its history. */
function advanced(incident: Incident, alarm: Alarm, hostId: string | null, step: AlarmTransition): Incident {
  return { ...incident, alarm, hostId, name: alarm.name, lastChangeAt: alarm.changedAt, ...withStep(incident, step) };
}

function withStep(incident: Incident, step: AlarmTransition): { history: AlarmTransition[]; flaps: number } {
  const last = incident.history.at(-1);
  const full = [...incident.history, step];
  if (last && step.at < last.at) {
    full.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
  return {
    flaps: incident.flaps + reentries(full) - reentries(incident.history),
    history: full.length > HISTORY_LIMIT ? full.slice(full.length - HISTORY_LIMIT) : full,
  };
}

/** How often a history goes back into ALARM from another state: what `flaps` counts. */
function reentries(history: AlarmTransition[]): number {
  let n = 0;
  for (let i = 1; i < history.length; i++) {
    if (history[i].state === "ALARM" && history[i - 1].state !== "ALARM") {
      n++;
    }
  }
  return n;
}

/**
 * An unparsed body within UNPARSED_BODY_LIMIT (UTF-8 bytes): longer ones are cut at a character
 * boundary and marked with their full size, never cut silently.
 */
function withBodyLimit(entry: UnparsedEntry): UnparsedEntry {
  // Cheap test first: a body of at most a quarter of the limit in UTF-16 units cannot exceed it.
  if (entry.body.length * 3 <= UNPARSED_BODY_LIMIT || Buffer.byteLength(entry.body, "utf8") <= UNPARSED_BODY_LIMIT) {
    return entry;
  }
  const bytes = Buffer.from(entry.body, "utf8");
  let end = UNPARSED_BODY_LIMIT;
  // Back up to the start of a UTF-8 sequence.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) {
    end--;
  }
  return { ...entry, body: bytes.subarray(0, end).toString("utf8"), bodyBytes: bytes.length };
}
