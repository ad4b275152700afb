// From parsed facts to findings: each rule says what it saw, how bad it is, quotes the lines it
// rests on, offers a one-line headline for the summary and what to do next. Thresholds follow
// common on-call practice (load per core, % available memory, % full) and are named here.
import type { CommandRun, Evidence, Finding, Severity } from "../diagnosis";
import type { RunbookKind } from "./catalog";
import { displayName, excerpt, formatBytes, formatPercent } from "./parse/common";
import { isNoiseMount, mountFor, type MountUsage, type SizedPath } from "./parse/disk";
import type { ProcessSample, ProcessTable } from "./parse/system";
import type { Facts, From } from "./facts";
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

export function cpuRules(facts: Facts, primary: boolean): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const cores = facts.cores?.value ?? (facts.mpstat ? facts.mpstat.value.cores.length || null : null);
  const load = facts.load?.value;
  const perCore = load && cores ? load.one / cores : null;
  const loadText = perCore !== null ? `load ${perCore.toFixed(1)} per core` : load ? `load ${load.one}` : null;

  if (load) {
    const severity: Severity = perCore === null ? "info" : perCore >= 2 ? "high" : perCore >= 1 ? "medium" : "info";
    const ev = [evidence(facts.load!.run, [load.line])];
    if (facts.cores && facts.cores.run !== facts.load!.run) {
      ev.push(evidence(facts.cores.run, [String(facts.cores.value)]));
    }
    out.findings.push(
      finding(
        cores ? `Load ${load.one} on ${cores} CPU${cores > 1 ? "s" : ""} (${perCore!.toFixed(2)} per core)` : `Load average ${load.one}`,
        `1/5/15-minute load averages ${load.one} / ${load.five} / ${load.fifteen}.` +
          (perCore !== null ? (perCore >= 1 ? " Above 1 per core, runnable work waits for a CPU." : " Below 1 per core: CPUs keep up.") : "") +
          (load.one > load.fifteen * 1.5 && load.one >= 1 ? " The load is rising (1-minute well above 15-minute)." : ""),
        severity,
        ev,
      ),
    );
    if (load.upSeconds !== null && load.upSeconds < 900) {
      out.findings.push(finding(`The host booted ${Math.max(1, Math.round(load.upSeconds / 60))} min ago`, "A recent reboot: the alarm may come from the restart or from what caused it.", "medium", ev.slice(0, 1)));
      out.headlines.push({ kind: "status-check", severity: "medium", text: `the host rebooted ${Math.max(1, Math.round(load.upSeconds / 60))} min ago` });
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
        `${proc(top)} uses ${formatPercent(top.cpu)} CPU`,
        `The busiest process${top.user ? `, run by ${displayName(top.user)}` : ""}${top.elapsedSec !== null ? `, running for ${duration(top.elapsedSec)}` : ""}` +
          (share !== null ? `, takes ${formatPercent(share * 100)} of all ${cores} CPUs` : "") +
          "." +
          (others.length > 0 ? ` Also busy: ${others.join(", ")}.` : "") +
          (top.source === "ps" ? " (ps reports the average over the process's life.)" : ""),
        severity,
        tableEvidence(tables, culprits.map((p) => p.pid)),
      ),
    );
    const names = [`${proc(top)} uses ${formatPercent(top.cpu)} CPU`, ...culprits.slice(1).map((p) => `${proc(p)} ${formatPercent(p.cpu ?? 0)}`)];
    const calm = severity === "info" && (perCore === null || perCore < 0.7);
    out.headlines.push({
      kind: "cpu",
      severity: worst([severity, out.findings[0]?.severity ?? "info"]),
      text: calm
        ? `CPU is not busy now (${loadText ?? "no load figure"}; the busiest process ${proc(top)} uses ${formatPercent(top.cpu)}): the spike may have passed`
        : `${names.join(", ")}${loadText ? `; ${loadText}` : ""}`,
    });
    if (!calm) {
      out.nextSteps.push(
        `See what ${proc(top)} is doing: \`ps -o pid,etime,args -p ${top.pid}\` and \`cat /proc/${top.pid}/status\`; if it is a runaway job, restart it through its service (\`systemctl restart <unit>\`) or stop it — ATL asks before running anything that changes the host.`,
      );
    }
  } else if (load) {
    out.headlines.push({ kind: "cpu", severity: out.findings[0]?.severity ?? "info", text: loadText ?? `load ${load.one}` });
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
      finding(`CPUs wait on disk I/O (iowait ${formatPercent(iowait)})`, "Processes are blocked on storage, not computing: the disk or the EBS volume is the bottleneck.", iowait >= 20 ? "high" : "medium", cpuEvidence()),
    );
    out.headlines.push({ kind: "disk-io", severity: iowait >= 20 ? "high" : "medium", text: `CPUs wait on disk I/O (iowait ${formatPercent(iowait)})` });
    out.nextSteps.push("Find the busy device with `iostat -dx 1 5` and the process behind it with `iotop -obn 3` (or `pidstat -d 1 5`).");
  }
  if (steal !== null && steal >= 10) {
    out.findings.push(
      finding(`The hypervisor takes CPU time (steal ${formatPercent(steal)})`, "The instance gets less CPU than it asks for: burstable (T-series) credits exhausted, or a noisy neighbour.", steal >= 25 ? "high" : "medium", cpuEvidence()),
    );
    out.headlines.push({ kind: "cpu", severity: steal >= 25 ? "high" : "medium", text: `steal time is ${formatPercent(steal)}` });
    out.nextSteps.push("Check the CPUCreditBalance metric of the instance; move to unlimited mode or a non-burstable type if credits run out.");
  }
  if (breakdown && breakdown.system !== null && breakdown.user !== null && breakdown.system >= 30 && breakdown.system > breakdown.user) {
    out.findings.push(finding(`Most CPU time is spent in the kernel (system ${formatPercent(breakdown.system)})`, "Heavy system calls, interrupts or memory pressure (reclaim) rather than application code.", "medium", cpuEvidence()));
  }
  const mp = facts.mpstat?.value;
  if (mp && mp.cores.length >= 2) {
    const hot = mp.cores.filter((c) => c.idle !== null && c.idle <= 10);
    const avgIdle = mp.all?.idle ?? null;
    if (hot.length === 1 && avgIdle !== null && avgIdle >= 40) {
      out.findings.push(
        finding(`One core is saturated (CPU ${hot[0].cpu} at ${formatPercent(100 - (hot[0].idle ?? 0))})`, "A single-threaded hot spot: one thread is at its limit while other cores idle.", "medium", [
          evidence(facts.mpstat!.run, [hot[0].line]),
        ]),
      );
    }
  }
  if (vm && facts.vmstat && cores && vm.r > cores * 2) {
    out.findings.push(
      finding(`${vm.r.toFixed(0)} runnable processes on average for ${cores} CPUs`, "The run queue is more than twice the CPU count: work queues for CPU.", vm.r > cores * 4 ? "high" : "medium", [
        evidence(facts.vmstat.run, [facts.vmstat.value.header, ...facts.vmstat.value.samples.map((s) => s.line)]),
      ]),
    );
  }
  if (primary && !top && !load) {
    out.headlines.push({ kind: "cpu", severity: "info", text: "no CPU figures could be read" });
  }
  return out;
}

function cpuBusy(facts: Facts): number | null {
  const idle = facts.mpstat?.value.all?.idle ?? facts.top?.value.cpu?.idle ?? facts.vmstat?.value.average.id ?? null;
  return idle === null ? null : 100 - idle;
}

// ---- memory ---------------------------------------------------------------------------------

/** `relevant`: memory is what the alarm or question is about (else only problems are reported). */
export function memoryRules(facts: Facts, relevant: boolean): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const mem = facts.memory?.value;
  const totalBytes = mem?.totalBytes ?? facts.top?.value.memory?.totalBytes ?? null;
  let availText: string | null = null;
  let memSeverity: Severity = "info";
  if (mem && facts.memory) {
    const pct = (mem.availableBytes / mem.totalBytes) * 100;
    memSeverity = pct < 5 ? "critical" : pct < 10 ? "high" : pct < 20 ? "medium" : "info";
    availText = `${formatBytes(mem.availableBytes)} (${formatPercent(pct)}) available`;
    out.findings.push(
      finding(
        `${formatBytes(mem.availableBytes)} of ${formatBytes(mem.totalBytes)} memory available (${formatPercent(pct)})`,
        (pct < 10 ? "Memory is nearly exhausted: the kernel will reclaim hard, swap, or kill processes (OOM)." : pct < 20 ? "Memory is getting tight." : "Enough memory is available.") +
          (mem.availableEstimated ? " ('available' estimated as free + buffers + cache: this free has no available column.)" : "") +
          (mem.swapTotalBytes === 0 ? " No swap is configured." : ""),
        memSeverity,
        [evidence(facts.memory.run, [mem.header, mem.memLine, ...(mem.swapLine ? [mem.swapLine] : [])])],
      ),
    );
    if (mem.swapTotalBytes > 0) {
      const swapPct = (mem.swapUsedBytes / mem.swapTotalBytes) * 100;
      if (swapPct >= 50) {
        out.findings.push(finding(`Swap is ${formatPercent(swapPct)} used (${formatBytes(mem.swapUsedBytes)})`, "Much of the memory was pushed to swap at some point.", swapPct >= 80 ? "high" : "medium", [evidence(facts.memory.run, [mem.header, mem.swapLine ?? ""])]));
      }
    }
  }
  const vm = facts.vmstat?.value;
  if (vm && (vm.average.si > 0 || vm.average.so > 0) && facts.vmstat) {
    const rate = vm.average.si + vm.average.so;
    const sev: Severity = rate >= 100 ? "high" : "medium";
    out.findings.push(finding(`The host is swapping (si ${vm.average.si.toFixed(0)}, so ${vm.average.so.toFixed(0)} per second)`, "Pages move between memory and swap right now: everything slows down.", sev, [evidence(facts.vmstat.run, [vm.header, ...vm.samples.map((s) => s.line)])]));
    out.headlines.push({ kind: "memory", severity: sev, text: "the host is swapping" });
  }

  // Biggest processes by resident memory: ps sorted by RSS, else top's RES column.
  const table = facts.psByRss ?? (facts.top?.value.table ? { run: facts.top.run, value: facts.top.value.table } : undefined);
  const procs = (table?.value.processes ?? []).filter((p) => p.rssBytes !== null && !p.state?.startsWith("Z")).sort((a, b) => (b.rssBytes ?? 0) - (a.rssBytes ?? 0));
  const top = procs[0];
  if (top && table && top.rssBytes !== null) {
    const share = totalBytes ? (top.rssBytes / totalBytes) * 100 : top.mem;
    const culprits = procs.filter((p, i) => i === 0 || (p.rssBytes ?? 0) >= (top.rssBytes ?? 0) * 0.5).slice(0, 3);
    const sev: Severity = share === null ? "info" : share >= 50 ? "high" : share >= 25 || (memSeverity !== "info" && share >= 10) ? "medium" : share >= 10 ? "low" : "info";
    const shareText = share !== null ? ` (${formatPercent(share)} of memory)` : "";
    const report = relevant || facts.psByRss !== undefined || rank(sev) >= RANK.medium;
    if (report) {
      out.findings.push(
        finding(
          `${proc(top)} holds ${formatBytes(top.rssBytes)} of memory${shareText}`,
          `The process with the largest resident set${top.elapsedSec !== null ? `, running for ${duration(top.elapsedSec)}` : ""}.` +
            (culprits.length > 1 ? ` Next: ${culprits.slice(1).map((p) => `${proc(p)} ${formatBytes(p.rssBytes ?? 0)}`).join(", ")}.` : ""),
          worst([sev, memSeverity === "info" ? "info" : "low"]),
          [evidence(table.run, [table.value.header, ...culprits.map((p) => p.line)])],
        ),
      );
    }
    out.headlines.push({
      kind: "memory",
      severity: worst([sev, memSeverity]),
      text: `${proc(top)} holds ${formatBytes(top.rssBytes)}${shareText}${availText ? `; ${availText}` : ""}`,
    });
    if (rank(worst([sev, memSeverity])) >= RANK.medium) {
      out.nextSteps.push(`Check whether ${proc(top)} keeps growing (\`ps -o rss=,etime= -p ${top.pid}\` a few minutes apart); if it leaks, restart it and cap it (\`MemoryMax=\` in its unit).`);
    }
  } else if (availText) {
    out.headlines.push({ kind: "memory", severity: memSeverity, text: availText });
  }
  if (memSeverity !== "info") {
    out.nextSteps.push("Free memory or add it: restart the leaking service, reduce worker counts or caches, or move to a larger instance; add swap only as a buffer.");
  }

  // OOM kills from the kernel log (newest last in dmesg order).
  if (facts.oomKills.length > 0) {
    const kills = facts.oomKills;
    const latest = kills[kills.length - 1].value;
    const cgroup = kills.every((k) => k.value.cgroup);
    const names = [...new Set(kills.map((k) => displayName(k.value.name)))];
    out.findings.push(
      finding(
        `The kernel OOM killer killed ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` and ${kills.length - 1} more` : ""}`,
        `${kills.length} out-of-memory kill${kills.length > 1 ? "s" : ""} in the kernel log (${names.join(", ")})${latest.when ? `, the latest at ${latest.when}` : ""}.` +
          (cgroup ? " They happened inside a memory cgroup (a container or a unit's MemoryMax= limit), not because the whole host ran out." : ""),
        "high",
        [evidence(kills[0].run, kills.slice(-5).map((k) => k.value.line))],
      ),
    );
    out.headlines.push({ kind: "memory", severity: "high", text: `the kernel OOM-killed ${code(latest.name)} (pid ${latest.pid})${kills.length > 1 ? ` (${kills.length} kills logged)` : ""}` });
    out.nextSteps.push(
      cgroup
        ? `Raise the memory limit of the cgroup that killed ${code(latest.name)} (container limit or \`MemoryMax=\`), or make the process use less.`
        : `Find why memory ran out when ${code(latest.name)} was killed (\`journalctl -k | grep -i -A20 'invoked oom-killer'\`), then fix the consumer or add memory.`,
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

export function diskRules(facts: Facts, target: Target): RuleOutput {
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
          `${displayName(m.mountedOn)} is ${m.usePercent ?? "?"}% full (${m.avail} free of ${m.size})`,
          (m === asked && path && path !== m.mountedOn ? `${displayName(path)} lives on this filesystem (${displayName(m.filesystem)}). ` : `Filesystem ${displayName(m.filesystem)}. `) +
            (sev === "critical" ? "Writes will fail soon or already do (logs, databases, temp files)." : sev === "info" ? "Space is not the problem here." : "Space is running low."),
          sev,
          [evidence(facts.df.run, [facts.df.value.length > 0 ? (facts.df.run.stdout.split("\n")[0] ?? "") : "", m.line])],
        ),
      );
    }
    if (focus) {
      out.headlines.push({ kind: "disk", severity: usageSeverity(focus.usePercent), text: `${displayName(focus.mountedOn)} is ${focus.usePercent ?? "?"}% full (${focus.avail} free of ${focus.size})` });
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
        sev === "info" ? `Inodes are not the problem (${m.usePercent}% used on ${displayName(m.mountedOn)})` : `${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes`,
        sev === "info" ? "The file count is far from the limit." : "Running out of inodes blocks new files even with free space: usually millions of small files (sessions, caches, mail queues).",
        sev,
        [evidence(facts.dfInodes.run, [facts.dfInodes.run.stdout.split("\n")[0] ?? "", m.line])],
      ),
    );
    if (sev !== "info") {
      out.headlines.push({ kind: "disk", severity: sev, text: `${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes` });
      out.nextSteps.push(`Find the directories with the most files: \`du --inodes -x ${displayName(m.mountedOn)} 2>/dev/null | sort -rn | head -20\`.`);
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
        hot && hot !== root ? `Most of ${displayName(root.path)} is in ${displayName(hot.path)} (${hot.size} of ${root.size})` : `Largest directories under ${displayName(root.path)}`,
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
      out.headlines.push({ kind: "disk", severity: rank(focusSeverity) >= RANK.medium ? "medium" : "info", text: `most of it is in ${displayName(hot.path)} (${hot.size})` });
      if (rank(focusSeverity) >= RANK.medium) {
        out.nextSteps.push(`Clean up ${displayName(hot.path)}: rotate and compress logs (\`logrotate -f\`), delete old archives or dumps, or move them to another volume.`);
      }
    }
  }
  const files = facts.largeFiles?.value ?? [];
  if (facts.largeFiles && files.length > 0) {
    const sorted = [...files].sort((a, b) => b.bytes - a.bytes);
    const biggest = sorted[0];
    out.findings.push(
      finding(
        `Largest file: ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`,
        sorted.length > 1 ? `Then ${sorted.slice(1, 4).map((f) => `${displayName(f.path)} (${formatBytes(f.bytes)})`).join(", ")}.` : "The only file over the size threshold.",
        focusSeverity === "info" ? "info" : "medium",
        [evidence(facts.largeFiles.run, sorted.slice(0, 5).map((f) => f.line))],
      ),
    );
    out.headlines.push({ kind: "disk", severity: "info", text: `largest file ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})` });
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
          `Deleted files still held open: ${formatBytes(total)}, most by ${code(holder.command)} (pid ${pid})`,
          "Their space is freed only when the process closes them (a log deleted instead of rotated).",
          sev,
          [evidence(facts.deletedOpen.run, [facts.deletedOpen.run.stdout.split("\n")[0] ?? "", ...deleted.sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0)).slice(0, 5).map((f) => f.line)])],
        ),
      );
      out.headlines.push({ kind: "disk", severity: sev, text: `${formatBytes(total)} of deleted files are still held open by ${code(holder.command)} (pid ${pid})` });
      out.nextSteps.push(`Make ${code(holder.command)} (pid ${pid}) reopen its files (reload or restart the service) to free ${formatBytes(total)}.`);
    }
  }
  if (rank(focusSeverity) >= RANK.high && focus) {
    out.nextSteps.push(`If nothing can be deleted, grow the volume behind ${displayName(focus.mountedOn)} (EBS modify-volume, then \`growpart\` and \`resize2fs\` / \`xfs_growfs\`).`);
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

export function diskIoRules(facts: Facts): RuleOutput {
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
      sev === "info" ? `Disks are not busy (${displayName(busiestDevice.device)} at ${formatPercent(util)})` : `${displayName(busiestDevice.device)} is ${formatPercent(util)} busy (await up to ${wait.toFixed(0)} ms)`,
      sev === "info" ? "No device is near saturation in the sampled second." : "The device is near its limit: requests queue and every write or read waits.",
      sev,
      [evidence(facts.iostat.run, [busiestDevice.header, busiestDevice.line])],
    ),
  );
  out.headlines.push({ kind: "disk-io", severity: sev, text: sev === "info" ? `disks are not busy (${displayName(busiestDevice.device)} ${formatPercent(util)})` : `${displayName(busiestDevice.device)} is ${formatPercent(util)} busy` });
  if (sev !== "info") {
    out.nextSteps.push("Find the process doing the I/O (`iotop -obn 3` or `pidstat -d 1 5`); for EBS, compare with the volume's IOPS/throughput limits and burst balance.");
  }
  return out;
}

// ---- services -------------------------------------------------------------------------------

export function serviceRules(facts: Facts, target: Target): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const service = target.service;
  const port = target.port;
  const phrases: { severity: Severity; text: string }[] = [];

  for (const { run, value: unit } of facts.unitsMissing) {
    out.findings.push(finding(`No unit named ${code(unit)} on this host`, "systemd does not know this service name: check the spelling (`systemctl list-units --type=service`).", "medium", [evidence(run, [run.stderr.split("\n")[0] ?? ""])]));
    phrases.push({ severity: "medium", text: `there is no unit named ${code(unit)}` });
  }
  for (const { run, value: status } of facts.unitStatus) {
    // The cause (emerg/error/denied…) usually comes before systemd's own "Failed …" lines: quote it first.
    const causes = status.logLines.filter((l) => /emerg|error|denied|refused|fatal|cannot|unable|in use/i.test(l));
    const failures = status.logLines.filter((l) => !causes.includes(l) && /fail/i.test(l));
    const ev = evidence(run, [status.activeLine, ...status.exitLines, ...[...causes.slice(0, 3), ...failures].slice(0, 4)]);
    if (status.state === "active") {
      out.findings.push(finding(`${code(status.unit)} is ${displayName(status.activeText.split(" since")[0] ?? "active")}${status.mainPid ? `, main PID ${status.mainPid}` : ""}`, "systemd reports the service as running.", "info", [ev]));
      phrases.push({ severity: "info", text: `${code(status.unit)} is active` });
    } else {
      const restarting = /auto-restart/.test(status.activeText);
      const sev: Severity = "high";
      out.findings.push(
        finding(
          restarting ? `${code(status.unit)} keeps restarting` : `${code(status.unit)} is ${status.state === "failed" ? "failed" : displayName(status.activeText.split(" since")[0] ?? status.state)}`,
          `${displayName(status.activeText)}.` + (status.exitLines.length > 0 ? " The last run ended with an error status." : ""),
          sev,
          [ev],
        ),
      );
      phrases.push({ severity: sev, text: restarting ? `${code(status.unit)} keeps restarting` : `${code(status.unit)} is ${status.state}` });
      const name = status.unit.replace(/\.service$/, "");
      out.nextSteps.push(`Read why ${code(status.unit)} stopped: \`journalctl -u ${displayName(name)} -b --no-pager | tail -50\`; fix the cause, then \`systemctl restart ${displayName(name)}\` (ATL asks before running it).`);
    }
  }
  for (const { run, value } of facts.unitJournal) {
    if (value.errors.length > 0) {
      out.findings.push(finding(`${value.errors.length} error line${value.errors.length > 1 ? "s" : ""} in the log of ${code(value.unit)}`, "The latest ones are quoted.", "medium", [evidence(run, value.errors.slice(-5))]));
    }
  }
  if (facts.failedUnits && facts.failedUnits.value.length > 0) {
    const units = facts.failedUnits.value;
    out.findings.push(finding(`${units.length} failed unit${units.length > 1 ? "s" : ""}: ${units.slice(0, 5).map((u) => code(u.unit)).join(", ")}`, "systemd lists these units as failed.", "high", [evidence(facts.failedUnits.run, units.map((u) => u.line))]));
    phrases.push({ severity: "high", text: `failed unit${units.length > 1 ? "s" : ""} ${units.slice(0, 3).map((u) => code(u.unit)).join(", ")}` });
    out.nextSteps.push(`Look at each failed unit: \`systemctl status ${displayName(units[0].unit)} --no-pager -l\` and its journal.`);
  }
  if (facts.systemdMissing && (service || facts.failedUnits === undefined)) {
    out.findings.push(
      finding("systemd is not running on this host", "PID 1 is not systemd (a container or a minimal VM): service state comes from processes and ports only.", "info", [
        evidence(facts.systemdMissing, [facts.systemdMissing.stderr.split("\n")[0] ?? ""]),
      ]),
    );
  }
  let running: ProcessSample[] | null = null;
  for (const { run, value } of facts.byName) {
    const procs = (value.table?.processes ?? []).filter((p) => !p.state?.startsWith("Z"));
    if (procs.length === 0) {
      running = running ?? [];
      out.findings.push(finding(`No process named ${code(value.name)} is running`, "ps finds no process with that name.", "high", [evidence(run, [value.table?.header ?? run.stdout.split("\n")[0] ?? ""])]));
      phrases.push({ severity: "high", text: `${code(value.name)} is not running` });
    } else {
      running = procs;
      const first = procs[0];
      const young = first.elapsedSec !== null && first.elapsedSec < 300;
      out.findings.push(
        finding(
          young ? `${proc(first)} started ${duration(first.elapsedSec ?? 0)} ago` : `${proc(first)} is running${first.elapsedSec !== null ? ` (up ${duration(first.elapsedSec)})` : ""}`,
          (procs.length > 1 ? `${procs.length} processes with that name. ` : "") + (young ? "A very young process: it may have just restarted or be crash-looping." : "The process exists."),
          young ? "medium" : "info",
          [evidence(run, [value.table?.header ?? "", ...procs.slice(0, 5).map((p) => p.line)])],
        ),
      );
      phrases.push({ severity: young ? "medium" : "info", text: young ? `${proc(first)} started only ${duration(first.elapsedSec ?? 0)} ago (it may be restarting)` : `${proc(first)} is running` });
    }
  }
  if (facts.listeners) {
    const listeners = facts.listeners.value;
    if (port !== undefined) {
      const hits = listeners.filter((l) => l.port === port);
      if (hits.length === 0) {
        out.findings.push(finding(`Nothing listens on port ${port}`, `No socket is bound to port ${port}: clients get "connection refused".`, "high", [evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? "", ...listeners.slice(0, 6).map((l) => l.line)])]));
        phrases.push({ severity: "high", text: `nothing listens on port ${port}` });
        out.nextSteps.push(`Start the service that should own port ${port} and confirm with \`ss -ltnp 'sport = :${port}'\`; if it fails to bind, look for "address already in use" in its log.`);
      } else {
        const owner = hits.flatMap((h) => h.processes)[0];
        out.findings.push(
          finding(
            `Port ${port} is open${owner ? ` (${code(owner.name)}, pid ${owner.pid})` : ""} on ${hits.map((h) => displayName(h.address)).join(", ")}`,
            owner && service && owner.name !== service ? `The port is held by ${code(owner.name)}, not ${code(service)}.` : "The port accepts connections locally; if clients still fail, look at firewalls, security groups or the load balancer.",
            owner && service && owner.name !== service ? "medium" : "info",
            [evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? "", ...hits.map((h) => h.line)])],
          ),
        );
        phrases.push({ severity: "info", text: `port ${port} is open${owner ? ` (${code(owner.name)})` : ""}` });
      }
    } else if (service) {
      const hits = listeners.filter((l) => l.processes.some((p) => p.name === service));
      if (hits.length > 0) {
        out.findings.push(finding(`${code(service)} listens on ${hits.map((h) => `${displayName(h.address)}:${h.port}`).join(", ")}`, "Its sockets are open.", "info", [evidence(facts.listeners.run, hits.map((h) => h.line))]));
      }
    }
  }
  if (service && running !== null && running.length === 0) {
    out.nextSteps.push(`Start ${code(service)} (\`systemctl start ${displayName(service)}\`, or its init script) and read its log for the reason it stopped.`);
  }
  // One sentence: the worst facts first ("`x` is not running and nothing listens on port 8080").
  const sorted = phrases.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const bad = sorted.filter((p) => RANK[p.severity] >= RANK.medium);
  // Problems first; the state of the port asked about is part of the answer either way.
  const portState = sorted.filter((p) => RANK[p.severity] < RANK.medium && /^port /.test(p.text));
  const chosen = (bad.length > 0 ? [...bad, ...portState] : sorted).slice(0, 3);
  if (chosen.length > 0) {
    out.headlines.push({ kind: "service", severity: worst(chosen.map((p) => p.severity)), text: joinAnd(chosen.map((p) => p.text)) });
  }
  return out;
}

// ---- network and kernel ---------------------------------------------------------------------

export function networkRules(facts: Facts): RuleOutput {
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
    out.findings.push(finding(`${displayName(iface.name)}: ${rxBad} receive and ${txBad} transmit errors/drops since boot (${ratio < 0.01 ? "<0.01" : ratio.toFixed(2)}% of packets)`, "Counters since boot: compare with a second run to see whether they grow now.", sev, [evidence(facts.links!.run, iface.lines)]));
    if (sev !== "low") {
      out.headlines.push({ kind: "network", severity: sev, text: `${displayName(iface.name)} drops or errors ${ratio.toFixed(2)}% of packets` });
      out.nextSteps.push(`Watch whether the drops grow (\`ip -s link show ${displayName(iface.name)}\` twice, a minute apart) and compare with the instance's network allowance (\`ethtool -S ${displayName(iface.name)} | grep allowance\`).`);
    }
  }
  const tcp = facts.sockets?.value.tcp;
  if (tcp && facts.sockets) {
    const sev: Severity = tcp.timewait >= 30000 || tcp.orphaned >= 5000 ? "high" : tcp.timewait >= 10000 || tcp.orphaned >= 1000 ? "medium" : "info";
    out.findings.push(finding(`${tcp.estab} established TCP connections, ${tcp.timewait} in TIME-WAIT, ${tcp.orphaned} orphaned`, sev === "info" ? "Socket counts look normal." : "Many short-lived or abandoned connections: connection churn or clients not reusing connections.", sev, [evidence(facts.sockets.run, [facts.sockets.value.line ?? ""])]));
    out.headlines.push({ kind: "network", severity: sev, text: `${tcp.estab} established TCP connections` });
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
      finding(`The kernel dropped ${dropped} incoming connections since boot: an accept queue was full`, "A service does not accept connections fast enough, or its listen backlog is too small.", "medium", [
        evidence(source.run, [...new Set([...(overflows?.lines ?? []), ...(drops?.lines ?? [])])], 4, 4000),
      ]),
    );
    out.headlines.push({ kind: "network", severity: "medium", text: `${dropped} connections were dropped at a full accept queue` });
  }
  const retrans = counter("TcpRetransSegs");
  const sent = counter("TcpOutSegs");
  if (retrans && sent && sent.value > 1000) {
    const ratio = (retrans.value / sent.value) * 100;
    if (ratio >= 1) {
      const sev: Severity = ratio >= 5 ? "high" : "medium";
      out.findings.push(finding(`${ratio.toFixed(1)}% of TCP segments were retransmitted since boot`, "Packets are lost or delayed on the path (or the peer is overloaded).", sev, [evidence(retrans.run, retrans.lines, 4, 4000)]));
      out.headlines.push({ kind: "network", severity: sev, text: `${ratio.toFixed(1)}% of TCP segments were retransmitted` });
    }
  }
  if (facts.listeners && facts.listeners.value.length > 0 && out.findings.length === 0) {
    out.headlines.push({ kind: "network", severity: "info", text: `${facts.listeners.value.length} listening sockets, no interface errors` });
  }
  return out;
}

export function kernelRules(facts: Facts): RuleOutput {
  const out: RuleOutput = { findings: [], headlines: [], nextSteps: [] };
  const serious = facts.kernel.filter((k) => k.value.kind !== "oom");
  const groups = new Map<string, From<{ kind: string; line: string }>[]>();
  for (const k of serious) {
    groups.set(k.value.kind, [...(groups.get(k.value.kind) ?? []), k]);
  }
  const titles: Record<string, [string, Severity, string]> = {
    filesystem: ["The kernel reports file system errors", "high", "A file system hit errors or was remounted read-only: writes fail until it is repaired."],
    "disk-io": ["The kernel reports disk I/O errors", "high", "The block device returned errors: a failing or detached volume."],
    "hung-task": ["Tasks hung for minutes in the kernel", "high", "Processes were blocked (usually on I/O) for over two minutes."],
    lockup: ["CPU lockups or RCU stalls", "high", "A CPU stopped responding for a while: overloaded host, hypervisor trouble or a kernel bug."],
    bug: ["A kernel BUG or call trace was logged", "high", "The kernel hit an internal error."],
    segfault: ["Processes crashed (segfault)", "medium", "A program crashed with a memory error."],
    network: ["The kernel reports network trouble", "medium", "Link down, NIC watchdog resets or a full connection-tracking table."],
  };
  for (const [kind, hits] of groups) {
    const [title, sev, detail] = titles[kind] ?? ["Notable kernel messages", "medium", ""];
    out.findings.push(finding(`${title} (${hits.length} line${hits.length > 1 ? "s" : ""})`, detail, sev, [evidence(hits[0].run, hits.slice(-5).map((h) => h.value.line))]));
    out.headlines.push({ kind: "status-check", severity: sev, text: title.charAt(0).toLowerCase() + title.slice(1) });
  }
  if (groups.has("filesystem") || groups.has("disk-io")) {
    out.nextSteps.push("Check the volume in the EC2 console (status checks, attachment) and the file system (`dmesg -T | grep -i -E 'error|read-only'`); plan a repair with fsck on an unmounted copy.");
  }
  const journal = facts.journalErrors;
  if (journal && journal.value.length > 0) {
    out.findings.push(finding(`${journal.value.length} error entr${journal.value.length > 1 ? "ies" : "y"} in the system journal`, "The latest ones are quoted.", "medium", [evidence(journal.run, journal.value.slice(-5))]));
    out.headlines.push({ kind: "status-check", severity: "medium", text: `${journal.value.length} recent error entries in the system journal` });
  }
  return out;
}

export function gapFindings(facts: Facts): Finding[] {
  if (facts.gaps.length === 0) {
    return [];
  }
  return [
    finding(
      `${facts.gaps.length} command${facts.gaps.length > 1 ? "s" : ""} gave no data`,
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

export function duration(seconds: number): string {
  if (seconds < 90) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 5400) {
    return `${Math.round(seconds / 60)} min`;
  }
  if (seconds < 172800) {
    return `${Math.round(seconds / 3600)} h`;
  }
  return `${Math.round(seconds / 86400)} days`;
}

function joinAnd(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}
