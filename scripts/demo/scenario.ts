// The demo's scenario: this machine plays the EC2 instance `demo-host`, and CloudWatch's CPU alarm
// for it is the repository's sample 01 (tests/unit/alarms/samples) rewritten with the demo host's
// instance id, names and a fresh time — the exact message CloudWatch publishes to SNS.
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { sample } from "../../test/unit/alarms/samples";

export const DEMO_HOST = "demo-host";
export const DEMO_REGION = "ap-northeast-2";
export const DEMO_ACCOUNT = "123456789012";
export const DEMO_TOPIC = "atl-demo-cw-alarms";
export const DEMO_QUEUE = "atl-demo-alarms";
export const DEMO_ALARM_NAME = `${DEMO_HOST}-cpu-high`;

/**
 * A stable EC2-style instance id for this machine (`i-0` and 16 hex digits from its host name),
 * so repeated demos on one machine show the same host.
 */
export function demoInstanceId(machine = hostname()): string {
  return `i-0${createHash("sha256").update(`atl-demo:${machine}`).digest("hex").slice(0, 16)}`;
}

/** CloudWatch's time format in alarm messages: `2026-11-25T03:12:45.148+0000`. */
function cloudWatchTime(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}

/** `25/11/26 03:11:00`: how CloudWatch writes datapoint times in NewStateReason (UTC). */
function datapointTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(date.getUTCDate())}/${two(date.getUTCMonth() + 1)}/${two(date.getUTCFullYear() % 100)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:00`;
}

export interface DemoAlarm {
  /** The alarm JSON CloudWatch publishes (the SNS Message). */
  message: string;
  /** The SNS Subject CloudWatch sets. */
  subject: string;
  name: string;
  instanceId: string;
  changedAt: Date;
}

/** The CPU alarm of `demo-host` going OK → ALARM at `now`. */
export function demoCpuAlarm(instanceId: string, now = new Date()): DemoAlarm {
  const envelope = JSON.parse(sample("01-ec2-cpu-alarm.json")) as { Message: string };
  const message = JSON.parse(envelope.Message) as Record<string, unknown> & { Trigger: Record<string, unknown> };
  const minute = (back: number): Date => new Date(Math.floor(now.getTime() / 60_000) * 60_000 - back * 60_000);
  const arnPrefix = `arn:aws:cloudwatch:${DEMO_REGION}:${DEMO_ACCOUNT}:alarm:`;
  const topicArn = `arn:aws:sns:${DEMO_REGION}:${DEMO_ACCOUNT}:${DEMO_TOPIC}`;
  Object.assign(message, {
    AlarmName: DEMO_ALARM_NAME,
    AlarmDescription: `CPU > 80% for 3 of 3 minutes on ${DEMO_HOST} (${instanceId}). ATL demo: a runaway process is staged on this machine.`,
    AWSAccountId: DEMO_ACCOUNT,
    NewStateValue: "ALARM",
    OldStateValue: "OK",
    NewStateReason:
      `Threshold Crossed: 3 out of the last 3 datapoints [99.2 (${datapointTime(minute(1))}), 98.7 (${datapointTime(minute(2))}), ` +
      `97.9 (${datapointTime(minute(3))})] were greater than the threshold (80.0) (minimum 3 datapoints for OK -> ALARM transition).`,
    StateChangeTime: cloudWatchTime(now),
    AlarmArn: `${arnPrefix}${DEMO_ALARM_NAME}`,
    OKActions: [topicArn],
    AlarmActions: [topicArn],
  });
  message.Trigger.Dimensions = [{ value: instanceId, name: "InstanceId" }];
  return {
    message: JSON.stringify(message),
    subject: `ALARM: "${DEMO_ALARM_NAME}" in Asia Pacific (Seoul)`,
    name: DEMO_ALARM_NAME,
    instanceId,
    changedAt: now,
  };
}
