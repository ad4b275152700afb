// The demo's SQS/SNS: fauxqs (the emulator the tests use) bound to 127.0.0.1 only — its
// startFauxqs() listens on every interface, so the demo builds the same app and listens itself —
// with CloudWatch's route: an SNS topic and an SQS queue subscribed to it (SNS envelope delivery).
// Created and published through the AWS SDK, exactly as AWS would be driven.
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";

// The SDK warns once per process on Node 20 (VS Code runs Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The emulator accepts any credentials; these keep the SDK from looking for real ones. */
const CREDENTIALS = { accessKeyId: "atl-demo", secretAccessKey: "atl-demo" };

/** The part of fauxqs's Fastify app the demo uses (fauxqs's typings of it do not resolve here). */
interface EmulatorApp {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
}

export interface DemoEmulator {
  /** http://127.0.0.1:PORT: the endpoint for SQS and SNS clients (atl.sqs.endpoint). */
  endpoint: string;
  port: number;
  queueUrl: string;
  topicArn: string;
  /** Publishes to the topic as CloudWatch does; returns the SNS MessageId. */
  publish(message: string, subject: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startDemoEmulator(options: { region: string; topic: string; queue: string }): Promise<DemoEmulator> {
  // fauxqs is ESM-only.
  const { buildApp } = await import("fauxqs");
  // host: queue URLs read http://sqs.REGION.localhost:PORT/…, as in the tests.
  const app = buildApp({ logger: false, defaultRegion: options.region, host: "localhost" }) as unknown as EmulatorApp;
  // Fastify resolves with the address it listens on: http://127.0.0.1:PORT.
  const port = Number(new URL(await app.listen({ port: 0, host: "127.0.0.1" })).port);
  const endpoint = `http://127.0.0.1:${port}`;
  const config = { region: options.region, endpoint, credentials: CREDENTIALS, maxAttempts: 1 };
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const stop = async (): Promise<void> => {
    sqs.destroy();
    sns.destroy();
    await app.close();
  };
  try {
    const { TopicArn: topicArn = "" } = await sns.send(new CreateTopicCommand({ Name: options.topic }));
    const { QueueUrl: queueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: options.queue, Attributes: { VisibilityTimeout: "60" } }));
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: attributes.Attributes?.QueueArn }));
    return {
      endpoint,
      port,
      queueUrl,
      topicArn,
      publish: async (message, subject) => (await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message, Subject: subject }))).MessageId ?? "",
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
