// `npm run demo -- --services-only`, what VS Code desktop's "Run ATL (demo settings)" starts
// (.vscode/launch.json → tasks.json): the real demo process with an LLM key in its environment and
// the scripted OpenAI-compatible server as ATL_LLM_BASE_URL. Proves the settings it writes for
// the Extension Development Host (emulator queue, this machine as demo-host, mode-600 secret file,
// the LLM through the relay), that the alarm waits in the queue as CloudWatch's SNS notification
// for demo-host's instance, that the agent and the fault are real, that the key reaches the model
// and nothing else (no file, no setting, no child's environment), that the task's background
// patterns match what it prints — and that SIGTERM, or Ctrl-C in the middle of start-up, leaves no
// process, port or file behind.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AgentClient } from "../../../agent/src/protocol";
import { DEMO_EDITOR_ENV } from "../../../scripts/demo/settings";
import { DESKTOP_WORKSPACE } from "../../../scripts/demo/session";
import { parseAlarmMessage } from "../../../src/alarms/parse";
import { startScriptedLlm, type ScriptedLlm } from "../../helpers/scriptedLlm";
import {
  environmentsContaining,
  filesContaining,
  isLoopback,
  listening,
  listeningSockets,
  parseSummary,
  portOf,
  processTree,
  REPO,
  runDemo,
  stillRunning,
  type DemoRun,
  type DemoSummary,
  type ProcessInfo,
} from "./demoProcess";
import { eventually } from "../../helpers/eventually";
import { runCli } from "../../helpers/process";

const KEY = `sk-demo-${randomBytes(16).toString("hex")}`;
const START_TIMEOUT_MS = 300_000;

interface HostSetting {
  id: string;
  name: string;
  transport: string;
  url: string;
  keyId: string;
  secretFile: string;
  aliases: string[];
}

function demoArgs(workspace: string): string[] {
  return ["--import", "tsx", "scripts/demo.ts", "--services-only", "--workspace", workspace];
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** The environment without any LLM key (what the CLI and the tests' own children get). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  delete env.ATL_LLM_API_KEY;
  delete env.ATL_LLM_BASE_URL;
  return env;
}

void describe("npm run demo -- --services-only (VS Code desktop)", { timeout: 900_000 }, () => {
  let llm: ScriptedLlm;
  let workspace: string;
  let demo: DemoRun;
  let summary: DemoSummary;
  let tree: ProcessInfo[];
  let settings: Record<string, unknown>;
  let host: HostSetting;

  before(async () => {
    llm = await startScriptedLlm([
      { schema: "command_plan", json: { rationale: "Who uses the CPU.", commands: [{ command: "ps -eo pid,pcpu,comm --sort=-pcpu", purpose: "busiest", expectedSignal: "a runaway" }] } },
      { schema: "diagnosis_analysis", json: { summary: "A runaway process uses the CPU.", severity: "high", findings: [], nextSteps: [], culprit: null, furtherCommands: [] } },
    ]);
    workspace = mkdtempSync(join(tmpdir(), "atl-demo-test-ws-"));
    demo = runDemo(process.execPath, demoArgs(workspace), { ...cleanEnv(), OPENAI_API_KEY: KEY, ATL_LLM_BASE_URL: llm.url }, { stdin: "pipe" });
    await demo.waitFor(/^ATL demo is ready\.[\s\S]*stops everything\.$/m, START_TIMEOUT_MS);
    summary = parseSummary(demo.output());
    tree = processTree(demo.child.pid!);
    settings = JSON.parse(readFileSync(join(workspace, ".vscode", "settings.json"), "utf8")) as Record<string, unknown>;
    host = (settings["atl.hosts"] as HostSetting[])[0];
  });

  after(async () => {
    await demo?.stop();
    await llm?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  void it("prints where each part runs, and the lines .vscode/tasks.json waits for", () => {
    const output = demo.output();
    const tasks = JSON.parse(readFileSync(join(REPO, ".vscode", "tasks.json"), "utf8")) as {
      tasks: { label: string; command: string; args?: string[]; isBackground?: boolean; problemMatcher: { background?: { beginsPattern: string; endsPattern: string } } }[];
      inputs: { id: string; command: string; args: string }[];
    };
    const services = tasks.tasks.find((t) => t.label === "ATL: demo services")!;
    assert.deepEqual([services.command, ...(services.args ?? [])], ["npm", "run", "demo", "--", "--services-only"]);
    assert.equal(services.isBackground, true);
    const background = services.problemMatcher.background!;
    assert.match(output.split("\n")[0], new RegExp(background.beginsPattern), "the task becomes active at the first line");
    assert.ok(output.split("\n").some((line) => new RegExp(background.endsPattern).test(line)), "and ready at the ready line");
    assert.ok(output.split("\n").every((line) => !new RegExp(background.endsPattern).test(line) || /^ATL demo is ready/.test(line)));
    const stop = tasks.inputs.find((i) => i.command === "workbench.action.tasks.terminate");
    assert.equal(stop?.args, "ATL: demo services", "the post-debug task ends the services task");

    const launch = JSON.parse(readFileSync(join(REPO, ".vscode", "launch.json"), "utf8")) as {
      configurations: { name: string; type: string; args: string[]; env?: Record<string, string>; preLaunchTask?: string; postDebugTask?: string }[];
    };
    const run = launch.configurations.find((c) => c.name === "Run ATL (demo settings)")!;
    assert.equal(run.type, "extensionHost");
    assert.equal(run.preLaunchTask, "ATL: demo services");
    assert.ok(tasks.tasks.some((t) => t.label === run.postDebugTask && t.command === `\${input:${stop?.id}}`));
    assert.ok(run.args.includes("--extensionDevelopmentPath=${workspaceFolder}"));
    assert.ok(run.args.includes(`\${workspaceFolder}/${relative(REPO, DESKTOP_WORKSPACE)}`), "opens the folder --services-only writes by default");
    assert.deepEqual(run.env, DEMO_EDITOR_ENV, "the same fake AWS credentials as the browser demo");

    // Loopback only: every listening socket of the demo's processes.
    const sockets = listeningSockets(tree);
    const expected = [portOf(summary.emulatorEndpoint), portOf(summary.agentUrl), portOf(String(settings["atl.llm.baseUrl"]))];
    assert.deepEqual(expected.filter((port) => !sockets.some((s) => s.port === port)), [], `the emulator, agent and relay listen: ${JSON.stringify(sockets)}`);
    assert.deepEqual(sockets.filter((s) => !isLoopback(s.address)), [], "nothing listens beyond 127.0.0.1");
    assert.match(summary.agentUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(summary.emulatorEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(summary.editorUrl, null, "no editor in services-only mode");
    assert.equal(summary.burnerName, "atl-demo-burner");
    assert.match(output, new RegExp(`VS Code desktop: Run and Debug → "Run ATL \\(demo settings\\)"`));
  });

  void it("writes the desktop settings: the emulator's queue, this machine as demo-host with a mode-600 secret file, the LLM through the relay", () => {
    assert.equal(settings["atl.sqs.endpoint"], summary.emulatorEndpoint);
    assert.match(String(settings["atl.sqs.queueUrl"]), /\/\d{12}\/atl-demo-alarms$/);
    assert.equal(settings["atl.sqs.region"], "ap-northeast-2");
    assert.equal(host.id, "demo-host");
    assert.equal(host.transport, "agent");
    assert.equal(host.url, summary.agentUrl);
    assert.match(host.aliases[0], /^i-0[0-9a-f]{16}$/, "the instance id the alarm names");
    assert.equal(host.secretFile, summary.secretFile);
    assert.equal(statSync(host.secretFile).mode & 0o777, 0o600);
    const secret = readFileSync(host.secretFile, "utf8").trim();
    assert.match(secret, /^[0-9a-f]{64}$/, "a fresh 256-bit key");

    assert.equal(settings["atl.llm.provider"], "openai-compatible");
    assert.match(String(settings["atl.llm.baseUrl"]), /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/v1$/, "the relay, not the real API");
    const text = JSON.stringify(settings);
    assert.doesNotMatch(text, new RegExp(KEY), "no LLM key in settings");
    assert.doesNotMatch(text, new RegExp(secret), "no agent secret in settings");
    assert.match(readFileSync(join(workspace, "README.md"), "utf8"), /atl-demo-burner/);
  });

  void it("the alarm waits in the queue as CloudWatch's SNS notification for demo-host's instance", async () => {
    const sqs = new SQSClient({ region: "ap-northeast-2", endpoint: summary.emulatorEndpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    try {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: String(settings["atl.sqs.queueUrl"]), MaxNumberOfMessages: 10, WaitTimeSeconds: 5, VisibilityTimeout: 0 }));
      assert.equal(out.Messages?.length, 1, "one alarm");
      const body = out.Messages?.[0].Body ?? "";
      assert.equal((JSON.parse(body) as { Type: string }).Type, "Notification", "delivered through SNS");
      const parsed = parseAlarmMessage(body);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const alarm = parsed.alarm;
      assert.equal(alarm.name, "demo-host-cpu-high");
      assert.equal(alarm.state, "ALARM");
      assert.equal(alarm.previousState, "OK");
      assert.equal(alarm.hostId, host.aliases[0]);
      assert.equal(alarm.metric?.name, "CPUUtilization");
      const age = Date.now() - new Date(alarm.changedAt).getTime();
      assert.ok(age >= 0 && age < 30 * 60_000, `a fresh state change (${alarm.changedAt})`);
      writeFileSync(join(workspace, "alarm.json"), body);
    } finally {
      sqs.destroy();
    }
  });

  void it("a line on stdin (Enter) publishes the alarm again, as a new state change", async () => {
    demo.child.stdin?.write("\n");
    await demo.waitFor(/^Published demo-host-cpu-high again \(ALARM at \S+\)\.$/m, 60_000);
    const sqs = new SQSClient({ region: "ap-northeast-2", endpoint: summary.emulatorEndpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    try {
      const bodies: string[] = [];
      for (let attempt = 0; attempt < 5 && bodies.length < 2; attempt++) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: String(settings["atl.sqs.queueUrl"]), MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: 0 }));
        bodies.splice(0, bodies.length, ...(out.Messages ?? []).map((m) => m.Body ?? ""));
      }
      assert.equal(bodies.length, 2, "the first alarm and the new one");
      const alarms = bodies.map((b) => parseAlarmMessage(b)).map((r) => (r.ok ? r.alarm : assert.fail(JSON.stringify(r))));
      assert.ok(alarms.every((a) => a.name === "demo-host-cpu-high" && a.state === "ALARM"));
      assert.notEqual(alarms[0].changedAt, alarms[1].changedAt, "a fresh time: a new state change, not a redelivery");
      assert.notEqual(alarms[0].messageId, alarms[1].messageId);
    } finally {
      sqs.destroy();
    }
  });

  void it("the agent (unprivileged) answers requests signed with the key in the secret file; the fault burns a CPU", async () => {
    const client = new AgentClient({ url: host.url, keyId: host.keyId, secret: readFileSync(host.secretFile, "utf8").trim() });
    try {
      const info = await client.info();
      assert.ok(info.cpus >= 1);
    } finally {
      client.close();
    }
    if (process.getuid?.() === 0) {
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${summary.agentPid}/status`, "utf8"))?.[1];
      assert.notEqual(uid, "0", "started as root, the agent still runs the commands as an unprivileged user");
      assert.match(demo.output(), /\(pid \d+, as nobody\)/);
    }
    assert.equal(readFileSync(`/proc/${summary.burnerPid}/comm`, "utf8").trim(), "atl-demo-burner");
    assert.ok(tree.some((p) => p.pid === summary.burnerPid), "the fault is the demo's child");
    const start = cpuTicks(summary.burnerPid);
    // Half a second of CPU time: it spins (however busy the machine is, it gets there).
    await eventually(() => cpuTicks(summary.burnerPid) - start >= 50, 120_000, "the burner used 0.5 s of CPU");
  });

  void it("the model gets the user's key through the relay; the key is in no file, setting or child environment", async () => {
    const inventory = join(workspace, "hosts.json");
    writeFileSync(inventory, JSON.stringify(settings["atl.hosts"]));
    const result = await runCli(
      ["diagnose", "--alarm", join(workspace, "alarm.json"), "--hosts", inventory, "--approve", "read-only", "--llm-base-url", String(settings["atl.llm.baseUrl"]), "--llm-model", "gpt-4.1-mini", "--json", "--quiet"],
      { env: cleanEnv() },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { analysis: { summary: unknown; source: string }; runs: { command: string; stdout: string }[] };
    assert.equal(report.analysis.source, "llm");
    assert.deepEqual(report.analysis.summary, ["A runaway process uses the CPU."], "RichText: runs of plain text and code");
    assert.match(report.runs[0].stdout, /atl-demo-burner/, "the agent ran the approved command on this machine");
    assert.equal(llm.requests.length, 2);
    for (const request of llm.requests) {
      assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    }
    assert.deepEqual(filesContaining(workspace, KEY), []);
    assert.deepEqual(filesContaining(join(REPO, ".demo"), KEY), []);
    // The parts the demo starts; tsx's own esbuild service started with the demo, before the demo
    // could read its environment: it is the demo's runtime, holding what the demo holds.
    const parts = processTree(demo.child.pid!).filter((p) => p.pid !== demo.child.pid && !(p.comm === "esbuild" && p.ppid === demo.child.pid));
    assert.ok(parts.some((p) => p.pid === summary.agentPid) && parts.some((p) => p.pid === summary.burnerPid), "the agent and the fault run");
    assert.deepEqual(environmentsContaining(parts, KEY), [], "no part the demo started inherited the key");
  });

  void it("SIGTERM stops everything: no process, port or file of the demo is left", async () => {
    const ports = [portOf(summary.emulatorEndpoint), portOf(summary.agentUrl), portOf(String(settings["atl.llm.baseUrl"]))];
    for (const port of ports) {
      assert.ok(await listening(port), `port ${port} is open while the demo runs`);
    }
    const known = processTree(demo.child.pid!);
    process.kill(demo.child.pid!, "SIGTERM");
    const exit = await demo.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, demo.output());
    assert.match(demo.output(), /SIGTERM: stopping the demo…[\s\S]*Stopped: no process, port or file of the demo is left\./);
    assert.deepEqual(stillRunning(known), [], "every process of the demo ended");
    for (const port of ports) {
      assert.equal(await listening(port), false, `port ${port} is closed`);
    }
    for (const folder of summary.folders) {
      assert.equal(existsSync(folder), false, `${folder} is gone`);
    }
    assert.equal(existsSync(host.secretFile), false);
    assert.equal(existsSync(join(workspace, ".vscode")), false, "the settings it wrote are gone");
    assert.equal(existsSync(join(workspace, "README.md")), false);
    assert.ok(existsSync(workspace), "the folder it was given stays");
  });
});

void describe("Ctrl-C during the demo's start-up", { timeout: 600_000 }, () => {
  void it("stops what already runs and what was starting: nothing is left", async () => {
    const workspace = mkdtempSync(join(tmpdir(), "atl-demo-test-ws-"));
    try {
      const demo = runDemo(process.execPath, demoArgs(workspace), cleanEnv());
      await demo.waitFor(/· staging the fault/, START_TIMEOUT_MS);
      // The agent runs: find it (and its temp folder) before pressing Ctrl-C.
      const known = processTree(demo.child.pid!);
      const agent = known.find((p) => readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("--key-id\0atl-demo\0"));
      assert.ok(agent, "the agent was started");
      const secretFile = /--secret-file\0([^\0]+)/.exec(readFileSync(`/proc/${agent.pid}/cmdline`, "utf8"))?.[1] ?? "";
      assert.ok(existsSync(secretFile));
      const startedAt = known[0].start;
      demo.signalGroup("SIGINT");
      const exit = await demo.exited;
      assert.equal(exit.code, 0, demo.output());
      assert.doesNotMatch(demo.output(), /ATL demo is ready/);
      assert.deepEqual(stillRunning(known), []);
      assert.equal(existsSync(join(secretFile, "..")), false, "the agent's key folder is gone");
      // The fault may have started after the snapshot: no burner born since the demo may remain.
      const burners = processTree(1).filter((p) => p.comm === "atl-demo-burner" && p.start >= startedAt);
      assert.deepEqual(burners, []);
      assert.equal(existsSync(join(workspace, "README.md")), false);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});
