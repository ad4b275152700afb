// The built-in runbooks: bounded, read-only diagnostic commands, each with why it runs and what in
// its output matters. Every plan starts with a USE-method snapshot of the whole host (utilisation,
// saturation and errors of every resource from procfs, ps, top, vmstat, free, df, systemctl and
// the kernel log), then adds the commands that look deeper into the resources asked about. Only
// what a minimal Debian / Ubuntu / Amazon Linux host has is planned: sysstat's mpstat/iostat/pidstat
// are never proposed (a host without them is not a gap), lsof and chronyc are extras whose absence
// is reported, not read as evidence. Every command must pass the default policy (a test checks it).
//
// Values that come from an alarm or the user's text (a mount path, a service name, a port, a host
// name) are validated by target.ts before they get here, and the policy quotes every argument again.
import type { Resource } from "../diagnosis";
import { sayer, type Language, type Say, josa } from "./lang";
import { processOfService } from "./target";

export interface RunbookCommand {
  command: string;
  purpose: string;
  expectedSignal: string;
}

export const PS_COLUMNS = "pid,ppid,user,stat,etimes,nlwp,pcpu,pmem,rss,comm";

/** procfs files every snapshot reads at once (grep -H prefixes each line with its file). */
export const PROC_FILES = [
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/sys/kernel/pid_max",
  "/proc/sys/kernel/threads-max",
  "/proc/sys/fs/file-nr",
  "/proc/pressure/cpu",
  "/proc/pressure/memory",
  "/proc/pressure/io",
];

/** Kernel log lines that matter to a diagnosis (the whole ring buffer is too long to read). */
const KERNEL_PATTERN =
  "out of memory|killed process|oom-kill|oom_reaper|blocked for more than|hung_task|soft lockup|hard lockup|rcu.*stall|i/o error|blk_update_request|remount.*read-only|ext4-fs error|xfs.*(error|corrupt|shutdown)|segfault|general protection|table full|link is down|netdev watchdog|bug:|kernel panic|call trace|nvme.*(timeout|reset)|possible syn flooding|too many orphaned";

type Make = (say: Say) => RunbookCommand;

const uptime: Make = (say) => ({
  command: "uptime",
  purpose: say("Load averages over 1, 5 and 15 minutes, and how long the host has been up.", "1·5·15분 평균 부하와 호스트 가동 시간."),
  expectedSignal: say("A load average well above the CPU count means work is queueing; a short uptime means a recent reboot.", "CPU 수보다 훨씬 큰 부하는 작업이 밀려 있다는 뜻이고, 짧은 가동 시간은 최근 재부팅을 뜻합니다."),
});

const procFiles: Make = (say) => ({
  command: `grep -H . ${PROC_FILES.join(" ")}`,
  purpose: say(
    "Uptime, load and task count, the pid and thread limits, file handles in use against the system limit, and pressure stall figures (PSI) where the kernel has them.",
    "가동 시간, 부하와 태스크 수, pid·스레드 한도, 시스템 한도 대비 사용 중인 파일 핸들, (커널이 지원하면) 압박 지표(PSI).",
  ),
  expectedSignal: say(
    "Tasks near pid_max, file-nr near file-max, or 'some avg10' pressure above a few percent on cpu, memory or io.",
    "pid_max에 가까운 태스크 수, file-max에 가까운 file-nr, cpu·memory·io의 'some avg10' 압박이 몇 % 이상.",
  ),
});

const nproc: Make = (say) => ({
  command: "nproc",
  purpose: say("Number of CPUs, to read load and run queue per core.", "코어당 부하와 실행 큐를 읽기 위한 CPU 수."),
  expectedSignal: say("Load or runnable tasks per core above 1 means work waits for a CPU.", "코어당 부하나 실행 대기 작업이 1을 넘으면 작업이 CPU를 기다립니다."),
});

const vmstat: Make = (say) => ({
  command: "vmstat 1 5",
  purpose: say(
    "Run queue, blocked tasks, swapping, block I/O and CPU time by kind, averaged over four one-second intervals (the first row, since boot, is skipped).",
    "실행 큐, 블록된 태스크, 스와핑, 블록 I/O, 종류별 CPU 시간을 1초 간격 네 번의 평균으로 (부팅 이후 평균인 첫 줄은 제외).",
  ),
  expectedSignal: say(
    "r above the CPU count (CPU saturation), b above 0 and high wa with large bi/bo (disk-bound), si/so above 0 (swapping).",
    "r이 CPU 수보다 큼(CPU 포화), b가 0보다 크고 wa와 bi/bo가 큼(디스크 병목), si/so가 0보다 큼(스와핑).",
  ),
});

const topInterval: Make = (say) => ({
  command: "top -b -n 2 -d 1 -w 512 | awk '/^top -/{n++} n==2' | head -n 40",
  purpose: say(
    "The second of two top frames one second apart: CPU time by kind and the busiest processes over that second (the first frame averages since boot).",
    "1초 간격 top 두 프레임 중 두 번째: 그 1초 동안의 종류별 CPU 시간과 가장 바쁜 프로세스 (첫 프레임은 부팅 이후 평균).",
  ),
  expectedSignal: say("One process near 100 % per core, high wa (waiting on disk) or st (the hypervisor takes CPU), zombies in the Tasks line.", "코어당 100 % 가까운 프로세스, 높은 wa(디스크 대기)나 st(하이퍼바이저가 CPU를 가져감), Tasks 줄의 좀비."),
});

const psAll: Make = (say) => ({
  command: `ps -eo ${PS_COLUMNS} --sort=-pcpu | head -n 3000`,
  purpose: say(
    "Every process with its parent, owner, state, age, threads, CPU and memory: processes per command and state (R, D, Z), zombies' parents, the largest consumers.",
    "모든 프로세스와 부모, 소유자, 상태, 실행 시간, 스레드, CPU·메모리: 명령별·상태별(R, D, Z) 프로세스 수, 좀비의 부모, 가장 큰 소비자.",
  ),
  expectedSignal: say("One command with far more processes or threads than any other, Z processes sharing a parent, D processes, a process holding most of the memory.", "다른 명령보다 훨씬 많은 프로세스나 스레드를 가진 명령, 부모가 같은 Z 프로세스, D 프로세스, 메모리 대부분을 쥔 프로세스."),
});

const free: Make = (say) => ({
  command: "free -m",
  purpose: say("Total, used and available memory and swap, in MiB.", "전체·사용·가용 메모리와 스왑 (MiB)."),
  expectedSignal: say("Low 'available' memory, or swap in use.", "낮은 available 메모리 또는 사용 중인 스왑."),
});

const df: Make = (say) => ({
  command: "df -hP",
  purpose: say("Space used on every mounted filesystem.", "마운트된 모든 파일시스템의 사용 공간."),
  expectedSignal: say("A filesystem at or near 100 % use.", "사용률 100 %이거나 그에 가까운 파일시스템."),
});

const dfInodes: Make = (say) => ({
  command: "df -iP",
  purpose: say("Inodes (file count) used on every mounted filesystem.", "마운트된 모든 파일시스템의 아이노드(파일 수) 사용량."),
  expectedSignal: say("IUse% near 100 %: no new files can be created even with free space.", "IUse%가 100 % 가까움: 공간이 남아도 새 파일을 만들 수 없습니다."),
});

const failedUnits: Make = (say) => ({
  command: "systemctl --failed --no-pager --plain",
  purpose: say("systemd units that have failed.", "실패한 systemd 유닛."),
  expectedSignal: say("Any unit listed as failed.", "failed로 표시된 유닛."),
});

const kernelLog: Make = (say) => ({
  command: `dmesg | grep -i -E '${KERNEL_PATTERN}' | tail -n 40`,
  purpose: say(
    "Kernel messages that matter: OOM kills, hung tasks, lockups, I/O and file system errors, segfaults, NIC and conntrack trouble (seconds since boot; the kernel log may need root).",
    "중요한 커널 메시지: OOM kill, hung task, lockup, I/O·파일시스템 오류, segfault, NIC·conntrack 문제 (부팅 후 초 단위; 커널 로그는 root 권한이 필요할 수 있음).",
  ),
  expectedSignal: say("'Killed process PID (name)', 'task NAME:PID blocked for more than 120 seconds', I/O errors, a file system remounted read-only.", "'Killed process PID (name)', 'task NAME:PID blocked for more than 120 seconds', I/O 오류, 읽기 전용 재마운트."),
});

const kernelTail: Make = (say) => ({
  command: "dmesg -T | tail -n 40",
  purpose: say("The latest kernel messages, whatever they are.", "종류와 관계없는 최근 커널 메시지."),
  expectedSignal: say("Hardware, file system, network or OOM errors around the alarm time.", "알람 시각 전후의 하드웨어, 파일시스템, 네트워크, OOM 오류."),
});

const journalErrors: Make = (say) => ({
  command: "journalctl -p err --no-pager -n 50",
  purpose: say("The latest 50 error-level entries of the system journal.", "시스템 저널의 최근 오류 수준 항목 50개."),
  expectedSignal: say("Repeated errors from one service or the kernel around the alarm time.", "알람 시각 전후로 한 서비스나 커널에서 반복되는 오류."),
});

const boots: Make = (say) => ({
  command: "journalctl --list-boots --no-pager | tail -n 5",
  purpose: say("The latest boots the journal knows, with their first and last entry.", "저널이 아는 최근 부팅과 각 부팅의 첫·마지막 항목."),
  expectedSignal: say("A boot that ended abruptly (no clean shutdown) just before the current one.", "현재 부팅 직전에 갑자기 끝난 부팅 (정상 종료 없음)."),
});

const previousBootErrors: Make = (say) => ({
  command: "journalctl -b -1 -p warning --no-pager -n 40",
  purpose: say("The last warnings and errors of the previous boot: what happened before the reboot.", "이전 부팅의 마지막 경고와 오류: 재부팅 전에 일어난 일."),
  expectedSignal: say("A kernel panic, an OOM storm, a watchdog, or an orderly shutdown requested by someone.", "커널 패닉, 연속된 OOM, watchdog, 또는 누군가 요청한 정상 종료."),
});

const dStateSampler: Make = (say) => ({
  command: "top -b -n 5 -d 0.5 -w 512 | awk '/^top -/ || /^ *PID / || $8 ~ /^D/' | head -n 120",
  purpose: say(
    "Five top frames half a second apart, keeping only processes in uninterruptible sleep (state D, usually waiting on disk or NFS).",
    "0.5초 간격 top 다섯 프레임 중 D 상태(보통 디스크나 NFS를 기다림) 프로세스만.",
  ),
  expectedSignal: say("A user process in D in most frames: the one the disk is busy with.", "대부분의 프레임에서 D 상태인 사용자 프로세스: 디스크가 상대하는 프로세스."),
});

const openFiles: Make = (say) => ({
  command: "find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/fd/*' -printf '%h\\n' 2>/dev/null | sort | uniq -c | sort -rn | head -n 15",
  purpose: say("Open file descriptors per process (entries in /proc/PID/fd), the largest first.", "프로세스별 열린 파일 디스크립터 수 (/proc/PID/fd 항목), 많은 순."),
  expectedSignal: say("One process holding thousands of descriptors, near its limit (often 1024 or 65536).", "수천 개의 디스크립터를 쥔, 한도(보통 1024나 65536)에 가까운 프로세스."),
});

const fdLimits: Make = (say) => ({
  command: "grep -H 'Max open files' /proc/[0-9]*/limits",
  purpose: say("Each process's open-file limit (soft, hard), to read its open descriptors against it.", "프로세스별 열린 파일 한도(soft, hard): 열린 디스크립터를 한도와 비교하기 위해."),
  expectedSignal: say("A process whose open descriptors approach its soft limit (often 1024).", "열린 디스크립터가 soft 한도(보통 1024)에 가까운 프로세스."),
});

const processIo: Make = (say) => {
  const read = "grep -H -E '^(read|write)_bytes' /proc/[0-9]*/io";
  return {
    command: `${read} ; sleep 2 ; ${read}`,
    purpose: say(
      "Bytes every process has read and written, sampled twice 2 s apart: per-process disk I/O over an interval (what pidstat -d shows, without sysstat).",
      "모든 프로세스가 읽고 쓴 바이트를 2초 간격으로 두 번: 구간 동안의 프로세스별 디스크 I/O (sysstat 없이 pidstat -d처럼).",
    ),
    expectedSignal: say("One process whose write_bytes (or read_bytes) grows by megabytes per second while the others stay flat.", "다른 프로세스는 그대로인데 write_bytes(또는 read_bytes)가 초당 수 MB씩 느는 프로세스 하나."),
  };
};

const swapPerProcess: Make = (say) => ({
  command: "grep -H VmSwap /proc/[0-9]*/status",
  purpose: say("How much of each process is swapped out.", "프로세스별로 스왑으로 밀려난 양."),
  expectedSignal: say("One process holding most of the swap.", "스왑 대부분을 차지하는 프로세스 하나."),
});

const socketSummary: Make = (say) => ({
  command: "ss -s",
  purpose: say("Socket counts by state.", "상태별 소켓 수."),
  expectedSignal: say("Very many established, TIME-WAIT or orphaned connections.", "매우 많은 established, TIME-WAIT, orphan 연결."),
});

const listeners: Make = (say) => ({
  command: "ss -ltnup",
  purpose: say(
    "Listening sockets with their accept queue (Recv-Q: waiting, Send-Q: backlog) and, where permitted, the process behind each.",
    "대기 소켓과 accept 큐(Recv-Q: 대기 중, Send-Q: backlog), (권한이 있으면) 각 소켓의 프로세스.",
  ),
  expectedSignal: say("The asked port missing (nothing listens), or a Recv-Q at its backlog (the service does not accept fast enough).", "요청한 포트가 없음(대기 중인 것 없음), 또는 Recv-Q가 backlog에 닿음(서비스가 충분히 빨리 받지 못함)."),
});

const tcpSockets: Make = (say) => ({
  command: "ss -tanp | head -n 5000",
  purpose: say("Every TCP socket with its state, both ends and its process: connections per client, per port and per process.", "모든 TCP 소켓의 상태, 양쪽 주소, 프로세스: 클라이언트별·포트별·프로세스별 연결 수."),
  expectedSignal: say("One client address or one process holding most connections to a port; CLOSE-WAIT piling up on a server that does not close.", "한 포트의 연결 대부분을 쥔 클라이언트 주소나 프로세스; 닫지 않는 서버에 쌓이는 CLOSE-WAIT."),
});

const tcpCounters: Make = (say) => ({
  command: "cat /proc/net/netstat",
  purpose: say("Kernel TCP counters since boot: accept-queue overflows, drops and timeouts.", "부팅 후 커널 TCP 카운터: accept 큐 넘침, 드롭, 타임아웃."),
  expectedSignal: say("ListenOverflows/ListenDrops above 0: a service cannot accept connections fast enough.", "ListenOverflows/ListenDrops가 0보다 큼: 서비스가 연결을 충분히 빨리 받지 못함."),
});

const tcpSegments: Make = (say) => ({
  command: "cat /proc/net/snmp",
  purpose: say("Kernel TCP segment counters since boot (sent and retransmitted).", "부팅 후 커널 TCP 세그먼트 카운터 (송신, 재전송)."),
  expectedSignal: say("Retransmitted segments above ~1 % of those sent: packet loss on the path.", "재전송이 송신의 ~1 %를 넘음: 경로상 패킷 유실."),
});

const linkStats: Make = (say) => ({
  command: "ip -s link",
  purpose: say("Per-interface byte, packet, error and drop counters.", "인터페이스별 바이트, 패킷, 오류, 드롭 카운터."),
  expectedSignal: say("RX/TX errors or drops growing on the main interface.", "주 인터페이스에서 늘어나는 RX/TX 오류나 드롭."),
});

const swaps: Make = (say) => ({
  command: "cat /proc/swaps",
  purpose: say("Swap devices and files, their size and use.", "스왑 장치·파일과 크기, 사용량."),
  expectedSignal: say("A swap area nearly full.", "거의 가득 찬 스왑 영역."),
});

const deletedOpen: Make = (say) => ({
  command: "lsof -nP +L1 2>/dev/null | head -n 20",
  purpose: say("Files deleted but still held open by a process (their space is not freed until it closes them); needs lsof.", "삭제됐지만 프로세스가 아직 열고 있는 파일 (닫기 전까지 공간이 풀리지 않음); lsof 필요."),
  expectedSignal: say("A large deleted log still open by a daemon: restart or reopen logs to free the space.", "데몬이 아직 열고 있는 큰 삭제 로그: 재시작하거나 로그를 다시 열어 공간을 푸세요."),
});

const timedate: Make = (say) => ({
  command: "timedatectl",
  purpose: say("The clock, its time zone, and whether it is synchronised by NTP.", "시계, 시간대, NTP 동기화 여부."),
  expectedSignal: say("'System clock synchronized: no' or 'NTP service: inactive'.", "'System clock synchronized: no' 또는 'NTP service: inactive'."),
});

const chrony: Make = (say) => ({
  command: "chronyc tracking",
  purpose: say("chrony's offset from its reference (where chrony is the NTP client).", "기준 시각과의 chrony 오차 (chrony가 NTP 클라이언트인 경우)."),
  expectedSignal: say("'System time' more than a few hundred milliseconds off, or 'Leap status: Not synchronised'.", "'System time'이 수백 밀리초 이상 어긋남, 또는 'Leap status: Not synchronised'."),
});

const resolvConf: Make = (say) => ({
  command: "cat /etc/resolv.conf",
  purpose: say("The name servers and search domains the resolver uses.", "리졸버가 쓰는 네임서버와 search 도메인."),
  expectedSignal: say("No nameserver line, or a nameserver that is not the VPC resolver (169.254.169.253 / base+2) or the local stub.", "nameserver 줄이 없음, 또는 VPC 리졸버(169.254.169.253 / base+2)나 로컬 스텁이 아닌 네임서버."),
});

const nsswitch: Make = (say) => ({
  command: "grep -E '^(hosts|networks):' /etc/nsswitch.conf",
  purpose: say("Where host names are looked up (files, dns, resolve…).", "호스트 이름을 찾는 순서 (files, dns, resolve…)."),
  expectedSignal: say("A hosts line without dns or resolve.", "dns나 resolve가 없는 hosts 줄."),
});

function lookup(name: string, say: Say): RunbookCommand {
  return {
    command: `getent ahosts ${name}`,
    purpose: say(`Resolve ${name} the way applications do (NSS: /etc/hosts, then DNS).`, `애플리케이션과 같은 방식(NSS: /etc/hosts, 그다음 DNS)으로 ${name} 조회.`),
    expectedSignal: say("No output and exit code 2: the name does not resolve.", "출력 없이 종료 코드 2: 이름이 조회되지 않음."),
  };
}

/** A name every working resolver can answer for (a quick NXDOMAIN counts as an answer, a timeout does not). */
export const DEFAULT_LOOKUP = "sts.amazonaws.com";

/**
 * Bytes read and written by each of `pids`, twice, `seconds` apart: per-process disk I/O over an
 * interval from procfs (what pidstat -d or iotop show, without sysstat or iotop installed).
 */
export function processIoSampler(pids: number[], seconds: number, language: Language = "en"): RunbookCommand {
  const say = sayer(language);
  const files = pids.map((pid) => `/proc/${pid}/io`).join(" ");
  const read = `grep -H -E '^(read|write)_bytes' ${files}`;
  return {
    command: `${read} ; sleep ${seconds} ; ${read}`,
    purpose: say(
      `Bytes each of the ${pids.length} busiest processes reads and writes, sampled twice ${seconds} s apart: who the disk is busy with.`,
      `가장 바쁜 프로세스 ${pids.length}개가 읽고 쓰는 바이트를 ${seconds}초 간격으로 두 번: 디스크가 누구를 상대하는지.`,
    ),
    expectedSignal: say("One process whose write_bytes (or read_bytes) grows by megabytes per second while the others stay flat.", "다른 프로세스는 그대로인데 write_bytes(또는 read_bytes)가 초당 수 MB씩 느는 프로세스 하나."),
  };
}

/**
 * One level of directories under `path`, unsorted: a listing the time limit cuts short still shows
 * the directories it finished (du prints each when done, head passes it on), where `| sort` would
 * have printed nothing.
 * A deeper look into the largest follows in the next round.
 */
function duTop(path: string, say: Say): RunbookCommand {
  return {
    command: `du -xh --max-depth=1 ${path} 2>/dev/null | head -n 1000`,
    purpose: say(`The size of each directory directly under ${path} (same filesystem only); the next round looks into the largest.`, `${path} 바로 아래 각 디렉터리의 크기 (같은 파일시스템); 다음 단계에서 가장 큰 곳을 들여다봅니다.`),
    expectedSignal: say("One directory holding most of the space (logs, caches, dumps, container images).", "공간 대부분을 차지하는 디렉터리 하나 (로그, 캐시, 덤프, 컨테이너 이미지)."),
  };
}

/** Large files in the top three levels under `path`: bounded, so it ends quickly however big the filesystem is. */
function largeFiles(path: string, say: Say): RunbookCommand {
  return {
    command: `find ${path} -xdev -maxdepth 3 -type f -size +10M -printf '%s %p\\n' 2>/dev/null | sort -rn | head -n 15`,
    purpose: say(`The largest files (over 10 MB) in the top three levels under ${path}, on the same filesystem.`, `${path} 아래 세 단계까지, 같은 파일시스템의 가장 큰 파일 (10 MB 이상).`),
    expectedSignal: say("A runaway log, core dump or forgotten archive.", "폭주한 로그, 코어 덤프, 잊힌 아카이브."),
  };
}

function duInodes(path: string, say: Say): RunbookCommand {
  return {
    command: `du --inodes -x --max-depth=1 ${path} 2>/dev/null | head -n 1000`,
    purpose: say(`The number of files (inodes) in each directory directly under ${path} (same filesystem only); the next round looks into the largest.`, `${path} 바로 아래 각 디렉터리의 파일(아이노드) 수 (같은 파일시스템); 다음 단계에서 가장 많은 곳을 들여다봅니다.`),
    expectedSignal: say("One directory with millions of small files (sessions, caches, mail queues).", "작은 파일 수백만 개를 가진 디렉터리 (세션, 캐시, 메일 큐)."),
  };
}

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

function processById(pid: number, say: Say): RunbookCommand {
  return {
    command: `ps -o ${PS_COLUMNS},args -p ${pid}`,
    purpose: say(`Process ${pid}: its command line, state, owner and age.`, `프로세스 ${pid}: 명령줄, 상태, 소유자, 실행 시간.`),
    expectedSignal: say("Whether it still runs, and what it is.", "아직 실행 중인지, 무엇인지."),
  };
}

/** One process's command line, for a culprit whose comm is only a thread name (`MainThread`). */
export function commandLineOf(pid: number, language: Language = "en"): RunbookCommand {
  const say = sayer(language);
  return {
    ...processById(pid, say),
    purpose: say(`Process ${pid} is known only by a thread name: its command line tells which program it is.`, `프로세스 ${josa(pid, "은")} 스레드 이름으로만 보입니다: 명령줄로 어떤 프로그램인지 확인합니다.`),
  };
}

/** The USE snapshot: the same on every plan, so any diagnosis can draw on every resource. */
export function snapshotCommands(language: Language = "en"): RunbookCommand[] {
  const say = sayer(language);
  return [uptime, nproc, procFiles, vmstat, topInterval, psAll, free, df, failedUnits, kernelLog].map((make) => make(say));
}

export interface CommandTarget {
  path?: string;
  service?: string;
  process?: string;
  pid?: number;
  lookup?: string;
}

/** Commands that look deeper into one resource; `target` values are already validated. */
export function resourceCommands(resource: Resource, target: CommandTarget, language: Language = "en"): RunbookCommand[] {
  const say = sayer(language);
  const all = (...makers: Make[]): RunbookCommand[] => makers.map((make) => make(say));
  const path = target.path ?? "/";
  switch (resource) {
    case "cpu":
    case "memory":
    case "processes":
    case "zombies":
      return target.pid ? [processById(target.pid, say)] : [];
    case "swap":
      return all(swaps, swapPerProcess);
    // A directory listing walks every file under it: on a large root it outlasts the time limit.
    // So the first round lists only a path that was named; otherwise the next round lists the mount
    // that df shows full (and then the largest directory in it, one level at a time).
    case "disk-space":
      return [...all(dfInodes), ...(target.path ? [duTop(path, say)] : []), largeFiles(path, say), ...all(deletedOpen)];
    case "inodes":
      return [...all(dfInodes), ...(target.path ? [duInodes(path, say)] : [])];
    case "disk-io":
      return all(dStateSampler, processIo);
    case "file-descriptors":
      return all(openFiles, fdLimits);
    case "connections":
      return all(socketSummary, listeners, tcpSockets, tcpCounters);
    case "network":
      return all(linkStats, socketSummary, tcpCounters, tcpSegments);
    case "services": {
      const service = target.service;
      const named = service ? [serviceStatus(service, say), serviceJournal(service, say), processByName(target.process ?? processOfService(service), say)] : [];
      return [...named, ...all(listeners, journalErrors)];
    }
    case "kernel":
      return all(kernelTail);
    case "time":
      return all(timedate, chrony);
    case "dns":
      // The listeners tell whether a local nameserver (a stub on 127.0.0.x) is there at all.
      return [...all(resolvConf, nsswitch), lookup(target.lookup ?? DEFAULT_LOOKUP, say), ...all(listeners)];
    case "reboot":
      return all(boots, previousBootErrors, journalErrors);
  }
}

/** The resources a broad sweep looks into beyond the snapshot ("the server is slow"). */
export const BROAD_RESOURCES: Resource[] = ["disk-io", "file-descriptors", "connections", "network"];

export const RESOURCE_TITLES: Record<Resource, { en: string; ko: string }> = {
  cpu: { en: "CPU", ko: "CPU" },
  memory: { en: "memory", ko: "메모리" },
  swap: { en: "swap", ko: "스왑" },
  "disk-space": { en: "disk space", ko: "디스크 공간" },
  inodes: { en: "inodes", ko: "아이노드" },
  "disk-io": { en: "disk I/O", ko: "디스크 I/O" },
  processes: { en: "process count", ko: "프로세스 수" },
  zombies: { en: "zombie processes", ko: "좀비 프로세스" },
  "file-descriptors": { en: "open files", ko: "열린 파일" },
  connections: { en: "connections", ko: "연결" },
  network: { en: "network", ko: "네트워크" },
  services: { en: "services", ko: "서비스" },
  kernel: { en: "kernel", ko: "커널" },
  time: { en: "clock", ko: "시계" },
  dns: { en: "DNS", ko: "DNS" },
  reboot: { en: "reboots", ko: "재부팅" },
};
