// Disk I/O: utilisation and saturation over an interval (vmstat's interval rows: iowait, blocked
// tasks, blocks in/out; top's later frame; I/O pressure; iostat when sysstat happens to be there),
// and the process the disk is busy with — the user process most often caught in state D across
// top's frames (kernel flushers and journal threads left out: they work for someone else).
import type { Severity } from "../../diagnosis";
import { displayName, formatBytes, formatPercent } from "../parse/common";
import { blockedProcesses, code, evidence, finding, output, proc, type RuleContext, type RuleOutput } from "./common";
import { josa, particle } from "../lang";

export function diskIoRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const vm = facts.vmstat?.value.interval ? facts.vmstat : undefined;
  const avg = vm?.value.average;
  const topCpu = facts.topInterval ? facts.top?.value.cpu : null;
  const iowait = avg?.wa ?? topCpu?.iowait ?? null;
  const blocked = avg?.b ?? null;
  // vmstat's bi/bo are 1 KiB blocks per second.
  const throughput = avg && avg.bi !== null && avg.bo !== null ? (avg.bi + avg.bo) * 1024 : null;
  const pressure = facts.kernelFigures?.value.pressure.io?.some ?? null;
  const devices = facts.iostat?.value ?? [];
  const device = [...devices].sort((a, b) => (b.utilPercent ?? 0) - (a.utilPercent ?? 0))[0];

  const signals: string[] = [];
  let severity: Severity = "info";
  const raise = (s: Severity): void => {
    const order: Severity[] = ["info", "low", "medium", "high", "critical"];
    severity = order.indexOf(s) > order.indexOf(severity) ? s : severity;
  };
  if (iowait !== null && iowait >= 10) {
    signals.push(say(`iowait ${formatPercent(iowait)}`, `iowait ${formatPercent(iowait)}`));
    raise(iowait >= 20 ? "high" : "medium");
  }
  if (blocked !== null && blocked >= 1) {
    signals.push(say(`${blocked.toFixed(1)} tasks blocked on I/O on average`, `I/O에 블록된 태스크 평균 ${blocked.toFixed(1)}개`));
    raise(blocked >= 4 ? "high" : "medium");
  }
  if (throughput !== null && throughput >= 50 * 1024 ** 2) {
    signals.push(say(`${formatBytes(throughput)}/s of block I/O`, `초당 블록 I/O ${formatBytes(throughput)}`));
    raise("medium");
  }
  if (pressure && pressure.avg10 >= 10) {
    signals.push(say(`tasks stalled on I/O ${formatPercent(pressure.avg10)} of the last 10 s`, `지난 10초 중 ${formatPercent(pressure.avg10)} 동안 I/O 대기`));
    raise(pressure.avg10 >= 40 ? "high" : "medium");
  }
  if (device && (device.utilPercent ?? 0) >= 60) {
    signals.push(say(`${displayName(device.device)} ${formatPercent(device.utilPercent ?? 0)} busy`, `${displayName(device.device)} 사용률 ${formatPercent(device.utilPercent ?? 0)}`));
    raise((device.utilPercent ?? 0) >= 90 ? "high" : "medium");
  }
  const busy = signals.length > 0;
  const ev = [
    ...(vm ? [evidence(vm.run, [vm.value.header, ...vm.value.samples.map((s) => s.line)])] : []),
    ...(pressure && facts.kernelFigures && pressure.avg10 >= 10 ? [evidence(facts.kernelFigures.run, [pressure.line])] : []),
    ...(device && facts.iostat && (device.utilPercent ?? 0) >= 60 ? [evidence(facts.iostat.run, [device.header, device.line])] : []),
  ];
  const figures = [
    iowait !== null ? `iowait ${formatPercent(iowait)}` : null,
    throughput !== null ? say(`${formatBytes(throughput)}/s block I/O`, `블록 I/O 초당 ${formatBytes(throughput)}`) : null,
    blocked !== null ? say(`${blocked.toFixed(1)} blocked`, `블록 ${blocked.toFixed(1)}`) : null,
  ].filter((f): f is string => f !== null);
  if (busy) {
    out.findings.push(
      finding(
        "disk-io",
        say(`The disk is busy: ${signals.join(", ")}`, `디스크가 바쁨: ${signals.join(", ")}`),
        say(
          `Averaged over ${vm ? `${vm.value.samples.length} one-second intervals` : "the sampled interval"}: processes wait on storage, not on CPU.`,
          `${vm ? `1초 간격 ${vm.value.samples.length}회` : "측정 구간"} 평균: 프로세스가 CPU가 아니라 스토리지를 기다립니다.`,
        ),
        severity,
        ev,
      ),
    );
  } else if (figures.length > 0) {
    out.findings.push(finding("disk-io", say(`The disk is not busy (${figures.join(", ")})`, `디스크가 바쁘지 않음 (${figures.join(", ")})`), say("No sign of I/O saturation over the sampled interval.", "측정 구간에 I/O 포화 징후가 없습니다."), "info", ev.slice(0, 1)));
  }

  // Who the disk is busy with: user processes caught in D, most samples first.
  const { list: inD, samples: frames, run: sampleRun } = blockedProcesses(ctx);
  const first = inD[0];
  if (first && sampleRun) {
    const second = inD[1];
    const dominant = !second || first.hits >= second.hits * 1.5;
    const often = first.hits >= 2 || frames <= 2;
    const culprit = { resource: "disk-io" as const, kind: "process" as const, name: first.name, pid: first.pid, detail: say(`in state D in ${first.hits} of ${frames} samples`, `샘플 ${frames}회 중 ${first.hits}회 D 상태`) };
    // Named while the disk is busy; on an idle disk only a process stuck in D in nearly every sample
    // (hung on I/O, NFS or a frozen cgroup) — one caught in D once is not a bottleneck.
    const stuck = frames >= 3 && first.hits >= Math.max(3, Math.ceil(frames * 0.8));
    const named = dominant && often && (busy || stuck);
    out.findings.push(
      finding(
        "disk-io",
        say(`${proc(first)} waits on I/O (state D in ${first.hits} of ${frames} samples)`, `${josa(proc(first), "이")} I/O를 기다림 (샘플 ${frames}회 중 ${first.hits}회 D 상태)`),
        (inD.length > 1 ? say(`Also in D: ${inD.slice(1, 4).map((s) => `${proc(s)} ×${s.hits}`).join(", ")}. `, `그 밖의 D 상태: ${inD.slice(1, 4).map((s) => `${proc(s)} ×${s.hits}`).join(", ")}. `) : "") +
          say("A process in uninterruptible sleep is waiting for the disk (or NFS) to answer.", "D(uninterruptible) 상태의 프로세스는 디스크(또는 NFS)의 응답을 기다리는 중입니다."),
        busy ? severity : "low",
        [evidence(sampleRun, first.lines)],
        named ? culprit : null,
      ),
    );
    if (named && stuck && !busy) {
      const text = say(
        `${proc(first)} is stuck in uninterruptible sleep (state D in ${first.hits} of ${frames} samples) while the disk is idle: it cannot be killed until what it waits for returns`,
        `${josa(proc(first), "이")} D 상태로 멈춰 있음 (샘플 ${frames}회 중 ${first.hits}회) — 디스크는 한가함: 기다리는 것이 돌아올 때까지 kill할 수 없습니다`,
      );
      out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 2, text });
      out.candidates.push({ culprit: { ...culprit, resource: "kernel" }, strength: "strong", severity: "high", priority: 2, text });
      out.nextSteps.push({
        resource: "disk-io",
        text: say(
          `See where ${proc(first)} waits: \`cat /proc/${first.pid}/wchan; echo; cat /proc/${first.pid}/stack\` (root) and its cgroup's freezer state (\`cat /proc/${first.pid}/cgroup\`); an NFS mount that went away or a frozen cgroup are the usual causes.`,
          `${josa(proc(first), "이")} 어디서 기다리는지 보세요: \`cat /proc/${first.pid}/wchan; echo; cat /proc/${first.pid}/stack\` (root), cgroup freezer 상태 (\`cat /proc/${first.pid}/cgroup\`). 사라진 NFS 마운트나 얼어붙은 cgroup이 흔한 원인입니다.`,
        ),
      });
    } else if (named) {
      out.candidates.push({
        culprit,
        strength: "strong",
        severity,
        priority: 1,
        text: say(
          `${proc(first)} is the process the disk is busy with (state D in ${first.hits} of ${frames} samples); ${signals.join(", ")}`,
          `디스크가 상대하는 프로세스는 ${proc(first)} (샘플 ${frames}회 중 ${first.hits}회 D 상태); ${signals.join(", ")}`,
        ),
      });
    }
  }
  // Bytes per process over an interval (procfs sampled twice): the writer, even when it is never caught in D.
  const io = facts.processIo;
  if (io && io.value.seconds) {
    const seconds = io.value.seconds;
    const names = new Map((facts.processes?.value.processes ?? []).map((p) => [p.pid, p.name]));
    const rates = [...io.value.byPid.entries()]
      .filter(([, e]) => e.second !== null)
      .map(([pid, e]) => ({ pid, name: names.get(pid) ?? `pid ${pid}`, read: Math.max(0, e.second!.read - e.first.read) / seconds, write: Math.max(0, e.second!.write - e.first.write) / seconds, lines: e.lines }))
      .sort((a, b) => b.read + b.write - (a.read + a.write));
    const [top, next] = rates;
    const total = (r: { read: number; write: number }): number => r.read + r.write;
    if (top && total(top) >= 1024 ** 2 && (!next || total(top) >= total(next) * 3)) {
      const rate = say(`${formatBytes(top.write)}/s written, ${formatBytes(top.read)}/s read`, `초당 쓰기 ${formatBytes(top.write)}, 읽기 ${formatBytes(top.read)}`);
      const culprit = { resource: "disk-io" as const, kind: "process" as const, name: top.name, pid: top.pid, detail: say(`${rate} over ${seconds} s`, `${seconds}초 동안 ${rate}`) };
      const text = say(`${proc(top)} does the disk I/O: ${rate} over ${seconds} s${busy ? `; ${signals.join(", ")}` : ""}`, `디스크 I/O는 ${proc(top)}: ${seconds}초 동안 ${rate}${busy ? `; ${signals.join(", ")}` : ""}`);
      out.findings.push(
        finding(
          "disk-io",
          text,
          say(
            `Measured from /proc/PID/io twice, ${seconds} s apart.${next ? ` Next: ${proc(next)} ${formatBytes(total(next))}/s.` : ""}`,
            `/proc/PID/io를 ${seconds}초 간격으로 두 번 읽어 측정.${next ? ` 다음: ${proc(next)} 초당 ${formatBytes(total(next))}.` : ""}`,
          ),
          busy ? severity : "low",
          [evidence(io.run, top.lines)],
          culprit,
        ),
      );
      if (busy || total(top) >= 20 * 1024 ** 2) {
        out.candidates.push({ culprit, strength: "strong", severity: busy ? severity : "medium", priority: 3, text });
      }
    }
  }
  out.headlines.push({
    resource: "disk-io",
    severity,
    text: busy
      ? say(`the disk is busy (${signals.join(", ")})`, `디스크가 바쁨 (${signals.join(", ")})`)
      : figures.length > 0
        ? say(`the disk is not busy (${figures.join(", ")})`, `디스크가 바쁘지 않음 (${figures.join(", ")})`)
        : say("no disk I/O figures could be read", "디스크 I/O 수치를 읽지 못함"),
  });
  if (busy && !out.candidates.length && !facts.processIo) {
    out.nextSteps.push({
      resource: "disk-io",
      text: say(
        "No process was caught waiting on the disk: sample longer (`top -b -n 20 -d 0.2 | awk '$8 ~ /^D/'`), or per process with `pidstat -d 1 5` / `iotop -obn 3` where installed; for EBS compare with the volume's IOPS/throughput limits and burst balance.",
        "디스크를 기다리는 프로세스를 잡지 못했습니다: 더 길게 샘플링하거나 (`top -b -n 20 -d 0.2 | awk '$8 ~ /^D/'`), 설치돼 있다면 `pidstat -d 1 5` / `iotop -obn 3`으로 프로세스별로 보세요. EBS라면 볼륨의 IOPS/처리량 한도와 버스트 잔량과 비교하세요.",
      ),
    });
  } else if (first && busy) {
    out.nextSteps.push({
      resource: "disk-io",
      text: say(
        `See what ${code(first.name)} (pid ${first.pid}) writes: \`cat /proc/${first.pid}/io\` twice a few seconds apart, and \`ls -l /proc/${first.pid}/fd\`.`,
        `${code(first.name)} (pid ${first.pid})${particle(first.name, "이")} 무엇을 쓰는지 확인하세요: \`cat /proc/${first.pid}/io\`를 몇 초 간격으로 두 번, 그리고 \`ls -l /proc/${first.pid}/fd\`.`,
      ),
    });
  }
  return out;
}
