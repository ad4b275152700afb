// CPU: utilisation and where it goes (over an interval — top's later frame, mpstat, vmstat's
// interval rows; never a since-boot figure), saturation (load and run queue per core, CPU pressure)
// and the process or command that accounts for it.
import type { Evidence, Severity } from "../../diagnosis";
import { displayName, formatPercent } from "../parse/common";
import type { ProcessSample, ProcessTable } from "../parse/system";
import { topDelay, type From } from "../facts";
import { blockedProcesses, code, duration, evidence, finding, MEASURING_TOOLS, output, proc, worst, type RuleContext, type RuleOutput } from "./common";
import { josa } from "../lang";

/** A process must use this much of one core over the interval to be named for CPU. */
const CULPRIT_MIN_CPU = 50;
/** …and this much more than the next one, or it only shares the CPU with it. */
const DOMINANCE = 1.25;
/** …and this part of all the CPU time in use (busy % × cores), or it is one consumer among many. */
const MIN_SHARE_OF_USED = 1 / 3;

interface Busiest {
  list: ProcessSample[];
  table: From<ProcessTable> | null;
  /** Measured over an interval (top's later frame), not over each process's life. */
  interval: boolean;
}

/** The CPU table to trust: top's interval frame, else ps (lifetime average), else a lone top frame. */
function busiest(ctx: RuleContext): Busiest {
  const { facts } = ctx;
  const topTable = facts.top?.value.table ? { run: facts.top.run, value: facts.top.value.table } : null;
  const psTable = facts.psByCpu ?? facts.processes ?? null;
  const order: { table: From<ProcessTable>; interval: boolean }[] = [];
  if (topTable && facts.topInterval) {
    order.push({ table: topTable, interval: true });
  }
  if (psTable) {
    order.push({ table: psTable, interval: false });
  }
  if (topTable && !facts.topInterval) {
    order.push({ table: topTable, interval: false });
  }
  for (const { table, interval } of order) {
    const list = table.value.processes
      .filter((p) => {
        // ps divides CPU time by age: for a process a few seconds old that figure is noise.
        const tooYoung = p.source === "ps" && p.elapsedSec !== null && p.elapsedSec < 3;
        return p.cpu !== null && !tooYoung && !p.state?.startsWith("Z") && !MEASURING_TOOLS.has(p.name);
      })
      .sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0));
    if (list.length > 0) {
      return { list, table, interval };
    }
  }
  return { list: [], table: null, interval: false };
}

/** CPU time by kind over an interval: mpstat (1 s), top's later frame, vmstat's interval rows. */
function breakdown(ctx: RuleContext): { user: number | null; system: number | null; idle: number | null; iowait: number | null; steal: number | null; ev: Evidence } | null {
  const { facts } = ctx;
  if (facts.mpstat?.value.all) {
    const a = facts.mpstat.value.all;
    return { ...a, ev: evidence(facts.mpstat.run, [a.line]) };
  }
  if (facts.top?.value.cpu && facts.topInterval) {
    const c = facts.top.value.cpu;
    return { ...c, ev: evidence(facts.top.run, [c.line]) };
  }
  const vm = facts.vmstat;
  if (vm && vm.value.interval) {
    const a = vm.value.average;
    return { user: a.us, system: a.sy, idle: a.id, iowait: a.wa, steal: a.st, ev: evidence(vm.run, [vm.value.header, ...vm.value.samples.map((s) => s.line)]) };
  }
  return null;
}

export function cpuRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const cores = facts.cores?.value ?? (facts.mpstat ? facts.mpstat.value.cores.length || null : null);
  const load = facts.load?.value;
  const perCore = load && cores ? load.one / cores : null;
  const loadText = perCore !== null ? say(`load ${perCore.toFixed(1)} per core`, `코어당 부하 ${perCore.toFixed(1)}`) : load ? say(`load ${load.one}`, `부하 ${load.one}`) : null;
  const pressure = facts.kernelFigures?.value.pressure.cpu?.some ?? null;

  if (load && facts.load) {
    const severity: Severity = perCore === null ? "info" : perCore >= 2 ? "high" : perCore >= 1 ? "medium" : "info";
    const ev = [evidence(facts.load.run, [load.line])];
    if (facts.cores && facts.cores.run !== facts.load.run) {
      ev.push(evidence(facts.cores.run, [String(facts.cores.value)]));
    }
    out.findings.push(
      finding(
        "cpu",
        cores
          ? say(`Load ${load.one} on ${cores} CPU${cores > 1 ? "s" : ""} (${perCore!.toFixed(2)} per core)`, `CPU ${cores}개에 부하 ${load.one} (코어당 ${perCore!.toFixed(2)})`)
          : say(`Load average ${load.one}`, `평균 부하 ${load.one}`),
        say(`1/5/15-minute load averages ${load.one} / ${load.five} / ${load.fifteen}.`, `1/5/15분 평균 부하 ${load.one} / ${load.five} / ${load.fifteen}.`) +
          (perCore !== null
            ? perCore >= 1
              ? say(" Above 1 per core, runnable (or disk-blocked) work waits.", " 코어당 1을 넘으면 실행 대기(또는 디스크 대기) 작업이 기다립니다.")
              : say(" Below 1 per core: CPUs keep up.", " 코어당 1 미만: CPU가 감당하고 있습니다.")
            : "") +
          (load.one > load.fifteen * 1.5 && load.one >= 1 ? say(" The load is rising (1-minute well above 15-minute).", " 부하가 오르는 중입니다 (1분 값이 15분 값보다 훨씬 큼).") : ""),
        severity,
        ev,
      ),
    );
  }

  const cpu = breakdown(ctx);
  const busyPercent = cpu?.idle !== null && cpu?.idle !== undefined ? 100 - cpu.idle : null;
  const { list, table, interval } = busiest(ctx);
  const top = list[0];
  const hostBusy = (busyPercent !== null && busyPercent >= 50) || (perCore !== null && perCore >= 1) || (pressure !== null && pressure.avg10 >= 10);
  if (top && top.cpu !== null && table) {
    const second = list[1];
    const others = list.slice(1).filter((p) => (p.cpu ?? 0) >= 10 && (p.cpu ?? 0) >= (top.cpu ?? 0) * 0.5).slice(0, 2);
    const share = cores ? top.cpu / (cores * 100) : null;
    let severity: Severity = "info";
    if (top.cpu >= 90) {
      severity = (share !== null && share >= 0.5) || (busyPercent !== null && busyPercent >= 90) || (perCore !== null && perCore >= 1) ? "high" : "medium";
    } else if (top.cpu >= CULPRIT_MIN_CPU) {
      severity = "medium";
    } else if (top.cpu >= 20) {
      severity = "low";
    }
    const seconds = facts.top ? topDelay(facts.top.run.command) : 1;
    const over = interval ? say(` over ${seconds} s`, ` (${seconds}초간)`) : "";
    const lifetime = !interval && top.source === "ps" ? say(" (ps: average over its life)", " (ps: 수명 평균)") : "";
    const culprit = { resource: "cpu" as const, kind: "process" as const, name: top.name, pid: top.pid, detail: say(`${formatPercent(top.cpu)} CPU${over}`, `CPU ${formatPercent(top.cpu)}${over}`) };
    // On a saturated host a process is the answer only when it takes a real part of the CPU in use:
    // half a core among twenty busy ones is a share, not the cause.
    const used = busyPercent !== null && cores ? (busyPercent / 100) * cores * 100 : null;
    const large = used === null || used <= 0 || top.cpu >= used * MIN_SHARE_OF_USED;
    // "Load is high but the CPU is idle" asks what is not CPU: a consumer is no answer to it, even
    // when the host turns out busy (the headline says so).
    const dominant = !ctx.target.cpuIdle && top.cpu >= CULPRIT_MIN_CPU && large && (!second || second.cpu === null || top.cpu >= second.cpu * DOMINANCE);
    out.findings.push(
      finding(
        "cpu",
        say(`${proc(top)} uses ${formatPercent(top.cpu)} CPU${over}`, `${josa(proc(top), "이")} CPU ${formatPercent(top.cpu)} 사용${over}`),
        say(
          `The busiest process${top.user ? `, run by ${displayName(top.user)}` : ""}${top.elapsedSec !== null ? `, running for ${duration(top.elapsedSec, say)}` : ""}` +
            (share !== null ? `, takes ${formatPercent(share * 100)} of all ${cores} CPUs` : "") +
            "." +
            (others.length > 0 ? ` Also busy: ${others.map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`).join(", ")}.` : "") +
            lifetime,
          `가장 바쁜 프로세스${top.user ? ` (사용자 ${displayName(top.user)})` : ""}${top.elapsedSec !== null ? `, ${duration(top.elapsedSec, say)}째 실행 중` : ""}` +
            (share !== null ? `, 전체 CPU ${cores}개의 ${formatPercent(share * 100)} 차지` : "") +
            "." +
            (others.length > 0 ? ` 그 밖에 바쁜 프로세스: ${others.map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`).join(", ")}.` : "") +
            lifetime,
        ),
        severity,
        [evidence(table.run, [table.value.header, ...[top, ...others].map((p) => p.line)])],
        dominant ? culprit : null,
      ),
    );
    if (dominant) {
      out.candidates.push({
        culprit,
        strength: hostBusy || (share !== null && share >= 0.5) ? "strong" : "weak",
        severity,
        priority: 1,
        text: say(`${proc(top)} uses ${formatPercent(top.cpu)} CPU${over}`, `${josa(proc(top), "이")} CPU ${formatPercent(top.cpu)} 사용${over}`) + (loadText ? `; ${loadText}` : ""),
      });
      out.nextSteps.push({
        resource: "cpu",
        text: say(
          `See what ${proc(top)} is doing: \`ps -o pid,etime,args -p ${top.pid}\` and \`cat /proc/${top.pid}/status\`; if it is a runaway job, restart it through its service (\`systemctl restart <unit>\`) or stop it — ATL asks before running anything that changes the host.`,
          `${josa(proc(top), "이")} 무엇을 하는지 확인: \`ps -o pid,etime,args -p ${top.pid}\`, \`cat /proc/${top.pid}/status\`. 폭주한 작업이면 서비스로 재시작(\`systemctl restart <unit>\`)하거나 중지하세요 — 호스트를 바꾸는 명령은 ATL이 실행 전에 승인을 받습니다.`,
        ),
      });
    } else if (!ctx.target.cpuIdle) {
      commandCandidate(ctx, list, table, hostBusy, loadText, out);
    }
    const calm = severity === "info" && !hostBusy;
    const busyText = [busyPercent !== null ? say(`${formatPercent(busyPercent)} busy`, `사용률 ${formatPercent(busyPercent)}`) : null, loadText].filter(Boolean).join(", ");
    out.headlines.push({
      resource: "cpu",
      severity: worst([severity, out.findings[0]?.severity ?? "info"]),
      figure: calm
        ? say(`CPU is not busy now (${busyText || "no load figure"}; no process above ${formatPercent(top.cpu)})`, `지금은 CPU가 바쁘지 않음 (${busyText || "부하 수치 없음"}; ${josa(formatPercent(top.cpu), "을")} 넘는 프로세스 없음)`)
        : say(`CPU is busy (${busyText}), shared by several processes (the busiest at ${formatPercent(top.cpu)})`, `CPU가 바쁨 (${busyText}), 여러 프로세스가 나눠 씀 (최고 ${formatPercent(top.cpu)})`),
      text: calm
        ? say(
            `CPU is not busy now (${[busyPercent !== null ? `${formatPercent(busyPercent)} busy` : null, loadText].filter(Boolean).join(", ") || "no load figure"}; the busiest process ${proc(top)} uses ${formatPercent(top.cpu)})`,
            `지금은 CPU가 바쁘지 않음 (${[busyPercent !== null ? `사용률 ${formatPercent(busyPercent)}` : null, loadText].filter(Boolean).join(", ") || "부하 수치 없음"}; 가장 바쁜 프로세스 ${proc(top)} ${formatPercent(top.cpu)})`,
          )
        : dominant
          ? say(`${proc(top)} uses ${formatPercent(top.cpu)} CPU${over}`, `${josa(proc(top), "이")} CPU ${formatPercent(top.cpu)} 사용${over}`) + (loadText ? `; ${loadText}` : "")
          : say(
              `CPU is shared: ${[top, ...others].map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`).join(", ")}${loadText ? `; ${loadText}` : ""}`,
              `CPU를 나눠 씀: ${[top, ...others].map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`).join(", ")}${loadText ? `; ${loadText}` : ""}`,
            ),
    });
  } else if (load) {
    out.headlines.push({ resource: "cpu", severity: out.findings[0]?.severity ?? "info", text: loadText ?? say(`load ${load.one}`, `부하 ${load.one}`) });
  }

  if (cpu && cpu.steal !== null && cpu.steal >= 10) {
    const sev: Severity = cpu.steal >= 25 ? "high" : "medium";
    out.findings.push(
      finding(
        "cpu",
        say(`The hypervisor takes CPU time (steal ${formatPercent(cpu.steal)})`, `하이퍼바이저가 CPU 시간을 가져감 (steal ${formatPercent(cpu.steal)})`),
        say(
          "The instance gets less CPU than it asks for: burstable (T-series) credits exhausted, or a noisy neighbour.",
          "인스턴스가 요청한 만큼 CPU를 받지 못합니다: 버스터블(T 계열) 크레딧 소진 또는 시끄러운 이웃.",
        ),
        sev,
        [cpu.ev],
      ),
    );
    out.headlines.push({ resource: "cpu", severity: sev, text: say(`steal time is ${formatPercent(cpu.steal)}`, `steal 시간 ${formatPercent(cpu.steal)}`) });
    out.nextSteps.push({
      resource: "cpu",
      text: say(
        "Check the CPUCreditBalance metric of the instance; move to unlimited mode or a non-burstable type if credits run out.",
        "인스턴스의 CPUCreditBalance 지표를 확인하고, 크레딧이 바닥나면 unlimited 모드나 버스터블이 아닌 유형으로 바꾸세요.",
      ),
    });
  }
  if (cpu && cpu.system !== null && cpu.user !== null && cpu.system >= 30 && cpu.system > cpu.user) {
    out.findings.push(
      finding(
        "cpu",
        say(`Most CPU time is spent in the kernel (system ${formatPercent(cpu.system)})`, `CPU 시간 대부분이 커널에서 쓰임 (system ${formatPercent(cpu.system)})`),
        say("Heavy system calls, interrupts or memory pressure (reclaim) rather than application code.", "애플리케이션 코드보다 시스템 콜, 인터럽트, 메모리 압박(회수)이 많습니다."),
        "medium",
        [cpu.ev],
      ),
    );
  }
  const mp = facts.mpstat?.value;
  if (mp && mp.cores.length >= 2 && facts.mpstat) {
    const hot = mp.cores.filter((c) => c.idle !== null && c.idle <= 10);
    const avgIdle = mp.all?.idle ?? null;
    if (hot.length === 1 && avgIdle !== null && avgIdle >= 40) {
      out.findings.push(
        finding(
          "cpu",
          say(`One core is saturated (CPU ${hot[0].cpu} at ${formatPercent(100 - (hot[0].idle ?? 0))})`, `코어 하나가 포화 (CPU ${hot[0].cpu} ${formatPercent(100 - (hot[0].idle ?? 0))})`),
          say("A single-threaded hot spot: one thread is at its limit while other cores idle.", "단일 스레드 병목: 한 스레드가 한계에 있고 다른 코어는 놀고 있습니다."),
          "medium",
          [evidence(facts.mpstat.run, [hot[0].line])],
        ),
      );
    }
  }
  const vm = facts.vmstat;
  if (vm && vm.value.interval && cores && vm.value.average.r > cores * 2) {
    out.findings.push(
      finding(
        "cpu",
        say(`${vm.value.average.r.toFixed(0)} runnable processes on average for ${cores} CPUs`, `CPU ${cores}개에 실행 대기 프로세스 평균 ${vm.value.average.r.toFixed(0)}개`),
        say("The run queue is more than twice the CPU count: work queues for CPU.", "실행 큐가 CPU 수의 두 배를 넘습니다: 작업이 CPU를 기다립니다."),
        vm.value.average.r > cores * 4 ? "high" : "medium",
        [evidence(vm.run, [vm.value.header, ...vm.value.samples.map((s) => s.line)])],
      ),
    );
  }
  if (pressure && facts.kernelFigures && pressure.avg10 >= 20) {
    out.findings.push(
      finding(
        "cpu",
        say(`Tasks waited for a CPU ${formatPercent(pressure.avg10)} of the last 10 s`, `지난 10초 중 ${formatPercent(pressure.avg10)} 동안 태스크가 CPU를 기다림`),
        say("CPU pressure (PSI 'some'): runnable work was delayed for lack of CPU.", "CPU 압박(PSI 'some'): CPU가 모자라 실행 가능한 작업이 지연됐습니다."),
        pressure.avg10 >= 50 ? "high" : "medium",
        [evidence(facts.kernelFigures.run, [pressure.line])],
      ),
    );
  }
  // A high load with idle CPUs: the load counts tasks blocked in D (disk, NFS, a frozen cgroup), not CPU demand.
  if (perCore !== null && perCore >= 1 && busyPercent !== null && busyPercent < 50) {
    const { list, samples, run } = blockedProcesses(ctx);
    const first = list[0];
    if (first && run && (first.hits >= 2 || samples <= 2) && (!list[1] || first.hits >= list[1].hits)) {
      const culprit = { resource: "cpu" as const, kind: "process" as const, name: first.name, pid: first.pid, detail: say(`blocked in state D in ${first.hits} of ${samples} samples while CPUs idle`, `CPU가 노는 동안 샘플 ${samples}회 중 ${first.hits}회 D 상태`) };
      const text = say(
        `The load (${loadText}) comes from tasks blocked in state D, not from CPU (${formatPercent(busyPercent)} busy): ${proc(first)} is stuck in D in ${first.hits} of ${samples} samples`,
        `부하(${loadText})는 CPU(사용률 ${formatPercent(busyPercent)})가 아니라 D 상태로 막힌 태스크 때문: ${josa(proc(first), "이")} 샘플 ${samples}회 중 ${first.hits}회 D 상태`,
      );
      out.findings.push(finding("cpu", text, say("Linux counts tasks in uninterruptible sleep in the load average: a high load with idle CPUs means something waits on the disk, NFS or a frozen cgroup.", "리눅스는 D 상태 태스크도 평균 부하에 셉니다: CPU가 노는데 부하가 높으면 디스크, NFS, 멈춘 cgroup을 기다리는 것이 있습니다."), "high", [evidence(run, first.lines)], culprit));
      out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 3, text });
    }
  }
  if (ctx.target.resources.includes("cpu") && !top && !load) {
    out.headlines.push({ resource: "cpu", severity: "info", text: say("no CPU figures could be read", "CPU 수치를 읽지 못함") });
  }
  return out;
}

/** Several processes of one command that together dominate the CPU (a pool of workers). */
function commandCandidate(ctx: RuleContext, list: ProcessSample[], table: From<ProcessTable>, hostBusy: boolean, loadText: string | null, out: RuleOutput): void {
  const { say } = ctx;
  const byName = new Map<string, { total: number; procs: ProcessSample[] }>();
  for (const p of list) {
    const entry = byName.get(p.name) ?? { total: 0, procs: [] };
    entry.total += p.cpu ?? 0;
    entry.procs.push(p);
    byName.set(p.name, entry);
  }
  const ranked = [...byName.entries()].sort((a, b) => b[1].total - a[1].total);
  const [first, second] = ranked;
  if (!first || first[1].procs.length < 2 || first[1].total < CULPRIT_MIN_CPU * 2 || (second && first[1].total < second[1].total * DOMINANCE * 1.2)) {
    return;
  }
  const [name, group] = first;
  // A pool of workers shares its master; processes that merely share a program name (every
  // \`node\` of a build) are not one culprit.
  const parents = new Map((ctx.facts.processes?.value.processes ?? []).map((p) => [p.pid, p.ppid]));
  const ppids = group.procs.map((p) => p.ppid ?? parents.get(p.pid) ?? null);
  const common = ppids.filter((p) => p !== null && p === ppids[0]).length;
  if (ppids[0] === null || ppids[0] === undefined || common < group.procs.length * 0.8) {
    return;
  }
  const text = say(`${group.procs.length} ${code(name)} processes use ${formatPercent(group.total)} CPU together`, `${code(name)} 프로세스 ${group.procs.length}개가 함께 CPU ${formatPercent(group.total)} 사용`);
  const culprit = { resource: "cpu" as const, kind: "process" as const, name, pid: null, detail: say(`${group.procs.length} processes, ${formatPercent(group.total)} CPU`, `프로세스 ${group.procs.length}개, CPU ${formatPercent(group.total)}`) };
  out.findings.push(finding("cpu", text, say("No single process dominates, but one command does.", "한 프로세스가 아니라 한 명령이 CPU를 차지합니다."), hostBusy ? "high" : "medium", [evidence(table.run, [table.value.header, ...group.procs.slice(0, 6).map((p) => p.line)])], culprit));
  out.candidates.push({ culprit, strength: hostBusy ? "strong" : "weak", severity: hostBusy ? "high" : "medium", priority: 0, text: text + (loadText ? `; ${loadText}` : "") });
}
