// Layer 3 runner: installs code-server when missing, packages ATL once with `npm run package`, then
// runs every test/e2e/**/*.e2e.ts with node:test, one file at a time (each starts its own
// code-server and Chromium), under a deadline per file. `npm test` calls runE2eTests() in its own
// process; test/e2e/main.ts is the command line.
import { relative } from "node:path";
import { emptyCounts, addCounts, findTestFiles, runTestFiles, type Counts, type FileResult } from "../../scripts/lib/nodeTests";
import { ensureCodeServerInstalled, repoRoot } from "../helpers/codeServer";
import { packageVsix } from "./harness";

/** A file of this layer may take this long (one code-server and Chromium, several screens). */
const FILE_TIMEOUT_MS = 15 * 60_000;

export interface LayerResult {
  counts: Counts;
  files: FileResult[];
}

export async function runE2eTests(options: { grep?: string } = {}): Promise<LayerResult> {
  await ensureCodeServerInstalled({ always: true });
  const files = findTestFiles("test/e2e", ".e2e.ts", options.grep);
  if (files.length === 0) {
    console.log("e2e: no test/e2e/**/*.e2e.ts files matched");
    return { counts: { ...emptyCounts(), failed: 1 }, files: [] };
  }
  console.log("e2e: npm run package…");
  const vsix = packageVsix();
  console.log(`e2e: ${relative(repoRoot, vsix)}; running ${files.join(", ")}`);
  const results = await runTestFiles(files, { concurrency: 1, fileTimeoutMs: FILE_TIMEOUT_MS, env: { ...process.env, ATL_E2E_VSIX: vsix } });
  return { counts: results.reduce((sum, r) => addCounts(sum, r), emptyCounts()), files: results };
}
