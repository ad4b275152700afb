// Shared by the ATL in-editor suites (bundled into each suite): the extension's test API, the sample
// alarm bodies, and waiting for something the UI does asynchronously (no fixed sleeps).
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { IngestOutcome } from "../../../src/alarms/store";
import { startAgent, type RunningAgent } from "../../helpers/agent";
import { eventually } from "../../helpers/eventually";

export const EXTENSION_ID = "atl-team.atl";

export async function atlApi(): Promise<AtlApi> {
  const extension = vscode.extensions.getExtension<AtlApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  const api = await extension.activate();
  assert.ok(api?.services, "activate() returned no test API");
  return api;
}

export function extensionPath(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  return extension.extensionPath;
}

/** A sample SQS message body from test/unit/alarms/samples (copied from shared/samples/alarms). */
export function sampleBody(name: string): string {
  return readFileSync(join(extensionPath(), "test", "unit", "alarms", "samples", name), "utf8");
}

export { eventually };

/** Writes `atl.*` user settings and waits until the extension has read them. */
export async function setSettings(api: AtlApi, values: Record<string, unknown>): Promise<void> {
  const config = vscode.workspace.getConfiguration("atl");
  const before = api.services.settings.current;
  let changes = false;
  for (const [key, value] of Object.entries(values)) {
    changes ||= JSON.stringify(config.inspect(key)?.globalValue) !== JSON.stringify(value);
    await config.update(key, value, vscode.ConfigurationTarget.Global);
  }
  await eventually(() => {
    const fresh = vscode.workspace.getConfiguration("atl");
    return Object.entries(values).every(([key, value]) => JSON.stringify(fresh.get(key)) === JSON.stringify(value ?? fresh.inspect(key)?.defaultValue));
  }, 30_000, "the settings written");
  if (changes) {
    // The extension re-reads its snapshot on the configuration event; a new snapshot is the sign.
    await eventually(() => api.services.settings.current !== before, 30_000, "the extension to read the new settings");
  }
}

/** The same settings unset, back to their defaults (what a suite's teardown writes). */
export function unset(values: Record<string, unknown>): Record<string, undefined> {
  return Object.fromEntries(Object.keys(values).map((key) => [key, undefined]));
}

let sequence = 0;

/**
 * A sample's SNS envelope as another alarm (name, ARN, state, time). The store shares one file with
 * the other suites and keeps a removed alarm removed until its next state change, so every test
 * uses alarm names of its own (prefix `view-`, `lm-tools-`…).
 */
export function renamed(file: string, name: string, overrides: Record<string, unknown> = {}): string {
  const envelope = JSON.parse(sampleBody(file)) as { MessageId: string; Message: string };
  const message = JSON.parse(envelope.Message) as Record<string, unknown>;
  Object.assign(message, { AlarmName: name, AlarmArn: `arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:${name}` }, overrides);
  envelope.MessageId = `${name}-${Date.now()}-${sequence++}`;
  envelope.Message = JSON.stringify(message);
  return JSON.stringify(envelope);
}

/**
 * Records an alarm body as a message never seen before (fresh SNS and SQS message ids: the store
 * drops a message id it has recorded, also after the incident was removed) and waits until it is
 * saved. A body that is not an SNS envelope (a raw alarm, the malformed sample) is recorded as it is.
 */
export async function ingestFresh(api: AtlApi, body: string, tag: string): Promise<IngestOutcome> {
  let fresh = body;
  try {
    const envelope = JSON.parse(body) as { Type?: string; MessageId?: string };
    if (envelope.Type === "Notification") {
      envelope.MessageId = `${tag}-${Date.now()}-${sequence++}`;
      fresh = JSON.stringify(envelope);
    }
  } catch {
    // Not JSON: recorded as it is.
  }
  const outcome = api.services.store.ingest(fresh, { sqsMessageId: `${tag}-${Date.now()}-${sequence++}` });
  await api.services.store.persist();
  return outcome;
}

/**
 * The real agent as a process, started from the bundle the extension ships (agent/dist/atl-agent.js,
 * built here if missing): what the in-editor suites diagnose through. Stop it in suiteTeardown.
 */
export async function startBundledAgent(): Promise<RunningAgent> {
  const root = extensionPath();
  const bundle = join(root, "agent", "dist", "atl-agent.js");
  if (!existsSync(bundle)) {
    const built = spawnSync(process.execPath, ["esbuild.mjs", "--only", "agent"], { cwd: root, encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
  }
  return startAgent({ bundle });
}

/** Empties the alarm store (incidents and unparsed entries) between tests. */
export async function clearStore(api: AtlApi): Promise<void> {
  const store = api.services.store;
  const ids = [...store.listIncidents({ status: "all" }).map((i) => i.id), ...store.listUnparsed().map((u) => u.id)];
  if (ids.length > 0) {
    await store.remove(ids);
  }
}

/**
 * fauxqs (SQS + SNS emulator) in a child process on 127.0.0.1. test/helpers/fauxqs.ts cannot be
 * bundled into the in-editor suites (it resolves its samples through import.meta), so the suites
 * start the same emulator here and talk to it with the AWS SDK.
 */
export interface Emulator {
  endpoint: string;
  sqs: SQSClient;
  sns: SNSClient;
  stop(): Promise<void>;
}

const EMULATOR_SCRIPT = `
const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ port: 0, logger: false, defaultRegion: "ap-northeast-2" });
process.stdout.write(JSON.stringify({ port: server.port }) + "\\n");
process.on("SIGTERM", () => { server.stop().then(() => process.exit(0)); });
`;

export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export async function startEmulator(): Promise<Emulator> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", EMULATOR_SCRIPT], { cwd: extensionPath(), stdio: ["ignore", "pipe", "inherit"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once("exit", (code) => reject(new Error(`fauxqs exited with ${code} before listening`)));
    child.once("error", reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const config = { region: "ap-northeast-2", endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  return {
    endpoint,
    sqs,
    sns,
    stop: async () => {
      sqs.destroy();
      sns.destroy();
      if (child.exitCode === null) {
        await new Promise((done) => {
          child.once("exit", done);
          child.kill("SIGTERM");
        });
      }
    },
  };
}

/** CloudWatch → SNS topic → SQS queue on the emulator. */
export async function alarmRoute(emulator: Emulator, name: string): Promise<{ topicArn: string; queueUrl: string }> {
  const topic = await emulator.sns.send(new CreateTopicCommand({ Name: `${name}-topic` }));
  const queue = await emulator.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "5" } }));
  const queueUrl = queue.QueueUrl ?? "";
  const attrs = await emulator.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  await emulator.sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "sqs", Endpoint: attrs.Attributes?.QueueArn }));
  return { topicArn: topic.TopicArn ?? "", queueUrl };
}

/** The alarm JSON inside a sample's SNS envelope (what CloudWatch publishes to the topic). */
export function alarmMessage(file: string, overrides: Record<string, unknown> = {}): string {
  const envelope = JSON.parse(sampleBody(file)) as { Message: string };
  return JSON.stringify({ ...(JSON.parse(envelope.Message) as Record<string, unknown>), ...overrides });
}

/**
 * The `atl.sqs.*` settings of a window that polls `queueUrl` on the emulator, with short polls. The
 * queue URL comes last, as *Connect SQS queue* writes it: a poller never starts with half the
 * settings (a long poll aborted by a restart can swallow the next message for the visibility
 * timeout, on SQS as on fauxqs).
 */
export function pollingSettings(emulator: Emulator, queueUrl: string): Record<string, unknown> {
  return {
    "sqs.endpoint": emulator.endpoint,
    "sqs.region": "ap-northeast-2",
    "sqs.waitTimeSeconds": 1,
    "sqs.visibilityTimeoutSeconds": 5,
    "sqs.queueUrl": queueUrl,
  };
}

export async function publish(emulator: Emulator, topicArn: string, message: string): Promise<void> {
  await emulator.sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
}

export async function queueDepth(emulator: Emulator, queueUrl: string): Promise<number> {
  const out = await emulator.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}
