// The host inventory (`atl.hosts` setting, `--hosts FILE` in the CLI): validates every entry on
// its own so one typo does not hide the other hosts, and says which entry and field is wrong.
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import * as z from "zod/mini";
import { en } from "zod/locales";
import type { AgentHostEntry, HostEntry, SshHostEntry } from "./model";

export interface HostsInventory {
  /** Valid entries, in the order given (a duplicate id keeps the first). */
  hosts: HostEntry[];
  /** One line per problem: `hosts[2] "prod-web-01": hostKeySha256: …`. */
  errors: string[];
}

export interface InventoryOptions {
  /** Relative `secretFile`/`privateKeyFile`/`caFile` paths resolve against this (the CLI's inventory file dir). */
  baseDir?: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const URL_PATTERN = /^https?:\/\/[^\s/]+(:\d+)?\/?$/;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const HOSTNAME_PATTERN = /^[A-Za-z0-9._:[\]-]{1,253}$/;

const FINGERPRINT_FIX = "pin the host key: on the host run `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` and copy the SHA256:… value";

// The schemas are built on the first entry parsed, not when the module loads (dist/extension.js
// loads it at activation; a window with no hosts never needs them).
function buildSchemas() {
  const nonEmpty = z.string().check(z.trim(), z.minLength(1, "must not be empty"));
  const stringList = z.optional(z.array(nonEmpty));

  const base = {
    id: z.string().check(z.regex(ID_PATTERN, "must be letters, digits, '.', '_', ':' or '-' (up to 128), e.g. an EC2 instance id")),
    name: z.optional(nonEmpty),
    aliases: stringList,
    tags: stringList,
  };

  const agentSchema = z.object({
    ...base,
    transport: z.literal("agent"),
    url: z
      .string({ error: "is required (the agent's base URL, e.g. https://10.0.1.5:9917)" })
      .check(z.regex(URL_PATTERN, "must be http(s)://host:port with no path, e.g. https://10.0.1.5:9917")),
    keyId: z.string({ error: "is required (the --key-id the agent was started with)" }).check(z.regex(KEY_ID_PATTERN, "must be 1–64 letters, digits, '.', '_' or '-'")),
    secretFile: z.optional(nonEmpty),
    caFile: z.optional(nonEmpty),
  });

  const sshSchema = z.object({
    ...base,
    transport: z.literal("ssh"),
    host: z.string({ error: "is required (host name or address)" }).check(z.regex(HOSTNAME_PATTERN, "must be a host name or IP address")),
    port: z.optional(
      z
        .number({ error: "must be a number" })
        .check(z.refine((n) => Number.isInteger(n), "must be a whole number"), z.gte(1, "must be 1–65535"), z.lte(65535, "must be 1–65535")),
    ),
    username: z.string({ error: "is required" }).check(z.trim(), z.minLength(1, "must not be empty")),
    privateKeyFile: z.optional(nonEmpty),
    hostKeySha256: z
      .string({ error: `is required: ${FINGERPRINT_FIX}` })
      .check(z.regex(FINGERPRINT_PATTERN, `must look like SHA256:<43 base64 characters>; ${FINGERPRINT_FIX}`)),
  });

  const knownFields: Record<HostEntry["transport"], Set<string>> = {
    agent: new Set(Object.keys(agentSchema.shape)),
    ssh: new Set(Object.keys(sshSchema.shape)),
  };

  // zod/mini keeps dist/extension.js small; English messages come per parse (mini carries none).
  return { agentSchema, sshSchema, knownFields, englishErrors: en().localeError };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;

function schemas(): Schemas {
  built ??= buildSchemas();
  return built;
}

export function parseHostsInventory(value: unknown, options: InventoryOptions = {}): HostsInventory {
  const hosts: HostEntry[] = [];
  const errors: string[] = [];
  if (value === undefined || value === null) {
    return { hosts, errors };
  }
  if (!Array.isArray(value)) {
    return { hosts, errors: [`The host inventory must be a JSON array of host entries, got ${describe(value)}.`] };
  }
  const seen = new Map<string, number>();
  value.forEach((raw: unknown, index) => {
    const label = entryLabel(raw, index);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      errors.push(`${label}: must be an object like {"id","name","transport",…}, got ${describe(raw)}.`);
      return;
    }
    const record = raw as Record<string, unknown>;
    const transport = record.transport;
    if (transport !== "agent" && transport !== "ssh") {
      errors.push(`${label}: transport: must be "agent" or "ssh"${transport === undefined ? " (missing)" : `, got ${describe(transport)}`}.`);
      return;
    }
    const { agentSchema, sshSchema, knownFields, englishErrors } = schemas();
    for (const key of Object.keys(record)) {
      if (!knownFields[transport].has(key)) {
        errors.push(`${label}: ${key}: unknown field for an ${transport === "agent" ? "agent" : "SSH"} host (ignored); check the spelling.`);
      }
    }
    const parsed = transport === "agent" ? agentSchema.safeParse(record, { error: englishErrors }) : sshSchema.safeParse(record, { error: englishErrors });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length > 0 ? issue.path.join(".") : "entry";
        errors.push(`${label}: ${field}: ${issue.message}.`);
      }
      return;
    }
    const entry = toEntry(parsed.data, options);
    const previous = seen.get(entry.id);
    if (previous !== undefined) {
      errors.push(`${label}: id: duplicate of hosts[${previous}]; the first entry is used.`);
      return;
    }
    seen.set(entry.id, index);
    hosts.push(entry);
  });
  errors.push(...aliasConflicts(hosts));
  return { hosts, errors };
}

type AgentInput = z.infer<Schemas["agentSchema"]>;
type SshInput = z.infer<Schemas["sshSchema"]>;

function toEntry(data: AgentInput | SshInput, options: InventoryOptions): HostEntry {
  const common = {
    id: data.id,
    name: data.name ?? data.id,
    ...(data.aliases ? { aliases: data.aliases } : {}),
    ...(data.tags ? { tags: data.tags } : {}),
  };
  if (data.transport === "agent") {
    const entry: AgentHostEntry = { ...common, transport: "agent", url: data.url, keyId: data.keyId };
    if (data.secretFile) {
      entry.secretFile = resolvePath(data.secretFile, options);
    }
    if (data.caFile) {
      entry.caFile = resolvePath(data.caFile, options);
    }
    return entry;
  }
  const entry: SshHostEntry = {
    ...common,
    transport: "ssh",
    host: data.host,
    port: data.port ?? 22,
    username: data.username,
    hostKeySha256: data.hostKeySha256,
  };
  if (data.privateKeyFile) {
    entry.privateKeyFile = resolvePath(data.privateKeyFile, options);
  }
  return entry;
}

/** `~/x` → home; relative → against baseDir (when given). */
function resolvePath(path: string, options: InventoryOptions): string {
  if (path === "~" || path.startsWith("~/")) {
    return resolve(homedir(), path.slice(2));
  }
  if (!isAbsolute(path) && options.baseDir) {
    return resolve(options.baseDir, path);
  }
  return path;
}

/** An alias naming two hosts makes alarm routing ambiguous: say so (the first host wins). */
function aliasConflicts(hosts: HostEntry[]): string[] {
  const owner = new Map<string, string>();
  for (const host of hosts) {
    owner.set(host.id.toLowerCase(), host.id);
  }
  const errors: string[] = [];
  for (const host of hosts) {
    for (const alias of host.aliases ?? []) {
      const key = alias.toLowerCase();
      const other = owner.get(key);
      if (other !== undefined && other !== host.id) {
        errors.push(`host "${host.id}": aliases: "${alias}" already means host "${other}"; alarms with it go to "${other}".`);
      } else {
        owner.set(key, host.id);
      }
    }
  }
  return errors;
}

function entryLabel(raw: unknown, index: number): string {
  const id = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>).id : undefined;
  return typeof id === "string" && id.length > 0 ? `hosts[${index}] "${id.slice(0, 128)}"` : `hosts[${index}]`;
}

function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  if (typeof value === "string") {
    return JSON.stringify(value.slice(0, 40));
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return `${typeof value} ${value}`;
  }
  return typeof value === "object" ? "an object" : typeof value;
}
