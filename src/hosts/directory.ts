// HostDirectory: the inventory as the diagnosis graph uses it — which host an alarm or a sentence
// is about (resolve.ts), and a connected transport per host (created on first use, cached,
// disposed together).
// Secrets are read here, when a transport is first needed, and go nowhere but the transport.
import { readFile as fsReadFile, stat } from "node:fs/promises";
import type { CommandPolicy } from "../../agent/src/policy/types";
import type { Alarm } from "../alarms/model";
import { AtlError, errnoCode } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import type { Logger } from "../shared/log";
import { AgentTransport } from "../transports/agent";
import { SshTransport } from "../transports/ssh";
import type { Transport } from "../transports/transport";
import { hostById, hostMentionedIn, resolveAlarmHost, type AlarmHostMatch } from "./resolve";
import { secretNames, type AgentHostEntry, type HostEntry, type SecretLookup, type SshHostEntry } from "./model";

const t: Translate = translate;

export interface HostDirectoryOptions {
  policy: CommandPolicy;
  logger: Logger;
  /** Reads secretFile / privateKeyFile / caFile (injectable for tests). */
  readFile?: (path: string) => Promise<Buffer>;
  /** SSH connections close after this long unused. Default 60 s. */
  idleMs?: number;
  /** Output cap per stream for SSH (the agent has its own). Default 1 MiB. */
  maxOutputBytes?: number;
}

export class HostDirectory {
  private readonly hosts: HostEntry[];
  private readonly transports = new Map<string, Promise<Transport>>();
  private disposed = false;

  constructor(
    hosts: HostEntry[],
    private readonly secrets: SecretLookup,
    private readonly options: HostDirectoryOptions,
  ) {
    this.hosts = [...hosts];
  }

  list(): HostEntry[] {
    return [...this.hosts];
  }

  get(id: string): HostEntry | undefined {
    return hostById(this.hosts, id);
  }

  /** The host an alarm is about, or why there is none (see resolve.ts). */
  resolveAlarmHost(alarm: Alarm): AlarmHostMatch {
    return resolveAlarmHost(alarm, this.hosts);
  }

  /** The host an alarm names, or null (not in the inventory, or the alarm names none). */
  resolveForAlarm(alarm: Alarm): HostEntry | null {
    const match = this.resolveAlarmHost(alarm);
    return match.kind === "found" ? match.host : null;
  }

  /** A host mentioned in free text (id, name, alias or address); the first mention wins. */
  resolveFromText(text: string): HostEntry | null {
    return hostMentionedIn(this.hosts, text);
  }

  /** The host's transport, created on first use and shared afterwards. Do not dispose it. */
  transport(host: HostEntry): Promise<Transport> {
    if (this.disposed) {
      return Promise.reject(new AtlError("cancelled", t("The host directory was closed (settings changed); run the step again.")));
    }
    let pending = this.transports.get(host.id);
    if (!pending) {
      pending = host.transport === "agent" ? this.agentTransport(host) : this.sshTransport(host);
      this.transports.set(host.id, pending);
      // Missing secrets and the like are not cached: the user fixes them and tries again.
      pending.catch(() => this.transports.delete(host.id));
    }
    return pending;
  }

  dispose(): void {
    this.disposed = true;
    for (const pending of this.transports.values()) {
      pending.then((t) => t.dispose()).catch(() => undefined);
    }
    this.transports.clear();
  }

  private async agentTransport(host: AgentHostEntry): Promise<Transport> {
    let secret: string | undefined;
    if (host.secretFile) {
      secret = (await this.readSecretFile(host.secretFile, host, "secretFile")).toString("utf8").trim();
      if (!secret) {
        throw new AtlError("config", t("The secretFile {0} of {1} is empty.", host.secretFile, host.id), {
          fix: t("Write the agent's shared secret into {0} (the file passed to the agent's --secret-file).", host.secretFile),
        });
      }
    } else {
      secret = await this.secrets.get(secretNames.agentSecret(host.id));
      if (!secret) {
        throw new AtlError("config", t("No agent secret is stored for {0} ({1}).", host.name, host.id), {
          fix: t('Run ATL: Set agent secret for {0}, or set "secretFile" for it in atl.hosts.', host.id),
        });
      }
    }
    const ca = host.caFile ? await this.readSecretFile(host.caFile, host, "caFile") : undefined;
    return new AgentTransport({ host, secret, policy: this.options.policy, logger: this.options.logger, ...(ca ? { ca } : {}) });
  }

  private async sshTransport(host: SshHostEntry): Promise<Transport> {
    const privateKey = host.privateKeyFile ? (await this.readSecretFile(host.privateKeyFile, host, "privateKeyFile")).toString("utf8") : undefined;
    const passphrase = await this.secrets.get(secretNames.sshPassphrase(host.id));
    return new SshTransport({
      host,
      policy: this.options.policy,
      logger: this.options.logger,
      ...(privateKey ? { privateKey } : {}),
      ...(passphrase ? { passphrase } : {}),
      ...(this.options.idleMs !== undefined ? { idleMs: this.options.idleMs } : {}),
      ...(this.options.maxOutputBytes !== undefined ? { maxOutputBytes: this.options.maxOutputBytes } : {}),
    });
  }

  private async readSecretFile(path: string, host: HostEntry, field: "secretFile" | "privateKeyFile" | "caFile"): Promise<Buffer> {
    try {
      if (!this.options.readFile && field !== "caFile") {
        await this.warnIfShared(path, host, field);
      }
      return await (this.options.readFile ?? fsReadFile)(path);
    } catch (error) {
      const reason = errnoCode(error) ?? (error instanceof Error ? error.message : String(error));
      throw new AtlError("config", t("The {0} of {1} ({2}) is not readable: {3}.", field, host.id, path, reason), {
        cause: error,
        fix: t('Check the path of "{0}" for {1} in atl.hosts and that the file is readable by you (mode 600).', field, host.id),
      });
    }
  }

  private async warnIfShared(path: string, host: HostEntry, field: string): Promise<void> {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      this.options.logger.warn(
        `The ${field} of ${host.id} (${path}) is readable by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${path}.`,
      );
    }
  }
}
