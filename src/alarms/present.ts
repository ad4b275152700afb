// How an incident reads in the Alarms view: description (metric vs threshold, age), tooltip
// Markdown with every alarm field escaped, and the AWS Console link. No `vscode` import, so the
// rules that keep attacker-controlled alarm text inert are tested under plain node.
import { formatDateTime } from "../shared/format";
import type { Translate } from "../shared/l10n";
import type { AlarmMetric, AlarmState, Incident } from "./model";

/** Longest piece of one alarm field shown in a tooltip (reasons can be kilobytes of attacker text). */
const FIELD_LIMIT = 600;

/** Control characters and line separators become single spaces (one line of text). */
export function flatten(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 ? " " : ch;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

/**
 * Untrusted text as one line of a tooltip's MarkdownString (not the report's markdownLiteral,
 * which keeps lines and escapes less so a pasted ticket reads well): renders exactly as written: every ASCII punctuation
 * character is backslash-escaped (CommonMark allows it for all of them), which disables emphasis,
 * links, autolinks, raw HTML and theme icons; line breaks become spaces; long text is cut.
 */
export function markdownTooltipText(text: string, limit = FIELD_LIMIT): string {
  const flat = flatten(text);
  const cut = flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
  return cut.replace(/[!-/:-@[-`{-~]/g, "\\$&");
}

const COMPARISON: Record<string, string> = {
  GreaterThanThreshold: ">",
  GreaterThanOrEqualToThreshold: "≥",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "≤",
  LessThanLowerOrGreaterThanUpperThreshold: "outside band",
  GreaterThanUpperThreshold: "> band",
  LessThanLowerThreshold: "< band",
};

/** First datapoint quoted in a CloudWatch reason: `… [97.35 (25/11/26 03:11:00), …]` → 97.35. */
export function latestDatapoint(reason: string): number | null {
  const match = /\[(-?\d+(?:\.\d+)?(?:E[+-]?\d+)?) \(/i.exec(reason);
  if (!match?.[1]) {
    return null;
  }
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : null;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

/** `CPUUtilization 97.35 > 80`, `mem_used_percent ≥ 90`, or null when there is no single metric. */
export function metricSummary(metric: AlarmMetric | null, reason: string): string | null {
  if (!metric) {
    return null;
  }
  const name = metric.name ?? metric.queries.find((q) => q.returnData)?.label ?? metric.queries.find((q) => q.returnData)?.id ?? null;
  const op = metric.comparison ? (COMPARISON[metric.comparison] ?? metric.comparison) : null;
  const parts: string[] = [];
  if (name) {
    parts.push(name);
  }
  const value = latestDatapoint(reason);
  if (value !== null) {
    parts.push(formatNumber(value));
  }
  if (op && metric.threshold !== null) {
    parts.push(`${op} ${formatNumber(metric.threshold)}`);
  }
  return parts.length > 0 ? parts.join(" ") : null;
}

/** "now", "5 min. ago", "3 hr. ago" in the display language (Intl, no strings to translate). */
export function relativeTime(iso: string, now: Date, locale: string): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) {
    return "";
  }
  const seconds = Math.round((then - now.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
  const abs = Math.abs(seconds);
  if (abs < 45) {
    return format.format(0, "second");
  }
  if (abs < 45 * 60) {
    return format.format(Math.round(seconds / 60), "minute");
  }
  if (abs < 22 * 3600) {
    return format.format(Math.round(seconds / 3600), "hour");
  }
  return format.format(Math.round(seconds / 86400), "day");
}

export function incidentDescription(incident: Incident, now: Date, locale: string, t: Translate): string {
  const parts: string[] = [];
  const alarm = incident.alarm;
  const metric = metricSummary(alarm.metric, alarm.reason);
  if (metric) {
    parts.push(metric);
  } else if (alarm.children.length > 0 || alarm.rule) {
    parts.push(t("composite"));
  }
  parts.push(relativeTime(incident.lastChangeAt, now, locale));
  if (incident.flaps > 0) {
    parts.push(t("flapped {0}×", incident.flaps));
  }
  if (incident.acknowledged) {
    parts.push(t("acknowledged"));
  }
  return parts.filter((p) => p.length > 0).join(" · ");
}

function stateLabel(state: AlarmState, t: Translate): string {
  switch (state) {
    case "ALARM":
      return t("In alarm");
    case "OK":
      return t("OK");
    case "INSUFFICIENT_DATA":
      return t("Insufficient data");
  }
}

/**
 * The tooltip as Markdown source. Every value taken from the alarm goes through markdownTooltipText;
 * only our own labels are Markdown. The caller must keep the MarkdownString untrusted, with HTML
 * and theme icons off.
 */
export function incidentTooltipMarkdown(incident: Incident, hostName: string | null, locale: string, t: Translate): string {
  const a = incident.alarm;
  const lines: string[] = [];
  lines.push(`**${markdownTooltipText(a.name)}**`);
  lines.push(`${markdownTooltipText(stateLabel(a.state, t))}${a.previousState ? ` ${markdownTooltipText(t("(was {0})", a.previousState))}` : ""}`);
  if (a.description) {
    lines.push(markdownTooltipText(a.description));
  }
  lines.push(`*${markdownTooltipText(t("Reason"))}:* ${markdownTooltipText(a.reason)}`);
  const metric = metricSummary(a.metric, a.reason);
  if (a.metric) {
    const dims = Object.entries(a.metric.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    const detail = [a.metric.namespace, metric, a.metric.statistic, dims].filter((p): p is string => !!p && p.length > 0).join(" · ");
    lines.push(`*${markdownTooltipText(t("Metric"))}:* ${markdownTooltipText(detail)}`);
  }
  if (a.rule) {
    lines.push(`*${markdownTooltipText(t("Rule"))}:* ${markdownTooltipText(a.rule)}`);
  }
  if (hostName) {
    lines.push(`*${markdownTooltipText(t("Host"))}:* ${markdownTooltipText(incident.hostId && hostName !== incident.hostId ? `${hostName} (${incident.hostId})` : hostName)}`);
  } else if (incident.hostId) {
    // Said here, before anyone clicks: ATL will not diagnose it on another host.
    lines.push(`*${markdownTooltipText(t("Host"))}:* ${markdownTooltipText(t("{0} — not in atl.hosts", incident.hostId))}`);
  }
  lines.push(`*${markdownTooltipText(t("Changed"))}:* ${markdownTooltipText(formatDateTime(a.changedAt, locale))}`);
  if (incident.status === "resolved" && incident.resolvedAt) {
    lines.push(`*${markdownTooltipText(t("Resolved"))}:* ${markdownTooltipText(formatDateTime(incident.resolvedAt, locale))}`);
  } else {
    lines.push(`*${markdownTooltipText(t("Open since"))}:* ${markdownTooltipText(formatDateTime(incident.openedAt, locale))}`);
  }
  if (incident.flaps > 0) {
    lines.push(markdownTooltipText(t("Flapped {0} times while open.", incident.flaps)));
  }
  if (incident.acknowledged) {
    lines.push(markdownTooltipText(t("Acknowledged.")));
  }
  lines.push(`*${markdownTooltipText(t("Account"))}:* ${markdownTooltipText(`${a.accountId} · ${a.region}`)}`);
  lines.push(markdownTooltipText(a.arn, 300));
  // Two trailing spaces would be fragile; a blank line between fields renders as separate paragraphs.
  return lines.join("\n\n");
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * The CloudWatch console page of an alarm. The region becomes part of the host name, so it is
 * checked against the region-code pattern (an alarm could carry `evil.example/` as its region);
 * the name is percent-encoded into the fragment. null when the region is not a region code.
 */
export function consoleUrl(region: string, alarmName: string, arn?: string): string | null {
  if (!REGION.test(region)) {
    return null;
  }
  const partition = arn?.split(":")[1] ?? "aws";
  const domain =
    partition === "aws-cn" ? `${region}.console.amazonaws.cn` : partition === "aws-us-gov" ? `console.amazonaws-us-gov.com` : `${region}.console.aws.amazon.com`;
  return `https://${domain}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

/** Most recent first. */
export function byLastChange(a: Incident, b: Incident): number {
  return b.lastChangeAt.localeCompare(a.lastChangeAt);
}

/**
 * Text for a notification message. VS Code turns `[label](command:…)` in a notification into a
 * clickable link that runs the command, so an alarm name must never form one: a zero-width space
 * between `]` and `(` keeps the text readable and the link inert. Line breaks are flattened.
 */
export function notificationText(text: string, limit = 200): string {
  const flat = flatten(text);
  const cut = flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
  return cut.replace(/\]\s*\(/g, "]\u200b(");
}
