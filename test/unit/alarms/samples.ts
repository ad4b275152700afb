// The CloudWatch alarm message bodies of ../shared/samples/alarms (copied into the repo so CI has
// them), and a builder for alarms in tests. Other suites import these too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Alarm } from "../../../src/alarms/model";

export const SAMPLES_DIR = join(import.meta.dirname, "samples");

export const SAMPLE_FILES = [
  "01-ec2-cpu-alarm.json",
  "02-cwagent-mem-used-percent-alarm-raw.json",
  "03-cwagent-disk-used-percent-alarm.json",
  "04-ec2-status-check-failed-alarm.json",
  "05-ec2-cpu-ok-recovery.json",
  "06-cwagent-mem-insufficient-data.json",
  "07-metric-math-alarm.json",
  "08-composite-alarm.json",
  "09-eventbridge-alarm-state-change.json",
  "10-malformed-truncated-body.json",
] as const;

export type SampleFile = (typeof SAMPLE_FILES)[number];

/** The exact body SQS returns for a sample. */
export function sample(file: SampleFile): string {
  return readFileSync(join(SAMPLES_DIR, file), "utf8");
}

export const ARN_PREFIX = "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:";
export const CPU_ARN = `${ARN_PREFIX}prod-web-01-cpu-high`;
export const WEB_01 = "i-0a1b2c3d4e5f67890";

/** A metric alarm with sensible defaults; override what the test is about. */
export function makeAlarm(overrides: Partial<Alarm> & { name?: string } = {}): Alarm {
  const name = overrides.name ?? "test-cpu-high";
  return {
    name,
    description: null,
    state: "ALARM",
    previousState: "OK",
    reason: "Threshold Crossed",
    changedAt: "2026-11-25T03:00:00.000Z",
    region: "ap-northeast-2",
    accountId: "123456789012",
    arn: `${ARN_PREFIX}${name}`,
    source: "raw",
    messageId: null,
    metric: {
      namespace: "AWS/EC2",
      name: "CPUUtilization",
      statistic: "AVERAGE",
      threshold: 80,
      comparison: "GreaterThanThreshold",
      dimensions: { InstanceId: WEB_01 },
      period: 60,
      evaluationPeriods: 3,
      queries: [],
    },
    children: [],
    rule: null,
    hostId: WEB_01,
    ...overrides,
  };
}

/** `base` shifted by `minutes`, as an ISO string. */
export function at(minutes: number, base = "2026-11-25T03:00:00.000Z"): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString();
}

/**
 * The CloudWatch message of sample 01 (an EC2 CPU alarm) for another alarm name, instance, state
 * or time: what an alarm storm on several hosts publishes through SNS.
 */
export function cpuAlarmMessage(
  options: { name?: string; instanceId?: string; description?: string | null; state?: "ALARM" | "OK"; at?: string } = {},
): string {
  const message = JSON.parse((JSON.parse(sample("01-ec2-cpu-alarm.json")) as { Message: string }).Message) as Record<string, unknown> & { Trigger: Record<string, unknown> };
  const state = options.state ?? "ALARM";
  const name = options.name ?? "prod-web-01-cpu-high";
  const instanceId = options.instanceId ?? WEB_01;
  return JSON.stringify({
    ...message,
    AlarmName: name,
    AlarmDescription: options.description === undefined ? `CPU > 80% for 3 of 3 minutes on ${instanceId}` : options.description,
    AlarmArn: `${ARN_PREFIX}${name}`,
    NewStateValue: state,
    OldStateValue: state === "ALARM" ? "OK" : "ALARM",
    NewStateReason: state === "ALARM" ? message.NewStateReason : "Threshold Crossed: 1 out of the last 3 datapoints [12.5 (25/11/26 03:20:00)] was not greater than the threshold (80.0).",
    StateChangeTime: (options.at ?? new Date().toISOString()).replace("Z", "+0000"),
    Trigger: { ...message.Trigger, Dimensions: [{ value: instanceId, name: "InstanceId" }] },
  });
}
