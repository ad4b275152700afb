// Helpers both renderers use: the report's headline, the metric line, usage, and stripping
// terminal escapes and control characters from untrusted text.
import type { Alarm } from "../alarms/model";
import type { DiagnosisReport, Usage } from "../graph/diagnosis";

// CSI / OSC escape sequences and C0 controls other than tab and newline.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

/** Removes terminal escapes, control characters and bidi overrides; normalizes CRLF. */
export function cleanControl(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(ANSI, "").replace(CONTROL, "");
}

export function headline(report: DiagnosisReport): string {
  const host = report.host?.name;
  if (report.alarm) {
    return host ? `${report.alarm.name} on ${host}` : report.alarm.name;
  }
  if (report.question) {
    const q = report.question.length > 80 ? `${report.question.slice(0, 80)}…` : report.question;
    return host ? `${q} (${host})` : q;
  }
  return host ?? report.threadId;
}

export function metricLine(alarm: Alarm): string | null {
  const m = alarm.metric;
  if (!m) {
    return null;
  }
  const name = [m.namespace, m.name].filter(Boolean).join("/");
  const comparison = m.comparison ? ` ${comparisonSymbol(m.comparison)} ${m.threshold ?? "?"}` : "";
  const window = m.period ? ` (${m.statistic ?? ""} over ${m.period} s × ${m.evaluationPeriods ?? 1})` : m.statistic ? ` (${m.statistic})` : "";
  return `${name || "metric"}${comparison}${window}`;
}

function comparisonSymbol(op: string): string {
  switch (op) {
    case "GreaterThanThreshold":
      return ">";
    case "GreaterThanOrEqualToThreshold":
      return "≥";
    case "LessThanThreshold":
      return "<";
    case "LessThanOrEqualToThreshold":
      return "≤";
    default:
      return op;
  }
}

/** "1,234 tokens (1,000 in / 234 out), 3 calls, ≈ $0.0021 — gpt-4.1-mini" */
export function formatUsageLine(usage: Usage): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const cost = usage.costUsd === null ? "cost unknown" : `≈ $${usage.costUsd < 0.01 ? usage.costUsd.toFixed(4) : usage.costUsd.toFixed(2)}`;
  return `${n(usage.totalTokens)} tokens (${n(usage.promptTokens)} in / ${n(usage.completionTokens)} out), ${usage.calls} call${usage.calls === 1 ? "" : "s"}, ${cost} — ${usage.model}`;
}
