// The output parsers on real outputs captured on this machine (test/fixtures/outputs, re-capture
// with capture.ts) and on hand-made outputs of hosts this machine is not (systemd, Amazon Linux 2,
// a swapping host), plus the odd cases: empty, truncated, comma decimals, hostile names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { displayName, excerpt, sizeToBytes } from "../../../src/graph/runbooks/parse/common";
import { isNoiseMount, mountFor, parseDf, parseDu, parseDuCounts, parseFindSizes, parseIostat, parseLsofDeleted } from "../../../src/graph/runbooks/parse/disk";
import { parseBoots, parseChronyTracking, parseGetent, parseResolvConf, parseTimedatectl } from "../../../src/graph/runbooks/parse/host";
import { parseLinkStats, parseListeners, parseProcNetCounters, parseSocketSummary, parseSockets } from "../../../src/graph/runbooks/parse/network";
import { kernelFigures, parseOpenFileCounts, parseProcFiles } from "../../../src/graph/runbooks/parse/procfs";
import { journalErrorLines, kernelIssues, parseHungTasks, parseOomKills, parseSystemctlFailed, parseSystemctlStatus, systemdUnavailable } from "../../../src/graph/runbooks/parse/services";
import { freeUnit, parseFree, parseMpstat, parseNproc, parsePs, parseTop, parseTopFrames, parseUptime, parseVmstat } from "../../../src/graph/runbooks/parse/system";
import {
  DF_ROOT_FULL,
  DMESG_DISK_ERRORS,
  FREE_OLD,
  FREE_SWAPPING,
  IP_LINK_DROPS,
  JOURNAL_NGINX,
  LSOF_DELETED,
  PROC_NETSTAT_OVERFLOW,
  SS_LISTEN_NETSTAT,
  SYSTEMCTL_FAILED_LIST,
  SYSTEMCTL_FAILED_NONE,
  SYSTEMCTL_STATUS_FAILED,
  SYSTEMCTL_STATUS_RUNNING,
  TOP_AL2,
  VMSTAT_SWAPPING,
  loadScenario,
  stdoutOf,
} from "./support";

const cpu = loadScenario("cpu-burn");
const mem = loadScenario("mem-hog");
const disk = loadScenario("disk-full");
const dead = loadScenario("dead-port");
const live = loadScenario("service-up");
const idle = loadScenario("idle");

void describe("load and CPU parsers", () => {
  void it("reads load averages and uptime from uptime and from top's first line", () => {
    const load = parseUptime(stdoutOf(cpu, "uptime"));
    assert.ok(load);
    assert.ok(load.one > 0 && load.five > 0 && load.fifteen > 0);
    assert.ok(load.upSeconds !== null && load.upSeconds > 0);
    assert.deepEqual(parseUptime(" 10:01:02 up 3 days,  2:03,  2 users,  load average: 0.15, 0.10, 0.05")?.upSeconds, 3 * 86400 + 2 * 3600 + 3 * 60);
    assert.equal(parseUptime(" 10:01:02 up 17 min,  0 users,  load average: 1,50, 0,90, 0,40")?.one, 1.5, "comma-decimal locale");
    assert.equal(parseUptime(""), null);
    assert.equal(parseUptime("garbage\n"), null);
  });

  void it("reads the CPU count from nproc and refuses nonsense", () => {
    assert.equal(parseNproc(stdoutOf(cpu, "nproc")), 2);
    assert.equal(parseNproc("sh: 1: nproc: not found\n"), null);
    assert.equal(parseNproc(""), null);
  });

  void it("reads top's CPU breakdown, memory line and the task list with full command names", () => {
    const top = parseTop(stdoutOf(cpu, "top"));
    assert.ok(top?.cpu && top.table && top.memory);
    assert.ok(top.cpu.user !== null && top.cpu.idle !== null && top.cpu.steal !== null);
    assert.ok(top.memory.totalBytes > 20 * 1024 ** 3, "MiB Mem line of a 24 GiB machine");
    const burner = top.table.processes.find((p) => p.pid === cpu.facts.pid);
    assert.ok(burner, "the staged burner is in top's list");
    assert.equal(burner.name, "atl-burn-cpu", "-w 512 keeps the name whole");
    assert.ok(top.table.processes.every((p) => Number.isInteger(p.pid) && p.line.length > 0));
  });

  void it("reads Amazon Linux 2's top: KiB units, scaled RES (2.6g), multi-core %CPU", () => {
    const top = parseTop(TOP_AL2);
    assert.equal(top?.load?.one, 7.92);
    assert.equal(top?.load?.upSeconds, 12 * 86400 + 4 * 3600 + 60);
    assert.equal(top?.cpu?.steal, 0.4);
    assert.equal(top?.memory?.totalBytes, 3981352 * 1024);
    assert.equal(top?.memory?.availableBytes, 250112 * 1024);
    const java = top?.table?.processes[0];
    assert.equal(java?.name, "java");
    assert.equal(java?.cpu, 196);
    assert.equal(java?.rssBytes, Math.round(2.6 * 1024 ** 3));
  });

  void it("reads ps with any -o column order, multi-word commands, and etime or etimes", () => {
    const ps = parsePs(stdoutOf(cpu, "ps -eo"));
    assert.ok(ps);
    const burner = ps.processes.find((p) => p.name === "atl-burn-cpu");
    assert.ok(burner && burner.cpu !== null && burner.cpu > 0 && burner.rssBytes !== null && burner.elapsedSec !== null);
    const aux = parsePs(`USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
root           1  0.0  0.1 167724 11812 ?        Ss   Nov24   0:09 /sbin/init splash
app         4242 99.1 12.0 5124016 483000 ?      Rl   03:01  12:41 /usr/bin/java -Xmx2g -jar /srv/app.jar
`);
    assert.equal(aux?.processes[1]?.name, "java", "name from the argument list when there is no comm column");
    assert.equal(aux?.processes[1]?.cpu, 99.1);
    const etime = parsePs(`  PID ELAPSED CMD
  77 1-02:03:04 worker
`);
    assert.equal(etime?.processes[0]?.elapsedSec, 86400 + 2 * 3600 + 3 * 60 + 4);
    assert.equal(parsePs(""), null);
    assert.equal(parsePs("error: unsupported option\n"), null);
  });

  void it("reads mpstat per core and vmstat samples (leaving out the since-boot row)", () => {
    const mp = parseMpstat(stdoutOf(cpu, "mpstat"));
    assert.ok(mp?.all);
    assert.equal(mp.cores.length, 2);
    assert.ok(mp.cores.every((c) => c.idle !== null && c.line.includes(c.cpu)));
    const vm = parseVmstat(stdoutOf(cpu, "vmstat"));
    assert.ok(vm);
    assert.equal(vm.samples.length, 4, "5 rows, the first (since boot) left out");
    assert.ok(vm.average.r >= 0);
    const swapping = parseVmstat(VMSTAT_SWAPPING);
    assert.ok(swapping && swapping.average.si > 300 && swapping.average.so > 800);
    assert.equal(parseMpstat("sh: 1: mpstat: not found\n"), null);
  });
});

void describe("memory parsers", () => {
  void it("reads free -m (MiB) with available and swap", () => {
    const free = parseFree(stdoutOf(mem, "free"), freeUnit("free -m"));
    assert.ok(free);
    assert.equal(free.totalBytes, 24105 * 1024 ** 2);
    assert.ok(free.availableBytes > 0 && !free.availableEstimated);
    assert.equal(free.swapTotalBytes, 0);
    const swapping = parseFree(FREE_SWAPPING, freeUnit("free -m"));
    assert.equal(swapping?.availableBytes, 121 * 1024 ** 2);
    assert.equal(swapping?.swapUsedBytes, 1023 * 1024 ** 2);
  });

  void it("estimates available memory on an old free without the column, and knows its units", () => {
    const old = parseFree(FREE_OLD, freeUnit("free"));
    assert.ok(old?.availableEstimated);
    assert.equal(old?.availableBytes, (171300 + 60000 + 300000) * 1024);
    assert.equal(freeUnit("free -b"), 1);
    assert.equal(freeUnit("free -g"), 1024 ** 3);
    assert.equal(parseFree("Mem: garbage\n"), null);
  });

  void it("finds OOM kills (cgroup and global) and dedupes the oom-kill summary line", () => {
    const kills = parseOomKills(stdoutOf(mem, "dmesg"));
    assert.ok(kills.length >= 1);
    const staged = kills.find((k) => k.pid === mem.facts.oomPid);
    assert.ok(staged, "the staged cgroup OOM kill is found");
    assert.equal(staged.name, "atl-oom-victim");
    assert.equal(staged.cgroup, true);
    assert.ok(staged.when);
    const global = parseOomKills("[12345.6] Out of memory: Killed process 4242 (java) total-vm:5124016kB, anon-rss:3900000kB\n");
    assert.deepEqual(global.map((k) => [k.pid, k.name, k.cgroup]), [[4242, "java", false]]);
  });
});

void describe("disk parsers", () => {
  void it("reads df -hP and df -iP and finds the mount of a path", () => {
    const mounts = parseDf(stdoutOf(disk, "df -hP"));
    const staged = mounts.find((m) => m.mountedOn === disk.facts.mountPoint);
    assert.ok(staged && staged.usePercent !== null && staged.usePercent >= 90);
    assert.equal(mountFor(mounts, `${String(disk.facts.mountPoint)}/var/log`), staged);
    assert.equal(mountFor(mounts, "/etc")?.mountedOn, "/");
    const inodes = parseDf(stdoutOf(disk, "df -iP"));
    assert.ok(inodes.some((m) => m.mountedOn === disk.facts.mountPoint && m.usePercent === 1));
  });

  void it("joins df lines that wrap after a long device name and skips snaps", () => {
    const wrapped = parseDf(`Filesystem                                   1K-blocks    Used Available Use% Mounted on
/dev/mapper/very--long--volume--group-root
                                              20511312 19000000    500000  98% /
`);
    assert.equal(wrapped[0]?.mountedOn, "/");
    assert.equal(wrapped[0]?.usePercent, 98);
    const mounts = parseDf(DF_ROOT_FULL);
    assert.ok(isNoiseMount(mounts.find((m) => m.mountedOn.startsWith("/snap"))!));
    assert.ok(!isNoiseMount(mounts.find((m) => m.mountedOn === "/")!));
    assert.deepEqual(parseDf(""), []);
    const btrfs = parseDf("Filesystem Inodes IUsed IFree IUse% Mounted on\n/dev/sda1 0 0 0 - /data\n");
    assert.equal(btrfs[0]?.usePercent, null);
  });

  void it("reads du sizes with suffixes, find sizes and deleted-but-open files", () => {
    const du = parseDu(stdoutOf(disk, "du -xh"));
    const hot = du.find((e) => e.path.endsWith("/var/log/atl-app"));
    assert.ok(hot && hot.bytes >= 15 * 1024 * 1024);
    const files = parseFindSizes(stdoutOf(disk, "find"));
    assert.deepEqual(files.map((f) => f.path), [disk.facts.fillFile]);
    assert.equal(sizeToBytes("2.4G"), Math.round(2.4 * 1024 ** 3));
    assert.equal(sizeToBytes("488K"), 488 * 1024);
    assert.equal(sizeToBytes("23Gi"), 23 * 1024 ** 3);
    assert.equal(sizeToBytes("512", 1024), 512 * 1024);
    assert.equal(sizeToBytes("lots"), null);
    const deleted = parseLsofDeleted(LSOF_DELETED);
    assert.deepEqual(deleted.map((d) => [d.command, d.pid, d.sizeBytes]), [["nginx", 1021, 5368709120], ["java", 4242, 20971520]]);
    assert.deepEqual(parseLsofDeleted(stdoutOf(disk, "lsof")).filter((d) => d.name.startsWith("/memfd:")), [], "memfd entries are memory, not disk");
  });

  void it("reads iostat -x device utilisation from the last report", () => {
    const devices = parseIostat(stdoutOf(idle, "iostat"));
    assert.ok(devices.length >= 1);
    assert.ok(devices[0].utilPercent !== null && devices[0].writeAwaitMs !== null);
  });
});

void describe("service, log and kernel parsers", () => {
  void it("reads a failed and a running unit from systemctl status", () => {
    const failed = parseSystemctlStatus(SYSTEMCTL_STATUS_FAILED);
    assert.equal(failed?.unit, "nginx.service");
    assert.equal(failed?.state, "failed");
    assert.match(failed?.activeText ?? "", /Result: exit-code/);
    assert.equal(failed?.exitLines.length, 1);
    assert.ok(failed?.logLines.some((l) => l.includes("Address already in use")));
    const running = parseSystemctlStatus(SYSTEMCTL_STATUS_RUNNING);
    assert.equal(running?.state, "active");
    assert.equal(running?.mainPid, 702);
    assert.deepEqual(running?.exitLines, [], "a successful ExecStartPre is not an error");
  });

  void it("recognises a host without systemd (this machine) rather than calling the service dead", () => {
    const status = dead.runs.find((r) => r.command.startsWith("systemctl status"))!;
    assert.ok(systemdUnavailable(status.stderr));
    const journal = dead.runs.find((r) => r.command.startsWith("journalctl"))!;
    assert.ok(systemdUnavailable(journal.stderr));
    assert.ok(!systemdUnavailable(""));
  });

  void it("lists failed units with and without --plain bullets", () => {
    assert.deepEqual(parseSystemctlFailed(SYSTEMCTL_FAILED_LIST).map((u) => u.unit), ["nginx.service", "postgresql@15-main.service"]);
    assert.deepEqual(parseSystemctlFailed(SYSTEMCTL_FAILED_NONE), []);
    assert.deepEqual(parseSystemctlFailed("● foo.service loaded failed failed Foo\n").map((u) => u.unit), ["foo.service"]);
  });

  void it("keeps only the error lines of a journal", () => {
    const errors = journalErrorLines(JOURNAL_NGINX);
    assert.equal(errors.length, 3);
    assert.ok(errors.every((l) => !l.includes("Deactivated successfully")));
    assert.deepEqual(journalErrorLines("-- No entries --\n"), []);
  });

  void it("classifies notable kernel lines", () => {
    const kinds = kernelIssues(DMESG_DISK_ERRORS).map((k) => k.kind);
    assert.deepEqual(kinds, ["disk-io", "filesystem", "filesystem", "hung-task"]);
  });
});

void describe("network parsers", () => {
  void it("reads listeners from ss (with and without process info) and from netstat", () => {
    const up = parseListeners(stdoutOf(live, "ss -ltnup"));
    const svc = up.find((l) => l.port === live.facts.port);
    assert.ok(svc);
    assert.equal(svc.address, "127.0.0.1");
    assert.deepEqual(svc.processes, [{ name: "atl-fake-svc", pid: live.facts.pid }]);
    const down = parseListeners(stdoutOf(dead, "ss -ltnup"));
    assert.ok(!down.some((l) => l.port === dead.facts.port));
    const netstat = parseListeners(SS_LISTEN_NETSTAT);
    assert.deepEqual(netstat.map((l) => [l.port, l.processes[0]?.name]), [[22, "sshd"], [8080, "java"]]);
    assert.deepEqual(parseListeners("[::]:22 odd\n"), []);
  });

  void it("reads ss -s, ip -s link and /proc/net counters", () => {
    const summary = parseSocketSummary(stdoutOf(idle, "ss -s"));
    assert.ok(summary?.tcp && summary.tcp.estab >= 0);
    const links = parseLinkStats(IP_LINK_DROPS);
    const ens5 = links.find((l) => l.name === "ens5");
    assert.equal(ens5?.rx.dropped, 95000);
    assert.equal(ens5?.up, true);
    const real = parseLinkStats(stdoutOf(idle, "ip -s link"));
    assert.ok(real.some((l) => l.name === "lo" && l.rx.packets !== undefined));
    const counters = parseProcNetCounters(PROC_NETSTAT_OVERFLOW);
    assert.equal(counters.get("TcpExtListenOverflows")?.value, 1532);
    assert.equal(counters.get("IpExtInNoRoutes")?.value, 0);
    const captured = parseProcNetCounters(stdoutOf(idle, "cat /proc/net/netstat"));
    assert.ok(captured.has("TcpExtListenOverflows"));
    assert.ok(parseProcNetCounters(stdoutOf(idle, "cat /proc/net/snmp")).has("TcpRetransSegs"));
  });
});

void describe("text safety", () => {
  void it("keeps hostile names on one line without backticks", () => {
    assert.equal(displayName("evil`rm -rf /`\nnext"), "evil'rm -rf /'next");
    assert.equal(displayName("a".repeat(500)).length, 120);
    assert.equal(displayName(""), "?");
  });

  void it("quotes evidence lines as printed, bounded in count and length", () => {
    assert.equal(excerpt(["a  ", "", "b", "c"], 2), "a\nb");
    assert.equal(excerpt(["x".repeat(1000)]).length, 400);
  });
});

void describe("USE snapshot parsers", () => {
  void it("reads procfs figures: uptime, tasks against pid_max, file handles, pressure (and does without PSI)", () => {
    const text = [
      "/proc/uptime:5019.62 1325.34",
      "/proc/loadavg:23.83 24.69 23.10 30/443 12417",
      "/proc/sys/kernel/pid_max:32768",
      "/proc/sys/kernel/threads-max:192735",
      "/proc/sys/fs/file-nr:1905\t0\t9223372036854775807",
      "/proc/pressure/cpu:some avg10=99.81 avg60=99.64 avg300=99.39 total=3864182285",
      "/proc/pressure/io:some avg10=0.96 avg60=1.11 avg300=1.63 total=66829850",
      "/proc/pressure/io:full avg10=0.00 avg60=0.00 avg300=0.00 total=4681407",
    ].join("\n");
    const f = kernelFigures(parseProcFiles(text));
    assert.equal(f.uptimeSec?.value, 5019.62);
    assert.deepEqual([f.load?.running, f.load?.tasks, f.load?.one], [30, 443, 23.83]);
    assert.equal(f.pidMax?.value, 32768);
    assert.equal(f.fileHandles?.allocated, 1905);
    assert.equal(f.pressure.cpu?.some?.avg10, 99.81);
    assert.equal(f.pressure.io?.full?.avg300, 0);
    assert.equal(f.pressure.memory, undefined, "a kernel without that PSI file");
    assert.equal(kernelFigures(parseProcFiles("")).load, null);
  });

  void it("reads top's later frame (interval CPU, Tasks line with zombies) and every frame's D rows", () => {
    const two = `top - 10:00:00 up 1 day,  0 user,  load average: 1.00, 1.00, 1.00
Tasks: 100 total,   1 running,  99 sleeping,   0 stopped,   0 zombie
%Cpu(s):  1.0 us,  1.0 sy,  0.0 ni, 98.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
    1 root      20   0  100000   1000    500 S   0.0   0.1   0:01.00 init
top - 10:00:01 up 1 day,  0 user,  load average: 1.00, 1.00, 1.00
Tasks: 151 total,   2 running,  98 sleeping,   0 stopped,  51 zombie
%Cpu(s): 10.0 us,  5.0 sy,  0.0 ni, 60.0 id, 25.0 wa,  0.0 hi,  0.0 si,  0.0 st

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
  777 app       20   0  100000   9000    500 D  12.0   0.1   0:09.00 writer
`;
    const frames = parseTopFrames(two);
    assert.equal(frames.length, 2);
    const last = parseTop(two);
    assert.equal(last?.cpu?.iowait, 25, "the interval frame, not since boot");
    assert.equal(last?.tasks?.zombie, 51);
    assert.equal(last?.table?.processes[0]?.state, "D");
  });

  void it("reads ps with parents and thread counts", () => {
    const ps = "  PID  PPID USER     STAT ELAPSED NLWP %CPU %MEM   RSS COMMAND\n 4242     1 app      Ssl     3600   57  1.5  2.0 409600 java\n 4300  4242 app      Z          5    1  0.0  0.0     0 worker <defunct>\n";
    const table = parsePs(ps);
    assert.deepEqual(table?.processes.map((p) => [p.pid, p.ppid, p.threads, p.state]), [
      [4242, 1, 57, "Ssl"],
      [4300, 4242, 1, "Z"],
    ]);
  });

  void it("reads vmstat's block I/O and knows a lone since-boot row is not a current figure", () => {
    const vm = parseVmstat(VMSTAT_SWAPPING);
    assert.equal(vm?.interval, true);
    assert.equal(vm?.average.bo, (1200 + 1100) / 2);
    const once = parseVmstat("procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n 1  0      0 100  1 1    0    0     5     9  1 1 10 5 80 5  0\n");
    assert.equal(once?.interval, false);
  });

  void it("reads open descriptors per process, sockets with both ends and processes, and listen queues", () => {
    assert.deepEqual(parseOpenFileCounts("   5012 /proc/4242/fd\n    305 /proc/1/fd\ngarbage\n").map((c) => [c.pid, c.count]), [
      [4242, 5012],
      [1, 305],
    ]);
    const ss = `State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
LISTEN 0      511        127.0.0.1:32619      0.0.0.0:*     users:(("api",pid=7250,fd=20))
ESTAB  0      0          127.0.0.1:32619  127.4.5.6:41000 users:(("api",pid=7250,fd=21))
ESTAB  0      0          127.4.5.6:41000  127.0.0.1:32619 users:(("client",pid=7270,fd=30))
TIME-WAIT 0   0      [::ffff:10.0.0.5]:443 [::ffff:10.0.0.9]:5555
`;
    const sockets = parseSockets(ss);
    assert.equal(sockets.length, 4);
    assert.deepEqual(sockets[2].processes, [{ name: "client", pid: 7270 }]);
    assert.deepEqual([sockets[3].state, sockets[3].local.address, sockets[3].peer?.port], ["TIME-WAIT", "10.0.0.5", 5555]);
    const listeners = parseListeners("Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\ntcp   LISTEN 129    128        0.0.0.0:8080       0.0.0.0:*    users:((\"java\",pid=4242,fd=9))\n");
    assert.deepEqual([listeners[0].recvQ, listeners[0].sendQ, listeners[0].processes[0]?.name], [129, 128, "java"]);
  });

  void it("reads du --inodes counts and kernel hung tasks with their raw timestamps", () => {
    assert.deepEqual(parseDuCounts("3993\t/srv/x/sessions/rqwb\n3997\t/srv/x\n").map((e) => [e.path, e.bytes]), [
      ["/srv/x/sessions/rqwb", 3993],
      ["/srv/x", 3997],
    ]);
    const hung = parseHungTasks("[ 5012.123456] INFO: task stock-apij:23905 blocked for more than 122 seconds.\n");
    assert.deepEqual([hung[0]?.name, hung[0]?.pid, hung[0]?.atSec], ["stock-apij", 23905, 5012.123456]);
    assert.equal(parseOomKills("[  895.982882] Memory cgroup out of memory: Killed process 12081 (atl-oom-victim) total-vm:844248kB")[0]?.atSec, 895.982882);
    assert.equal(kernelIssues("[  1.0] Call Trace:\n").length, 0, "a call trace alone (OOM, hung task) is not a kernel bug");
  });

  void it("reads the clock (timedatectl, chrony), the resolver, a lookup and the boot list", () => {
    const clock = parseTimedatectl(`               Local time: Wed 2026-11-25 03:15:00 UTC
System clock synchronized: no
              NTP service: inactive
          RTC in local TZ: no
`);
    assert.deepEqual([clock?.synchronized, clock?.ntpService], [false, "inactive"]);
    const chrony = parseChronyTracking(`Reference ID    : A9FEA97B (169.254.169.123)
System time     : 2.500000000 seconds slow of NTP time
Leap status     : Normal
`);
    assert.equal(chrony?.offsetSec, -2.5);
    const resolv = parseResolvConf("# generated\nsearch ec2.internal\nnameserver 169.254.169.253\nnameserver 10.0.0.2\n");
    assert.deepEqual(resolv.nameservers.map((n) => n.address), ["169.254.169.253", "10.0.0.2"]);
    assert.deepEqual(parseGetent("52.94.236.248   STREAM sts.amazonaws.com\n52.94.236.248   DGRAM\n", "sts.amazonaws.com").addresses, ["52.94.236.248"]);
    assert.deepEqual(parseGetent("", "x").addresses, []);
    const boots = parseBoots(" -1 9f1a2b3c4d5e6f708192a3b4c5d6e7f8 Mon 2026-11-23 08:00:01 UTC—Tue 2026-11-24 22:10:44 UTC\n  0 0a1b2c3d4e5f60718293a4b5c6d7e8f9 Tue 2026-11-24 22:11:30 UTC—Wed 2026-11-25 03:15:00 UTC\n");
    assert.deepEqual(boots.map((b) => b.offset), [-1, 0]);
  });
});
