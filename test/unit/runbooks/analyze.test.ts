// The offline analysis: on real outputs captured while a fault was staged on this machine, the
// summary names the culprit; on hand-made outputs of other hosts (systemd, Amazon Linux 2, a
// swapping box, a dying disk) it finds what an on-call engineer would; every piece of evidence is
// quoted verbatim from the output it cites; missing tools, refusals and empty output never break it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MarkdownAnalysis as Analysis, CommandRun } from "../../../src/graph/diagnosis";
import { analyzeRuns } from "../../../src/graph/runbooks/index";
import {
  DF_INODES_FULL,
  DF_ROOT_FULL,
  DMESG_DISK_ERRORS,
  FREE_SWAPPING,
  IP_LINK_DROPS,
  JOURNAL_NGINX,
  LSOF_DELETED,
  PROC_NETSTAT_OVERFLOW,
  SYSTEMCTL_FAILED_LIST,
  SYSTEMCTL_STATUS_FAILED,
  SYSTEMCTL_STATUS_RUNNING,
  TOP_AL2,
  VMSTAT_SWAPPING,
  alarm,
  loadScenario,
  metric,
  numbered,
  run,
  runsOf,
} from "./support";

/** Every evidence excerpt cites a run by id and command, and each quoted line is in its output. */
function assertVerbatim(analysis: Analysis, runs: CommandRun[]): void {
  for (const finding of analysis.findings) {
    assert.ok(finding.title.length > 0 && !finding.title.includes("\n"), `one-line title: ${finding.title}`);
    for (const ev of finding.evidence) {
      const source = runs.find((r) => r.id === ev.commandId);
      assert.ok(source, `evidence cites unknown run ${ev.commandId}`);
      assert.equal(ev.command, source.command);
      for (const line of ev.excerpt.split("\n")) {
        assert.ok(source.stdout.includes(line) || source.stderr.includes(line), `"${line}" is not in the output of ${source.command}`);
      }
    }
  }
}

function titles(analysis: Analysis): string {
  return analysis.findings.map((f) => `[${f.severity}] ${f.title}`).join("\n");
}

void describe("analysis of real staged faults (captured on this machine)", () => {
  void it("CPU burner: names atl-burn-cpu with its pid, CPU share and the load per core", () => {
    const scenario = loadScenario("cpu-burn");
    const runs = runsOf(scenario);
    const analysis = analyzeRuns(runs, { alarm: alarm("prod-web-01-cpu-high", metric("AWS/EC2", "CPUUtilization", { InstanceId: "i-1" })), question: null });
    assert.match(analysis.summary, new RegExp(`\`atl-burn-cpu\` \\(pid ${scenario.facts.pid}\\) uses \\d+(\\.\\d)?% CPU`), analysis.summary);
    assert.match(analysis.summary, /load \d+\.\d per core/);
    assert.ok(["medium", "high", "critical"].includes(analysis.severity), analysis.severity);
    const busiest = analysis.findings.find((f) => f.title.includes("atl-burn-cpu"));
    assert.ok(busiest, titles(analysis));
    assert.ok(busiest.evidence.some((e) => e.excerpt.includes("atl-burn-cpu")));
    assert.ok(analysis.nextSteps.some((s) => s.includes(`-p ${scenario.facts.pid}`)));
    assert.equal(analysis.source, "runbook");
    assertVerbatim(analysis, runs);
  });

  void it("memory hog: names atl-mem-hog by RSS; an OOM kill of unknown age is reported, not blamed", () => {
    const scenario = loadScenario("mem-hog");
    const runs = runsOf(scenario);
    const analysis = analyzeRuns(runs, { alarm: alarm("mem", metric("CWAgent", "mem_used_percent")), question: null });
    assert.match(analysis.summary, new RegExp(`\`atl-mem-hog\` \\(pid ${scenario.facts.pid}\\) holds 2\\.0 GiB`), analysis.summary);
    assert.match(analysis.summary, /available/);
    assert.deepEqual([analysis.culprit?.name, analysis.culprit?.pid, analysis.culprit?.resource], ["atl-mem-hog", scenario.facts.pid, "memory"]);
    // dmesg -T gives wall-clock times the analysis cannot age against the uptime: not today's culprit.
    const oom = analysis.findings.find((f) => f.title.includes("OOM killer"));
    assert.ok(oom, titles(analysis));
    assert.match(oom.detail, /memory cgroup/);
    assert.equal(oom.culprit, undefined);
    assert.doesNotMatch(analysis.summary, /atl-oom-victim/);
    assertVerbatim(analysis, runs);
  });

  void it("nearly full filesystem: names the mount, the directory and the file that fill it", () => {
    const scenario = loadScenario("disk-full");
    const runs = runsOf(scenario);
    const mount = String(scenario.facts.mountPoint);
    const analysis = analyzeRuns(runs, { alarm: alarm("disk", metric("CWAgent", "disk_used_percent", { path: mount })), question: null });
    assert.ok(analysis.summary.startsWith(`${mount} is 9`), analysis.summary);
    assert.ok(analysis.summary.includes(`${mount}/var/log/atl-app`), analysis.summary);
    assert.ok(analysis.summary.includes("atl-fill.log"), analysis.summary);
    assert.equal(analysis.severity, "critical");
    assert.ok(analysis.findings.some((f) => f.title.startsWith("Inodes are not the problem")), "inode exhaustion ruled out");
    assert.ok(analysis.nextSteps.some((s) => s.includes("atl-app")));
    assertVerbatim(analysis, runs);
  });

  void it("crashed service: not running, nothing on its port, and no systemd to ask (said, not guessed)", () => {
    const scenario = loadScenario("dead-port");
    const runs = runsOf(scenario);
    const analysis = analyzeRuns(runs, { alarm: null, question: `atl-fake-svc 서비스가 포트 ${scenario.facts.port}에서 응답하지 않아요` });
    assert.equal(analysis.summary, `\`atl-fake-svc\` is not running and nothing listens on port ${scenario.facts.port}.`);
    assert.equal(analysis.severity, "high");
    assert.ok(analysis.findings.some((f) => f.title === "systemd is not running on this host" && f.severity === "info"));
    assert.ok(!analysis.findings.some((f) => /failed|inactive/.test(f.title)), "no systemd is not a dead unit");
    assertVerbatim(analysis, runs);
  });

  void it("running service: finds its pid behind the port instead of blaming it", () => {
    const scenario = loadScenario("service-up");
    const runs = runsOf(scenario);
    const analysis = analyzeRuns(runs, { alarm: null, question: `is atl-fake-svc on port ${scenario.facts.port} ok?` });
    const port = analysis.findings.find((f) => f.title.startsWith(`Port ${scenario.facts.port} is open`));
    assert.ok(port, titles(analysis));
    assert.match(port.title, new RegExp(`atl-fake-svc\`, pid ${scenario.facts.pid}`));
    assert.ok(!analysis.findings.some((f) => f.title.startsWith("Nothing listens")));
    assert.ok(!analysis.summary.includes("not running"));
    assertVerbatim(analysis, runs);
  });

  void it("unprivileged user: says the kernel log was closed instead of reporting no OOM kills", () => {
    const scenario = loadScenario("unprivileged");
    const runs = runsOf(scenario);
    const analysis = analyzeRuns(runs, { alarm: null, question: "memory and disk" });
    const gaps = analysis.findings.find((f) => /gave no data/.test(f.title));
    assert.ok(gaps, titles(analysis));
    assert.match(gaps.detail, /dmesg_restrict/);
    assert.ok(gaps.evidence.some((e) => e.excerpt.includes("Operation not permitted")));
    assertVerbatim(analysis, runs);
  });

  void it("every captured scenario yields verbatim evidence and a one-paragraph summary", () => {
    for (const name of ["cpu-burn", "mem-hog", "disk-full", "dead-port", "service-up", "idle", "unprivileged"]) {
      const runs = runsOf(loadScenario(name));
      const analysis = analyzeRuns(runs, { alarm: null, question: null });
      assert.ok(analysis.summary.length > 20 && !analysis.summary.includes("\n"), `${name}: ${analysis.summary}`);
      assert.ok(analysis.findings.length > 0, name);
      assertVerbatim(analysis, runs);
    }
  });
});

void describe("analysis of other hosts (hand-made outputs)", () => {
  void it("a failed systemd unit: state, exit status, the error from its journal, and how to read more", () => {
    const runs = numbered([
      run("systemctl status nginx --no-pager -l -n 20", SYSTEMCTL_STATUS_FAILED, { exitCode: 3, status: "failed" }),
      run("journalctl -u nginx --no-pager -n 100", JOURNAL_NGINX),
      run("ps -C nginx -o pid,ppid,user,pcpu,pmem,rss,etimes,stat,comm", "  PID  PPID USER     %CPU %MEM   RSS ELAPSED STAT COMMAND\n", { exitCode: 1, status: "failed" }),
      run("systemctl --failed --no-pager --plain", SYSTEMCTL_FAILED_LIST),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "nginx 서비스가 죽었어요" });
    assert.match(analysis.summary, /`nginx.service` is failed/);
    assert.match(analysis.summary, /`nginx` is not running/);
    assert.equal(analysis.severity, "high");
    const failed = analysis.findings.find((f) => f.title.startsWith("`nginx.service` is failed"));
    assert.ok(failed?.evidence[0]?.excerpt.includes("Active: failed (Result: exit-code)"));
    assert.ok(failed?.evidence[0]?.excerpt.includes("Address already in use"));
    assert.ok(analysis.findings.some((f) => f.title.startsWith("2 failed units")));
    assert.ok(analysis.findings.some((f) => /error lines? in the log of `nginx`/.test(f.title)));
    assert.ok(analysis.nextSteps.some((s) => s.includes("journalctl -u nginx")));
    assertVerbatim(analysis, runs);
  });

  void it("a healthy unit is reported as such", () => {
    const runs = numbered([run("systemctl status nginx --no-pager -l -n 20", SYSTEMCTL_STATUS_RUNNING)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "check nginx service" });
    assert.equal(analysis.severity, "info");
    assert.match(analysis.findings[0]?.title ?? "", /`nginx.service` is active \(running\), main PID 702/);
  });

  void it("Amazon Linux 2 under memory pressure: java at 196% CPU, 3% memory available, active swapping", () => {
    const runs = numbered([run("top -b -n 1 -w 512 | head -n 30", TOP_AL2), run("free -m", FREE_SWAPPING), run("vmstat 1 5", VMSTAT_SWAPPING), run("nproc", "2\n")]);
    const analysis = analyzeRuns(runs, { alarm: alarm("mem", metric("CWAgent", "mem_used_percent")), question: null });
    assert.equal(analysis.severity, "critical");
    assert.match(analysis.summary, /`java` \(pid 4242\) holds 2\.6 GiB/);
    assert.ok(analysis.findings.some((f) => f.title.startsWith("The host is swapping") && f.severity === "high"));
    assert.ok(analysis.findings.some((f) => f.title.startsWith("121 MiB of 3.8 GiB memory available") && f.severity === "critical"));
    assert.ok(analysis.findings.some((f) => f.title === "`java` (pid 4242) uses 196% CPU" && f.severity === "high"));
    assertVerbatim(analysis, runs);
  });

  void it("root filesystem full, inodes exhausted, and a deleted 5 GiB log still held by nginx", () => {
    const runs = numbered([run("df -hP", DF_ROOT_FULL), run("df -iP", DF_INODES_FULL), run("lsof -nP +L1 2>/dev/null | head -n 20", LSOF_DELETED)]);
    const analysis = analyzeRuns(runs, { alarm: alarm("root disk", metric("CWAgent", "disk_used_percent", { path: "/" })), question: null });
    assert.equal(analysis.severity, "critical");
    assert.ok(analysis.summary.startsWith("/ is 98% full (512M free of 20G)"), analysis.summary);
    assert.ok(analysis.findings.some((f) => f.title === "/ has used 99% of its inodes" && f.severity === "critical"));
    assert.ok(analysis.findings.some((f) => f.title.startsWith("Deleted files still held open: 5.0 GiB, most by `nginx` (pid 1021)")));
    assert.ok(!analysis.findings.some((f) => f.title.includes("/snap")), "a full snap is not a problem");
    assertVerbatim(analysis, runs);
  });

  void it("a dying disk in the kernel log makes a status-check alarm high", () => {
    const runs = numbered([run("dmesg -T | tail -n 40", DMESG_DISK_ERRORS), run("uptime", " 03:15:00 up 40 days,  3:01,  0 users,  load average: 0.20, 0.31, 0.30\n")]);
    const analysis = analyzeRuns(runs, { alarm: alarm("sc", metric("AWS/EC2", "StatusCheckFailed_Instance")), question: null });
    assert.equal(analysis.severity, "high");
    assert.match(analysis.summary, /file system errors|disk I\/O errors/);
    assert.ok(analysis.findings.some((f) => f.title.startsWith("Tasks hung")));
    assertVerbatim(analysis, runs);
  });

  void it("network: interface drops and full accept queues", () => {
    const runs = numbered([run("ip -s link", IP_LINK_DROPS), run("cat /proc/net/netstat", PROC_NETSTAT_OVERFLOW)]);
    const analysis = analyzeRuns(runs, { alarm: alarm("net", metric("AWS/EC2", "NetworkPacketsIn")), question: null });
    assert.ok(analysis.findings.some((f) => f.title.startsWith("ens5: 95012 receive")), titles(analysis));
    assert.ok(analysis.findings.some((f) => f.title.startsWith("The kernel dropped 1532 incoming connections")));
    assert.ok(!analysis.findings.some((f) => f.title.startsWith("lo:")), "loopback is ignored");
    assertVerbatim(analysis, runs);
  });
});

void describe("analysis when outputs are missing or odd", () => {
  void it("no runs, or only refused and skipped ones: says there is nothing to conclude", () => {
    assert.match(analyzeRuns([], { alarm: null, question: null }).summary, /No commands ran/);
    const runs = numbered([
      run("rm -rf /var/log", "", { status: "refused", exitCode: null, reason: "rm deletes files" }),
      run("uptime", "", { status: "skipped", exitCode: null }),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: null });
    assert.match(analysis.summary, /No command gave usable output/);
    assert.equal(analysis.severity, "info");
    assert.match(analysis.findings[0]?.detail ?? "", /refused by the command policy: rm deletes files/);
  });

  void it("a missing tool (mpstat without sysstat) is a note, and the rest still names the culprit", () => {
    const scenario = loadScenario("cpu-burn");
    const runs = runsOf(scenario).map((r) => (r.command.startsWith("mpstat") ? { ...r, status: "failed" as const, exitCode: 127, stdout: "", stderr: "atl-agent: mpstat: command not found\n" } : r));
    const analysis = analyzeRuns(runs, { alarm: null, question: "cpu" });
    assert.match(analysis.summary, /atl-burn-cpu/);
    const gap = analysis.findings.find((f) => /gave no data/.test(f.title));
    assert.match(gap?.detail ?? "", /mpstat is not installed on the host \(package sysstat\)/);
    assert.ok(analysis.nextSteps.some((s) => s.includes("sysstat")));
    const sshStyle = numbered([run("mpstat -P ALL 1 1", "", { exitCode: 127, status: "failed", stderr: "sh: 1: mpstat: not found\n" })]);
    assert.match(analyzeRuns(sshStyle, { alarm: null, question: null }).findings[0]?.detail ?? "", /mpstat is not installed/);
  });

  void it("empty, garbage and truncated outputs do not throw and do not invent findings", () => {
    const garbage = numbered([
      run("top -b -n 1 -w 512 | head -n 30", ""),
      run("free -m", "\u0000\u0001binary\n"),
      run("df -hP", "Filesystem Size\n/dev/x 1G"),
      run("ps -eo pid,comm --sort=-pcpu | head -n 15", "  PID COMMAND\n 12"),
      run("vmstat 1 5", "procs\n r b\n x y\n"),
      run("uptime", "load average: oops"),
    ]);
    const analysis = analyzeRuns(garbage, { alarm: null, question: "cpu memory disk" });
    assert.ok(!analysis.findings.some((f) => f.severity !== "info"), titles(analysis));
    const truncated = runsOf(loadScenario("cpu-burn")).map((r) => (r.command.startsWith("ps") ? { ...r, stdout: r.stdout.slice(0, Math.floor(r.stdout.length / 2)), truncated: true } : r));
    const cut = analyzeRuns(truncated, { alarm: null, question: "cpu" });
    assertVerbatim(cut, truncated);
  });

  void it("a timed-out command's partial output is still read", () => {
    const partial = " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n 1  0      0 100  1 1    0    0     0     0  1 1 10 5 40 45  0\n 1  0      0 100  1 1    0    0     0     0  1 1 10 5 40 45  0\n";
    const runs = numbered([run("vmstat 1 5", `procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n${partial}`, { status: "timeout", exitCode: null, signal: "SIGKILL" })]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "cpu" });
    assert.ok(analysis.findings.some((f) => f.title.startsWith("The disk is busy: iowait 45%")), titles(analysis));
  });

  void it("hostile process names cannot add lines or code spans to the summary", () => {
    const ps = "  PID  PPID USER     %CPU %MEM   RSS ELAPSED STAT COMMAND\n 666     1 root     99.0  1.0  1000     100 R    a`b\n";
    const runs = numbered([run("ps -eo pid,ppid,user,pcpu,pmem,rss,etimes,stat,comm --sort=-pcpu | head -n 15", ps), run("nproc", "1\n")]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "cpu" });
    // The name keeps its backtick inside a longer fence (mdCode): read as Markdown it is one code span.
    assert.match(analysis.summary, /^``a`b`` \(pid 666\) uses 99% CPU/);
  });

  void it("with no alarm and no question, judges by what the commands looked at", () => {
    const runs = numbered([run("free -m", FREE_SWAPPING)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: null });
    assert.match(analysis.summary, /121 MiB \(3\.1%\) available/);
  });
});

void describe("analysis in Korean (report language ko)", () => {
  const HANGUL = /[\uac00-\ud7a3]/;
  const everything = (): { name: string; runs: CommandRun[] }[] => [
    ...["cpu-burn", "mem-hog", "disk-full", "dead-port", "service-up", "idle", "unprivileged"].map((name) => ({ name, runs: runsOf(loadScenario(name)) })),
    {
      name: "hand-made",
      runs: numbered([
        run("systemctl status nginx --no-pager -l -n 20", SYSTEMCTL_STATUS_FAILED, { exitCode: 3, status: "failed" }),
        run("journalctl -u nginx --no-pager -n 100", JOURNAL_NGINX),
        run("systemctl --failed --no-pager --plain", SYSTEMCTL_FAILED_LIST),
        run("top -b -n 1 -w 512 | head -n 30", TOP_AL2),
        run("free -m", FREE_SWAPPING),
        run("vmstat 1 5", VMSTAT_SWAPPING),
        run("df -hP", DF_ROOT_FULL),
        run("df -iP", DF_INODES_FULL),
        run("lsof -nP +L1 2>/dev/null | head -n 20", LSOF_DELETED),
        run("dmesg -T | tail -n 40", DMESG_DISK_ERRORS),
        run("ip -s link", IP_LINK_DROPS),
        run("cat /proc/net/netstat", PROC_NETSTAT_OVERFLOW),
        run("mpstat -P ALL 1 1", "", { exitCode: 127, status: "failed", stderr: "sh: 1: mpstat: not found\n" }),
      ]),
    },
  ];

  void it("writes every summary, finding and next step in Korean, quoting the output unchanged", () => {
    for (const { name, runs } of everything()) {
      const ko = analyzeRuns(runs, { alarm: null, question: "cpu memory disk network service", language: "ko" });
      const en = analyzeRuns(runs, { alarm: null, question: "cpu memory disk network service", language: "en" });
      assert.match(ko.summary, HANGUL, `${name}: ${ko.summary}`);
      for (const f of ko.findings) {
        assert.match(f.title, HANGUL, `${name} title: ${f.title}`);
        assert.match(f.detail, HANGUL, `${name} detail: ${f.detail}`);
      }
      for (const step of ko.nextSteps) {
        assert.match(step, HANGUL, `${name} next step: ${step}`);
      }
      assert.deepEqual(
        ko.findings.map((f) => [f.severity, f.evidence]),
        en.findings.map((f) => [f.severity, f.evidence]),
        `${name}: same findings and evidence in both languages`,
      );
      assert.equal(ko.severity, en.severity);
      assertVerbatim(ko, runs);
    }
  });

  void it("names the culprit in Korean", () => {
    const scenario = loadScenario("dead-port");
    const analysis = analyzeRuns(runsOf(scenario), { alarm: null, question: `${scenario.facts.service} 서비스 포트 ${scenario.facts.port}`, language: "ko" });
    assert.equal(analysis.summary, `\`atl-fake-svc\`이(가) 실행 중이 아님, 포트 ${scenario.facts.port}에서 대기 중인 것이 없음.`);
  });
});
