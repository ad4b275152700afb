// From parsed facts to findings: each rule says what it saw, how bad it is, quotes the lines it
// rests on, offers a one-line headline for the summary and what to do next. Thresholds follow
// common on-call practice (load per core, % available memory, % full) and are named here.
import type { CommandRun, Evidence, Finding, Severity } from "../diagnosis";
import type { RunbookKind } from "./catalog";
import { displayName, excerpt, formatBytes, formatPercent } from "./parse/common";
import { isNoiseMount, mountFor, type MountUsage, type SizedPath } from "./parse/disk";
import type { ProcessSample, ProcessTable } from "./parse/system";
import type { Facts, From } from "./facts";
import type { Say } from "./lang";
import type { Target } from "./target";

export interface Headline {
  kind: RunbookKind;
  severity: Severity;
  text: string;
}

export interface RuleOutput {
  findings: Finding[];
  headlines: Headline[];
  nextSteps: string[];
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export function worst(severities: Severity[]): Severity {
  return severities.reduce<Severity>((a, b) => (RANK[b] > RANK[a] ? b : a), "info");
}

export function rank(severity: Severity): number {
  return RANK[severity];
}

function evidence(run: CommandRun, quoted: string[], max = 8, maxChars = 400): Evidence {
  return { commandId: run.id, command: run.command, excerpt: excerpt(quoted, max, maxChars) };
}

function finding(title: string, detail: string, severity: Severity, ev: Evidence[]): Finding {
  return { title, detail, severity, evidence: ev.filter((e) => e.excerpt.length > 0), source: "parser" };
}

const code = (name: string): string => `\`${displayName(name)}\``;

function proc(p: ProcessSample): string {
  return `${code(p.name)} (pid ${p.pid})`;
}

// ---- CPU ------------------------------------------------------------------------------------

const MEASURING_TOOLS = new Set(["ps", "top", "head", "sh", "sort", "grep"]);

function busiest(facts: Facts): { list: ProcessSample[]; tables: From<ProcessTable>[] } {
  const tables: From<ProcessTable>[] = [];
  const byPid = new Map<number, ProcessSample>();
  // top is a snapshot (now); ps averages over each process's life: prefer top, fill in from ps.
  for (const source of [facts.top?.value.table ? { run: facts.top.run, value: facts.top.value.table } : undefined, facts.psByCpu]) {
    if (!source) {
      continue;
    }
    tables.push(source);
    for (const p of source.value.processes) {
      // ps divides CPU time by age: for a process a second old that figure is noise.
      const tooYoung = p.source === "ps" && p.elapsedSec !== null && p.elapsedSec < 3;
      if (p.cpu === null || tooYoung || p.state?.startsWith("Z") || MEASURING_TOOLS.has(p.name) || byPid.has(p.pid)) {
        continue;
      }
      byPid.set(p.pid, p);
    }
  }
  const list = [...byPid.values()].sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0));
  return { list, tables };
}

function tableEvidence(tables: From<ProcessTable>[], pids: number[]): Evidence[] {
  return tables
    .map((t) => {
      const rows = t.value.processes.filter((p) => pids.includes(p.pid)).map((p) => p.line);
      return rows.length > 0 ? evidence(t.run, [t.value.header, ...rows]) : null;
    })
    .filter((e): e is Evidence => e !== null);
}

export function cpuRules(facts: Facts, primary: boolean, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const cores = facts.cores?.value ?? (facts.mpstat ? facts.mpstat.value.cores.length || null : null);
  const load = facts.load?.value;
  const perCore = load && cores ? load.one / cores : null;
  const loadText = perCore !== null ? say(`load ${perCore.toFixed(1)} per core`, `코어당 부하 ${perCore.toFixed(1)}`) : load ? say(`load ${load.one}`, `부하 ${load.one}`) : null;

  if (load) {
    const severity: Severity = perCore === null ? "info" : perCore >= 2 ? "high" : perCore >= 1 ? "medium" : "info";
    const ev = [evidence(facts.load!.run, [load.line])];
    if (facts.cores && facts.cores.run !== facts.load!.run) {
      ev.push(evidence(facts.cores.run, [String(facts.cores.value)]));
    }
    out.findings.push(
      finding(
        cores
          ? say(`Load ${load.one} on ${cores} CPU${cores > 1 ? "s" : ""} (${perCore!.toFixed(2)} per core)`, `CPU ${cores}개에 부하 ${load.one} (코어당 ${perCore!.toFixed(2)})`)
          : say(`Load average ${load.one}`, `평균 부하 ${load.one}`),
        say(`1/5/15-minute load averages ${load.one} / ${load.five} / ${load.fifteen}.`, `1/5/15분 평균 부하 ${load.one} / ${load.five} / ${load.fifteen}.`) +
          (perCore !== null
            ? perCore >= 1
              ? say(" Above 1 per core, runnable work waits for a CPU.", " 코어당 1을 넘으면 실행 대기 중인 작업이 CPU를 기다립니다.")
              : say(" Below 1 per core: CPUs keep up.", " 코어당 1 미만: CPU가 감당하고 있습니다.")
            : "") +
          (load.one > load.fifteen * 1.5 && load.one >= 1 ? say(" The load is rising (1-minute well above 15-minute).", " 부하가 오르는 중입니다 (1분 값이 15분 값보다 훨씬 큼).") : ""),
        severity,
        ev,
      ),
    );
    if (load.upSeconds !== null && load.upSeconds < 900) {
      const minutes = Math.max(1, Math.round(load.upSeconds / 60));
      out.findings.push(
        finding(
          say(`The host booted ${minutes} min ago`, `호스트가 ${minutes}분 전에 부팅됨`),
          say("A recent reboot: the alarm may come from the restart or from what caused it.", "최근 재부팅: 알람은 재시작 자체나 그 원인 때문일 수 있습니다."),
          "medium",
          ev.slice(0, 1),
        ),
      );
      out.headlines.push({ kind: "status-check", severity: "medium", text: say(`the host rebooted ${minutes} min ago`, `호스트가 ${minutes}분 전에 재부팅됨`) });
    }
  }

  const { list, tables } = busiest(facts);
  const top = list[0];
  if (top && top.cpu !== null) {
    const culprits = list.filter((p, i) => i === 0 || ((p.cpu ?? 0) >= 10 && (p.cpu ?? 0) >= (top.cpu ?? 0) * 0.5)).slice(0, 3);
    const share = cores ? top.cpu / (cores * 100) : null;
    const busy = cpuBusy(facts);
    let severity: Severity = "info";
    if (top.cpu >= 90) {
      severity = (share !== null && share >= 0.5) || (busy !== null && busy >= 90) || (perCore !== null && perCore >= 1) ? "high" : "medium";
    } else if (top.cpu >= 50) {
      severity = "medium";
    } else if (top.cpu >= 20) {
      severity = "low";
    }
    const others = culprits.slice(1).map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`);
    out.findings.push(
      finding(
        say(`${proc(top)} uses ${formatPercent(top.cpu)} CPU`, `${proc(top)}이(가) CPU ${formatPercent(top.cpu)} 사용`),
        say(
          `The busiest process${top.user ? `, run by ${displayName(top.user)}` : ""}${top.elapsedSec !== null ? `, running for ${duration(top.elapsedSec, say)}` : ""}` +
            (share !== null ? `, takes ${formatPercent(share * 100)} of all ${cores} CPUs` : "") +
            "." +
            (others.length > 0 ? ` Also busy: ${others.join(", ")}.` : "") +
            (top.source === "ps" ? " (ps reports the average over the process's life.)" : ""),
          `가장 바쁜 프로세스${top.user ? ` (사용자 ${displayName(top.user)})` : ""}${top.elapsedSec !== null ? `, ${duration(top.elapsedSec, say)}째 실행 중` : ""}` +
            (share !== null ? `, 전체 CPU ${cores}개의 ${formatPercent(share * 100)} 차지` : "") +
            "." +
            (others.length > 0 ? ` 그 밖에 바쁜 프로세스: ${others.join(", ")}.` : "") +
            (top.source === "ps" ? " (ps 값은 프로세스 수명 전체의 평균입니다.)" : ""),
        ),
        severity,
        tableEvidence(tables, culprits.map((p) => p.pid)),
      ),
    );
    const names = [say(`${proc(top)} uses ${formatPercent(top.cpu)} CPU`, `${proc(top)}이(가) CPU ${formatPercent(top.cpu)} 사용`), ...culprits.slice(1).map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`)];
    const calm = severity === "info" && (perCore === null || perCore < 0.7);
    out.headlines.push({
      kind: "cpu",
      severity: worst([severity, out.findings[0]?.severity ?? "info"]),
      text: calm
        ? say(
            `CPU is not busy now (${loadText ?? "no load figure"}; the busiest process ${proc(top)} uses ${formatPercent(top.cpu)}): the spike may have passed`,
            `지금은 CPU가 바쁘지 않음 (${loadText ?? "부하 수치 없음"}; 가장 바쁜 프로세스 ${proc(top)} ${formatPercent(top.cpu)}): 급증은 지나갔을 수 있음`,
          )
        : `${names.join(", ")}${loadText ? `; ${loadText}` : ""}`,
    });
    if (!calm) {
      out.nextSteps.push(
        say(
          `See what ${proc(top)} is doing: \`ps -o pid,etime,args -p ${top.pid}\` and \`cat /proc/${top.pid}/status\`; if it is a runaway job, restart it through its service (\`systemctl restart <unit>\`) or stop it — ATL asks before running anything that changes the host.`,
          `${proc(top)}이(가) 무엇을 하는지 확인: \`ps -o pid,etime,args -p ${top.pid}\`, \`cat /proc/${top.pid}/status\`. 폭주한 작업이면 서비스로 재시작(\`systemctl restart <unit>\`)하거나 중지하세요 — 호스트를 바꾸는 명령은 ATL이 실행 전에 승인을 받습니다.`,
        ),
      );
    }
  } else if (load) {
    out.headlines.push({ kind: "cpu", severity: out.findings[0]?.severity ?? "info", text: loadText ?? say(`load ${load.one}`, `부하 ${load.one}`) });
  }

  // Where the CPU time goes: mpstat (1 s), else top's snapshot, else vmstat's average.
  const breakdown = facts.mpstat?.value.all
    ? { run: facts.mpstat.run, ...facts.mpstat.value.all }
    : facts.top?.value.cpu
      ? { run: facts.top.run, ...facts.top.value.cpu }
      : null;
  const vm = facts.vmstat?.value.average;
  const iowait = breakdown?.iowait ?? vm?.wa ?? null;
  const steal = breakdown?.steal ?? vm?.st ?? null;
  const cpuEvidence = (): Evidence[] => {
    if (breakdown) {
      return [evidence(breakdown.run, [breakdown.line])];
    }
    return facts.vmstat ? [evidence(facts.vmstat.run, [facts.vmstat.value.header, ...facts.vmstat.value.samples.map((s) => s.line)])] : [];
  };
  if (iowait !== null && iowait >= 10) {
    out.findings.push(
      finding(
        say(`CPUs wait on disk I/O (iowait ${formatPercent(iowait)})`, `CPU가 디스크 I/O를 기다림 (iowait ${formatPercent(iowait)})`),
        say("Processes are blocked on storage, not computing: the disk or the EBS volume is the bottleneck.", "프로세스가 계산이 아니라 스토리지에서 막혀 있습니다: 디스크나 EBS 볼륨이 병목입니다."),
        iowait >= 20 ? "high" : "medium",
        cpuEvidence(),
      ),
    );
    out.headlines.push({ kind: "disk-io", severity: iowait >= 20 ? "high" : "medium", text: say(`CPUs wait on disk I/O (iowait ${formatPercent(iowait)})`, `CPU가 디스크 I/O를 기다림 (iowait ${formatPercent(iowait)})`) });
    out.nextSteps.push(
      say(
        "Find the busy device with `iostat -dx 1 5` and the process behind it with `iotop -obn 3` (or `pidstat -d 1 5`).",
        "`iostat -dx 1 5`로 바쁜 장치를, `iotop -obn 3`(또는 `pidstat -d 1 5`)으로 그 뒤의 프로세스를 찾으세요.",
      ),
    );
  }
  if (steal !== null && steal >= 10) {
    out.findings.push(
      finding(
        say(`The hypervisor takes CPU time (steal ${formatPercent(steal)})`, `하이퍼바이저가 CPU 시간을 가져감 (steal ${formatPercent(steal)})`),
        say(
          "The instance gets less CPU than it asks for: burstable (T-series) credits exhausted, or a noisy neighbour.",
          "인스턴스가 요청한 만큼 CPU를 받지 못합니다: 버스터블(T 계열) 크레딧 소진 또는 시끄러운 이웃.",
        ),
        steal >= 25 ? "high" : "medium",
        cpuEvidence(),
      ),
    );
    out.headlines.push({ kind: "cpu", severity: steal >= 25 ? "high" : "medium", text: say(`steal time is ${formatPercent(steal)}`, `steal 시간 ${formatPercent(steal)}`) });
    out.nextSteps.push(
      say(
        "Check the CPUCreditBalance metric of the instance; move to unlimited mode or a non-burstable type if credits run out.",
        "인스턴스의 CPUCreditBalance 지표를 확인하고, 크레딧이 바닥나면 unlimited 모드나 버스터블이 아닌 유형으로 바꾸세요.",
      ),
    );
  }
  if (breakdown && breakdown.system !== null && breakdown.user !== null && breakdown.system >= 30 && breakdown.system > breakdown.user) {
    out.findings.push(
      finding(
        say(`Most CPU time is spent in the kernel (system ${formatPercent(breakdown.system)})`, `CPU 시간 대부분이 커널에서 쓰임 (system ${formatPercent(breakdown.system)})`),
        say("Heavy system calls, interrupts or memory pressure (reclaim) rather than application code.", "애플리케이션 코드보다 시스템 콜, 인터럽트, 메모리 압박(회수)이 많습니다."),
        "medium",
        cpuEvidence(),
      ),
    );
  }
  const mp = facts.mpstat?.value;
  if (mp && mp.cores.length >= 2) {
    const hot = mp.cores.filter((c) => c.idle !== null && c.idle <= 10);
    const avgIdle = mp.all?.idle ?? null;
    if (hot.length === 1 && avgIdle !== null && avgIdle >= 40) {
      out.findings.push(
        finding(
          say(`One core is saturated (CPU ${hot[0].cpu} at ${formatPercent(100 - (hot[0].idle ?? 0))})`, `코어 하나가 포화 (CPU ${hot[0].cpu} ${formatPercent(100 - (hot[0].idle ?? 0))})`),
          say("A single-threaded hot spot: one thread is at its limit while other cores idle.", "단일 스레드 병목: 한 스레드가 한계에 있고 다른 코어는 놀고 있습니다."),
          "medium",
          [
          evidence(facts.mpstat!.run, [hot[0].line]),
        ]),
      );
    }
  }
  if (vm && facts.vmstat && cores && vm.r > cores * 2) {
    out.findings.push(
      finding(
        say(`${vm.r.toFixed(0)} runnable processes on average for ${cores} CPUs`, `CPU ${cores}개에 실행 대기 프로세스 평균 ${vm.r.toFixed(0)}개`),
        say("The run queue is more than twice the CPU count: work queues for CPU.", "실행 큐가 CPU 수의 두 배를 넘습니다: 작업이 CPU를 기다립니다."),
        vm.r > cores * 4 ? "high" : "medium",
        [
        evidence(facts.vmstat.run, [facts.vmstat.value.header, ...facts.vmstat.value.samples.map((s) => s.line)]),
      ]),
    );
  }
  if (primary && !top && !load) {
    out.headlines.push({ kind: "cpu", severity: "info", text: say("no CPU figures could be read", "CPU 수치를 읽지 못함") });
  }
  return out;
}

function cpuBusy(facts: Facts): number | null {
  const idle = facts.mpstat?.value.all?.idle ?? facts.top?.value.cpu?.idle ?? facts.vmstat?.value.average.id ?? null;
  return idle === null ? null : 100 - idle;
}

// ---- memory ---------------------------------------------------------------------------------

/** `relevant`: memory is what the alarm or question is about (else only problems are reported). */
export function memoryRules(facts: Facts, relevant: boolean, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const mem = facts.memory?.value;
  const totalBytes = mem?.totalBytes ?? facts.top?.value.memory?.totalBytes ?? null;
  let availText: string | null = null;
  let memSeverity: Severity = "info";
  if (mem && facts.memory) {
    const pct = (mem.availableBytes / mem.totalBytes) * 100;
    memSeverity = pct < 5 ? "critical" : pct < 10 ? "high" : pct < 20 ? "medium" : "info";
    availText = say(`${formatBytes(mem.availableBytes)} (${formatPercent(pct)}) available`, `가용 메모리 ${formatBytes(mem.availableBytes)} (${formatPercent(pct)})`);
    out.findings.push(
      finding(
        say(
          `${formatBytes(mem.availableBytes)} of ${formatBytes(mem.totalBytes)} memory available (${formatPercent(pct)})`,
          `메모리 ${formatBytes(mem.totalBytes)} 중 ${formatBytes(mem.availableBytes)} 가용 (${formatPercent(pct)})`,
        ),
        (pct < 10
          ? say("Memory is nearly exhausted: the kernel will reclaim hard, swap, or kill processes (OOM).", "메모리가 거의 바닥났습니다: 커널이 강하게 회수하거나 스왑하거나 프로세스를 죽입니다(OOM).")
          : pct < 20
            ? say("Memory is getting tight.", "메모리가 빠듯해지고 있습니다.")
            : say("Enough memory is available.", "메모리는 충분합니다.")) +
          (mem.availableEstimated
            ? say(" ('available' estimated as free + buffers + cache: this free has no available column.)", " (이 free에는 available 열이 없어 free + buffers + cache로 추정했습니다.)")
            : "") +
          (mem.swapTotalBytes === 0 ? say(" No swap is configured.", " 스왑이 설정되어 있지 않습니다.") : ""),
        memSeverity,
        [evidence(facts.memory.run, [mem.header, mem.memLine, ...(mem.swapLine ? [mem.swapLine] : [])])],
      ),
    );
    if (mem.swapTotalBytes > 0) {
      const swapPct = (mem.swapUsedBytes / mem.swapTotalBytes) * 100;
      if (swapPct >= 50) {
        out.findings.push(
          finding(
            say(`Swap is ${formatPercent(swapPct)} used (${formatBytes(mem.swapUsedBytes)})`, `스왑 ${formatPercent(swapPct)} 사용 중 (${formatBytes(mem.swapUsedBytes)})`),
            say("Much of the memory was pushed to swap at some point.", "어느 시점에 메모리 상당 부분이 스왑으로 밀려났습니다."),
            swapPct >= 80 ? "high" : "medium",
            [evidence(facts.memory.run, [mem.header, mem.swapLine ?? ""])],
          ),
        );
      }
    }
  }
  const vm = facts.vmstat?.value;
  if (vm && (vm.average.si > 0 || vm.average.so > 0) && facts.vmstat) {
    const rate = vm.average.si + vm.average.so;
    const sev: Severity = rate >= 100 ? "high" : "medium";
    out.findings.push(
      finding(
        say(`The host is swapping (si ${vm.average.si.toFixed(0)}, so ${vm.average.so.toFixed(0)} per second)`, `호스트가 스와핑 중 (초당 si ${vm.average.si.toFixed(0)}, so ${vm.average.so.toFixed(0)})`),
        say("Pages move between memory and swap right now: everything slows down.", "지금 메모리와 스왑 사이에 페이지가 오가고 있어 모든 것이 느려집니다."),
        sev,
        [evidence(facts.vmstat.run, [vm.header, ...vm.samples.map((s) => s.line)])],
      ),
    );
    out.headlines.push({ kind: "memory", severity: sev, text: say("the host is swapping", "호스트가 스와핑 중") });
  }

  // Biggest processes by resident memory: ps sorted by RSS, else top's RES column.
  const table = facts.psByRss ?? (facts.top?.value.table ? { run: facts.top.run, value: facts.top.value.table } : undefined);
  const procs = (table?.value.processes ?? []).filter((p) => p.rssBytes !== null && !p.state?.startsWith("Z")).sort((a, b) => (b.rssBytes ?? 0) - (a.rssBytes ?? 0));
  const top = procs[0];
  if (top && table && top.rssBytes !== null) {
    const share = totalBytes ? (top.rssBytes / totalBytes) * 100 : top.mem;
    const culprits = procs.filter((p, i) => i === 0 || (p.rssBytes ?? 0) >= (top.rssBytes ?? 0) * 0.5).slice(0, 3);
    const sev: Severity = share === null ? "info" : share >= 50 ? "high" : share >= 25 || (memSeverity !== "info" && share >= 10) ? "medium" : share >= 10 ? "low" : "info";
    const shareText = share !== null ? say(` (${formatPercent(share)} of memory)`, ` (메모리의 ${formatPercent(share)})`) : "";
    const report = relevant || facts.psByRss !== undefined || rank(sev) >= RANK.medium;
    if (report) {
      out.findings.push(
        finding(
          say(`${proc(top)} holds ${formatBytes(top.rssBytes)} of memory${shareText}`, `${proc(top)}이(가) 메모리 ${formatBytes(top.rssBytes)} 점유${shareText}`),
          say(
            `The process with the largest resident set${top.elapsedSec !== null ? `, running for ${duration(top.elapsedSec, say)}` : ""}.` +
              (culprits.length > 1 ? ` Next: ${culprits.slice(1).map((p) => `${proc(p)} ${formatBytes(p.rssBytes ?? 0)}`).join(", ")}.` : ""),
            `상주 메모리(RSS)가 가장 큰 프로세스${top.elapsedSec !== null ? `, ${duration(top.elapsedSec, say)}째 실행 중` : ""}.` +
              (culprits.length > 1 ? ` 그다음: ${culprits.slice(1).map((p) => `${proc(p)} ${formatBytes(p.rssBytes ?? 0)}`).join(", ")}.` : ""),
          ),
          worst([sev, memSeverity === "info" ? "info" : "low"]),
          [evidence(table.run, [table.value.header, ...culprits.map((p) => p.line)])],
        ),
      );
    }
    out.headlines.push({
      kind: "memory",
      severity: worst([sev, memSeverity]),
      text: say(`${proc(top)} holds ${formatBytes(top.rssBytes)}`, `${proc(top)}이(가) ${formatBytes(top.rssBytes)} 점유`) + `${shareText}${availText ? `; ${availText}` : ""}`,
    });
    if (rank(worst([sev, memSeverity])) >= RANK.medium) {
      out.nextSteps.push(
        say(
          `Check whether ${proc(top)} keeps growing (\`ps -o rss=,etime= -p ${top.pid}\` a few minutes apart); if it leaks, restart it and cap it (\`MemoryMax=\` in its unit).`,
          `${proc(top)}이(가) 계속 커지는지 몇 분 간격으로 확인하세요 (\`ps -o rss=,etime= -p ${top.pid}\`). 누수라면 재시작하고 상한을 두세요 (유닛의 \`MemoryMax=\`).`,
        ),
      );
    }
  } else if (availText) {
    out.headlines.push({ kind: "memory", severity: memSeverity, text: availText });
  }
  if (memSeverity !== "info") {
    out.nextSteps.push(
      say(
        "Free memory or add it: restart the leaking service, reduce worker counts or caches, or move to a larger instance; add swap only as a buffer.",
        "메모리를 비우거나 늘리세요: 누수 서비스 재시작, 워커 수나 캐시 축소, 더 큰 인스턴스로 이동. 스왑은 완충용으로만 추가하세요.",
      ),
    );
  }

  // OOM kills from the kernel log (newest last in dmesg order).
  if (facts.oomKills.length > 0) {
    const kills = facts.oomKills;
    const latest = kills[kills.length - 1].value;
    const cgroup = kills.every((k) => k.value.cgroup);
    const names = [...new Set(kills.map((k) => displayName(k.value.name)))];
    out.findings.push(
      finding(
        say(
          `The kernel OOM killer killed ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` and ${kills.length - 1} more` : ""}`,
          `커널 OOM killer가 ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` 외 ${kills.length - 1}개` : ""}을(를) 종료함`,
        ),
        say(
          `${kills.length} out-of-memory kill${kills.length > 1 ? "s" : ""} in the kernel log (${names.join(", ")})${latest.when ? `, the latest at ${latest.when}` : ""}.` +
            (cgroup ? " They happened inside a memory cgroup (a container or a unit's MemoryMax= limit), not because the whole host ran out." : ""),
          `커널 로그에 OOM kill ${kills.length}건 (${names.join(", ")})${latest.when ? `, 마지막은 ${latest.when}` : ""}.` +
            (cgroup ? " 호스트 전체가 아니라 메모리 cgroup(컨테이너나 유닛의 MemoryMax= 한도) 안에서 일어났습니다." : ""),
        ),
        "high",
        [evidence(kills[0].run, kills.slice(-5).map((k) => k.value.line))],
      ),
    );
    out.headlines.push({
      kind: "memory",
      severity: "high",
      text: say(
        `the kernel OOM-killed ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` (${kills.length} kills logged)` : ""}`,
        `커널이 ${code(latest.name)} (pid ${latest.pid})을(를) OOM으로 종료함${kills.length > 1 ? ` (로그에 ${kills.length}건)` : ""}`,
      ),
    });
    out.nextSteps.push(
      cgroup
        ? say(
            `Raise the memory limit of the cgroup that killed ${code(latest.name)} (container limit or \`MemoryMax=\`), or make the process use less.`,
            `${code(latest.name)}을(를) 종료한 cgroup의 메모리 한도(컨테이너 한도나 \`MemoryMax=\`)를 올리거나 프로세스 사용량을 줄이세요.`,
          )
        : say(
            `Find why memory ran out when ${code(latest.name)} was killed (\`journalctl -k | grep -i -A20 'invoked oom-killer'\`), then fix the consumer or add memory.`,
            `${code(latest.name)}이(가) 종료될 때 메모리가 왜 바닥났는지 확인하고 (\`journalctl -k | grep -i -A20 'invoked oom-killer'\`), 소비자를 고치거나 메모리를 늘리세요.`,
          ),
    );
  }
  return out;
}

// ---- disk -----------------------------------------------------------------------------------

function usageSeverity(percent: number | null): Severity {
  if (percent === null) {
    return "info";
  }
  return percent >= 95 ? "critical" : percent >= 90 ? "high" : percent >= 80 ? "medium" : "info";
}

export function diskRules(facts: Facts, target: Target, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const mounts = (facts.df?.value ?? []).filter((m) => !isNoiseMount(m));
  const path = target.path ?? facts.duRoot;
  let focus: MountUsage | null = null;
  if (facts.df && mounts.length > 0) {
    const fullest = [...mounts].sort((a, b) => (b.usePercent ?? 0) - (a.usePercent ?? 0))[0] ?? null;
    const asked = path ? mountFor(facts.df.value, path) : null;
    focus = asked ?? fullest;
    const reported = new Set<MountUsage>();
    for (const m of [focus, ...mounts.filter((x) => (x.usePercent ?? 0) >= 90)]) {
      if (!m || reported.has(m)) {
        continue;
      }
      reported.add(m);
      const sev = usageSeverity(m.usePercent);
      out.findings.push(
        finding(
          say(`${displayName(m.mountedOn)} is ${m.usePercent ?? "?"}% full (${m.avail} free of ${m.size})`, `${displayName(m.mountedOn)} 사용률 ${m.usePercent ?? "?"}% (${m.size} 중 ${m.avail} 남음)`),
          (m === asked && path && path !== m.mountedOn
            ? say(`${displayName(path)} lives on this filesystem (${displayName(m.filesystem)}). `, `${displayName(path)}은(는) 이 파일시스템(${displayName(m.filesystem)})에 있습니다. `)
            : say(`Filesystem ${displayName(m.filesystem)}. `, `파일시스템 ${displayName(m.filesystem)}. `)) +
            (sev === "critical"
              ? say("Writes will fail soon or already do (logs, databases, temp files).", "곧 또는 이미 쓰기가 실패합니다 (로그, 데이터베이스, 임시 파일).")
              : sev === "info"
                ? say("Space is not the problem here.", "공간은 문제가 아닙니다.")
                : say("Space is running low.", "공간이 부족해지고 있습니다.")),
          sev,
          [evidence(facts.df.run, [facts.df.value.length > 0 ? (facts.df.run.stdout.split("\n")[0] ?? "") : "", m.line])],
        ),
      );
    }
    if (focus) {
      out.headlines.push({
        kind: "disk",
        severity: usageSeverity(focus.usePercent),
        text: say(`${displayName(focus.mountedOn)} is ${focus.usePercent ?? "?"}% full (${focus.avail} free of ${focus.size})`, `${displayName(focus.mountedOn)} 사용률 ${focus.usePercent ?? "?"}% (${focus.size} 중 ${focus.avail} 남음)`),
      });
    }
  }

  const inodes = (facts.dfInodes?.value ?? []).filter((m) => !isNoiseMount(m) && m.usePercent !== null);
  if (facts.dfInodes && inodes.length > 0) {
    const asked = path ? mountFor(inodes, path) : null;
    const fullest = [...inodes].sort((a, b) => (b.usePercent ?? 0) - (a.usePercent ?? 0))[0];
    const m = fullest.usePercent! >= 80 ? fullest : (asked ?? fullest);
    const sev = usageSeverity(m.usePercent);
    out.findings.push(
      finding(
        sev === "info"
          ? say(`Inodes are not the problem (${m.usePercent}% used on ${displayName(m.mountedOn)})`, `아이노드는 문제가 아님 (${displayName(m.mountedOn)} ${m.usePercent}% 사용)`)
          : say(`${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes`, `${displayName(m.mountedOn)} 아이노드 ${m.usePercent}% 사용`),
        sev === "info"
          ? say("The file count is far from the limit.", "파일 수가 한도와 거리가 멉니다.")
          : say(
              "Running out of inodes blocks new files even with free space: usually millions of small files (sessions, caches, mail queues).",
              "아이노드가 바닥나면 공간이 남아도 새 파일을 만들 수 없습니다: 보통 수백만 개의 작은 파일(세션, 캐시, 메일 큐) 때문입니다.",
            ),
        sev,
        [evidence(facts.dfInodes.run, [facts.dfInodes.run.stdout.split("\n")[0] ?? "", m.line])],
      ),
    );
    if (sev !== "info") {
      out.headlines.push({ kind: "disk", severity: sev, text: say(`${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes`, `${displayName(m.mountedOn)} 아이노드 ${m.usePercent}% 사용`) });
      out.nextSteps.push(
        say(
          `Find the directories with the most files: \`du --inodes -x ${displayName(m.mountedOn)} 2>/dev/null | sort -rn | head -20\`.`,
          `파일이 가장 많은 디렉터리를 찾으세요: \`du --inodes -x ${displayName(m.mountedOn)} 2>/dev/null | sort -rn | head -20\`.`,
        ),
      );
    }
  }

  const focusSeverity = focus ? usageSeverity(focus.usePercent) : "info";
  const du = facts.du?.value ?? [];
  if (facts.du && du.length > 0) {
    const root = du.find((e) => e.path === facts.duRoot) ?? [...du].sort((a, b) => a.path.length - b.path.length)[0];
    const hot = hotSpot(du, root);
    const listed = [...du].sort((a, b) => b.bytes - a.bytes).slice(0, 6);
    out.findings.push(
      finding(
        hot && hot !== root
          ? say(`Most of ${displayName(root.path)} is in ${displayName(hot.path)} (${hot.size} of ${root.size})`, `${displayName(root.path)}의 대부분이 ${displayName(hot.path)}에 있음 (${root.size} 중 ${hot.size})`)
          : say(`Largest directories under ${displayName(root.path)}`, `${displayName(root.path)} 아래에서 가장 큰 디렉터리`),
        say("Largest: ", "크기순: ") +
          `${listed
            .filter((e) => e !== root)
            .slice(0, 4)
            .map((e) => `${displayName(e.path)} ${e.size}`)
            .join(", ")}.`,
        focusSeverity === "info" ? "info" : "medium",
        [evidence(facts.du.run, listed.map((e) => e.line))],
      ),
    );
    if (hot && hot !== root) {
      out.headlines.push({
        kind: "disk",
        severity: rank(focusSeverity) >= RANK.medium ? "medium" : "info",
        text: say(`most of it is in ${displayName(hot.path)} (${hot.size})`, `대부분은 ${displayName(hot.path)} (${hot.size})`),
      });
      if (rank(focusSeverity) >= RANK.medium) {
        out.nextSteps.push(
          say(
            `Clean up ${displayName(hot.path)}: rotate and compress logs (\`logrotate -f\`), delete old archives or dumps, or move them to another volume.`,
            `${displayName(hot.path)}을(를) 정리하세요: 로그 순환·압축(\`logrotate -f\`), 오래된 아카이브나 덤프 삭제, 또는 다른 볼륨으로 이동.`,
          ),
        );
      }
    }
  }
  const files = facts.largeFiles?.value ?? [];
  if (facts.largeFiles && files.length > 0) {
    const sorted = [...files].sort((a, b) => b.bytes - a.bytes);
    const biggest = sorted[0];
    out.findings.push(
      finding(
        say(`Largest file: ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`, `가장 큰 파일: ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`),
        sorted.length > 1
          ? say("Then ", "그다음: ") + `${sorted.slice(1, 4).map((f) => `${displayName(f.path)} (${formatBytes(f.bytes)})`).join(", ")}.`
          : say("The only file over the size threshold.", "크기 기준을 넘는 유일한 파일입니다."),
        focusSeverity === "info" ? "info" : "medium",
        [evidence(facts.largeFiles.run, sorted.slice(0, 5).map((f) => f.line))],
      ),
    );
    out.headlines.push({ kind: "disk", severity: "info", text: say(`largest file ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`, `가장 큰 파일 ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`) });
  }
  const deleted = facts.deletedOpen?.value ?? [];
  if (facts.deletedOpen && deleted.length > 0) {
    const total = deleted.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0);
    if (total >= 10 * 1024 * 1024) {
      const holders = new Map<number, { command: string; bytes: number }>();
      for (const f of deleted) {
        const h = holders.get(f.pid) ?? { command: f.command, bytes: 0 };
        h.bytes += f.sizeBytes ?? 0;
        holders.set(f.pid, h);
      }
      const [pid, holder] = [...holders.entries()].sort((a, b) => b[1].bytes - a[1].bytes)[0];
      const sev: Severity = total >= 1024 ** 3 ? "high" : "medium";
      out.findings.push(
        finding(
          say(`Deleted files still held open: ${formatBytes(total)}, most by ${code(holder.command)} (pid ${pid})`, `삭제됐지만 열려 있는 파일: ${formatBytes(total)}, 대부분 ${code(holder.command)} (pid ${pid})`),
          say("Their space is freed only when the process closes them (a log deleted instead of rotated).", "프로세스가 파일을 닫아야 공간이 풀립니다 (순환 대신 삭제된 로그)."),
          sev,
          [evidence(facts.deletedOpen.run, [facts.deletedOpen.run.stdout.split("\n")[0] ?? "", ...deleted.sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0)).slice(0, 5).map((f) => f.line)])],
        ),
      );
      out.headlines.push({
        kind: "disk",
        severity: sev,
        text: say(`${formatBytes(total)} of deleted files are still held open by ${code(holder.command)} (pid ${pid})`, `삭제된 파일 ${formatBytes(total)}을(를) ${code(holder.command)} (pid ${pid})이(가) 아직 열고 있음`),
      });
      out.nextSteps.push(
        say(
          `Make ${code(holder.command)} (pid ${pid}) reopen its files (reload or restart the service) to free ${formatBytes(total)}.`,
          `${code(holder.command)} (pid ${pid})이(가) 파일을 다시 열게 하세요 (서비스 reload 또는 재시작). ${formatBytes(total)}이(가) 풀립니다.`,
        ),
      );
    }
  }
  if (rank(focusSeverity) >= RANK.high && focus) {
    out.nextSteps.push(
      say(
        `If nothing can be deleted, grow the volume behind ${displayName(focus.mountedOn)} (EBS modify-volume, then \`growpart\` and \`resize2fs\` / \`xfs_growfs\`).`,
        `지울 것이 없다면 ${displayName(focus.mountedOn)}의 볼륨을 늘리세요 (EBS modify-volume 후 \`growpart\`, \`resize2fs\` / \`xfs_growfs\`).`,
      ),
    );
  }
  return out;
}

/** The deepest directory holding at least half of the root's size. */
function hotSpot(entries: SizedPath[], root: SizedPath): SizedPath | null {
  let best: SizedPath | null = null;
  for (const e of entries) {
    if (e.bytes >= root.bytes * 0.5 && (e.path === root.path || e.path.startsWith(`${root.path.replace(/\/$/, "")}/`))) {
      if (!best || e.path.split("/").length > best.path.split("/").length) {
        best = e;
      }
    }
  }
  return best;
}

export function diskIoRules(facts: Facts, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const devices = facts.iostat?.value ?? [];
  if (!facts.iostat || devices.length === 0) {
    return out;
  }
  const busiestDevice = [...devices].sort((a, b) => (b.utilPercent ?? 0) - (a.utilPercent ?? 0))[0];
  const wait = Math.max(busiestDevice.readAwaitMs ?? 0, busiestDevice.writeAwaitMs ?? 0);
  const util = busiestDevice.utilPercent ?? 0;
  const sev: Severity = util >= 90 || wait >= 200 ? "high" : util >= 60 || wait >= 50 ? "medium" : "info";
  out.findings.push(
    finding(
      sev === "info"
        ? say(`Disks are not busy (${displayName(busiestDevice.device)} at ${formatPercent(util)})`, `디스크가 바쁘지 않음 (${displayName(busiestDevice.device)} ${formatPercent(util)})`)
        : say(`${displayName(busiestDevice.device)} is ${formatPercent(util)} busy (await up to ${wait.toFixed(0)} ms)`, `${displayName(busiestDevice.device)} 사용률 ${formatPercent(util)} (대기 최대 ${wait.toFixed(0)} ms)`),
      sev === "info"
        ? say("No device is near saturation in the sampled second.", "측정한 1초 동안 포화에 가까운 장치가 없습니다.")
        : say("The device is near its limit: requests queue and every write or read waits.", "장치가 한계에 가깝습니다: 요청이 쌓이고 모든 읽기·쓰기가 기다립니다."),
      sev,
      [evidence(facts.iostat.run, [busiestDevice.header, busiestDevice.line])],
    ),
  );
  out.headlines.push({
    kind: "disk-io",
    severity: sev,
    text:
      sev === "info"
        ? say(`disks are not busy (${displayName(busiestDevice.device)} ${formatPercent(util)})`, `디스크가 바쁘지 않음 (${displayName(busiestDevice.device)} ${formatPercent(util)})`)
        : say(`${displayName(busiestDevice.device)} is ${formatPercent(util)} busy`, `${displayName(busiestDevice.device)} 사용률 ${formatPercent(util)}`),
  });
  if (sev !== "info") {
    out.nextSteps.push(
      say(
        "Find the process doing the I/O (`iotop -obn 3` or `pidstat -d 1 5`); for EBS, compare with the volume's IOPS/throughput limits and burst balance.",
        "I/O를 일으키는 프로세스를 찾고 (`iotop -obn 3` 또는 `pidstat -d 1 5`), EBS라면 볼륨의 IOPS/처리량 한도와 버스트 잔량과 비교하세요.",
      ),
    );
  }
  return out;
}

// ---- services -------------------------------------------------------------------------------

export function serviceRules(facts: Facts, target: Target, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const service = target.service;
  const port = target.port;
  const phrases: { severity: Severity; text: string; port?: boolean }[] = [];

  for (const { run, value: unit } of facts.unitsMissing) {
    out.findings.push(
      finding(
        say(`No unit named ${code(unit)} on this host`, `이 호스트에 ${code(unit)} 유닛이 없음`),
        say("systemd does not know this service name: check the spelling (`systemctl list-units --type=service`).", "systemd가 이 서비스 이름을 모릅니다: 철자를 확인하세요 (`systemctl list-units --type=service`)."),
        "medium",
        [evidence(run, [run.stderr.split("\n")[0] ?? ""])],
      ),
    );
    phrases.push({ severity: "medium", text: say(`there is no unit named ${code(unit)}`, `${code(unit)} 유닛이 없음`) });
  }
  for (const { run, value: status } of facts.unitStatus) {
    // The cause (emerg/error/denied…) usually comes before systemd's own "Failed …" lines: quote it first.
    const causes = status.logLines.filter((l) => /emerg|error|denied|refused|fatal|cannot|unable|in use/i.test(l));
    const failures = status.logLines.filter((l) => !causes.includes(l) && /fail/i.test(l));
    const ev = evidence(run, [status.activeLine, ...status.exitLines, ...[...causes.slice(0, 3), ...failures].slice(0, 4)]);
    if (status.state === "active") {
      const state = displayName(status.activeText.split(" since")[0] ?? "active");
      out.findings.push(
        finding(
          say(`${code(status.unit)} is ${state}${status.mainPid ? `, main PID ${status.mainPid}` : ""}`, `${code(status.unit)} 상태 ${state}${status.mainPid ? `, 메인 PID ${status.mainPid}` : ""}`),
          say("systemd reports the service as running.", "systemd가 서비스를 실행 중으로 보고합니다."),
          "info",
          [ev],
        ),
      );
      phrases.push({ severity: "info", text: say(`${code(status.unit)} is active`, `${code(status.unit)} 실행 중`) });
    } else {
      const restarting = /auto-restart/.test(status.activeText);
      const sev: Severity = "high";
      out.findings.push(
        finding(
          restarting
            ? say(`${code(status.unit)} keeps restarting`, `${code(status.unit)}이(가) 계속 재시작됨`)
            : say(
                `${code(status.unit)} is ${status.state === "failed" ? "failed" : displayName(status.activeText.split(" since")[0] ?? status.state)}`,
                `${code(status.unit)} 상태 ${status.state === "failed" ? "failed (실패)" : displayName(status.activeText.split(" since")[0] ?? status.state)}`,
              ),
          `${displayName(status.activeText)}.` + (status.exitLines.length > 0 ? say(" The last run ended with an error status.", " 마지막 실행이 오류 상태로 끝났습니다.") : ""),
          sev,
          [ev],
        ),
      );
      phrases.push({
        severity: sev,
        text: restarting ? say(`${code(status.unit)} keeps restarting`, `${code(status.unit)}이(가) 계속 재시작됨`) : say(`${code(status.unit)} is ${status.state}`, `${code(status.unit)} 상태 ${status.state}`),
      });
      const name = status.unit.replace(/\.service$/, "");
      out.nextSteps.push(
        say(
          `Read why ${code(status.unit)} stopped: \`journalctl -u ${displayName(name)} -b --no-pager | tail -50\`; fix the cause, then \`systemctl restart ${displayName(name)}\` (ATL asks before running it).`,
          `${code(status.unit)}이(가) 멈춘 이유를 읽으세요: \`journalctl -u ${displayName(name)} -b --no-pager | tail -50\`. 원인을 고친 뒤 \`systemctl restart ${displayName(name)}\` (실행 전에 ATL이 승인을 받습니다).`,
        ),
      );
    }
  }
  for (const { run, value } of facts.unitJournal) {
    if (value.errors.length > 0) {
      out.findings.push(
        finding(
          say(`${value.errors.length} error line${value.errors.length > 1 ? "s" : ""} in the log of ${code(value.unit)}`, `${code(value.unit)} 로그에 오류 ${value.errors.length}줄`),
          say("The latest ones are quoted.", "최근 것을 인용합니다."),
          "medium",
          [evidence(run, value.errors.slice(-5))],
        ),
      );
    }
  }
  if (facts.failedUnits && facts.failedUnits.value.length > 0) {
    const units = facts.failedUnits.value;
    const listed = units.slice(0, 5).map((u) => code(u.unit)).join(", ");
    out.findings.push(
      finding(
        say(`${units.length} failed unit${units.length > 1 ? "s" : ""}: ${listed}`, `실패한 유닛 ${units.length}개: ${listed}`),
        say("systemd lists these units as failed.", "systemd가 이 유닛들을 실패로 표시합니다."),
        "high",
        [evidence(facts.failedUnits.run, units.map((u) => u.line))],
      ),
    );
    const few = units.slice(0, 3).map((u) => code(u.unit)).join(", ");
    phrases.push({ severity: "high", text: say(`failed unit${units.length > 1 ? "s" : ""} ${few}`, `실패한 유닛 ${few}`) });
    out.nextSteps.push(
      say(
        `Look at each failed unit: \`systemctl status ${displayName(units[0].unit)} --no-pager -l\` and its journal.`,
        `실패한 유닛마다 확인하세요: \`systemctl status ${displayName(units[0].unit)} --no-pager -l\`와 그 저널.`,
      ),
    );
  }
  if (facts.systemdMissing && (service || facts.failedUnits === undefined)) {
    out.findings.push(
      finding(
        say("systemd is not running on this host", "이 호스트에는 systemd가 실행 중이 아님"),
        say(
          "PID 1 is not systemd (a container or a minimal VM): service state comes from processes and ports only.",
          "PID 1이 systemd가 아닙니다 (컨테이너나 최소 VM): 서비스 상태는 프로세스와 포트로만 판단합니다.",
        ),
        "info",
        [
        evidence(facts.systemdMissing, [facts.systemdMissing.stderr.split("\n")[0] ?? ""]),
      ]),
    );
  }
  let running: ProcessSample[] | null = null;
  for (const { run, value } of facts.byName) {
    const procs = (value.table?.processes ?? []).filter((p) => !p.state?.startsWith("Z"));
    if (procs.length === 0) {
      running = running ?? [];
      out.findings.push(
        finding(
          say(`No process named ${code(value.name)} is running`, `${code(value.name)} 프로세스가 실행 중이 아님`),
          say("ps finds no process with that name.", "ps에서 그 이름의 프로세스를 찾지 못했습니다."),
          "high",
          [evidence(run, [value.table?.header ?? run.stdout.split("\n")[0] ?? ""])],
        ),
      );
      phrases.push({ severity: "high", text: say(`${code(value.name)} is not running`, `${code(value.name)}이(가) 실행 중이 아님`) });
    } else {
      running = procs;
      const first = procs[0];
      const young = first.elapsedSec !== null && first.elapsedSec < 300;
      out.findings.push(
        finding(
          young
            ? say(`${proc(first)} started ${duration(first.elapsedSec ?? 0, say)} ago`, `${proc(first)}이(가) ${duration(first.elapsedSec ?? 0, say)} 전에 시작됨`)
            : say(
                `${proc(first)} is running${first.elapsedSec !== null ? ` (up ${duration(first.elapsedSec, say)})` : ""}`,
                `${proc(first)} 실행 중${first.elapsedSec !== null ? ` (${duration(first.elapsedSec, say)}째)` : ""}`,
              ),
          (procs.length > 1 ? say(`${procs.length} processes with that name. `, `같은 이름의 프로세스 ${procs.length}개. `) : "") +
            (young
              ? say("A very young process: it may have just restarted or be crash-looping.", "아주 최근에 시작된 프로세스입니다: 방금 재시작했거나 크래시 루프일 수 있습니다.")
              : say("The process exists.", "프로세스가 있습니다.")),
          young ? "medium" : "info",
          [evidence(run, [value.table?.header ?? "", ...procs.slice(0, 5).map((p) => p.line)])],
        ),
      );
      phrases.push({
        severity: young ? "medium" : "info",
        text: young
          ? say(`${proc(first)} started only ${duration(first.elapsedSec ?? 0, say)} ago (it may be restarting)`, `${proc(first)}이(가) ${duration(first.elapsedSec ?? 0, say)} 전에야 시작됨 (재시작 중일 수 있음)`)
          : say(`${proc(first)} is running`, `${proc(first)} 실행 중`),
      });
    }
  }
  if (facts.listeners) {
    const listeners = facts.listeners.value;
    if (port !== undefined) {
      const hits = listeners.filter((l) => l.port === port);
      if (hits.length === 0) {
        out.findings.push(
          finding(
            say(`Nothing listens on port ${port}`, `포트 ${port}에서 대기 중인 것이 없음`),
            say(`No socket is bound to port ${port}: clients get "connection refused".`, `포트 ${port}에 바인딩된 소켓이 없습니다: 클라이언트는 "connection refused"를 받습니다.`),
            "high",
            [evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? "", ...listeners.slice(0, 6).map((l) => l.line)])],
          ),
        );
        phrases.push({ severity: "high", text: say(`nothing listens on port ${port}`, `포트 ${port}에서 대기 중인 것이 없음`) });
        out.nextSteps.push(
          say(
            `Start the service that should own port ${port} and confirm with \`ss -ltnp 'sport = :${port}'\`; if it fails to bind, look for "address already in use" in its log.`,
            `포트 ${port}을(를) 써야 할 서비스를 시작하고 \`ss -ltnp 'sport = :${port}'\`로 확인하세요. 바인딩에 실패하면 로그에서 "address already in use"를 찾으세요.`,
          ),
        );
      } else {
        const owner = hits.flatMap((h) => h.processes)[0];
        out.findings.push(
          finding(
            say(
              `Port ${port} is open${owner ? ` (${code(owner.name)}, pid ${owner.pid})` : ""} on ${hits.map((h) => displayName(h.address)).join(", ")}`,
              `포트 ${port} 열림${owner ? ` (${code(owner.name)}, pid ${owner.pid})` : ""}: ${hits.map((h) => displayName(h.address)).join(", ")}`,
            ),
            owner && service && owner.name !== service
              ? say(`The port is held by ${code(owner.name)}, not ${code(service)}.`, `이 포트는 ${code(service)}이(가) 아니라 ${code(owner.name)}이(가) 쓰고 있습니다.`)
              : say(
                  "The port accepts connections locally; if clients still fail, look at firewalls, security groups or the load balancer.",
                  "포트가 로컬에서 연결을 받습니다. 클라이언트가 여전히 실패하면 방화벽, 보안 그룹, 로드 밸런서를 확인하세요.",
                ),
            owner && service && owner.name !== service ? "medium" : "info",
            [evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? "", ...hits.map((h) => h.line)])],
          ),
        );
        phrases.push({ severity: "info", port: true, text: say(`port ${port} is open${owner ? ` (${code(owner.name)})` : ""}`, `포트 ${port} 열림${owner ? ` (${code(owner.name)})` : ""}`) });
      }
    } else if (service) {
      const hits = listeners.filter((l) => l.processes.some((p) => p.name === service));
      if (hits.length > 0) {
        const where = hits.map((h) => `${displayName(h.address)}:${h.port}`).join(", ");
        out.findings.push(
          finding(say(`${code(service)} listens on ${where}`, `${code(service)}이(가) ${where}에서 대기 중`), say("Its sockets are open.", "소켓이 열려 있습니다."), "info", [
            evidence(facts.listeners.run, hits.map((h) => h.line)),
          ]),
        );
      }
    }
  }
  if (service && running !== null && running.length === 0) {
    out.nextSteps.push(
      say(
        `Start ${code(service)} (\`systemctl start ${displayName(service)}\`, or its init script) and read its log for the reason it stopped.`,
        `${code(service)}을(를) 시작하고 (\`systemctl start ${displayName(service)}\` 또는 init 스크립트) 로그에서 멈춘 이유를 확인하세요.`,
      ),
    );
  }
  // One sentence: the worst facts first ("`x` is not running and nothing listens on port 8080").
  const sorted = phrases.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const bad = sorted.filter((p) => RANK[p.severity] >= RANK.medium);
  // Problems first; the state of the port asked about is part of the answer either way.
  const portState = sorted.filter((p) => RANK[p.severity] < RANK.medium && p.port === true);
  const chosen = (bad.length > 0 ? [...bad, ...portState] : sorted).slice(0, 3);
  if (chosen.length > 0) {
    out.headlines.push({ kind: "service", severity: worst(chosen.map((p) => p.severity)), text: joinAnd(chosen.map((p) => p.text), say) });
  }
  return out;
}

// ---- network and kernel ---------------------------------------------------------------------

export function networkRules(facts: Facts, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  for (const iface of facts.links?.value ?? []) {
    if (iface.name === "lo" || !iface.up) {
      continue;
    }
    const rxBad = (iface.rx.errors ?? 0) + (iface.rx.dropped ?? 0) + (iface.rx.missed ?? 0) + (iface.rx.overrun ?? 0);
    const txBad = (iface.tx.errors ?? 0) + (iface.tx.dropped ?? 0) + (iface.tx.carrier ?? 0);
    const packets = (iface.rx.packets ?? 0) + (iface.tx.packets ?? 0);
    if (rxBad + txBad === 0 || packets === 0) {
      continue;
    }
    const ratio = ((rxBad + txBad) / packets) * 100;
    const sev: Severity = ratio >= 1 ? "high" : ratio >= 0.1 ? "medium" : "low";
    const shown = ratio < 0.01 ? "<0.01" : ratio.toFixed(2);
    out.findings.push(
      finding(
        say(
          `${displayName(iface.name)}: ${rxBad} receive and ${txBad} transmit errors/drops since boot (${shown}% of packets)`,
          `${displayName(iface.name)}: 부팅 후 수신 오류/드롭 ${rxBad}, 송신 ${txBad} (패킷의 ${shown}%)`,
        ),
        say("Counters since boot: compare with a second run to see whether they grow now.", "부팅 후 누적 값입니다: 한 번 더 실행해 지금도 늘어나는지 비교하세요."),
        sev,
        [evidence(facts.links!.run, iface.lines)],
      ),
    );
    if (sev !== "low") {
      out.headlines.push({ kind: "network", severity: sev, text: say(`${displayName(iface.name)} drops or errors ${ratio.toFixed(2)}% of packets`, `${displayName(iface.name)} 패킷의 ${ratio.toFixed(2)}%가 드롭 또는 오류`) });
      out.nextSteps.push(
        say(
          `Watch whether the drops grow (\`ip -s link show ${displayName(iface.name)}\` twice, a minute apart) and compare with the instance's network allowance (\`ethtool -S ${displayName(iface.name)} | grep allowance\`).`,
          `드롭이 늘어나는지 1분 간격으로 두 번 확인하고 (\`ip -s link show ${displayName(iface.name)}\`), 인스턴스 네트워크 허용량과 비교하세요 (\`ethtool -S ${displayName(iface.name)} | grep allowance\`).`,
        ),
      );
    }
  }
  const tcp = facts.sockets?.value.tcp;
  if (tcp && facts.sockets) {
    const sev: Severity = tcp.timewait >= 30000 || tcp.orphaned >= 5000 ? "high" : tcp.timewait >= 10000 || tcp.orphaned >= 1000 ? "medium" : "info";
    out.findings.push(
      finding(
        say(`${tcp.estab} established TCP connections, ${tcp.timewait} in TIME-WAIT, ${tcp.orphaned} orphaned`, `TCP 연결 ${tcp.estab}개 수립, TIME-WAIT ${tcp.timewait}개, orphan ${tcp.orphaned}개`),
        sev === "info"
          ? say("Socket counts look normal.", "소켓 수는 정상으로 보입니다.")
          : say("Many short-lived or abandoned connections: connection churn or clients not reusing connections.", "짧게 쓰고 버리는 연결이 많습니다: 연결 churn 또는 클라이언트가 연결을 재사용하지 않음."),
        sev,
        [evidence(facts.sockets.run, [facts.sockets.value.line ?? ""])],
      ),
    );
    out.headlines.push({ kind: "network", severity: sev, text: say(`${tcp.estab} established TCP connections`, `TCP 연결 ${tcp.estab}개`) });
  }
  const counter = (name: string): { run: CommandRun; value: number; lines: string[] } | null => {
    for (const c of facts.counters) {
      const hit = c.value.get(name);
      if (hit) {
        return { run: c.run, value: hit.value, lines: hit.lines };
      }
    }
    return null;
  };
  const overflows = counter("TcpExtListenOverflows");
  const drops = counter("TcpExtListenDrops");
  const dropped = Math.max(overflows?.value ?? 0, drops?.value ?? 0);
  if (dropped > 0) {
    const source = (overflows ?? drops)!;
    out.findings.push(
      finding(
        say(`The kernel dropped ${dropped} incoming connections since boot: an accept queue was full`, `부팅 후 커널이 들어오는 연결 ${dropped}개를 버림: accept 큐가 가득 참`),
        say("A service does not accept connections fast enough, or its listen backlog is too small.", "서비스가 연결을 충분히 빨리 받지 못하거나 listen backlog가 너무 작습니다."),
        "medium",
        [
        evidence(source.run, [...new Set([...(overflows?.lines ?? []), ...(drops?.lines ?? [])])], 4, 4000),
      ]),
    );
    out.headlines.push({ kind: "network", severity: "medium", text: say(`${dropped} connections were dropped at a full accept queue`, `가득 찬 accept 큐에서 연결 ${dropped}개가 버려짐`) });
  }
  const retrans = counter("TcpRetransSegs");
  const sent = counter("TcpOutSegs");
  if (retrans && sent && sent.value > 1000) {
    const ratio = (retrans.value / sent.value) * 100;
    if (ratio >= 1) {
      const sev: Severity = ratio >= 5 ? "high" : "medium";
      out.findings.push(
        finding(
          say(`${ratio.toFixed(1)}% of TCP segments were retransmitted since boot`, `부팅 후 TCP 세그먼트의 ${ratio.toFixed(1)}%가 재전송됨`),
          say("Packets are lost or delayed on the path (or the peer is overloaded).", "경로에서 패킷이 유실되거나 지연됩니다 (또는 상대가 과부하)."),
          sev,
          [evidence(retrans.run, retrans.lines, 4, 4000)],
        ),
      );
      out.headlines.push({ kind: "network", severity: sev, text: say(`${ratio.toFixed(1)}% of TCP segments were retransmitted`, `TCP 세그먼트 ${ratio.toFixed(1)}% 재전송`) });
    }
  }
  if (facts.listeners && facts.listeners.value.length > 0 && out.findings.length === 0) {
    out.headlines.push({ kind: "network", severity: "info", text: say(`${facts.listeners.value.length} listening sockets, no interface errors`, `대기 소켓 ${facts.listeners.value.length}개, 인터페이스 오류 없음`) });
  }
  return out;
}

export function kernelRules(facts: Facts, say: Say): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const serious = facts.kernel.filter((k) => k.value.kind !== "oom");
  const groups = new Map<string, From<{ kind: string; line: string }>[]>();
  for (const k of serious) {
    groups.set(k.value.kind, [...(groups.get(k.value.kind) ?? []), k]);
  }
  const titles: Record<string, [string, string, Severity, string, string]> = {
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
  for (const [kind, hits] of groups) {
    const [titleEn, titleKo, sev, detailEn, detailKo] = titles[kind] ?? ["Notable kernel messages", "주목할 커널 메시지", "medium", "", ""];
    out.findings.push(
      finding(say(`${titleEn} (${hits.length} line${hits.length > 1 ? "s" : ""})`, `${titleKo} (${hits.length}줄)`), say(detailEn, detailKo), sev, [
        evidence(hits[0].run, hits.slice(-5).map((h) => h.value.line)),
      ]),
    );
    out.headlines.push({ kind: "status-check", severity: sev, text: say(titleEn.charAt(0).toLowerCase() + titleEn.slice(1), titleKo) });
  }
  if (groups.has("filesystem") || groups.has("disk-io")) {
    out.nextSteps.push(
      say(
        "Check the volume in the EC2 console (status checks, attachment) and the file system (`dmesg -T | grep -i -E 'error|read-only'`); plan a repair with fsck on an unmounted copy.",
        "EC2 콘솔에서 볼륨(상태 검사, 연결)과 파일시스템(`dmesg -T | grep -i -E 'error|read-only'`)을 확인하고, 마운트하지 않은 사본에서 fsck로 복구를 계획하세요.",
      ),
    );
  }
  const journal = facts.journalErrors;
  if (journal && journal.value.length > 0) {
    out.findings.push(
      finding(
        say(`${journal.value.length} error entr${journal.value.length > 1 ? "ies" : "y"} in the system journal`, `시스템 저널에 오류 ${journal.value.length}건`),
        say("The latest ones are quoted.", "최근 것을 인용합니다."),
        "medium",
        [evidence(journal.run, journal.value.slice(-5))],
      ),
    );
    out.headlines.push({ kind: "status-check", severity: "medium", text: say(`${journal.value.length} recent error entries in the system journal`, `시스템 저널에 최근 오류 ${journal.value.length}건`) });
  }
  return out;
}

export function gapFindings(facts: Facts, say: Say): Finding[] {
  if (facts.gaps.length === 0) {
    return [];
  }
  return [
    finding(
      say(`${facts.gaps.length} command${facts.gaps.length > 1 ? "s" : ""} gave no data`, `명령 ${facts.gaps.length}개는 데이터를 주지 못함`),
      facts.gaps.map((g) => `\`${firstWords(g.run.command)}\`: ${g.why}.`).join(" "),
      "info",
      facts.gaps.filter((g) => g.line).map((g) => evidence(g.run, [g.line ?? ""])),
    ),
  ];
}

function firstWords(command: string): string {
  const words = command.split(/\s+/);
  return displayName(words.slice(0, 3).join(" ") + (words.length > 3 ? " …" : ""));
}

export function duration(seconds: number, say: Say): string {
  if (seconds < 90) {
    return say(`${Math.round(seconds)} s`, `${Math.round(seconds)}초`);
  }
  if (seconds < 5400) {
    return say(`${Math.round(seconds / 60)} min`, `${Math.round(seconds / 60)}분`);
  }
  if (seconds < 172800) {
    return say(`${Math.round(seconds / 3600)} h`, `${Math.round(seconds / 3600)}시간`);
  }
  return say(`${Math.round(seconds / 86400)} days`, `${Math.round(seconds / 86400)}일`);
}

function joinAnd(parts: string[], say: Say): string {
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")}${say(" and ", ", ")}${parts[parts.length - 1]}`;
}
