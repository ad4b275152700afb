// A separate process writing to a shared store folder, as another VS Code window would:
// `node --import tsx storeWriter.ts DIR PREFIX COUNT` records COUNT alarms and acknowledges every second one.
import { AlarmStore } from "../../../../src/alarms/store";
import { makeAlarm } from "../../../unit/alarms/samples";

async function main(dir: string, prefix: string, count: number): Promise<void> {
  const store = await AlarmStore.open({ dir, watch: false });
  for (let i = 0; i < count; i++) {
    const outcome = store.ingestAlarm(makeAlarm({ name: `${prefix}${i}`, changedAt: new Date(Date.UTC(2026, 10, 25, 3, 0, i)).toISOString() }));
    await store.persist();
    if (i % 2 === 1 && outcome.kind === "recorded") {
      await store.acknowledge(outcome.transition.incident.id);
    }
  }
  await store.close();
}

const [dir, prefix, count] = process.argv.slice(2);
main(dir, prefix, Number(count)).catch((error: unknown) => {
  process.stderr.write(`storeWriter: ${String(error)}\n`);
  process.exitCode = 1;
});
