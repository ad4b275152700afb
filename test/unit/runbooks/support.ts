// Shared by the runbook tests: captured fixtures as CommandRuns, alarms built like the parser
// builds them, and hand-made outputs of tools and hosts this machine cannot produce (a failed
// systemd unit, Amazon Linux 2's older procps, a swapping host).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Alarm, AlarmMetric } from "../../../src/alarms/model";
import type { CommandRun, RunStatus } from "../../../src/graph/diagnosis";
import type { CapturedScenario } from "../../fixtures/outputs/capture";
import { makeAlarm } from "../alarms/samples";

export const FIXTURES = join(__dirname, "..", "..", "fixtures", "outputs");

export function loadScenario(name: string): CapturedScenario {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as CapturedScenario;
}

export function runsOf(scenario: CapturedScenario): CommandRun[] {
  return scenario.runs.map((r, i) => ({
    id: `c${i + 1}`,
    command: r.command,
    status: r.exitCode === 0 ? "ok" : "failed",
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    durationMs: r.durationMs,
    truncated: false,
    reason: null,
  }));
}

export function stdoutOf(scenario: CapturedScenario, commandStart: string): string {
  const run = scenario.runs.find((r) => r.command.startsWith(commandStart));
  if (!run) {
    throw new Error(`no run starting with ${commandStart} in ${scenario.scenario}`);
  }
  return run.stdout;
}

export function run(command: string, stdout: string, extra: Partial<CommandRun> = {}): CommandRun {
  const status: RunStatus = extra.status ?? (extra.exitCode === undefined || extra.exitCode === 0 ? "ok" : "failed");
  return { id: extra.id ?? "c1", command, status, exitCode: 0, signal: null, stdout, stderr: "", durationMs: 10, truncated: false, reason: null, ...extra };
}

/** Gives runs ids c1, c2, … in order. */
export function numbered(runs: CommandRun[]): CommandRun[] {
  return runs.map((r, i) => ({ ...r, id: `c${i + 1}` }));
}

export function metric(namespace: string, name: string, dimensions: Record<string, string> = {}, extra: Partial<AlarmMetric> = {}): AlarmMetric {
  return {
    namespace,
    name,
    statistic: "Average",
    threshold: 80,
    comparison: "GreaterThanThreshold",
    dimensions,
    period: 300,
    evaluationPeriods: 1,
    queries: [],
    ...extra,
  };
}

export function alarm(name: string, m: AlarmMetric | null, extra: Partial<Alarm> = {}): Alarm {
  return makeAlarm({ name, metric: m, hostId: m?.dimensions.InstanceId ?? null, changedAt: "2026-11-25T03:12:45.148Z", source: "sns", messageId: "m-1", ...extra });
}

// ---- hand-made outputs (formats as the tools print them) -----------------------------------

export const SYSTEMCTL_STATUS_FAILED = `× nginx.service - A high performance web server and a reverse proxy server
     Loaded: loaded (/lib/systemd/system/nginx.service; enabled; preset: enabled)
     Active: failed (Result: exit-code) since Wed 2026-11-25 03:12:40 UTC; 5min ago
       Docs: man:nginx(8)
    Process: 1234 ExecStartPre=/usr/sbin/nginx -t -q -g daemon on; master_process on; (code=exited, status=1/FAILURE)
        CPU: 23ms

Nov 25 03:12:40 prod-web-01 systemd[1]: Starting nginx.service - A high performance web server and a reverse proxy server...
Nov 25 03:12:40 prod-web-01 nginx[1234]: nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)
Nov 25 03:12:40 prod-web-01 nginx[1234]: nginx: configuration file /etc/nginx/nginx.conf test failed
Nov 25 03:12:40 prod-web-01 systemd[1]: nginx.service: Control process exited, code=exited, status=1/FAILURE
Nov 25 03:12:40 prod-web-01 systemd[1]: nginx.service: Failed with result 'exit-code'.
Nov 25 03:12:40 prod-web-01 systemd[1]: Failed to start nginx.service - A high performance web server and a reverse proxy server.
`;

export const SYSTEMCTL_STATUS_RUNNING = `● nginx.service - A high performance web server and a reverse proxy server
     Loaded: loaded (/lib/systemd/system/nginx.service; enabled; preset: enabled)
     Active: active (running) since Tue 2026-11-24 10:00:01 UTC; 17h ago
       Docs: man:nginx(8)
    Process: 700 ExecStartPre=/usr/sbin/nginx -t -q -g daemon on; master_process on; (code=exited, status=0/SUCCESS)
   Main PID: 702 (nginx)
      Tasks: 3 (limit: 4557)
     Memory: 5.9M
        CPU: 1.204s
     CGroup: /system.slice/nginx.service
             ├─702 "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"
             └─703 "nginx: worker process"
`;

export const SYSTEMCTL_FAILED_LIST = `  UNIT                LOAD   ACTIVE SUB    DESCRIPTION
  nginx.service       loaded failed failed A high performance web server and a reverse proxy server
  postgresql@15-main.service loaded failed failed PostgreSQL Cluster 15-main

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.
2 loaded units listed.
`;

export const SYSTEMCTL_FAILED_NONE = `  UNIT LOAD ACTIVE SUB DESCRIPTION
0 loaded units listed.
`;

export const JOURNAL_NGINX = `Nov 25 03:12:38 prod-web-01 systemd[1]: Stopping nginx.service - A high performance web server and a reverse proxy server...
Nov 25 03:12:38 prod-web-01 systemd[1]: nginx.service: Deactivated successfully.
Nov 25 03:12:40 prod-web-01 nginx[1234]: nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)
Nov 25 03:12:40 prod-web-01 systemd[1]: nginx.service: Control process exited, code=exited, status=1/FAILURE
Nov 25 03:12:40 prod-web-01 systemd[1]: Failed to start nginx.service - A high performance web server and a reverse proxy server.
`;

/** Amazon Linux 2 (procps-ng 3.3.10): KiB units, no -w in older tops is fine with -b. */
export const TOP_AL2 = `top - 03:14:02 up 12 days,  4:01,  1 user,  load average: 7.92, 6.10, 3.05
Tasks: 121 total,   3 running, 118 sleeping,   0 stopped,   0 zombie
%Cpu(s): 96.9 us,  2.1 sy,  0.0 ni,  0.5 id,  0.0 wa,  0.0 hi,  0.1 si,  0.4 st
KiB Mem :  3981352 total,   171200 free,  3310052 used,   500100 buff/cache
KiB Swap:  2097148 total,  1050000 free,  1047148 used.   250112 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU %MEM     TIME+ COMMAND
 4242 app       20   0 5124016   2.6g  12100 R 196.0 68.4 812:41.07 java
  913 root      20   0  711432  41236  10240 S   2.0  1.0  12:01.50 amazon-cloudwatch-agent
    1 root      20   0  191020   4012   2604 S   0.0  0.1   1:02.11 systemd
`;

export const FREE_SWAPPING = `              total        used        free      shared  buff/cache   available
Mem:           3887        3612          80           2         194         121
Swap:          2047        1023        1024
`;

export const VMSTAT_SWAPPING = `procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----
 r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st
 9  3 1047148  81920   2100 196000   12   40   900   300  800 1500 60 20  5 15  0
 8  4 1049200  80100   2100 195000  420  910  4100  1200 1900 2600 55 25  2 18  0
 9  2 1051000  79000   2100 194000  380  860  3900  1100 1850 2500 58 24  1 17  0
`;

/** free from procps 3.3.9 era (CentOS 6 style): no "available" column. */
export const FREE_OLD = `             total       used       free     shared    buffers     cached
Mem:       3981352    3810052     171300        100      60000     300000
-/+ buffers/cache:    3450052     531300
Swap:      2097148          0    2097148
`;

export const DF_ROOT_FULL = `Filesystem      Size  Used Avail Use% Mounted on
/dev/nvme0n1p1   20G   19G  512M  98% /
devtmpfs        1.9G     0  1.9G   0% /dev
tmpfs           1.9G     0  1.9G   0% /dev/shm
/dev/nvme1n1    100G   62G   39G  62% /var/lib/postgresql
/dev/loop3       56M   56M     0 100% /snap/core18/2128
`;

export const DF_INODES_FULL = `Filesystem      Inodes   IUsed  IFree IUse% Mounted on
/dev/nvme0n1p1 1310720 1300100  10620   99% /
/dev/nvme1n1   6553600   12011 6541589    1% /var/lib/postgresql
`;

export const LSOF_DELETED = `COMMAND   PID     USER   FD   TYPE DEVICE   SIZE/OFF NLINK   NODE NAME
nginx    1021 www-data    5w   REG  259,1 5368709120     0 262201 /var/log/nginx/access.log.1 (deleted)
java     4242      app  112w   REG  259,1   20971520     0 262333 /var/log/app/gc.log.0 (deleted)
`;

export const SS_LISTEN_NETSTAT = `Active Internet connections (only servers)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      700/sshd
tcp6       0      0 :::8080                 :::*                    LISTEN      4242/java
`;

export const IP_LINK_DROPS = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    RX:  bytes packets errors dropped  missed   mcast
       7833269    1484      0       0       0       0
    TX:  bytes packets errors dropped carrier collsns
       7833269    1484      0       0       0       0
2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether 02:aa:bb:cc:dd:ee brd ff:ff:ff:ff:ff:ff
    RX:  bytes packets errors dropped  missed   mcast
    9876543210 8000000     12   95000       0       0
    TX:  bytes packets errors dropped carrier collsns
    1234567890 6000000      0       0       0       0
`;

export const PROC_NETSTAT_OVERFLOW = `TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPTimeouts
TcpExt: 0 0 0 3 0 0 0 0 0 0 1200 0 0 0 0 5000 1 20 1532 1532 77
IpExt: InNoRoutes InTruncatedPkts
IpExt: 0 0
`;

export const DMESG_DISK_ERRORS = `[Wed Nov 25 03:10:01 2026] nvme1n1: I/O error, dev nvme1n1, sector 123456 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 2
[Wed Nov 25 03:10:02 2026] EXT4-fs error (device nvme1n1): ext4_journal_check_start:83: comm postgres: Detected aborted journal
[Wed Nov 25 03:10:02 2026] EXT4-fs (nvme1n1): Remounting filesystem read-only
[Wed Nov 25 03:12:09 2026] INFO: task postgres:2211 blocked for more than 122 seconds.
`;

/** The top command the runbooks plan (the later of two frames), as the recordings carry it. */
export const TOP_COMMAND = "top -b -n 2 -d 1 -w 512 | awk '/^top -/{n++} n==2' | head -n 40";

/** The figures of a top frame's header that the CPU rules read. */
export interface TopHeader {
  load: string;
  tasks: string;
  cpu: string;
}

/** One `top -b` frame: its header (a busy 2-core host unless told otherwise) and these process rows. */
export function topFrame(rows: string[], header: Partial<TopHeader> = {}): string {
  const { load, tasks, cpu } = {
    load: "4.10, 3.20, 2.00",
    tasks: "212 total,   3 running, 209 sleeping,   0 stopped,   0 zombie",
    cpu: "97.0 us,  3.0 sy,  0.0 ni,  0.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st",
    ...header,
  };
  return [
    `top - 10:00:01 up 3 days,  2:00,  0 users,  load average: ${load}`,
    `Tasks: ${tasks}`,
    `%Cpu(s): ${cpu}`,
    "MiB Mem :  15900.0 total,  9000.0 free,  5000.0 used,   1900.0 buff/cache",
    "MiB Swap:      0.0 total,      0.0 free,      0.0 used.  10000.0 avail Mem",
    "",
    "    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND",
    ...rows,
  ].join("\n");
}

/** A process row of a top frame (owner `app`). */
export function topRow(pid: number, cpu: number, name: string, state = "R"): string {
  return `${String(pid).padStart(7)} app       20   0 2000000 300000  20000 ${state} ${cpu.toFixed(1).padStart(5)}   1.0   1:00.00 ${name}`;
}
