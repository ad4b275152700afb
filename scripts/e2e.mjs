// Layer 3 of `npm test`: UI end-to-end tests, Playwright (playwright-core + Debian Chromium)
// against code-server with the packaged ATL installed; screenshots in test-results/e2e/.
//   node scripts/e2e.mjs [--grep TEXT]
// Installs code-server first when it is missing. Ends with `N passed, N failed`.
import { spawn } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const child = spawn(process.execPath, ["--import", "tsx", "test/e2e/main.ts", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
