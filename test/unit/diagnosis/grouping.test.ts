// Grouping of the Alarms view: by state with Unparsed last, or by host through the inventory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostEntry } from "../../../src/hosts/model";
import { groupAlarms, hostForIncident, isGroup, isIncident, isUnparsed } from "../../../src/diagnosis/grouping";
import { alarm, incident, unparsed } from "../alarms/fixtures";

const labels = { state: (s: string) => s, noHost: "No known host", unparsed: "Unparsed" };
const hosts: HostEntry[] = [
  { id: "web-01", name: "prod-web-01", transport: "agent", url: "http://127.0.0.1:9917", keyId: "k", aliases: ["i-0a1b2c3d4e5f67890"] },
  { id: "db-01", name: "prod-db-01", transport: "agent", url: "http://127.0.0.1:9918", keyId: "k" },
];

const cpu = incident({ alarm: alarm({ name: "cpu", changedAt: "2026-11-25T03:00:00.000Z" }) });
const mem = incident({ alarm: alarm({ name: "mem", changedAt: "2026-11-25T03:05:00.000Z" }) });
/** An alarm on this instance, as the parser builds it (the dimension and hostId agree). */
const on = (instanceId: string) => ({ hostId: instanceId, metric: { ...alarm().metric!, dimensions: { InstanceId: instanceId } } });
const dataGap = incident({ alarm: alarm({ name: "gap", state: "INSUFFICIENT_DATA", ...on("db-01") }) });
const recovered = incident({ alarm: alarm({ name: "recovered", state: "OK", ...on("i-unknown") }) });
const namedOnly = incident({ alarm: alarm({ name: "prod-db-01-disk", hostId: null, metric: { ...alarm().metric!, dimensions: { path: "/" } } }) });
const otherInstance = incident({ alarm: alarm({ name: "prod-web-01-cpu-high", ...on("i-0ffffffffffffffff") }) });
const composite = incident({ alarm: alarm({ name: "composite", hostId: null, metric: null }) });

void describe("groupAlarms by state", () => {
  void it("orders ALARM, INSUFFICIENT_DATA, OK, Unparsed, newest first, without empty groups", () => {
    const groups = groupAlarms([cpu, recovered, mem, dataGap], [unparsed()], "state", hosts, labels);
    assert.deepEqual(groups.map((g) => [g.key, g.incidents.map((i) => i.name), g.unparsed.length]), [
      ["ALARM", ["mem", "cpu"], 0],
      ["INSUFFICIENT_DATA", ["gap"], 0],
      ["OK", ["recovered"], 0],
      ["UNPARSED", [], 1],
    ]);
    assert.deepEqual(groupAlarms([cpu], [], "state", hosts, labels).map((g) => g.key), ["ALARM"]);
  });

  void it("shows a resolved incident under OK even if its last alarm said otherwise", () => {
    const resolved = { ...cpu, status: "resolved" as const };
    assert.deepEqual(groupAlarms([resolved], [], "state", hosts, labels).map((g) => g.key), ["OK"]);
  });
});

void describe("groupAlarms by host", () => {
  void it("names hosts from the inventory (aliases too), hosts in alarm first, unknown hosts by id, none last", () => {
    const groups = groupAlarms([dataGap, cpu, recovered, composite, mem], [], "host", hosts, labels);
    assert.deepEqual(groups.map((g) => [g.label, g.incidents.length]), [
      ["prod-web-01", 2],
      ["i-unknown", 1],
      ["prod-db-01", 1],
      ["No known host", 1],
    ]);
  });

  void it("finds the host of an incident by id or alias, never a host its alarm does not name", () => {
    assert.equal(hostForIncident(cpu, hosts)?.id, "web-01");
    assert.equal(hostForIncident(dataGap, hosts)?.id, "db-01");
    assert.equal(hostForIncident(recovered, hosts), null);
    assert.equal(hostForIncident(namedOnly, hosts)?.id, "db-01", "no host dimension: the name mentions prod-db-01");
    assert.equal(hostForIncident(otherInstance, hosts), null, "another instance, although the name mentions prod-web-01");
    assert.equal(hostForIncident(recovered, [hosts[0]]), null, "not the only configured host either");
  });
});

void describe("tree element guards", () => {
  void it("tell groups, incidents and unparsed entries apart (commands get the domain object)", () => {
    const [group] = groupAlarms([cpu], [], "state", hosts, labels);
    assert.ok(isGroup(group) && !isIncident(group) && !isUnparsed(group));
    assert.ok(isIncident(cpu) && !isGroup(cpu) && !isUnparsed(cpu));
    assert.ok(isUnparsed(unparsed()) && !isIncident(unparsed()));
    assert.ok(!isIncident(undefined) && !isUnparsed("x"));
  });
});
