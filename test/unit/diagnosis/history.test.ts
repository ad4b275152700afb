// The Diagnoses history on disk: threads survive a reload (a new store on the same folder), writes
// of one thread land in order, damaged files are skipped instead of breaking the view, removal
// deletes both files, and the oldest threads age out beyond MAX_THREADS.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ThreadStatus } from "../../../src/graph/diagnosis";
import { silentLogger } from "../../../src/shared/log";
import { DiagnosisHistory, MAX_THREADS, type DiagnosisRecord } from "../../../src/diagnosis/history";

function record(id: string, createdAt: string, status: ThreadStatus = "done", text = "hello"): DiagnosisRecord {
  return {
    version: 1,
    summary: { id, title: `<img src=x onerror=alert(1)> ${id}`, hostName: "prod-web-01", alarmName: null, incidentId: null, createdAt, updatedAt: createdAt, status, severity: status === "done" ? "high" : null, hasReport: status === "done" },
    header: { threadId: id, title: id, alarm: null, question: text, host: { id: "i-1", name: "prod-web-01", transport: "agent" }, incidentId: null, createdAt },
    entries: [{ kind: "user", at: createdAt, text }],
    pendingRound: null,
    input: { kind: "chat", text, hostId: "i-1" },
  };
}

void describe("DiagnosisHistory", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-history-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it("keeps threads across a reload, newest first, with their transcript", async () => {
    const folder = join(dir, "reload");
    const first = new DiagnosisHistory(folder, silentLogger);
    await first.load();
    await first.save(record("a1", "2026-11-25T01:00:00.000Z"));
    await first.save(record("b2", "2026-11-25T02:00:00.000Z", "waiting-approval"));

    const second = new DiagnosisHistory(folder, silentLogger);
    await second.load();
    assert.deepEqual(second.list().map((s) => s.id), ["b2", "a1"]);
    assert.equal(second.summary("b2")?.status, "waiting-approval");
    const restored = await second.get("a1");
    assert.deepEqual(restored, record("a1", "2026-11-25T01:00:00.000Z"));
  });

  void it("stores files readable by the user only", async () => {
    const folder = join(dir, "mode");
    const history = new DiagnosisHistory(folder, silentLogger);
    await history.save(record("m1", "2026-11-25T01:00:00.000Z"));
    assert.equal((await stat(join(folder, "m1.json"))).mode & 0o777, 0o600);
    assert.equal((await stat(join(folder, "m1.meta.json"))).mode & 0o777, 0o600);
  });

  void it("lands concurrent saves of one thread in call order", async () => {
    const folder = join(dir, "order");
    const history = new DiagnosisHistory(folder, silentLogger);
    const saves = Array.from({ length: 20 }, (_, i) => history.save(record("t1", "2026-11-25T01:00:00.000Z", "running", `step ${i}`)));
    await Promise.all(saves);
    const stored = await new DiagnosisHistory(folder, silentLogger).get("t1");
    assert.equal(stored?.entries[0]?.kind === "user" ? stored.entries[0].text : null, "step 19");
    assert.deepEqual((await readdir(folder)).sort(), ["t1.json", "t1.meta.json"]);
  });

  void it("tells listeners about every change", async () => {
    const history = new DiagnosisHistory(join(dir, "events"), silentLogger);
    let changes = 0;
    const subscription = history.onDidChange(() => changes++);
    await history.save(record("e1", "2026-11-25T01:00:00.000Z"));
    await history.remove("e1");
    subscription.dispose();
    await history.save(record("e2", "2026-11-25T01:00:00.000Z"));
    assert.equal(changes, 2);
  });

  void it("follows what another window adds, changes and removes, without a reload", async () => {
    const folder = join(dir, "windows");
    const mine = new DiagnosisHistory(folder, silentLogger);
    await mine.load();
    const following = mine.watch(20);
    const other = new DiagnosisHistory(folder, silentLogger);
    await other.load();
    const changed = (check: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no change seen within 10 s")), 10_000);
        const subscription = mine.onDidChange(() => {
          if (check()) {
            clearTimeout(timer);
            subscription.dispose();
            resolve();
          }
        });
      });
    try {
      let seen = changed(() => mine.summary("w1")?.status === "waiting-approval");
      await other.save(record("w1", "2026-11-25T03:00:00.000Z", "waiting-approval"));
      await seen;
      seen = changed(() => mine.summary("w1")?.status === "done");
      await other.save(record("w1", "2026-11-25T03:00:00.000Z", "done"));
      await seen;
      assert.equal(mine.summary("w1")?.severity, "high");
      seen = changed(() => mine.summary("w1") === undefined);
      await other.remove("w1");
      await seen;
      // This window's own threads stay as it wrote them.
      await mine.save(record("m9", "2026-11-25T04:00:00.000Z", "running"));
      // A later change of the other window's, once seen, proves the watcher has read the folder
      // since m9 was written.
      seen = changed(() => mine.summary("w2") !== undefined);
      await other.save(record("w2", "2026-11-25T05:00:00.000Z", "done"));
      await seen;
      assert.equal(mine.summary("m9")?.status, "running");
    } finally {
      following.dispose();
    }
  });

  void it("skips damaged or foreign files instead of failing", async () => {
    const folder = join(dir, "damaged");
    const history = new DiagnosisHistory(folder, silentLogger);
    await history.save(record("ok1", "2026-11-25T01:00:00.000Z"));
    await writeFile(join(folder, "bad1.meta.json"), "{ not json");
    await writeFile(join(folder, "bad2.meta.json"), JSON.stringify({ id: "bad2", status: "exploded" }));
    await writeFile(join(folder, "bad3.meta.json"), JSON.stringify({ ...record("other", "2026-11-25T01:00:00.000Z").summary }));
    await writeFile(join(folder, "ok1.json.123.tmp"), "partial");
    await writeFile(join(folder, "torn.json"), "{");
    const reloaded = new DiagnosisHistory(folder, silentLogger);
    await reloaded.load();
    assert.deepEqual(reloaded.list().map((s) => s.id), ["ok1"]);
    assert.equal(await reloaded.get("torn"), undefined);
  });

  void it("never reads outside its folder for a crafted id", async () => {
    const history = new DiagnosisHistory(join(dir, "ids"), silentLogger);
    assert.equal(await history.get("../../etc/passwd"), undefined);
    await history.remove("../escape");
    await assert.rejects(history.save(record("../x", "2026-11-25T01:00:00.000Z")), /Invalid diagnosis id/);
  });

  void it("removes both files of a thread", async () => {
    const folder = join(dir, "remove");
    const history = new DiagnosisHistory(folder, silentLogger);
    await history.save(record("r1", "2026-11-25T01:00:00.000Z"));
    await history.remove("r1");
    assert.deepEqual(await readdir(folder), []);
    assert.equal(history.list().length, 0);
  });

  void it("keeps the newest MAX_THREADS threads", async () => {
    const folder = join(dir, "prune");
    const history = new DiagnosisHistory(folder, silentLogger);
    for (let i = 0; i <= MAX_THREADS; i++) {
      const at = new Date(Date.UTC(2026, 10, 25, 0, 0, i)).toISOString();
      await history.save(record(`p${i}`, at));
    }
    assert.equal(history.list().length, MAX_THREADS);
    assert.equal(history.summary("p0"), undefined, "the oldest thread aged out");
    assert.ok(history.summary(`p${MAX_THREADS}`));
    assert.equal((await readdir(folder)).length, MAX_THREADS * 2);
  });
});
