// Built-in runbooks: diagnosis without an LLM. planFromAlarm / planFromText read what the alarm or
// the user's words are about (resources, several at once, or a broad sweep for a vague "slow") and
// choose bounded read-only commands: a USE snapshot of the whole host plus deeper looks at those
// resources. analyzeRuns reads their output with parsers, applies the rules of every resource and
// returns findings (each quoting the output it rests on), the culprit — only when the evidence ties
// it to what was asked — a summary, a severity and next steps. With an LLM, the same findings are
// its evidence and the same calibration applies.
import type { Alarm } from "../../alarms/model";
import type { MarkdownAnalysis as Analysis, CommandRun, Culprit, MarkdownFinding as Finding, Resource } from "../diagnosis";
import { BROAD_RESOURCES, commandLineOf, processIoSampler, RESOURCE_TITLES, resourceCommands, snapshotCommands, type RunbookCommand } from "./catalog";
import { collectFacts, type Facts } from "./facts";
import { sayer, type Language, type Say } from "./lang";
import { displayName } from "./parse/common";
import { isThreadName } from "./parse/system";
import { connectionRules } from "./rules/connections";
import { cpuRules } from "./rules/cpu";
import { diskFollowUp, diskRules } from "./rules/disk";
import { diskIoRules } from "./rules/diskio";
import { fileRules } from "./rules/files";
import { dnsRules, rebootRules, timeRules } from "./rules/host";
import { kernelRules } from "./rules/kernel";
import { memoryRules } from "./rules/memory";
import { networkRules } from "./rules/network";
import { processRules } from "./rules/processes";
import { serviceRules } from "./rules/services";
import { evidence, finding, isKernelThread, rank, type RuleContext, type RuleOutput } from "./rules/common";
import { targetForAlarm, targetForText, type Target } from "./target";
import { verdict } from "./verdict";

export type { RunbookCommand } from "./catalog";
export { targetForAlarm, targetForText, type Target } from "./target";
export type { Language } from "./lang";

export interface RunbookPlan {
  /** The resources looked into, joined with "+" ("file-descriptors+connections"), or "sweep" for a broad look. */
  runbook: string;
  rationale: string;
  commands: RunbookCommand[];
}

export interface AnalysisContext {
  alarm: Alarm | null;
  question: string | null;
  /** Language of the summary, findings and next steps (the report language). Default "en". */
  language?: Language;
  /** When the commands ran (to age the alarm against kernel events); default now. Replays pass the recording time. */
  now?: Date;
}

/** The runbook analysis, plus the commands worth running next (a second round the graph can propose). */
export interface RunbookAnalysis extends Analysis {
  furtherCommands: RunbookCommand[];
}

export interface PlanOptions {
  /** Language of the rationale and of each command's purpose and expected signal. Default "en". */
  language?: Language;
}

/** Commands beyond this are dropped from a plan (the snapshot and the first resources' commands win). */
const MAX_COMMANDS = 22;

const FOCUS: Record<Resource, [string, string]> = {
  cpu: ["CPU per process over an interval", "구간 동안의 프로세스별 CPU"],
  memory: ["who holds the memory, swapping and OOM kills", "메모리 점유 프로세스, 스와핑, OOM kill"],
  swap: ["swap areas and swapping", "스왑 영역과 스와핑"],
  "disk-space": ["the directories and files that fill the disk, and deleted files still open", "디스크를 채우는 디렉터리와 파일, 삭제됐지만 열린 파일"],
  inodes: ["the directories holding the most files", "파일이 가장 많은 디렉터리"],
  "disk-io": ["processes waiting on the disk (state D) over several samples", "여러 샘플에서 디스크를 기다리는(D 상태) 프로세스"],
  processes: ["processes and threads per command against pid_max", "pid_max 대비 명령별 프로세스·스레드"],
  zombies: ["zombies and their parents", "좀비와 그 부모"],
  "file-descriptors": ["open files per process against the limits", "한도 대비 프로세스별 열린 파일"],
  connections: ["connections per client, port and process, and listen queues", "클라이언트·포트·프로세스별 연결과 listen 큐"],
  network: ["interface errors, drops and retransmissions", "인터페이스 오류, 드롭, 재전송"],
  services: ["the service's state, log, process and port", "서비스 상태, 로그, 프로세스, 포트"],
  kernel: ["the kernel log", "커널 로그"],
  time: ["clock synchronisation", "시계 동기화"],
  dns: ["the resolver configuration and a lookup", "리졸버 설정과 이름 조회"],
  reboot: ["uptime, boots and what the previous boot logged last", "가동 시간, 부팅 기록, 이전 부팅의 마지막 기록"],
};

function plan(target: Target, why: string, language: Language): RunbookPlan {
  const say = sayer(language);
  const commands: RunbookCommand[] = [];
  const add = (list: RunbookCommand[]): void => {
    for (const command of list) {
      if (!commands.some((c) => c.command === command.command)) {
        commands.push(command);
      }
    }
  };
  add(snapshotCommands(language));
  const deeper = target.broad && target.resources.length === 0 ? BROAD_RESOURCES : [...target.resources, ...(target.broad ? BROAD_RESOURCES : [])];
  for (const resource of deeper) {
    add(resourceCommands(resource, target, language));
  }
  const subject = [
    target.service ? say(`service ${target.service}`, `서비스 ${target.service}`) : null,
    target.port ? say(`port ${target.port}`, `포트 ${target.port}`) : null,
    target.pid ? say(`pid ${target.pid}`, `pid ${target.pid}`) : null,
    target.path ? say(`path ${target.path}`, `경로 ${target.path}`) : null,
    target.lookup ? say(`name ${target.lookup}`, `이름 ${target.lookup}`) : null,
  ]
    .filter(Boolean)
    .join(", ");
  const focus = target.resources.map((r) => FOCUS[r][language === "ko" ? 1 : 0]);
  const deep = focus.length > 0 ? say(`, then ${focus.join("; ")}`, `, 그리고 ${focus.join("; ")}`) : target.broad ? say(", then disk waits, open files, connections and the network", ", 그리고 디스크 대기, 열린 파일, 연결, 네트워크") : "";
  return {
    runbook: target.resources.length > 0 ? target.resources.join("+") : "sweep",
    rationale: say(
      `${why}${subject ? ` (${subject})` : ""}: a snapshot of every resource's use, saturation and errors${deep}.`,
      `${why}${subject ? ` (${subject})` : ""}: 모든 자원의 사용률·포화·오류 스냅샷${deep}.`,
    ),
    commands: commands.slice(0, MAX_COMMANDS),
  };
}

function titles(resources: Resource[], language: Language): string {
  return resources.map((r) => RESOURCE_TITLES[r][language]).join(" + ");
}

export function planFromAlarm(alarm: Alarm, options: PlanOptions = {}): RunbookPlan {
  const language = options.language ?? "en";
  const say = sayer(language);
  const target = targetForAlarm(alarm);
  const metric = alarm.metric;
  const queried = metric ? metric.queries.filter((q) => q.name).map((q) => q.name).join(", ") : "";
  const watched = metric?.name
    ? `${metric.namespace ?? ""} ${metric.name}`.trim()
    : metric && metric.queries.length > 0
      ? say(`metric math over ${queried}`, `${queried}에 대한 지표 수식`)
      : alarm.children.length > 0 || alarm.rule
        ? say("a composite of child alarms", "하위 알람의 복합 알람")
        : say("an unknown metric", "알 수 없는 지표");
  const about = target.resources.length > 0 ? titles(target.resources, language) : say("every resource", "모든 자원");
  return plan(target, say(`The alarm on ${watched} is about ${about}`, `${watched} 알람: ${about}`), language);
}

export function planFromText(text: string, options: PlanOptions = {}): RunbookPlan | null {
  const language = options.language ?? "en";
  const say = sayer(language);
  const target = targetForText(text);
  if (target.resources.length === 0 && !target.broad) {
    return null;
  }
  const about = target.resources.length > 0 ? titles(target.resources, language) : say("a broad sweep", "전반 점검");
  const cues = target.reasons.slice(0, 4).join(", ");
  return plan(target, say(`${capitalize(about)} (from ${cues || "the request"})`, `${about} (${cues || "요청"}에서)`), language);
}

function mergeTargets(alarm: Alarm | null, question: string | null): Target {
  const fromText = question ? targetForText(question) : null;
  const fromAlarm = alarm ? targetForAlarm(alarm) : null;
  const target: Target = { resources: [], broad: false, reasons: [], alarm: alarm !== null };
  for (const t of [fromText, fromAlarm]) {
    if (!t) {
      continue;
    }
    for (const r of t.resources) {
      if (!target.resources.includes(r)) {
        target.resources.push(r);
      }
    }
    target.path ??= t.path;
    target.service ??= t.service;
    target.port ??= t.port;
    target.process ??= t.process;
    target.pid ??= t.pid;
    target.lookup ??= t.lookup;
    target.vague ||= t.vague === true || (t.broad && t.resources.length > 0);
    target.hang ||= t.hang === true;
    target.cpuIdle ||= t.cpuIdle === true;
  }
  target.broad = target.resources.length === 0;
  return target;
}

export function analyzeRuns(runs: CommandRun[], context: AnalysisContext): RunbookAnalysis {
  const language = context.language ?? "en";
  const say = sayer(language);
  const facts = collectFacts(runs, say);
  const target = mergeTargets(context.alarm, context.question);
  const changed = context.alarm ? Date.parse(context.alarm.changedAt) : NaN;
  const now = (context.now ?? new Date()).getTime();
  const ctx: RuleContext = {
    facts,
    target,
    say,
    uptimeSec: facts.kernelFigures?.value.uptimeSec?.value ?? null,
    alarmAgeSec: Number.isFinite(changed) ? Math.max(0, (now - changed) / 1000) : null,
  };
  const outputs: RuleOutput[] = [
    serviceRules(ctx),
    cpuRules(ctx),
    memoryRules(ctx),
    diskRules(ctx),
    diskIoRules(ctx),
    processRules(ctx),
    fileRules(ctx),
    connectionRules(ctx),
    networkRules(ctx),
    kernelRules(ctx),
    timeRules(ctx),
    dnsRules(ctx),
    rebootRules(ctx),
  ];
  const findings = orderFindings([...outputs.flatMap((o) => o.findings), ...gapFindings(facts, say)], target);
  const result = verdict(outputs, findings, target, facts, runs, say);
  const nextSteps = [...result.nextSteps];
  if (facts.gaps.some((g) => /sysstat/.test(g.why))) {
    nextSteps.push(
      say(
        "mpstat/iostat need sysstat, which this host does not have; the figures above come from procfs, top and vmstat instead.",
        "mpstat/iostat은 sysstat이 필요한데 이 호스트에는 없습니다. 위 수치는 procfs, top, vmstat에서 읽었습니다.",
      ),
    );
  }
  return {
    summary: result.summary,
    severity: result.severity,
    findings,
    nextSteps: nextSteps.slice(0, 6),
    source: "runbook",
    fallbackReason: null,
    culprit: result.culprit,
    resources: target.resources,
    checked: result.checked,
    furtherCommands: furtherCommands(ctx, outputs, runs, result.culprit, language),
  };
}

/**
 * Whether the runs already looked at what a follow-up asks about (so it can be answered from the
 * evidence): true when every resource the text names was read; null when the text names none.
 */
export function topicCovered(text: string, runs: CommandRun[]): boolean | null {
  const target = targetForText(text);
  if (target.resources.length === 0) {
    return target.broad ? runs.length > 0 : null;
  }
  const read = new Set(collectFacts(runs).readings.filter((r) => r.ok).map((r) => r.resource));
  return target.resources.every((r) => read.has(r));
}

/** Processes sampled for per-process I/O at most (the command line stays under the policy's limit). */
const IO_SAMPLE_PIDS = 100;

/**
 * A second look where the first round could not reach: the directories of a full mount it did not
 * list; per-process I/O when the disk is busy and no process was caught waiting on it; the command
 * line of a culprit known only by a thread name (`MainThread`).
 */
function furtherCommands(ctx: RuleContext, outputs: RuleOutput[], runs: CommandRun[], culprit: Culprit | null, language: Language): RunbookCommand[] {
  const ran = new Set(runs.map((r) => r.command));
  const wanted = ctx.target.resources;
  const commands: RunbookCommand[] = [];
  if (culprit?.pid && isThreadName(culprit.name) && !ctx.facts.commandLines.has(culprit.pid)) {
    commands.push(commandLineOf(culprit.pid, language));
  }
  const diskIo = wanted.includes("disk-io") || (wanted.length === 0 && ctx.target.vague === true);
  const busy = outputs.some((o) => o.headlines.some((h) => h.resource === "disk-io" && rank(h.severity) >= rank("medium")));
  const named = outputs.some((o) => o.candidates.some((c) => c.culprit.resource === "disk-io"));
  if (diskIo && busy && !named && !ctx.facts.processIo && ctx.facts.processes) {
    const parents = new Map(ctx.facts.processes.value.processes.map((p) => [p.pid, p.ppid]));
    const pids = ctx.facts.processes.value.processes
      .filter((p) => !p.state?.startsWith("Z") && !isKernelThread(p, parents) && p.pid !== 1)
      .sort((a, b) => Number(b.state?.startsWith("D") ?? false) - Number(a.state?.startsWith("D") ?? false) || (b.cpu ?? 0) - (a.cpu ?? 0))
      .slice(0, IO_SAMPLE_PIDS)
      .map((p) => p.pid);
    if (pids.length > 0) {
      commands.push(processIoSampler(pids, 2, language));
    }
  }
  const follow = diskFollowUp(ctx);
  if (follow.space && (wanted.length === 0 || wanted.includes("disk-space"))) {
    commands.push(...resourceCommands("disk-space", { path: follow.space }, language).filter((c) => /^(du|find) /.test(c.command)));
  }
  if (follow.inodes && (wanted.length === 0 || wanted.includes("inodes"))) {
    commands.push(...resourceCommands("inodes", { path: follow.inodes }, language).filter((c) => /^du /.test(c.command)));
  }
  return commands.filter((c) => !ran.has(c.command));
}

/** Severity first; among equals, what was asked about before the rest, then the rules' order. */
function orderFindings(findings: Finding[], target: Target): Finding[] {
  const scope = (f: Finding): number => (target.resources.length === 0 || (f.resource && target.resources.includes(f.resource)) ? 0 : 1);
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => scope(a.f) - scope(b.f) || rank(b.f.severity) - rank(a.f.severity) || a.i - b.i)
    .map(({ f }) => f);
}

function gapFindings(facts: Facts, say: Say): Finding[] {
  if (facts.gaps.length === 0) {
    return [];
  }
  const firstWords = (command: string): string => {
    const words = command.split(/\s+/);
    return displayName(words.slice(0, 3).join(" ") + (words.length > 3 ? " …" : ""));
  };
  const f = finding(
    "kernel",
    say(`${facts.gaps.length} command${facts.gaps.length > 1 ? "s" : ""} gave no data`, `명령 ${facts.gaps.length}개는 데이터를 주지 못함`),
    facts.gaps.map((g) => `\`${firstWords(g.run.command)}\`: ${g.why}.`).join(" "),
    "info",
    facts.gaps.filter((g) => g.line).map((g) => evidence(g.run, [g.line ?? ""])),
  );
  delete f.resource;
  return [f];
}

function capitalize(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
