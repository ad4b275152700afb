// Command line of the in-editor runner: `node --import tsx test/vscode/main.ts [--grep TEXT] [--no-build]`.
import { runInEditorTests } from "./run";

const args = process.argv.slice(2);
const grepIndex = args.indexOf("--grep");
runInEditorTests({
  grep: grepIndex >= 0 ? args[grepIndex + 1] : process.env.ATL_VSCODE_TEST_GREP,
  skipBuild: args.includes("--no-build"),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`in-editor tests could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.log("0 passed, 1 failed");
    process.exitCode = 1;
  },
);
