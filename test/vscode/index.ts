// Runs inside the real extension host (the `extensionTestsPath` module): mocha over every bundled
// suite in ./suite. VS Code calls run(); a rejection ends the host with exit code 1.
import Mocha from "mocha";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { format } from "node:util";

/** Marks the reporter's lines in the forwarded extension-host console (run.ts keeps only these). */
export const REPORT_MARKER = "@@atl-test@@";
/** Marks the closing counts (JSON of InEditorCounts) among the report's lines. */
export const RESULT_MARKER = "@@atl-result@@";

/**
 * What the run counted, exactly: a test that never ran because a hook of its suite failed is
 * counted as cancelled (mocha's own summary leaves it out), and a hook failure with nothing
 * left to cancel counts once.
 */
export interface InEditorCounts {
  passed: number;
  failed: number;
  cancelled: number;
  skipped: number;
}

/** Marks a request from a suite to the runner for something only the page can do (suite/ui.ts). */
export const UI_MARKER = "@@atl-ui@@";

export async function run(): Promise<void> {
  // Stack traces point into the TypeScript sources (the bundles carry linked source maps).
  process.setSourceMapsEnabled(true);
  // The host forwards console.log(format, ...args) unformatted: format here, and mark the report.
  Mocha.reporters.Base.consoleLog = (...data: unknown[]) => {
    console.log(REPORT_MARKER + format(...data));
  };
  const mocha = new Mocha({ ui: "tdd", color: false, reporter: "spec", timeout: 60_000, slow: 10_000 });
  const grep = process.env.ATL_VSCODE_TEST_GREP;
  if (grep) {
    mocha.grep(grep);
  }
  const dir = join(__dirname, "suite");
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".test.js"))
    // The foundation suite first: when the extension does not even activate, say so before anything else.
    .sort((a, b) => Number(b === "foundation.test.js") - Number(a === "foundation.test.js") || a.localeCompare(b));
  for (const name of files) {
    mocha.addFile(join(dir, name));
  }
  let passed = 0;
  let failedTests = 0;
  let failedHooks = 0;
  let skipped = 0;
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on("pass", () => passed++);
    runner.on("pending", () => skipped++);
    // mocha's types say "test", but a failing hook is reported here too (type "hook").
    runner.on("fail", (runnable: Mocha.Runnable) => {
      if (runnable instanceof Mocha.Hook) {
        failedHooks++;
      } else {
        failedTests++;
      }
    });
    runner.once("end", () => {
      const cancelled = Math.max(0, runner.total - passed - failedTests - skipped);
      const counts: InEditorCounts = { passed, failed: failedTests + cancelled + (cancelled === 0 ? failedHooks : 0), cancelled, skipped };
      console.log(REPORT_MARKER + RESULT_MARKER + JSON.stringify(counts));
    });
  });
  if (failures > 0) {
    throw new Error(`${failures} in-editor test(s) failed`);
  }
}
