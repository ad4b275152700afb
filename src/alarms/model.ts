// The normalized alarm (the JSON `node dist/cli.js parse` prints, fixed in ARCHITECTURE.md) and the
// incidents the store groups alarms into. Every string here may come from an attacker: render as text.

export type AlarmState = "ALARM" | "OK" | "INSUFFICIENT_DATA";

export type AlarmSource = "sns" | "raw" | "eventbridge";

export interface AlarmMetric {
  namespace: string | null;
  name: string | null;
  /** Upper or mixed case as CloudWatch sent it (`AVERAGE`, `Average`, `p99`). */
  statistic: string | null;
  threshold: number | null;
  /** CloudWatch comparison operator, e.g. `GreaterThanThreshold`. */
  comparison: string | null;
  dimensions: Record<string, string>;
  /** Seconds; null when unknown. */
  period: number | null;
  evaluationPeriods: number | null;
  /** Metric-math alarms: the queries (`Trigger.Metrics[]`), otherwise empty. */
  queries: AlarmMetricQuery[];
}

export interface AlarmMetricQuery {
  id: string;
  expression: string | null;
  label: string | null;
  namespace: string | null;
  name: string | null;
  statistic: string | null;
  dimensions: Record<string, string>;
  returnData: boolean;
}

export interface Alarm {
  /** From the message (AlarmName / detail.alarmName), never from the 100-char SNS Subject. */
  name: string;
  description: string | null;
  state: AlarmState;
  previousState: AlarmState | null;
  reason: string;
  /** ISO 8601 in UTC, e.g. 2026-11-25T03:12:45.148Z. */
  changedAt: string;
  /** Region code from the ARN (`ap-northeast-2`), not the display name. */
  region: string;
  accountId: string;
  arn: string;
  source: AlarmSource;
  /** SNS envelope MessageId, or null for raw/EventBridge delivery. */
  messageId: string | null;
  /** Null for composite alarms. */
  metric: AlarmMetric | null;
  /** Composite alarms: ARNs of the children that triggered it. */
  children: string[];
  /** Composite alarms: the AlarmRule expression. */
  rule: string | null;
  /** EC2 instance id from the dimensions, or null. */
  hostId: string | null;
}

/** One state change as it arrived, kept with the incident (bounded history). */
export interface AlarmTransition {
  state: AlarmState;
  at: string;
  reason: string;
}

export type IncidentStatus = "open" | "resolved";

/**
 * State changes of one alarm ARN grouped: ALARM opens an incident, OK resolves it, and flapping
 * (ALARM again while open) increments `flaps` instead of adding rows.
 */
export interface Incident {
  /** `${arn}#${openedAt}`: stable for the life of the incident. */
  id: string;
  arn: string;
  name: string;
  hostId: string | null;
  status: IncidentStatus;
  /** The latest alarm (state, reason, metric) of this incident. */
  alarm: Alarm;
  openedAt: string;
  resolvedAt: string | null;
  lastChangeAt: string;
  flaps: number;
  acknowledged: boolean;
  history: AlarmTransition[];
}

/** A message body that is not a valid alarm: kept (never dropped) until the user removes it. */
export interface UnparsedEntry {
  id: string;
  receivedAt: string;
  /** SQS MessageId. */
  messageId: string | null;
  error: string;
  /** The raw body: whole up to 1 MiB (the SQS maximum); a longer one is cut there (see `bodyBytes`). */
  body: string;
  /** Present when `body` was cut: the size of the whole body in UTF-8 bytes. */
  bodyBytes?: number;
}

export interface IncidentFilter {
  status?: IncidentStatus | "all";
  state?: AlarmState;
  hostId?: string;
  /** Case-insensitive substring of the alarm name or host. */
  text?: string;
  limit?: number;
}

/** What the diagnosis graph's fetch node needs from the store. */
export interface IncidentSource {
  listIncidents(filter?: IncidentFilter): Incident[];
}
