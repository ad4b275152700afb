// Grouping of the Alarms view: incidents by state (ALARM / INSUFFICIENT_DATA / OK) or by host,
// plus "Unparsed", and the type guards commands use on tree elements. No `vscode` import (tested
// under node).
import type { AlarmState, Incident, UnparsedEntry } from "../alarms/model";
import type { HostEntry } from "../hosts/model";
import { byLastChange } from "../alarms/present";
import { resolveAlarmHost } from "../hosts/resolve";

export type GroupBy = "state" | "host";

export type GroupKey = AlarmState | "UNPARSED" | `host:${string}` | "host:";

export interface AlarmGroup {
  readonly kind: "group";
  readonly key: GroupKey;
  readonly label: string;
  readonly state: AlarmState | "UNPARSED" | null;
  readonly incidents: Incident[];
  readonly unparsed: UnparsedEntry[];
}

/** A tree element: the incident or unparsed entry itself (so commands receive domain objects), or a group. */
export type AlarmNode = AlarmGroup | Incident | UnparsedEntry;

export function isGroup(node: unknown): node is AlarmGroup {
  return typeof node === "object" && node !== null && (node as AlarmGroup).kind === "group";
}

export function isIncident(node: unknown): node is Incident {
  const n = node as Incident | null;
  return typeof n === "object" && n !== null && typeof n.arn === "string" && typeof n.status === "string" && typeof n.alarm === "object";
}

export function isUnparsed(node: unknown): node is UnparsedEntry {
  const n = node as UnparsedEntry | null;
  return typeof n === "object" && n !== null && typeof n.body === "string" && typeof n.error === "string" && typeof n.receivedAt === "string";
}

const STATE_ORDER: AlarmState[] = ["ALARM", "INSUFFICIENT_DATA", "OK"];

/** The inventory host an incident's alarm names (src/hosts/resolve.ts); null when none matches. */
export function hostForIncident(incident: Incident, hosts: readonly HostEntry[]): HostEntry | null {
  const match = resolveAlarmHost(incident.alarm, hosts);
  return match.kind === "found" ? match.host : null;
}

/** Groups incidents (newest first inside a group) and unparsed entries; empty groups are left out. */
export function groupAlarms(incidents: Incident[], unparsed: UnparsedEntry[], groupBy: GroupBy, hosts: HostEntry[], labels: { state: (s: AlarmState) => string; noHost: string; unparsed: string }): AlarmGroup[] {
  const groups: AlarmGroup[] = [];
  if (groupBy === "state") {
    for (const state of STATE_ORDER) {
      const members = incidents.filter((i) => stateOf(i) === state).sort(byLastChange);
      if (members.length > 0) {
        groups.push({ kind: "group", key: state, label: labels.state(state), state, incidents: members, unparsed: [] });
      }
    }
  } else {
    const byHost = new Map<string, Incident[]>();
    for (const incident of incidents) {
      const host = hostForIncident(incident, hosts);
      const key = host ? host.id : (incident.hostId ?? "");
      const list = byHost.get(key) ?? [];
      list.push(incident);
      byHost.set(key, list);
    }
    const hostGroups: AlarmGroup[] = [...byHost.entries()].map(([key, members]) => {
      const host = hosts.find((h) => h.id === key);
      return { kind: "group", key: `host:${key}`, label: key === "" ? labels.noHost : (host?.name ?? key), state: null, incidents: members.sort(byLastChange), unparsed: [] };
    });
    // Hosts with open ALARM incidents first, then by name; "no host" last.
    const openAlarms = (g: AlarmGroup) => g.incidents.filter((i) => i.status === "open" && i.alarm.state === "ALARM").length;
    hostGroups.sort((a, b) => Number(a.key === "host:") - Number(b.key === "host:") || openAlarms(b) - openAlarms(a) || a.label.localeCompare(b.label));
    groups.push(...hostGroups);
  }
  if (unparsed.length > 0) {
    const sorted = [...unparsed].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    groups.push({ kind: "group", key: "UNPARSED", label: labels.unparsed, state: "UNPARSED", incidents: [], unparsed: sorted });
  }
  return groups;
}

/** The group an incident shows under: its latest state, and OK once resolved. */
function stateOf(incident: Incident): AlarmState {
  return incident.status === "resolved" ? "OK" : incident.alarm.state;
}

