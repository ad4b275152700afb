// Which alarm changes raise a toast, and that an alert storm raises a handful, not hundreds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffArrivals, NotificationPlanner, snapshotOf, wantsNotification, type AlarmArrival } from "../../../src/alarms/notifications";
import { alarm, incident } from "./fixtures";

function arrivals(n: number): AlarmArrival[] {
  return Array.from({ length: n }, (_, i) => ({ incident: incident({ alarm: alarm({ name: `a${i}` }) }), kind: "opened", state: "ALARM" }));
}

void describe("diffArrivals", () => {
  void it("reports a new incident once, and nothing for what was already there", () => {
    const first = incident();
    assert.deepEqual(diffArrivals(snapshotOf([]), [first]).map((a) => a.kind), ["opened"]);
    assert.deepEqual(diffArrivals(snapshotOf([first]), [first]), []);
  });

  void it("reports a known incident that changed state or flapped, not one merely touched", () => {
    const open = incident();
    const resolved = { ...open, status: "resolved" as const, alarm: { ...open.alarm, state: "OK" as const }, lastChangeAt: "2026-11-25T03:20:00.000Z" };
    assert.deepEqual(diffArrivals(snapshotOf([open]), [resolved]).map((a) => [a.kind, a.state]), [["changed", "OK"]]);
    const flapped = { ...open, flaps: 1, lastChangeAt: "2026-11-25T03:21:00.000Z" };
    assert.deepEqual(diffArrivals(snapshotOf([open]), [flapped]).map((a) => [a.kind, a.state]), [["changed", "ALARM"]]);
    const acknowledged = { ...open, acknowledged: true, lastChangeAt: "2026-11-25T03:22:00.000Z" };
    assert.deepEqual(diffArrivals(snapshotOf([open]), [acknowledged]), []);
  });
});

void describe("wantsNotification", () => {
  const inAlarm: AlarmArrival = { incident: incident(), kind: "opened", state: "ALARM" };
  const ok: AlarmArrival = { incident: incident({ state: "OK" }), kind: "changed", state: "OK" };
  void it("alarm mode: only open incidents in ALARM", () => {
    assert.equal(wantsNotification(inAlarm, "alarm"), true);
    assert.equal(wantsNotification(ok, "alarm"), false);
  });
  void it("all mode: every change; off: nothing", () => {
    assert.equal(wantsNotification(ok, "all"), true);
    assert.equal(wantsNotification(inAlarm, "off"), false);
  });
});

void describe("NotificationPlanner", () => {
  void it("shows the first few alarms one by one", () => {
    const planner = new NotificationPlanner(3, 30_000, 2_000);
    const actions = planner.add(arrivals(2), 0);
    assert.deepEqual(actions.map((a) => a.kind), ["single", "single"]);
    assert.equal(planner.pending, false);
  });

  void it("turns a storm of 500 alarms into 3 toasts and one summary", () => {
    const planner = new NotificationPlanner(3, 30_000, 2_000);
    const shown = [];
    for (let i = 0; i < 50; i++) {
      shown.push(...planner.add(arrivals(10), i * 100));
      const summary = planner.flush(i * 100);
      if (summary) {
        shown.push(summary);
      }
    }
    assert.equal(planner.flush(4_950), null, "no summary while alarms keep arriving");
    const summary = planner.flush(4_900 + 2_000);
    assert.ok(summary);
    shown.push(summary);
    assert.deepEqual(shown.map((a) => a.kind), ["single", "single", "single", "summary"]);
    assert.deepEqual(summary, { kind: "summary", count: 497, alarms: 497 });
  });

  void it("allows single toasts again once the window has passed", () => {
    const planner = new NotificationPlanner(3, 30_000, 2_000);
    planner.add(arrivals(5), 0);
    assert.ok(planner.flush(2_000));
    assert.deepEqual(planner.add(arrivals(1), 10_000), [], "still inside the window: held");
    assert.ok(planner.flush(12_000));
    assert.deepEqual(planner.add(arrivals(1), 60_000).map((a) => a.kind), ["single"]);
  });
});
