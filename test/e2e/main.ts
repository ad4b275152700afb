// Layer 3 runner: `node --import tsx test/e2e/main.ts [--grep TEXT]` (scripts/e2e.mjs starts it).
// Installs code-server when missing, packages ATL once with `npm run package`, then runs every
// test/e2e/**/*.e2e.ts with node:test, one file at a time (each starts its own code-server and
// Chromium), and ends with `N passed, N failed`.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureCodeServerInstalled, repoRoot } from "../helpers/codeServer";
import { packageVsix } from "./harness";

function e2eFiles(grep: string | undefined): string[] {
  return readdirSync(join(repoRoot, "test", "e2e"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".e2e.ts"))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
    .filter((file) => !grep || file.includes(grep))
    .sort();
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const grep = args.includes("--grep") ? args[args.indexOf("--grep") + 1] : undefined;
  ensureCodeServerInstalled({ always: true });
  const files = e2eFiles(grep);
  if (files.length === 0) {
    console.log("e2e: no test/e2e/**/*.e2e.ts files matched");
    console.log("0 passed, 1 failed");
    return 1;
  }
  console.log("e2e: npm run package…");
  const vsix = packageVsix();
  console.log(`e2e: ${relative(repoRoot, vsix)}; running ${files.join(", ")}`);
  const { code, output } = await runNodeTests(files, { ...process.env, ATL_E2E_VSIX: vsix });
  const count = (name: string): number => Number(new RegExp(`^ℹ ${name} (\\d+)`, "m").exec(output)?.[1] ?? 0);
  const passed = count("pass");
  const failed = count("fail") + count("cancelled");
  console.log(`${passed} passed, ${code !== 0 && failed === 0 ? 1 : failed} failed`);
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`e2e tests could not run: ${error instanceof Error ? error.message : String(error)}`);
    console.log("0 passed, 1 failed");
    process.exitCode = 1;
  },
);
