// Turns one SQS message body into the normalized Alarm, for every way a CloudWatch alarm reaches a
// queue: SNS envelope, SNS raw delivery, EventBridge "CloudWatch Alarm State Change" (directly or
// wrapped in SNS). Bodies are attacker-controlled: validated with zod, never evaluated, and error
// messages quote them only in short, escaped snippets.
import * as z from "zod/mini";
import type { Alarm, AlarmMetric, AlarmMetricQuery, AlarmSource, AlarmState } from "./model";

export type ParseFailureKind = "malformed" | "not-an-alarm";

export type ParseResult = { ok: true; alarm: Alarm } | { ok: false; error: string; kind: ParseFailureKind };

export interface ParseMeta {
  /** Only used to name the message in error texts. */
  sqsMessageId?: string;
}

const ALARM_STATES = ["ALARM", "OK", "INSUFFICIENT_DATA"] as const;

/** `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:NAME` (also aws-cn, aws-us-gov, …). */
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:.+$/;
/** CloudWatch writes `2026-11-25T03:12:45.148+0000`; EventBridge `2026-11-25T03:12:45Z`. */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

// The schemas are built on the first parse, not when the module loads: dist/extension.js loads this
// module at activation, and building them there cost several milliseconds before the first paint.
function buildSchemas() {
  const text = z.nullish(z.string());
  const num = z.nullish(z.number());
  const state = z.enum(ALARM_STATES);

  // ---- CloudWatch alarm message (the SNS Message, or the whole body with raw delivery) ----

  const dimensionList = z.nullish(z.array(z.object({ name: z.string(), value: z.string() })));

  const metricQuery = z.object({
    Id: z.string(),
    Expression: text,
    Label: text,
    ReturnData: z.nullish(z.boolean()),
    MetricStat: z.nullish(
      z.object({
        Metric: z.object({ Namespace: text, MetricName: text, Dimensions: dimensionList }),
        Period: num,
        Stat: text,
      }),
    ),
  });

  const trigger = z.object({
    MetricName: text,
    Namespace: text,
    Statistic: text,
    ExtendedStatistic: text,
    Dimensions: dimensionList,
    Period: num,
    EvaluationPeriods: num,
    ComparisonOperator: text,
    Threshold: num,
    Metrics: z.nullish(z.array(metricQuery)),
  });

  const cloudWatchMessage = z.object({
    AlarmName: z.string().check(z.minLength(1)),
    AlarmDescription: text,
    AWSAccountId: text,
    NewStateValue: state,
    NewStateReason: text,
    StateChangeTime: z.string(),
    AlarmArn: z.string(),
    OldStateValue: z.nullish(state),
    Trigger: z.nullish(trigger),
    AlarmRule: text,
    TriggeringChildren: z.nullish(z.array(z.object({ Arn: z.string() }))),
  });

  // ---- EventBridge "CloudWatch Alarm State Change" (also the CloudWatch → Lambda payload's alarmData) ----

  const ebState = z.object({ value: state, reason: text, reasonData: text, timestamp: text });

  const ebDetail = z.object({
    alarmName: z.string().check(z.minLength(1)),
    state: ebState,
    previousState: z.nullish(z.object({ value: z.nullish(state) })),
    configuration: z.nullish(
      z.object({
        description: text,
        alarmRule: text,
        metrics: z.nullish(
          z.array(
            z.object({
              id: z.string(),
              expression: text,
              label: text,
              returnData: z.nullish(z.boolean()),
              metricStat: z.nullish(
                z.object({
                  metric: z.object({ namespace: text, name: text, dimensions: z.nullish(z.record(z.string(), z.string())) }),
                  period: num,
                  stat: text,
                }),
              ),
            }),
          ),
        ),
      }),
    ),
  });

  const ebEvent = z.object({
    account: text,
    region: text,
    time: text,
    resources: z.nullish(z.array(z.string())),
    detail: ebDetail,
  });

  const lambdaAlarmPayload = z.object({
    alarmArn: z.string(),
    accountId: text,
    region: text,
    time: text,
    alarmData: ebDetail,
  });

  /** Only the fields EventBridge's `reasonData` JSON string may carry that we use. */
  const reasonData = z.object({
    threshold: num,
    statistic: text,
    triggeringAlarms: z.nullish(z.array(z.object({ arn: z.string() }))),
  });

  const snsEnvelope = z.object({
    Type: z.string(),
    MessageId: z.string().check(z.minLength(1)),
    TopicArn: text,
    Message: z.string(),
  });

  return { trigger, cloudWatchMessage, ebDetail, ebEvent, lambdaAlarmPayload, reasonData, snsEnvelope };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;

function schemas(): Schemas {
  built ??= buildSchemas();
  return built;
}

type CloudWatchMessage = z.infer<Schemas["cloudWatchMessage"]>;
type EbDetail = z.infer<Schemas["ebDetail"]>;

class ParseFailure extends Error {
  constructor(
    readonly kind: ParseFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** Parses one SQS message body; never throws. */
export function parseAlarmMessage(body: string, meta: ParseMeta = {}): ParseResult {
  try {
    return { ok: true, alarm: parseBody(body) };
  } catch (error) {
    if (error instanceof ParseFailure) {
      const where = meta.sqsMessageId ? ` (SQS message ${snippet(meta.sqsMessageId, 80)})` : "";
      return { ok: false, kind: error.kind, error: `${error.message}${where}` };
    }
    throw error;
  }
}

function parseBody(body: string): Alarm {
  if (body.trim() === "") {
    throw new ParseFailure("malformed", "Empty message body.");
  }
  const value = parseJson(body, "The message body");
  if (!isRecord(value)) {
    throw new ParseFailure("not-an-alarm", "The message body is JSON but not an object, so not a CloudWatch alarm.");
  }
  if (typeof value.Type === "string" && "Message" in value && ("TopicArn" in value || "MessageId" in value)) {
    return parseSnsEnvelope(value);
  }
  return parseInner(value, "raw", null);
}

function parseSnsEnvelope(value: Record<string, unknown>): Alarm {
  if (value.Type === "SubscriptionConfirmation" || value.Type === "UnsubscribeConfirmation") {
    throw new ParseFailure(
      "not-an-alarm",
      `SNS ${value.Type === "SubscriptionConfirmation" ? "subscription" : "unsubscribe"} confirmation, not an alarm.`,
    );
  }
  const envelope = validate(schemas().snsEnvelope, value, "SNS envelope");
  if (envelope.Type !== "Notification") {
    throw new ParseFailure("not-an-alarm", `SNS message of type ${snippet(envelope.Type, 40)}, not a Notification.`);
  }
  const message = envelope.Message.trim();
  if (!message.startsWith("{")) {
    throw new ParseFailure("not-an-alarm", "SNS notification whose Message is plain text, not a CloudWatch alarm.");
  }
  const inner = parseJson(message, "The SNS Message");
  if (!isRecord(inner)) {
    throw new ParseFailure("not-an-alarm", "SNS notification whose Message is not a JSON object.");
  }
  return parseInner(inner, "sns", envelope.MessageId);
}

/** The alarm itself: a CloudWatch alarm message, an EventBridge event, or the Lambda action payload. */
function parseInner(value: Record<string, unknown>, source: "sns" | "raw", messageId: string | null): Alarm {
  if ("detail-type" in value) {
    const detailType = value["detail-type"];
    if (detailType !== "CloudWatch Alarm State Change") {
      throw new ParseFailure(
        "not-an-alarm",
        `EventBridge event ${typeof detailType === "string" ? snippet(detailType, 60) : "without a detail-type"}, not "CloudWatch Alarm State Change".`,
      );
    }
    const event = validate(schemas().ebEvent, value, "EventBridge event");
    const arn = (event.resources ?? []).find((r) => ALARM_ARN.test(r));
    if (!arn) {
      throw new ParseFailure("malformed", "EventBridge event: resources holds no CloudWatch alarm ARN.");
    }
    return fromEventBridge(event.detail, {
      arn,
      accountId: event.account ?? null,
      region: event.region ?? null,
      time: event.time ?? null,
      source: source === "sns" ? "sns" : "eventbridge",
      messageId,
    });
  }
  if ("alarmData" in value && "alarmArn" in value) {
    const payload = validate(schemas().lambdaAlarmPayload, value, "CloudWatch alarm payload");
    return fromEventBridge(payload.alarmData, {
      arn: payload.alarmArn,
      accountId: payload.accountId ?? null,
      region: payload.region ?? null,
      time: payload.time ?? null,
      source,
      messageId,
    });
  }
  if ("AlarmName" in value || "AlarmArn" in value || "NewStateValue" in value) {
    return fromCloudWatch(validate(schemas().cloudWatchMessage, value, source === "sns" ? "SNS Message" : "Alarm"), source, messageId);
  }
  throw new ParseFailure(
    "not-an-alarm",
    "JSON without the fields of a CloudWatch alarm (AlarmName, AlarmArn, NewStateValue) or of an EventBridge alarm event.",
  );
}

function fromCloudWatch(m: CloudWatchMessage, source: AlarmSource, messageId: string | null): Alarm {
  const arn = parseArn(m.AlarmArn, "AlarmArn");
  const metric = m.AlarmRule || !m.Trigger ? null : metricFromTrigger(m.Trigger);
  return {
    name: m.AlarmName,
    description: m.AlarmDescription || null,
    state: m.NewStateValue,
    previousState: m.OldStateValue ?? null,
    reason: m.NewStateReason ?? "",
    changedAt: toIsoUtc(m.StateChangeTime, "StateChangeTime"),
    region: arn.region,
    accountId: m.AWSAccountId || arn.accountId,
    arn: m.AlarmArn,
    source,
    messageId,
    metric,
    children: (m.TriggeringChildren ?? []).map((c) => c.Arn),
    rule: m.AlarmRule ?? null,
    hostId: metric ? hostFromMetric(metric) : null,
  };
}

function metricFromTrigger(t: z.infer<Schemas["trigger"]>): AlarmMetric {
  const queries: AlarmMetricQuery[] = (t.Metrics ?? []).map((q) => ({
    id: q.Id,
    expression: q.Expression ?? null,
    label: q.Label ?? null,
    namespace: q.MetricStat?.Metric.Namespace ?? null,
    name: q.MetricStat?.Metric.MetricName ?? null,
    statistic: q.MetricStat?.Stat ?? null,
    dimensions: dimensionsFromList(q.MetricStat?.Metric.Dimensions),
    returnData: q.ReturnData ?? false,
  }));
  const returned = queries.find((q) => q.returnData) ?? queries[0];
  return {
    namespace: t.Namespace ?? soleValue(queries.map((q) => q.namespace)),
    name: t.MetricName ?? (returned ? (returned.name ?? returned.label ?? returned.expression) : null),
    statistic: t.Statistic ?? t.ExtendedStatistic ?? returned?.statistic ?? null,
    threshold: t.Threshold ?? null,
    comparison: t.ComparisonOperator ?? null,
    dimensions: t.Dimensions ? dimensionsFromList(t.Dimensions) : mergeDimensions(queries),
    period: t.Period ?? null,
    evaluationPeriods: t.EvaluationPeriods ?? null,
    queries,
  };
}

interface EnvelopeFacts {
  arn: string;
  accountId: string | null;
  region: string | null;
  time: string | null;
  source: AlarmSource;
  messageId: string | null;
}

function fromEventBridge(d: EbDetail, facts: EnvelopeFacts): Alarm {
  const arn = parseArn(facts.arn, "alarm ARN");
  const data = parseReasonData(d.state.reasonData);
  const config = d.configuration;
  const composite = Boolean(config?.alarmRule) || (data?.triggeringAlarms?.length ?? 0) > 0;
  const queries: AlarmMetricQuery[] = (config?.metrics ?? []).map((q) => ({
    id: q.id,
    expression: q.expression ?? null,
    label: q.label ?? null,
    namespace: q.metricStat?.metric.namespace ?? null,
    name: q.metricStat?.metric.name ?? null,
    statistic: q.metricStat?.stat ?? null,
    dimensions: { ...(q.metricStat?.metric.dimensions ?? {}) },
    returnData: q.returnData ?? false,
  }));
  let metric: AlarmMetric | null = null;
  if (!composite && queries.length > 0) {
    const returned = queries.find((q) => q.returnData) ?? queries[0];
    const single = queries.length === 1 && returned.expression === null;
    metric = {
      namespace: returned.namespace ?? soleValue(queries.map((q) => q.namespace)),
      name: returned.name ?? returned.label ?? returned.expression,
      statistic: returned.statistic ?? data?.statistic ?? null,
      threshold: data?.threshold ?? null,
      // EventBridge does not carry the comparison operator.
      comparison: null,
      dimensions: mergeDimensions(queries),
      period: config?.metrics?.find((q) => q.id === returned.id)?.metricStat?.period ?? null,
      evaluationPeriods: null,
      // A single plain metric is not metric math: keep `queries` empty as for SNS messages.
      queries: single ? [] : queries,
    };
  }
  const timestamp = d.state.timestamp ?? facts.time;
  if (!timestamp) {
    throw new ParseFailure("malformed", "EventBridge event without a state timestamp.");
  }
  return {
    name: d.alarmName,
    description: config?.description || null,
    state: d.state.value,
    previousState: d.previousState?.value ?? null,
    reason: d.state.reason ?? "",
    changedAt: toIsoUtc(timestamp, "state.timestamp"),
    region: arn.region || facts.region || "",
    accountId: facts.accountId || arn.accountId,
    arn: facts.arn,
    source: facts.source,
    messageId: facts.messageId,
    metric,
    children: (data?.triggeringAlarms ?? []).map((a) => a.arn),
    rule: config?.alarmRule ?? null,
    hostId: metric ? hostFromMetric(metric) : null,
  };
}

/** `reasonData` is itself a JSON string; it only adds detail, so a bad one is ignored. */
function parseReasonData(raw: string | null | undefined): z.infer<Schemas["reasonData"]> | null {
  if (!raw) {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const result = schemas().reasonData.safeParse(value);
  return result.success ? result.data : null;
}

function hostFromMetric(metric: AlarmMetric): string | null {
  const candidates = [metric.dimensions.InstanceId, ...metric.queries.map((q) => q.dimensions.InstanceId)];
  return candidates.find((id): id is string => typeof id === "string" && INSTANCE_ID.test(id)) ?? null;
}

function dimensionsFromList(list: { name: string; value: string }[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of list ?? []) {
    out[d.name] = d.value;
  }
  return out;
}

/** Metric math: the dimensions of all queried metrics (first one wins on a clash). */
function mergeDimensions(queries: AlarmMetricQuery[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const q of queries) {
    for (const [k, v] of Object.entries(q.dimensions)) {
      if (!(k in out)) {
        out[k] = v;
      }
    }
  }
  return out;
}

function soleValue(values: (string | null)[]): string | null {
  const distinct = new Set(values.filter((v): v is string => v !== null));
  return distinct.size === 1 ? [...distinct][0] : null;
}

function parseArn(arn: string, field: string): { region: string; accountId: string } {
  const match = ALARM_ARN.exec(arn);
  if (!match) {
    throw new ParseFailure("malformed", `${field} ${snippet(arn, 80)} is not a CloudWatch alarm ARN.`);
  }
  return { region: match[1], accountId: match[2] };
}

/** `2026-11-25T03:12:45.148+0000` → `2026-11-25T03:12:45.148Z`. */
export function toIsoUtc(value: string, field: string): string {
  const match = TIMESTAMP.exec(value.trim());
  if (match) {
    const [, date, time, zone] = match;
    const offset = !zone || zone === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
    const ms = Date.parse(`${date}T${time.length === 5 ? `${time}:00` : time}${offset}`);
    if (!Number.isNaN(ms)) {
      return new Date(ms).toISOString();
    }
  }
  throw new ParseFailure("malformed", `${field} ${snippet(value, 40)} is not a timestamp.`);
}

function parseJson(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : "invalid JSON";
    // V8 quotes a slice of the input in its message (`Unexpected token 'G', ..."x":\nG"... is not
    // valid JSON`): keep only the part before it, and escape what is left of attacker text (the
    // token) so the error stays on one line.
    const before = detail.split(/,\s*(?:\.\.\.)?"/)[0];
    throw new ParseFailure("malformed", `${what} is not valid JSON (${oneLine(before)}); it may be truncated.`);
  }
}

function validate<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  // reportInput: to tell a missing field from a wrong one (the input is never quoted).
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) {
    return result.data;
  }
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join(".");
  throw new ParseFailure("malformed", `${what}: ${path ? `${path} ` : ""}${describeIssue(issue)}.`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if ("input" in issue && issue.input === undefined) {
    return "is missing";
  }
  switch (issue.code) {
    case "invalid_type":
      return `should be ${issue.expected}`;
    case "invalid_value":
      return `should be one of ${issue.values.map((v) => String(v)).join(", ")}`;
    case "too_small":
      return "is empty";
    default:
      return "is invalid";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Control and line-separator characters escaped as \uXXXX. */
function oneLine(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    out += control ? `\\u${code.toString(16).padStart(4, "0")}` : char;
  }
  return out;
}

/** Attacker text in an error message: short, on one line, quoted. */
function snippet(value: string, max: number): string {
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(short);
}

export function isAlarmState(value: unknown): value is AlarmState {
  return typeof value === "string" && (ALARM_STATES as readonly string[]).includes(value);
}
