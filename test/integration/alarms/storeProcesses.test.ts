// AlarmStore shared by separate processes writing at once, as separate VS Code windows do: every
// alarm and every acknowledgement is kept. The in-process cases are in test/unit/alarms/store.test.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AlarmStore, LAST_GOOD_SUFFIX, STORE_FILE } from "../../../src/alarms/store";
import { Resources } from "../../helpers/resources";
import { makeAlarm } from "../../unit/alarms/samples";

void describe("AlarmStore: several processes on one folder", () => {
  const resources = new Resources();
  let dir: string;
  before(async () => {
    dir = resources.add(await mkdtemp(join(tmpdir(), "atl-store-processes-")), (d) => rm(d, { recursive: true, force: true }));
  });
  after(() => resources.release());

  const openStore = async (): Promise<AlarmStore> => resources.add(await AlarmStore.open({ dir, watch: false }), (s) => s.dispose());

  void it("separate processes writing at once (as separate windows do): every alarm and every ack is kept", async () => {
    const seed = await openStore();
    seed.ingestAlarm(makeAlarm({ name: "shared" }));
    await seed.close();
    const writer = join(import.meta.dirname, "support", "storeWriter.ts");
    const runWriter = (prefix: string, count: number): Promise<number | null> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", writer, dir, prefix, String(count)], { stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", reject);
        child.on("exit", resolve);
      });
    const codes = await Promise.all([runWriter("a", 20), runWriter("b", 20), runWriter("c", 20)]);
    assert.deepEqual(codes, [0, 0, 0]);
    const store = await openStore();
    const names = new Set(store.listIncidents().map((i) => i.name));
    assert.equal(names.size, 61);
    for (const prefix of ["a", "b", "c"]) {
      for (let i = 0; i < 20; i++) {
        assert.ok(names.has(`${prefix}${i}`), `${prefix}${i} lost`);
      }
    }
    const acked = store.listIncidents().filter((i) => i.acknowledged).map((i) => i.name);
    assert.equal(acked.length, 30, "every writer acknowledged half of its own alarms");
    assert.deepEqual((await readdir(dir)).sort(), [STORE_FILE, `${STORE_FILE}${LAST_GOOD_SUFFIX}`]);
  });
});
