// SqsAlarmConsumer: long-polls the alarm queue, records every body in the AlarmStore, and deletes a
// message only once the store has it on disk. Malformed bodies are kept as Unparsed and then
// deleted too (never redelivered for ever). Peek mode never deletes: it hands the messages back to
// the queue (visibility 0) so a shared queue's other readers are not starved.
//
// Why our own loop and not the `sqs-consumer` package: we need delete-after-persist across a whole
// batch with coalesced store writes (pipelined, so a storm drains at receive speed), a peek mode
// that releases instead of deletes, errors mapped once to an actionable AtlError, and an awaitable
// stop that aborts the long poll. sqs-consumer handles one message or batch at a time, deletes per
// handler, and emits raw SDK errors; bending it to this would take more code than the loop below.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { Emitter, type Disposable, type Event } from "../shared/events";
import { sleep } from "../shared/sleep";
import type { IngestMeta, IngestOutcome } from "../alarms/store";
import { toAtlError, type AtlError } from "../shared/errors";
import type { Logger } from "../shared/log";
import { silentLogger } from "../shared/log";
import { createSqsClient, describeQueue, diagnoseSqsError, queueNameOf, toSqsError, validateConnection, type QueueDescription, type SqsConnection } from "./client";

export type ConsumerMode = "consume" | "peek";

/** What the consumer needs from the store (AlarmStore implements it). */
export interface AlarmSink {
  ingest(body: string, meta: IngestMeta): IngestOutcome;
  /** Resolves once everything ingested before the call is on disk. */
  persist(): Promise<void>;
}

export interface SqsAlarmConsumerOptions {
  connection: SqsConnection;
  store: AlarmSink;
  /** consume (default): delete after saving. peek: never delete. */
  mode?: ConsumerMode;
  /** Long-poll wait, 1–20 s. Default 20. */
  waitTimeSeconds?: number;
  /** Messages per ReceiveMessage, 1–10. Default 10. */
  maxMessages?: number;
  /** How long a received message stays hidden from other readers while ATL saves it. Default 60. */
  visibilityTimeoutSeconds?: number;
  /** Peek mode: pause between receives that brought nothing new, so old messages are not re-read in a loop. Default 20. */
  peekIntervalSeconds?: number;
  /**
   * Received batches waiting for the store to save them before receiving pauses. Saves of waiting
   * batches merge, so a storm drains at receive speed. Default 500 (5,000 messages; only their
   * receipt handles are kept).
   */
  maxPendingBatches?: number;
  /** Parallel receives while a backlog drains (consume mode; one long poll when idle). Default 4. */
  maxReceivers?: number;
  /**
   * Delete (or release) requests in flight at once. A save settles every batch that waited for it;
   * without a bound, hundreds of requests would start together and their buffers would all be
   * alive at once. Default 4.
   */
  maxSettleRequests?: number;
  /** Exponential backoff with jitter after errors. Default 1 s doubling up to 60 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  logger?: Logger;
}

export type ConsumerState =
  | { status: "stopped" }
  | { status: "starting"; queueName: string }
  | { status: "polling"; queueName: string; mode: ConsumerMode }
  /** An error; the consumer retries at `retryAt` (epoch ms) by itself, or at once on `retryNow()`. */
  | { status: "retrying"; queueName: string; error: AtlError; retryAt: number; attempt: number };

export interface ConsumerStats {
  /** ReceiveMessage calls that succeeded. */
  receives: number;
  received: number;
  recorded: number;
  duplicates: number;
  unparsed: number;
  deleted: number;
  /** Peek mode: handed back to the queue. */
  released: number;
  /** Most receive loops running at once (more than 1 only while a backlog drains). */
  peakReceivers: number;
  /** Left in the queue after a failed delete (they come back after the visibility timeout and are deduped). */
  deleteFailures: number;
}

type ErrorSource = "queue" | "store";

export class SqsAlarmConsumer implements Disposable {
  private readonly connection: SqsConnection;
  private readonly store: AlarmSink;
  private readonly mode: ConsumerMode;
  private readonly waitTimeSeconds: number;
  private readonly maxMessages: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly peekIntervalMs: number;
  private readonly maxPendingBatches: number;
  private readonly maxReceivers: number;
  private readonly helpers = new Set<Promise<void>>();
  private readonly settleSlots: Slots;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: Logger;
  private readonly queueName: string;

  private client: SQSClient | undefined;
  private abort: AbortController | undefined;
  private wake: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** While the store fails to save: the shared backoff wait before the next attempt. */
  private storeRecovery: Promise<void> | null = null;
  private stateValue: ConsumerState = { status: "stopped" };
  private readonly errors = new Map<ErrorSource, AtlError>();
  private attempt = 0;
  private lastReported: string | null = null;
  private descriptionValue: QueueDescription | undefined;
  private readonly statsValue: ConsumerStats = { receives: 0, received: 0, recorded: 0, duplicates: 0, unparsed: 0, deleted: 0, released: 0, deleteFailures: 0, peakReceivers: 0 };

  private readonly stateEmitter = new Emitter<ConsumerState>();
  private readonly failEmitter = new Emitter<AtlError>();

  /** Every state change (also each new retry time). */
  readonly onDidChangeState: Event<ConsumerState> = this.stateEmitter.event;
  /** An error, reported once: the same error again is not repeated until polling recovered. */
  readonly onDidFail: Event<AtlError> = this.failEmitter.event;

  constructor(options: SqsAlarmConsumerOptions) {
    validateConnection(options.connection);
    this.connection = options.connection;
    this.store = options.store;
    this.mode = options.mode ?? "consume";
    this.waitTimeSeconds = clamp(options.waitTimeSeconds ?? 20, 0, 20);
    this.maxMessages = clamp(options.maxMessages ?? 10, 1, 10);
    this.visibilityTimeoutSeconds = clamp(options.visibilityTimeoutSeconds ?? 60, 0, 43_200);
    this.peekIntervalMs = (options.peekIntervalSeconds ?? 20) * 1000;
    this.maxPendingBatches = Math.max(1, options.maxPendingBatches ?? 500);
    this.maxReceivers = Math.max(1, options.maxReceivers ?? 4);
    this.settleSlots = new Slots(Math.max(1, options.maxSettleRequests ?? 4));
    this.initialBackoffMs = options.backoff?.initialMs ?? 1000;
    this.maxBackoffMs = options.backoff?.maxMs ?? 60_000;
    this.logger = options.logger ?? silentLogger;
    this.queueName = queueNameOf(options.connection.queueUrl);
  }

  get state(): ConsumerState {
    return this.stateValue;
  }

  get stats(): Readonly<ConsumerStats> {
    return this.statsValue;
  }

  /** The queue as GetQueueAttributes described it when polling started. */
  get description(): QueueDescription | undefined {
    return this.descriptionValue;
  }

  get isRunning(): boolean {
    return this.loop !== undefined;
  }

  /** Starts polling in the background; errors are retried and reported through the events. */
  start(): void {
    if (this.loop) {
      return;
    }
    this.abort = new AbortController();
    this.client = createSqsClient(this.connection);
    const signal = this.abort.signal;
    this.loop = this.run(this.client, signal).catch((error: unknown) => {
      // run() handles its own errors; this is a bug guard so the loop never rejects unobserved.
      this.logger.error(`SQS consumer stopped unexpectedly: ${String(error)}`);
    });
  }

  /** Aborts the long poll, lets saved batches finish their delete (up to 5 s), and waits for the loop. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) {
      return;
    }
    this.abort?.abort();
    this.wake?.abort();
    await loop;
    this.loop = undefined;
    this.client?.destroy();
    this.client = undefined;
    this.errors.clear();
    this.setState({ status: "stopped" });
  }

  /** Skips the current backoff wait (a "Retry" button). */
  retryNow(): void {
    this.wake?.abort();
  }

  dispose(): void {
    this.stop().catch((error: unknown) => this.logger.error(`Stopping the SQS consumer failed: ${String(error)}`));
    this.stateEmitter.dispose();
    this.failEmitter.dispose();
  }

  // ---- the loop ----

  private async run(client: SQSClient, signal: AbortSignal): Promise<void> {
    this.setState({ status: "starting", queueName: this.queueName });
    // Check credentials, permissions and the queue once before the long poll: a clear error fast.
    while (!signal.aborted) {
      try {
        this.descriptionValue = await describeQueue(client, this.connection, signal);
        this.cleared("queue");
        break;
      } catch (error) {
        if (signal.aborted) {
          break;
        }
        await this.failed("queue", await diagnoseSqsError(error, this.connection), signal);
      }
    }
    this.statsValue.peakReceivers = Math.max(this.statsValue.peakReceivers, 1);
    while (!signal.aborted) {
      const received = await this.receiveOnce(client, signal);
      if (received === this.maxMessages && this.mode === "consume" && this.helpers.size < this.maxReceivers - 1) {
        this.startHelper(client, signal);
      }
    }
    await Promise.all([...this.helpers]);
    await this.drainPending();
  }

  /**
   * A backlog (a full batch came back): one more receive loop, up to `maxReceivers`, that ends as
   * soon as a receive comes back short. A storm on real SQS drains several times faster, and an idle
   * queue still costs a single long poll.
   */
  private startHelper(client: SQSClient, signal: AbortSignal): void {
    const helper = (async () => {
      while (!signal.aborted && this.errors.size === 0) {
        if ((await this.receiveOnce(client, signal)) < this.maxMessages) {
          break;
        }
      }
    })().finally(() => this.helpers.delete(helper));
    this.helpers.add(helper);
    this.statsValue.peakReceivers = Math.max(this.statsValue.peakReceivers, this.helpers.size + 1);
  }

  /** One ReceiveMessage and what follows; returns how many messages came (-1 after an error). */
  private async receiveOnce(client: SQSClient, signal: AbortSignal): Promise<number> {
    if (this.storeRecovery) {
      // The store cannot save: receiving more would only pile up messages we cannot delete.
      await this.storeRecovery;
      return -1;
    }
    let messages: Message[];
    try {
      const out = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.connection.queueUrl,
          MaxNumberOfMessages: this.maxMessages,
          WaitTimeSeconds: this.waitTimeSeconds,
          VisibilityTimeout: this.visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
        }),
        { abortSignal: signal },
      );
      messages = out.Messages ?? [];
    } catch (error) {
      if (!signal.aborted) {
        await this.failed("queue", await diagnoseSqsError(error, this.connection), signal);
      }
      return -1;
    }
    this.statsValue.receives++;
    this.cleared("queue");
    if (messages.length === 0) {
      return 0;
    }
    const outcomes = messages.map((m) => this.store.ingest(m.Body ?? "", { sqsMessageId: m.MessageId }));
    this.count(outcomes);
    // Keep only the receipt handles while the batch waits for the save: the bodies can go.
    const entries = messages.flatMap((m, i) => (m.ReceiptHandle ? [{ Id: String(i), ReceiptHandle: m.ReceiptHandle }] : []));
    this.track(this.settle(client, entries, signal));

    // Receive ahead while earlier batches are written, but not without bound.
    while (this.pending.size >= this.maxPendingBatches && !signal.aborted) {
      await Promise.race(this.pending);
    }
    if (this.mode === "peek" && outcomes.every((o) => o.kind === "duplicate")) {
      // Only messages we already have: do not spin on them.
      await this.pause(this.peekIntervalMs, signal);
    }
    return messages.length;
  }

  /** Persist, then delete (consume) or hand back (peek). A failed save leaves the messages in the queue. */
  private async settle(client: SQSClient, entries: { Id: string; ReceiptHandle: string }[], signal: AbortSignal): Promise<void> {
    if (!(await this.persistWithRetry(signal))) {
      // Stopped before the store could save: the messages come back after the visibility timeout.
      return;
    }
    if (entries.length === 0) {
      return;
    }
    const release = await this.settleSlots.take();
    try {
      if (this.mode === "consume") {
        const out = await client.send(new DeleteMessageBatchCommand({ QueueUrl: this.connection.queueUrl, Entries: entries }));
        this.statsValue.deleted += out.Successful?.length ?? 0;
        this.noteFailedEntries(out.Failed ?? [], "delete");
      } else {
        const out = await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.connection.queueUrl,
            Entries: entries.map((e) => ({ ...e, VisibilityTimeout: 0 })),
          }),
        );
        this.statsValue.released += out.Successful?.length ?? 0;
        this.noteFailedEntries(out.Failed ?? [], "release");
      }
    } catch (error) {
      // Saved, so nothing is lost: the messages come back after the visibility timeout and are deduped.
      this.statsValue.deleteFailures += this.mode === "consume" ? entries.length : 0;
      const mapped = toSqsError(error, this.connection);
      this.logger.warn(`Could not ${this.mode === "consume" ? "delete" : "release"} ${entries.length} saved message(s): ${mapped.userMessage}`);
    } finally {
      release();
    }
  }

  /** Saves, retrying with backoff while the store fails (one shared wait for all pending batches). */
  private async persistWithRetry(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      try {
        await this.store.persist();
        this.cleared("store");
        return true;
      } catch (error) {
        if (signal.aborted) {
          return false;
        }
        this.report("store", toAtlError(error, "storage"));
        this.storeRecovery ??= this.backoff(signal).finally(() => {
          this.storeRecovery = null;
        });
        await this.storeRecovery;
        if (signal.aborted) {
          return false;
        }
      }
    }
  }

  private noteFailedEntries(failed: { Id?: string; Code?: string; Message?: string }[], what: "delete" | "release"): void {
    if (failed.length === 0) {
      return;
    }
    if (what === "delete") {
      this.statsValue.deleteFailures += failed.length;
    }
    const codes = [...new Set(failed.map((f) => f.Code ?? "unknown"))].join(", ");
    this.logger.warn(`SQS did not ${what} ${failed.length} saved message(s) (${codes}); they will be redelivered and deduplicated.`);
  }

  private count(outcomes: IngestOutcome[]): void {
    this.statsValue.received += outcomes.length;
    for (const o of outcomes) {
      if (o.kind === "recorded") {
        this.statsValue.recorded++;
      } else if (o.kind === "duplicate") {
        this.statsValue.duplicates++;
      } else {
        this.statsValue.unparsed++;
      }
    }
  }

  private track(task: Promise<void>): void {
    const tracked = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async drainPending(): Promise<void> {
    // Saved batches finish their delete; a hung network gets 5 s, then the messages simply come back later.
    const all = Promise.all([...this.pending]).then(() => undefined);
    await Promise.race([all, sleep(5000)]);
  }

  // ---- errors, backoff, state ----

  private async failed(source: ErrorSource, error: AtlError, signal: AbortSignal): Promise<void> {
    this.report(source, error);
    await this.backoff(signal);
  }

  private report(source: ErrorSource, error: AtlError): void {
    this.errors.set(source, error);
    const key = `${error.code}|${error.message}`;
    if (key !== this.lastReported) {
      this.lastReported = key;
      this.logger.warn(`SQS ${this.queueName}: ${error.userMessage}`);
      this.failEmitter.fire(error, (e) => this.logger.error(`SQS error listener failed: ${String(e)}`));
    }
  }

  private cleared(source: ErrorSource): void {
    if (!this.errors.delete(source) && this.stateValue.status === "polling") {
      return;
    }
    if (this.errors.size === 0) {
      if (this.lastReported !== null) {
        this.logger.info(`SQS ${this.queueName}: polling again.`);
        this.lastReported = null;
      }
      this.attempt = 0;
      if (!this.abort?.signal.aborted) {
        this.setState({ status: "polling", queueName: this.queueName, mode: this.mode });
      }
    }
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random. */
  private async backoff(signal: AbortSignal): Promise<void> {
    this.attempt++;
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.attempt - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    const error = this.errors.get("store") ?? this.errors.get("queue");
    if (error) {
      this.setState({ status: "retrying", queueName: this.queueName, error, retryAt: Date.now() + delay, attempt: this.attempt });
    }
    await this.pause(delay, signal);
  }

  /** Sleeps until the delay passes, the consumer stops, or `retryNow()`. */
  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    this.wake = new AbortController();
    const both = AbortSignal.any([signal, this.wake.signal]);
    await sleep(ms, both);
    this.wake = undefined;
  }

  private setState(state: ConsumerState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state, (error) => this.logger.error(`SQS state listener failed: ${String(error)}`));
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}


/** A counting semaphore: at most `size` holders at once, the others wait in arrival order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = this.waiting.shift();
      if (next) {
        next();
      } else {
        this.free++;
      }
    };
  }
}
