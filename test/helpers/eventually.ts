// The one way a test waits for something to happen: poll a check until it holds, with a generous
// deadline (two shared cores: nothing may depend on wall-clock speed). Used by every test layer —
// node:test suites, the agent's tests and the in-editor suites (bundled into the extension host).
import { AssertionError } from "node:assert";

/**
 * Polls `check` every 100 ms until it returns a value other than `undefined`, `null` or `false`,
 * and returns that value (so a wait can also fetch what it waited for). A check that throws is
 * tried again; at the deadline the last thrown error is rethrown (an assertion's own message says
 * the most), otherwise an AssertionError naming `what`.
 */
export async function eventually<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000, what = "the condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      if (lastError !== undefined) {
        throw lastError instanceof Error ? lastError : new Error(`${what}: ${JSON.stringify(lastError)}`);
      }
      throw new AssertionError({ message: `timed out after ${timeoutMs / 1000} s waiting for ${what}` });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
