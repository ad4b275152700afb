// The kernel and the journal: hung tasks (the process named in "task NAME:PID blocked for more
// than 120 seconds"), I/O errors (the device), file systems remounted read-only, lockups, kernel
// bugs, segfaults (the process), NIC and conntrack trouble; errors in the system journal. Kernel
// lines are aged against the host's uptime: only recent ones name a culprit.
import type { Culprit, Severity } from "../../diagnosis";
import type { From } from "../facts";
import { ageOf, code, duration, evidence, finding, output, recent, type RuleContext, type RuleOutput } from "./common";
import { kernelLineSeconds } from "../parse/services";

const TITLES: Record<string, [string, string, Severity, string, string]> = {
  filesystem: [
    "The kernel reports file system errors",
    "커널이 파일시스템 오류를 보고함",
    "high",
    "A file system hit errors or was remounted read-only: writes fail until it is repaired.",
    "파일시스템에 오류가 났거나 읽기 전용으로 다시 마운트되었습니다: 복구할 때까지 쓰기가 실패합니다.",
  ],
  "disk-io": ["The kernel reports disk I/O errors", "커널이 디스크 I/O 오류를 보고함", "high", "The block device returned errors: a failing or detached volume.", "블록 장치가 오류를 돌려줬습니다: 고장 났거나 분리된 볼륨."],
  "hung-task": ["Tasks hung for minutes in the kernel", "커널에서 작업이 몇 분간 멈춤", "high", "Processes were blocked (usually on I/O) for over two minutes.", "프로세스가 (보통 I/O에서) 2분 넘게 막혔습니다."],
  lockup: [
    "CPU lockups or RCU stalls",
    "CPU lockup 또는 RCU stall",
    "high",
    "A CPU stopped responding for a while: overloaded host, hypervisor trouble or a kernel bug.",
    "CPU가 한동안 응답하지 않았습니다: 과부하, 하이퍼바이저 문제 또는 커널 버그.",
  ],
  bug: ["A kernel BUG or call trace was logged", "커널 BUG 또는 call trace가 기록됨", "high", "The kernel hit an internal error.", "커널 내부 오류가 발생했습니다."],
  segfault: ["Processes crashed (segfault)", "프로세스 비정상 종료 (segfault)", "medium", "A program crashed with a memory error.", "프로그램이 메모리 오류로 죽었습니다."],
  network: [
    "The kernel reports network trouble",
    "커널이 네트워크 문제를 보고함",
    "medium",
    "Link down, NIC watchdog resets or a full connection-tracking table.",
    "링크 다운, NIC watchdog 리셋 또는 가득 찬 conntrack 테이블.",
  ],
};

/** What a kernel line names: the hung or crashed process, the failing device. */
function culpritOf(kind: string, line: string): Culprit | null {
  let m: RegExpExecArray | null;
  if (kind === "hung-task" && (m = /task (.+?):(\d+) blocked for more than/.exec(line))) {
    return { resource: "kernel", kind: "process", name: m[1], pid: Number(m[2]), detail: "hung in the kernel (state D) for over 2 minutes" };
  }
  if (kind === "segfault" && (m = /(?:^|\]\s*|\s)([^\s[\]]+)\[(\d+)\]: segfault at/.exec(line))) {
    return { resource: "kernel", kind: "process", name: m[1], pid: Number(m[2]), detail: "crashed with a segfault" };
  }
  if ((kind === "disk-io" || kind === "filesystem") && (m = /\bdev(?:ice)?\s+([a-z]+\d*[a-z]*\d*(?:p\d+)?)|EXT4-fs (?:error )?\(device ([a-z0-9]+)\)|EXT4-fs \(([a-z0-9]+)\)|XFS \(([a-z0-9]+)\)|(nvme\d+n\d+)/i.exec(line))) {
    const device = m.slice(1).find((g) => g !== undefined);
    return device ? { resource: "kernel", kind: "device", name: device, pid: null, detail: kind === "disk-io" ? "I/O errors" : "file system errors" } : null;
  }
  return null;
}

export function kernelRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const serious = facts.kernel.filter((k) => k.value.kind !== "oom");
  const groups = new Map<string, From<{ kind: string; line: string }>[]>();
  for (const k of serious) {
    groups.set(k.value.kind, [...(groups.get(k.value.kind) ?? []), k]);
  }
  for (const [kind, hits] of groups) {
    const [titleEn, titleKo, baseSev, detailEn, detailKo] = TITLES[kind] ?? ["Notable kernel messages", "주목할 커널 메시지", "medium", "", ""];
    const latest = hits[hits.length - 1];
    const age = ageOf(kernelLineSeconds(latest.value.line), ctx);
    const fresh = recent(age, ctx);
    const sev: Severity = fresh || age === null ? baseSev : "low";
    const ago = age !== null ? say(`, latest ${duration(age, say)} ago`, `, 마지막 ${duration(age, say)} 전`) : "";
    const culprit = fresh ? culpritOf(kind, latest.value.line) : null;
    out.findings.push(
      finding("kernel", say(`${titleEn} (${hits.length} line${hits.length > 1 ? "s" : ""}${ago})`, `${titleKo} (${hits.length}줄${ago})`), say(detailEn, detailKo), sev, [evidence(hits[0].run, hits.slice(-5).map((h) => h.value.line))], culprit),
    );
    const text = say(/^[A-Z][A-Z]/.test(titleEn) ? titleEn : titleEn.charAt(0).toLowerCase() + titleEn.slice(1), titleKo) + (culprit ? ` (${code(culprit.name)}${culprit.pid ? `, pid ${culprit.pid}` : ""})` : "") + ago;
    out.headlines.push({ resource: "kernel", severity: sev, text, figure: say(/^[A-Z][A-Z]/.test(titleEn) ? titleEn : titleEn.charAt(0).toLowerCase() + titleEn.slice(1), titleKo) + ago });
    if (culprit) {
      out.candidates.push({ culprit, strength: "strong", severity: sev, priority: kind === "hung-task" ? 2 : 1, text });
      if (kind === "hung-task") {
        out.candidates.push({ culprit: { ...culprit, resource: "disk-io" }, strength: "strong", severity: sev, priority: 0, text });
      }
    }
  }
  if (groups.has("filesystem") || groups.has("disk-io")) {
    out.nextSteps.push({
      resource: "kernel",
      text: say(
        "Check the volume in the EC2 console (status checks, attachment) and the file system (`dmesg -T | grep -i -E 'error|read-only'`); plan a repair with fsck on an unmounted copy.",
        "EC2 콘솔에서 볼륨(상태 검사, 연결)과 파일시스템(`dmesg -T | grep -i -E 'error|read-only'`)을 확인하고, 마운트하지 않은 사본에서 fsck로 복구를 계획하세요.",
      ),
    });
  }
  if (facts.kernelLogRead && groups.size === 0 && facts.oomKills.length === 0) {
    out.headlines.push({ resource: "kernel", severity: "info", text: say("no OOM kills, hung tasks or I/O errors in the kernel log", "커널 로그에 OOM kill, hung task, I/O 오류 없음") });
  }
  const journal = facts.journalErrors;
  if (journal && journal.value.length > 0) {
    out.findings.push(
      finding(
        "services",
        say(`${journal.value.length} error entr${journal.value.length > 1 ? "ies" : "y"} in the system journal`, `시스템 저널에 오류 ${journal.value.length}건`),
        say("The latest ones are quoted.", "최근 것을 인용합니다."),
        "medium",
        [evidence(journal.run, journal.value.slice(-5))],
      ),
    );
    out.headlines.push({ resource: "services", severity: "medium", text: say(`${journal.value.length} recent error entries in the system journal`, `시스템 저널에 최근 오류 ${journal.value.length}건`) });
  }
  return out;
}
