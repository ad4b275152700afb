// `node dist/cli.js parse FILE|-` as a user or a script runs it: JSON on stdout and exit 0 for every
// alarm sample; one line on stderr and exit 2 for bodies that are malformed or not alarms.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runCli, type Finished } from "../../helpers/process";
import { SAMPLE_FILES, SAMPLES_DIR, sample } from "../../unit/alarms/samples";

const root = join(import.meta.dirname, "../../..");
const cli = join(root, "dist/cli.js");

function run(args: string[], stdin = ""): Promise<Finished> {
  return runCli(args, { stdin });
}

void describe("atl parse (the CLI)", () => {
  before(() => {
    // `npm test` builds first; a standalone run builds the CLI if it is missing.
    if (!existsSync(cli)) {
      const built = spawnSync(process.execPath, ["esbuild.mjs", "--only", "cli"], { cwd: root, stdio: "inherit" });
      assert.equal(built.status, 0, "node esbuild.mjs --only cli failed");
    }
  });

  for (const file of SAMPLE_FILES.filter((f) => !f.startsWith("10"))) {
    void it(`${file}: prints the normalized alarm, exit 0`, async () => {
      const { code, stdout, stderr } = await run(["parse", join(SAMPLES_DIR, file)]);
      assert.equal(code, 0, stderr);
      const alarm = JSON.parse(stdout) as Record<string, unknown>;
      for (const field of ["name", "description", "state", "previousState", "reason", "changedAt", "region", "accountId", "arn", "source", "messageId", "metric", "children", "hostId"]) {
        assert.ok(field in alarm, `${file}: missing ${field}`);
      }
      assert.equal(alarm.region, "ap-northeast-2");
      assert.equal(stderr, "");
    });
  }

  void it("expected hosts, names and sources per sample", async () => {
    const expected: Record<string, [string, string | null, string]> = {
      "01-ec2-cpu-alarm.json": ["prod-web-01-cpu-high", "i-0a1b2c3d4e5f67890", "sns"],
      "02-cwagent-mem-used-percent-alarm-raw.json": ["prod-api-02-mem-used-percent-high", "i-0f9e8d7c6b5a43210", "raw"],
      "03-cwagent-disk-used-percent-alarm.json": ["prod-db-01 CWAgent disk_used_percent /var/lib/postgresql (nvme1n1 xfs) above 85 percent", "i-0123456789abcdef0", "sns"],
      "04-ec2-status-check-failed-alarm.json": ["prod-worker-07-status-check-failed", "i-07a6b5c4d3e2f1a0b", "sns"],
      "07-metric-math-alarm.json": ["prod-web-01-network-total-high", "i-0a1b2c3d4e5f67890", "sns"],
      "08-composite-alarm.json": ["prod-web-tier-degraded", null, "sns"],
      "09-eventbridge-alarm-state-change.json": ["prod-web-01-cpu-high", "i-0a1b2c3d4e5f67890", "eventbridge"],
    };
    for (const [file, [name, host, source]] of Object.entries(expected)) {
      const { stdout } = await run(["parse", join(SAMPLES_DIR, file)]);
      const alarm = JSON.parse(stdout) as { name: string; hostId: string | null; source: string };
      assert.deepEqual([alarm.name, alarm.hostId, alarm.source], [name, host, source], file);
    }
  });

  void it("reads the body from stdin with -", async () => {
    const { code, stdout } = await run(["parse", "-"], sample("05-ec2-cpu-ok-recovery.json"));
    assert.equal(code, 0);
    assert.equal((JSON.parse(stdout) as { state: string }).state, "OK");
  });

  void it("10 malformed: one line on stderr, exit 2, nothing on stdout", async () => {
    const { code, stdout, stderr } = await run(["parse", join(SAMPLES_DIR, "10-malformed-truncated-body.json")]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /^atl parse: malformed: .*not valid JSON.*\n$/);
    assert.equal(stderr.trim().split("\n").length, 1);
  });

  void it("JSON that is not an alarm: exit 2 with not-an-alarm", async () => {
    const { code, stderr } = await run(["parse", "-"], '{"Type":"Notification","MessageId":"x","TopicArn":"t","Message":"hello"}');
    assert.equal(code, 2);
    assert.match(stderr, /^atl parse: not-an-alarm: /);
  });

  void it("a missing file or no argument: exit 2 with the reason", async () => {
    const missing = await run(["parse", join(SAMPLES_DIR, "nope.json")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*no such file/);
    const usage = await run(["parse"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: atl parse FILE\|-/);
  });
});
