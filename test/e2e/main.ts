// Command line of the UI layer: `node --import tsx test/e2e/main.ts [--grep TEXT]` (the runner is
// test/e2e/run.ts). Ends with `N passed, N failed`.
import { closingLine } from "../../scripts/lib/nodeTests";
import { runE2eTests } from "./run";

const args = process.argv.slice(2);
const grepIndex = args.indexOf("--grep");
const grep = grepIndex >= 0 ? args[grepIndex + 1] : undefined;
if (grepIndex >= 0 && (grep === undefined || grep.startsWith("--"))) {
  console.error("e2e: --grep needs a value (part of a file path, e.g. --grep chat)");
  process.exitCode = 2;
} else {
  runE2eTests({ grep }).then(
    ({ counts }) => {
      console.log(closingLine(counts));
      process.exitCode = counts.failed > 0 ? 1 : 0;
    },
    (error: unknown) => {
      console.error(`e2e tests could not run: ${error instanceof Error ? error.message : String(error)}`);
      console.log("0 passed, 1 failed");
      process.exitCode = 1;
    },
  );
}
