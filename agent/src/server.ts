// Agent entry (bundled to agent/dist/atl-agent.js): reads flags and config, loads keys, policy and
// audit log, listens (HTTP or HTTPS), sets timeouts, reloads on SIGHUP and shuts down gracefully
// on SIGTERM/SIGINT: stop accepting, let running commands finish up to a deadline, kill the rest,
// flush the audit log, exit 0.
import { readFile } from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { AtlError } from "../../src/shared/errors";
import { AgentApp } from "./app";
import { AuditLog } from "./audit";
import { SECRET_ENV, USAGE, loadKeys, parseArgs, resolveConfig, type AgentConfig } from "./config";
import { readOsName } from "./info";
import { PolicyFileError, createCommandPolicy, loadPolicyFile, type PolicyFile } from "./policy/index";
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
    throw new AtlError("config", `Cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {
      cause: error,
      fix: "Check --tls-cert/--tls-key (or tls in the config) and that the agent's user can read them.",
    });
  }
}

async function createServer(config: AgentConfig, app: AgentApp): Promise<http.Server> {
  let server: http.Server;
  if (config.tls) {
    const [cert, key] = await Promise.all([readPem(config.tls.certFile, "certificate"), readPem(config.tls.keyFile, "private key")]);
    try {
      server = https.createServer({ cert, key, minVersion: "TLSv1.2" }, app.listener);
    } catch (error) {
      throw new AtlError("config", `The TLS certificate or key is not usable: ${(error as Error).message}.`, {
        cause: error,
        fix: "Pass a PEM certificate and its matching PEM private key.",
      });
    }
  } else {
    server = http.createServer(app.listener);
  }
  // Long enough that clients (which close idle sockets 1 s before the hint) reuse connections.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 20_000;
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
  const audit = await AuditLog.open(config.auditFile, (error) => log(`error: cannot write the audit log ${config.auditFile ?? "stderr"}: ${error.message}; refusing to run commands until it can (SIGHUP reopens it)`)).catch((error: unknown) => {
    throw new AtlError("config", `Cannot open the audit log ${config.auditFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {
      cause: error,
      fix: "Create its directory and let the agent's user write it (the systemd unit uses LogsDirectory=atl-agent).",
    });
  });
  const app = new AgentApp({ policy, keys, limits: config.limits, audit, osName: await readOsName(), log });
  const server = await createServer(config, app);
  const address = await listen(server, config.listen.host, config.listen.port).catch((error: NodeJS.ErrnoException) => {
    throw new AtlError("config", `Cannot listen on ${config.listen.host}:${config.listen.port}: ${error.code ?? error.message}.`, {
      cause: error,
      fix: error.code === "EADDRINUSE" ? "Another process uses that port: stop it or pick another --listen port." : "Check the --listen address.",
    });
  });

  const scheme = config.tls ? "https" : "http";
  const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${scheme}://${hostText}:${address.port}`;
  const detail = `keys: ${app.keyIds.join(", ")}; policy: ${config.policyFile ?? "default read-only"}; audit: ${audit.location}`;
  log(`${AGENT_VERSION} listening on ${url} (${detail})`);
  if (!config.tls && !isLoopback(config.listen.host)) {
    log("warning: listening beyond loopback without TLS: requests are signed, but command output crosses the network in clear text; pass --tls-cert and --tls-key");
  }
  audit.write({ event: "start", version: AGENT_VERSION, detail: `${url} (${detail})` });

  process.on("SIGHUP", () => {
    void (async () => {
      try {
        app.replaceKeys(await loadKeys(config.keys, process.env, log));
        await audit.reopen();
        log(`reloaded: keys ${app.keyIds.join(", ")}; audit reopened`);
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
    log(`${signal}: stopping; ${app.runner.activeCount} command(s) running, up to ${config.shutdownGraceSec} s to finish`);
    app.startDraining();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const finished = await Promise.race([app.runner.idle().then(() => true), delay(config.shutdownGraceSec * 1000).then(() => false)]);
    if (!finished) {
      log(`stopping ${app.runner.activeCount} command(s) still running`);
      app.runner.stopAll();
      await app.runner.idle();
    }
    // Let the last responses go out, then drop whatever connection is left.
    await Promise.race([closed, delay(2000)]);
    server.closeAllConnections();
    audit.write({ event: "stop", version: AGENT_VERSION, detail: `${signal}${finished ? "" : "; running commands were stopped"}` });
    await audit.close();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
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
