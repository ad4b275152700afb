// A damaged alarms.json under the running extension, as a crash, a full disk or another window
// leaves it: the store reloads the file (it follows other windows' writes), keeps every incident it
// can still read (from the damaged file and its last-good copy), tells the user what was set aside,
// and keeps the damaged file for inspection. AlarmStore.open takes the same path at activation
// (test/unit/alarms covers opening a damaged file; this suite covers what the editor shows).
import * as assert from "node:assert/strict";
import { readFile, rename, writeFile } from "node:fs/promises";
import { suite, suiteSetup, teardown, test } from "mocha";
import * as vscode from "vscode";
import type { AtlApi } from "../../../src/extension";
import type { AlarmGroup, AlarmNode } from "../../../src/vscode/alarms/alarmsModel";
import { atlApi, clearStore, eventually, ingestFresh, renamed } from "./alarmsSupport";
import { waitForText } from "./ui";

function isGroup(node: AlarmNode): node is AlarmGroup {
  return (node as AlarmGroup).kind === "group";
}

/** The labels the Alarms view shows, as VS Code receives them. */
function labels(api: AtlApi): string[] {
  const provider = api.alarms.provider;
  return provider
    .getChildren()
    .filter(isGroup)
    .flatMap((group) => provider.getChildren(group))
    .map((node) => provider.getTreeItem(node).label)
    .map((label) => (typeof label === "string" ? label : (label?.label ?? "")));
}

suite("Damaged alarm store", () => {
  let api: AtlApi;

  suiteSetup(async () => {
    api = await atlApi();
    await vscode.commands.executeCommand("atl.alarms.focus");
    await clearStore(api);
  });

  teardown(async () => {
    await clearStore(api);
  });

  test("a store file cut short: the alarms it holds stay in the view, the user is told where the damaged file went, and it is kept", async () => {
    const store = api.services.store;
    const names = ["damaged-store-web", "damaged-store-db", "damaged-store-queue"];
    for (const name of names) {
      await ingestFresh(api, renamed("01-ec2-cpu-alarm.json", name), name);
    }
    await eventually(() => names.every((name) => labels(api).includes(name)), 30_000, "the three alarms in the view");

    // Cut short, as a full disk or a crash mid-write leaves it, and put in place the way a writer does.
    const whole = await readFile(store.file, "utf8");
    const damaged = whole.slice(0, whole.length - 7);
    assert.throws(() => JSON.parse(damaged) as unknown, "the damaged file does not parse");
    const problemsBefore = store.problems.length;
    const staging = `${store.file}.test-damaged`;
    await writeFile(staging, damaged);
    await rename(staging, store.file);

    await eventually(() => store.problems.length > problemsBefore, 60_000, "the store to notice the damaged file");
    const problem = store.problems[store.problems.length - 1];
    assert.match(problem.message, /damaged and moved to .*recovered/, problem.message);
    // Nothing lost silently: the damaged bytes are kept, whole, where the message says.
    assert.ok(problem.setAside.length > 0, problem.message);
    assert.ok(
      problem.setAside.some((path) => problem.message.includes(path)),
      `the message names the file set aside: ${problem.message}`,
    );
    const kept = await Promise.all(problem.setAside.map((path) => readFile(path, "utf8").catch(() => "")));
    assert.ok(kept.includes(damaged), `one of ${problem.setAside.join(", ")} holds the damaged file as it was`);

    // The alarms it could read are still in the view, and the store file is whole again.
    await eventually(() => names.every((name) => labels(api).includes(name)), 30_000, "the recovered alarms in the view");
    await eventually(
      async () => {
        try {
          JSON.parse(await readFile(store.file, "utf8"));
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      "the store file written back whole",
    );
    // The user is told: the warning is in the notifications (its toast may have timed out by now).
    await vscode.commands.executeCommand("notifications.showList");
    const shown = await waitForText(".notifications-center", "was damaged and moved to", { screenshot: "store-damaged", timeoutMs: 60_000 });
    assert.match(shown, /recovered/);
  }).timeout(240_000);
});
