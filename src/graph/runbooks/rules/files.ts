// File descriptors: file handles in use against the system limit (fs.file-nr vs file-max: ENFILE)
// and open descriptors per process (EMFILE is one process at its own limit, usually 1024 or 65536):
// the process holding far more descriptors than any other is the one that runs out.
import type { Severity } from "../../diagnosis";
import { formatPercent } from "../parse/common";
import { code, evidence, finding, isKernelThread, joinAnd, output, proc, type RuleContext, type RuleOutput } from "./common";
import { particle } from "../lang";

/** Open descriptors from which a process is named: close to the common 1024 soft limit. */
const MIN_OPEN = 900;
const DOMINANCE = 3;

export function fileRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const handles = facts.kernelFigures?.value.fileHandles ?? null;
  let systemSeverity: Severity = "info";
  let systemText: string | null = null;
  if (handles && facts.kernelFigures) {
    // Newer kernels print LONG_MAX for file-max: no system-wide ceiling at all.
    const unlimited = handles.max >= 2 ** 53;
    const pct = handles.max > 0 && !unlimited ? (handles.allocated / handles.max) * 100 : 0;
    systemSeverity = pct >= 90 ? "critical" : pct >= 75 ? "high" : pct >= 50 ? "medium" : "info";
    systemText = unlimited
      ? say(`${handles.allocated} file handles in use (no system-wide limit)`, `파일 핸들 ${handles.allocated}개 사용 (시스템 전체 한도 없음)`)
      : say(`${handles.allocated} file handles in use of ${handles.max} (${formatPercent(pct)})`, `파일 핸들 ${handles.max}개 중 ${handles.allocated}개 사용 (${formatPercent(pct)})`);
    out.findings.push(
      finding(
        "file-descriptors",
        systemText.charAt(0).toUpperCase() + systemText.slice(1),
        systemSeverity === "info"
          ? say("The system-wide limit (fs.file-max) is far away.", "시스템 전체 한도(fs.file-max)까지 여유가 있습니다.")
          : say("Near fs.file-max every process gets 'Too many open files in system' (ENFILE).", "fs.file-max에 가까우면 모든 프로세스가 'Too many open files in system'(ENFILE)을 받습니다."),
        systemSeverity,
        [evidence(facts.kernelFigures.run, [handles.line])],
      ),
    );
  }
  const counts = facts.openFiles?.value ?? [];
  const names = new Map((facts.processes?.value.processes ?? []).map((p) => [p.pid, p]));
  if (facts.openFiles && counts.length > 0) {
    const [first, second] = counts;
    const firstProc = names.get(first.pid);
    const label = (c: { pid: number }): string => {
      const p = names.get(c.pid);
      return p ? proc(p) : `pid ${c.pid}`;
    };
    const listed = counts.slice(0, 4).map((c) => `${label(c)} ${c.count}`).join(", ");
    // An agent running as an unprivileged user reads only its own user's /proc/PID/fd: the counts
    // then say nothing about everyone else's processes, and the summary must not read as if they did.
    const blind = partialView(ctx, counts);
    // Against its own limit when known: the process nearest its ceiling is the one getting EMFILE.
    const limits = facts.fdLimits?.value;
    const limitOf = (pid: number): number | null => limits?.get(pid)?.soft ?? null;
    const nearest = limits ? [...counts].filter((c) => (limitOf(c.pid) ?? 0) > 0).sort((a, b) => b.count / (limitOf(b.pid) ?? 1) - a.count / (limitOf(a.pid) ?? 1))[0] : undefined;
    if (nearest && nearest !== first && limitOf(nearest.pid) !== null && nearest.count >= (limitOf(nearest.pid) ?? 0) * 0.8 && nearest.count >= 100) {
      const p = names.get(nearest.pid);
      const name = p?.name ?? `pid ${nearest.pid}`;
      const limit = limitOf(nearest.pid) ?? 0;
      const culprit = { resource: "file-descriptors" as const, kind: "process" as const, name, pid: nearest.pid, detail: say(`${nearest.count} open files of ${limit} allowed`, `허용 ${limit}개 중 ${nearest.count}개 열림`) };
      const text = say(`${code(name)} (pid ${nearest.pid}) is at ${nearest.count} of its ${limit} open files`, `${code(name)} (pid ${nearest.pid})${particle(name, "이")} 열린 파일 한도 ${limit}개 중 ${nearest.count}개 사용`);
      out.findings.push(finding("file-descriptors", text, say("Near its soft limit (Max open files), the next open() or accept() fails with EMFILE.", "soft 한도(Max open files)에 가까워 다음 open()이나 accept()가 EMFILE로 실패합니다."), "high", [evidence(facts.openFiles.run, [nearest.line]), evidence(facts.fdLimits!.run, [limits!.get(nearest.pid)!.line])], culprit));
      out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 2, text });
    }
    const firstLimit = limitOf(first.pid);
    const dominant = (first.count >= MIN_OPEN || (firstLimit !== null && first.count >= firstLimit * 0.8 && first.count >= 100)) && (!second || first.count >= second.count * DOMINANCE);
    const sev: Severity = first.count >= 10000 ? "high" : first.count >= MIN_OPEN ? "medium" : "info";
    const name = firstProc?.name ?? `pid ${first.pid}`;
    const of = firstLimit !== null ? say(` of ${firstLimit} allowed`, ` (허용 ${firstLimit}개)`) : "";
    const culprit = { resource: "file-descriptors" as const, kind: "process" as const, name, pid: first.pid, detail: say(`${first.count} open files${of}`, `열린 파일 ${first.count}개${of}`) };
    const text = say(`${code(name)} (pid ${first.pid}) holds ${first.count} open files (next: ${second ? `${label(second)} ${second.count}` : "none"})`, `${code(name)} (pid ${first.pid})${particle(name, "이")} 파일 ${first.count}개를 열고 있음 (다음: ${second ? `${label(second)} ${second.count}` : "없음"})`);
    out.findings.push(
      finding(
        "file-descriptors",
        text,
        say(
          `Open descriptors per process: ${listed}. A process at its own limit (\`Max open files\` in /proc/PID/limits, often 1024) gets 'Too many open files' (EMFILE) while others are fine.`,
          `프로세스별 열린 디스크립터: ${listed}. 자기 한도(/proc/PID/limits의 \`Max open files\`, 보통 1024)에 닿은 프로세스만 'Too many open files'(EMFILE)를 받습니다.`,
        ),
        sev,
        [
          evidence(facts.openFiles.run, counts.slice(0, 5).map((c) => c.line)),
          ...(firstProc && facts.processes ? [evidence(facts.processes.run, [facts.processes.value.header, firstProc.line])] : []),
          ...(limits?.get(first.pid) && facts.fdLimits ? [evidence(facts.fdLimits.run, [limits.get(first.pid)!.line])] : []),
        ],
        dominant ? culprit : null,
      ),
    );
    out.headlines.push({
      resource: "file-descriptors",
      severity: dominant ? sev : systemSeverity,
      text: dominant ? text : `${systemText ? `${systemText}; ` : ""}${say(`the most open files: ${listed}`, `열린 파일 최다: ${listed}`)}`,
      figure: `${systemText ? `${systemText}; ` : ""}${say(`at most ${first.count} open files in one process`, `한 프로세스의 열린 파일 최다 ${first.count}개`)}${blind ? blind.text : ""}`,
    });
    if (blind) {
      out.nextSteps.push({
        resource: "file-descriptors",
        text: say(
          "Count every process's descriptors as root (`sudo find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/fd/*' -printf '%h\\n' | sort | uniq -c | sort -rn | head`), or give the agent's unit the capability to read them (`AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE`).",
          "root로 모든 프로세스의 디스크립터를 세거나 (`sudo find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/fd/*' -printf '%h\\n' | sort | uniq -c | sort -rn | head`), 에이전트 유닛에 읽을 권한을 주세요 (`AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE`).",
        ),
      });
    }
    if (dominant) {
      out.candidates.push({ culprit, strength: "strong", severity: sev, priority: 1, text: text + (systemText ? `; ${systemText}` : "") });
      out.nextSteps.push({
        resource: "file-descriptors",
        text: say(
          `Compare with its limit (\`grep 'open files' /proc/${first.pid}/limits\`) and see what it holds (\`ls -l /proc/${first.pid}/fd | awk '{print $NF}' | sort | uniq -c | sort -rn | head\`): leaked sockets or files point to a bug; otherwise raise \`LimitNOFILE=\` in its unit.`,
          `한도와 비교하고 (\`grep 'open files' /proc/${first.pid}/limits\`) 무엇을 열고 있는지 보세요 (\`ls -l /proc/${first.pid}/fd | awk '{print $NF}' | sort | uniq -c | sort -rn | head\`). 새는 소켓이나 파일이면 버그이고, 아니면 유닛의 \`LimitNOFILE=\`을 올리세요.`,
        ),
      });
    }
  } else if (systemText) {
    out.headlines.push({ resource: "file-descriptors", severity: systemSeverity, text: systemText });
  }
  return out;
}

/**
 * Whether the per-process counts cover only some users' processes (the agent could not read the
 * others' /proc/PID/fd), with the clause that says so and how many handles the others hold.
 */
function partialView(ctx: RuleContext, counts: { pid: number; count: number }[]): { text: string } | null {
  const { facts, say } = ctx;
  const all = facts.processes?.value.processes ?? [];
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const users = new Set(counts.map((c) => byPid.get(c.pid)?.user).filter((u): u is string => Boolean(u)));
  const parents = new Map(all.map((p) => [p.pid, p.ppid]));
  const others = all.filter((p) => p.user && !users.has(p.user) && !isKernelThread(p, parents) && !p.state?.startsWith("Z"));
  const people = all.filter((p) => !isKernelThread(p, parents) && !p.state?.startsWith("Z"));
  if (users.size === 0 || others.length < people.length * 0.5) {
    return null;
  }
  const handles = facts.kernelFigures?.value.fileHandles?.allocated ?? null;
  const seen = counts.reduce((sum, c) => sum + c.count, 0);
  const unseen = handles !== null && handles - seen >= 1000 ? handles - seen : null;
  const who = joinAnd([...users].sort().map((u) => code(u)), say);
  return {
    text: say(
      ` — counted only for ${counts.length} process${counts.length > 1 ? "es" : ""} of ${who} (the agent cannot read other users' descriptors: ${others.length} process${others.length > 1 ? "es" : ""} unseen${unseen !== null ? `, holding about ${unseen} of the file handles in use` : ""})`,
      ` — ${who}의 프로세스 ${counts.length}개만 셈 (에이전트가 다른 사용자의 디스크립터를 읽지 못함: 보지 못한 프로세스 ${others.length}개${unseen !== null ? `, 사용 중인 파일 핸들 중 약 ${unseen}개를 쥐고 있음` : ""})`,
    ),
  };
}
