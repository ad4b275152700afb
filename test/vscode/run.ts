// Layer 2 runner (plain Node, outside the editor): builds the extension, bundles index.ts and every
// suite/*.test.ts, starts an isolated code-server with the smoke-test driver, opens it in headless
// Chromium with the extension-development + extension-tests payload, streams mocha's output and
// returns the extension host's exit code with exact counts. `npm test` calls it in its own process;
// test/vscode/main.ts is the command line.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { CodeServer, ensureCodeServerInstalled, repoRoot, Workbench } from "../helpers/codeServer";
import { REPORT_MARKER, RESULT_MARKER, UI_MARKER, type InEditorCounts } from "./index";
import { answerUiRequest } from "./uiBridge";

export interface InEditorRunOptions {
  /** Only tests whose full title matches (mocha --grep). */
  grep?: string;
  /** Skip `node esbuild.mjs` (the caller built already). */
  skipBuild?: boolean;
  /** Whole-run limit; generous because two shared cores also run other people's tests. */
  timeoutMs?: number;
}

const here = join(repoRoot, "test", "vscode");
const resultsDir = join(repoRoot, "test-results", "vscode");

/** The test language-model provider (test/vscode/lmProvider), installed beside ATL for each run. */
export const TEST_LM_EXTENSION_ID = "atl-team.atl-test-lm";

/** Bundles the in-host runner and the suites into a fresh git-ignored folder; returns index.js. */
async function bundleTests(): Promise<{ dir: string; index: string; suites: string[]; lmProvider: string }> {
  const suites = readdirSync(join(here, "suite"))
    .filter((name) => name.endsWith(".test.ts"))
    .sort();
  const base = join(repoRoot, ".vscode-test", "runs");
  mkdirSync(base, { recursive: true });
  // One folder per run: several people may run the layer at once in the same checkout.
  const dir = mkdtempSync(join(base, "vscode-"));
  await esbuild.build({
    entryPoints: [
      { in: join(here, "index.ts"), out: "index" },
      ...suites.map((name) => ({ in: join(here, "suite", name), out: `suite/${name.replace(/\.ts$/, "")}` })),
    ],
    outdir: dir,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    sourcemap: "linked",
    // vscode is the host's; mocha must be one instance shared by index.js and the suites, so it is
    // loaded from node_modules at run time (the folder is inside the checkout); esbuild cannot be bundled.
    external: ["vscode", "mocha", "esbuild", "cpu-features", "*.node"],
    logLevel: "warning",
  });
  // The test language-model provider is an extension of its own (its manifest beside its bundle).
  const lmProvider = join(dir, `${TEST_LM_EXTENSION_ID}-0.0.1`);
  await esbuild.build({
    entryPoints: [join(here, "lmProvider", "extension.ts")],
    outfile: join(lmProvider, "extension.js"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    external: ["vscode"],
    logLevel: "warning",
  });
  copyFileSync(join(here, "lmProvider", "package.json"), join(lmProvider, "package.json"));
  return { dir, index: join(dir, "index.js"), suites, lmProvider };
}

function build(): void {
  const result = spawnSync(process.execPath, ["esbuild.mjs", "--only", "extension,graph,webview"], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    throw new Error("the extension did not build (node esbuild.mjs failed, see above)");
  }
}

export interface InEditorResult {
  /** The extension host's exit code (1 when it never reported). */
  code: number;
  counts: InEditorCounts;
}

export async function runInEditorTests(options: InEditorRunOptions = {}): Promise<InEditorResult> {
  await ensureCodeServerInstalled({ always: true });
  if (!options.skipBuild) {
    build();
  }
  let counts: InEditorCounts | undefined;
  // Everything else the workbench logs (and what suites print): saved, shown on failure.
  const workbenchLog: string[] = [];
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let code: number;
  let tests: Awaited<ReturnType<typeof bundleTests>> | undefined;
  try {
    tests = await bundleTests();
    const bundled = tests.dir;
    // Interrupted (Ctrl-C): the helper exits the process; leave no bundle folder behind.
    process.once("exit", () => rmSync(bundled, { recursive: true, force: true }));
    console.log(`in-editor tests: ${tests.suites.length} suite file(s): ${tests.suites.join(", ")}`);
    server = await CodeServer.start({
      label: "vscode-test",
      smokeTestDriver: true,
      env: options.grep ? { ATL_VSCODE_TEST_GREP: options.grep } : {},
      // The test provider's models ask for consent like Copilot's (requiresAuthorization is a proposal).
      args: ["--enable-proposed-api", TEST_LM_EXTENSION_ID],
      // Installed, not in development: the payload loads a single development extension (ATL).
      extensionFolders: [tests.lmProvider],
      // The chat view on, so @atl can be driven as a user does (the participant suite): with AI
      // features off, VS Code activates no chat participant ("No activated agent with id …").
      // (No atl.* baseline here: the foundation suite removes every atl.* user setting; a suite
      // that must not triage arriving alarms turns atl.triage.onArrival off for itself.)
      userSettings: { "chat.disableAIFeatures": false },
    });
    console.log(`code-server ${server.url} (user data ${server.dirs.userData})`);
    workbench = await Workbench.open(server, {
      screenshots: "vscode",
      payload: { extensionDevelopmentPath: repoRoot, extensionTestsPath: tests.index },
      onLog: (_level, message) => {
        const ui = message.indexOf(UI_MARKER);
        if (ui >= 0) {
          void answerUiRequest(() => workbench, message.slice(ui + UI_MARKER.length));
          return;
        }
        const marked = message.indexOf(REPORT_MARKER);
        if (marked >= 0) {
          const line = message.slice(marked + REPORT_MARKER.length);
          if (line.startsWith(RESULT_MARKER)) {
            counts = JSON.parse(line.slice(RESULT_MARKER.length)) as InEditorCounts;
          } else {
            process.stdout.write(`${line}\n`);
          }
        } else {
          workbenchLog.push(message);
        }
      },
    });
    const timeoutMs = options.timeoutMs ?? 15 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        console.error(`in-editor tests: no result after ${timeoutMs / 1000} s`);
        resolve(1);
      }, timeoutMs);
    });
    code = await Promise.race([workbench.exitCode, timedOut]);
    clearTimeout(timer);
    if (code !== 0 || !counts) {
      const shot = await workbench.screenshot("failure").catch(() => undefined);
      console.error(`in-editor tests: extension host exited with ${code}${shot ? `; screenshot ${shot}` : ""}`);
      console.error("── workbench log (tail) ──");
      console.error(workbenchLog.join("\n").split("\n").slice(-40).join("\n"));
      console.error("── extension host log (tail) ──");
      console.error(server.extensionHostLog().split("\n").slice(-40).join("\n"));
    }
    if (!counts) {
      console.log("in-editor tests: the extension host ended without a result (did the tests load? see the logs above)");
      code = code === 0 ? 1 : code;
    }
    const activation = server.atlActivationMs();
    if (activation !== undefined) {
      console.log(`ATL activated in ${activation} ms inside code-server`);
    }
  } finally {
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, "workbench.log"), workbenchLog.join("\n") + "\n");
    await workbench?.close();
    await server?.stop();
    if (tests) {
      rmSync(tests.dir, { recursive: true, force: true });
    }
  }
  const final = counts ?? { passed: 0, failed: 0, cancelled: 0, skipped: 0 };
  // A host that failed (or never reported) with no failed test counted is one failure.
  return { code, counts: code !== 0 && final.failed === 0 ? { ...final, failed: 1 } : final };
}
