// Incidents shaped as the store keeps them, for the presentation tests of the Alarms view.
import type { Alarm, AlarmState, Incident, UnparsedEntry } from "../../../src/alarms/model";
import { makeAlarm } from "./samples";

/** The sample CPU alarm (samples.ts makeAlarm) as the Alarms view shows it: with a description and CloudWatch's reason. */
export function alarm(overrides: Partial<Alarm> = {}): Alarm {
  return makeAlarm({
    name: "prod-web-01-cpu-high",
    description: "CPU > 80% for 3 of 3 minutes",
    reason: "Threshold Crossed: 3 out of the last 3 datapoints [97.35 (25/11/26 03:11:00), 94.01 (25/11/26 03:10:00)] were greater than the threshold (80.0).",
    changedAt: "2026-11-25T03:12:45.148Z",
    source: "sns",
    messageId: "m-1",
    ...overrides,
  });
}

export function incident(overrides: Partial<Incident> & { state?: AlarmState; alarm?: Alarm } = {}): Incident {
  const { state, ...rest } = overrides;
  const a = overrides.alarm ?? alarm(state ? { state } : {});
  return {
    id: `${a.arn}#${a.changedAt}`,
    arn: a.arn,
    name: a.name,
    hostId: a.hostId,
    status: a.state === "OK" ? "resolved" : "open",
    alarm: a,
    openedAt: a.changedAt,
    resolvedAt: a.state === "OK" ? a.changedAt : null,
    lastChangeAt: a.changedAt,
    flaps: 0,
    acknowledged: false,
    history: [{ state: a.state, at: a.changedAt, reason: a.reason }],
    ...rest,
  };
}

export function unparsed(overrides: Partial<UnparsedEntry> = {}): UnparsedEntry {
  return {
    id: "u-1",
    receivedAt: "2026-11-25T03:15:00.000Z",
    messageId: "sqs-1",
    error: "Unexpected end of JSON input",
    body: '{"Type":"Notification","Message":"{\\"AlarmName',
    ...overrides,
  };
}
