// The built-in runbooks: bounded, read-only diagnostic commands per kind of problem, each with why
// it runs and what in its output matters. Every command here must pass the default policy (a test
// checks it) and run on a plain Debian / Ubuntu / Amazon Linux host; a command missing on the host
// (mpstat without sysstat) yields a note, never a broken analysis.
//
// Values that come from an alarm or the user's text (a mount path, a service name, a port) are
// validated by target.ts before they get here, and the policy quotes every argument again.
import { sayer, type Language, type Say } from "./lang";

export interface RunbookCommand {
  command: string;
  purpose: string;
  expectedSignal: string;
}

export type RunbookKind = "cpu" | "memory" | "disk" | "disk-io" | "status-check" | "network" | "service" | "process" | "generic";

export const PS_COLUMNS = "pid,ppid,user,pcpu,pmem,rss,etimes,stat,comm";

const uptime = (say: Say): RunbookCommand => ({
  command: "uptime",
  purpose: say("Load averages over 1, 5 and 15 minutes, and how long the host has been up.", "1·5·15분 평균 부하와 호스트 가동 시간."),
  expectedSignal: say("A load average well above the CPU count means work is queueing; a short uptime means a recent reboot.", "CPU 수보다 훨씬 큰 부하는 작업이 밀려 있다는 뜻이고, 짧은 가동 시간은 최근 재부팅을 뜻합니다."),
});

const nproc = (say: Say): RunbookCommand => ({
  command: "nproc",
  purpose: say("Number of CPUs, to read the load average per core.", "코어당 부하를 읽기 위한 CPU 수."),
  expectedSignal: say("Load per core above 1 means runnable work waits for a CPU.", "코어당 부하가 1을 넘으면 실행 대기 작업이 CPU를 기다립니다."),
});

const top = (say: Say): RunbookCommand => ({
  command: "top -b -n 1 -w 512 | head -n 30",
  purpose: say("A snapshot of CPU time by kind (user, system, iowait, steal) and the busiest processes.", "종류별 CPU 시간(user, system, iowait, steal)과 가장 바쁜 프로세스의 스냅샷."),
  expectedSignal: say("One process near 100 % per core, or high wa (waiting on disk) or st (host steals CPU).", "코어당 100 % 가까운 프로세스, 높은 wa(디스크 대기) 또는 st(호스트가 CPU를 가져감)."),
});

const psByCpu = (say: Say): RunbookCommand => ({
  command: `ps -eo ${PS_COLUMNS} --sort=-pcpu | head -n 15`,
  purpose: say("Processes by CPU use (average over each process's life), with pid, user and age.", "CPU 사용량순 프로세스(프로세스 수명 평균)와 pid, 사용자, 실행 시간."),
  expectedSignal: say("The process using the most CPU: its name, pid, owner and how long it has run.", "CPU를 가장 많이 쓰는 프로세스: 이름, pid, 소유자, 실행 시간."),
});

const mpstat = (say: Say): RunbookCommand => ({
  command: "mpstat -P ALL 1 1",
  purpose: say("Per-core CPU use over one second (needs the sysstat package).", "1초 동안의 코어별 CPU 사용률 (sysstat 패키지 필요)."),
  expectedSignal: say("A single saturated core (single-threaded hot spot), %iowait or %steal per core.", "포화된 코어 하나(단일 스레드 병목), 코어별 %iowait 또는 %steal."),
});

const vmstat = (say: Say): RunbookCommand => ({
  command: "vmstat 1 5",
  purpose: say("Run queue, swapping, I/O wait and context switches over 5 seconds.", "5초 동안의 실행 큐, 스와핑, I/O 대기, 컨텍스트 스위치."),
  expectedSignal: say("r above the CPU count (CPU saturation), si/so above 0 (swapping), wa high (disk-bound).", "r이 CPU 수보다 큼(CPU 포화), si/so가 0보다 큼(스와핑), wa가 높음(디스크 병목)."),
});

const free = (say: Say): RunbookCommand => ({
  command: "free -m",
  purpose: say("Total, used and available memory and swap, in MiB.", "전체·사용·가용 메모리와 스왑 (MiB)."),
  expectedSignal: say("Low 'available' memory, or swap in use.", "낮은 available 메모리 또는 사용 중인 스왑."),
});

const psByRss = (say: Say): RunbookCommand => ({
  command: `ps -eo ${PS_COLUMNS} --sort=-rss | head -n 15`,
  purpose: say("Processes by resident memory (RSS), with pid, user and age.", "상주 메모리(RSS)순 프로세스와 pid, 사용자, 실행 시간."),
  expectedSignal: say("The process holding the most memory; a young process with a large RSS suggests a leak or a runaway job.", "메모리를 가장 많이 쥔 프로세스. 최근 시작했는데 RSS가 크면 누수나 폭주 작업일 수 있습니다."),
});

const oomKills = (say: Say): RunbookCommand => ({
  command: "dmesg -T | grep -i -E 'out of memory|killed process|oom-kill|oom_reaper' | tail -n 20",
  purpose: say("Kernel out-of-memory kills (the kernel log may need root).", "커널의 OOM kill (커널 로그는 root 권한이 필요할 수 있음)."),
  expectedSignal: say("'Killed process PID (name)' lines: the kernel killed something to free memory.", "'Killed process PID (name)' 줄: 커널이 메모리를 확보하려고 프로세스를 죽였습니다."),
});

const df = (say: Say): RunbookCommand => ({
  command: "df -hP",
  purpose: say("Space used on every mounted filesystem.", "마운트된 모든 파일시스템의 사용 공간."),
  expectedSignal: say("A filesystem at or near 100 % use.", "사용률 100 %이거나 그에 가까운 파일시스템."),
});

const dfInodes = (say: Say): RunbookCommand => ({
  command: "df -iP",
  purpose: say("Inodes (file count) used on every mounted filesystem.", "마운트된 모든 파일시스템의 아이노드(파일 수) 사용량."),
  expectedSignal: say("IUse% near 100 %: no new files can be created even with free space.", "IUse%가 100 % 가까움: 공간이 남아도 새 파일을 만들 수 없습니다."),
});

function duTop(path: string, say: Say): RunbookCommand {
  return {
    command: `du -xh --max-depth=3 ${path} 2>/dev/null | sort -rh | head -n 20`,
    purpose: say(`The largest directories under ${path} (same filesystem only, three levels deep).`, `${path} 아래에서 가장 큰 디렉터리 (같은 파일시스템, 3단계 깊이까지).`),
    expectedSignal: say("One directory holding most of the space (logs, caches, dumps, container images).", "공간 대부분을 차지하는 디렉터리 하나 (로그, 캐시, 덤프, 컨테이너 이미지)."),
  };
}

function largeFiles(path: string, say: Say): RunbookCommand {
  return {
    command: `find ${path} -xdev -type f -size +10M -printf '%s %p\\n' 2>/dev/null | sort -rn | head -n 15`,
    purpose: say(`The largest files (over 10 MB) under ${path}, on the same filesystem.`, `${path} 아래 같은 파일시스템의 가장 큰 파일 (10 MB 이상).`),
    expectedSignal: say("A runaway log, core dump or forgotten archive.", "폭주한 로그, 코어 덤프, 잊힌 아카이브."),
  };
}

const deletedOpen = (say: Say): RunbookCommand => ({
  command: "lsof -nP +L1 2>/dev/null | head -n 20",
  purpose: say("Files deleted but still held open by a process (their space is not freed until it closes them).", "삭제됐지만 프로세스가 아직 열고 있는 파일 (닫기 전까지 공간이 풀리지 않음)."),
  expectedSignal: say("A large deleted log still open by a daemon: restart or reopen logs to free the space.", "데몬이 아직 열고 있는 큰 삭제 로그: 재시작하거나 로그를 다시 열어 공간을 푸세요."),
});

const iostat = (say: Say): RunbookCommand => ({
  command: "iostat -dxy 1 2",
  purpose: say("Per-device I/O load over one second (needs the sysstat package).", "1초 동안의 장치별 I/O 부하 (sysstat 패키지 필요)."),
  expectedSignal: say("%util near 100 or long await on a device: the disk is the bottleneck.", "장치의 %util이 100 가까이거나 await가 길면 디스크가 병목입니다."),
});

const failedUnits = (say: Say): RunbookCommand => ({
  command: "systemctl --failed --no-pager --plain",
  purpose: say("systemd units that have failed.", "실패한 systemd 유닛."),
  expectedSignal: say("Any unit listed as failed.", "failed로 표시된 유닛."),
});

const journalErrors = (say: Say): RunbookCommand => ({
  command: "journalctl -p err --no-pager -n 50",
  purpose: say("The latest 50 error-level entries of the system journal.", "시스템 저널의 최근 오류 수준 항목 50개."),
  expectedSignal: say("Repeated errors from one service or the kernel around the alarm time.", "알람 시각 전후로 한 서비스나 커널에서 반복되는 오류."),
});

const kernelTail = (say: Say): RunbookCommand => ({
  command: "dmesg -T | tail -n 40",
  purpose: say("The latest kernel messages (hardware, file system, network and OOM errors).", "최근 커널 메시지 (하드웨어, 파일시스템, 네트워크, OOM 오류)."),
  expectedSignal: say("I/O errors, file system remounted read-only, NIC resets, hung tasks, OOM kills.", "I/O 오류, 읽기 전용 재마운트, NIC 리셋, hung task, OOM kill."),
});

const listeners = (say: Say): RunbookCommand => ({
  command: "ss -ltnup",
  purpose: say("Listening TCP and UDP sockets and, where permitted, the process behind each.", "대기 중인 TCP·UDP 소켓과 (권한이 있으면) 각 소켓의 프로세스."),
  expectedSignal: say("Whether the service's port is open, and by which process.", "서비스 포트가 열려 있는지, 어느 프로세스가 쓰는지."),
});

const socketSummary = (say: Say): RunbookCommand => ({
  command: "ss -s",
  purpose: say("Socket counts by state.", "상태별 소켓 수."),
  expectedSignal: say("Very many established, TIME-WAIT or orphaned connections.", "매우 많은 established, TIME-WAIT, orphan 연결."),
});

const linkStats = (say: Say): RunbookCommand => ({
  command: "ip -s link",
  purpose: say("Per-interface byte, packet, error and drop counters.", "인터페이스별 바이트, 패킷, 오류, 드롭 카운터."),
  expectedSignal: say("RX/TX errors or drops growing on the main interface.", "주 인터페이스에서 늘어나는 RX/TX 오류나 드롭."),
});

const tcpCounters = (say: Say): RunbookCommand => ({
  command: "cat /proc/net/netstat",
  purpose: say("Kernel TCP counters since boot: accept-queue overflows, drops and timeouts.", "부팅 후 커널 TCP 카운터: accept 큐 넘침, 드롭, 타임아웃."),
  expectedSignal: say("ListenOverflows/ListenDrops above 0: a service cannot accept connections fast enough.", "ListenOverflows/ListenDrops가 0보다 큼: 서비스가 연결을 충분히 빨리 받지 못함."),
});

const tcpSegments = (say: Say): RunbookCommand => ({
  command: "cat /proc/net/snmp",
  purpose: say("Kernel TCP segment counters since boot (sent and retransmitted).", "부팅 후 커널 TCP 세그먼트 카운터 (송신, 재전송)."),
  expectedSignal: say("Retransmitted segments above ~1 % of those sent: packet loss on the path.", "재전송이 송신의 ~1 %를 넘음: 경로상 패킷 유실."),
});

function serviceStatus(service: string, say: Say): RunbookCommand {
  return {
    command: `systemctl status ${service} --no-pager -l -n 20`,
    purpose: say(`State of the ${service} service, its main process and its last log lines.`, `${service} 서비스의 상태, 메인 프로세스, 마지막 로그.`),
    expectedSignal: say("'Active: failed' or 'inactive (dead)', restart loops, the exit code of the last run.", "'Active: failed'나 'inactive (dead)', 재시작 루프, 마지막 실행의 종료 코드."),
  };
}

function serviceJournal(service: string, say: Say): RunbookCommand {
  return {
    command: `journalctl -u ${service} --no-pager -n 100`,
    purpose: say(`The latest 100 log lines of ${service}.`, `${service}의 최근 로그 100줄.`),
    expectedSignal: say("The error that stopped it: a bad config, a port in use, permission denied, out of memory.", "멈추게 한 오류: 잘못된 설정, 사용 중인 포트, 권한 거부, 메모리 부족."),
  };
}

function processByName(name: string, say: Say): RunbookCommand {
  return {
    command: `ps -C ${name} -o ${PS_COLUMNS}`,
    purpose: say(`Processes named ${name}, with their CPU, memory and age.`, `이름이 ${name}인 프로세스와 CPU, 메모리, 실행 시간.`),
    expectedSignal: say(`No ${name} process (it died), several (restart loop or duplicates), or a very young one (it restarted).`, `${name} 프로세스 없음(죽음), 여러 개(재시작 루프나 중복), 아주 최근에 시작됨(재시작됨).`),
  };
}

/** Commands per kind; `target` values are already validated. Purposes in `language`. */
export function runbookCommands(kind: RunbookKind, target: { path?: string; service?: string; process?: string }, language: Language = "en"): RunbookCommand[] {
  const say = sayer(language);
  const all = (...makers: ((say: Say) => RunbookCommand)[]): RunbookCommand[] => makers.map((make) => make(say));
  switch (kind) {
    case "cpu":
      return all(uptime, nproc, top, psByCpu, mpstat, vmstat);
    case "memory":
      return all(free, psByRss, vmstat, oomKills);
    case "disk": {
      const path = target.path ?? "/";
      return [...all(df, dfInodes), duTop(path, say), largeFiles(path, say), deletedOpen(say)];
    }
    case "disk-io":
      return all(iostat, vmstat, top);
    case "status-check":
      return all(uptime, kernelTail, failedUnits, journalErrors, df, free);
    case "network":
      return all(socketSummary, linkStats, listeners, tcpCounters, tcpSegments);
    case "service": {
      const service = target.service;
      return service
        ? [serviceStatus(service, say), serviceJournal(service, say), processByName(target.process ?? service, say), listeners(say), failedUnits(say)]
        : all(failedUnits, listeners, journalErrors);
    }
    case "process": {
      const name = target.process;
      return name ? [processByName(name, say), ...all(psByCpu, psByRss, free)] : all(psByCpu, psByRss, free);
    }
    case "generic":
      return all(uptime, nproc, free, df, top, failedUnits, journalErrors, kernelTail);
  }
}

export const RUNBOOK_TITLES: Record<RunbookKind, { en: string; ko: string }> = {
  cpu: { en: "CPU", ko: "CPU" },
  memory: { en: "Memory", ko: "메모리" },
  disk: { en: "Disk space", ko: "디스크 공간" },
  "disk-io": { en: "Disk I/O", ko: "디스크 I/O" },
  "status-check": { en: "Status check", ko: "상태 검사" },
  network: { en: "Network", ko: "네트워크" },
  service: { en: "Service", ko: "서비스" },
  process: { en: "Process", ko: "프로세스" },
  generic: { en: "General health", ko: "전반 점검" },
};
