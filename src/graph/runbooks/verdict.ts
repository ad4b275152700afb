// Calibration: from every rule's findings and culprit candidates to the verdict on what was asked.
// A culprit is named only when its resource is what the question or the alarm is about (or, for a
// vague "slow", when its resource shows a real problem); a busy process never answers a question
// about something else. When nothing ties, the summary says "no evidence of X", lists what was
// checked, and the severity says so too. Findings about other resources stay in the report, but
// cannot raise the severity above medium or lead the summary.
import type { Check, CommandRun, Culprit, MarkdownFinding as Finding, Resource, Severity } from "../diagnosis";
import type { Facts } from "./facts";
import type { Say } from "./lang";
import { capSeverity, rank, worst, type Candidate, type Headline, type RuleOutput } from "./rules/common";
import type { Target } from "./target";

/** "No evidence of …" per resource. */
const PROBLEM: Record<Resource, [string, string]> = {
  cpu: ["CPU saturation", "CPU 포화"],
  memory: ["memory pressure", "메모리 부족"],
  swap: ["swapping", "스와핑"],
  "disk-space": ["a full filesystem", "가득 찬 파일시스템"],
  inodes: ["inode exhaustion", "아이노드 고갈"],
  "disk-io": ["a disk I/O bottleneck", "디스크 I/O 병목"],
  processes: ["process or pid exhaustion", "프로세스·pid 고갈"],
  zombies: ["zombie processes", "좀비 프로세스"],
  "file-descriptors": ["file-descriptor exhaustion", "파일 디스크립터 고갈"],
  connections: ["a connection pile-up", "연결 누적"],
  network: ["network errors or drops", "네트워크 오류·드롭"],
  services: ["a failed or stopped service", "실패하거나 멈춘 서비스"],
  kernel: ["kernel errors", "커널 오류"],
  time: ["clock drift", "시계 어긋남"],
  dns: ["a DNS failure", "DNS 실패"],
  reboot: ["a recent reboot", "최근 재부팅"],
};

/** What to run next when nothing was found, per resource. */
const NEXT: Partial<Record<Resource, [string, string]>> = {
  cpu: ["If CPU spikes come and go, catch one: `top -b -n 5 -d 2 -o %CPU | head -n 60` while it happens.", "CPU 급증이 오가면 그 순간을 잡으세요: 발생 중에 `top -b -n 5 -d 2 -o %CPU | head -n 60`."],
  memory: ["Compare RSS over time (`ps -eo pid,rss,etimes,comm --sort=-rss | head` a few minutes apart) and look for OOM kills (`journalctl -k | grep -i oom`).", "시간에 따른 RSS를 비교하고 (`ps -eo pid,rss,etimes,comm --sort=-rss | head`를 몇 분 간격으로) OOM kill을 찾으세요 (`journalctl -k | grep -i oom`)."],
  "disk-io": ["Sample I/O per process where sysstat is installed (`pidstat -d 1 10`), or per device (`cat /proc/diskstats` twice); for EBS check VolumeQueueLength and BurstBalance.", "sysstat이 있으면 프로세스별 I/O를 샘플링하세요 (`pidstat -d 1 10`), 또는 장치별로 (`cat /proc/diskstats` 두 번). EBS라면 VolumeQueueLength와 BurstBalance를 확인하세요."],
  "file-descriptors": ["When the error appears, count the failing process's descriptors against its limit: `ls /proc/PID/fd | wc -l` and `grep 'open files' /proc/PID/limits`.", "오류가 날 때 해당 프로세스의 디스크립터 수를 한도와 비교하세요: `ls /proc/PID/fd | wc -l`, `grep 'open files' /proc/PID/limits`."],
  processes: ["Watch the task count grow (`grep -H . /proc/loadavg` a minute apart) and the per-unit limits (`systemctl show -p TasksCurrent,TasksMax <unit>`).", "태스크 수가 느는지 보고 (`grep -H . /proc/loadavg`를 1분 간격으로) 유닛별 한도를 확인하세요 (`systemctl show -p TasksCurrent,TasksMax <unit>`)."],
  connections: ["Name the port and look at it while it happens: `ss -tanp state established '( sport = :PORT )' | head -n 50`.", "포트를 지정해 발생 중에 보세요: `ss -tanp state established '( sport = :PORT )' | head -n 50`."],
  dns: ["Name the host name that fails so it can be resolved here (`getent ahosts NAME`).", "실패하는 호스트 이름을 알려 주면 여기서 조회합니다 (`getent ahosts NAME`)."],
  services: ["Name the service or port to look at (`systemctl status NAME`, `ss -ltnp`).", "볼 서비스나 포트를 알려 주세요 (`systemctl status NAME`, `ss -ltnp`)."],
};

/** When a vague question ("slow") asks about everything, the order resources are considered in. */
const BROAD_ORDER: Resource[] = ["cpu", "memory", "swap", "disk-io", "disk-space", "inodes", "file-descriptors", "processes", "connections", "network", "kernel", "services", "time", "dns", "reboot", "zombies"];

export interface Verdict {
  culprit: Culprit | null;
  summary: string;
  severity: Severity;
  nextSteps: string[];
  checked: Check[];
}

/** Resources that frame a question ("nginx is slow", "the server went down") rather than explain it. */
const FRAMING: ReadonlySet<Resource> = new Set<Resource>(["services", "reboot"]);

const SATURATION: ReadonlySet<Resource> = new Set<Resource>(["cpu", "memory", "swap", "disk-io", "kernel", "connections", "network"]);

/** In a sweep for a hang, blocked tasks come first: hangs are waits, not lack of CPU. */
const HANG_ORDER: Resource[] = ["disk-io", "kernel", "memory", "swap", "file-descriptors", "processes", "connections", "cpu", "disk-space", "inodes", "network", "services", "time", "dns", "reboot", "zombies"];

function pickBroad(candidates: Candidate[], target: Target): Candidate | null {
  const order = target.hang ? HANG_ORDER : BROAD_ORDER;
  // A broad sweep names only what is clearly wrong; zombies never make a host slow.
  // "Slow" or "hangs" is answered by saturation only; a plain "check the host" by any real fault.
  const pool = candidates.filter((c) => c.strength === "strong" && rank(c.severity) >= rank("medium") && c.culprit.resource !== "zombies" && (!target.vague || SATURATION.has(c.culprit.resource)));
  // Slowness is saturation (CPU, memory, swap, disk waits, blocked tasks), not capacity: a full disk
  // makes writes fail, it does not make the host slow. Saturation first, then by severity.
  const tier = (c: Candidate): number => (SATURATION.has(c.culprit.resource) ? 0 : 1);
  pool.sort((a, b) => tier(a) - tier(b) || rank(b.severity) - rank(a.severity) || order.indexOf(a.culprit.resource) - order.indexOf(b.culprit.resource) || b.priority - a.priority);
  if (target.hang) {
    // A hang with tasks stuck in D: that process, whatever else is busy.
    const blocked = pool.find((c) => c.culprit.resource === "disk-io" || (c.culprit.resource === "kernel" && c.culprit.kind === "process"));
    if (blocked) {
      return blocked;
    }
  }
  return pool[0] ?? null;
}

function pick(candidates: Candidate[], target: Target): Candidate | null {
  const asked = target.resources;
  if (asked.length === 0) {
    return pickBroad(candidates, target);
  }
  const pool = candidates.filter((c) => asked.includes(c.culprit.resource));
  pool.sort(
    (a, b) =>
      (a.strength === "strong" ? 0 : 1) - (b.strength === "strong" ? 0 : 1) ||
      asked.indexOf(a.culprit.resource) - asked.indexOf(b.culprit.resource) ||
      rank(b.severity) - rank(a.severity) ||
      b.priority - a.priority,
  );
  if (pool[0]) {
    return pool[0];
  }
  // "nginx is slow", "the site does not respond": nothing wrong with the service itself, so what
  // slows the host is the answer. Never for a question about a resource ("disk I/O is slow").
  if (target.vague && asked.every((r) => FRAMING.has(r))) {
    return pickBroad(candidates, target);
  }
  return null;
}

function capitalize(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function checksOf(facts: Facts, findings: Finding[], resources: Resource[] | null): Check[] {
  const seen = new Set<string>();
  const checks: Check[] = [];
  for (const r of facts.readings) {
    if (resources && !resources.includes(r.resource)) {
      continue;
    }
    const key = `${r.resource}\u0000${r.what}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const abnormal = findings.some((f) => f.resource === r.resource && rank(f.severity) >= rank("medium") && f.evidence.some((e) => e.commandId === r.run.id));
    checks.push({ resource: r.resource, what: r.what, commandId: r.run.id, command: r.run.command, outcome: !r.ok ? "no-data" : abnormal ? "abnormal" : "normal" });
  }
  return checks;
}

export function verdict(outputs: RuleOutput[], findings: Finding[], target: Target, facts: Facts, runs: CommandRun[], say: Say): Verdict {
  const asked = target.resources;
  const broad = asked.length === 0;
  const inScope = (r: Resource | undefined): boolean => broad || (r !== undefined && asked.includes(r));
  const checked = checksOf(facts, findings, broad ? null : asked);
  const headlines = outputs.flatMap((o) => o.headlines);
  const steps = outputs.flatMap((o) => o.nextSteps);
  if (runs.length === 0) {
    return { culprit: null, summary: say("No commands ran, so there is nothing to analyse.", "실행된 명령이 없어 분석할 것이 없습니다."), severity: "info", nextSteps: [], checked };
  }
  if (facts.read === 0) {
    return {
      culprit: null,
      summary: say(
        `No command gave usable output (${facts.gaps.length} gave no data): nothing can be concluded from this run.`,
        `쓸 만한 출력을 준 명령이 없어 (${facts.gaps.length}개는 데이터 없음) 이번 실행으로는 결론을 낼 수 없습니다.`,
      ),
      severity: "info",
      nextSteps: [],
      checked,
    };
  }
  const chosen = pick(outputs.flatMap((o) => o.candidates), target);
  const askedFindings = findings.filter((f) => inScope(f.resource));
  const otherFindings = findings.filter((f) => !inScope(f.resource));
  let severity = worst([...askedFindings.map((f) => f.severity), capSeverity(worst(otherFindings.map((f) => f.severity)), "medium")]);
  const sentences: string[] = [];
  const used = new Set<string>();
  const order = (h: Headline): number => (broad ? BROAD_ORDER.indexOf(h.resource) : asked.indexOf(h.resource));
  const askedHeadlines = headlines.filter((h) => inScope(h.resource)).sort((a, b) => rank(b.severity) - rank(a.severity) || order(a) - order(b));
  if (chosen) {
    sentences.push(chosen.text);
    used.add(chosen.text);
    severity = worst([severity, chosen.severity, "low"]);
    // Other problems with what was asked, if any ("…; swap is 90% used"), without naming another
    // process: a second name in the summary reads as a second culprit.
    for (const h of askedHeadlines.filter((h) => h.resource !== chosen.culprit.resource && rank(h.severity) >= rank("medium") && !chosen.text.includes(h.text) && !h.text.includes(chosen.culprit.name)).slice(0, 2)) {
      const text = nameless(h);
      if (text !== null && !sentences.includes(text)) {
        sentences.push(text);
      }
      used.add(h.text);
    }
  } else {
    const abnormal = askedHeadlines.filter((h) => rank(h.severity) >= rank("medium") && nameless(h) !== null);
    if (abnormal.length > 0) {
      sentences.push(...abnormal.slice(0, 3).map((h) => nameless(h) ?? ""));
      abnormal.slice(0, 3).forEach((h) => used.add(h.text));
      sentences.push(say("no single culprit stands out in the evidence", "증거에서 두드러진 단일 원인은 없음"));
    } else {
      const resources = broad ? [] : asked;
      const calm = (broad ? askedHeadlines.filter((h) => ["cpu", "memory", "disk-io", "disk-space"].includes(h.resource)) : askedHeadlines)
        .map(nameless)
        .filter((t): t is string => t !== null)
        .slice(0, 4);
      calm.forEach((t) => used.add(t));
      const what = checked.filter((c) => c.outcome !== "no-data").map((c) => c.what);
      const missing = checked.filter((c) => c.outcome === "no-data").map((c) => c.what);
      const checkedText = what.length > 0 ? say(` Checked: ${[...new Set(what)].slice(0, 8).join(", ")}.`, ` 확인한 것: ${[...new Set(what)].slice(0, 8).join(", ")}.`) : "";
      const missingText = missing.length > 0 ? say(` Could not check: ${[...new Set(missing)].slice(0, 4).join(", ")}.`, ` 확인하지 못한 것: ${[...new Set(missing)].slice(0, 4).join(", ")}.`) : "";
      const figures = calm.length > 0 ? `: ${calm.join("; ")}` : "";
      const lead = broad
        ? say(`No resource shows a problem now${figures}.`, `지금 문제를 보이는 자원이 없음${figures}.`)
        : say(`No evidence of ${resources.map((r) => PROBLEM[r][0]).join(" or ")}${figures}.`, `${resources.map((r) => PROBLEM[r][1]).join(" 또는 ")}의 증거 없음${figures}.`);
      // Without an alarm (the user's words only) there is no alarm time to compare with.
      const passed = target.alarm
        ? say(" The condition may have passed; compare with the metric around the alarm time.", " 상황이 지나갔을 수 있으니 알람 시각 전후의 지표와 비교하세요.")
        : say(" If the trouble comes and goes, ask again while it happens.", " 문제가 간헐적이라면 발생하는 동안 다시 요청하세요.");
      return {
        culprit: null,
        summary: capitalize(lead + checkedText + missingText + (broad || !missing.length ? passed : "")).trim(),
        severity: worst([...askedFindings.map((f) => f.severity), capSeverity(worst(otherFindings.map((f) => f.severity)), "low")]),
        nextSteps: nextSteps(steps, null, broad ? [] : asked, true, say),
        checked,
      };
    }
  }
  const summary = sentences.map((s) => capitalize(s)).join(". ") + ".";
  return { culprit: chosen?.culprit ?? null, summary, severity, nextSteps: nextSteps(steps, chosen, broad ? [] : asked, false, say), checked };
}

/**
 * A headline's text fit for a summary that names no culprit: its name-free figure, or the text
 * itself when it names no process (a name there would read as blame); null when neither.
 */
function nameless(h: Headline): string | null {
  if (h.figure !== undefined) {
    return h.figure;
  }
  return /`|\bpid \d/.test(h.text) ? null : h.text;
}

function nextSteps(steps: { resource: Resource; text: string }[], chosen: Candidate | null, asked: Resource[], nothingFound: boolean, say: Say): string[] {
  const out: string[] = [];
  const add = (text: string): void => {
    if (!out.includes(text)) {
      out.push(text);
    }
  };
  if (chosen) {
    steps.filter((s) => s.resource === chosen.culprit.resource).forEach((s) => add(s.text));
  }
  steps.filter((s) => asked.length === 0 || asked.includes(s.resource)).forEach((s) => add(s.text));
  if (nothingFound) {
    for (const r of asked) {
      const next = NEXT[r];
      if (next) {
        add(say(next[0], next[1]));
      }
    }
    add(
      say(
        "Compare with the CloudWatch graph around the alarm time; if the alarm flaps, review its threshold and datapoints-to-alarm.",
        "알람 시각 전후의 CloudWatch 그래프와 비교하세요. 알람이 깜빡이면 임계값과 datapoints-to-alarm을 검토하세요.",
      ),
    );
  }
  return out.slice(0, 6);
}
