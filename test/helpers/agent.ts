// Starts the real ATL agent as a child process on 127.0.0.1 (a free port) with a fresh key in a
// mode-600 file, for tests and benchmarks of anything that talks to an agent.
//
//   const agent = await startAgent();                 // { url, keyId, secret, secretFile, auditFile, … }
//   const client = agent.client();                    // a signing AgentClient (closed by stop())
//   const { results } = await client.exec(["uptime"]);
//   await agent.stop();                               // SIGTERM, waits, removes the temp dir
//
// Options (all optional):
//   policy          operator policy rules ({version: 1, rules: [...]}), written to a file for --policy
//   limits          agent limits (maxConcurrent, maxTimeoutSec, maxOutputBytes, …), via a --config file
//   shutdownGraceSec  how long running commands may finish on SIGTERM (config), default 10
//   extraKeys       more keys (rotation): [{id, secret?}] (a secret is generated when omitted)
//   tls             serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (needs openssl);
//                   `ca` holds its PEM and client() trusts it
//   bundle          which agent to run. Default: a private bundle of the current source, built
//                   once per test process (fast to start, like the shipped file); true:
//                   agent/dist/atl-agent.js as built by esbuild.mjs; a path: that file;
//                   false: the TypeScript source through tsx (slow start, no build)
//   keyFromEnv      pass the secret in ATL_AGENT_SECRET instead of --secret-file
//   user            run the agent as this unprivileged user (e.g. "nobody") when the tests run as
//                   root, like the systemd unit's dedicated user; its temp files are chowned to it
//   args, env       extra flags and environment variables for the agent
//   launcher        argv run in front of node (it execs node with the agent's arguments), e.g. an
//                   `unshare … sh -c '… exec "$@"'` giving the agent a mount namespace of its own
//   dir             the folder for its key, config and audit log (created; removed by stop());
//                   default a fresh temp folder. A launcher into other namespaces needs a folder
//                   both sides see.
//   startTimeoutMs  how long to wait for "listening" (default 30 s; the machine may be busy)
//   secret          the key's secret (default: 32 random bytes, hex); the same one restarts an agent
//   stateDir        replay journal folder (default: one in the temp dir, like the unit's
//                   StateDirectory=); false: none (the start-time floor applies)
//   auditFile       where the audit log goes (default: audit.jsonl in the temp dir)
//   rlimits         resource limits of the agent process through prlimit: nofile (open files),
//                   fsize (bytes, like ulimit -f)
// The agent's stderr is kept (output()); the audit log is parsed by audit().
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { AuditRecord } from "../../agent/src/audit";
import type { AgentLimits } from "../../agent/src/config";
import type { PolicyFile } from "../../agent/src/policy/types";
import { AgentClient, type AgentClientOptions } from "../../agent/src/protocol";

export const REPO_ROOT = resolve(__dirname, "..", "..");
export const AGENT_SOURCE = join(REPO_ROOT, "agent", "src", "server.ts");
export const AGENT_BUNDLE = join(REPO_ROOT, "agent", "dist", "atl-agent.js");

export interface StartAgentOptions {
  policy?: PolicyFile;
  limits?: Partial<AgentLimits>;
  shutdownGraceSec?: number;
  extraKeys?: { id: string; secret?: string }[];
  tls?: boolean;
  bundle?: boolean | string;
  keyFromEnv?: boolean;
  keyId?: string;
  user?: string;
  args?: string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
  secret?: string;
  stateDir?: string | false;
  auditFile?: string;
  rlimits?: { nofile?: number; fsize?: number };
  launcher?: string[];
  dir?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningAgent {
  url: string;
  keyId: string;
  secret: string;
  secretFile: string;
  auditFile: string;
  /** Extra keys, as asked for in options.extraKeys (with their generated secrets). */
  extraKeys: { id: string; secret: string; secretFile: string }[];
  /** PEM of the self-signed certificate when tls was asked for. */
  ca: string | null;
  /** Temp dir holding key, config, policy, audit log (removed by stop()). */
  dir: string;
  pid: number;
  process: ChildProcess;
  /** A signing client for this agent; every client made here is closed by stop(). */
  client(overrides?: Partial<AgentClientOptions>): AgentClient;
  /** The agent's stderr so far. */
  output(): string;
  /** The audit log's records so far (lines are written just after each response: see waitForAudit). */
  audit(): Promise<AuditRecord[]>;
  /** Polls the audit log until `done(records)` holds (default 15 s), then returns the records. */
  waitForAudit(done: (records: AuditRecord[]) => boolean, timeoutMs?: number): Promise<AuditRecord[]>;
  /** Resolves when the agent process has exited. */
  exited: Promise<ExitStatus>;
  /** SIGTERM (or `signal`), wait for exit (SIGKILL after `timeoutMs`), remove the temp dir. */
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number; keepDir?: boolean }): Promise<ExitStatus>;
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(`No user ${name} in /etc/passwd`);
  }
  return { uid: Number(uid), gid: Number(gid) };
}

async function chownTree(dir: string, account: { uid: number; gid: number }): Promise<void> {
  await chown(dir, account.uid, account.gid);
  for (const entry of await readdir(dir)) {
    await chown(join(dir, entry), account.uid, account.gid);
  }
}

async function writeSecret(path: string, secret: string): Promise<void> {
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

function makeCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const result = spawnSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) {
    throw new Error(`openssl could not make a test certificate (apt-get install openssl): ${result.error?.message ?? result.stderr}`);
  }
  return { certFile, keyFile };
}

let privateBundle: Promise<string> | null = null;

/** Bundles the agent's current source into a temp file, once per process (esbuild, ~1 s). */
export function privateAgentBundle(): Promise<string> {
  privateBundle ??= (async () => {
    const esbuild = await import("esbuild");
    const outfile = join(await mkdtemp(join(tmpdir(), "atl-agent-bundle-")), "atl-agent.js");
    // The same essentials as the agent entry of esbuild.mjs.
    await esbuild.build({
      entryPoints: [AGENT_SOURCE],
      outfile,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node18",
      mainFields: ["module", "main"],
      logLevel: "error",
      banner: { js: "const __atlImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
      define: { "import.meta.url": "__atlImportMetaUrl", "process.env.NODE_ENV": '"development"' },
    });
    process.once("exit", () => rmSync(dirname(outfile), { recursive: true, force: true }));
    return outfile;
  })();
  return privateBundle;
}

async function agentEntry(bundle: boolean | string | undefined): Promise<string[]> {
  if (bundle === false) {
    return ["--import", "tsx", AGENT_SOURCE];
  }
  if (bundle === undefined) {
    return [await privateAgentBundle()];
  }
  const file = typeof bundle === "string" ? bundle : AGENT_BUNDLE;
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: build it with "node esbuild.mjs --only agent"`);
  }
  return [file];
}

export async function startAgent(options: StartAgentOptions = {}): Promise<RunningAgent> {
  const dir = options.dir ? (await mkdir(options.dir, { recursive: true, mode: 0o700 }), options.dir) : await mkdtemp(join(tmpdir(), "atl-agent-"));
  const keyId = options.keyId ?? "test-key";
  const secret = options.secret ?? randomBytes(32).toString("hex");
  const secretFile = join(dir, "secret.key");
  await writeSecret(secretFile, secret);
  const auditFile = options.auditFile ?? join(dir, "audit.jsonl");

  const extraKeys: RunningAgent["extraKeys"] = [];
  for (const [index, extra] of (options.extraKeys ?? []).entries()) {
    const extraSecret = extra.secret ?? randomBytes(32).toString("hex");
    const file = join(dir, `extra-${index}.key`);
    await writeSecret(file, extraSecret);
    extraKeys.push({ id: extra.id, secret: extraSecret, secretFile: file });
  }

  const args = ["--listen", "127.0.0.1:0", "--key-id", keyId, "--audit", auditFile];
  if (options.stateDir !== false) {
    args.push("--state-dir", options.stateDir ?? join(dir, "state"));
  }
  if (!options.keyFromEnv) {
    args.push("--secret-file", secretFile);
  }
  if (options.limits || options.extraKeys || options.shutdownGraceSec !== undefined) {
    const configFile = join(dir, "config.json");
    const config = {
      ...(extraKeys.length > 0 ? { keys: extraKeys.map((k) => ({ id: k.id, secretFile: k.secretFile })) } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.shutdownGraceSec !== undefined ? { shutdownGraceSec: options.shutdownGraceSec } : {}),
    };
    await writeFile(configFile, JSON.stringify(config, null, 2));
    args.push("--config", configFile);
  }
  if (options.policy) {
    const policyFile = join(dir, "policy.json");
    await writeFile(policyFile, JSON.stringify(options.policy, null, 2));
    args.push("--policy", policyFile);
  }
  let ca: string | null = null;
  if (options.tls) {
    const { certFile, keyFile } = makeCertificate(dir);
    ca = await readFile(certFile, "utf8");
    args.push("--tls-cert", certFile, "--tls-key", keyFile);
  }
  args.push(...(options.args ?? []));

  const entry = await agentEntry(options.bundle);

  const account = options.user && process.getuid?.() === 0 ? await lookupUser(options.user) : null;
  if (account) {
    await chownTree(dir, account);
    // The agent must be able to read its own code.
    for (const file of entry.filter((e) => e.endsWith(".js"))) {
      await chmod(dirname(file), 0o755);
      await chmod(file, 0o755);
    }
  }

  const limits = Object.entries(options.rlimits ?? {}).map(([name, value]) => `--${name}=${value}:${value}`);
  const [command, ...commandArgs] = [...(options.launcher ?? []), ...(limits.length > 0 ? ["prlimit", ...limits, "--"] : []), process.execPath, ...entry, ...args];
  const child = spawn(command, commandArgs, {
    cwd: account ? "/" : REPO_ROOT,
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ...(options.keyFromEnv ? { ATL_AGENT_SECRET: secret } : {}),
      ...options.env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // If the test process dies without stop(), do not leave an agent behind.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      resolveExit({ code, signal });
    });
  });

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The agent did not start within ${timeoutMs} ms. Its output:\n${stderr}`));
    }, timeoutMs);
    const onData = (): void => {
      const match = / listening on (\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        child.stderr?.removeListener("data", onData);
        resolveUrl(match[1]);
      }
    };
    child.stderr?.on("data", onData);
    void exited.then((status) => {
      clearTimeout(timer);
      reject(new Error(`The agent exited (${status.code ?? status.signal}) before listening. Its output:\n${stderr}`));
    });
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });

  const clients: AgentClient[] = [];
  let stopped: Promise<ExitStatus> | null = null;
  const readAudit = async (): Promise<AuditRecord[]> => {
    let text: string;
    try {
      text = await readFile(auditFile, "utf8");
    } catch {
      return [];
    }
    // A line still being written (no newline yet) is left for the next read.
    return text
      .slice(0, text.lastIndexOf("\n") + 1)
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as AuditRecord);
  };

  return {
    url,
    keyId,
    secret,
    secretFile,
    auditFile,
    extraKeys,
    ca,
    dir,
    pid: child.pid as number,
    process: child,
    exited,
    client(overrides = {}) {
      const client = new AgentClient({ url, keyId, secret, ...(ca ? { ca } : {}), ...overrides });
      clients.push(client);
      return client;
    },
    output: () => stderr,
    audit: readAudit,
    async waitForAudit(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const records = await readAudit();
        if (done(records) || Date.now() > deadline) {
          return records;
        }
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
    },
    stop({ signal = "SIGTERM", timeoutMs: stopTimeoutMs = 30_000, keepDir = false } = {}) {
      stopped ??= (async () => {
        for (const client of clients) {
          client.close();
        }
        if (child.exitCode === null && child.signalCode === null) {
          child.kill(signal);
        }
        const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
        const status = await exited;
        clearTimeout(timer);
        if (!keepDir) {
          await rm(dir, { recursive: true, force: true });
        }
        return status;
      })();
      return stopped;
    },
  };
}

/** Builds agent/dist/atl-agent.js (what operators copy to a host). */
export function buildAgentBundle(): string {
  const result = spawnSync(process.execPath, ["esbuild.mjs", "--only", "agent"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`Building the agent bundle failed:\n${result.stderr}`);
  }
  return AGENT_BUNDLE;
}

/**
 * Runs the agent with exactly these arguments and environment until it exits (for start-up
 * refusals: no key, short secret, bad config). Kills it when its stderr matches `until`, or after
 * `timeoutMs`, returning what it printed so far.
 */
export async function runAgentOnce(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; bundle?: boolean | string; until?: RegExp } = {},
): Promise<ExitStatus & { stdout: string; stderr: string; killed: boolean }> {
  const entry = await agentEntry(options.bundle);
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let killed = false;
  const kill = (): void => {
    killed = true;
    child.kill("SIGKILL");
  };
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    if (options.until?.test(stderr)) {
      kill();
    }
  });
  const timer = setTimeout(kill, options.timeoutMs ?? 30_000);
  return new Promise((resolveRun) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, killed });
    });
  });
}
