// Incidents shaped as the store keeps them, for the presentation tests of the Alarms view.
import type { Alarm, AlarmState, Incident, UnparsedEntry } from "../../../src/alarms/model";

export function alarm(overrides: Partial<Alarm> = {}): Alarm {
  const name = overrides.name ?? "prod-web-01-cpu-high";
  return {
    name,
    description: "CPU > 80% for 3 of 3 minutes",
    state: "ALARM",
    previousState: "OK",
    reason:
      "Threshold Crossed: 3 out of the last 3 datapoints [97.35 (25/11/26 03:11:00), 94.01 (25/11/26 03:10:00)] were greater than the threshold (80.0).",
    changedAt: "2026-11-25T03:12:45.148Z",
    region: "ap-northeast-2",
    accountId: "123456789012",
    arn: `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:${name}`,
    source: "sns",
    messageId: "m-1",
    metric: {
      namespace: "AWS/EC2",
      name: "CPUUtilization",
      statistic: "AVERAGE",
      threshold: 80,
      comparison: "GreaterThanThreshold",
      dimensions: { InstanceId: "i-0a1b2c3d4e5f67890" },
      period: 60,
      evaluationPeriods: 3,
      queries: [],
    },
    children: [],
    rule: null,
    hostId: "i-0a1b2c3d4e5f67890",
    ...overrides,
  };
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
