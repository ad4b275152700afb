// Memory and swap: utilisation (available memory), saturation (swapping over an interval, memory
// pressure), errors (OOM kills, aged against the host's uptime), and who holds the memory — one
// process, or one command's many processes together.
import type { Severity } from "../../diagnosis";
import { displayName, formatBytes, formatPercent } from "../parse/common";
import type { ProcessSample } from "../parse/system";
import { ageOf, code, duration, evidence, finding, isKernelThread, output, proc, rank, recent, worst, type Candidate, type RuleContext, type RuleOutput } from "./common";
import { josa, particle } from "../lang";

/** The largest consumer must hold this much more than the next one to be named. */
const DOMINANCE = 1.5;

export function memoryRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const mem = facts.memory?.value;
  const totalBytes = mem?.totalBytes ?? facts.top?.value.memory?.totalBytes ?? null;
  const pressure = facts.kernelFigures?.value.pressure.memory ?? null;
  let availText: string | null = null;
  let memSeverity: Severity = "info";
  if (mem && facts.memory) {
    const pct = (mem.availableBytes / mem.totalBytes) * 100;
    memSeverity = pct < 5 ? "critical" : pct < 10 ? "high" : pct < 20 ? "medium" : "info";
    availText = say(`${formatBytes(mem.availableBytes)} (${formatPercent(pct)}) available`, `가용 메모리 ${formatBytes(mem.availableBytes)} (${formatPercent(pct)})`);
    out.findings.push(
      finding(
        "memory",
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
            "swap",
            say(`Swap is ${formatPercent(swapPct)} used (${formatBytes(mem.swapUsedBytes)})`, `스왑 ${formatPercent(swapPct)} 사용 중 (${formatBytes(mem.swapUsedBytes)})`),
            say("Much of the memory was pushed to swap at some point.", "어느 시점에 메모리 상당 부분이 스왑으로 밀려났습니다."),
            swapPct >= 80 ? "high" : "medium",
            [evidence(facts.memory.run, [mem.header, mem.swapLine ?? ""])],
          ),
        );
        out.headlines.push({ resource: "swap", severity: swapPct >= 80 ? "high" : "medium", text: say(`swap is ${formatPercent(swapPct)} used`, `스왑 ${formatPercent(swapPct)} 사용 중`) });
      } else {
        out.headlines.push({ resource: "swap", severity: "info", text: say(`swap is ${formatPercent(swapPct)} used`, `스왑 ${formatPercent(swapPct)} 사용 중`) });
      }
    } else {
      out.headlines.push({ resource: "swap", severity: "info", text: say("no swap is configured", "스왑이 설정되어 있지 않음") });
    }
  }
  const vm = facts.vmstat;
  const swapping = vm !== undefined && vm.value.interval && (vm.value.average.si > 0 || vm.value.average.so > 0);
  if (vm && swapping) {
    const rate = vm.value.average.si + vm.value.average.so;
    const sev: Severity = rate >= 100 ? "high" : "medium";
    out.findings.push(
      finding(
        "swap",
        say(`The host is swapping (si ${vm.value.average.si.toFixed(0)}, so ${vm.value.average.so.toFixed(0)} per second)`, `호스트가 스와핑 중 (초당 si ${vm.value.average.si.toFixed(0)}, so ${vm.value.average.so.toFixed(0)})`),
        say("Pages move between memory and swap right now: everything slows down.", "지금 메모리와 스왑 사이에 페이지가 오가고 있어 모든 것이 느려집니다."),
        sev,
        [evidence(vm.run, [vm.value.header, ...vm.value.samples.map((s) => s.line)])],
      ),
    );
    out.headlines.push({ resource: "swap", severity: sev, text: say("the host is swapping", "호스트가 스와핑 중") });
    memSeverity = worst([memSeverity, sev]);
  }
  const stalled = pressure?.some && pressure.some.avg10 >= 5 ? pressure.some : null;
  if (stalled && facts.kernelFigures) {
    const sev: Severity = stalled.avg10 >= 25 ? "high" : "medium";
    out.findings.push(
      finding(
        "memory",
        say(`Tasks stalled on memory ${formatPercent(stalled.avg10)} of the last 10 s`, `지난 10초 중 ${formatPercent(stalled.avg10)} 동안 태스크가 메모리를 기다림`),
        say("Memory pressure (PSI): tasks wait for reclaim or swap-in.", "메모리 압박(PSI): 태스크가 회수나 스왑인을 기다립니다."),
        sev,
        [evidence(facts.kernelFigures.run, [stalled.line])],
      ),
    );
    memSeverity = worst([memSeverity, sev]);
  }
  const tight = rank(memSeverity) >= rank("medium");

  // Who holds the memory: the fullest process listing (or ps by RSS, or top's RES column).
  const table = facts.processes ?? facts.psByRss ?? (facts.top?.value.table ? { run: facts.top.run, value: facts.top.value.table } : undefined);
  const procs = (table?.value.processes ?? []).filter((p) => p.rssBytes !== null && p.rssBytes > 0 && !p.state?.startsWith("Z") && !isKernelThread(p)).sort((a, b) => (b.rssBytes ?? 0) - (a.rssBytes ?? 0));
  const top = procs[0];
  if (top && table && top.rssBytes !== null) {
    const second = procs[1];
    const share = totalBytes ? (top.rssBytes / totalBytes) * 100 : top.mem;
    const next = procs.filter((p, i) => i > 0 && (p.rssBytes ?? 0) >= (top.rssBytes ?? 0) * 0.5).slice(0, 2);
    const sev: Severity = share === null ? "info" : share >= 50 ? "high" : share >= 25 || (tight && share >= 10) ? "medium" : share >= 10 ? "low" : "info";
    const shareText = share !== null ? say(` (${formatPercent(share)} of memory)`, ` (메모리의 ${formatPercent(share)})`) : "";
    const dominant = (!second || (top.rssBytes ?? 0) >= (second.rssBytes ?? 0) * DOMINANCE) && (share === null ? top.rssBytes >= 512 * 1024 ** 2 : share >= 5);
    const culprit = { resource: "memory" as const, kind: "process" as const, name: top.name, pid: top.pid, detail: say(`${formatBytes(top.rssBytes)} resident${shareText}`, `상주 ${formatBytes(top.rssBytes)}${shareText}`) };
    out.findings.push(
      finding(
        "memory",
        say(`${proc(top)} holds ${formatBytes(top.rssBytes)} of memory${shareText}`, `${josa(proc(top), "이")} 메모리 ${formatBytes(top.rssBytes)} 점유${shareText}`),
        say(
          `The process with the largest resident set${top.elapsedSec !== null ? `, running for ${duration(top.elapsedSec, say)}` : ""}.` +
            (next.length > 0 ? ` Next: ${next.map((p) => `${proc(p)} ${formatBytes(p.rssBytes ?? 0)}`).join(", ")}.` : ""),
          `상주 메모리(RSS)가 가장 큰 프로세스${top.elapsedSec !== null ? `, ${duration(top.elapsedSec, say)}째 실행 중` : ""}.` +
            (next.length > 0 ? ` 그다음: ${next.map((p) => `${proc(p)} ${formatBytes(p.rssBytes ?? 0)}`).join(", ")}.` : ""),
        ),
        worst([sev, tight ? "low" : "info"]),
        [evidence(table.run, [table.value.header, top.line, ...next.map((p) => p.line)])],
        dominant ? culprit : null,
      ),
    );
    const text = say(`${proc(top)} holds ${formatBytes(top.rssBytes)}`, `${josa(proc(top), "이")} ${formatBytes(top.rssBytes)} 점유`) + `${shareText}${availText ? `; ${availText}` : ""}`;
    out.headlines.push({
      resource: "memory",
      severity: worst([sev, memSeverity]),
      text,
      figure: say(`the largest process holds ${formatBytes(top.rssBytes)}${shareText}`, `가장 큰 프로세스가 ${formatBytes(top.rssBytes)} 점유${shareText}`) + (availText ? `; ${availText}` : ""),
    });
    if (dominant) {
      const strong = tight || (share !== null && share >= 50);
      const c: Candidate = { culprit, strength: strong ? "strong" : "weak", severity: worst([sev, memSeverity]), priority: 2, text };
      out.candidates.push(c);
      if (swapping || (mem && mem.swapTotalBytes > 0 && mem.swapUsedBytes / mem.swapTotalBytes >= 0.5)) {
        out.candidates.push({ ...c, culprit: { ...culprit, resource: "swap" }, strength: swapping && strong ? "strong" : "weak" });
      }
      if (rank(worst([sev, memSeverity])) >= rank("medium")) {
        out.nextSteps.push({
          resource: "memory",
          text: say(
            `Check whether ${proc(top)} keeps growing (\`ps -o rss=,etime= -p ${top.pid}\` a few minutes apart); if it leaks, restart it and cap it (\`MemoryMax=\` in its unit).`,
            `${josa(proc(top), "이")} 계속 커지는지 몇 분 간격으로 확인하세요 (\`ps -o rss=,etime= -p ${top.pid}\`). 누수라면 재시작하고 상한을 두세요 (유닛의 \`MemoryMax=\`).`,
          ),
        });
      }
    } else {
      commandCandidate(ctx, procs, totalBytes, tight, out);
    }
  } else if (availText) {
    out.headlines.push({ resource: "memory", severity: memSeverity, text: availText });
  }
  if (memSeverity !== "info") {
    out.nextSteps.push({
      resource: "memory",
      text: say(
        "Free memory or add it: restart the leaking service, reduce worker counts or caches, or move to a larger instance; add swap only as a buffer.",
        "메모리를 비우거나 늘리세요: 누수 서비스 재시작, 워커 수나 캐시 축소, 더 큰 인스턴스로 이동. 스왑은 완충용으로만 추가하세요.",
      ),
    });
  }
  swapHolders(ctx, out, swapping);
  oomKills(ctx, out);
  return out;
}

/** Who is swapped out (VmSwap per process): the process holding most of the swap. */
function swapHolders(ctx: RuleContext, out: RuleOutput, swapping: boolean): void {
  const { facts, say } = ctx;
  const swap = facts.processSwap;
  if (!swap) {
    return;
  }
  const names = new Map((facts.processes?.value.processes ?? []).map((p) => [p.pid, p.name]));
  const ranked = [...swap.value.entries()].filter(([, v]) => v.kib > 0).sort((a, b) => b[1].kib - a[1].kib);
  const [first, second] = ranked;
  if (!first) {
    out.headlines.push({ resource: "swap", severity: "info", text: say("no process has memory in swap", "스왑에 메모리를 둔 프로세스 없음") });
    return;
  }
  const [pid, { kib, line }] = first;
  const bytes = kib * 1024;
  if (bytes < 64 * 1024 ** 2 || (second && kib < second[1].kib * 1.5)) {
    return;
  }
  const name = names.get(pid) ?? `pid ${pid}`;
  const culprit = { resource: "swap" as const, kind: "process" as const, name, pid, detail: say(`${formatBytes(bytes)} in swap`, `스왑에 ${formatBytes(bytes)}`) };
  const text = say(`${code(name)} (pid ${pid}) has ${formatBytes(bytes)} in swap`, `${code(name)} (pid ${pid})의 ${josa(formatBytes(bytes), "이")} 스왑에 있음`);
  out.findings.push(finding("swap", text, say("The process with the most of its memory swapped out: it slows down whenever it touches those pages.", "메모리가 가장 많이 스왑으로 밀려난 프로세스: 그 페이지를 건드릴 때마다 느려집니다."), swapping ? "high" : "medium", [evidence(swap.run, [line, ...(second ? [second[1].line] : [])])], culprit));
  out.candidates.push({ culprit, strength: swapping ? "strong" : "weak", severity: swapping ? "high" : "medium", priority: 3, text });
}

/** Many processes of one command holding the memory together (php-fpm, gunicorn workers). */
function commandCandidate(ctx: RuleContext, procs: ProcessSample[], totalBytes: number | null, tight: boolean, out: RuleOutput): void {
  const { say } = ctx;
  const byName = new Map<string, ProcessSample[]>();
  for (const p of procs) {
    byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  }
  const ranked = [...byName.entries()].map(([name, list]) => ({ name, list, bytes: list.reduce((s, p) => s + (p.rssBytes ?? 0), 0) })).sort((a, b) => b.bytes - a.bytes);
  const [first, second] = ranked;
  // Many processes of one program are normal (worker pools, a build's node processes): a group is
  // only named while memory is actually short.
  if (!tight || !first || first.list.length < 2 || (second && first.bytes < second.bytes * DOMINANCE) || (totalBytes !== null && first.bytes < totalBytes * 0.1)) {
    return;
  }
  // A pool of workers shares its master; processes that merely share a program name are not one culprit.
  const ppids = first.list.map((p) => p.ppid);
  if (ppids[0] === null || ppids.filter((p) => p === ppids[0]).length < first.list.length * 0.8) {
    return;
  }
  const share = totalBytes ? say(` (${formatPercent((first.bytes / totalBytes) * 100)} of memory)`, ` (메모리의 ${formatPercent((first.bytes / totalBytes) * 100)})`) : "";
  const text = say(`${first.list.length} ${code(first.name)} processes hold ${formatBytes(first.bytes)} together${share}`, `${code(first.name)} 프로세스 ${first.list.length}개가 함께 ${formatBytes(first.bytes)} 점유${share}`);
  const culprit = { resource: "memory" as const, kind: "process" as const, name: first.name, pid: null, detail: say(`${first.list.length} processes, ${formatBytes(first.bytes)}`, `프로세스 ${first.list.length}개, ${formatBytes(first.bytes)}`) };
  const table = ctx.facts.processes ?? ctx.facts.psByRss;
  out.findings.push(
    finding("memory", text, say("No single process dominates, but one command does.", "한 프로세스가 아니라 한 명령이 메모리를 차지합니다."), tight ? "medium" : "low", table ? [evidence(table.run, [table.value.header, ...first.list.slice(0, 6).map((p) => p.line)])] : [], culprit),
  );
  out.candidates.push({ culprit, strength: tight ? "strong" : "weak", severity: tight ? "medium" : "low", priority: 1, text });
}

/** OOM kills from the kernel log, aged against the host's uptime; the recent ones name their victim. */
function oomKills(ctx: RuleContext, out: RuleOutput): void {
  const { facts, say } = ctx;
  if (facts.oomKills.length === 0) {
    return;
  }
  const kills = facts.oomKills;
  const latestFrom = kills[kills.length - 1];
  const latest = latestFrom.value;
  const age = ageOf(latest.atSec, ctx);
  const fresh = recent(age, ctx);
  const cgroup = latest.cgroup;
  const names = [...new Set(kills.map((k) => displayName(k.value.name)))];
  const ago = age !== null ? say(`, ${duration(age, say)} ago`, `, ${duration(age, say)} 전`) : latest.when ? say(`, the latest at ${latest.when}`, `, 마지막은 ${latest.when}`) : "";
  const culprit = {
    resource: "memory" as const,
    kind: "process" as const,
    name: latest.name,
    pid: latest.pid,
    detail: say(`OOM-killed${cgroup ? " in a memory cgroup" : ""}${ago}`, `OOM kill됨${cgroup ? " (메모리 cgroup 안에서)" : ""}${ago}`),
  };
  const severity: Severity = fresh ? "high" : "low";
  out.findings.push(
    finding(
      "kernel",
      say(
        `The kernel OOM killer killed ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` and ${kills.length - 1} more` : ""}${ago}`,
        `커널 OOM killer가 ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` 외 ${kills.length - 1}개를` : particle(latest.name, "을")} 종료함${ago}`,
      ),
      say(
        `${kills.length} out-of-memory kill${kills.length > 1 ? "s" : ""} in the kernel log (${names.join(", ")}).` +
          (cgroup ? " It happened inside a memory cgroup (a container or a unit's MemoryMax= limit), not because the whole host ran out." : "") +
          (fresh ? "" : " Not recent enough to explain the current symptom."),
        `커널 로그에 OOM kill ${kills.length}건 (${names.join(", ")}).` +
          (cgroup ? " 호스트 전체가 아니라 메모리 cgroup(컨테이너나 유닛의 MemoryMax= 한도) 안에서 일어났습니다." : "") +
          (fresh ? "" : " 지금 증상을 설명할 만큼 최근은 아닙니다."),
      ),
      severity,
      [evidence(latestFrom.run, kills.slice(-5).map((k) => k.value.line))],
      fresh ? culprit : null,
    ),
  );
  const text = fresh
    ? say(
        `the kernel OOM-killed ${code(latest.name)} (pid ${latest.pid})${cgroup ? " in a memory cgroup" : ""}${ago}`,
        `커널이 ${code(latest.name)} (pid ${latest.pid})${particle(latest.name, "을")} OOM으로 종료함${cgroup ? " (메모리 cgroup)" : ""}${ago}`,
      )
    : say(`no recent OOM kill (the last, of ${code(latest.name)}, was${ago ? ago.replace(/^, /, " ") : " earlier"})`, `최근 OOM kill 없음 (마지막은 ${code(latest.name)}${ago ? `, ${ago.replace(/^, /, "")}` : ""})`);
  out.headlines.push({ resource: "kernel", severity, text, figure: fresh ? say(`a process was OOM-killed${ago}`, `프로세스가 OOM kill됨${ago}`) : say("no recent OOM kill", "최근 OOM kill 없음") });
  if (!fresh) {
    return;
  }
  // For the kernel (and an OOM question) the victim is the answer. For host memory, a kill in a
  // cgroup says that cgroup hit its limit, not that the host ran short: only a weak answer.
  out.candidates.push({ culprit: { ...culprit, resource: "kernel" }, strength: "strong", severity, priority: 3, text });
  out.candidates.push({ culprit, strength: cgroup ? "weak" : "strong", severity, priority: 0, text });
  out.headlines.push({ resource: "memory", severity, text, figure: say(`a process was OOM-killed${ago}`, `프로세스가 OOM kill됨${ago}`) });
  out.nextSteps.push({
    resource: "memory",
    text: cgroup
      ? say(
          `Raise the memory limit of the cgroup that killed ${code(latest.name)} (container limit or \`MemoryMax=\`), or make the process use less.`,
          `${josa(code(latest.name), "을")} 종료한 cgroup의 메모리 한도(컨테이너 한도나 \`MemoryMax=\`)를 올리거나 프로세스 사용량을 줄이세요.`,
        )
      : say(
          `Find why memory ran out when ${code(latest.name)} was killed (\`journalctl -k | grep -i -A20 'invoked oom-killer'\`), then fix the consumer or add memory.`,
          `${josa(code(latest.name), "이")} 종료될 때 메모리가 왜 바닥났는지 확인하고 (\`journalctl -k | grep -i -A20 'invoked oom-killer'\`), 소비자를 고치거나 메모리를 늘리세요.`,
        ),
  });
}
