// Renderers of the thread's read-only parts: the alarm card, progress, command runs, analysis,
// answers, alarm lists, usage, reports and errors. Alarm fields and command output are attacker-
// controlled: they only ever become text nodes; ATL's formatted text (summaries, findings, answers)
// becomes text nodes and <code> (dom.ts richNodes).
import { formatDateTime, hostLabel, pluralForm } from "../shared/format";
import { button, h, richNodes, type Child } from "./dom";
import type { RichText } from "../shared/richText";
import {
  format,
  type Alarm,
  type ApprovalDecision,
  type DiagnosisEvent,
  type HostChoice,
  type NodeName,
  type ReportAction,
  type Severity,
  type StringKey,
  type ThreadHeader,
  type ThreadStatus,
  type WebviewStrings,
} from "./protocol";

export type EventOf<K extends DiagnosisEvent["type"]> = Extract<DiagnosisEvent, { type: K }>;
type CommandRun = EventOf<"command-finished">["run"];

/** What renderers need from the app. */
export interface RenderContext {
  s: WebviewStrings;
  locale: string;
  hosts: HostChoice[];
  report(action: ReportAction): void;
  pickHost(hostId: string): void;
  diagnoseIncident(incidentId: string): void;
}

const NODE_KEYS: Record<NodeName, StringKey> = {
  receive: "nodeReceive",
  generate: "nodeGenerate",
  approval: "nodeApproval",
  execute: "nodeExecute",
  analyze: "nodeAnalyze",
  answer: "nodeAnswer",
  fetch: "nodeFetch",
};

const STATUS_KEYS: Record<ThreadStatus, StringKey> = {
  "waiting-approval": "statusWaitingApproval",
  running: "statusRunning",
  done: "statusDone",
  rejected: "statusRejected",
  "needs-host": "statusNeedsHost",
  failed: "statusFailed",
  answered: "statusAnswered",
};

const SEVERITY_KEYS: Record<Severity, StringKey> = {
  info: "severityInfo",
  low: "severityLow",
  medium: "severityMedium",
  high: "severityHigh",
  critical: "severityCritical",
};

const COMPARISONS: Record<string, string> = {
  GreaterThanThreshold: ">",
  GreaterThanOrEqualToThreshold: "≥",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "≤",
  LessThanLowerOrGreaterThanUpperThreshold: "outside",
  LessThanLowerThreshold: "<",
  GreaterThanUpperThreshold: ">",
};

export function nodeLabel(s: WebviewStrings, node: NodeName): string {
  return s[NODE_KEYS[node]];
}

export function statusLabel(s: WebviewStrings, status: ThreadStatus): string {
  return s[STATUS_KEYS[status]];
}

export function severityBadge(s: WebviewStrings, severity: Severity): HTMLElement {
  return h("span", { class: `badge severity sev-${severity}`, attrs: { title: s.severity } }, s[SEVERITY_KEYS[severity]]);
}

/** Text longer than this (characters, or lines) shows its beginning and a Show all button. */
export const COLLAPSE_CHARS = 600;
export const COLLAPSE_LINES = 8;

/**
 * Untrusted text that may be huge (an alarm description can be 200 kB): the beginning, and the
 * whole only when asked for, so one field cannot make a 30,000 px card or stall the panel.
 */
export function longText(s: WebviewStrings, text: string, className: string): HTMLElement {
  const lines = text.split("\n");
  if (text.length <= COLLAPSE_CHARS && lines.length <= COLLAPSE_LINES) {
    return h("span", { class: `${className} pre-wrap` }, text);
  }
  const head = lines.slice(0, COLLAPSE_LINES).join("\n").slice(0, COLLAPSE_CHARS).trimEnd();
  const characters = text.length.toLocaleString(document.documentElement.lang || undefined);
  const body = h("span", { class: "pre-wrap" }, `${head}…`);
  const toggle = h("button", { class: "link-button", attrs: { type: "button", "aria-expanded": "false" } }, format(s.showAll, characters));
  toggle.addEventListener("click", () => {
    const expanded = toggle.getAttribute("aria-expanded") === "true";
    body.textContent = expanded ? `${head}…` : text;
    toggle.textContent = expanded ? format(s.showAll, characters) : s.showLess;
    toggle.setAttribute("aria-expanded", String(!expanded));
  });
  return h("span", { class: `${className} collapsible collapsed`, attrs: { "data-length": String(text.length) } }, body, " ", toggle);
}

function field(label: string, ...value: Child[]): HTMLElement {
  return h("div", { class: "field" }, h("dt", {}, label), h("dd", {}, ...value));
}

/** `CPUUtilization (AWS/EC2) Average > 80 for 2 × 300 s` */
export function metricText(alarm: Alarm): string | null {
  const metric = alarm.metric;
  if (!metric) {
    return null;
  }
  const parts: string[] = [];
  const name = metric.name ?? metric.queries.find((q) => q.returnData)?.label ?? metric.queries.find((q) => q.returnData)?.expression ?? "?";
  parts.push(metric.namespace ? `${name} (${metric.namespace})` : name);
  if (metric.statistic) {
    parts.push(metric.statistic);
  }
  if (metric.comparison || metric.threshold !== null) {
    parts.push(`${COMPARISONS[metric.comparison ?? ""] ?? metric.comparison ?? ""} ${metric.threshold ?? "?"}`.trim());
  }
  if (metric.evaluationPeriods && metric.period) {
    parts.push(`(${metric.evaluationPeriods} × ${metric.period} s)`);
  }
  return parts.join(" ");
}

export function renderHeader(ctx: RenderContext, header: ThreadHeader): HTMLElement {
  const { s } = ctx;
  const alarm = header.alarm;
  const hostText = header.host ? hostLabel(header.host) : alarm?.hostId ?? s.noHost;
  if (!alarm) {
    return h(
      "section",
      { class: "card header-card", attrs: { "aria-label": s.question } },
      h("h1", { class: "title" }, header.title),
      h("dl", { class: "fields" }, field(s.host, hostText), header.question ? field(s.question, longText(s, header.question, "question")) : null, field(s.time, formatDateTime(header.createdAt, ctx.locale))),
    );
  }
  const metric = metricText(alarm);
  const dimensions = Object.entries(alarm.metric?.dimensions ?? {}).map(([k, v]) => `${k}=${v}`);
  return h(
    "section",
    { class: `card header-card alarm-card state-${alarm.state}`, attrs: { "aria-label": s.alarm } },
    h("div", { class: "title-row" }, h("span", { class: `badge state state-${alarm.state}` }, alarm.state), h("h1", { class: "title alarm-name" }, alarm.name)),
    alarm.description ? h("p", { class: "description" }, longText(s, alarm.description, "description-text")) : null,
    h(
      "dl",
      { class: "fields" },
      field(s.state, alarm.previousState ? `${alarm.previousState} → ${alarm.state}` : alarm.state),
      metric ? field(s.metric, h("span", { class: "metric" }, metric), dimensions.length > 0 ? h("span", { class: "dimensions" }, ` ${dimensions.join(", ")}`) : null) : null,
      alarm.rule ? field(s.metric, h("code", {}, alarm.rule)) : null,
      field(s.reason, longText(s, alarm.reason, "reason")),
      field(s.time, h("time", { attrs: { datetime: alarm.changedAt } }, formatDateTime(alarm.changedAt, ctx.locale))),
      field(s.host, hostText),
      field(s.region, `${alarm.region} · ${s.account} ${alarm.accountId}`),
    ),
  );
}

export function renderUser(s: WebviewStrings, text: string): HTMLElement {
  return h("div", { class: "entry user" }, h("div", { class: "who" }, s.you), h("div", { class: "bubble pre-wrap" }, text));
}

export function renderDecision(s: WebviewStrings, locale: string, decision: ApprovalDecision): HTMLElement {
  if (decision.kind === "reject") {
    return h("div", { class: "entry decision rejected" }, h("div", { class: "who" }, s.you), h("div", { class: "bubble pre-wrap" }, format(s.decisionRejected, decision.reason)));
  }
  const count = decision.commandIds.length + (decision.add?.length ?? 0);
  const lines: Child[] = [h("div", {}, format(pluralForm(count, locale, { one: s.decisionApprovedOne, other: s.decisionApprovedOther }), count))];
  for (const edit of decision.edits ?? []) {
    lines.push(h("div", { class: "mono" }, format(s.decisionEdited, edit.command)));
  }
  for (const command of decision.add ?? []) {
    lines.push(h("div", { class: "mono" }, format(s.decisionAdded, command)));
  }
  return h("div", { class: "entry decision approved" }, h("div", { class: "who" }, s.you), h("div", { class: "bubble" }, ...lines));
}

/** A node's progress line; `finish` marks it done. */
export function renderNodeStep(s: WebviewStrings, node: NodeName): HTMLElement {
  return h("div", { class: "entry step running", attrs: { "data-node": node } }, h("span", { class: "step-icon", attrs: { "aria-hidden": "true" } }), h("span", {}, nodeLabel(s, node)));
}

export function renderProgress(message: string): HTMLElement {
  return h("div", { class: "entry progress" }, message);
}

const RUN_STATUS_KEYS: Record<CommandRun["status"], StringKey> = {
  ok: "runOk",
  failed: "runFailed",
  refused: "runRefused",
  timeout: "runTimeout",
  error: "runError",
  skipped: "runSkipped",
};

/** A command row: "running…" until its result fills it. */
export function renderRunStarted(s: WebviewStrings, id: string, command: string): HTMLElement {
  return h(
    "section",
    { class: "entry run running", attrs: { "data-command-id": id, "aria-busy": "true" } },
    h("div", { class: "run-head" }, h("code", { class: "cmd" }, `$ ${command}`), h("span", { class: "chip run-status" }, s.commandRunning)),
  );
}

function lineCount(text: string): number {
  if (text.length === 0) {
    return 0;
  }
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

export function fillRun(s: WebviewStrings, row: HTMLElement, run: CommandRun): void {
  row.className = `entry run status-${run.status}`;
  row.removeAttribute("aria-busy");
  row.setAttribute("data-command-id", run.id);
  row.replaceChildren();
  const meta: Child[] = [h("span", { class: `chip run-status status-${run.status}` }, s[RUN_STATUS_KEYS[run.status]])];
  if (run.exitCode !== null) {
    meta.push(h("span", { class: "exit-code" }, format(s.exitCode, run.exitCode)));
  }
  if (run.signal) {
    meta.push(h("span", { class: "signal" }, run.signal));
  }
  meta.push(h("span", { class: "duration" }, format(s.duration, Math.round(run.durationMs))));
  if (run.truncated) {
    meta.push(h("span", { class: "badge truncated", attrs: { title: s.truncated } }, s.truncated));
  }
  row.append(h("div", { class: "run-head" }, h("code", { class: "cmd" }, `$ ${run.command}`), h("span", { class: "run-meta" }, ...meta)));
  if (run.reason) {
    row.append(h("div", { class: "run-reason pre-wrap" }, run.reason));
  }
  const lines = lineCount(run.stdout) + lineCount(run.stderr);
  if (run.status === "refused" || run.status === "skipped") {
    return;
  }
  const details = h(
    "details",
    { class: "output" },
    h("summary", {}, `${s.output} (${lines})`),
    run.stdout.length > 0 ? h("pre", { class: "stdout", attrs: { "aria-label": s.stdout } }, run.stdout) : null,
    run.stderr.length > 0 ? h("pre", { class: "stderr", attrs: { "aria-label": s.stderr } }, run.stderr) : null,
    lines === 0 ? h("div", { class: "muted" }, s.noOutput) : null,
    run.truncated ? h("div", { class: "truncated-marker" }, `… ${s.truncated}`) : null,
  );
  // Failures open by default: that output is what the user needs to read.
  details.open = run.status !== "ok" && lines > 0;
  row.append(details);
}

export function renderAnalysis(s: WebviewStrings, analysis: EventOf<"analysis">["analysis"]): HTMLElement {
  const findings = analysis.findings.map((finding) =>
    h(
      "li",
      { class: `finding sev-${finding.severity}` },
      h("div", { class: "finding-head" }, severityBadge(s, finding.severity), h("strong", { class: "finding-title rich" }, ...richNodes(finding.title))),
      finding.detail.length > 0 ? h("div", { class: "finding-detail rich" }, ...richNodes(finding.detail)) : null,
      finding.evidence.length > 0
        ? h(
            "div",
            { class: "evidence", attrs: { "aria-label": s.evidence } },
            ...finding.evidence.map((e) => h("figure", { class: "evidence-item" }, h("figcaption", { class: "mono" }, `$ ${e.command}`), h("pre", {}, e.excerpt))),
          )
        : null,
    ),
  );
  return h(
    "section",
    { class: `entry card analysis sev-${analysis.severity}`, attrs: { "aria-label": s.analysisTitle } },
    h("h2", {}, s.analysisTitle, " ", severityBadge(s, analysis.severity)),
    analysis.fallbackReason ? h("div", { class: "note warning" }, format(s.fallback, analysis.fallbackReason)) : null,
    h("h3", {}, s.summary),
    h("div", { class: "summary rich" }, ...richNodes(analysis.summary)),
    findings.length > 0 ? h("h3", {}, s.findings) : null,
    findings.length > 0 ? h("ul", { class: "findings" }, ...findings) : null,
    analysis.nextSteps.length > 0 ? h("h3", {}, s.nextSteps) : null,
    analysis.nextSteps.length > 0 ? h("ol", { class: "next-steps" }, ...analysis.nextSteps.map((step) => h("li", { class: "rich" }, ...richNodes(step)))) : null,
  );
}

export function renderAnswer(s: WebviewStrings, text: RichText): HTMLElement {
  return h("section", { class: "entry card answer", attrs: { "aria-label": s.answerTitle } }, h("div", { class: "rich" }, ...richNodes(text)));
}

export function renderAlarms(ctx: RenderContext, event: EventOf<"alarms">): HTMLElement {
  const { s } = ctx;
  const title = h("h2", {}, format(s.alarmsTitle, event.query));
  if (event.incidents.length === 0) {
    return h("section", { class: "entry card alarms" }, title, h("p", { class: "muted" }, s.alarmsNone));
  }
  const rows = event.incidents.map((incident) =>
    h(
      "tr",
      {},
      h("td", {}, h("span", { class: `badge state state-${incident.alarm.state}` }, incident.alarm.state)),
      h("td", { class: "alarm-name" }, incident.name),
      h("td", {}, incident.hostId ?? "—"),
      h("td", {}, h("time", { attrs: { datetime: incident.lastChangeAt } }, formatDateTime(incident.lastChangeAt, ctx.locale))),
      h("td", {}, incident.status === "open" ? s.open : s.resolved),
      h("td", {}, button(s.diagnose, () => ctx.diagnoseIncident(incident.id), { class: "secondary", attrs: { "aria-label": `${s.diagnose}: ${incident.name}` } })),
    ),
  );
  return h(
    "section",
    { class: "entry card alarms" },
    title,
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, s.state), h("th", {}, s.alarm), h("th", {}, s.host), h("th", {}, s.time), h("th", {}, ""), h("th", {}, ""))),
      h("tbody", {}, ...rows),
    ),
  );
}

export function renderHostNeeded(ctx: RenderContext, event: EventOf<"host-needed">): HTMLElement {
  const { s } = ctx;
  const choices = event.candidates.length > 0 ? event.candidates : ctx.hosts;
  const buttons = choices.map((host) =>
    button(format(s.pickHost, host.name), () => ctx.pickHost(host.id), { class: "secondary host-choice", attrs: { "data-host-id": host.id, title: host.id } }),
  );
  return h(
    "section",
    { class: "entry card host-needed", attrs: { "aria-label": s.hostNeededTitle } },
    h("h2", {}, s.hostNeededTitle),
    h("p", {}, longText(s, event.message, "message")),
    h("div", { class: "actions" }, ...buttons),
  );
}

export function renderHostPicked(s: WebviewStrings, host: { name: string; id: string }): HTMLElement {
  return h("div", { class: "entry decision" }, h("div", { class: "who" }, s.you), h("div", { class: "bubble" }, format(s.hostPicked, hostLabel(host))));
}

export function renderUsage(s: WebviewStrings, usage: EventOf<"usage">["usage"], locale: string): HTMLElement {
  const n = (value: number): string => value.toLocaleString(locale);
  const cost = usage.costUsd === null ? "" : ` · ${format(s.usageCost, usage.costUsd < 0.01 ? usage.costUsd.toFixed(4) : usage.costUsd.toFixed(2))}`;
  return h(
    "div",
    { class: "entry usage", attrs: { "aria-label": s.usage } },
    format(s.usageLine, n(usage.totalTokens), n(usage.promptTokens), n(usage.completionTokens), format(pluralForm(usage.calls, locale, { one: s.usageCallsOne, other: s.usageCallsOther }), n(usage.calls)), usage.model) + cost,
  );
}

export function renderReport(ctx: RenderContext): HTMLElement {
  const { s } = ctx;
  return h(
    "section",
    { class: "entry card report" },
    h("span", {}, s.reportReady),
    h(
      "div",
      { class: "actions" },
      button(s.openReport, () => ctx.report("open"), { class: "secondary", attrs: { "data-action": "open-report" } }),
      button(s.saveReport, () => ctx.report("save"), { class: "secondary", attrs: { "data-action": "save-report" } }),
      button(s.copyReport, () => ctx.report("copy"), { class: "secondary", attrs: { "data-action": "copy-report" } }),
    ),
  );
}

export function renderError(s: WebviewStrings, message: string): HTMLElement {
  return h("div", { class: "entry error", attrs: { role: "alert" } }, h("strong", {}, s.errorTitle, ": "), longText(s, message, "message"), h("div", { class: "muted" }, s.threadUsable));
}
