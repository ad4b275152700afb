// `npm test`: the setup (scripts/lib/setup.ts: stops within seconds with the one command to run
// when a Debian package is missing and this is not root), then lint, typecheck, build and the test
// layers —
//   unit:        node:test suites that start no process and run no benchmark (`npm run test:unit`)
//   integration: node:test suites against real local services and processes, and the agent's
//   vscode:      mocha inside the real extension host of code-server, driven by headless Chromium
//   e2e:         Playwright against code-server with the packaged VSIX, what a person sees
// Every test file runs in its own process group under a deadline (scripts/lib/nodeTests.ts). Ends
// with one exact closing line, `N passed, N failed`: failed and cancelled tests of every layer, and
// each of lint, typecheck and build as one check.
//   node --import tsx scripts/test.ts [--only STAGES] [--skip STAGES] [--grep TEXT]
import { spawn } from "node:child_process";
import { addCounts, closingLine, countsDetail, emptyCounts, findTestFiles, interruption, runTestFiles, type Counts, type FileResult } from "./lib/nodeTests";
import { repoRoot, setup, setupFailure } from "./lib/setup";

const STAGES = ["lint", "typecheck", "build", "unit", "integration", "vscode", "e2e"] as const;
type Stage = (typeof STAGES)[number];

const USAGE = `Usage: npm test -- [--only STAGES] [--skip STAGES] [--grep TEXT]

  --only STAGES   comma-separated, of: ${STAGES.join(", ")}
  --skip STAGES   the same, left out
  --grep TEXT     unit, integration and e2e: files whose path contains TEXT;
                  vscode: tests whose title contains TEXT
npm run test:unit | test:integration | test:vscode | test:e2e run one layer.`;

/** How long one test file may run before it is stopped (the run goes on with the next). */
function fileTimeoutMs(file: string): number {
  const override = Number(process.env.ATL_TEST_FILE_TIMEOUT);
  if (override > 0) {
    return override * 1000;
  }
  // A unit process runs half of the unit files.
  return file.startsWith("test/unit/") ? 5 * 60_000 : 10 * 60_000;
}

interface TestArgs {
  only: Set<Stage> | null;
  skip: Set<Stage>;
  grep: string | undefined;
  help: boolean;
}

class UsageError extends Error {}

function parseTestArgs(argv: readonly string[]): TestArgs {
  const args: TestArgs = { only: null, skip: new Set(), grep: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (what: string): string => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--") || next === "") {
        throw new UsageError(`${flag} needs a value: ${what}`);
      }
      i++;
      return next;
    };
    const stages = (): Set<Stage> => {
      const names = value(`comma-separated stages (${STAGES.join(", ")})`).split(",");
      const unknown = names.filter((name) => !(STAGES as readonly string[]).includes(name));
      if (unknown.length > 0) {
        throw new UsageError(`${flag}: unknown stage ${unknown.join(", ")} (stages: ${STAGES.join(", ")})`);
      }
      return new Set(names as Stage[]);
    };
    switch (flag) {
      case "--only":
        args.only = stages();
        break;
      case "--skip":
        args.skip = stages();
        break;
      case "--grep":
        args.grep = value("part of a file path (or of an in-editor test title)");
        break;
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  return args;
}

interface StageResult {
  name: Stage;
  counts: Counts;
  /** lint, typecheck, build: one check, no test counts. */
  check: boolean;
  seconds: number;
  problems: string[];
}

/** Runs a command with its output streamed; resolves with its exit code. */
function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (error) => {
      console.error(`${command}: ${error.message}`);
      resolvePromise(1);
    });
    child.on("close", (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

const bin = (name: string): string => `${repoRoot}/node_modules/.bin/${name}`;

async function checkStage(name: Stage, commands: [string, string[]][]): Promise<StageResult> {
  const started = performance.now();
  for (const [command, args] of commands) {
    if ((await run(command, args)) !== 0) {
      return { name, check: true, counts: { ...emptyCounts(), failed: 1 }, seconds: (performance.now() - started) / 1000, problems: [`${name} failed (see above)`] };
    }
  }
  return { name, check: true, counts: { ...emptyCounts(), passed: 1 }, seconds: (performance.now() - started) / 1000, problems: [] };
}

function fileStage(name: Stage, files: FileResult[], seconds: number): StageResult {
  return {
    name,
    check: false,
    counts: files.reduce((sum, f) => addCounts(sum, f), emptyCounts()),
    seconds,
    problems: files.flatMap((f) => f.problems.map((p) => `${f.file}: ${p}`)),
  };
}

async function nodeStage(name: "unit" | "integration", grep: string | undefined): Promise<StageResult> {
  const started = performance.now();
  const files = name === "unit" ? findTestFiles("test/unit", ".test.ts", grep) : [...findTestFiles("test/integration", ".test.ts", grep), ...findTestFiles("agent/test", ".test.ts", grep)];
  if (files.length === 0) {
    console.log(grep ? `no ${name} test file matches ${JSON.stringify(grep)}` : `no ${name} test files found`);
    return { name, check: false, counts: grep ? emptyCounts() : { ...emptyCounts(), failed: 1 }, seconds: 0, problems: grep ? [] : [`no ${name} test files`] };
  }
  // Unit files start no process: they share two processes (a quarter of the CPU of one each).
  // Integration files each get a process group of their own, so whatever one starts is stopped.
  const batches = name === "unit" ? 2 : undefined;
  console.log(batches ? `${files.length} file(s) in ${batches} processes` : `${files.length} file(s), 2 at a time, each in its own process group`);
  const results = await runTestFiles(files, { concurrency: 2, fileTimeoutMs, ...(batches ? { batches } : {}) });
  return fileStage(name, results, (performance.now() - started) / 1000);
}

async function vscodeStage(grep: string | undefined): Promise<StageResult> {
  const started = performance.now();
  const { runInEditorTests } = await import("../test/vscode/run");
  const { code, counts } = await runInEditorTests({ grep, skipBuild: true });
  const problems = counts.failed > 0 || code !== 0 ? [`in-editor tests: ${countsDetail(counts)}, host exit code ${code} (see above)`] : [];
  return { name: "vscode", check: false, counts, seconds: (performance.now() - started) / 1000, problems };
}

async function e2eStage(grep: string | undefined): Promise<StageResult> {
  const started = performance.now();
  const { runE2eTests } = await import("../test/e2e/run");
  const { files } = await runE2eTests({ grep });
  if (files.length === 0) {
    return { name: "e2e", check: false, counts: { ...emptyCounts(), failed: 1 }, seconds: 0, problems: ["no UI test file matched"] };
  }
  return fileStage("e2e", files, (performance.now() - started) / 1000);
}

async function main(): Promise<number> {
  let args: TestArgs;
  try {
    args = parseTestArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`npm test: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const wanted = (stage: Stage): boolean => (args.only === null || args.only.has(stage)) && !args.skip.has(stage);
  const selected = STAGES.filter(wanted);

  // Before any suite: Debian packages, the agent's dependencies, code-server when a layer needs it.
  // Lint, typecheck, build and the unit layer need none of it.
  if (selected.some((stage) => stage === "integration" || stage === "vscode" || stage === "e2e")) {
    console.log("━━━ setup ━━━");
    try {
      await setup({ codeServer: selected.includes("vscode") || selected.includes("e2e") });
    } catch (error) {
      process.stderr.write(setupFailure(error));
      console.log("\nnpm test stopped before running any test: the setup above could not finish.");
      console.log("0 passed, 1 failed");
      return 1;
    }
  }

  const results: StageResult[] = [];
  for (const stage of selected) {
    if (interruption()) {
      break;
    }
    console.log(`\n━━━ ${stage} ━━━`);
    switch (stage) {
      case "lint":
        results.push(await checkStage(stage, [[bin("eslint"), ["--max-warnings", "0", "."]]]));
        break;
      case "typecheck":
        results.push(await checkStage(stage, [".", "src/webview", "agent"].map((project) => [bin("tsc"), ["-p", project, "--noEmit"]])));
        break;
      case "build":
        results.push(await checkStage(stage, [[process.execPath, ["esbuild.mjs"]]]));
        break;
      case "unit":
      case "integration":
        results.push(await nodeStage(stage, args.grep));
        break;
      case "vscode":
        if (!selected.includes("build")) {
          // The in-editor layer runs the built extension: build it when the build stage did not.
          results.push(await checkStage("build", [[process.execPath, ["esbuild.mjs", "--only", "extension,graph,webview"]]]));
        }
        results.push(await vscodeStage(args.grep));
        break;
      case "e2e":
        results.push(await e2eStage(args.grep));
        break;
    }
  }

  const total = results.reduce((sum, r) => addCounts(sum, r.counts), emptyCounts());
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) {
    console.log("\n━━━ failures ━━━");
    for (const problem of problems) {
      console.log(`✘ ${problem}`);
    }
  }
  console.log("\n━━━ summary ━━━");
  for (const r of results) {
    const ok = r.counts.failed === 0;
    const detail = r.check ? (ok ? "passed" : "failed") : countsDetail(r.counts);
    console.log(`${ok ? "✔" : "✘"} ${r.name}: ${detail} in ${r.seconds.toFixed(1)} s`);
  }
  const signal = interruption();
  if (signal) {
    console.log(`interrupted (${signal}): the stages after ${results[results.length - 1]?.name ?? "the setup"} did not run`);
  }
  console.log(closingLine(total));
  return signal ? 130 : total.failed > 0 || results.length === 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`npm test: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.log("0 passed, 1 failed");
    process.exitCode = 1;
  },
);
