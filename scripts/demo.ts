// `npm run demo`: ATL's whole loop on this machine with nothing but this repository — no AWS
// account, no OpenAI key. Starts the parts (scripts/demo/session.ts), prints the URL and what to
// click, republishes the alarm on Enter, and on Ctrl-C/SIGTERM/SIGHUP stops everything it started
// and removes what it wrote. `npm run demo -- --help` for the flags.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { AtlError } from "../src/shared/errors";
import { repoRoot, setup, setupFailure } from "./lib/setup";
import { Lifecycle, StopRequested } from "./demo/lifecycle";
import { parseDemoArgs, USAGE, type DemoOptions } from "./demo/options";
import { DEMO_ALARM_NAME, DEMO_HOST } from "./demo/scenario";
import { startDemo, type RunningDemo } from "./demo/session";

/** Printed when the parts run; .vscode/tasks.json waits for it (services-only). */
export const READY_LINE = "ATL demo is ready.";
/** Printed first; .vscode/tasks.json's background task begins here. */
export const STARTING_LINE = "ATL demo: starting";

const print = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

function describe(error: unknown): string {
  if (error instanceof AtlError) {
    return error.userMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

function summary(demo: RunningDemo, options: DemoOptions, startedMs: number): string[] {
  const lines = [
    "",
    `${READY_LINE} Everything runs on 127.0.0.1; Ctrl-C stops it all. (Started in ${Math.round(startedMs / 1000)} s.)`,
    "",
    ...(demo.editorUrl ? [`  Editor    ${demo.editorUrl}`] : []),
    `  Queue     ${demo.emulator.queueUrl} (fauxqs at ${demo.emulator.endpoint}, SNS topic → SQS queue)`,
    `  Agent     ${demo.agent.url} (pid ${demo.agent.pid}${demo.agent.user ? `, as ${demo.agent.user}` : ""}), this machine as ${DEMO_HOST} (${demo.instanceId}); key in ${demo.agent.secretFile} (mode 600)`,
    `  Fault     ${demo.burner.name} (pid ${demo.burner.pid}) burning ${demo.burner.threads === 1 ? "one CPU core" : `${demo.burner.threads} CPU cores`}`,
    `  Alarm     ${DEMO_ALARM_NAME} (OK → ALARM) published through SNS`,
    `  LLM       ${demo.llm.description}`,
    `  Files     ${demo.folders.join(", ")}`,
    "",
  ];
  if (options.servicesOnly) {
    lines.push(
      "VS Code desktop: Run and Debug → \"Run ATL (demo settings)\" (F5) opens an Extension Development Host on",
      `  ${demo.workspace} — its .vscode/settings.json points ATL at these services.`,
    );
  } else {
    lines.push(`Open ${demo.editorUrl} in a browser on this machine, then:`);
  }
  lines.push(
    "  1. Click the ATL icon in the activity bar: the Alarms view shows " + DEMO_ALARM_NAME + " under ALARM.",
    "  2. Hover it and click Diagnose alarm (or Diagnose on the notification): a chat panel proposes commands,",
    "     each labelled read-only / mutating / refused by the command policy. Nothing has run yet.",
    `  3. Click Run selected: the agent runs them on this machine and the diagnosis names ${demo.burner.name}.`,
    "  4. Open report / Save report / Copy for ticket. Or F1 → ATL: Diagnose host with your own question.",
    "",
    process.stdin.isTTY ? "Enter publishes the alarm again. Ctrl-C stops everything." : "Ctrl-C (SIGINT) or SIGTERM stops everything.",
  );
  return lines;
}

/** Opens the URL in the desktop's browser when there is a desktop; the URL is printed anyway. */
function openBrowser(url: string): void {
  const opener = process.platform === "darwin" ? "open" : process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? "xdg-open" : null;
  if (!opener) {
    print("(No desktop here: open the URL yourself, e.g. through an SSH tunnel: ssh -L PORT:127.0.0.1:PORT this-host.)");
    return;
  }
  const child = spawn(opener, [url], { stdio: "ignore", detached: true });
  child.on("error", () => print(`(Could not run ${opener}: open the URL yourself.)`));
  child.unref();
}

/** `node esbuild.mjs`: every bundle the demo runs (extension, graph, webview, agent, CLI). */
function build(signal: AbortSignal): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, ["esbuild.mjs"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"], signal });
    child.on("error", reject);
    child.on("close", (code, sig) => (code === 0 ? resolveBuild() : reject(new Error(`esbuild.mjs failed (${code ?? sig}); see above`))));
  });
}

async function main(): Promise<number> {
  // A closed terminal (SIGHUP) makes writes fail with EIO/EPIPE: the stop must still run to the end.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  let options: DemoOptions;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`npm run demo: ${describe(error)}\n`);
    return 2;
  }
  if (options.help) {
    print(USAGE);
    return 0;
  }

  const lifecycle = new Lifecycle();
  let signalled: NodeJS.Signals | null = null;
  let stopped: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  // Stops the setup and the build under way (their child processes) on a signal.
  const preparing = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    // npm forwards the terminal's Ctrl-C as well: one stop, whatever arrives next.
    if (signalled) {
      return;
    }
    signalled = signal;
    print(`\n${signal}: stopping the demo…`);
    preparing.abort();
    void lifecycle.stopAll();
    stopped();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, onSignal);
  }

  print(`${STARTING_LINE}${options.servicesOnly ? " (services only)" : ""}…`);
  const started = performance.now();
  // The same setup as npm test: Debian packages (a CJK font for the Korean text among them), the
  // agent's dependencies, code-server. Not root and something missing: the command, in seconds.
  try {
    await setup({ codeServer: !options.servicesOnly, signal: preparing.signal, say: (message) => print(`  · ${message}`) });
    if (!signalled) {
      print("  · building the extension, the agent and the CLI (esbuild)");
      await build(preparing.signal);
    }
  } catch (error) {
    if (!signalled) {
      process.stderr.write(error instanceof Error && error.message.startsWith("esbuild") ? `npm run demo: ${error.message}\n` : setupFailure(error));
      return 1;
    }
  }
  let demo: RunningDemo | null = null;
  let failure: unknown = null;
  if (!signalled) {
    try {
      demo = await startDemo(options, lifecycle, (step) => print(`  · ${step}`));
    } catch (error) {
      failure = error;
    }
  }

  let lines: ReturnType<typeof createInterface> | null = null;
  if (demo && !lifecycle.stopping) {
    // One write: readers of the output (the VS Code task, tests) see the summary whole.
    print(summary(demo, options, performance.now() - started).join("\n"));
    if (options.openBrowser && demo.editorUrl) {
      openBrowser(demo.editorUrl);
    }
    // Each line on stdin (Enter in a terminal) publishes the alarm again; no stdin, no effect.
    const running = demo;
    lines = createInterface({ input: process.stdin });
    lines.on("line", () => {
      running.publishAlarm().then(
        (at) => print(`Published ${DEMO_ALARM_NAME} again (ALARM at ${at.toISOString()}).`),
        (error: unknown) => print(`Could not publish the alarm: ${describe(error)}`),
      );
    });
    await stopRequested;
  } else if (failure && !(failure instanceof StopRequested) && !lifecycle.stopping) {
    process.stderr.write(`npm run demo: ${describe(failure)}\n`);
  }

  lines?.close();
  process.stdin.destroy();
  const problems = [...(await lifecycle.stopAll()), ...(await lifecycle.settle())];
  for (const problem of new Set(problems)) {
    process.stderr.write(`npm run demo: could not stop ${problem}\n`);
  }
  print(problems.length === 0 ? "Stopped: no process, port or file of the demo is left." : "Stopped, with the problems above.");
  if (failure && !(failure instanceof StopRequested) && !signalled) {
    return 1;
  }
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run demo: ${describe(error)}\n`);
    process.exit(1);
  },
);
