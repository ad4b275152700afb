// Results the transports produce themselves (without running anything on the host).
import type { ExecResult } from "./transport";

/** A command the policy refused: reported with the reason, never sent to the host. */
export function refusedResult(command: string, reason: string): ExecResult {
  return { command, decision: "refused", reason, exitCode: null, signal: null, stdout: "", stderr: "", durationMs: 0, truncated: false };
}
