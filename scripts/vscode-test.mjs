// Layer 2 of `npm test`: mocha inside the real extension host of code-server 4.139.1, driven by
// headless Chromium. Installs code-server first when it is missing (a new CI machine).
//   node scripts/vscode-test.mjs [--grep TEXT] [--no-build]
// Drop a suite in test/vscode/suite/<name>.test.ts and it runs. Prints mocha's report and a closing
// `N passed, N failed`; exits non-zero when a test fails or the host never reports.
import { spawn } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
// The runner is TypeScript (it shares test/helpers/codeServer.ts with the UI tests): run it with tsx.
const child = spawn(process.execPath, ["--import", "tsx", "test/vscode/main.ts", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
// Ctrl-C reaches the child through the terminal; a plain kill of this process is passed on.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
