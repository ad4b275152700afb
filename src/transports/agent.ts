// AgentTransport: runs commands on a host through its ATL agent (signed HTTP, agent/src/protocol.ts).
// Commands are checked with the local policy first (refused ones are reported, never sent) and sent
// one per request, so progress streams per command and a cancel stops between commands. The agent
// checks them again with its own policy.
import { AgentClient, AgentRequestError, type InfoResponse } from "../../agent/src/protocol";
import type { CommandPolicy } from "../../agent/src/policy/types";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import type { Logger } from "../shared/log";
import { sleep } from "../shared/sleep";
import type { ExecOptions, ExecResult, HostHealth, Transport } from "./transport";
import { refusedResult } from "./results";

const t: Translate = translate;

/** What the agent transport needs of an inventory entry (an `AgentHostEntry` is one). */
export interface AgentTarget {
  id: string;
  name: string;
  /** http(s)://host:9917 */
  url: string;
  keyId: string;
  /** Named in the fix of an authentication error. */
  secretFile?: string;
}

export interface AgentTransportOptions {
  host: AgentTarget;
  /** The shared secret (from SecretStorage or the host's secretFile). Never logged. */
  secret: string;
  /** PEM of the CA / self-signed certificate for https. */
  ca?: string | Buffer;
  policy: CommandPolicy;
  logger: Logger;
  /** On top of the commands' own timeout. Default 10 s. */
  requestTimeoutMs?: number;
  /** Longest wait honoured from Retry-After on 429 before the single retry. Default 10 s. */
  maxRetryWaitSec?: number;
}

export class AgentTransport implements Transport {
  readonly kind = "agent" as const;
  private readonly client: AgentClient;
  private disposed = false;

  constructor(private readonly options: AgentTransportOptions) {
    try {
      this.client = new AgentClient({
        url: options.host.url,
        keyId: options.host.keyId,
        secret: options.secret,
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
        ...(options.ca ? { ca: options.ca } : {}),
      });
    } catch (error) {
      throw this.toAtlError(error);
    }
  }

  async exec(commands: string[], options: ExecOptions): Promise<ExecResult[]> {
    const results: ExecResult[] = [];
    for (const [index, command] of commands.entries()) {
      throwIfCancelled(options.signal, this.options.host.id);
      const decision = this.options.policy.check(command);
      let result: ExecResult;
      if (decision.decision === "refused") {
        this.options.logger.info(`Not sending a refused command to ${this.options.host.id}: ${decision.reason}`);
        result = refusedResult(command, decision.reason);
      } else {
        result = await this.execOne(command, options);
      }
      results.push(result);
      options.onResult?.(result, index);
    }
    return results;
  }

  async health(signal?: AbortSignal): Promise<HostHealth> {
    const started = performance.now();
    try {
      const health = await this.client.health(signal);
      return { reachable: true, latencyMs: elapsed(started), version: health.version ?? null, error: null };
    } catch (error) {
      return { reachable: false, latencyMs: null, version: null, error: this.toAtlError(error).userMessage };
    }
  }

  /** Signed `GET /v1/info`: proves the key works and shows what the host is. */
  async info(signal?: AbortSignal): Promise<InfoResponse> {
    try {
      return await this.client.info(signal);
    } catch (error) {
      throw this.toAtlError(error);
    }
  }

  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      this.client.close();
    }
  }

  private async execOne(command: string, options: ExecOptions): Promise<ExecResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.client.exec([command], options.timeoutSec, options.signal);
        const result = response?.results?.[0];
        if (!result || typeof result.command !== "string") {
          throw new AtlError("agent-protocol", t("The agent on {0} answered /v1/exec without a result.", this.label), {
            fix: t("Update the agent on the host to the version that ships with this extension."),
          });
        }
        return result;
      } catch (error) {
        throwIfCancelled(options.signal, this.options.host.id);
        if (attempt === 1 && error instanceof AgentRequestError && error.kind === "busy") {
          const waitSec = Math.min(error.retryAfterSec ?? 1, this.options.maxRetryWaitSec ?? 10);
          this.options.logger.info(`Agent on ${this.options.host.id} is busy; retrying in ${waitSec} s.`);
          await sleep(waitSec * 1000, options.signal);
          continue;
        }
        throw this.toAtlError(error);
      }
    }
  }

  private get label(): string {
    return `${this.options.host.name} (${this.options.host.url})`;
  }

  /** AgentRequestError kinds → AtlError codes with something the user can do. */
  private toAtlError(error: unknown): AtlError {
    if (error instanceof AtlError) {
      return error;
    }
    const host = this.options.host;
    if (!(error instanceof AgentRequestError)) {
      const text = error instanceof Error ? error.message : String(error);
      return new AtlError("transport", t("Talking to the agent on {0} failed: {1}", this.label, text), { cause: error });
    }
    switch (error.kind) {
      case "auth":
        return new AtlError("agent-auth", t("The agent on {0} refused ATL's signature ({1}).", this.label, error.message), {
          cause: error,
          fix: host.secretFile
            ? t('Check that keyId "{0}" and the secret match the agent\'s --key-id and --secret-file (run "ATL: Set agent secret" for {1} or fix {2}), and that both clocks are within 5 minutes.', host.keyId, host.id, host.secretFile)
            : t('Check that keyId "{0}" and the secret match the agent\'s --key-id and --secret-file (run "ATL: Set agent secret" for {1}), and that both clocks are within 5 minutes.', host.keyId, host.id),
        });
      case "busy":
        return new AtlError("agent-busy", t("The agent on {0} is busy running other commands.", this.label), {
          cause: error,
          fix: t("Wait for the other diagnoses on this host to finish and try again."),
        });
      case "unreachable":
      case "timeout":
        return new AtlError("host-unreachable", t("Cannot reach the agent on {0}: {1}", this.label, error.message), {
          cause: error,
          fix: t("Check that the agent runs on the host (systemctl status atl-agent), that {0} is the right address, and that its port is open from this machine.", host.url),
        });
      case "protocol":
        if (error.status === 503) {
          return new AtlError("agent-busy", t("The agent on {0} cannot run commands right now: {1}", this.label, error.message), {
            cause: error,
            fix: t("Try again in a moment; if it persists, read the agent's log on the host (journalctl -u atl-agent)."),
          });
        }
        return new AtlError("agent-protocol", t("The agent on {0} did not accept the request: {1}", this.label, error.message), {
          cause: error,
          fix: t("Update the agent on the host to the version that ships with this extension."),
        });
      case "too-large":
      case "bad-request":
        return new AtlError("agent-protocol", t("The agent on {0} did not accept the request: {1}", this.label, error.message), {
          cause: error,
          fix: t("Update the agent on the host to the version that ships with this extension."),
        });
    }
  }
}

function throwIfCancelled(signal: AbortSignal | undefined, hostId: string): void {
  if (signal?.aborted) {
    throw new AtlError("cancelled", t("Stopped running commands on {0}.", hostId));
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
