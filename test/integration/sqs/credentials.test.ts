// Credentials and failures as a user meets them: real AWS profiles (static keys, credential_process,
// SSO with an expired session, a missing profile) read by the real provider chain from a private
// ~/.aws, a queue that does not exist, an unreachable endpoint, a missing region, and AccessDenied as
// SQS sends it on the wire. Each must become one clear message with its fix, reported once.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AlarmStore } from "../../../src/alarms/store";
import { AtlError } from "../../../src/shared/errors";
import { createSqsClient, describeQueue, regionFromQueueUrl, type SqsConnection } from "../../../src/sqs/client";
import { SqsAlarmConsumer } from "../../../src/sqs/consumer";
import { Fauxqs } from "../../helpers/fauxqs";
import { Resources } from "../../helpers/resources";

const SSO_URL = "https://example.awsapps.com/start";
let home: string;
let emulator: Fauxqs;
let queueUrl: string;
let wire: Server;
let wireEndpoint: string;
/** What the fake SQS endpoint answers: [status, x-amzn-query-error, JSON body]. */
let wireReply: [number, string, Record<string, string>] = [400, "", {}];
const stores: AlarmStore[] = [];

const resources = new Resources();
before(async () => {
  home = resources.add(await mkdtemp(join(tmpdir(), "atl-aws-")), (d) => rm(d, { recursive: true, force: true }));
  await mkdir(join(home, ".aws", "sso", "cache"), { recursive: true });
  await writeFile(
    join(home, ".aws", "config"),
    [
      "[profile static]",
      "region = ap-northeast-2",
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "",
      "[profile broken-process]",
      "region = ap-northeast-2",
      "credential_process = /bin/false",
      "",
      "[profile sso-dev]",
      "region = ap-northeast-2",
      `sso_start_url = ${SSO_URL}`,
      "sso_region = ap-northeast-2",
      "sso_account_id = 123456789012",
      "sso_role_name = Developer",
      "",
    ].join("\n"),
  );
  // The AWS CLI's cache of the SSO token, expired.
  const cacheName = createHash("sha1").update(SSO_URL).digest("hex");
  await writeFile(
    join(home, ".aws", "sso", "cache", `${cacheName}.json`),
    JSON.stringify({ startUrl: SSO_URL, region: "ap-northeast-2", accessToken: "expired-token", expiresAt: "2020-01-01T00:00:00Z" }),
  );
  // This test process only: the provider chain reads these.
  process.env.HOME = home;
  process.env.AWS_CONFIG_FILE = join(home, ".aws", "config");
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, ".aws", "credentials");
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"]) {
    delete process.env[name];
  }
  // No instance metadata service here: fail fast instead of waiting for its timeout.
  process.env.AWS_EC2_METADATA_DISABLED = "true";

  emulator = resources.add(await Fauxqs.start(), (e) => e.stop());
  queueUrl = (await emulator.createQueue("atl-credentials")).queueUrl;

  // SQS's JSON protocol error, as AWS sends it (fauxqs does not enforce IAM).
  wire = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const [status, queryError, body] = wireReply;
      response.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": queryError });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => wire.listen(0, "127.0.0.1", resolve));
  resources.defer(() => new Promise((resolve) => wire.close(resolve)));
  resources.defer(() => stores.forEach((s) => s.dispose()));
  const address = wire.address();
  wireEndpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

after(() => resources.release());

async function failureOf(connection: SqsConnection): Promise<AtlError> {
  const client = createSqsClient(connection);
  try {
    await describeQueue(client, connection);
  } catch (error) {
    assert.ok(error instanceof AtlError, String(error));
    return error;
  } finally {
    client.destroy();
  }
  assert.fail("expected the connection to fail");
}

const AWS_QUEUE = "https://sqs.ap-northeast-2.amazonaws.com/123456789012/atl-alarms";

void describe("AWS credentials through the real provider chain", () => {
  void it("a profile with static keys: polls and records an alarm", async () => {
    const store = await AlarmStore.open({ dir: join(home, "store-static"), watch: false });
    stores.push(store);
    const consumer = new SqsAlarmConsumer({ connection: { queueUrl, endpoint: emulator.endpoint, profile: "static" }, store, waitTimeSeconds: 1 });
    consumer.start();
    await emulator.send(queueUrl, JSON.stringify({ AlarmName: "x", AlarmArn: "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:x", NewStateValue: "ALARM", StateChangeTime: "2026-11-25T03:00:00.000+0000" }));
    const deadline = Date.now() + 20_000;
    while (store.listIncidents().length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await consumer.stop();
    assert.equal(store.listIncidents().length, 1);
    assert.equal(consumer.stats.deleted, 1);
  });

  void it("a profile that does not exist", async () => {
    const error = await failureOf({ queueUrl: AWS_QUEUE, profile: "nope", endpoint: wireEndpoint });
    assert.equal(error.code, "sqs-credentials");
    assert.equal(error.message, 'AWS profile "nope" was not found or has no credentials.');
    assert.match(error.fix ?? "", /atl\.aws\.profile/);
  });

  void it("a credential_process that fails", async () => {
    const error = await failureOf({ queueUrl: AWS_QUEUE, profile: "broken-process", endpoint: wireEndpoint });
    assert.equal(error.code, "sqs-credentials");
    assert.match(error.message, /^The credential_process of profile "broken-process" failed: Command failed: \/bin\/false/);
    assert.match(error.fix ?? "", /terminal/);
  });

  void it("an SSO profile whose session expired: tells to run aws sso login with the profile", async () => {
    const error = await failureOf({ queueUrl: AWS_QUEUE, profile: "sso-dev", endpoint: wireEndpoint });
    assert.equal(error.code, "sqs-credentials");
    assert.equal(error.userMessage, 'The AWS SSO session of profile "sso-dev" has expired. Run `aws sso login --profile sso-dev`; polling resumes by itself.');
  });
});

void describe("SQS failures", () => {
  void it("AccessDenied names the missing permission and the IAM fix", async () => {
    wireReply = [
      400,
      "AccessDenied;Sender",
      {
        __type: "com.amazon.coral.service#AccessDeniedException",
        message: "User: arn:aws:sts::123456789012:assumed-role/dev/me is not authorized to perform: sqs:getqueueattributes on resource: arn:aws:sqs:ap-northeast-2:123456789012:atl-alarms because no identity-based policy allows the sqs:getqueueattributes action",
      },
    ];
    const error = await failureOf({ queueUrl: AWS_QUEUE, profile: "static", endpoint: wireEndpoint });
    assert.equal(error.code, "sqs-access-denied");
    assert.equal(error.message, 'Access denied to the SQS queue "atl-alarms" (missing sqs:getqueueattributes).');
    assert.match(error.fix ?? "", /sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes/);
  });

  void it("a KMS-encrypted queue without kms:Decrypt", async () => {
    wireReply = [400, "KMS.AccessDeniedException;Sender", { __type: "com.amazonaws.sqs#KmsAccessDenied", message: "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access." }];
    const error = await failureOf({ queueUrl: AWS_QUEUE, profile: "static", endpoint: wireEndpoint });
    assert.equal(error.code, "sqs-access-denied");
    assert.match(error.fix ?? "", /kms:Decrypt/);
  });

  void it("a queue that does not exist", async () => {
    const missing = queueUrl.replace(/atl-credentials$/, "no-such-queue");
    const error = await failureOf({ ...emulator.connection(missing) });
    assert.equal(error.code, "sqs-queue-not-found");
    assert.match(error.message, /The SQS queue "no-such-queue" does not exist in ap-northeast-2/);
  });

  void it("an endpoint nobody listens on", async () => {
    const error = await failureOf({ ...emulator.connection(queueUrl), endpoint: "http://127.0.0.1:9" });
    assert.equal(error.code, "sqs-network");
    assert.match(error.message, /^Cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\.$/);
  });

  void it("no region anywhere (not in the setting, the URL or the profile)", async () => {
    const error = await failureOf({ queueUrl: `${wireEndpoint}/123456789012/atl-alarms`, endpoint: wireEndpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    assert.equal(error.code, "config");
    assert.match(error.fix ?? "", /atl\.sqs\.region/);
  });

  void it("a queue URL that is not one fails at once, before any request", () => {
    assert.throws(
      () => new SqsAlarmConsumer({ connection: { queueUrl: "sqs://nope" }, store: { ingest: () => ({ kind: "duplicate" }), persist: () => Promise.resolve() } }),
      (e: unknown) => e instanceof AtlError && e.code === "config",
    );
  });

  void it("the region comes from the queue URL for AWS, VPC endpoint, legacy and emulator URLs", () => {
    assert.equal(regionFromQueueUrl("https://sqs.eu-south-1.amazonaws.com/123456789012/q"), "eu-south-1");
    assert.equal(regionFromQueueUrl("https://vpce-0a1b-xyz.sqs.us-gov-west-1.vpce.amazonaws.com/123456789012/q"), "us-gov-west-1");
    assert.equal(regionFromQueueUrl("https://ap-northeast-2.queue.amazonaws.com/123456789012/q"), "ap-northeast-2");
    assert.equal(regionFromQueueUrl("http://sqs.ap-northeast-2.localhost:4566/000000000000/q"), "ap-northeast-2");
    assert.equal(regionFromQueueUrl("http://127.0.0.1:4566/000000000000/q"), null);
  });
});

void describe("the consumer while it keeps failing", () => {
  void it("retries with growing backoff, reports the error once, and retryNow() skips the wait", async () => {
    const store = await AlarmStore.open({ dir: join(home, "store-failing"), watch: false });
    stores.push(store);
    const consumer = new SqsAlarmConsumer({
      connection: { queueUrl: AWS_QUEUE, profile: "sso-dev", endpoint: wireEndpoint },
      store,
      backoff: { initialMs: 100, maxMs: 60_000 },
    });
    const failures: AtlError[] = [];
    const attempts: number[] = [];
    consumer.onDidFail((e) => failures.push(e));
    consumer.onDidChangeState((s) => {
      if (s.status === "retrying") {
        attempts.push(s.attempt);
      }
    });
    consumer.start();
    const deadline = Date.now() + 30_000;
    while (attempts.length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      // Backoff grows to minutes; the user's Retry button cuts the wait.
      consumer.retryNow();
    }
    assert.deepEqual(attempts.slice(0, 5), [1, 2, 3, 4, 5]);
    assert.equal(failures.length, 1, "reported once, not once per retry");
    assert.match(failures[0].userMessage, /aws sso login --profile sso-dev/);
    const state = consumer.state;
    assert.equal(state.status, "retrying");
    assert.ok(state.status === "retrying" && state.retryAt > Date.now() + 100, "the next retry waits longer");
    await consumer.stop();
    assert.equal(consumer.state.status, "stopped");
  });
});
