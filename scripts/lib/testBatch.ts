// Entry of one process that runs many test files (the unit layer: files that start no process run
// in two shared processes instead of one each, a quarter of the CPU). Loads every file of
// ATL_TEST_BATCH (a JSON array of paths) before any test runs — synchronously, because
// --test-force-exit ends the process once the tests known so far have finished — and node:test
// runs them one after another. A file that fails to load becomes one failing test named after it.
import { test } from "node:test";

const files = JSON.parse(process.env.ATL_TEST_BATCH ?? "[]") as string[];
for (const file of files) {
  try {
    // tsx's require hook compiles the TypeScript (the repository is CommonJS to tsx).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  } catch (error) {
    void test(`${file} (could not be loaded)`, () => {
      throw error;
    });
  }
}
