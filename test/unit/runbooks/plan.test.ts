// Which runbook an alarm or a sentence gets, and the safety of every planned command: allowed and
// read-only under the default policy, bounded in time and output, and never carrying an
// attacker's alarm text into an argument it does not belong in.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createCommandPolicy } from "../../../agent/src/policy/index";
import { runbookCommands, type RunbookKind } from "../../../src/graph/runbooks/catalog";
import { planFromAlarm, planFromText, type RunbookPlan } from "../../../src/graph/runbooks/index";
import { alarm, metric } from "./support";

const policy = createCommandPolicy();
const ALL_KINDS: RunbookKind[] = ["cpu", "memory", "disk", "disk-io", "status-check", "network", "service", "process", "generic"];

const commandsOf = (plan: RunbookPlan | null): string[] => plan?.commands.map((c) => c.command) ?? [];

/** Stops on its own: a count, a line limit or a pipe into head/tail. */
function bounded(command: string): boolean {
  const first = command.split("|")[0].trim();
  const program = first.split(/\s+/)[0];
  const limited = /\|\s*(head|tail) -n \d+/.test(command);
  switch (program) {
    case "top":
      return /-b\b/.test(first) && /-n 1\b/.test(first) && limited;
    case "vmstat":
    case "mpstat":
    case "iostat":
      return /\d+ \d+$/.test(first);
    case "journalctl":
      return /--no-pager/.test(first) && /-n \d+/.test(first);
    case "systemctl":
      return /--no-pager/.test(first) && (!/status/.test(first) || /-n \d+/.test(first));
    case "ps":
      return limited || /-C \S+/.test(first);
    case "du":
    case "find":
    case "lsof":
    case "dmesg":
      return limited;
    default:
      return ["uptime", "nproc", "free", "df", "ss", "ip", "cat"].includes(program);
  }
}

void describe("runbooks by alarm", () => {
  void it("AWS/EC2 CPUUtilization → the CPU runbook: load, top, ps by CPU, mpstat, vmstat", () => {
    const plan = planFromAlarm(alarm("prod-web-01-cpu-high", metric("AWS/EC2", "CPUUtilization", { InstanceId: "i-0a1b2c3d4e5f67890" })));
    assert.equal(plan.runbook, "cpu");
    const commands = commandsOf(plan);
    for (const expected of ["uptime", "nproc", "top -b -n 1", "--sort=-pcpu", "mpstat", "vmstat"]) {
      assert.ok(commands.some((c) => c.includes(expected)), `${expected} in ${commands.join(" ; ")}`);
    }
    assert.match(plan.rationale, /CPUUtilization/);
    assert.ok(plan.commands.every((c) => c.purpose.length > 10 && c.expectedSignal.length > 10));
  });

  void it("CWAgent mem_used_percent → memory: free, ps by RSS, vmstat, kernel OOM lines", () => {
    const plan = planFromAlarm(alarm("prod-api-mem", metric("CWAgent", "mem_used_percent", { InstanceId: "i-0f9e8d7c6b5a43210", ImageId: "ami-1", InstanceType: "t3.large" })));
    assert.equal(plan.runbook, "memory");
    const commands = commandsOf(plan);
    assert.ok(commands.includes("free -m"));
    assert.ok(commands.some((c) => c.includes("--sort=-rss")));
    assert.ok(commands.some((c) => c.startsWith("dmesg") && /killed process/i.test(c)));
  });

  void it("CWAgent disk_used_percent uses the alarm's path dimension for du and find", () => {
    const plan = planFromAlarm(
      alarm("prod-db-01 disk", metric("CWAgent", "disk_used_percent", { path: "/var/lib/postgresql", InstanceId: "i-0123456789abcdef0", device: "nvme1n1", fstype: "xfs" })),
    );
    assert.equal(plan.runbook, "disk");
    const commands = commandsOf(plan);
    assert.ok(commands.includes("df -hP") && commands.includes("df -iP"));
    assert.ok(commands.some((c) => c.startsWith("du -xh --max-depth=3 /var/lib/postgresql ")));
    assert.ok(commands.some((c) => c.startsWith("find /var/lib/postgresql -xdev")));
    assert.ok(commands.some((c) => c.startsWith("lsof -nP +L1")));
    assert.match(plan.rationale, /\/var\/lib\/postgresql/);
  });

  void it("StatusCheckFailed → status check; network metrics → network; EBS/diskio → disk I/O", () => {
    assert.equal(planFromAlarm(alarm("sc", metric("AWS/EC2", "StatusCheckFailed", { InstanceId: "i-07a6b5c4d3e2f1a0b" }))).runbook, "status-check");
    assert.equal(planFromAlarm(alarm("sc", metric("AWS/EC2", "StatusCheckFailed_System"))).runbook, "status-check");
    assert.equal(planFromAlarm(alarm("net", metric("AWS/EC2", "NetworkOut"))).runbook, "network");
    assert.equal(planFromAlarm(alarm("io", metric("CWAgent", "diskio_io_time"))).runbook, "disk-io");
    assert.equal(planFromAlarm(alarm("iow", metric("CWAgent", "cpu_usage_iowait"))).runbook, "disk-io+cpu");
    assert.equal(planFromAlarm(alarm("credits", metric("AWS/EC2", "CPUCreditBalance", {}, { comparison: "LessThanThreshold" }))).runbook, "cpu");
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
      rule: 'ALARM("prod-web-01-cpu-high") OR ALARM("prod-worker-07-status-check-failed")',
    });
    const plan = planFromAlarm(composite);
    assert.equal(plan.runbook, "cpu", "the child that triggered it, not every child in the rule");
    assert.match(plan.rationale, /composite/);
    const noTrigger = planFromAlarm({ ...composite, children: [] });
    assert.equal(noTrigger.runbook, "cpu+status-check", "without triggering children, every child named in the rule");
  });

  void it("procstat alarms look at the named process; a vanished process plans the service runbook", () => {
    const cpuPlan = planFromAlarm(alarm("java cpu", metric("CWAgent", "procstat_cpu_usage", { exe: "java", InstanceId: "i-1" })));
    assert.equal(cpuPlan.runbook, "process+cpu");
    assert.ok(commandsOf(cpuPlan).some((c) => c.startsWith("ps -C java ")));
    const gone = planFromAlarm(alarm("nginx gone", metric("CWAgent", "procstat_lookup_pid_count", { process_name: "nginx", InstanceId: "i-1" }, { comparison: "LessThanThreshold", threshold: 1 })));
    assert.equal(gone.runbook, "service+process");
    const commands = commandsOf(gone);
    assert.ok(commands.includes("systemctl status nginx --no-pager -l -n 20"));
    assert.ok(commands.includes("journalctl -u nginx --no-pager -n 100"));
  });

  void it("an unknown metric falls back to the alarm name, then to the general runbook", () => {
    assert.equal(planFromAlarm(alarm("prod-api-memory-high", metric("Custom/App", "Widgets"))).runbook, "memory");
    const generic = planFromAlarm(alarm("prod-api-widgets", metric("Custom/App", "Widgets")));
    assert.equal(generic.runbook, "generic");
    assert.ok(commandsOf(generic).includes("uptime") && commandsOf(generic).includes("df -hP"));
  });
});

void describe("runbooks by the user's words", () => {
  void it("understands English and Korean keywords", () => {
    assert.equal(planFromText("CPU 사용률이 높아요")?.runbook, "cpu");
    assert.equal(planFromText("prod-web-01 메모리 부족")?.runbook, "memory");
    assert.equal(planFromText("디스크 용량이 부족합니다")?.runbook, "disk");
    assert.equal(planFromText("why is the load so high on prod-web-01?")?.runbook, "cpu");
    assert.equal(planFromText("disk full on /var/lib/mysql")?.commands.some((c) => c.command.startsWith("du -xh --max-depth=3 /var/lib/mysql ")), true);
    assert.equal(planFromText("네트워크 패킷 드롭")?.runbook, "network");
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

  void it("finds a port ('port 8080', '8080 포트', 'host:8080') but not a time of day", () => {
    assert.match(planFromText("port 8080 is not responding")?.rationale ?? "", /port 8080/);
    assert.match(planFromText("8080번 포트가 죽었어요")?.rationale ?? "", /port 8080/);
    assert.match(planFromText("curl 10.0.1.5:9200 fails")?.rationale ?? "", /port 9200/);
    assert.doesNotMatch(planFromText("CPU high since 12:30")?.rationale ?? "", /port/);
  });

  void it("returns null when the text asks for nothing a runbook covers; a general check for 'health'", () => {
    assert.equal(planFromText("hello there"), null);
    assert.equal(planFromText("thanks!"), null);
    assert.equal(planFromText("서버 상태 점검해줘")?.runbook, "generic");
    assert.equal(planFromText("check prod-web-01 health")?.runbook, "generic");
  });
});

void describe("every runbook command", () => {
  const everyCommand = [
    ...new Set(ALL_KINDS.flatMap((k) => [...runbookCommands(k, {}), ...runbookCommands(k, { path: "/var/lib/postgresql", service: "nginx", process: "java" })].map((c) => c.command))),
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

  void it("stays allowed and free of hostile alarm text whatever the dimensions and names say", () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom("/var; rm -rf /", "-rf", "--output=/etc/passwd", "../../etc", "$(reboot)", "`id`", "nginx; reboot", "/a b", "/etc/../root", "'quoted'"),
    );
    fc.assert(
      fc.property(hostile, hostile, hostile, (path, name, text) => {
        const plans = [
          planFromAlarm(alarm(`disk ${text}`, metric("CWAgent", "disk_used_percent", { path, InstanceId: "i-1" }))),
          planFromAlarm(alarm(text, metric("CWAgent", "procstat_lookup_pid_count", { process_name: name }))),
          planFromAlarm(alarm(text, null, { children: [`arn:aws:cloudwatch:r:1:alarm:${text}`], rule: `ALARM("${text}")` })),
          planFromText(`${text} ${name} 서비스 ${path}`),
        ];
        for (const plan of plans) {
          for (const { command } of plan?.commands ?? []) {
            const decision = policy.check(command);
            assert.equal(decision.decision, "allowed", `${command}: ${decision.reason}`);
            assert.equal(decision.risk, "read-only");
            for (const argv of decision.program?.steps.flatMap((s) => s.pipeline.stages.map((st) => st.argv)) ?? []) {
              for (const arg of argv.slice(1)) {
                assert.ok(!/[;`$()\s]/.test(arg) || arg === "'%s %p\\n'" || /^%s %p/.test(arg) || /\|/.test(arg), `odd argument ${JSON.stringify(arg)} in ${command}`);
                assert.ok(!arg.split("/").includes(".."), `.. in ${command}`);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
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
    const all = ALL_KINDS.flatMap((k) => runbookCommands(k, { path: "/x", service: "s", process: "p" }, "ko"));
    assert.ok(all.every((c) => HANGUL.test(c.purpose) && HANGUL.test(c.expectedSignal)));
  });
});
