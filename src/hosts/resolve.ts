// Which inventory host an alarm or a sentence is about. One resolution for every path — the triage
// on arrival, the Diagnose click, the Alarms view's grouping, the graph and the CLI — so an alarm
// is never diagnosed on a host it does not name. Pure (no transports): dist/extension.js uses it.
import type { Alarm } from "../alarms/model";
import type { HostEntry } from "./model";

/**
 * found: the host; not-found: the alarm names hosts (instance ids, CWAgent `host` names) and none
 * of them is in the inventory — `mentioned` is an inventory host its name mentions, which the
 * user may mean (never used without asking); unnamed: the alarm names no host at all (composite,
 * load balancer, …).
 */
export type AlarmHostMatch = { kind: "found"; host: HostEntry } | { kind: "not-found"; named: string[]; mentioned: HostEntry | null } | { kind: "unnamed" };

/** Dimensions whose value names one machine (compared case-insensitively). */
const HOST_DIMENSIONS = new Set(["instanceid", "host", "hostname"]);

/** The inventory entry with this id (exact first, then case-insensitive). */
export function hostById(hosts: readonly HostEntry[], id: string): HostEntry | undefined {
  return hosts.find((h) => h.id === id) ?? hosts.find((h) => h.id.toLowerCase() === id.toLowerCase());
}

/**
 * The host an alarm is about: its EC2 instance id first, then every dimension value (metric and
 * metric-math queries) matched against ids, aliases, names and addresses. When the alarm names a
 * host that is not in the inventory, that is the answer (not-found), even if its name mentions
 * another host; only an alarm that names no host at all is matched by a host its name mentions.
 */
export function resolveAlarmHost(alarm: Alarm, hosts: readonly HostEntry[]): AlarmHostMatch {
  const dimensionSets = [alarm.metric?.dimensions ?? {}, ...(alarm.metric?.queries ?? []).map((q) => q.dimensions)];
  const named: string[] = [];
  const values: string[] = [];
  const add = (list: string[], value: string | null | undefined): void => {
    const v = value?.trim();
    if (v && !list.includes(v)) {
      list.push(v);
    }
  };
  add(named, alarm.hostId);
  for (const dimensions of dimensionSets) {
    for (const [name, value] of Object.entries(dimensions)) {
      if (HOST_DIMENSIONS.has(name.toLowerCase())) {
        add(named, value);
      }
    }
  }
  for (const value of named) {
    add(values, value);
  }
  for (const dimensions of dimensionSets) {
    for (const value of Object.values(dimensions)) {
      add(values, value);
    }
  }
  for (const value of values) {
    const host = matchHostIdentifier(hosts, value);
    if (host) {
      return { kind: "found", host };
    }
  }
  const mentioned = hostMentionedIn(hosts, alarm.name);
  if (named.length > 0) {
    return { kind: "not-found", named, mentioned };
  }
  return mentioned ? { kind: "found", host: mentioned } : { kind: "unnamed" };
}

/** The host with this id, alias, name or address (the whole value, case-insensitive). */
export function matchHostIdentifier(hosts: readonly HostEntry[], value: string): HostEntry | null {
  const wanted = value.trim().toLowerCase();
  if (!wanted) {
    return null;
  }
  return (
    hosts.find((h) => h.id.toLowerCase() === wanted || (h.aliases ?? []).some((a) => a.toLowerCase() === wanted)) ??
    hosts.find((h) => identifiers(h).some((t) => t.toLowerCase() === wanted)) ??
    null
  );
}

/** A host mentioned in free text (id, name, alias or address); the first mention wins. */
export function hostMentionedIn(hosts: readonly HostEntry[], text: string): HostEntry | null {
  const lower = text.toLowerCase();
  let best: { host: HostEntry; at: number; length: number } | null = null;
  for (const host of hosts) {
    for (const token of identifiers(host)) {
      const at = findMention(lower, token.toLowerCase());
      if (at < 0) {
        continue;
      }
      if (!best || at < best.at || (at === best.at && token.length > best.length)) {
        best = { host, at, length: token.length };
      }
    }
  }
  return best?.host ?? null;
}

/** What a host may be called: id, aliases, name, SSH address, agent URL host. */
function identifiers(host: HostEntry): string[] {
  const list = [host.id, ...(host.aliases ?? []), host.name];
  if (host.transport === "ssh") {
    list.push(host.host);
  } else {
    try {
      list.push(new URL(host.url).hostname);
    } catch {
      // Invalid URLs are reported by the inventory parser.
    }
  }
  return [...new Set(list.filter((t) => t.trim().length >= 2))];
}

const WORD = /[a-z0-9_-]/;
const SEPARATOR = /[-_.]/;
const LETTER = /[a-z]/;

/**
 * Index of `token` in `text` as a whole word, or -1. Not inside a longer id ("prod-web-010" does
 * not mention "prod-web-01"), but a separator followed by a letter ends a word, as in alarm names
 * like "prod-web-01-cpu-high" or "high-cpu-prod-web-01".
 */
function findMention(text: string, token: string): number {
  let from = 0;
  for (;;) {
    const at = text.indexOf(token, from);
    if (at < 0) {
      return -1;
    }
    const before = text[at - 1] ?? " ";
    const beforePrev = text[at - 2] ?? " ";
    const after = text[at + token.length] ?? " ";
    const afterNext = text[at + token.length + 1] ?? " ";
    const startsWord = (!WORD.test(before) && before !== ".") || (SEPARATOR.test(before) && LETTER.test(beforePrev));
    const endsWord = (!WORD.test(after) && !(after === "." && WORD.test(afterNext))) || (SEPARATOR.test(after) && LETTER.test(afterNext));
    if (startsWord && endsWord) {
      return at;
    }
    from = at + 1;
  }
}
