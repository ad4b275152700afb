// Adapter between the editor's PollingController and src/sqs: this window takes part in the
// per-machine election (lock file in global storage) and runs the SqsAlarmConsumer only while it is
// the poller. Stopping waits for the consumer's loop before the lock is given up, so another window
// never polls while this one still deletes what it saved.
// The AWS SDK and the consumer live in dist/sqs.js, required when this window becomes the poller or
// tests a connection: a window that has no queue, or follows another window's poller, never loads it.
import * as vscode from "vscode";
import type { AlarmStore } from "../../alarms/store";
import { AtlError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import type * as Sqs from "../../sqs/index";
import type { BundleLoader, SqsBundle } from "../../diagnosis/bundles";
import { PollerElection } from "../../sqs/pollerElection";
import type { PollerStatus, QueuePoller } from "../polling";
import type { SqsSettings } from "../settings";

export type QueueDescription = Sqs.QueueDescription;
type SqsConnection = Sqs.SqsConnection;
type SqsAlarmConsumer = InstanceType<typeof Sqs.SqsAlarmConsumer>;
type ConsumerState = Sqs.ConsumerState;

/** dist/sqs.js (about 300 KiB of AWS SDK), loaded on first use. */
export type SqsModuleLoader = BundleLoader<SqsBundle>;

export interface SqsPollerDeps {
  store: AlarmStore;
  storageDir: string;
  logger: Logger;
  loadSqs: SqsModuleLoader;
}

export function connectionOf(sqs: SqsSettings & { queueUrl: string }): SqsConnection {
  return { queueUrl: sqs.queueUrl, region: sqs.region, endpoint: sqs.endpoint, profile: sqs.profile };
}

class ElectedSqsPoller implements QueuePoller {
  private readonly statusEmitter = new vscode.EventEmitter<PollerStatus>();
  readonly onDidChangeStatus = this.statusEmitter.event;
  private readonly election: PollerElection;
  private consumer: SqsAlarmConsumer | undefined;
  /** Consumer starts and stops in order, whatever the election does meanwhile. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly sqs: SqsSettings & { queueUrl: string },
    private readonly deps: SqsPollerDeps,
  ) {
    this.election = new PollerElection({ dir: deps.storageDir, id: `${vscode.env.sessionId}-${process.pid}`, logger: deps.logger });
  }

  start(): void {
    this.statusEmitter.fire({ kind: "starting" });
    this.election.onDidChangeLeadership((leader) => {
      this.chain = this.chain.then(() => (leader ? this.startConsumer() : this.stopConsumer(true)));
    });
    this.chain = this.chain.then(async () => {
      await this.election.start();
      if (!this.election.isPoller && !this.stopped) {
        this.deps.logger.info("Another VS Code window polls the queue; this window follows the shared alarm store.");
        this.statusEmitter.fire({ kind: "standby" });
      }
    });
  }

  retryNow(): void {
    this.consumer?.retryNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.chain = this.chain.then(() => this.stopConsumer(false));
    await this.chain;
    // Only now give the lock up: the loop has finished its deletes.
    this.election.dispose();
    this.statusEmitter.dispose();
  }

  private startConsumer(): void {
    if (this.stopped || this.consumer) {
      return;
    }
    this.deps.logger.info("This window is the machine's SQS poller.");
    let sqs: typeof Sqs;
    try {
      sqs = this.deps.loadSqs();
    } catch (error) {
      this.statusEmitter.fire({ kind: "error", error: error instanceof AtlError ? error : new AtlError("internal", String(error), { cause: error }) });
      return;
    }
    const consumer = new sqs.SqsAlarmConsumer({
      connection: connectionOf(this.sqs),
      store: this.deps.store,
      mode: this.sqs.mode,
      waitTimeSeconds: this.sqs.waitTimeSeconds,
      visibilityTimeoutSeconds: this.sqs.visibilityTimeoutSeconds,
      logger: this.deps.logger,
    });
    consumer.onDidChangeState((state) => this.onConsumerState(state));
    this.consumer = consumer;
    consumer.start();
  }

  private async stopConsumer(lostLeadership: boolean): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) {
      await consumer.stop();
      consumer.dispose();
    }
    if (lostLeadership && !this.stopped) {
      this.statusEmitter.fire({ kind: "standby" });
    }
  }

  private onConsumerState(state: ConsumerState): void {
    if (this.stopped) {
      return;
    }
    switch (state.status) {
      case "starting":
        this.statusEmitter.fire({ kind: "starting" });
        return;
      case "polling":
        this.statusEmitter.fire({ kind: "leader" });
        return;
      case "retrying":
        this.statusEmitter.fire({ kind: "error", error: state.error });
        return;
      case "stopped":
        return;
    }
  }
}

export function createSqsPoller(sqs: SqsSettings & { queueUrl: string }, deps: SqsPollerDeps): QueuePoller {
  return new ElectedSqsPoller(sqs, deps);
}

/** GetQueueAttributes with the configured credentials (Test SQS connection). */
export async function describeQueue(sqs: SqsSettings & { queueUrl: string }, loadSqs: SqsModuleLoader): Promise<QueueDescription> {
  const { createSqsClient, describeQueue: describe } = loadSqs();
  const connection = connectionOf(sqs);
  const client = createSqsClient(connection);
  try {
    return await describe(client, connection);
  } finally {
    client.destroy();
  }
}
