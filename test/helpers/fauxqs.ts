// The fauxqs SNS/SQS emulator (1.9.2, see TESTING.md) for tests, demos and benchmarks: start it on a
// free port (in this process, or in a child process to keep its memory out of measurements), build
// the CloudWatch → SNS topic → SQS queue route (enveloped or raw delivery), publish the sample
// alarm bodies the way AWS would deliver them, look at the queue, stop and restart it.
//
//   const emulator = await Fauxqs.start();
//   const route = await emulator.createAlarmRoute({ raw: false });     // SNS envelope bodies
//   await emulator.publishSample(route, "01-ec2-cpu-alarm.json");       // through SNS
//   const consumerConnection = emulator.connection(route.queueUrl);     // → SqsAlarmConsumer
//   …
//   await emulator.stop();
//
// Every client talks to http://127.0.0.1:PORT (queue URLs name `sqs.REGION.localhost`, which does
// not resolve): pass `emulator.endpoint` as the SQS endpoint. Bodies for SNS are published with
// their own SNS MessageId, as CloudWatch would; `send` puts an exact body straight into a queue
// (EventBridge targets, malformed bodies, or the same SNS envelope twice to test dedupe).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import type { SqsConnection } from "../../src/sqs/client";
import { SAMPLES_DIR, sample, type SampleFile } from "../unit/alarms/samples";

export { SAMPLES_DIR, SAMPLE_FILES, sample, type SampleFile } from "../unit/alarms/samples";

// The SDK warns once per process on Node 20 (VS Code runs Node 22); keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const TEST_REGION = "ap-northeast-2";
/** fauxqs accepts any credentials; these keep the SDK from looking for real ones. */
export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

export interface FauxqsOptions {
  /** Region of the clients and so of every queue and topic. Default ap-northeast-2 (the samples'). */
  region?: string;
  /** Run the emulator in a child process (benchmarks: keeps its memory out of the figures). */
  separateProcess?: boolean;
  /** Default 0: a free port. */
  port?: number;
}

export interface QueueInfo {
  queueUrl: string;
  queueArn: string;
  queueName: string;
}

/** CloudWatch alarm action → SNS topic → SQS queue. */
export interface AlarmRoute extends QueueInfo {
  topicArn: string;
  topicName: string;
  /** RawMessageDelivery: the queue gets the alarm JSON itself instead of the SNS envelope. */
  raw: boolean;
}

interface QueueSpec {
  name: string;
  attributes: Record<string, string>;
}

interface Running {
  port: number;
  stop(): Promise<void>;
  /** In-process only: the bodies still in a queue (visible, delayed or in flight). */
  bodies?(queueName: string): string[];
}

let routeCount = 0;

export class Fauxqs {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  private readonly queues = new Map<string, QueueSpec>();
  private readonly topics = new Set<string>();
  private readonly subscriptions: { topicArn: string; queueArn: string; raw: boolean }[] = [];

  private constructor(
    private running: Running,
    readonly region: string,
    private readonly separateProcess: boolean,
  ) {
    const config = { region, endpoint: this.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
    this.sqs = new SQSClient(config);
    this.sns = new SNSClient(config);
  }

  static async start(options: FauxqsOptions = {}): Promise<Fauxqs> {
    const region = options.region ?? TEST_REGION;
    const running = await launch(options.port ?? 0, region, options.separateProcess ?? false);
    return new Fauxqs(running, region, options.separateProcess ?? false);
  }

  get port(): number {
    return this.running.port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.running.port}`;
  }

  /** What SqsAlarmConsumer needs to poll `queueUrl` on this emulator. */
  connection(queueUrl: string): SqsConnection {
    return { queueUrl, region: this.region, endpoint: this.endpoint, credentials: TEST_CREDENTIALS };
  }

  async createQueue(name: string, options: { visibilityTimeoutSeconds?: number; attributes?: Record<string, string> } = {}): Promise<QueueInfo> {
    const attributes = { VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30), ...options.attributes };
    this.queues.set(name, { name, attributes });
    const out = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const queueUrl = out.QueueUrl ?? "";
    const attrs = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    return { queueUrl, queueArn: attrs.Attributes?.QueueArn ?? "", queueName: name };
  }

  async createTopic(name: string): Promise<string> {
    this.topics.add(name);
    const out = await this.sns.send(new CreateTopicCommand({ Name: name }));
    return out.TopicArn ?? "";
  }

  /** Subscribes a queue to a topic (SNS fan-out: call it once per engineer's queue). */
  async subscribe(topicArn: string, queueArn: string, raw: boolean): Promise<void> {
    this.subscriptions.push({ topicArn, queueArn, raw });
    await this.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: raw ? { RawMessageDelivery: "true" } : undefined }),
    );
  }

  /** A topic and a queue subscribed to it; unique names unless given. */
  async createAlarmRoute(options: { raw?: boolean; topic?: string; queue?: string; visibilityTimeoutSeconds?: number } = {}): Promise<AlarmRoute> {
    const n = ++routeCount;
    const topicName = options.topic ?? `cw-alarms-${n}`;
    const queueName = options.queue ?? `atl-alarms-${n}`;
    const topicArn = await this.createTopic(topicName);
    const queue = await this.createQueue(queueName, { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });
    const raw = options.raw ?? false;
    await this.subscribe(topicArn, queue.queueArn, raw);
    return { ...queue, topicArn, topicName, raw };
  }

  /** Publishes an alarm message through SNS as CloudWatch does; returns the SNS MessageId. */
  async publish(topicArn: string, message: string, subject?: string): Promise<string> {
    const out = await this.sns.send(new PublishCommand({ TopicArn: topicArn, Message: message, Subject: subject }));
    return out.MessageId ?? "";
  }

  /** Up to 10 messages per call (PublishBatch); returns the SNS MessageIds. */
  async publishBatch(topicArn: string, messages: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const out = await this.sns.send(
        new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: chunk.map((Message, j) => ({ Id: String(j), Message })) }),
      );
      ids.push(...(out.Successful ?? []).map((s) => s.MessageId ?? ""));
    }
    return ids;
  }

  /**
   * Delivers a sample the way it reaches a queue in AWS: alarm messages (envelope samples' Message,
   * or the raw sample's body) through the route's SNS topic; EventBridge events and the malformed
   * body straight into the queue.
   */
  async publishSample(route: AlarmRoute, file: SampleFile): Promise<{ via: "sns" | "sqs"; messageId: string }> {
    const body = sample(file);
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return { via: "sqs", messageId: await this.send(route.queueUrl, body) };
    }
    const record = value as Record<string, unknown>;
    if (record.Type === "Notification" && typeof record.Message === "string") {
      const subject = typeof record.Subject === "string" ? record.Subject : undefined;
      return { via: "sns", messageId: await this.publish(route.topicArn, record.Message, subject) };
    }
    if ("detail-type" in record) {
      return { via: "sqs", messageId: await this.send(route.queueUrl, body) };
    }
    return { via: "sns", messageId: await this.publish(route.topicArn, body) };
  }

  /** Puts an exact body into a queue; returns the SQS MessageId. */
  async send(queueUrl: string, body: string): Promise<string> {
    const out = await this.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    return out.MessageId ?? "";
  }

  async sendBatch(queueUrl: string, bodies: string[]): Promise<void> {
    for (let i = 0; i < bodies.length; i += 10) {
      const chunk = bodies.slice(i, i + 10);
      const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((MessageBody, j) => ({ Id: String(j), MessageBody })) }));
      if ((out.Failed ?? []).length > 0) {
        throw new Error(`SendMessageBatch failed for ${out.Failed?.length} message(s)`);
      }
    }
  }

  /** Messages in the queue: visible (waiting) and in flight (received, not deleted). */
  async depth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** Stops the emulator (its state is gone) and closes the clients. */
  async stop(): Promise<void> {
    await this.running.stop();
    this.sqs.destroy();
    this.sns.destroy();
  }

  /**
   * An outage: stops the emulator, then starts it again on the same port with the same topics,
   * queues and subscriptions. In-process, the messages still in each queue (also those in flight)
   * are put back, as SQS would have kept them; they get new SQS MessageIds.
   */
  async restart(options: { downMs?: number } = {}): Promise<void> {
    const kept = new Map<string, string[]>();
    for (const name of this.queues.keys()) {
      kept.set(name, this.running.bodies?.(name) ?? []);
    }
    const port = this.running.port;
    await this.running.stop();
    if (options.downMs) {
      await new Promise((r) => setTimeout(r, options.downMs));
    }
    this.running = await launch(port, this.region, this.separateProcess);
    const urls = new Map<string, string>();
    for (const spec of this.queues.values()) {
      const out = await this.sqs.send(new CreateQueueCommand({ QueueName: spec.name, Attributes: spec.attributes }));
      urls.set(spec.name, out.QueueUrl ?? "");
    }
    for (const name of this.topics) {
      await this.sns.send(new CreateTopicCommand({ Name: name }));
    }
    for (const s of this.subscriptions) {
      await this.sns.send(
        new SubscribeCommand({ TopicArn: s.topicArn, Protocol: "sqs", Endpoint: s.queueArn, Attributes: s.raw ? { RawMessageDelivery: "true" } : undefined }),
      );
    }
    for (const [name, bodies] of kept) {
      await this.sendBatch(urls.get(name) ?? "", bodies);
    }
  }
}

async function launch(port: number, region: string, separateProcess: boolean): Promise<Running> {
  if (!separateProcess) {
    // fauxqs is ESM-only.
    const { startFauxqs } = await import("fauxqs");
    const server = await startFauxqs({ port, logger: false, defaultRegion: region, host: "localhost" });
    return {
      port: server.port,
      stop: () => server.stop(),
      bodies: (name) => {
        const q = server.inspectQueue(name);
        return q ? [...q.messages.ready.map((m) => m.body), ...q.messages.delayed.map((m) => m.body), ...q.messages.inflight.map((m) => m.message.body)] : [];
      },
    };
  }
  return launchChild(port, region);
}

const CHILD_SCRIPT = `
const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ port: Number(process.argv[1]), logger: false, defaultRegion: process.argv[2] });
process.stdout.write(JSON.stringify({ port: server.port }) + "\\n");
process.on("SIGTERM", () => { server.stop().then(() => process.exit(0)); });
`;

function launchChild(port: number, region: string): Promise<Running> {
  const root = join(SAMPLES_DIR, "../../../..");
  const child: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", CHILD_SCRIPT, String(port), region], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        child.stdout?.off("data", onData);
        const { port: actual } = JSON.parse(line) as { port: number };
        resolve({
          port: actual,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) {
                done();
                return;
              }
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`fauxqs exited with ${code} before listening`)));
    child.once("error", reject);
  });
}
