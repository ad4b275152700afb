// Starts the demo's parts on 127.0.0.1 and registers each with the lifecycle as soon as it runs:
// the SQS/SNS emulator with a topic → queue route, the ATL agent with a fresh key (mode-600 file),
// the staged fault, the LLM relay when a key is set, and — unless services-only — code-server with
// the freshly packaged extension and the demo settings. Then it publishes the alarm through SNS.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { rm, rmdir } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AtlError } from "../../src/shared/errors";
import { startAgent, type RunningAgent } from "../../test/helpers/agent";
import { CodeServer, repoRoot } from "../../test/helpers/codeServer";
import { startCpuHog } from "../../test/helpers/faults";
import { startDemoEmulator } from "./emulator";
import type { Lifecycle } from "./lifecycle";
import { takeLlmChoice, type LlmChoice } from "./llm";
import { startLlmRelay } from "./llmRelay";
import type { DemoOptions } from "./options";
import { DEMO_ALARM_NAME, DEMO_HOST, DEMO_QUEUE, DEMO_REGION, DEMO_TOPIC, demoCpuAlarm, demoInstanceId } from "./scenario";
import { DEMO_EDITOR_ENV, DEMO_EDITOR_SETTINGS, demoSettings, type DemoLlm } from "./settings";
import { packageVsix, type Packaging } from "./vsix";

export const AGENT_KEY_ID = "atl-demo";
/** The staged fault's process name (`comm` keeps 15 characters): what ps, top and the diagnosis show. */
export const BURNER_NAME = "atl-demo-burner";
/** Where --services-only writes the workspace VS Code desktop opens (.vscode/launch.json). */
export const DESKTOP_WORKSPACE = join(repoRoot, ".demo", "workspace");

export interface RunningDemo {
  /** The address to open; null with --services-only. */
  editorUrl: string | null;
  workspace: string;
  emulator: { endpoint: string; queueUrl: string; topicArn: string };
  agent: { url: string; pid: number; secretFile: string; user: string | null };
  burner: { name: string; pid: number; threads: number };
  instanceId: string;
  llm: DemoLlm;
  /** Temporary folders the demo created (all removed on stop). */
  folders: string[];
  /** Publishes the CPU alarm again with the current time. */
  publishAlarm(): Promise<Date>;
}

/** The step being started, for progress lines. */
export type Progress = (step: string) => void;

export async function startDemo(options: DemoOptions, lifecycle: Lifecycle, progress: Progress): Promise<RunningDemo> {
  const choice = takeLlmChoice(process.env);
  if (!options.servicesOnly) {
    if (options.port !== null) {
      await assertPortFree(options.port);
    }
  }

  const folders: string[] = [];
  // The editor's folder: the VSIX and the workspace the editor opens.
  let folder: string | null = null;
  let packaging: Packaging | null = null;
  if (!options.servicesOnly) {
    folder = mkdtempSync(join(tmpdir(), "atl-demo-"));
    lifecycle.addFolder("the demo folder", folder);
    folders.push(folder);
    // The VSIX packs while the services start (vsce is the slow part of start-up).
    progress("packaging the extension (vsce)");
    packaging = packageVsix(folder);
    lifecycle.add(packaging);
  }

  progress("starting the SQS/SNS emulator (fauxqs)");
  const emulator = await startDemoEmulator({ region: DEMO_REGION, topic: DEMO_TOPIC, queue: DEMO_QUEUE });
  lifecycle.add({ name: "the SQS/SNS emulator", stop: () => emulator.stop() });
  lifecycle.checkpoint();

  // As root, the agent runs as `nobody`, as the systemd unit runs it under a dedicated user: the
  // approved commands never run as root.
  const agentUser = process.getuid?.() === 0 && userExists("nobody") ? "nobody" : null;
  progress(`starting the ATL agent with a fresh key${agentUser ? ` (as ${agentUser})` : ""}`);
  const agent: RunningAgent = await startAgent({ bundle: true, keyId: AGENT_KEY_ID, ...(agentUser ? { user: agentUser } : {}) });
  lifecycle.add({
    name: "the ATL agent",
    stop: async () => {
      await agent.stop();
    },
    kill: () => {
      agent.process.kill("SIGKILL");
      remove(agent.dir);
    },
  });
  folders.push(agent.dir);
  lifecycle.checkpoint();

  const llm = await startLlm(choice, lifecycle);
  lifecycle.checkpoint();

  progress("staging the fault: a process burning a CPU core");
  // Nice -10 (root only; ignored otherwise) keeps it the top consumer on a busy machine, as a
  // runaway on a production host is; it still spins one core only.
  const burner = await startCpuHog({ name: BURNER_NAME, app: "atl-demo", threads: 1, nice: -10 });
  lifecycle.add({ name: `the fault (${burner.name})`, stop: () => burner.stop(), kill: () => killPid(burner.pid) });
  lifecycle.checkpoint();

  const instanceId = demoInstanceId();
  const settings = demoSettings({
    queueUrl: emulator.queueUrl,
    endpoint: emulator.endpoint,
    agent: { url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile },
    instanceId,
    aliases: [hostname()],
    llm,
  });

  const workspace = resolve(options.workspace ?? (folder ? join(folder, "workspace") : DESKTOP_WORKSPACE));
  const info = {
    emulator: { endpoint: emulator.endpoint, queueUrl: emulator.queueUrl, topicArn: emulator.topicArn },
    agent: { url: agent.url, pid: agent.pid, secretFile: agent.secretFile, user: agentUser },
    burner: { name: burner.name, pid: burner.pid, threads: burner.threads },
    instanceId,
    llm,
  };
  // A folder of the user's keeps its own files; the demo's folders are the demo's to overwrite.
  const ownsWorkspace = options.workspace === null;
  if (ownsWorkspace && options.servicesOnly) {
    lifecycle.addFolder("the desktop workspace", workspace);
    folders.push(workspace);
  }
  writeWorkspace(workspace, ownsWorkspace, lifecycle, info, options.servicesOnly ? settings : null);

  let editorUrl: string | null = null;
  if (packaging) {
    const vsix = await packaging.done;
    lifecycle.checkpoint();
    progress("starting code-server with the extension installed");
    const server = await startEditor(lifecycle, { vsix, workspace, port: options.port, settings });
    folders.push(server.dirs.root);
    editorUrl = new URL(`?folder=${encodeURIComponent(workspace)}`, server.url).toString();
  }

  const publishAlarm = async (): Promise<Date> => {
    const alarm = demoCpuAlarm(instanceId);
    await emulator.publish(alarm.message, alarm.subject);
    return alarm.changedAt;
  };
  progress(`publishing the CloudWatch alarm ${DEMO_ALARM_NAME} through SNS`);
  await publishAlarm();
  return { ...info, editorUrl, workspace, folders, publishAlarm };
}

async function startLlm(choice: LlmChoice, lifecycle: Lifecycle): Promise<DemoLlm> {
  switch (choice.kind) {
    case "none":
      return { kind: "none", description: "none: the built-in runbooks plan and analyse (set OPENAI_API_KEY to use a model)" };
    case "direct":
      return { kind: "compatible", baseUrl: choice.baseUrl, model: choice.model, description: `${choice.model} at ${choice.baseUrl} (ATL_LLM_BASE_URL)` };
    case "relay": {
      const relay = await startLlmRelay({ target: choice.target, apiKey: choice.apiKey });
      lifecycle.add({ name: "the LLM relay", stop: () => relay.close() });
      return {
        kind: "compatible",
        baseUrl: relay.url,
        model: choice.model,
        description: `${choice.model} at ${new URL(choice.target).origin}, through a relay on 127.0.0.1:${relay.port} that adds your key (it is in no file or setting)`,
      };
    }
  }
}

interface StartEditorInput {
  vsix: string;
  workspace: string;
  port: number | null;
  settings: Record<string, unknown>;
}

async function startEditor(lifecycle: Lifecycle, input: StartEditorInput): Promise<CodeServer> {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  const server = await CodeServer.start({
    label: "demo-editor",
    vsix: [input.vsix],
    workspace: input.workspace,
    port: input.port ?? undefined,
    userSettings: { ...DEMO_EDITOR_SETTINGS, ...input.settings },
    env: { ...DEMO_EDITOR_ENV },
  }).catch((error: unknown) => {
    throw portInUse(error, input.port) ?? error;
  });
  // The helper exits the process at once on a signal (right for tests); the demo stops its parts
  // in order instead. Its exit hook, which kills anything left, stays.
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.includes(listener)) {
        process.off(signal, listener);
      }
    }
  }
  lifecycle.add({
    name: "code-server",
    stop: async () => {
      await server.stop();
      await untilGone(server.dirs.root);
    },
  });
  return server;
}

/**
 * Waits until no process carries the server's tag any more: stop() sends the last SIGKILLs
 * without waiting for them to land, and the demo says "nothing is left" only when it is true.
 */
async function untilGone(tag: string, timeoutMs = 20_000): Promise<void> {
  const needle = Buffer.from(`ATL_TEST_TAG=${tag}\0`);
  const tagged = (): number[] =>
    readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
      .filter((name) => {
        try {
          return readFileSync(`/proc/${name}/environ`).includes(needle);
        } catch {
          return false;
        }
      })
      .map(Number);
  const deadline = Date.now() + timeoutMs;
  for (let left = tagged(); left.length > 0; left = tagged()) {
    if (Date.now() > deadline) {
      throw new Error(`processes ${left.join(", ")} did not end`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function portInUse(error: unknown, port: number | null): AtlError | null {
  if (port !== null && error instanceof Error && /EADDRINUSE/.test(error.message)) {
    return new AtlError("config", `Port ${port} on 127.0.0.1 is in use.`, { fix: "Choose another with --port, or leave --port out to use a free one." });
  }
  return null;
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new AtlError("config", `Port ${port} on 127.0.0.1 is in use.`, { fix: "Choose another with --port, or leave --port out to use a free one." })
          : error,
      );
    });
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolvePort()));
  });
}

type WorkspaceInfo = Pick<RunningDemo, "emulator" | "agent" | "burner" | "instanceId" | "llm">;

/**
 * The folder the editor opens: a README with what to click (it opens at start), and for VS Code
 * desktop the demo settings in .vscode/settings.json. Only the files written here are removed on
 * stop. In a folder of the user's an existing README stays, and existing settings stop the demo.
 */
function writeWorkspace(
  workspace: string,
  owned: boolean,
  lifecycle: Lifecycle,
  info: WorkspaceInfo,
  desktopSettings: Record<string, unknown> | null,
): void {
  const makeDir = (dir: string): void => {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      // Removed on stop when the demo made it and it is empty again.
      lifecycle.add({ name: `the folder ${dir}`, stop: () => rmdir(dir).catch(() => undefined), kill: () => rmdirSync(dir) });
    }
  };
  makeDir(workspace);
  const write = (file: string, text: string, name: string): void => {
    writeFileSync(file, text);
    lifecycle.add({ name, stop: () => rm(file, { force: true }), kill: () => remove(file) });
  };
  if (desktopSettings) {
    const dir = join(workspace, ".vscode");
    const file = join(dir, "settings.json");
    if (!owned && existsSync(file)) {
      throw new AtlError("config", `${file} exists; the demo does not overwrite settings of yours.`, {
        fix: "Pass an empty folder to --workspace, or leave --workspace out.",
      });
    }
    makeDir(dir);
    write(file, `${JSON.stringify({ ...DEMO_EDITOR_SETTINGS, ...desktopSettings }, null, 2)}\n`, "the demo settings");
  }
  const readme = join(workspace, "README.md");
  if (owned || !existsSync(readme)) {
    write(readme, workspaceReadme(info, desktopSettings !== null), "the demo README");
  }
}

export function workspaceReadme(info: WorkspaceInfo, desktop: boolean): string {
  const where = desktop ? "this Extension Development Host window" : "this browser tab (code-server, VS Code in the browser)";
  return `# ATL demo

ATL turns a CloudWatch alarm into a reviewed diagnosis without leaving the editor. Everything in
this demo runs on this machine, on 127.0.0.1 only, and stops with Ctrl-C in the demo's terminal.

| Part | Here |
| --- | --- |
| CloudWatch → SNS → SQS | the fauxqs emulator at ${info.emulator.endpoint}, topic \`${DEMO_TOPIC}\` → queue \`${DEMO_QUEUE}\` |
| The host | this machine as \`${DEMO_HOST}\` (EC2 instance \`${info.instanceId}\`), reached through the ATL agent at ${info.agent.url} with a fresh key |
| The fault | \`${info.burner.name}\` (pid ${info.burner.pid}), a runaway process burning ${info.burner.threads === 1 ? "one CPU core" : `${info.burner.threads} CPU cores`} |
| The alarm | \`${DEMO_ALARM_NAME}\`: CPUUtilization > 80 % on \`${info.instanceId}\`, published through SNS |
| The LLM | ${info.llm.description} |

## What to click in ${where}

1. Click the **ATL** icon in the activity bar. The **Alarms** view shows \`${DEMO_ALARM_NAME}\`
   under *ALARM*. ATL has already started on it: the row says *plan waits for approval*, and a
   notification says the plan is ready (**Review**).
2. Click the alarm (or **Review**). Its diagnosis opens with the commands ATL planned, each
   labelled by the command policy: *read-only*, *mutating* or *refused*. Nothing has run yet:
   with no approval rule, ATL asks first (**Always allow…** next to a command makes a rule).
3. Click **Run selected**. The agent runs the approved commands on this machine; the diagnosis
   names \`${info.burner.name}\` as the process using the CPU.
4. **Open report**, **Save report** or **Copy for ticket** keep the result.
5. Ask your own question: Command Palette (F1) → **ATL: Diagnose host** → \`${DEMO_HOST}\` →
   e.g. "is the memory ok?".

Press Enter in the demo's terminal to publish the alarm again.
`;
}

function userExists(name: string): boolean {
  try {
    return readFileSync("/etc/passwd", "utf8").split("\n").some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

function remove(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}
