// Culprit rules on hand-made outputs of hosts other than the evaluation's: the parent of a pile of
// zombies (and not of a handful), a service that runs under another program name than the one
// asked about (not "down"), and the calibration around them — a healthy host and an unrelated
// busy process are never named.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeRuns } from "../../../src/graph/runbooks/index";
import { PS_COLUMNS, resourceCommands } from "../../../src/graph/runbooks/catalog";
import { numbered, run, TOP_COMMAND, topFrame, topRow } from "./support";

const PS = `ps -eo ${PS_COLUMNS} --sort=-pcpu | head -n 3000`;
const HEADER = "    PID    PPID USER     STAT ELAPSED NLWP %CPU %MEM   RSS COMMAND";

function row(pid: number, ppid: number, user: string, stat: string, etimes: number, cpu: number, rss: number, comm: string): string {
  return `${String(pid).padStart(7)} ${String(ppid).padStart(7)} ${user.padEnd(8)} ${stat.padEnd(4)} ${String(etimes).padStart(7)}    1 ${cpu.toFixed(1).padStart(4)}  0.1 ${String(rss).padStart(5)} ${comm}`;
}

/** A small host: systemd, sshd, a busy java, and whatever `extra` adds. */
function psOutput(extra: string[]): string {
  return [
    HEADER,
    row(4410, 1, "app", "Sl", 86000, 93.5, 812000, "java"),
    row(1, 0, "root", "Ss", 900000, 0.0, 11000, "systemd"),
    row(612, 1, "root", "Ss", 900000, 0.0, 7000, "sshd"),
    ...extra,
  ].join("\n");
}

function zombies(parent: number, count: number, firstPid: number): string[] {
  return Array.from({ length: count }, (_, i) => row(firstPid + i, parent, "app", "Z", 300 - i, 0, 0, "report-gen"));
}

void describe("zombies: the parent, and only for a pile", () => {
  void it("names the parent holding a dozen zombies, with its pid", () => {
    const ps = psOutput([row(2200, 1, "app", "S", 7200, 0.3, 40000, "cron-runner"), ...zombies(2200, 12, 3000)]);
    const analysis = analyzeRuns(numbered([run(PS, ps)]), { alarm: null, question: "there are defunct processes everywhere" });
    assert.deepEqual([analysis.culprit?.kind, analysis.culprit?.name, analysis.culprit?.pid], ["parent", "cron-runner", 2200], analysis.summary);
    assert.match(analysis.summary, /`cron-runner` \(pid 2200\)/);
    assert.doesNotMatch(analysis.summary, /java/, "the busy process is not the answer");
  });

  void it("a handful of zombies names no parent and no process in the summary", () => {
    const ps = psOutput([row(2200, 1, "app", "S", 7200, 0.3, 40000, "cron-runner"), ...zombies(2200, 6, 3000)]);
    const analysis = analyzeRuns(numbered([run(PS, ps)]), { alarm: null, question: "좀비 프로세스가 있어요" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.doesNotMatch(analysis.summary, /`|pid \d/, analysis.summary);
    assert.ok(analysis.findings.some((f) => f.resource === "zombies" && f.title.includes("cron-runner")), "the finding still says who holds them");
  });

  void it("no zombies at all: no evidence, and the busy java is not named", () => {
    const analysis = analyzeRuns(numbered([run(PS, psOutput([]))]), { alarm: null, question: "zombie processes are piling up" });
    assert.equal(analysis.culprit, null);
    assert.match(analysis.summary, /^No evidence of zombie processes/, analysis.summary);
    assert.doesNotMatch(analysis.summary, /java/);
  });
});

const STATUS_ACTIVE_OTHER_NAME = `● billing-sync.service - billing sync
     Loaded: loaded (/etc/systemd/system/billing-sync.service; enabled; preset: enabled)
     Active: active (running) since Sun 2026-12-06 21:02:11 UTC; 3h 10min ago
   Main PID: 5120 (python3)
      Tasks: 4 (limit: 9304)
     CGroup: /system.slice/billing-sync.service
             └─5120 /usr/bin/python3 /opt/billing/sync.py
`;

void describe("a service that runs under another name is not down", () => {
  const psBilling = psOutput([row(5120, 1, "billing", "Sl", 11400, 2.0, 90000, "python3"), row(5188, 1, "billing", "S", 11000, 0.1, 30000, "billing-api")]);

  void it("an active unit whose main process has another name: running, no culprit", () => {
    const runs = numbered([
      run(PS, psBilling),
      run("systemctl status billing-sync --no-pager -l -n 20", STATUS_ACTIVE_OTHER_NAME),
      run(`ps -C billing-sync -o ${PS_COLUMNS}`, HEADER, { exitCode: 1 }),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "billing-sync.service keeps dying" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.doesNotMatch(analysis.summary, /not running/, analysis.summary);
    assert.ok(analysis.findings.some((f) => f.title.includes("`python3` (pid 5120) runs")), analysis.findings.map((f) => f.title).join("\n"));
  });

  void it("a family name ('the billing service') with billing-* processes running is not a missing service", () => {
    const runs = numbered([
      run(PS, psBilling),
      run("systemctl status billing --no-pager -l -n 20", "", { exitCode: 4, stderr: "Unit billing.service could not be found." }),
      run(`ps -C billing -o ${PS_COLUMNS}`, HEADER, { exitCode: 1 }),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "billing service is down after the deploy" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.doesNotMatch(analysis.summary, /`billing`/, analysis.summary);
  });

  void it("nothing of that name runs: the service is named as not running", () => {
    const runs = numbered([
      run(PS, psOutput([])),
      run("systemctl status billing --no-pager -l -n 20", "", { exitCode: 4, stderr: "Unit billing.service could not be found." }),
      run(`ps -C billing -o ${PS_COLUMNS}`, HEADER, { exitCode: 1 }),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "billing service is down after the deploy" });
    assert.deepEqual([analysis.culprit?.resource, analysis.culprit?.name], ["services", "billing"], analysis.summary);
    assert.match(analysis.summary, /`billing` is not running/);
  });
});

const SS_NO_DNS = `Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
udp   UNCONN 0      0          127.0.0.1:323        0.0.0.0:*    users:(("chronyd",pid=611,fd=5))
tcp   LISTEN 0      4096         0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=702,fd=3))
tcp   LISTEN 0      511          0.0.0.0:443        0.0.0.0:*    users:(("nginx",pid=880,fd=6))
`;

const SS_STUB = `Netid State  Recv-Q Send-Q    Local Address:Port  Peer Address:PortProcess
udp   UNCONN 0      0         127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=540,fd=13))
tcp   LISTEN 0      4096      127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=540,fd=14))
tcp   LISTEN 0      4096            0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=702,fd=3))
`;

void describe("DNS: a local resolver that is gone", () => {
  const lookup = (ms: number): ReturnType<typeof run> =>
    run("getent ahosts billing-db.corp.internal", "", { exitCode: 2, status: "failed", durationMs: ms });

  void it("a loopback nameserver nothing listens for is named, though the lookup failed at once", () => {
    const runs = numbered([run("cat /etc/resolv.conf", "# dnsmasq\nnameserver 127.0.0.1\nsearch corp.internal\n"), lookup(4), run("ss -ltnup", SS_NO_DNS)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "can't resolve billing-db.corp.internal" });
    assert.deepEqual([analysis.culprit?.resource, analysis.culprit?.name], ["dns", "127.0.0.1"], analysis.summary);
    assert.match(analysis.summary, /nothing listens on port 53/);
  });

  void it("the systemd-resolved stub listening on 127.0.0.53: a quick failure is an answer, nobody is named", () => {
    const runs = numbered([run("cat /etc/resolv.conf", "nameserver 127.0.0.53\noptions edns0 trust-ad\n"), lookup(6), run("ss -ltnup", SS_STUB)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "can't resolve billing-db.corp.internal" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.doesNotMatch(analysis.summary, /`/);
  });

  void it("a remote nameserver is never judged by this host's listeners", () => {
    const runs = numbered([run("cat /etc/resolv.conf", "nameserver 10.0.0.2\n"), lookup(5), run("ss -ltnup", SS_NO_DNS)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "DNS 조회가 안 돼요" });
    assert.equal(analysis.culprit, null, analysis.summary);
  });
});

void describe("CPU: a share of a saturated host is not the cause", () => {
  const top = (rows: string[]): string =>
    topFrame(rows, { load: "17.90, 16.20, 15.00", tasks: "412 total,  19 running, 393 sleeping,   0 stopped,   0 zombie", cpu: "88.0 us, 11.0 sy,  0.0 ni,  1.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st" });

  void it("on 8 busy cores, one process at 95 % among many is not named", () => {
    const runs = numbered([run("nproc", "8\n"), run(TOP_COMMAND, top([topRow(9001, 95, "webpack"), topRow(9002, 70, "node"), topRow(9003, 66, "node"), topRow(9004, 60, "java"), topRow(9005, 58, "python3")]))]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "what is eating the cpu?" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.match(analysis.summary, /shared by several processes/, analysis.summary);
  });

  void it("on the same host, one process taking most of the CPU in use is named", () => {
    const runs = numbered([run("nproc", "8\n"), run(TOP_COMMAND, top([topRow(9001, 640, "ffmpeg"), topRow(9002, 40, "node")]))]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "what is eating the cpu?" });
    assert.deepEqual([analysis.culprit?.name, analysis.culprit?.pid], ["ffmpeg", 9001], analysis.summary);
  });
});

void describe("a question that says the CPU is idle is not answered by a CPU consumer", () => {
  const frame = (busy: number, rows: string[]): string =>
    topFrame(rows, {
      load: "9.10, 8.20, 7.00",
      tasks: "312 total,   9 running, 303 sleeping,   0 stopped,   0 zombie",
      cpu: `${(busy - 5).toFixed(1)} us,  5.0 sy,  0.0 ni, ${(100 - busy).toFixed(1)} id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st`,
    });

  for (const question of ["load average is high but the cpu is idle?", "로드는 높은데 CPU는 놀고 있어요", "부하는 높은데 CPU 사용률은 낮아요"]) {
    void it(`the host turns out busy: no consumer named (${question})`, () => {
      const runs = numbered([run("nproc", "2\n"), run(TOP_COMMAND, frame(100, [topRow(8963, 88, "chromium", "S"), topRow(9002, 30, "node", "R"), topRow(9003, 22, "esbuild", "R")]))]);
      const analysis = analyzeRuns(runs, { alarm: null, question });
      assert.equal(analysis.culprit, null, analysis.summary);
      assert.doesNotMatch(analysis.summary, /chromium/, analysis.summary);
    });
  }

  void it("the task blocked in D is the answer", () => {
    const runs = numbered([run("nproc", "2\n"), run(TOP_COMMAND, frame(20, [topRow(7100, 0, "backup-agent", "D"), topRow(8963, 15, "chromium", "S")]))]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "load average is high but the cpu is idle?" });
    assert.deepEqual([analysis.culprit?.name, analysis.culprit?.pid], ["backup-agent", 7100], analysis.summary);
  });
});

void describe("open files seen by an unprivileged agent", () => {
  const fdCommand = resourceCommands("file-descriptors", {})[0].command;
  const procFiles = `grep -H . /proc/uptime /proc/loadavg /proc/sys/kernel/pid_max /proc/sys/kernel/threads-max /proc/sys/fs/file-nr /proc/pressure/cpu /proc/pressure/memory /proc/pressure/io`;
  const ps = [
    HEADER,
    row(1, 0, "root", "Ss", 900000, 0.0, 11000, "systemd"),
    row(4410, 1, "app", "Sl", 86000, 3.5, 812000, "java"),
    row(4411, 1, "app", "Sl", 86000, 1.5, 212000, "ledger-sync"),
    row(612, 1, "root", "Ss", 900000, 0.0, 7000, "sshd"),
    row(700, 1, "root", "Ss", 900000, 0.0, 9000, "cron"),
    row(5100, 1, "nobody", "Sl", 600, 0.4, 60000, "atl-agent"),
  ].join("\n");

  void it("says the per-process counts cover only the agent's own user, and names nobody", () => {
    const runs = numbered([
      run(procFiles, "/proc/uptime:90000.00 170000.00\n/proc/sys/fs/file-nr:9216\t0\t9223372036854775807\n"),
      run(PS, ps),
      run(fdCommand, "     38 /proc/5100/fd\n"),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "too many open files errors in the app log" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.match(analysis.summary, /counted only for 1 process of `nobody`/, analysis.summary);
    assert.match(analysis.summary, /holding about 9178 of the file handles/, analysis.summary);
    assert.ok(analysis.nextSteps.some((s) => /sudo find \/proc/.test(s)), analysis.nextSteps.join("\n"));
  });

  void it("a root agent that sees every process says nothing of the kind", () => {
    const runs = numbered([run(PS, ps), run(fdCommand, "     38 /proc/5100/fd\n     35 /proc/4410/fd\n     20 /proc/1/fd\n     12 /proc/612/fd\n")]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "too many open files errors in the app log" });
    assert.doesNotMatch(analysis.summary, /counted only/, analysis.summary);
  });
});
