// Which resources an alarm or a sentence gets planned for (a USE snapshot of the whole host, plus
// deeper looks at those resources), and the safety of every planned command: allowed and read-only
// under the default policy, bounded in time and output, never sysstat-only, and never carrying an
// attacker's alarm text into an argument it does not belong in.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createCommandPolicy } from "../../../agent/src/policy/index";
import { RESOURCES, type Resource } from "../../../src/graph/diagnosis";
import { resourceCommands, snapshotCommands } from "../../../src/graph/runbooks/catalog";
import { planFromAlarm, planFromText, type RunbookPlan } from "../../../src/graph/runbooks/index";
import { alarm, metric } from "./support";

const policy = createCommandPolicy();
const FULL_TARGET = { path: "/var/lib/postgresql", service: "nginx", process: "java", pid: 4242, lookup: "db.internal" };

const commandsOf = (plan: RunbookPlan | null): string[] => plan?.commands.map((c) => c.command) ?? [];

/** Stops on its own: a count, a line limit or a pipe into head/tail. */
function bounded(command: string): boolean {
  const first = command.split("|")[0].trim();
  const program = first.split(/\s+/)[0];
  const limited = /\|\s*(head|tail) -n \d+/.test(command);
  switch (program) {
    case "top":
      return /-b\b/.test(first) && /-n [1-9]\b/.test(first) && limited;
    case "vmstat":
    case "mpstat":
    case "iostat":
      return /\d+ \d+$/.test(first);
    case "journalctl":
      return /--no-pager/.test(first) && (/-n \d+/.test(first) || limited);
    case "systemctl":
      return /--no-pager/.test(first) && (!/status/.test(first) || /-n \d+/.test(first));
    case "ps":
      return limited || /-C \S+/.test(first) || /-p \d+/.test(first);
    case "du":
    case "find":
    case "lsof":
    case "dmesg":
      return limited;
    default:
      return ["uptime", "nproc", "free", "df", "ss", "ip", "cat", "grep", "timedatectl", "chronyc", "getent"].includes(program) && (program !== "ss" || !/-\w*a/.test(first) || limited);
  }
}

void describe("plans by alarm", () => {
  void it("every plan starts with the USE snapshot of the whole host", () => {
    const snapshot = snapshotCommands().map((c) => c.command);
    const plan = planFromAlarm(alarm("prod-web-01-cpu-high", metric("AWS/EC2", "CPUUtilization", { InstanceId: "i-0a1b2c3d4e5f67890" })));
    assert.deepEqual(commandsOf(plan).slice(0, snapshot.length), snapshot);
    for (const expected of ["uptime", "nproc", "grep -H . /proc/uptime /proc/loadavg", "vmstat 1 5", "top -b -n 2 -d 1", "ps -eo pid,ppid,user,stat", "free -m", "df -hP", "systemctl --failed", "dmesg | grep"]) {
      assert.ok(snapshot.some((c) => c.startsWith(expected)), `${expected} in the snapshot`);
    }
    assert.equal(plan.runbook, "cpu");
    assert.match(plan.rationale, /CPUUtilization/);
    assert.ok(plan.commands.every((c) => c.purpose.length > 10 && c.expectedSignal.length > 10));
  });

  void it("never plans sysstat's tools: a host without them is not a gap", () => {
    for (const r of RESOURCES) {
      for (const c of resourceCommands(r, FULL_TARGET)) {
        assert.ok(!/^(mpstat|iostat|pidstat|sar) /.test(c.command), c.command);
      }
    }
  });

  void it("maps each alarm to the resources it watches", () => {
    const cases: [string, string, Record<string, string>, string][] = [
      ["CWAgent", "mem_used_percent", {}, "memory+swap"],
      ["CWAgent", "swap_used_percent", {}, "swap+memory"],
      ["CWAgent", "disk_used_percent", { path: "/var/lib/postgresql" }, "disk-space"],
      ["CWAgent", "disk_inodes_free", { path: "/" }, "inodes"],
      ["CWAgent", "diskio_io_time", {}, "disk-io"],
      ["CWAgent", "cpu_usage_iowait", {}, "disk-io+cpu"],
      ["AWS/EC2", "CPUCreditBalance", {}, "cpu"],
      ["AWS/EC2", "NetworkOut", {}, "network"],
      ["AWS/EBS", "BurstBalance", {}, "disk-io"],
      ["CWAgent", "processes_total", {}, "processes"],
      ["CWAgent", "processes_zombies", {}, "zombies+processes"],
      ["CWAgent", "netstat_tcp_established", {}, "connections"],
      ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {}, "services"],
    ];
    for (const [ns, name, dims, runbook] of cases) {
      assert.equal(planFromAlarm(alarm("a", metric(ns, name, dims))).runbook, runbook, `${ns} ${name}`);
    }
    assert.match(planFromAlarm(alarm("sc", metric("AWS/EC2", "StatusCheckFailed_System"))).runbook, /^reboot\+kernel/);
  });

  void it("looks where the alarm points: the path for du/find, the inode-heavy directories", () => {
    const disk = commandsOf(planFromAlarm(alarm("db disk", metric("CWAgent", "disk_used_percent", { path: "/var/lib/postgresql", device: "nvme1n1", fstype: "xfs" }))));
    assert.ok(disk.some((c) => c.startsWith("du -xh --max-depth=1 /var/lib/postgresql ")));
    assert.ok(disk.some((c) => c.startsWith("find /var/lib/postgresql -xdev")));
    assert.ok(disk.some((c) => c.startsWith("lsof -nP +L1")));
    const inodes = commandsOf(planFromAlarm(alarm("inodes", metric("CWAgent", "disk_inodes_free", { path: "/srv/cache" }, { comparison: "LessThanThreshold" }))));
    assert.ok(inodes.some((c) => c.startsWith("du --inodes -x --max-depth=1 /srv/cache ")));
  });

  void it("metric math uses the queries' metrics (NetworkIn + NetworkOut → network)", () => {
    const m = metric("", "", {}, { namespace: null, name: null });
    m.queries = [
      { id: "e1", expression: "m1+m2", label: "Total network bytes", namespace: null, name: null, statistic: null, dimensions: {}, returnData: true },
      { id: "m1", expression: null, label: null, namespace: "AWS/EC2", name: "NetworkIn", statistic: "Sum", dimensions: { InstanceId: "i-0a1b2c3d4e5f67890" }, returnData: false },
      { id: "m2", expression: null, label: null, namespace: "AWS/EC2", name: "NetworkOut", statistic: "Sum", dimensions: { InstanceId: "i-0a1b2c3d4e5f67890" }, returnData: false },
    ];
    const plan = planFromAlarm(alarm("prod-web-01-network-total-high", m));
    assert.equal(plan.runbook, "network");
    assert.match(plan.rationale, /metric math over NetworkIn, NetworkOut/);
  });

  void it("composite alarms plan from their triggering children's names, then the rule", () => {
    const composite = alarm("prod-web-tier-degraded", null, {
      children: ["arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:prod-web-01-cpu-high"],
      rule: 'ALARM("prod-web-01-cpu-high") OR ALARM("prod-worker-07-zombie-processes")',
    });
    assert.equal(planFromAlarm(composite).runbook, "cpu", "the child that triggered it, not every child in the rule");
    assert.match(planFromAlarm(composite).rationale, /composite/);
    assert.equal(planFromAlarm({ ...composite, children: [] }).runbook, "cpu+zombies", "without triggering children, every child named in the rule");
  });

  void it("procstat alarms look at the named process; a vanished process plans the service", () => {
    const gone = planFromAlarm(alarm("nginx gone", metric("CWAgent", "procstat_lookup_pid_count", { process_name: "nginx", InstanceId: "i-1" }, { comparison: "LessThanThreshold", threshold: 1 })));
    assert.equal(gone.runbook, "services");
    const commands = commandsOf(gone);
    assert.ok(commands.includes("systemctl status nginx --no-pager -l -n 20"));
    assert.ok(commands.includes("journalctl -u nginx --no-pager -n 100"));
    assert.ok(commands.some((c) => c.startsWith("ps -C nginx ")));
    assert.equal(planFromAlarm(alarm("java fds", metric("CWAgent", "procstat_num_fds", { exe: "java" }))).runbook, "file-descriptors");
  });

  void it("an unknown metric falls back to the alarm's words, then to a broad sweep", () => {
    assert.equal(planFromAlarm(alarm("prod-api-memory-high", metric("Custom/App", "Widgets"))).runbook, "memory");
    const sweep = planFromAlarm(alarm("prod-api-widgets", metric("Custom/App", "Widgets")));
    assert.equal(sweep.runbook, "sweep");
    assert.ok(commandsOf(sweep).some((c) => c.startsWith("find /proc")), "a sweep looks at open files too");
  });
});

void describe("plans by the user's words", () => {
  void it("plans the resources the words are about, in English and Korean", () => {
    assert.equal(planFromText("CPU 사용률이 높아요")?.runbook, "cpu");
    assert.equal(planFromText("prod-web-01 메모리 부족")?.runbook, "memory");
    assert.equal(planFromText("디스크 용량이 부족합니다")?.runbook, "disk-space");
    assert.equal(planFromText("why is the load so high on prod-web-01?")?.runbook, "cpu");
    assert.ok(commandsOf(planFromText("disk full on /var/lib/mysql")).some((c) => c.startsWith("du -xh --max-depth=1 /var/lib/mysql ")));
    assert.ok(commandsOf(planFromText("too many open files")).some((c) => c.startsWith("find /proc -mindepth 3")));
    assert.ok(commandsOf(planFromText("connections pile up on 8080")).some((c) => c.startsWith("ss -tanp")));
    assert.ok(commandsOf(planFromText("DNS fails for db.internal")).includes("getent ahosts db.internal"));
    assert.equal(planFromText("CPU and memory look odd")?.runbook, "cpu+memory");
  });

  void it("names services: 'nginx 서비스', 'systemctl status X', 'journalctl -u X', 'X.service', a known daemon", () => {
    for (const [text, service] of [
      ["nginx 서비스 상태 확인해줘", "nginx"],
      ["systemctl status redis-server", "redis-server"],
      ["show me journalctl -u my-app", "my-app"],
      ["payments.service keeps crashing", "payments"],
      ["is postgresql ok?", "postgresql"],
    ] as const) {
      const commands = commandsOf(planFromText(text));
      assert.ok(commands.includes(`systemctl status ${service} --no-pager -l -n 20`), `${text}: ${commands.join(" ; ")}`);
      assert.ok(commands.includes(`journalctl -u ${service} --no-pager -n 100`), text);
    }
  });

  void it("quotes the port whole ('port 37637', '37637번 포트', 'host:9200') but never a time of day", () => {
    assert.match(planFromText("connections piling up on port 37637")?.rationale ?? "", /port 37637\b/);
    assert.match(planFromText("37637번 포트가 죽었어요")?.rationale ?? "", /port 37637\b/);
    assert.match(planFromText("curl 10.0.1.5:9200 fails")?.rationale ?? "", /port 9200/);
    assert.doesNotMatch(planFromText("CPU high since 12:30")?.rationale ?? "", /port/);
  });

  void it("returns null when the text asks for nothing; a broad sweep for 'health' or 'slow'", () => {
    assert.equal(planFromText("hello there"), null);
    assert.equal(planFromText("thanks!"), null);
    assert.equal(planFromText("서버 상태 점검해줘")?.runbook, "sweep");
    assert.equal(planFromText("check prod-web-01 health")?.runbook, "sweep");
    assert.equal(planFromText("the server is slow")?.runbook, "sweep");
  });
});

void describe("every runbook command", () => {
  const everyCommand = [
    ...new Set([...snapshotCommands(), ...RESOURCES.flatMap((r: Resource) => [...resourceCommands(r, {}), ...resourceCommands(r, FULL_TARGET)])].map((c) => c.command)),
  ];

  void it("is allowed and read-only under the default policy", () => {
    for (const command of everyCommand) {
      const decision = policy.check(command);
      assert.equal(decision.decision, "allowed", `${command}: ${decision.reason}`);
      assert.equal(decision.risk, "read-only", command);
    }
  });

  void it("is bounded in time and output", () => {
    for (const command of everyCommand) {
      assert.ok(bounded(command), `unbounded: ${command}`);
    }
  });

  /** Arguments the catalog itself writes (awk programs, grep patterns): the only ones allowed shell characters. */
  const catalogArgs = new Set(everyCommand.flatMap((c) => policy.check(c).program?.steps.flatMap((s) => s.pipeline.stages.flatMap((st) => st.argv.slice(1))) ?? []));

  void it("stays allowed and free of hostile alarm text whatever the dimensions and names say", () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom("/var; rm -rf /", "-rf", "--output=/etc/passwd", "../../etc", "$(reboot)", "`id`", "nginx; reboot", "/a b", "/etc/../root", "'quoted'", "x.com; id", "-x.internal"),
    );
    fc.assert(
      fc.property(hostile, hostile, hostile, (path, name, text) => {
        const plans = [
          planFromAlarm(alarm(`disk ${text}`, metric("CWAgent", "disk_used_percent", { path, InstanceId: "i-1" }))),
          planFromAlarm(alarm(text, metric("CWAgent", "procstat_lookup_pid_count", { process_name: name }, { comparison: "LessThanThreshold" }))),
          planFromAlarm(alarm(text, null, { children: [`arn:aws:cloudwatch:r:1:alarm:${text}`], rule: `ALARM("${text}")` })),
          planFromText(`${text} ${name} 서비스 ${path}`),
          planFromText(`dns cannot resolve ${name} ${text}`),
        ];
        for (const plan of plans) {
          for (const { command } of plan?.commands ?? []) {
            const decision = policy.check(command);
            assert.equal(decision.decision, "allowed", `${command}: ${decision.reason}`);
            assert.equal(decision.risk, "read-only");
            for (const argv of decision.program?.steps.flatMap((s) => s.pipeline.stages.map((st) => st.argv)) ?? []) {
              for (const arg of argv.slice(1)) {
                assert.ok(!/[;`$()\s]/.test(arg) || catalogArgs.has(arg), `odd argument ${JSON.stringify(arg)} in ${command}`);
                assert.ok(!arg.split("/").includes(".."), `.. in ${command}`);
              }
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

void describe("plans in Korean", () => {
  void it("same commands, with the rationale, purposes and expected signals in Korean", () => {
    const HANGUL = /[\uac00-\ud7a3]/;
    const cpuAlarm = alarm("cpu", metric("AWS/EC2", "CPUUtilization"));
    for (const [en, ko] of [
      [planFromAlarm(cpuAlarm), planFromAlarm(cpuAlarm, { language: "ko" })],
      [planFromText("nginx 서비스 포트 80"), planFromText("nginx 서비스 포트 80", { language: "ko" })],
      [planFromText("disk full on /data"), planFromText("disk full on /data", { language: "ko" })],
    ] as const) {
      assert.ok(en && ko);
      assert.deepEqual(ko.commands.map((c) => c.command), en.commands.map((c) => c.command));
      assert.equal(ko.runbook, en.runbook);
      assert.match(ko.rationale, HANGUL);
      for (const c of ko.commands) {
        assert.match(c.purpose, HANGUL, c.command);
        assert.match(c.expectedSignal, HANGUL, c.command);
      }
    }
    const all = [...snapshotCommands("ko"), ...RESOURCES.flatMap((r) => resourceCommands(r, FULL_TARGET, "ko"))];
    assert.ok(all.every((c) => HANGUL.test(c.purpose) && HANGUL.test(c.expectedSignal)));
  });
});
