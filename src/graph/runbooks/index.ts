// Built-in runbooks: diagnosis without an LLM. planFromAlarm / planFromText choose bounded
// read-only commands for what the alarm or the user's words are about; analyzeRuns reads their
// output with parsers and returns findings (each quoting the output it rests on), a summary that
// names the culprit, a severity and next steps. With an LLM, the same findings are its evidence.
import type { Alarm } from "../../alarms/model";
import type { Analysis, CommandRun, Finding, Resource, Severity } from "../diagnosis";
import { RUNBOOK_TITLES, runbookCommands, type RunbookCommand, type RunbookKind } from "./catalog";
import { collectFacts, toolOf, type Facts } from "./facts";
import { cpuRules, diskIoRules, diskRules, gapFindings, kernelRules, memoryRules, networkRules, rank, serviceRules, worst, type Headline, type RuleOutput } from "./rules";
import { sayer, type Language, type Say } from "./lang";
import { targetForAlarm, targetForText, type Target } from "./target";

export type { RunbookCommand, RunbookKind } from "./catalog";
export { targetForAlarm, targetForText, type Target } from "./target";
export type { Language } from "./lang";

export interface RunbookPlan {
  /** Runbook ids joined with "+", e.g. "cpu" or "cpu+memory". */
  runbook: string;
  rationale: string;
  commands: RunbookCommand[];
}

export interface AnalysisContext {
  alarm: Alarm | null;
  question: string | null;
  /** Language of the summary, findings and next steps (the report language). Default "en". */
  language?: Language;
}

export interface PlanOptions {
  /** Language of the rationale and of each command's purpose and expected signal. Default "en". */
  language?: Language;
}

/** Commands beyond this are dropped from a combined plan (the first runbooks' commands win). */
const MAX_COMMANDS = 14;

const FOCUS: Record<RunbookKind, { en: string; ko: string }> = {
  cpu: { en: "the load per core, the busiest processes and where CPU time goes (user, system, iowait, steal)", ko: "코어당 부하, 가장 바쁜 프로세스, CPU 시간의 쓰임(user, system, iowait, steal)" },
  memory: { en: "available memory, swap activity, the largest processes and kernel OOM kills", ko: "가용 메모리, 스왑 활동, 가장 큰 프로세스, 커널 OOM kill" },
  disk: {
    en: "how full each filesystem is (space and inodes), the largest directories and files, and deleted files still held open",
    ko: "파일시스템별 사용률(공간과 아이노드), 가장 큰 디렉터리와 파일, 삭제됐지만 열려 있는 파일",
  },
  "disk-io": { en: "device utilisation and latency, and CPU time waiting on I/O", ko: "장치 사용률과 지연, I/O를 기다리는 CPU 시간" },
  "status-check": { en: "signs of a reboot, kernel errors, failed units and the journal's recent errors", ko: "재부팅 흔적, 커널 오류, 실패한 유닛, 저널의 최근 오류" },
  network: { en: "socket counts, interface errors and drops, listening ports and TCP queue overflows", ko: "소켓 수, 인터페이스 오류와 드롭, 대기 포트, TCP 큐 넘침" },
  service: { en: "the service's state, its log, its process and its listening port", ko: "서비스 상태, 로그, 프로세스, 대기 포트" },
  process: { en: "the process's CPU and memory use and whether it is running", ko: "프로세스의 CPU·메모리 사용량과 실행 여부" },
  generic: { en: "load, memory, disk space, the busiest processes, failed units and recent errors", ko: "부하, 메모리, 디스크 공간, 가장 바쁜 프로세스, 실패한 유닛, 최근 오류" },
};

function plan(target: Target, why: string, language: Language): RunbookPlan {
  const say = sayer(language);
  const commands: RunbookCommand[] = [];
  for (const kind of target.kinds) {
    for (const command of runbookCommands(kind, target, language)) {
      if (!commands.some((c) => c.command === command.command)) {
        commands.push(command);
      }
    }
  }
  const focus = target.kinds.map((k) => FOCUS[k][language]);
  const subject = [
    target.service ? say(`service ${target.service}`, `서비스 ${target.service}`) : null,
    target.port ? say(`port ${target.port}`, `포트 ${target.port}`) : null,
    target.path ? say(`path ${target.path}`, `경로 ${target.path}`) : null,
  ]
    .filter(Boolean)
    .join(", ");
  return {
    runbook: target.kinds.join("+"),
    rationale: say(`${why}${subject ? ` (${subject})` : ""}: check ${focus.join("; and ")}.`, `${why}${subject ? ` (${subject})` : ""}: ${focus.join("; ")} 확인.`),
    commands: commands.slice(0, MAX_COMMANDS),
  };
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
  const runbooks = target.kinds.map((k) => RUNBOOK_TITLES[k][language]).join(" + ");
  return plan(target, say(`${runbooks} runbook for the alarm on ${watched}`, `${watched} 알람에 대한 ${runbooks} 런북`), language);
}

export function planFromText(text: string, options: PlanOptions = {}): RunbookPlan | null {
  const language = options.language ?? "en";
  const say = sayer(language);
  const target = targetForText(text);
  if (!target) {
    return null;
  }
  const runbooks = target.kinds.map((k) => RUNBOOK_TITLES[k][language]).join(" + ");
  return plan(target, say(`${runbooks} runbook for ${target.reasons.join(", ")}`, `${target.reasons.join(", ")}에 대한 ${runbooks} 런북`), language);
}

/** Runbook kinds for runs with no alarm or question: whatever the commands looked at. */
function kindsFromRuns(runs: CommandRun[]): RunbookKind[] {
  const tools = new Set(runs.map((r) => toolOf(r.command)));
  const kinds: RunbookKind[] = [];
  const when = (kind: RunbookKind, ...names: string[]): void => {
    if (names.some((n) => tools.has(n as ReturnType<typeof toolOf>))) {
      kinds.push(kind);
    }
  };
  when("service", "systemctl-status", "ps-by-name", "journal-unit");
  when("cpu", "top", "ps", "mpstat", "uptime");
  when("memory", "free");
  when("disk", "df", "du", "find");
  when("disk-io", "iostat");
  when("network", "link-stats", "socket-summary", "nstat", "proc-net");
  return kinds.length > 0 ? kinds : ["generic"];
}

function mergeTargets(alarm: Alarm | null, question: string | null, runs: CommandRun[]): Target {
  const fromAlarm = alarm ? targetForAlarm(alarm) : null;
  const fromText = question ? targetForText(question) : null;
  const target: Target = { kinds: [], reasons: [] };
  for (const t of [fromText, fromAlarm]) {
    if (!t) {
      continue;
    }
    for (const k of t.kinds) {
      if (!target.kinds.includes(k) && k !== "generic") {
        target.kinds.push(k);
      }
    }
    target.path ??= t.path;
    target.service ??= t.service;
    target.port ??= t.port;
    target.process ??= t.process;
  }
  if (target.kinds.length === 0) {
    target.kinds = kindsFromRuns(runs);
  }
  return target;
}

export function analyzeRuns(runs: CommandRun[], context: AnalysisContext): Analysis {
  const say = sayer(context.language ?? "en");
  const facts = collectFacts(runs, say);
  const target = mergeTargets(context.alarm, context.question, runs);
  const primary = target.kinds[0] ?? "generic";
  const outputs: RuleOutput[] = [
    serviceRules(facts, target, say),
    cpuRules(facts, primary === "cpu", say),
    memoryRules(facts, target.kinds.includes("memory") || target.kinds.includes("generic"), say),
    diskRules(facts, target, say),
    diskIoRules(facts, say),
    networkRules(facts, say),
    kernelRules(facts, say),
  ];
  const findings = orderFindings([...outputs.flatMap((o) => o.findings), ...gapFindings(facts, say)]);
  const severity = worst(findings.map((f) => f.severity));
  const headlines = outputs.flatMap((o) => o.headlines);
  const summary = summarize(headlines, target, severity, facts, runs, say);
  const nextSteps = [...new Set(outputs.flatMap((o) => o.nextSteps))];
  if (rank(severity) <= rank("low") && facts.read > 0) {
    nextSteps.push(
      say(
        "Compare with the CloudWatch graph around the alarm time; if the alarm flaps, review its threshold and datapoints-to-alarm.",
        "알람 시각 전후의 CloudWatch 그래프와 비교하세요. 알람이 깜빡이면 임계값과 datapoints-to-alarm을 검토하세요.",
      ),
    );
  }
  if (facts.gaps.some((g) => /sysstat/.test(g.why))) {
    nextSteps.push(
      say(
        "Install sysstat on the host (`apt-get install sysstat` / `dnf install sysstat`) for per-core and per-device figures.",
        "코어별·장치별 수치를 보려면 호스트에 sysstat을 설치하세요 (`apt-get install sysstat` / `dnf install sysstat`).",
      ),
    );
  }
  return { summary, severity, findings, nextSteps: nextSteps.slice(0, 6), source: "runbook", fallbackReason: null, culprit: null, resources: resourcesOf(target.kinds), checked: [] };
}

const KIND_RESOURCES: Record<RunbookKind, Resource[]> = {
  cpu: ["cpu"],
  memory: ["memory", "swap"],
  disk: ["disk-space", "inodes"],
  "disk-io": ["disk-io"],
  "status-check": ["reboot", "kernel"],
  network: ["network", "connections"],
  service: ["services"],
  process: ["processes"],
  generic: ["cpu", "memory", "disk-space", "services", "kernel"],
};

function resourcesOf(kinds: RunbookKind[]): Resource[] {
  return [...new Set(kinds.flatMap((k) => KIND_RESOURCES[k]))];
}

function orderFindings(findings: Finding[]): Finding[] {
  return findings.map((f, i) => ({ f, i })).sort((a, b) => rank(b.f.severity) - rank(a.f.severity) || a.i - b.i).map(({ f }) => f);
}

/**
 * One to three sentences: the alarm's own subject first (its headlines joined), then any other
 * high or critical problem. When nothing stands out, say so with the figures that show it.
 */
function summarize(headlines: Headline[], target: Target, severity: Severity, facts: Facts, runs: CommandRun[], say: Say): string {
  if (runs.length === 0) {
    return say("No commands ran, so there is nothing to analyse.", "실행된 명령이 없어 분석할 것이 없습니다.");
  }
  if (facts.read === 0) {
    return say(
      `No command gave usable output (${facts.gaps.length} gave no data): nothing can be concluded from this run.`,
      `쓸 만한 출력을 준 명령이 없어 (${facts.gaps.length}개는 데이터 없음) 이번 실행으로는 결론을 낼 수 없습니다.`,
    );
  }
  const sentences: string[] = [];
  const used = new Set<Headline>();
  for (const kind of target.kinds) {
    const own = headlines.filter((h) => h.kind === kind);
    if (own.length > 0) {
      const best = own.filter((h, i) => i === 0 || rank(h.severity) >= rank("medium") || kind === "disk").slice(0, 3);
      best.forEach((h) => used.add(h));
      sentences.push(best.map((h) => h.text).join("; "));
      break;
    }
  }
  const others = headlines.filter((h) => !used.has(h) && rank(h.severity) >= rank("high")).sort((a, b) => rank(b.severity) - rank(a.severity));
  for (const h of others.slice(0, 2)) {
    if (!sentences.some((s) => s.includes(h.text))) {
      sentences.push(h.text);
    }
  }
  if (sentences.length === 0 || (rank(severity) <= rank("low") && target.kinds[0] !== "generic")) {
    const calm = headlines.filter((h) => rank(h.severity) <= rank("low")).slice(0, 3).map((h) => h.text);
    const figures = calm.length > 0 ? calm.join("; ") : say("the outputs show nothing unusual", "출력에 특이한 점이 없음");
    const prefix = sentences.length > 0 && !calm.some((c) => sentences[0]?.includes(c)) ? `${sentences[0]}. ` : "";
    return capitalize(
      prefix +
        say(
          `No abnormal signal found: ${figures}. The condition may have passed; compare with the metric around the alarm time.`,
          `이상 신호를 찾지 못했습니다: ${figures}. 상황이 지나갔을 수 있으니 알람 시각 전후의 지표와 비교하세요.`,
        ),
    );
  }
  return sentences.map((s) => capitalize(s)).join(". ") + ".";
}

function capitalize(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
