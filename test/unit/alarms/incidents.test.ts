// IncidentBook (the store's pure state): the incident a flapping alarm ends as must not depend on
// the order SQS delivered its state changes in, nor on duplicates among them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IncidentBook } from "../../../src/alarms/incidents";
import type { AlarmState } from "../../../src/alarms/model";
import { at, makeAlarm } from "./samples";

const FLAPPING: AlarmState[] = ["ALARM", "OK", "ALARM", "INSUFFICIENT_DATA", "ALARM", "OK"];

function summary(book: IncidentBook): unknown {
  return book.list().map((i) => ({
    status: i.status,
    state: i.alarm.state,
    flaps: i.flaps,
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    lastChangeAt: i.lastChangeAt,
    history: i.history.map((h) => `${h.state}@${h.at}`),
  }));
}

function replay(order: number[]): IncidentBook {
  const book = new IncidentBook();
  for (const step of order) {
    book.apply({ op: "alarm", alarm: makeAlarm({ state: FLAPPING[step], changedAt: at(step * 3) }), key: `sqs:${step}-${Math.random()}` });
  }
  return book;
}

void describe("IncidentBook: delivery order", () => {
  const inOrder = summary(replay(FLAPPING.map((_, i) => i)));

  void it("in order: one incident, resolved at the last OK, two flaps", () => {
    assert.deepEqual(inOrder, [
      {
        status: "resolved",
        state: "OK",
        flaps: 2,
        openedAt: at(0),
        resolvedAt: at(15),
        lastChangeAt: at(15),
        history: FLAPPING.map((s, i) => `${s}@${at(i * 3)}`),
      },
    ]);
  });

  void it("any order, with any changes delivered twice, ends as the same incident", () => {
    const steps = FLAPPING.map((_, i) => i);
    fc.assert(
      fc.property(fc.shuffledSubarray(steps, { minLength: steps.length, maxLength: steps.length }), fc.array(fc.nat(steps.length - 1), { maxLength: 4 }), (order, repeats) => {
        const withDuplicates = [...order];
        for (const r of repeats) {
          withDuplicates.splice(r, 0, order[r]);
        }
        assert.deepEqual(summary(replay(withDuplicates)), inOrder);
      }),
      { numRuns: 300 },
    );
  });
});
