// The file-backed checkpointer keeps MemorySaver's behaviour and survives a new instance (a window
// reload, another process): a real graph interrupts, a second saver on the same folder resumes it.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Annotation, Command, END, interrupt, START, StateGraph } from "@langchain/langgraph";
import { FileCheckpointSaver } from "../../../src/graph/checkpointer";

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a: string[], b: string[]) => a.concat(b), default: () => [] }),
});

function graphWith(saver: FileCheckpointSaver) {
  return new StateGraph(State)
    .addNode("plan", () => ({ log: ["planned"] }))
    .addNode("ask", () => {
      const answer = interrupt<{ question: string }, string>({ question: "run it?" });
      return { log: [`answer:${answer}`] };
    })
    .addNode("run", () => ({ log: ["ran"] }))
    .addEdge(START, "plan")
    .addEdge("plan", "ask")
    .addEdge("ask", "run")
    .addEdge("run", END)
    .compile({ checkpointer: saver });
}

void describe("FileCheckpointSaver", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "atl-ckpt-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  void it("an interrupt saved by one instance is resumed by a fresh one", async () => {
    const config = { configurable: { thread_id: "thread-1" } };
    const firstSaver = new FileCheckpointSaver(dir);
    const first = graphWith(firstSaver);
    await first.invoke({ log: ["start"] }, config);
    await firstSaver.flush();
    const waiting = await first.getState(config);
    assert.deepEqual(waiting.tasks[0]?.interrupts[0]?.value, { question: "run it?" });

    const saver = new FileCheckpointSaver(dir);
    const second = graphWith(saver);
    const restored = await second.getState(config);
    assert.deepEqual(restored.values, waiting.values);
    assert.deepEqual(restored.tasks[0]?.interrupts[0]?.value, { question: "run it?" });
    const done = await second.invoke(new Command({ resume: "yes" }), config);
    await saver.flush();
    assert.deepEqual(done.log, ["start", "planned", "answer:yes", "ran"]);

    // The first instance notices the file changed and sees the finished thread too.
    const seenByFirst = await first.getState(config);
    assert.deepEqual((seenByFirst.values as { log: string[] }).log, ["start", "planned", "answer:yes", "ran"]);
    assert.equal(seenByFirst.tasks.length, 0);
  });

  void it("writes one private JSON file per thread, atomically (no temp files left)", async () => {
    const saver = new FileCheckpointSaver(dir);
    await graphWith(saver).invoke({ log: ["x"] }, { configurable: { thread_id: "thread/../2" } });
    await saver.flush();
    const names = await readdir(dir);
    assert.ok(names.every((n) => /^thread-[0-9a-f]{40}\.json$/.test(n)), names.join(","));
    const file = saver.fileFor("thread/../2");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const parsed = JSON.parse(await readFile(file, "utf8")) as { threadId: string };
    assert.equal(parsed.threadId, "thread/../2");
    assert.equal(await saver.has("thread/../2"), true);
  });

  void it("keeps only the latest checkpoints of a thread", async () => {
    const saver = new FileCheckpointSaver(dir, { keep: 3 });
    const graph = graphWith(saver);
    const config = { configurable: { thread_id: "thread-prune" } };
    await graph.invoke({ log: ["a"] }, config);
    await graph.invoke(new Command({ resume: "ok" }), config);
    await saver.flush();
    const file = JSON.parse(await readFile(saver.fileFor("thread-prune"), "utf8")) as { storage: Record<string, Record<string, unknown>> };
    assert.equal(Object.keys(file.storage[""]).length, 3);
    const state = await graphWith(new FileCheckpointSaver(dir)).getState(config);
    assert.deepEqual((state.values as { log: string[] }).log, ["a", "planned", "answer:ok", "ran"], "pruning keeps the latest state intact");
  });

  void it("coalesces the writes of a run into few file writes, and flush() makes them durable", async () => {
    const saver = new FileCheckpointSaver(dir, { writeDelayMs: 10_000 });
    await graphWith(saver).invoke({ log: ["burst"] }, { configurable: { thread_id: "thread-burst" } });
    assert.equal(await saver.has("thread-burst"), false, "nothing written yet inside the window");
    await saver.flush();
    const state = await graphWith(new FileCheckpointSaver(dir)).getState({ configurable: { thread_id: "thread-burst" } });
    assert.deepEqual((state.values as { log: string[] }).log, ["burst", "planned"]);
  });

  void it("deletes a thread and its file", async () => {
    const saver = new FileCheckpointSaver(dir);
    await graphWith(saver).invoke({ log: ["gone"] }, { configurable: { thread_id: "thread-del" } });
    await saver.flush();
    assert.equal(await saver.has("thread-del"), true);
    await saver.deleteThread("thread-del");
    assert.equal(await saver.has("thread-del"), false);
    const state = await graphWith(new FileCheckpointSaver(dir)).getState({ configurable: { thread_id: "thread-del" } });
    assert.deepEqual(state.values, {});
  });

  void it("refuses a corrupted file with a clear storage error", async () => {
    const saver = new FileCheckpointSaver(dir);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(saver.fileFor("thread-bad"), "{ not json");
    await assert.rejects(graphWith(saver).getState({ configurable: { thread_id: "thread-bad" } }), (e: Error & { code?: string }) => e.code === "storage" && /unreadable/.test(e.message));
  });
});
