// HostDirectory: the inventory as the diagnosis graph uses it — which host an alarm or a sentence
// is about, and a connected transport per host (created on first use, cached, disposed together).
// Secrets are read here, when a transport is first needed, and go nowhere but the transport.
import { readFile as fsReadFile, stat } from "node:fs/promises";
import type { CommandPolicy } from "../../agent/src/policy/types";
import type { Alarm } from "../alarms/model";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import type { Logger } from "../shared/log";
import { AgentTransport } from "../transports/agent";
import { SshTransport } from "../transports/ssh";
import type { Transport } from "../transports/transport";
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
    return this.hosts.find((h) => h.id === id) ?? this.hosts.find((h) => h.id.toLowerCase() === id.toLowerCase());
  }

  /**
   * The host an alarm is about: its EC2 instance id first, then every dimension value (metric and
   * metric-math queries, e.g. CWAgent's `host`), matched against ids, aliases, names and addresses;
   * last, a host named in the alarm name. Composite alarms have no dimensions: the graph resolves
   * them through their children in the alarm store.
   */
  resolveForAlarm(alarm: Alarm): HostEntry | null {
    const values: string[] = [];
    if (alarm.hostId) {
      values.push(alarm.hostId);
    }
    const dimensionSets = [alarm.metric?.dimensions ?? {}, ...(alarm.metric?.queries ?? []).map((q) => q.dimensions)];
    for (const dimensions of dimensionSets) {
      if (dimensions.InstanceId) {
        values.push(dimensions.InstanceId);
      }
    }
    for (const dimensions of dimensionSets) {
      values.push(...Object.values(dimensions));
    }
    for (const value of values) {
      const host = this.matchIdentifier(value);
      if (host) {
        return host;
      }
    }
    return this.resolveFromText(alarm.name);
  }

  /** A host mentioned in free text (id, name, alias or address); the first mention wins. */
  resolveFromText(text: string): HostEntry | null {
    const lower = text.toLowerCase();
    let best: { host: HostEntry; at: number; length: number } | null = null;
    for (const host of this.hosts) {
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

  private matchIdentifier(value: string): HostEntry | null {
    const wanted = value.trim().toLowerCase();
    if (!wanted) {
      return null;
    }
    return (
      this.hosts.find((h) => h.id.toLowerCase() === wanted || (h.aliases ?? []).some((a) => a.toLowerCase() === wanted)) ??
      this.hosts.find((h) => identifiers(h).some((t) => t.toLowerCase() === wanted)) ??
      null
    );
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
      const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
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
