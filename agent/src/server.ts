// Agent entry (bundled to agent/dist/atl-agent.js): reads flags and config, loads keys, policy,
// audit log and replay journal, listens (HTTP or HTTPS) with timeouts and a connection cap,
// reloads on SIGHUP and shuts down gracefully on SIGTERM/SIGINT: start nothing more, let running
// commands finish up to a deadline, kill the rest with their process groups, answer every request
// to the end, flush the audit log, exit 0.
import { readFile } from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { AtlError, errnoCode } from "../../src/shared/errors";
import { AgentApp } from "./app";
import { FLOOR_FUTURE_SKEW_SECONDS, startFloorSec } from "./auth";
import { openAuditLog, unusableAuditStream, type AuditLog } from "./audit";
import { SECRET_ENV, USAGE, loadKeys, parseArgs, resolveConfig, type AgentConfig } from "./config";
import { ConnectionGuard, fittedConnectionCap, openFileLimit } from "./connections";
import { errnoText } from "./durable";
import { readOsName } from "./info";
import { PolicyFileError, createCommandPolicy, loadPolicyFile, type PolicyFile } from "./policy/index";
import { ReplayJournal, type JournalEntry } from "./replay";
import { AGENT_VERSION } from "./version";

function log(message: string): void {
  process.stderr.write(`atl-agent: ${message}\n`);
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new AtlError("config", `Cannot read the TLS ${what} ${path}: ${errnoCode(error) ?? String(error)}.`, {
      cause: error,
      fix: "Check --tls-cert/--tls-key (or tls in the config) and that the agent's user can read them.",
    });
  }
}

/** Node checks header and request timeouts this often (its default, 30 s, let idle sockets pile up). */
const CONNECTION_CHECK_MS = 1000;

async function createServer(config: AgentConfig, app: AgentApp): Promise<http.Server> {
  let server: http.Server;
  const options = { connectionsCheckingInterval: CONNECTION_CHECK_MS };
  if (config.tls) {
    const [cert, key] = await Promise.all([readPem(config.tls.certFile, "certificate"), readPem(config.tls.keyFile, "private key")]);
    try {
      server = https.createServer({ ...options, cert, key, minVersion: "TLSv1.2" }, app.listener);
    } catch (error) {
      throw new AtlError("config", `The TLS certificate or key is not usable: ${(error as Error).message}.`, {
        cause: error,
        fix: "Pass a PEM certificate and its matching PEM private key.",
      });
    }
  } else {
    server = http.createServer(options, app.listener);
  }
  // Long enough that clients (which close idle sockets 1 s before the hint) reuse connections.
  server.keepAliveTimeout = 30_000;
  // A client sends its headers at once; a connection that sends none is closed soon.
  server.headersTimeout = 10_000;
  // Receiving a request (not running it) must not take longer than this.
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 64;
  return server;
}

function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.removeListener("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function readPolicy(path: string): PolicyFile {
  try {
    return loadPolicyFile(path);
  } catch (error) {
    if (error instanceof PolicyFileError) {
      throw new AtlError("config", error.message, { cause: error, fix: error.fix });
    }
    throw error;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function main(argv: readonly string[]): Promise<void> {
  const flags = parseArgs(argv);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (flags.version) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return;
  }
  const config = await resolveConfig(flags, process.env);
  const keys = await loadKeys(config.keys, process.env, log);
  // Commands get a fixed environment anyway; drop the secret from ours too.
  delete process.env[SECRET_ENV];

  const policy = createCommandPolicy(config.policyFile ? readPolicy(config.policyFile) : undefined, { sampleSeconds: config.limits.sampleSec });
  // A file size limit (ulimit -f) must fail the write (EFBIG) and stop commands, not kill the agent.
  process.on("SIGXFSZ", () => undefined);
  const audit = openAudit(config);
  const { journal, live } = openJournal(config);
  const nofile = openFileLimit();
  const maxConnections = fittedConnectionCap(config.limits.maxConnections, config.limits.maxConcurrent, nofile);
  if (maxConnections < config.limits.maxConnections) {
    log(`note: at most ${maxConnections} client connections (limits.maxConnections ${config.limits.maxConnections} does not fit the open-file limit ${nofile})`);
  }
  const connections = new ConnectionGuard(maxConnections);
  const startedAt = Date.now();
  const app = new AgentApp({
    policy,
    keys,
    limits: config.limits,
    audit,
    osName: await readOsName(),
    log,
    journal,
    liveNonces: live,
    // Without a journal: requests signed up to this start + 5 s may have run in an earlier run.
    floorSec: startFloorSec(startedAt),
    onAuthenticated: (socket) => connections.trust(socket),
  });
  const server = await createServer(config, app);
  connections.attach(server);
  const address = await listen(server, config.listen.host, config.listen.port).catch((error: NodeJS.ErrnoException) => {
    throw new AtlError("config", `Cannot listen on ${config.listen.host}:${config.listen.port}: ${error.code ?? error.message}.`, {
      cause: error,
      fix: error.code === "EADDRINUSE" ? "Another process uses that port: stop it or pick another --listen port." : "Check the --listen address.",
    });
  });

  const scheme = config.tls ? "https" : "http";
  const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${scheme}://${hostText}:${address.port}`;
  const replay = journal ? `replay journal: ${journal.dir} (${live.length} live nonces)` : "replay journal: none (requests signed before this start are refused)";
  const detail = `keys: ${app.keyIds.join(", ")}; policy: ${config.policyFile ?? "default read-only"}; audit: ${audit.location}; ${replay}`;
  try {
    await audit.append({ event: "start", version: AGENT_VERSION, detail: `${url} (${detail})` });
  } catch (error) {
    throw new AtlError("config", `Cannot write the audit log ${audit.location}: ${error instanceof Error ? error.message : String(error)}.`, {
      cause: error,
      fix: "Free space on its file system and check its permissions (and any file size limit) for the agent's user.",
    });
  }
  if (!config.tls && !isLoopback(config.listen.host)) {
    log("warning: listening beyond loopback without TLS: requests are signed, but command output crosses the network in clear text; pass --tls-cert and --tls-key");
  }
  if (!journal) {
    log(`note: no state directory (--state-dir, stateDir, or systemd's StateDirectory=): without a replay journal, requests signed before this start are refused and timestamps may be at most ${FLOOR_FUTURE_SKEW_SECONDS} s ahead of this host's clock`);
  }
  log(`${AGENT_VERSION} listening on ${url} (${detail})`);

  process.on("SIGHUP", () => {
    void (async () => {
      try {
        app.replaceKeys(await loadKeys(config.keys, process.env, log));
        await audit.reopen();
        log(`reloaded: keys ${app.keyIds.join(", ")}; audit reopened${audit.healthy ? "" : " but still not writable"}`);
      } catch (error) {
        // Keep serving with the old keys: a bad edit must not take the agent down.
        log(`error: reload failed, keeping the previous keys: ${error instanceof AtlError ? error.userMessage : String(error)}`);
      }
    })();
  });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      // A second signal: stop the commands now.
      app.runner.stopAll();
      return;
    }
    stopping = true;
    log(`${signal}: stopping; nothing new starts; ${app.runner.activeCount} command(s) running, up to ${config.shutdownGraceSec} s to finish`);
    app.startDraining();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const finished = await Promise.race([app.runner.idle().then(() => true), delay(config.shutdownGraceSec * 1000).then(() => false)]);
    if (!finished) {
      log(`stopping ${app.runner.activeCount} command(s) still running (SIGTERM to their process groups, SIGKILL after ${config.limits.killGraceSec} s)`);
      app.runner.stopAll();
      await app.runner.idle();
    }
    // Every request gets its whole answer: results for what ran, "not run" for the rest.
    await Promise.race([app.idle(), delay(5000)]);
    await Promise.race([closed, delay(2000)]);
    server.closeAllConnections();
    app.close();
    await audit.append({ event: "stop", version: AGENT_VERSION, detail: `${signal}${finished ? "" : "; running commands were stopped"}` }).catch(() => undefined);
    await audit.close();
    await journal?.close();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function openAudit(config: AgentConfig): AuditLog {
  const streamProblem = config.auditFile === null ? unusableAuditStream(process.stderr.fd) : null;
  if (streamProblem !== null) {
    throw new AtlError("config", `Cannot write the audit log to stderr: ${streamProblem}.`, {
      fix: "Pass --audit FILE (or auditFile in the config), or run the agent with a stderr that is kept (the systemd unit's journal).",
    });
  }
  try {
    return openAuditLog(config.auditFile, {
      onError: (error) =>
        log(`error: cannot write the audit log ${config.auditFile ?? "stderr"}: ${error.message}; running no command until a record can be written again (checked on each request)`),
      onNotice: (message) => log(message),
    });
  } catch (error) {
    throw new AtlError("config", `Cannot open the audit log ${config.auditFile}: ${errnoText(error)}.`, {
      cause: error,
      fix: "Create its directory and let the agent's user write it (the systemd unit uses LogsDirectory=atl-agent).",
    });
  }
}

function openJournal(config: AgentConfig): { journal: ReplayJournal | null; live: JournalEntry[] } {
  if (config.stateDir === null) {
    return { journal: null, live: [] };
  }
  try {
    return ReplayJournal.open(config.stateDir);
  } catch (error) {
    throw new AtlError("config", `Cannot use the state directory ${config.stateDir} for the replay journal: ${errnoText(error)}.`, {
      cause: error,
      fix: "Create it for the agent's user (the systemd unit uses StateDirectory=atl-agent), or fix stateDir / --state-dir.",
    });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof AtlError) {
    process.stderr.write(`atl-agent: error: ${error.message}\n${error.fix ? `  fix: ${error.fix}\n` : ""}`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`atl-agent: error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
