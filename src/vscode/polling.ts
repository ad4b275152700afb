// Polling in the editor: whether this window polls the SQS queue (one poller per machine, elected
// among the windows), is on standby behind another window's poller, is stopped by the user, or
// fails (with the consumer's one-line error and fix). Restarts the poller when `atl.sqs.*` or
// `atl.aws.profile` change; stops it cleanly (awaiting the loop) on deactivate.
import * as vscode from "vscode";
import { AtlError } from "../shared/errors";
import type { Logger } from "../shared/log";
import { Disposable } from "./disposable";
import type { AtlSettings, SqsSettings } from "./settings";

export type PollingState =
  | { kind: "unconfigured" }
  | { kind: "stopped" }
  | { kind: "starting"; queueName: string }
  | { kind: "polling"; queueName: string; mode: "consume" | "peek" }
  | { kind: "standby"; queueName: string }
  | { kind: "error"; message: string; fix: string | null };

/** What one running poller (consumer + election) reports. */
export type PollerStatus = { kind: "starting" } | { kind: "leader" } | { kind: "standby" } | { kind: "error"; error: AtlError };

/** A consumer of one queue that takes part in the per-machine election (adapter in sqsPoller.ts). */
export interface QueuePoller {
  readonly onDidChangeStatus: vscode.Event<PollerStatus>;
  /** Joins the election and, as leader, polls until stopped. */
  start(): void;
  /** Ends the long poll, waits for the loop (in-flight messages are persisted or left in the queue), leaves the election. */
  stop(): Promise<void>;
  /** After an error: try again now instead of waiting for the backoff. */
  retryNow(): void;
}

const SETTINGS_SETTLE_MS = 750;

export type PollerFactory = (sqs: SqsSettings & { queueUrl: string }) => QueuePoller;

/** The queue's name for display: the last path segment of its URL. */
export function queueName(queueUrl: string): string {
  return queueUrl.split("/").filter(Boolean).pop() ?? queueUrl;
}

export class PollingController extends Disposable {
  private poller: QueuePoller | undefined;
  private pollerSubscription: vscode.Disposable | undefined;
  private stateValue: PollingState = { kind: "unconfigured" };
  private readonly stateEmitter = this._register(new vscode.EventEmitter<PollingState>());
  readonly onDidChangeState = this.stateEmitter.event;
  /** The user's intent in this window: poll when configured. */
  private wanted: boolean;
  private transition: Promise<void> = Promise.resolve();
  private lastErrorLogged: string | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: AtlSettings,
    private readonly createPoller: PollerFactory,
    private readonly logger: Logger,
  ) {
    super();
    this.wanted = settings.current.sqs.autoStart;
    this._register({ dispose: () => clearTimeout(this.restartTimer) });
    this._register(
      settings.onDidChange((change) => {
        if (change.affects("sqs") || change.affects("aws")) {
          const before = JSON.stringify({ ...change.previous.sqs, autoStart: undefined });
          const after = JSON.stringify({ ...change.current.sqs, autoStart: undefined });
          if (before !== after) {
            this.scheduleRestart();
          }
        }
      }),
    );
  }

  get state(): PollingState {
    return this.stateValue;
  }

  /** True while this window is the machine's poller. */
  get isLeader(): boolean {
    return this.stateValue.kind === "polling";
  }

  /** Starts polling if configured and wanted (activation). */
  initialize(): Promise<void> {
    return this.restart();
  }

  start(): Promise<void> {
    if (!this.settings.current.sqs.queueUrl) {
      throw new AtlError("config", vscode.l10n.t("No SQS queue is configured."), { fix: vscode.l10n.t("Run ATL: Connect SQS queue.") });
    }
    this.wanted = true;
    return this.restart();
  }

  stop(): Promise<void> {
    this.wanted = false;
    return this.restart();
  }

  /** Resolves once no settings-triggered restart is pending or running (tests, the demo). */
  async idle(): Promise<void> {
    while (this.restartTimer !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, SETTINGS_SETTLE_MS));
    }
    await this.transition;
  }

  /** Retry at once after an error (the Refresh button). */
  retryNow(): void {
    this.poller?.retryNow();
  }

  /**
   * Settings arrive one key at a time (Connect SQS queue writes four): restart once they settle,
   * not once per key, so no long poll is aborted half-way for nothing.
   */
  private scheduleRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(), SETTINGS_SETTLE_MS);
  }

  /** Stops the running poller, then starts a new one for the current settings if wanted. Serialized. */
  private restart(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.transition = this.transition.then(() => this.applySettings());
    return this.transition;
  }

  private async applySettings(): Promise<void> {
    try {
      await this.stopPoller();
      const sqs = this.settings.current.sqs;
      if (this.isDisposed) {
        return;
      }
      if (!sqs.queueUrl) {
        this.setState({ kind: "unconfigured" });
        return;
      }
      if (!this.wanted) {
        this.setState({ kind: "stopped" });
        return;
      }
      const name = queueName(sqs.queueUrl);
      this.setState({ kind: "starting", queueName: name });
      const poller = this.createPoller({ ...sqs, queueUrl: sqs.queueUrl });
      this.poller = poller;
      this.pollerSubscription = poller.onDidChangeStatus((status) => this.onPollerStatus(status, name, sqs.mode));
      this.logger.info(`Polling ${sqs.queueUrl} (${sqs.mode} mode${sqs.endpoint ? `, endpoint ${sqs.endpoint}` : ""}${sqs.profile ? `, profile ${sqs.profile}` : ""}).`);
      poller.start();
    } catch (error) {
      // A poller that cannot even be built (bad endpoint…) shows as an error, and the next
      // settings change or Start polling tries again.
      const atl = error instanceof AtlError ? error : new AtlError("sqs", error instanceof Error ? error.message : String(error), { cause: error });
      this.logger.error(`SQS: [${atl.code}] ${atl.userMessage}`);
      this.setState({ kind: "error", message: atl.message, fix: atl.fix ?? null });
    }
  }

  private onPollerStatus(status: PollerStatus, name: string, mode: "consume" | "peek"): void {
    switch (status.kind) {
      case "starting":
        this.setState({ kind: "starting", queueName: name });
        return;
      case "leader":
        this.lastErrorLogged = undefined;
        this.setState({ kind: "polling", queueName: name, mode });
        return;
      case "standby":
        this.setState({ kind: "standby", queueName: name });
        return;
      case "error": {
        const line = status.error.userMessage;
        // The consumer retries with backoff: log a repeated error once, not once per attempt.
        if (line !== this.lastErrorLogged) {
          this.lastErrorLogged = line;
          this.logger.error(`SQS: [${status.error.code}] ${line}`);
        }
        this.setState({ kind: "error", message: status.error.message, fix: status.error.fix ?? null });
        return;
      }
    }
  }

  private async stopPoller(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    this.pollerSubscription?.dispose();
    this.pollerSubscription = undefined;
    if (poller) {
      await poller.stop();
      this.logger.info("Polling stopped.");
    }
  }

  private setState(state: PollingState): void {
    if (JSON.stringify(state) === JSON.stringify(this.stateValue)) {
      return;
    }
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  /** Deactivate: stop the loop and wait for it (no floating promise, no message lost in flight). */
  async shutdown(): Promise<void> {
    this.wanted = false;
    this.transition = this.transition.then(() => this.stopPoller());
    try {
      await this.transition;
    } catch (error) {
      this.logger.warn(`Polling did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.dispose();
  }
}
