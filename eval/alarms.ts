// CloudWatch alarm messages as SNS delivers them to SQS (the envelope with the alarm JSON in
// `Message`), for the evaluation's scenarios: any namespace, metric, statistic and dimensions,
// with the state-change reason CloudWatch writes from recent datapoints.
import { randomUUID } from "node:crypto";

export interface AlarmSpec {
  name: string;
  description: string;
  namespace: string;
  metric: string;
  statistic: "Average" | "Maximum" | "Minimum" | "Sum" | "SampleCount";
  dimensions: Record<string, string>;
  comparison: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
  threshold: number;
  unit?: string;
  /** Seconds per datapoint (default 60). */
  period?: number;
  /** The latest datapoints, newest first; as many as the evaluation periods. */
  datapoints: number[];
}

export interface AlarmContext {
  region: string;
  regionName: string;
  account: string;
  topic: string;
  now: Date;
}

export const EVAL_ALARM_CONTEXT: Omit<AlarmContext, "now"> = {
  region: "ap-northeast-2",
  regionName: "Asia Pacific (Seoul)",
  account: "123456789012",
  topic: "ops-cloudwatch-alarms",
};

/** CloudWatch's time format in alarm messages: `2026-11-25T03:12:45.148+0000`. */
function cloudWatchTime(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}

/** `25/11/26 03:11:00`: how CloudWatch writes datapoint times in NewStateReason (UTC). */
function datapointTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(date.getUTCDate())}/${two(date.getUTCMonth() + 1)}/${two(date.getUTCFullYear() % 100)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:00`;
}

const COMPARISON_WORDS: Record<AlarmSpec["comparison"], string> = {
  GreaterThanThreshold: "greater than",
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

function reason(spec: AlarmSpec, now: Date): string {
  const period = (spec.period ?? 60) * 1000;
  const end = Math.floor(now.getTime() / period) * period;
  const points = spec.datapoints.map((value, i) => `${value} (${datapointTime(new Date(end - (i + 1) * period))})`).join(", ");
  const n = spec.datapoints.length;
  const verb = n === 1 ? "was" : "were";
  return (
    `Threshold Crossed: ${n} out of the last ${n} datapoints [${points}] ${verb} ${COMPARISON_WORDS[spec.comparison]} the threshold ` +
    `(${spec.threshold.toFixed(1)}) (minimum ${n} datapoint${n === 1 ? "" : "s"} for OK -> ALARM transition).`
  );
}

/** The alarm JSON CloudWatch publishes (the SNS `Message`), going OK → ALARM at `context.now`. */
export function alarmMessage(spec: AlarmSpec, context: AlarmContext): string {
  const arn = `arn:aws:cloudwatch:${context.region}:${context.account}:alarm:${spec.name}`;
  const topicArn = `arn:aws:sns:${context.region}:${context.account}:${context.topic}`;
  return JSON.stringify({
    AlarmName: spec.name,
    AlarmDescription: spec.description,
    AWSAccountId: context.account,
    AlarmConfigurationUpdatedTimestamp: cloudWatchTime(new Date(context.now.getTime() - 41 * 86_400_000)),
    NewStateValue: "ALARM",
    NewStateReason: reason(spec, context.now),
    StateChangeTime: cloudWatchTime(context.now),
    Region: context.regionName,
    AlarmArn: arn,
    OldStateValue: "OK",
    OKActions: [topicArn],
    AlarmActions: [topicArn],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: spec.metric,
      Namespace: spec.namespace,
      StatisticType: "Statistic",
      Statistic: spec.statistic.toUpperCase(),
      Unit: spec.unit ?? null,
      Dimensions: Object.entries(spec.dimensions).map(([name, value]) => ({ value, name })),
      Period: spec.period ?? 60,
      EvaluationPeriods: spec.datapoints.length,
      DatapointsToAlarm: spec.datapoints.length,
      ComparisonOperator: spec.comparison,
      Threshold: spec.threshold,
      TreatMissingData: "missing",
      EvaluateLowSampleCountPercentile: "",
    },
  });
}

/** The SQS body an SNS subscription delivers: the envelope around the alarm message. */
export function snsAlarmBody(spec: AlarmSpec, context: AlarmContext): string {
  const subject = `ALARM: "${spec.name}" in ${context.regionName}`;
  const topicArn = `arn:aws:sns:${context.region}:${context.account}:${context.topic}`;
  return JSON.stringify({
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: topicArn,
    // SNS cuts the Subject at 100 characters.
    Subject: subject.length > 100 ? `${subject.slice(0, 97)}...` : subject,
    Message: alarmMessage(spec, context),
    Timestamp: context.now.toISOString(),
    SignatureVersion: "1",
    Signature: "EXAMPLEsignature/evaluation==",
    SigningCertURL: `https://sns.${context.region}.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000.pem`,
    UnsubscribeURL: `https://sns.${context.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${randomUUID()}`,
  });
}
