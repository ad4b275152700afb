// The Alarms view's text: alarm fields are attacker-controlled, so what reaches a Markdown tooltip
// or a notification must render as the same text and nothing else; links to the console must stay
// on the AWS console whatever the alarm says.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import MarkdownIt from "markdown-it";
import {
  consoleUrl,
  markdownTooltipText,
  incidentDescription,
  incidentTooltipMarkdown,
  latestDatapoint,
  metricSummary,
  notificationText,
  relativeTime,
} from "../../../src/alarms/present";
import { translate } from "../../../src/shared/l10n";
import { alarm, incident } from "./fixtures";

// The most permissive CommonMark renderer: raw HTML on, bare URLs linkified.
const md = new MarkdownIt({ html: true, linkify: true });

function textOf(html: string): string {
  return html
    .replace(/<\/?p>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .trim();
}

const HOSTILE = [
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  "[click me](command:workbench.action.terminal.new)",
  "![x](https://evil.example/pixel.png)",
  "see https://evil.example/login now",
  "**bold** _it_ `code` ~~gone~~ # heading",
  "$(zap) theme icon",
  "a\\b & c &amp; <b>d</b>",
  "- list item\n> quote\n\n1. one",
];

void describe("markdownTooltipText", () => {
  for (const text of HOSTILE) {
    void it(`renders ${JSON.stringify(text)} as its own text, with no tag, link or image`, () => {
      const html = md.render(markdownTooltipText(text));
      assert.doesNotMatch(html, /<(img|script|a|strong|em|code|s|h1|ul|ol|li|blockquote|b)\b/i);
      assert.equal(textOf(html), text.replace(/\s*\n+\s*/g, " ").replace(/ {2,}/g, " "));
    });
  }

  void it("cuts long text so a kilobyte reason does not flood the tooltip", () => {
    const escaped = markdownTooltipText("x".repeat(5000), 100);
    assert.equal(escaped.length, 101);
    assert.ok(escaped.endsWith("…"));
  });
});

void describe("incidentTooltipMarkdown", () => {
  void it("shows name, reason and description of a hostile alarm as text", () => {
    const hostile = incident({
      alarm: alarm({ name: "<img src=x onerror=alert(1)>", description: "[x](command:evil)", reason: "<script>alert(2)</script>" }),
    });
    const html = md.render(incidentTooltipMarkdown(hostile, null, "en", translate));
    assert.doesNotMatch(html, /<(img|script|a)\b/i);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /\[x\]\(command:evil\)/);
    assert.match(html, /&lt;script&gt;alert\(2\)&lt;\/script&gt;/);
  });

  void it("carries the facts an on-call engineer needs", () => {
    const html = md.render(incidentTooltipMarkdown(incident({ flaps: 2, acknowledged: true }), "prod-web-01", "en", translate));
    for (const fact of ["prod-web-01-cpu-high", "CPUUtilization 97.35 &gt; 80", "AWS/EC2", "InstanceId=i-0a1b2c3d4e5f67890", "prod-web-01 (i-0a1b2c3d4e5f67890)", "Flapped 2 times", "Acknowledged", "123456789012"]) {
      assert.ok(html.includes(fact), `tooltip lacks ${fact}: ${html}`);
    }
  });

  void it("says when the alarm's instance is not in the inventory (issue 17 item 13)", () => {
    const html = md.render(incidentTooltipMarkdown(incident(), null, "en", translate));
    assert.ok(html.includes("i-0a1b2c3d4e5f67890 — not in atl.hosts"), html);
  });
});

void describe("metric summary", () => {
  void it("reads the newest datapoint from the reason", () => {
    assert.equal(latestDatapoint(alarm().reason), 97.35);
    assert.equal(latestDatapoint("Insufficient Data: 1 datapoint was unknown."), null);
  });

  void it("says metric, value, comparison and threshold", () => {
    assert.equal(metricSummary(alarm().metric, alarm().reason), "CPUUtilization 97.35 > 80");
    const lower = alarm({ metric: { ...alarm().metric!, comparison: "LessThanOrEqualToThreshold", threshold: 10.5 }, reason: "no datapoints" });
    assert.equal(metricSummary(lower.metric, lower.reason), "CPUUtilization ≤ 10.5");
    assert.equal(metricSummary(null, ""), null);
  });

  void it("names a metric-math alarm by its returned expression", () => {
    const math = alarm({
      metric: {
        ...alarm().metric!,
        name: null,
        queries: [
          { id: "m1", expression: null, label: null, namespace: "AWS/EC2", name: "NetworkIn", statistic: "Sum", dimensions: {}, returnData: false },
          { id: "e1", expression: "m1+m2", label: "Total network", namespace: null, name: null, statistic: null, dimensions: {}, returnData: true },
        ],
      },
    });
    assert.equal(metricSummary(math.metric, math.reason), "Total network 97.35 > 80");
  });
});

void describe("incidentDescription", () => {
  const now = new Date("2026-11-25T03:17:45.148Z");
  void it("has metric vs threshold and the age", () => {
    assert.equal(incidentDescription(incident(), now, "en", translate), "CPUUtilization 97.35 > 80 · 5 min. ago");
  });
  void it("adds the flap counter and the acknowledged marker", () => {
    assert.equal(incidentDescription(incident({ flaps: 3, acknowledged: true }), now, "en", translate), "CPUUtilization 97.35 > 80 · 5 min. ago · flapped 3× · acknowledged");
  });
  void it("marks composite alarms", () => {
    const composite = incident({ alarm: alarm({ metric: null, children: ["arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:child"], rule: "ALARM(child)" }) });
    assert.equal(incidentDescription(composite, now, "en", translate), "composite · 5 min. ago");
  });
  void it("follows the display language", () => {
    assert.equal(relativeTime("2026-11-25T01:17:45.148Z", now, "ko"), "2시간 전");
  });
});

void describe("consoleUrl", () => {
  void it("opens the alarm's page in its region, the name percent-encoded", () => {
    assert.equal(
      consoleUrl("ap-northeast-2", "prod web #1/cpu?high&x"),
      "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#alarmsV2:alarm/prod%20web%20%231%2Fcpu%3Fhigh%26x",
    );
  });
  void it("uses the partition's console", () => {
    assert.match(consoleUrl("cn-north-1", "a", "arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a") ?? "", /^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    assert.match(consoleUrl("us-gov-west-1", "a", "arn:aws-us-gov:cloudwatch:us-gov-west-1:1:alarm:a") ?? "", /^https:\/\/console\.amazonaws-us-gov\.com\//);
  });
  void it("refuses a region that is not a region code (it would become the host name)", () => {
    for (const region of ["evil.example/", "evil.example#", "us-east-1.evil.example", "", "US-EAST-1"]) {
      assert.equal(consoleUrl(region, "a"), null, region);
    }
  });
});

void describe("notificationText", () => {
  void it("keeps [label](command:…) in an alarm name from becoming a link", () => {
    const text = notificationText("[Open](command:workbench.action.terminal.new) now");
    assert.doesNotMatch(text, /\]\s*\(/);
    assert.ok(text.startsWith("[Open]\u200b(command:"));
  });
  void it("is one line and bounded", () => {
    assert.equal(notificationText("a\nb\r\nc"), "a b c");
    assert.equal(notificationText("y".repeat(300), 50).length, 51);
  });
});
