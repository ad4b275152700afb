// parseAlarmMessage against every sample body (the expected parse of ../shared/samples/alarms/README.md),
// the traps of the real formats, and bodies that are broken or hostile.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Alarm } from "../../../src/alarms/model";
import { parseAlarmMessage, type ParseResult } from "../../../src/alarms/parse";
import { ARN_PREFIX, CPU_ARN, SAMPLE_FILES, WEB_01, sample, type SampleFile } from "./samples";

function parsed(file: SampleFile): Alarm {
  const result = parseAlarmMessage(sample(file));
  assert.ok(result.ok, `${file}: ${result.ok ? "" : result.error}`);
  return result.alarm;
}

function failure(body: string): Extract<ParseResult, { ok: false }> {
  const result = parseAlarmMessage(body);
  assert.ok(!result.ok, "expected a parse failure");
  return result;
}

void describe("parseAlarmMessage: the sample bodies", () => {
  void it("01 SNS envelope: EC2 CPU alarm with every CLI-contract field", () => {
    assert.deepEqual(parsed("01-ec2-cpu-alarm.json"), {
      name: "prod-web-01-cpu-high",
      description: "CPU > 80% for 3 of 3 minutes on prod-web-01 (i-0a1b2c3d4e5f67890)",
      state: "ALARM",
      previousState: "OK",
      reason:
        "Threshold Crossed: 3 out of the last 3 datapoints [97.35 (25/11/26 03:11:00), 94.0166666666667 (25/11/26 03:10:00), 88.9 (25/11/26 03:09:00)] were greater than the threshold (80.0) (minimum 3 datapoints for OK -> ALARM transition).",
      changedAt: "2026-11-25T03:12:45.148Z",
      region: "ap-northeast-2",
      accountId: "123456789012",
      arn: CPU_ARN,
      source: "sns",
      messageId: "8c1c4f4e-1d0a-5d7e-9a53-3f2a7f0d2b11",
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
    });
  });

  void it("02 raw delivery: the body is the alarm itself, no envelope, no SNS MessageId", () => {
    const alarm = parsed("02-cwagent-mem-used-percent-alarm-raw.json");
    assert.equal(alarm.source, "raw");
    assert.equal(alarm.messageId, null);
    assert.equal(alarm.name, "prod-api-02-mem-used-percent-high");
    assert.equal(alarm.hostId, "i-0f9e8d7c6b5a43210");
    assert.equal(alarm.metric?.namespace, "CWAgent");
    assert.equal(alarm.metric?.name, "mem_used_percent");
    assert.equal(alarm.metric?.comparison, "GreaterThanOrEqualToThreshold");
    assert.deepEqual(alarm.metric?.dimensions, { InstanceId: "i-0f9e8d7c6b5a43210", ImageId: "ami-0c9c942bd7bf113a2", InstanceType: "m6i.large" });
  });

  void it("03 takes the name from the message, not the Subject cut at 100 characters", () => {
    const body = sample("03-cwagent-disk-used-percent-alarm.json");
    assert.match((JSON.parse(body) as { Subject: string }).Subject, /\.\.\."/);
    const alarm = parsed("03-cwagent-disk-used-percent-alarm.json");
    assert.equal(alarm.name, "prod-db-01 CWAgent disk_used_percent /var/lib/postgresql (nvme1n1 xfs) above 85 percent");
    assert.equal(alarm.hostId, "i-0123456789abcdef0");
    assert.equal(alarm.metric?.dimensions.path, "/var/lib/postgresql");
    assert.equal(alarm.metric?.statistic, "MAXIMUM");
    assert.equal(alarm.metric?.threshold, 85);
  });

  void it("04 status check failed", () => {
    const alarm = parsed("04-ec2-status-check-failed-alarm.json");
    assert.equal(alarm.metric?.name, "StatusCheckFailed");
    assert.equal(alarm.metric?.threshold, 1);
    assert.equal(alarm.hostId, "i-07a6b5c4d3e2f1a0b");
  });

  void it("05 recovery: same ARN as 01, OK after ALARM", () => {
    const alarm = parsed("05-ec2-cpu-ok-recovery.json");
    assert.equal(alarm.arn, CPU_ARN);
    assert.equal(alarm.state, "OK");
    assert.equal(alarm.previousState, "ALARM");
    assert.equal(alarm.changedAt, "2026-11-25T03:31:45.012Z");
  });

  void it("06 INSUFFICIENT_DATA with a null description", () => {
    const alarm = parsed("06-cwagent-mem-insufficient-data.json");
    assert.equal(alarm.state, "INSUFFICIENT_DATA");
    assert.equal(alarm.description, null);
    assert.equal(alarm.reason, "Insufficient Data: 1 datapoint was unknown.");
  });

  void it("07 metric math: host and namespace from Trigger.Metrics[].MetricStat", () => {
    const alarm = parsed("07-metric-math-alarm.json");
    assert.equal(alarm.hostId, WEB_01);
    assert.equal(alarm.metric?.namespace, "AWS/EC2");
    assert.equal(alarm.metric?.name, "Total network bytes");
    assert.equal(alarm.metric?.threshold, 5_000_000_000);
    assert.deepEqual(
      alarm.metric?.queries.map((q) => [q.id, q.expression, q.name, q.statistic, q.returnData]),
      [
        ["e1", "m1+m2", null, null, true],
        ["m1", null, "NetworkIn", "Sum", false],
        ["m2", null, "NetworkOut", "Sum", false],
      ],
    );
  });

  void it("08 composite: no metric, the rule and the triggering children", () => {
    const alarm = parsed("08-composite-alarm.json");
    assert.equal(alarm.metric, null);
    assert.equal(alarm.hostId, null);
    assert.deepEqual(alarm.children, [CPU_ARN]);
    assert.equal(alarm.rule, 'ALARM("prod-web-01-cpu-high") OR ALARM("prod-worker-07-status-check-failed")');
  });

  void it("09 EventBridge: dimensions as an object, threshold from the reasonData JSON string", () => {
    const alarm = parsed("09-eventbridge-alarm-state-change.json");
    assert.equal(alarm.source, "eventbridge");
    assert.equal(alarm.messageId, null);
    assert.equal(alarm.name, "prod-web-01-cpu-high");
    assert.equal(alarm.arn, CPU_ARN);
    assert.equal(alarm.state, "ALARM");
    assert.equal(alarm.previousState, "OK");
    assert.equal(alarm.changedAt, "2026-11-25T03:12:45.148Z");
    assert.equal(alarm.region, "ap-northeast-2");
    assert.equal(alarm.hostId, WEB_01);
    assert.equal(alarm.metric?.name, "CPUUtilization");
    assert.equal(alarm.metric?.threshold, 80);
    assert.equal(alarm.metric?.statistic, "Average");
    assert.deepEqual(alarm.metric?.dimensions, { InstanceId: WEB_01 });
  });

  void it("10 truncated body: rejected as malformed with one line, without throwing", () => {
    const result = failure(sample("10-malformed-truncated-body.json"));
    assert.equal(result.kind, "malformed");
    assert.match(result.error, /not valid JSON/);
    assert.doesNotMatch(result.error, /\n/);
  });

  void it("every sample: region is a code from the ARN, changedAt is ISO UTC", () => {
    for (const file of SAMPLE_FILES.filter((f) => !f.startsWith("10"))) {
      const alarm = parsed(file);
      assert.equal(alarm.region, "ap-northeast-2", file);
      assert.match(alarm.changedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, file);
      assert.ok(alarm.arn.startsWith(ARN_PREFIX), file);
    }
  });
});

void describe("parseAlarmMessage: other real shapes", () => {
  const cpu = JSON.parse((JSON.parse(sample("01-ec2-cpu-alarm.json")) as { Message: string }).Message) as Record<string, unknown>;
  const envelope = (message: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ Type: "Notification", MessageId: "m-1", TopicArn: "arn:aws:sns:ap-northeast-2:123456789012:t", Message: message, ...extra });

  void it("converts any StateChangeTime offset to UTC", () => {
    const result = parseAlarmMessage(JSON.stringify({ ...cpu, StateChangeTime: "2026-11-25T12:12:45.148+0900" }));
    assert.ok(result.ok);
    assert.equal(result.alarm.changedAt, "2026-11-25T03:12:45.148Z");
  });

  void it("reads the region from a China or GovCloud ARN", () => {
    const result = parseAlarmMessage(JSON.stringify({ ...cpu, AlarmArn: "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:x", Region: "China (Beijing)" }));
    assert.ok(result.ok);
    assert.equal(result.alarm.region, "cn-north-1");
  });

  void it("EventBridge delivered through SNS keeps the SNS MessageId", () => {
    const result = parseAlarmMessage(envelope(sample("09-eventbridge-alarm-state-change.json")));
    assert.ok(result.ok);
    assert.equal(result.alarm.source, "sns");
    assert.equal(result.alarm.messageId, "m-1");
    assert.equal(result.alarm.hostId, WEB_01);
  });

  void it("EventBridge composite alarm: children from reasonData.triggeringAlarms", () => {
    const event = JSON.parse(sample("09-eventbridge-alarm-state-change.json")) as { detail: Record<string, unknown>; resources: string[] };
    event.resources = [`${ARN_PREFIX}tier`];
    event.detail = {
      alarmName: "tier",
      state: {
        value: "ALARM",
        reason: "child transitioned",
        reasonData: JSON.stringify({ triggeringAlarms: [{ arn: CPU_ARN, state: { value: "ALARM", timestamp: "2026-11-25T03:12:45.148+0000" } }] }),
        timestamp: "2026-11-25T03:13:00.000+0000",
      },
      configuration: { alarmRule: "ALARM(prod-web-01-cpu-high)", description: null },
    };
    const result = parseAlarmMessage(JSON.stringify(event));
    assert.ok(result.ok);
    assert.equal(result.alarm.metric, null);
    assert.deepEqual(result.alarm.children, [CPU_ARN]);
    assert.equal(result.alarm.rule, "ALARM(prod-web-01-cpu-high)");
  });

  void it("the CloudWatch → Lambda alarm payload forwarded into the queue", () => {
    const event = JSON.parse(sample("09-eventbridge-alarm-state-change.json")) as { detail: unknown };
    const payload = { source: "aws.cloudwatch", alarmArn: CPU_ARN, accountId: "123456789012", time: "2026-11-25T03:12:45.148+0000", region: "ap-northeast-2", alarmData: event.detail };
    const result = parseAlarmMessage(JSON.stringify(payload));
    assert.ok(result.ok);
    assert.equal(result.alarm.name, "prod-web-01-cpu-high");
    assert.equal(result.alarm.hostId, WEB_01);
  });

  void it("an extended statistic (p99) and an instance id that is not EC2's", () => {
    const trigger = { ...(cpu.Trigger as object), Statistic: undefined, ExtendedStatistic: "p99", Dimensions: [{ name: "InstanceId", value: "not-an-instance" }] };
    const result = parseAlarmMessage(JSON.stringify({ ...cpu, Trigger: trigger }));
    assert.ok(result.ok);
    assert.equal(result.alarm.metric?.statistic, "p99");
    assert.equal(result.alarm.hostId, null);
  });
});

void describe("parseAlarmMessage: not alarms, broken and hostile bodies", () => {
  const cases: [string, string, "malformed" | "not-an-alarm", RegExp][] = [
    ["empty body", "  ", "malformed", /Empty/],
    ["plain text", "hello from the console", "malformed", /not valid JSON/],
    ["a JSON array", "[1,2]", "not-an-alarm", /not an object/],
    ["some other JSON", '{"order":42}', "not-an-alarm", /fields of a CloudWatch alarm/],
    [
      "an SNS subscription confirmation",
      JSON.stringify({ Type: "SubscriptionConfirmation", MessageId: "x", TopicArn: "t", Message: "You have chosen to subscribe", SubscribeURL: "https://…" }),
      "not-an-alarm",
      /subscription confirmation/,
    ],
    ["an SNS test message in plain text", JSON.stringify({ Type: "Notification", MessageId: "x", TopicArn: "t", Message: "test" }), "not-an-alarm", /plain text/],
    ["an SNS Message cut short", JSON.stringify({ Type: "Notification", MessageId: "x", TopicArn: "t", Message: '{"AlarmName":"a' }), "malformed", /SNS Message is not valid JSON/],
    ["an EventBridge event of another kind", JSON.stringify({ "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2", detail: {} }), "not-an-alarm", /not "CloudWatch Alarm State Change"/],
    ["an alarm without its state", JSON.stringify({ AlarmName: "a", AlarmArn: CPU_ARN, StateChangeTime: "2026-11-25T03:12:45.148+0000" }), "malformed", /NewStateValue is missing/],
    ["an alarm with an unknown state", JSON.stringify({ AlarmName: "a", AlarmArn: CPU_ARN, NewStateValue: "PANIC", StateChangeTime: "2026-11-25T03:12:45.148+0000" }), "malformed", /NewStateValue should be one of ALARM, OK, INSUFFICIENT_DATA/],
    ["an alarm with a bad time", JSON.stringify({ AlarmName: "a", AlarmArn: CPU_ARN, NewStateValue: "OK", StateChangeTime: "yesterday" }), "malformed", /StateChangeTime "yesterday" is not a timestamp/],
    ["an alarm with a bad ARN", JSON.stringify({ AlarmName: "a", AlarmArn: "arn:aws:sqs:x", NewStateValue: "OK", StateChangeTime: "2026-11-25T03:12:45Z" }), "malformed", /not a CloudWatch alarm ARN/],
  ];
  for (const [title, body, kind, message] of cases) {
    void it(title, () => {
      const result = failure(body);
      assert.equal(result.kind, kind);
      assert.match(result.error, message);
    });
  }

  void it("never echoes more than a short, escaped snippet of attacker text", () => {
    const hostile = `arn:aws:evil:${"A".repeat(5000)}\n\u001b[31mRUN rm -rf /`;
    const result = failure(JSON.stringify({ AlarmName: "a", AlarmArn: hostile, NewStateValue: "OK", StateChangeTime: "2026-11-25T03:12:45Z" }));
    assert.ok(result.error.length < 200, result.error);
    assert.ok(!result.error.includes("\n") && !result.error.includes("\u001b"), result.error);
  });

  void it("keeps a broken inner Message on one line (V8 quotes the input in its JSON errors)", () => {
    // Found by the corruption property below: an escape turned into a newline inside the Message.
    const body = JSON.stringify({ Type: "Notification", MessageId: "m-1", Message: '{"ComparisonOperator":\nGreaterThan\u2028\u001b[31m' });
    const result = failure(body);
    assert.match(result.error, /^The SNS Message is not valid JSON \(Unexpected token 'G'\)/);
    assert.ok(!["\n", "\u2028", "\u001b"].some((c) => result.error.includes(c)), result.error);
    assert.ok(!result.error.includes("reaterThan"), `quotes attacker text: ${result.error}`);
  });

  void it("names the SQS message in the error when it is known", () => {
    const result = parseAlarmMessage("{", { sqsMessageId: "abc-123" });
    assert.ok(!result.ok);
    assert.match(result.error, /SQS message "abc-123"/);
  });

  void it("never throws, whatever the body (random strings and JSON)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        const result = parseAlarmMessage(body);
        assert.equal(typeof result.ok, "boolean");
      }),
      { numRuns: 2000 },
    );
  });

  void it("never throws on any truncation or corruption of a real body", () => {
    const bodies = SAMPLE_FILES.map((f) => sample(f));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bodies.length - 1 }), fc.nat(), fc.string({ maxLength: 3 }), (i, cut, noise) => {
        const body = bodies[i];
        const at = cut % (body.length + 1);
        const result = parseAlarmMessage(body.slice(0, at) + noise + body.slice(at + noise.length));
        if (!result.ok) {
          assert.doesNotMatch(result.error, /\n/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
