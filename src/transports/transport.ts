// What the graph's execute node needs from a host connection. AgentTransport (HTTP agent) and
// SshTransport (node-ssh) implement it; both check commands with the policy before sending.
import type { ExecResult } from "../../agent/src/protocol";

export type { ExecResult };

export interface ExecOptions {
  /** Per command, seconds. */
  timeoutSec: number;
  signal?: AbortSignal;
  /** Called as each command finishes (streaming progress). */
  onResult?: (result: ExecResult, index: number) => void;
}

export interface HostHealth {
  reachable: boolean;
  /** Round trip in ms when reachable. */
  latencyMs: number | null;
  /** Agent version or SSH server banner. */
  version: string | null;
  error: string | null;
}

export interface Transport {
  readonly kind: "agent" | "ssh";
  /** Runs the commands in order; refused ones are reported, not run. */
  exec(commands: string[], options: ExecOptions): Promise<ExecResult[]>;
  health(signal?: AbortSignal): Promise<HostHealth>;
  dispose(): void;
}
