// Processes and zombies: tasks in use against pid_max and threads-max (saturation), processes and
// threads per command (who uses them), and zombies grouped by their parent — the process that does
// not reap its children is the one to act on, not the zombies themselves.
import type { Severity } from "../../diagnosis";
import { formatPercent } from "../parse/common";
import type { ProcessSample } from "../parse/system";
import { code, evidence, finding, headerOf, isKernelThread, output, proc, type RuleContext, type RuleOutput } from "./common";
import { josa } from "../lang";

/**
 * A command is named when it has far more processes (or threads) than any other: at least this many
 * (or most of all processes), and this many times the next command. Worker pools of a few dozen are
 * normal; a leak runs into the hundreds.
 */
const MIN_PROCESSES = 100;
const MIN_THREADS = 2000;
const DOMINANCE = 3;
/** Zombies of one parent from which that parent is named (strong from 20). */
const MIN_ZOMBIES = 10;

export function processRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const figures = facts.kernelFigures?.value;
  const table = facts.processes;
  const procs = table?.value.processes ?? [];
  const parents = new Map(procs.map((p) => [p.pid, p.ppid]));
  const user = procs.filter((p) => !isKernelThread(p, parents));

  // Saturation: tasks (threads) in use against the kernel's limits.
  const tasks = figures?.load?.tasks ?? null;
  const limit = figures ? Math.min(figures.pidMax?.value ?? Infinity, figures.threadsMax?.value ?? Infinity) : Infinity;
  let severity: Severity = "info";
  let usageText: string | null = null;
  if (tasks !== null && Number.isFinite(limit) && figures && facts.kernelFigures) {
    const pct = (tasks / limit) * 100;
    severity = pct >= 90 ? "critical" : pct >= 75 ? "high" : pct >= 50 ? "medium" : "info";
    usageText = say(`${tasks} tasks of ${limit} allowed (${formatPercent(pct)})`, `허용 ${limit}개 중 태스크 ${tasks}개 (${formatPercent(pct)})`);
    out.findings.push(
      finding(
        "processes",
        say(`${tasks} tasks (processes and threads) in use of ${limit} allowed (${formatPercent(pct)})`, `허용 ${limit}개 중 태스크(프로세스와 스레드) ${tasks}개 사용 (${formatPercent(pct)})`),
        severity === "info"
          ? say("Far from pid_max and threads-max: new processes can start.", "pid_max와 threads-max까지 여유가 있어 새 프로세스를 만들 수 있습니다.")
          : say("Near the limit, fork() and thread creation fail ('Resource temporarily unavailable').", "한도에 가까우면 fork()와 스레드 생성이 실패합니다 ('Resource temporarily unavailable')."),
        severity,
        [evidence(facts.kernelFigures.run, [figures.load?.line ?? "", figures.pidMax?.line ?? "", figures.threadsMax?.line ?? ""])],
      ),
    );
  }

  // Who uses them: processes and threads per command.
  if (table && user.length > 0) {
    const byName = new Map<string, ProcessSample[]>();
    for (const p of user) {
      byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
    }
    const ranked = [...byName.entries()].map(([name, list]) => ({ name, list, threads: list.reduce((s, p) => s + (p.threads ?? 1), 0) }));
    const byCount = [...ranked].sort((a, b) => b.list.length - a.list.length);
    const byThreads = [...ranked].sort((a, b) => b.threads - a.threads);
    const [first, second] = byCount;
    const [firstT, secondT] = byThreads;
    const countDominant = first && (first.list.length >= MIN_PROCESSES || (first.list.length >= 30 && first.list.length >= user.length * 0.5)) && (!second || first.list.length >= second.list.length * DOMINANCE);
    const threadDominant = firstT && firstT.threads >= MIN_THREADS && (!secondT || firstT.threads >= secondT.threads * DOMINANCE);
    const pick = countDominant ? { ...first, by: "processes" as const } : threadDominant ? { ...firstT, by: "threads" as const } : null;
    const listText = byCount
      .slice(0, 4)
      .map((c) => `${code(c.name)} ${c.list.length}`)
      .join(", ");
    out.headlines.push({
      resource: "processes",
      severity: pick ? (severity === "info" ? "low" : severity) : severity,
      figure: say(`${user.length} processes, at most ${first?.list.length ?? 0} of one command${usageText ? `; ${usageText}` : ""}`, `프로세스 ${user.length}개, 한 명령당 최다 ${first?.list.length ?? 0}개${usageText ? `; ${usageText}` : ""}`),
      text: pick
        ? pick.by === "processes"
          ? say(`${code(pick.name)} has ${pick.list.length} processes (next: ${second ? `${code(second.name)} ${second.list.length}` : "none"})${usageText ? `; ${usageText}` : ""}`, `${code(pick.name)} 프로세스 ${pick.list.length}개 (다음: ${second ? `${code(second.name)} ${second.list.length}` : "없음"})${usageText ? `; ${usageText}` : ""}`)
          : say(`${code(pick.name)} runs ${pick.threads} threads${usageText ? `; ${usageText}` : ""}`, `${code(pick.name)} 스레드 ${pick.threads}개${usageText ? `; ${usageText}` : ""}`)
        : say(`${user.length} processes, most per command: ${listText}${usageText ? `; ${usageText}` : ""}`, `프로세스 ${user.length}개, 명령별 최다: ${listText}${usageText ? `; ${usageText}` : ""}`),
    });
    if (pick) {
      const parentPids = [...new Set(pick.list.map((p) => p.ppid).filter((p): p is number => p !== null))];
      const parent = parentPids.length === 1 ? procs.find((p) => p.pid === parentPids[0]) : undefined;
      const detail =
        pick.by === "processes"
          ? say(`${pick.list.length} processes${parent ? `, all children of ${proc(parent)}` : ""}`, `프로세스 ${pick.list.length}개${parent ? `, 모두 ${proc(parent)}의 자식` : ""}`)
          : say(`${pick.threads} threads in ${pick.list.length} process${pick.list.length > 1 ? "es" : ""}`, `프로세스 ${pick.list.length}개에 스레드 ${pick.threads}개`);
      const single = pick.list.length === 1 ? pick.list[0] : null;
      const culprit = { resource: "processes" as const, kind: "process" as const, name: pick.name, pid: single?.pid ?? null, detail };
      const share = (pick.list.length / user.length) * 100;
      const sev: Severity = severity === "info" ? (share >= 50 ? "medium" : "low") : severity;
      const text =
        pick.by === "processes"
          ? say(`${code(pick.name)} has ${pick.list.length} processes (${formatPercent(share)} of all)${parent ? `, all children of ${proc(parent)}` : ""}${usageText ? `; ${usageText}` : ""}`, `${code(pick.name)} 프로세스 ${pick.list.length}개 (전체의 ${formatPercent(share)})${parent ? `, 모두 ${proc(parent)}의 자식` : ""}${usageText ? `; ${usageText}` : ""}`)
          : say(`${code(pick.name)} runs ${pick.threads} threads${usageText ? `; ${usageText}` : ""}`, `${code(pick.name)} 스레드 ${pick.threads}개${usageText ? `; ${usageText}` : ""}`);
      out.findings.push(
        finding(
          "processes",
          text,
          say(
            `Processes per command: ${listText}. One command with far more processes or threads than any other is what fills the process table (a fork loop, a worker pool without a cap, leaked children).`,
            `명령별 프로세스: ${listText}. 다른 명령보다 훨씬 많은 프로세스나 스레드를 가진 명령이 프로세스 테이블을 채웁니다 (fork 루프, 상한 없는 워커 풀, 회수되지 않은 자식).`,
          ),
          sev,
          [evidence(table.run, [table.value.header, ...pick.list.slice(0, 5).map((p) => p.line), ...(parent ? [parent.line] : [])])],
          culprit,
        ),
      );
      out.candidates.push({ culprit, strength: severity !== "info" || share >= 50 ? "strong" : "weak", severity: sev, priority: 1, text });
      out.nextSteps.push({
        resource: "processes",
        text: parent
          ? say(
              `Find why ${proc(parent)} keeps starting ${code(pick.name)} (\`ps -o pid,etime,args -p ${parent.pid}\`); cap it (\`TasksMax=\` in its unit, \`ulimit -u\`) or stop it.`,
              `${josa(proc(parent), "이")} 왜 ${josa(code(pick.name), "을")} 계속 띄우는지 확인하세요 (\`ps -o pid,etime,args -p ${parent.pid}\`). 상한을 두거나 (유닛의 \`TasksMax=\`, \`ulimit -u\`) 중지하세요.`,
            )
          : say(`See what starts ${code(pick.name)} (\`ps -o pid,ppid,etime,args -C ${pick.name}\`) and cap it (\`TasksMax=\`, \`ulimit -u\`).`, `무엇이 ${josa(code(pick.name), "을")} 띄우는지 확인하고 (\`ps -o pid,ppid,etime,args -C ${pick.name}\`) 상한을 두세요 (\`TasksMax=\`, \`ulimit -u\`).`),
      });
    }
  } else if (usageText) {
    out.headlines.push({ resource: "processes", severity, text: usageText });
  }
  zombieRules(ctx, out, procs);
  return out;
}

function zombieRules(ctx: RuleContext, out: RuleOutput, procs: ProcessSample[]): void {
  const { facts, say } = ctx;
  const table = facts.processes;
  const zombies = procs.filter((p) => p.state?.startsWith("Z"));
  const topCount = facts.top?.value.tasks?.zombie ?? null;
  if (zombies.length === 0) {
    if (table || topCount !== null) {
      out.headlines.push({ resource: "zombies", severity: "info", text: say(`no zombie processes${topCount ? ` in ps (top counted ${topCount})` : ""}`, `좀비 프로세스 없음${topCount ? ` (ps 기준; top은 ${topCount}개)` : ""}`) });
    }
    return;
  }
  if (!table) {
    return;
  }
  const byParent = new Map<number, ProcessSample[]>();
  for (const z of zombies) {
    if (z.ppid !== null) {
      byParent.set(z.ppid, [...(byParent.get(z.ppid) ?? []), z]);
    }
  }
  const ranked = [...byParent.entries()].sort((a, b) => b[1].length - a[1].length);
  const [ppid, children] = ranked[0] ?? [null, []];
  const parent = ppid !== null ? procs.find((p) => p.pid === ppid) : undefined;
  const severity: Severity = zombies.length >= 1000 ? "high" : zombies.length >= 50 ? "medium" : "low";
  const others = ranked.slice(1, 3).map(([pid, list]) => {
    const other = procs.find((p) => p.pid === pid);
    return `${other ? proc(other) : `pid ${pid}`} ×${list.length}`;
  });
  const text = parent
    ? say(`${zombies.length} zombie process${zombies.length > 1 ? "es" : ""}; ${children.length} of them are children of ${proc(parent)}, which does not reap them`, `좀비 프로세스 ${zombies.length}개; 그중 ${children.length}개가 ${proc(parent)}의 자식이며, 부모가 회수하지 않음`)
    : say(`${zombies.length} zombie process${zombies.length > 1 ? "es" : ""} (parent pid ${ppid ?? "?"} not found)`, `좀비 프로세스 ${zombies.length}개 (부모 pid ${josa(ppid ?? "?", "을")} 찾지 못함)`);
  const culprit = parent ? { resource: "zombies" as const, kind: "parent" as const, name: parent.name, pid: parent.pid, detail: say(`parent of ${children.length} zombies`, `좀비 ${children.length}개의 부모`) } : null;
  out.findings.push(
    finding(
      "zombies",
      text,
      say(
        "A zombie has exited but its parent has not read its exit status (wait()). Zombies use no CPU or memory, only a pid each; they go away when the parent reaps them or exits." +
          (others.length > 0 ? ` Other parents: ${others.join(", ")}.` : ""),
        "좀비는 종료됐지만 부모가 종료 상태를 읽지(wait()) 않은 프로세스입니다. CPU나 메모리는 쓰지 않고 pid만 하나씩 차지하며, 부모가 회수하거나 종료하면 사라집니다." +
          (others.length > 0 ? ` 다른 부모: ${others.join(", ")}.` : ""),
      ),
      severity,
      [evidence(table.run, [headerOf(table.run), ...(parent ? [parent.line] : []), ...children.slice(0, 4).map((z) => z.line)])],
      culprit,
    ),
  );
  out.headlines.push({ resource: "zombies", severity, text, figure: say(`${zombies.length} zombie process${zombies.length > 1 ? "es" : ""}, at most ${children.length} from one parent`, `좀비 프로세스 ${zombies.length}개, 한 부모당 최다 ${children.length}개`) });
  // Zombies come and go on any busy host (a child exits, its parent reaps it a moment later), and a
  // handful cost a pid each; a parent is the culprit once it holds a pile: ten or more in one look.
  if (culprit && parent && children.length >= MIN_ZOMBIES) {
    out.candidates.push({ culprit, strength: children.length >= 20 ? "strong" : "weak", severity, priority: 1, text });
    out.nextSteps.push({
      resource: "zombies",
      text: say(
        `Fix or restart ${proc(parent)} so it reaps its children (\`kill -CHLD ${parent.pid}\` may prompt it); killing the zombies themselves does nothing.`,
        `${josa(proc(parent), "이")} 자식을 회수하도록 고치거나 재시작하세요 (\`kill -CHLD ${parent.pid}\`로 재촉할 수 있음). 좀비 자체를 kill해도 소용없습니다.`,
      ),
    });
  }
}
