// Command line of the in-editor runner: `node --import tsx test/vscode/main.ts [--grep TEXT] [--no-build]`.
// Ends with `N passed, N failed`.
import { closingLine } from "../../scripts/lib/nodeTests";
import { runInEditorTests } from "./run";

const args = process.argv.slice(2);
const grepIndex = args.indexOf("--grep");
const grep = grepIndex >= 0 ? args[grepIndex + 1] : process.env.ATL_VSCODE_TEST_GREP;
if (grepIndex >= 0 && (grep === undefined || grep.startsWith("--"))) {
  console.error("in-editor tests: --grep needs a value (part of a test title)");
  process.exitCode = 2;
} else {
  runInEditorTests({ grep, skipBuild: args.includes("--no-build") }).then(
    ({ code, counts }) => {
      console.log(closingLine(counts));
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`in-editor tests could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      console.log("0 passed, 1 failed");
      process.exitCode = 1;
    },
  );
}
