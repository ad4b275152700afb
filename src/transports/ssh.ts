// SshTransport: runs policy-checked commands on a host over SSH (node-ssh / ssh2). The host key is
// pinned by its SHA-256 fingerprint and checked before authenticating, so an impostor never sees
// the key or a command. Each command is sent as the policy's parsed program re-rendered with every
// argument single-quoted, so the remote shell runs exactly what the policy judged. One connection
// per host is reused (no-delay on) and closed when idle; every command has a timeout and an
// output cap like the agent's.
import { createHash, timingSafeEqual } from "node:crypto";
import { NodeSSH } from "node-ssh";
import { posix } from "node:path";
import type { Client, ClientChannel, FileEntryWithStats, ServerHostKeyAlgorithm, SFTPWrapper, Stats } from "ssh2";
import { GlobError, MAX_DIRECTORY_ENTRIES, renderProgram } from "../../agent/src/policy/index";
import type { CommandPolicy, DirectoryReader, PolicyDecision } from "../../agent/src/policy/types";
import { AtlError, errnoCode } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import { probeHost } from "./probe";
import type { Logger } from "../shared/log";
import { refusedResult } from "./results";
import type { ExecOptions, ExecResult, HostHealth, Transport } from "./transport";

const t: Translate = translate;

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_IDLE_MS = 60_000;

/** What the SSH transport needs of an inventory entry (an `SshHostEntry` is one). */
export interface SshTarget {
  id: string;
  name: string;
  host: string;
  port?: number;
  username: string;
  /** Pinned host key: `SHA256:…` as ssh-keygen -lf prints it. */
  hostKeySha256: string;
}

export interface SshTransportOptions {
  host: SshTarget;
  /** Private key contents (OpenSSH or PEM). Without it, the ssh-agent at `agentSocket` is used. */
  privateKey?: string;
  /** For an encrypted private key (from SecretStorage). Never logged. */
  passphrase?: string;
  policy: CommandPolicy;
  logger: Logger;
  /** Close the connection after this long without a command. Default 60 s. */
  idleMs?: number;
  /** TCP connect + handshake + auth. Default 10 s. */
  connectTimeoutMs?: number;
  /** Cap of kept stdout and, separately, stderr; the rest is read and dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Between TERM and KILL at a timeout. Default 2 s. */
  killGraceMs?: number;
  /** ssh-agent socket; default `SSH_AUTH_SOCK`. */
  agentSocket?: string;
  /**
   * Disable Nagle's algorithm on the socket (default true): a reused connection then answers a
   * small command in a few ms instead of ~40 ms. Only the benchmark turns it off, to show that.
   */
  noDelay?: boolean;
}

/** Host key algorithms ATL accepts, in the order it asks for them (ssh2's default order). */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** The key type at the start of an SSH public key blob (uint32 length + name), e.g. `ssh-rsa`. */
export function hostKeyType(key: Buffer): string {
  const length = key.length >= 4 ? key.readUInt32BE(0) : 0;
  return length > 0 && length < 64 && key.length >= 4 + length ? key.subarray(4, 4 + length).toString("latin1") : "unknown";
}

/** One RSA key is offered under three algorithm names. */
function sameKeyType(algorithm: string, keyType: string): boolean {
  return algorithm === keyType || (keyType === "ssh-rsa" && /^(rsa-sha2-|ssh-rsa)/.test(algorithm));
}

/** `SHA256:…` of a raw host key blob, as `ssh-keygen -lf` prints it. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** Constant-time comparison of two `SHA256:…` fingerprints (padding and prefix case ignored). */
export function fingerprintsEqual(pinned: string, presented: string): boolean {
  const decode = (value: string): Buffer => Buffer.from(value.trim().replace(/^sha256:/i, "").replace(/=+$/, ""), "base64");
  const a = decode(pinned);
  const b = decode(presented);
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
}

interface Connection {
  ssh: NodeSSH;
  client: Client;
  closed: boolean;
}

export class SshTransport implements Transport {
  readonly kind = "ssh" as const;
  /** TCP connections opened so far (reuse shows as 1 for many commands). */
  connectionsOpened = 0;
  private connecting: Promise<Connection> | null = null;
  private current: Connection | null = null;
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private disposed = false;

  constructor(private readonly options: SshTransportOptions) {}

  private get host(): SshTarget {
    return this.options.host;
  }

  private get where(): string {
    return `${this.host.name} (${this.host.username}@${this.host.host}:${this.host.port ?? 22})`;
  }

  async exec(commands: string[], options: ExecOptions): Promise<ExecResult[]> {
    const results: ExecResult[] = [];
    this.inFlight++;
    this.cancelIdle();
    try {
      for (const [index, command] of commands.entries()) {
        throwIfCancelled(options.signal, this.host.id);
        const decision = await this.expandOnHost(this.options.policy.check(command));
        let result: ExecResult;
        if (decision.decision === "refused" || decision.program === null) {
          this.options.logger.info(`Not sending a refused command to ${this.host.id}: ${decision.reason}`);
          result = refusedResult(command, decision.reason);
        } else {
          const ran = { ...(decision.sampling ? { sampling: decision.sampling } : {}), ...(decision.executed ? { executed: decision.executed } : {}) };
          result = await this.runOnFreshOrReused(command, renderProgram(decision.program), decision.reason, options, ran);
        }
        results.push(result);
        options.onResult?.(result, index);
      }
      return results;
    } finally {
      this.inFlight--;
      this.scheduleIdle();
    }
  }

  /** Banner and latency from a light probe, then a full connection: pinned key and login checked. */
  async health(signal?: AbortSignal): Promise<HostHealth> {
    const probe = await probeHost({ transport: "ssh", host: this.host.host, ...(this.host.port === undefined ? {} : { port: this.host.port }) }, signal ? { signal } : {});
    if (!probe.reachable || probe.error) {
      return probe;
    }
    try {
      this.inFlight++;
      await this.connection();
      return probe;
    } catch (error) {
      const message = error instanceof AtlError ? error.userMessage : String(error);
      return { ...probe, error: message };
    } finally {
      this.inFlight--;
      this.scheduleIdle();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.cancelIdle();
    this.closeConnection();
  }

  // ---- connection ---------------------------------------------------------------------------

  private connection(): Promise<Connection> {
    if (this.disposed) {
      return Promise.reject(new AtlError("cancelled", t("The SSH connection to {0} was closed.", this.where)));
    }
    if (!this.connecting) {
      const attempt = this.connect();
      this.connecting = attempt;
      // A failed attempt is not cached: the next command tries again.
      attempt.catch(() => {
        if (this.connecting === attempt) {
          this.connecting = null;
        }
      });
    }
    return this.connecting;
  }

  private async connect(): Promise<Connection> {
    const agent = this.options.privateKey ? undefined : (this.options.agentSocket ?? process.env.SSH_AUTH_SOCK);
    if (!this.options.privateKey && !agent) {
      throw new AtlError("config", t("No SSH key for {0}.", this.where), {
        fix: t('Set "privateKeyFile" for {0} in atl.hosts, or start an ssh-agent holding the key.', this.host.id),
      });
    }
    // A host has several host keys (ed25519, ecdsa, rsa) and the pin may be any of them. If the
    // key negotiated first is not the pinned one, ask again without its type, until one matches or
    // none is left. Nothing but the key exchange happens on a connection whose key did not match.
    const seen: { type: string; fingerprint: string }[] = [];
    let remaining = [...HOST_KEY_ALGORITHMS];
    for (;;) {
      const ssh = new NodeSSH();
      let presented: { type: string; fingerprint: string } | null = null;
      this.connectionsOpened++;
      try {
        await ssh.connect({
          host: this.host.host,
          port: this.host.port ?? 22,
          username: this.host.username,
          ...(this.options.privateKey ? { privateKey: this.options.privateKey } : { agent }),
          ...(this.options.passphrase ? { passphrase: this.options.passphrase } : {}),
          readyTimeout: this.options.connectTimeoutMs ?? 10_000,
          keepaliveInterval: 15_000,
          keepaliveCountMax: 3,
          tryKeyboard: false,
          algorithms: { serverHostKey: remaining },
          // Called during key exchange, before any credential or command leaves this machine.
          hostVerifier: (key: Buffer): boolean => {
            presented = { type: hostKeyType(key), fingerprint: hostKeyFingerprint(key) };
            return fingerprintsEqual(this.host.hostKeySha256, presented.fingerprint);
          },
        });
        return this.connected(ssh);
      } catch (error) {
        ssh.dispose();
        const shown = presented as { type: string; fingerprint: string } | null;
        if (shown && !fingerprintsEqual(this.host.hostKeySha256, shown.fingerprint)) {
          seen.push(shown);
          remaining = remaining.filter((a) => !sameKeyType(a, shown.type));
          if (remaining.length > 0 && seen.length < HOST_KEY_ALGORITHMS.length) {
            continue;
          }
          throw this.mismatch(error, seen);
        }
        // The server offers none of the remaining key types: the pinned key is not among its keys.
        if (seen.length > 0 && /no matching host key|handshake failed/i.test(error instanceof Error ? error.message : "")) {
          throw this.mismatch(error, seen);
        }
        throw this.connectError(error);
      }
    }
  }

  private connected(ssh: NodeSSH): Connection {
    if (this.disposed) {
      // dispose() came while the handshake ran: do not keep a connection nobody will close.
      ssh.dispose();
      throw new AtlError("cancelled", t("The SSH connection to {0} was closed.", this.where));
    }
    const client = ssh.connection;
    if (!client) {
      throw new AtlError("transport", t("The SSH connection to {0} closed right after login.", this.where));
    }
    client.setNoDelay(this.options.noDelay ?? true);
    const connection: Connection = { ssh, client, closed: false };
    const onGone = (): void => {
      connection.closed = true;
      if (this.current === connection) {
        this.current = null;
        this.connecting = null;
      }
    };
    // node-ssh leaves no error listener after connecting; without one a reset would crash the host.
    client.on("error", (error: Error) => {
      this.options.logger.warn(`SSH connection to ${this.host.id} failed: ${error.message}`);
      onGone();
    });
    client.on("close", onGone);
    this.current = connection;
    this.options.logger.debug(`SSH connected to ${this.host.id} (${this.host.host}:${this.host.port ?? 22}).`);
    return connection;
  }

  private mismatch(error: unknown, seen: { type: string; fingerprint: string }[]): AtlError {
    const keys = seen.map((k) => `${k.fingerprint} (${k.type})`).join(", ");
    return new AtlError("host-key-mismatch", t("{0} presented host key {1}, but {2} is pinned for it. ATL did not log in.", this.where, keys, this.host.hostKeySha256), {
      cause: error,
      fix: t("If the host was rebuilt, confirm the new key on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and update hostKeySha256 of {0} in atl.hosts; otherwise treat it as a possible attack.", this.host.id),
    });
  }

  private connectError(error: unknown): AtlError {
    if (error instanceof AtlError) {
      return error;
    }
    const text = error instanceof Error ? error.message : String(error);
    const code = errnoCode(error);
    if (/encrypted private .*key|no passphrase given|bad passphrase|integrity check failed/i.test(text)) {
      return new AtlError("config", t("Cannot use the SSH key for {0}: {1}.", this.where, text), {
        cause: error,
        fix: t("Store the key's passphrase for {0} in ATL's secret storage (ATL: Set SSH key passphrase; CLI: ATL_SSH_PASSPHRASE_<ID>), or use an unencrypted key readable only by you.", this.host.id),
      });
    }
    if (/cannot parse privatekey|unsupported key format|malformed/i.test(text)) {
      return new AtlError("config", t("The private key for {0} cannot be read: {1}.", this.where, text), {
        cause: error,
        fix: t("Point privateKeyFile of {0} at an OpenSSH or PEM private key (ssh-keygen -t ed25519 makes one).", this.host.id),
      });
    }
    if (/authentication methods failed|permission denied/i.test(text)) {
      return new AtlError("transport", t("{0} refused the SSH login (key not accepted).", this.where), {
        cause: error,
        fix: t("Check the username and that the public key is in ~{0}/.ssh/authorized_keys on the host.", this.host.username),
      });
    }
    if (/timed out|ETIMEDOUT|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET|No response/i.test(`${text} ${code ?? ""}`)) {
      return new AtlError("host-unreachable", t("Cannot reach {0}: {1}", this.where, text), {
        cause: error,
        fix: t("Check the host name and port, that sshd runs, and that security groups / firewalls let this machine in."),
      });
    }
    return new AtlError("transport", t("SSH to {0} failed: {1}", this.where, text), { cause: error });
  }

  private closeConnection(): void {
    const connection = this.current;
    this.current = null;
    this.connecting = null;
    if (connection && !connection.closed) {
      connection.closed = true;
      connection.ssh.dispose();
    }
  }

  private scheduleIdle(): void {
    if (this.inFlight > 0 || this.disposed) {
      return;
    }
    this.cancelIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.inFlight === 0 && this.current) {
        this.options.logger.debug(`Closing idle SSH connection to ${this.host.id}.`);
        this.closeConnection();
      }
    }, this.options.idleMs ?? DEFAULT_IDLE_MS);
    this.idleTimer.unref();
  }

  private cancelIdle(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  // ---- one command --------------------------------------------------------------------------

  /**
   * The decision with its path patterns expanded in the host's directories, read over SFTP: no
   * remote shell expands anything, and the policy checks every name found before the line is sent.
   */
  private async expandOnHost(decision: PolicyDecision): Promise<PolicyDecision> {
    if (!decision.program?.steps.some((step) => step.pipeline.stages.some((stage) => stage.globs))) {
      return decision;
    }
    const refuse = (reason: string): PolicyDecision => ({ ...decision, decision: "refused", reason, rule: "refuse:glob", program: null });
    let sftp: SFTPWrapper;
    try {
      const { client } = await this.connection();
      sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, channel) => (error ? reject(error) : resolve(channel))));
    } catch (error) {
      return refuse(t("Cannot expand the patterns of `{0}` on {1}: its SSH server offers no SFTP ({2}). Name the files instead.", decision.command, this.host.id, error instanceof Error ? error.message : String(error)));
    }
    try {
      return await this.options.policy.expand(decision, await sftpDirectoryReader(sftp));
    } catch (error) {
      return refuse(t("Cannot expand the patterns of `{0}` on {1}: {2}", decision.command, this.host.id, error instanceof Error ? error.message : String(error)));
    } finally {
      sftp.end();
    }
  }

  /** A reused connection may have died silently: if the command could not even start, reconnect once. */
  private async runOnFreshOrReused(command: string, wire: string, reason: string, options: ExecOptions, ran: Ran): Promise<ExecResult> {
    const connection = await this.connection();
    try {
      return await this.runOne(connection, command, wire, reason, options, ran);
    } catch (error) {
      if (!(error instanceof NotStarted)) {
        throw error;
      }
      this.options.logger.debug(`SSH connection to ${this.host.id} was gone (${error.message}); reconnecting.`);
      if (this.current === connection) {
        this.closeConnection();
      }
      try {
        return await this.runOne(await this.connection(), command, wire, reason, options, ran);
      } catch (again) {
        throw again instanceof NotStarted ? new AtlError("transport", t("{0} did not start `{1}`: {2}", this.where, command, again.message), { cause: again }) : again;
      }
    }
  }

  private runOne(connection: Connection, command: string, wire: string, reason: string, options: ExecOptions, ran: Ran): Promise<ExecResult> {
    const cap = this.options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const grace = this.options.killGraceMs ?? 2000;
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout = new CappedOutput(cap);
      const stderr = new CappedOutput(cap);
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let sawExit = false;
      let timedOut = false;
      let aborted = false;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      let channel: ClientChannel | null = null;

      const finish = (): void => {
        if (settled) {
          return;
        }
        settled = true;
        timers.forEach(clearTimeout);
        options.signal?.removeEventListener("abort", onAbort);
        if (aborted) {
          reject(new AtlError("cancelled", t("Stopped `{0}` on {1}.", command, this.host.id)));
          return;
        }
        if (!sawExit && !timedOut && connection.closed) {
          reject(new AtlError("host-unreachable", t("The SSH connection to {0} was lost while running `{1}`.", this.where, command), {
            fix: t("Check the host and run the diagnosis again."),
          }));
          return;
        }
        const result: ExecResult = {
          command,
          decision: "allowed",
          reason,
          exitCode: timedOut ? null : exitCode,
          signal: exitSignal ?? (timedOut ? "SIGKILL" : null),
          stdout: stdout.text(),
          stderr: stderr.text(),
          durationMs: Math.round(performance.now() - started),
          truncated: stdout.truncated || stderr.truncated,
          ...(ran.executed ? { executed: ran.executed } : {}),
        };
        if (timedOut) {
          result.timedOut = true;
        } else if (ran.sampling) {
          result.sampling = ran.sampling;
        }
        resolve(result);
      };

      // Stop like the agent: TERM, then KILL and close the channel after the grace period.
      const stop = (): void => {
        const ch = channel;
        if (!ch) {
          return;
        }
        signalChannel(ch, "TERM");
        timers.push(
          setTimeout(() => {
            signalChannel(ch, "KILL");
            ch.close();
            // A server that ignores signals and close: give up on it after one more grace period.
            timers.push(setTimeout(finish, grace));
          }, grace),
        );
      };
      const onAbort = (): void => {
        aborted = true;
        stop();
        if (!channel) {
          finish();
        }
      };

      timers.push(
        setTimeout(() => {
          timedOut = true;
          stop();
        }, Math.max(1, options.timeoutSec) * 1000),
      );
      options.signal?.addEventListener("abort", onAbort, { once: true });

      // LANG/LC_ALL as the agent sets them; sshd applies them where AcceptEnv allows (Debian and
      // Amazon Linux accept LANG LC_*), so parsers see C-locale numbers.
      const notStarted = (error: Error): void => {
        settled = true;
        timers.forEach(clearTimeout);
        options.signal?.removeEventListener("abort", onAbort);
        reject(new NotStarted(error.message, { cause: error }));
      };
      const onChannel = (error: Error | undefined, ch: ClientChannel): void => {
        if (error) {
          notStarted(error);
          return;
        }
        channel = ch;
        if (aborted || settled) {
          stop();
        }
        ch.on("data", (chunk: Buffer) => stdout.push(chunk));
        ch.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        ch.on("exit", (code: number | null, signalName?: string) => {
          sawExit = true;
          exitCode = typeof code === "number" ? code : null;
          exitSignal = signalName ? `SIG${signalName.replace(/^SIG/, "")}` : null;
        });
        ch.on("close", finish);
      };
      try {
        connection.client.exec(wire, { env: { LANG: "C.UTF-8", LC_ALL: "C.UTF-8" } }, onChannel);
      } catch (error) {
        // ssh2 throws "Not connected" when the socket died without a close event yet.
        notStarted(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}

/** What the policy says about how a command runs, copied into its result. */
type Ran = Pick<ExecResult, "sampling" | "executed">;

/** A host's directories over SFTP, for expanding path patterns where the command will run (the login directory for relative ones). */
async function sftpDirectoryReader(sftp: SFTPWrapper): Promise<DirectoryReader> {
  const call = <T>(run: (done: (error: Error | undefined | null, value: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
  const cwd = await call<string>((done) => sftp.realpath(".", done));
  return {
    cwd,
    async list(dir) {
      let entries: FileEntryWithStats[];
      try {
        entries = await call<FileEntryWithStats[]>((done) => sftp.readdir(dir, done));
      } catch {
        return null;
      }
      if (entries.length > MAX_DIRECTORY_ENTRIES) {
        throw new GlobError(`${dir} has more than ${MAX_DIRECTORY_ENTRIES} entries; name the files`);
      }
      return Promise.all(
        entries
          .filter((e) => e.filename !== "." && e.filename !== "..")
          .map(async (e) => ({
            name: e.filename,
            // readdir reports the link itself; a link to a directory counts as one, as for bash.
            directory: e.attrs.isSymbolicLink() ? await call<Stats>((done) => sftp.stat(posix.join(dir, e.filename), done)).then((st) => st.isDirectory(), () => false) : e.attrs.isDirectory(),
          })),
      );
    },
    exists: (path) => call<Stats>((done) => sftp.lstat(path, done)).then(() => true, () => false),
  };
}

/** The command never reached the host (no channel): safe to try again on a new connection. */
class NotStarted extends Error {
  override readonly name = "NotStarted";
}

function signalChannel(channel: ClientChannel, name: "TERM" | "KILL"): void {
  try {
    channel.signal(name);
  } catch {
    // The channel may already be closing; close() follows.
  }
}

function throwIfCancelled(signal: AbortSignal | undefined, hostId: string): void {
  if (signal?.aborted) {
    throw new AtlError("cancelled", t("Stopped running commands on {0}.", hostId));
  }
}

/** Keeps the first `cap` bytes of a stream, reads and drops the rest (as the agent does). */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    this.truncated = true;
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
  }

  text(): string {
    const bytes = Buffer.concat(this.chunks, this.kept);
    return bytes.subarray(0, this.truncated ? wholeUtf8Prefix(bytes) : bytes.length).toString("utf8");
  }
}

/** Length of the longest prefix that does not end inside a UTF-8 sequence. */
function wholeUtf8Prefix(bytes: Buffer): number {
  let i = bytes.length;
  let continuation = 0;
  while (i > 0 && continuation < 3 && ((bytes[i - 1] ?? 0) & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i === 0) {
    return bytes.length;
  }
  const lead = bytes[i - 1] ?? 0;
  const expected = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  return expected > continuation ? i - 1 : bytes.length;
}
