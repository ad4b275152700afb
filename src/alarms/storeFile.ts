// The alarm store's file (alarms.json) as data that may be damaged: every entry checked on its own
// (a bad one is set aside, the others load), and a file cut short or corrupted read up to the last
// complete entry. The store never trusts the file's shape: another version, an editor or a full
// disk may have written it.
import * as z from "zod/mini";
import type { StoreFile } from "./incidents";
import type { Incident, UnparsedEntry } from "./model";

/** An entry that did not pass its check, kept (with why) in the set-aside file. */
export interface RejectedEntry {
  section: "incidents" | "unparsed" | "seen";
  index: number;
  reason: string;
  value: unknown;
}

export interface CheckedStore {
  file: StoreFile;
  rejected: RejectedEntry[];
}

// Built on first use: dist/extension.js loads this module at activation.
function buildSchemas() {
  const text = z.string();
  const maybeText = z.nullable(z.string());
  const state = z.enum(["ALARM", "OK", "INSUFFICIENT_DATA"]);
  const dimensions = z.record(z.string(), z.string());
  const query = z.looseObject({
    id: text,
    expression: maybeText,
    label: maybeText,
    namespace: maybeText,
    name: maybeText,
    statistic: maybeText,
    dimensions,
    returnData: z.boolean(),
  });
  const metric = z.looseObject({
    namespace: maybeText,
    name: maybeText,
    statistic: maybeText,
    threshold: z.nullable(z.number()),
    comparison: maybeText,
    dimensions,
    period: z.nullable(z.number()),
    evaluationPeriods: z.nullable(z.number()),
    queries: z.array(query),
  });
  const alarm = z.looseObject({
    name: text,
    description: maybeText,
    state,
    previousState: z.nullable(state),
    reason: text,
    changedAt: text,
    region: text,
    accountId: text,
    arn: text,
    source: z.enum(["sns", "raw", "eventbridge"]),
    messageId: maybeText,
    metric: z.nullable(metric),
    children: z.array(text),
    rule: maybeText,
    hostId: maybeText,
  });
  const incident = z.looseObject({
    id: text,
    arn: text,
    name: text,
    hostId: maybeText,
    status: z.enum(["open", "resolved"]),
    alarm,
    openedAt: text,
    resolvedAt: maybeText,
    lastChangeAt: text,
    flaps: z.number(),
    acknowledged: z.boolean(),
    history: z.array(z.looseObject({ state, at: text, reason: text })),
  });
  const unparsed = z.looseObject({ id: text, receivedAt: text, messageId: maybeText, error: text, body: text });
  return { incident, unparsed };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

function problemOf(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) {
    return "invalid";
  }
  const path = issue.path.map(String).join(".");
  return path === "" ? issue.message : `${path}: ${issue.message}`;
}

/** Why a stored incident cannot be used, or null. */
export function incidentProblem(value: unknown): string | null {
  schemas ??= buildSchemas();
  const checked = schemas.incident.safeParse(value);
  if (!checked.success) {
    return problemOf(checked.error);
  }
  const incident = value as Incident;
  if (incident.alarm.arn !== incident.arn) {
    return "alarm.arn: differs from the incident's arn";
  }
  return null;
}

/** Why a stored unparsed entry cannot be used, or null. */
export function unparsedProblem(value: unknown): string | null {
  schemas ??= buildSchemas();
  const checked = schemas.unparsed.safeParse(value);
  return checked.success ? null : problemOf(checked.error);
}

/**
 * Checks a parsed store file entry by entry. Null when it is not an ATL store at all (no header);
 * otherwise the usable entries and the rejected ones. Entries are kept as they were (fields a newer
 * version added survive).
 */
export function checkStoreFile(value: unknown): CheckedStore | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return null;
  }
  const raw = value as Record<string, unknown>;
  if (raw.format !== "atl-alarm-store" || raw.version !== 1) {
    return null;
  }
  const rejected: RejectedEntry[] = [];
  const section = <T>(name: RejectedEntry["section"], check: (entry: unknown) => string | null): T[] => {
    const list = raw[name];
    if (list === undefined) {
      return [];
    }
    if (!Array.isArray(list)) {
      rejected.push({ section: name, index: -1, reason: "not a list", value: list });
      return [];
    }
    const kept: T[] = [];
    list.forEach((entry: unknown, index) => {
      const problem = check(entry);
      if (problem === null) {
        kept.push(entry as T);
      } else {
        rejected.push({ section: name, index, reason: problem, value: entry });
      }
    });
    return kept;
  };
  const file: StoreFile = {
    format: "atl-alarm-store",
    version: 1,
    savedAt: typeof raw.savedAt === "string" ? raw.savedAt : "",
    incidents: section<Incident>("incidents", incidentProblem),
    unparsed: section<UnparsedEntry>("unparsed", unparsedProblem),
    seen: section<string>("seen", (key) => (typeof key === "string" ? null : "not a string")),
  };
  return { file, rejected };
}

/**
 * What can be read from a store text that does not parse (cut short by a full disk or a crash, or
 * damaged in the middle): the top-level members up to the damage, and of a list member every
 * element up to the first that does not parse. Null when not even the opening brace is there.
 */
export function salvageStoreText(text: string): Record<string, unknown> | null {
  let i = skipSpace(text, 0);
  if (text[i] !== "{") {
    return null;
  }
  const out: Record<string, unknown> = {};
  i = skipSpace(text, i + 1);
  while (i < text.length && text[i] !== "}") {
    const keyEnd = valueEnd(text, i);
    if (keyEnd < 0 || text[i] !== '"') {
      break;
    }
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") {
      break;
    }
    i = skipSpace(text, i + 1);
    if (text[i] === "[") {
      const { items, end, complete } = salvageList(text, i);
      out[key] = items;
      if (!complete) {
        break;
      }
      i = end;
    } else {
      const end = valueEnd(text, i);
      if (end < 0) {
        break;
      }
      try {
        out[key] = JSON.parse(text.slice(i, end)) as unknown;
      } catch {
        break;
      }
      i = end;
    }
    i = skipSpace(text, i);
    if (text[i] === ",") {
      i = skipSpace(text, i + 1);
    }
  }
  return out;
}

function salvageList(text: string, start: number): { items: unknown[]; end: number; complete: boolean } {
  const items: unknown[] = [];
  let i = skipSpace(text, start + 1);
  while (i < text.length) {
    if (text[i] === "]") {
      return { items, end: i + 1, complete: true };
    }
    const end = valueEnd(text, i);
    if (end < 0) {
      break;
    }
    try {
      items.push(JSON.parse(text.slice(i, end)) as unknown);
    } catch {
      break;
    }
    i = skipSpace(text, end);
    if (text[i] === ",") {
      i = skipSpace(text, i + 1);
    } else if (text[i] !== "]") {
      break;
    }
  }
  return { items, end: i, complete: false };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) {
    i++;
  }
  return i;
}

/**
 * Index just past the JSON value starting at `start` (strings with escapes, nested objects and
 * lists, literals), or -1 when the text ends first. The value itself is checked by JSON.parse.
 */
function valueEnd(text: string, start: number): number {
  const first = text[start];
  if (first === '"') {
    return stringEnd(text, start);
  }
  if (first === "{" || first === "[") {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        i = stringEnd(text, i) - 1;
        if (i < 0) {
          return -1;
        }
      } else if (c === "{" || c === "[") {
        depth++;
      } else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) {
          return i + 1;
        }
      }
    }
    return -1;
  }
  let i = start;
  while (i < text.length && !",}] \n\r\t".includes(text[i])) {
    i++;
  }
  return i === text.length ? -1 : i;
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") {
      i++;
    } else if (text[i] === '"') {
      return i + 1;
    }
  }
  return -1;
}

/**
 * Two readings of the store combined: the damaged file's entries (newer) over those of the
 * last-good copy. Incidents and unparsed entries by id, dedupe keys together.
 */
export function mergeStoreFiles(newer: StoreFile, older: StoreFile): StoreFile {
  const incidents = new Map(older.incidents.map((i) => [i.id, i]));
  for (const incident of newer.incidents) {
    incidents.set(incident.id, incident);
  }
  const unparsed = new Map(older.unparsed.map((u) => [u.id, u]));
  for (const entry of newer.unparsed) {
    unparsed.set(entry.id, entry);
  }
  return {
    format: "atl-alarm-store",
    version: 1,
    savedAt: newer.savedAt || older.savedAt,
    incidents: [...incidents.values()],
    unparsed: [...unparsed.values()],
    seen: [...new Set([...older.seen, ...newer.seen])],
  };
}
