// The agent's configuration: command-line flags (fixed in ARCHITECTURE.md) over an optional JSON
// config file, validated, with keys loaded from their secret files or the environment.
import { constants as fsConstants } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { AtlError, errnoCode } from "../../src/shared/errors";
import { KEY_ID_PATTERN, type AgentKey } from "./auth";
import { DEFAULT_SAMPLE_SECONDS, MAX_SAMPLE_SECONDS } from "./policy/index";
import { normalizeSecret } from "./protocol";
import { SchemaError, array, integer, number, object, optional, string, type Infer } from "./schema";

export const DEFAULT_PORT = 9917;
/** Shorter secrets are refused: HMAC keys should carry at least 128 bits of randomness. */
export const MIN_SECRET_CHARS = 32;
export const SECRET_ENV = "ATL_AGENT_SECRET";

export interface AgentLimits {
  /** Largest request body; larger → 413. */
  maxBodyBytes: number;
  /** Exec requests running at once; more → 429 with Retry-After. */
  maxConcurrent: number;
  /** Commands in one request; more → 400. */
  maxCommands: number;
  defaultTimeoutSec: number;
  /** Requests asking for more are capped to this. */
  maxTimeoutSec: number;
  /** Kept stdout, and separately stderr, per command. */
  maxOutputBytes: number;
  /** Kept output of all commands of one request together (the response cap); the rest is dropped. */
  maxResponseBytes: number;
  /** Open client connections; past it, idle unauthenticated ones are closed first. Lowered to fit the open-file limit. */
  maxConnections: number;
  /** Refused signatures are audited as one record per client per this interval. */
  authAuditIntervalSec: number;
  /** Replay-cache capacity (nonces remembered for the ±300 s window). */
  maxNonces: number;
  /** SIGTERM → SIGKILL delay when a command is stopped. */
  killGraceSec: number;
  /** How long an interval command without a count samples (`vmstat 1` runs as `vmstat 1 6`). */
  sampleSec: number;
}

export const DEFAULT_LIMITS: Readonly<AgentLimits> = Object.freeze({
  maxBodyBytes: 64 * 1024,
  maxConcurrent: 16,
  maxCommands: 20,
  defaultTimeoutSec: 30,
  maxTimeoutSec: 300,
  maxOutputBytes: 1024 * 1024,
  maxResponseBytes: 4 * 1024 * 1024,
  maxConnections: 1024,
  authAuditIntervalSec: 60,
  maxNonces: 100_000,
  killGraceSec: 2,
  sampleSec: DEFAULT_SAMPLE_SECONDS,
});

export interface KeySource {
  id: string;
  /** Absolute path; null when the secret comes from ATL_AGENT_SECRET. */
  secretFile: string | null;
}

export interface AgentConfig {
  listen: { host: string; port: number };
  keys: KeySource[];
  tls: { certFile: string; keyFile: string } | null;
  limits: AgentLimits;
  policyFile: string | null;
  /** null: audit lines go to stderr (the journal under systemd). */
  auditFile: string | null;
  /** Folder of the replay journal (nonces across restarts); null: none, the start-time floor applies. */
  stateDir: string | null;
  /** On SIGTERM/SIGINT, how long running commands may finish before they are killed. */
  shutdownGraceSec: number;
  configFile: string | null;
}

export interface CliFlags {
  config?: string;
  listen?: string;
  keyId?: string;
  secretFile?: string;
  policy?: string;
  audit?: string;
  stateDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  help?: boolean;
  version?: boolean;
}

export const USAGE = `Usage: node atl-agent.js --key-id ID (--secret-file FILE | env ${SECRET_ENV}) [options]

Runs policy-checked diagnostic commands for ATL over a signed HTTP API.

Options:
  --listen HOST:PORT    address to listen on (default 127.0.0.1:${DEFAULT_PORT}; use 0.0.0.0:${DEFAULT_PORT} for remote clients)
  --key-id ID           id of the signing key clients use (X-ATL-Key)
  --secret-file FILE    file holding that key's secret (mode 600); or set ${SECRET_ENV}
  --config FILE         JSON config: listen, keys (several, for rotation), tls, limits, policyFile, auditFile
  --policy FILE         operator policy file (JSON rules added to the read-only default)
  --audit FILE          append the audit log (JSON lines) to FILE (default: stderr)
  --state-dir DIR       keep the replay journal here, so a signed request runs at most once across
                        restarts (default: $STATE_DIRECTORY under systemd; without one, requests
                        signed before a restart are refused)
  --tls-cert FILE       serve HTTPS with this certificate (PEM) ...
  --tls-key FILE        ... and this private key (PEM)
  --version             print the version
  --help                print this help
Flags override the config file. SIGHUP reloads the keys and reopens the audit file.`;

const FLAG_NAMES: Record<string, Exclude<keyof CliFlags, "help" | "version">> = {
  "--config": "config",
  "--listen": "listen",
  "--key-id": "keyId",
  "--secret-file": "secretFile",
  "--policy": "policy",
  "--audit": "audit",
  "--state-dir": "stateDir",
  "--tls-cert": "tlsCert",
  "--tls-key": "tlsKey",
};

function configError(message: string, fix?: string, cause?: unknown): AtlError {
  return new AtlError("config", message, { ...(fix ? { fix } : {}), ...(cause === undefined ? {} : { cause }) });
}

export function parseArgs(argv: readonly string[]): CliFlags {
  const flags: CliFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      flags.help = true;
      continue;
    }
    if (arg === "--version") {
      flags.version = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = FLAG_NAMES[name];
    if (key === undefined) {
      throw configError(`Unknown option ${JSON.stringify(name)}.`, "Run with --help for the options.");
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
      throw configError(`Option ${name} needs a value.`, "Run with --help for the options.");
    }
    flags[key] = value;
  }
  return flags;
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw configError(`Listen address ${JSON.stringify(text)} is not HOST:PORT.`, `Use e.g. 127.0.0.1:${DEFAULT_PORT}, 0.0.0.0:${DEFAULT_PORT} or [::1]:${DEFAULT_PORT}.`);
  }
  const host = match[1] ?? match[2] ?? "";
  return { host: host === "" ? "0.0.0.0" : host, port };
}

const limitsSchema = object(
  {
    maxBodyBytes: optional(integer({ min: 1024, max: 64 * 1024 * 1024 })),
    maxConcurrent: optional(integer({ min: 1, max: 1024 })),
    maxCommands: optional(integer({ min: 1, max: 1000 })),
    defaultTimeoutSec: optional(number({ min: 0.1, max: 86_400 })),
    maxTimeoutSec: optional(number({ min: 0.1, max: 86_400 })),
    maxOutputBytes: optional(integer({ min: 1024, max: 1024 * 1024 * 1024 })),
    maxResponseBytes: optional(integer({ min: 1024, max: 1024 * 1024 * 1024 })),
    maxConnections: optional(integer({ min: 8, max: 1_000_000 })),
    authAuditIntervalSec: optional(number({ min: 0.1, max: 86_400 })),
    maxNonces: optional(integer({ min: 100, max: 10_000_000 })),
    killGraceSec: optional(number({ min: 0, max: 600 })),
    sampleSec: optional(integer({ min: 1, max: MAX_SAMPLE_SECONDS })),
  },
  { unknownKeys: "reject" },
);

const configFileSchema = object(
  {
    listen: optional(string({ minLength: 1 })),
    keys: optional(
      array(
        object(
          {
            id: string({ pattern: KEY_ID_PATTERN, patternHint: "must be 1–64 letters, digits, '.', '_' or '-'" }),
            secretFile: string({ minLength: 1 }),
          },
          { unknownKeys: "reject" },
        ),
      ),
    ),
    tls: optional(object({ certFile: string({ minLength: 1 }), keyFile: string({ minLength: 1 }) }, { unknownKeys: "reject" })),
    limits: optional(limitsSchema),
    policyFile: optional(string({ minLength: 1 })),
    auditFile: optional(string({ minLength: 1 })),
    stateDir: optional(string({ minLength: 1 })),
    shutdownGraceSec: optional(number({ min: 0, max: 3600 })),
  },
  { unknownKeys: "reject" },
);

export type ConfigFile = Infer<typeof configFileSchema>;

/** Why a file the agent reads at start-up cannot be used (not a regular file, too large). */
class UnusableFileError extends Error {}

/**
 * Reads a small regular file (config, secret). Opened without blocking, so a FIFO or a device
 * given by mistake is refused at once instead of hanging the start-up; returns text and mode.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<{ text: string; mode: number }> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = info.isFIFO() ? "a FIFO (named pipe)" : info.isDirectory() ? "a directory" : info.isSocket() ? "a socket" : "a device";
      throw new UnusableFileError(`it is ${kind}, not a regular file`);
    }
    if (info.size > maxBytes) {
      throw new UnusableFileError(`it is ${info.size} bytes, more than the ${maxBytes} expected`);
    }
    return { text: await handle.readFile("utf8"), mode: info.mode };
  } finally {
    await handle.close();
  }
}

function readProblem(error: unknown): string {
  return error instanceof UnusableFileError ? error.message : (errnoCode(error) ?? String(error));
}

/**
 * Why a secret is too predictable to be an HMAC key, or null. Catches what people type when asked
 * for a secret (one repeated character, a short pattern repeated, a run like abcdef…), not every
 * weak secret: the fix is always a random one.
 */
export function weakSecretReason(secret: string): string | null {
  const chars = [...secret];
  const distinct = new Set(chars).size;
  if (distinct < 8) {
    return distinct === 1 ? "it is one character repeated" : `it uses only ${distinct} distinct characters`;
  }
  for (let period = 1; period <= chars.length / 2; period++) {
    if (chars.every((c, i) => i < period || c === chars[i - period])) {
      return `it repeats a ${period}-character pattern`;
    }
  }
  let steady = 0;
  for (let i = 2; i < chars.length; i++) {
    if ((chars[i].codePointAt(0) ?? 0) - (chars[i - 1].codePointAt(0) ?? 0) === (chars[i - 1].codePointAt(0) ?? 0) - (chars[i - 2].codePointAt(0) ?? 0)) {
      steady++;
    }
  }
  if (steady >= (chars.length - 2) * 0.75) {
    return "it is a run of consecutive characters";
  }
  return null;
}

async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    ({ text } = await readRegularFile(path, 1024 * 1024));
  } catch (error) {
    throw configError(`Cannot read the config file ${path}: ${readProblem(error)}.`, "Check the --config path and its permissions.", error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw configError(`The config file ${path} is not valid JSON: ${(error as Error).message}.`, "Fix the JSON syntax (see agent/deploy/config.example.json).", error);
  }
  try {
    return configFileSchema.parse(json);
  } catch (error) {
    if (error instanceof SchemaError) {
      throw configError(`The config file ${path} is invalid: ${error.message}.`, "See agent/deploy/config.example.json for the fields.", error);
    }
    throw error;
  }
}

/** Flags over the config file over defaults. Relative paths in the file are relative to the file. */
export async function resolveConfig(flags: CliFlags, env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  const configFile = flags.config ? resolve(flags.config) : null;
  const file: ConfigFile = configFile ? await readConfigFile(configFile) : {};
  const base = configFile ? dirname(configFile) : process.cwd();
  const fromFile = (path: string | undefined): string | null => (path === undefined ? null : resolve(base, path));
  const fromFlag = (path: string | undefined): string | null => (path === undefined ? null : resolve(path));

  const keys: KeySource[] = (file.keys ?? []).map((k) => ({ id: k.id, secretFile: resolve(base, k.secretFile) }));
  const ids = new Set<string>();
  for (const key of keys) {
    if (ids.has(key.id)) {
      throw configError(`Key id ${JSON.stringify(key.id)} appears twice in ${configFile ?? "the config"}.`, "Give every key its own id.");
    }
    ids.add(key.id);
  }
  if (flags.keyId !== undefined) {
    if (!KEY_ID_PATTERN.test(flags.keyId)) {
      throw configError(`--key-id ${JSON.stringify(flags.keyId)} is not a valid key id.`, "Use 1–64 letters, digits, '.', '_' or '-'.");
    }
    const secretFile = fromFlag(flags.secretFile);
    if (secretFile === null && !env[SECRET_ENV]) {
      throw configError(`--key-id ${flags.keyId} has no secret.`, `Pass --secret-file FILE or set ${SECRET_ENV}.`);
    }
    // The flag's key replaces a config key with the same id.
    const index = keys.findIndex((k) => k.id === flags.keyId);
    const source = { id: flags.keyId, secretFile };
    if (index >= 0) {
      keys[index] = source;
    } else {
      keys.unshift(source);
    }
  } else if (flags.secretFile !== undefined) {
    throw configError("--secret-file needs --key-id.", "Pass the id clients use for this key: --key-id ID --secret-file FILE.");
  } else if (env[SECRET_ENV]) {
    throw configError(`${SECRET_ENV} is set but --key-id is missing.`, "Pass the id clients use for this key: --key-id ID.");
  }
  if (keys.length === 0) {
    throw configError(
      "No signing key is configured; the agent refuses to start without one.",
      `Create one (openssl rand -hex 32 > /etc/atl-agent/keys/main.key; chmod 600 it) and pass --key-id main --secret-file /etc/atl-agent/keys/main.key, or list keys in the --config file.`,
    );
  }

  const tlsCert = fromFlag(flags.tlsCert) ?? fromFile(file.tls?.certFile);
  const tlsKey = fromFlag(flags.tlsKey) ?? fromFile(file.tls?.keyFile);
  if ((tlsCert === null) !== (tlsKey === null)) {
    throw configError("TLS needs both a certificate and a private key.", "Pass both --tls-cert FILE and --tls-key FILE (or tls.certFile and tls.keyFile in the config).");
  }

  const limits: AgentLimits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(file.limits ?? {}) as [keyof AgentLimits, number | undefined][]) {
    if (value !== undefined) {
      limits[name] = value;
    }
  }
  if (limits.defaultTimeoutSec > limits.maxTimeoutSec) {
    throw configError(
      `limits.defaultTimeoutSec (${limits.defaultTimeoutSec}) is above limits.maxTimeoutSec (${limits.maxTimeoutSec}).`,
      "Lower defaultTimeoutSec or raise maxTimeoutSec.",
    );
  }

  return {
    listen: parseListen(flags.listen ?? file.listen ?? `127.0.0.1:${DEFAULT_PORT}`),
    keys,
    tls: tlsCert !== null && tlsKey !== null ? { certFile: tlsCert, keyFile: tlsKey } : null,
    limits,
    policyFile: fromFlag(flags.policy) ?? fromFile(file.policyFile),
    auditFile: fromFlag(flags.audit) ?? fromFile(file.auditFile),
    // systemd's StateDirectory= sets STATE_DIRECTORY (the unit uses /var/lib/atl-agent).
    stateDir: fromFlag(flags.stateDir) ?? fromFile(file.stateDir) ?? (env.STATE_DIRECTORY ? resolve(env.STATE_DIRECTORY.split(":")[0]) : null),
    shutdownGraceSec: file.shutdownGraceSec ?? 10,
    configFile,
  };
}

/**
 * Reads every key's secret. Warns (does not refuse) when a secret file is readable by group or
 * others; refuses missing, empty or short secrets.
 */
export async function loadKeys(sources: readonly KeySource[], env: NodeJS.ProcessEnv, warn: (message: string) => void): Promise<AgentKey[]> {
  const keys: AgentKey[] = [];
  for (const source of sources) {
    let text: string;
    let origin: string;
    if (source.secretFile === null) {
      text = env[SECRET_ENV] ?? "";
      origin = SECRET_ENV;
    } else {
      origin = source.secretFile;
      let mode: number;
      try {
        ({ text, mode } = await readRegularFile(source.secretFile, 64 * 1024));
      } catch (error) {
        throw configError(
          `Cannot read the secret file of key ${JSON.stringify(source.id)} (${source.secretFile}): ${readProblem(error)}.`,
          `Create it with: openssl rand -hex 32 > ${source.secretFile} && chmod 600 ${source.secretFile} (owned by the agent's user).`,
          error,
        );
      }
      if ((mode & 0o077) !== 0) {
        warn(
          `warning: the secret file ${source.secretFile} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); run: chmod 600 ${source.secretFile}`,
        );
      }
    }
    const secret = normalizeSecret(text);
    if (secret.length < MIN_SECRET_CHARS) {
      throw configError(
        `The secret of key ${JSON.stringify(source.id)} (${origin}) is ${secret.length === 0 ? "empty" : `only ${secret.length} characters`}; at least ${MIN_SECRET_CHARS} are required.`,
        "Generate one with: openssl rand -hex 32",
      );
    }
    const weak = weakSecretReason(secret);
    if (weak !== null) {
      throw configError(
        `The secret of key ${JSON.stringify(source.id)} (${origin}) is too predictable to sign requests: ${weak}.`,
        `Use a random secret: openssl rand -hex 32${source.secretFile ? ` > ${source.secretFile}` : ""} (and give clients the new one).`,
      );
    }
    keys.push({ id: source.id, secret: Buffer.from(secret, "utf8") });
  }
  return keys;
}
