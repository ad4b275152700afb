// dist/sqs.js, the bundle the editor requires when a window starts polling: it polls the fauxqs
// emulator into the extension's own AlarmStore (a different bundle), its errors are AtlErrors to the
// extension's `instanceof` (the command boundary shows their fix), and dist/extension.js carries
// no AWS SDK (activation does not load it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AlarmStore } from "../../../src/alarms/store";
import { AtlError } from "../../../src/shared/errors";
import { formatMessage, installTranslator } from "../../../src/shared/l10n";
import type * as Sqs from "../../../src/sqs/index";
import { Fauxqs } from "../../helpers/fauxqs";

const ROOT = join(import.meta.dirname, "..", "..", "..");

let emulator: Fauxqs;
let dir: string;
let sqs: typeof Sqs;

before(async () => {
  // The bundles as the editor gets them (esbuild.mjs builds sqs.js with extension.js).
  const built = spawnSync(process.execPath, ["esbuild.mjs", "--only", "extension"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(built.status, 0, `node esbuild.mjs --only extension failed:\n${built.stderr}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sqs = require(join(ROOT, "dist", "sqs.js")) as typeof Sqs;
  emulator = await Fauxqs.start();
  dir = await mkdtemp(join(tmpdir(), "atl-sqs-bundle-"));
});

after(async () => {
  await emulator?.stop();
  await rm(dir, { recursive: true, force: true });
});

void describe("dist/sqs.js", { timeout: 120_000 }, () => {
  void it("polls the queue into the extension's AlarmStore and deletes what it saved", async () => {
    const route = await emulator.createAlarmRoute({ raw: false });
    await emulator.publishSample(route, "01-ec2-cpu-alarm.json");
    const store = await AlarmStore.open({ dir: join(dir, "store") });
    const consumer = new sqs.SqsAlarmConsumer({
      connection: emulator.connection(route.queueUrl),
      store,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 5,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    try {
      consumer.start();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const depth = await emulator.depth(route.queueUrl);
        if (store.listIncidents({ status: "all" }).length > 0 && depth.visible === 0 && depth.inFlight === 0) {
          break;
        }
        assert.ok(Date.now() < deadline, `the alarm did not reach the store (queue ${JSON.stringify(depth)}, consumer ${consumer.state.status})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [incident] = store.listIncidents({ status: "all" });
      assert.equal(incident?.alarm.name, "prod-web-01-cpu-high");
      assert.equal(consumer.stats.deleted, 1);
    } finally {
      await consumer.stop();
      consumer.dispose();
      store.dispose();
    }
  });

  void it("throws AtlErrors that the extension's instanceof recognizes, with their fix", async () => {
    const bad = (): unknown => sqs.createSqsClient({ queueUrl: "not a url" });
    assert.throws(bad, (error: unknown) => {
      assert.ok(error instanceof AtlError, `not an AtlError to the extension: ${String(error)}`);
      assert.equal(error.code, "config");
      assert.match(error.fix ?? "", /atl\.sqs\.queueUrl/);
      return true;
    });
    // A refused connection, mapped by the bundle's own error table.
    const connection = { ...emulator.connection("http://127.0.0.1:9/123456789012/none"), endpoint: "http://127.0.0.1:9" };
    const client = sqs.createSqsClient(connection);
    try {
      await assert.rejects(sqs.describeQueue(client, connection), (error: unknown) => {
        assert.ok(error instanceof AtlError);
        assert.equal(error.code, "sqs-network");
        return true;
      });
    } finally {
      client.destroy();
    }
    // A plain Error is still not an AtlError.
    assert.ok(!(new Error("x") instanceof AtlError));
  });

  void it("speaks the display language the extension installs: Korean errors from the bundle, English without", async () => {
    // What activate() does with vscode.l10n.t, here with the shipped Korean bundle.
    const korean = JSON.parse(await readFile(join(ROOT, "l10n", "bundle.l10n.ko.json"), "utf8")) as Record<string, string>;
    const connection = { ...emulator.connection("http://127.0.0.1:9/123456789012/none"), endpoint: "http://127.0.0.1:9" };
    const refused = async (): Promise<AtlError> => {
      const client = sqs.createSqsClient(connection);
      try {
        return await sqs.describeQueue(client, connection).then(
          () => assert.fail("the refused connection was described"),
          (error: unknown) => error as AtlError,
        );
      } finally {
        client.destroy();
      }
    };
    installTranslator((message, ...args) => formatMessage(korean[message] ?? message, args));
    try {
      const error = await refused();
      assert.match(error.message, /^http:\/\/127\.0\.0\.1:9에 연결할 수 없습니다\(ECONNREFUSED\)\.$/);
      assert.match(error.fix ?? "", /atl\.sqs\.endpoint에서 에뮬레이터가 실행 중인가요/);
      assert.throws(() => sqs.createSqsClient({ queueUrl: "not a url" }), /SQS 큐 URL "not a url"은\(는\) URL이 아닙니다\./);
    } finally {
      installTranslator(undefined);
    }
    assert.equal((await refused()).message, "Cannot reach http://127.0.0.1:9 (ECONNREFUSED).");
  });

  void it("is not part of dist/extension.js, which activation loads", async () => {
    const extension = await readFile(join(ROOT, "dist", "extension.js"), "utf8");
    for (const marker of ["ReceiveMessageCommand", "fromNodeProviderChain", "@smithy", "SignatureV4"]) {
      assert.ok(!extension.includes(marker), `dist/extension.js contains ${marker}: the AWS SDK is loaded at activation`);
    }
    const bundle = await readFile(join(ROOT, "dist", "sqs.js"), "utf8");
    assert.ok(bundle.includes("ReceiveMessageCommand"), "dist/sqs.js lacks the SQS client");
    assert.ok(!/require\("vscode"\)/.test(bundle), "dist/sqs.js must not need the vscode module");
  });
});
