// The Hosts view's model: the `atl.hosts` inventory plus the latest reachability of each host
// (agent /v1/health or SSH banner), probed on start, on change, on refresh and every few minutes
// while the view is visible. Rendering lives in hostsProvider.ts.
import * as vscode from "vscode";
import type { HostEntry } from "../../hosts/model";
import { secretNames } from "../../hosts/model";
import type { Logger } from "../../shared/log";
import type { HostHealth } from "../../transports/transport";
import { Disposable } from "../disposable";
import type { SecretStore } from "../secrets";
import type { AtlSettings } from "../settings";

export type HostProbe = (host: HostEntry, signal: AbortSignal) => Promise<HostHealth>;

export type HostState = "unknown" | "checking" | "reachable" | "unreachable";

export interface HostStatus {
  state: HostState;
  health: HostHealth | null;
  checkedAt: Date | null;
  /** Agent hosts: whether a secret is available (SecretStorage or secretFile). */
  hasSecret: boolean;
}

const PROBE_TIMEOUT_MS = 5000;
const PROBE_CONCURRENCY = 8;

export class HostsModel extends Disposable {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changeEmitter.event;
  private readonly hostsEmitter = this._register(new vscode.EventEmitter<HostEntry[]>());
  /** Fires with the new inventory when `atl.hosts` changes. */
  readonly onDidChangeHosts = this.hostsEmitter.event;
  private readonly statuses = new Map<string, HostStatus>();
  private generation = 0;
  private inFlight: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly settings: AtlSettings,
    private readonly secrets: SecretStore,
    private readonly probe: HostProbe,
    private readonly logger: Logger,
  ) {
    super();
    this._register({ dispose: () => this.abort.abort() });
    this._register(
      settings.onDidChange((change) => {
        if (change.affects("hosts")) {
          this.hostsEmitter.fire(this.hosts);
          this.changeEmitter.fire();
          void this.refresh();
        }
      }),
    );
    this._register(
      secrets.onDidChange((name) => {
        if (this.hosts.some((h) => name === secretNames.agentSecret(h.id))) {
          void this.refreshSecrets().then(() => this.changeEmitter.fire());
        }
      }),
    );
  }

  get hosts(): HostEntry[] {
    return this.settings.current.hosts;
  }

  get(id: string): HostEntry | undefined {
    return this.hosts.find((h) => h.id === id);
  }

  status(id: string): HostStatus {
    return this.statuses.get(id) ?? { state: "unknown", health: null, checkedAt: null, hasSecret: false };
  }

  /**
   * Probes every host (a few at a time, each with a timeout). Resolves when all answered; a
   * refresh started while one runs supersedes it (its late answers are ignored).
   */
  refresh(): Promise<void> {
    const generation = ++this.generation;
    const hosts = this.hosts;
    for (const host of hosts) {
      const previous = this.status(host.id);
      this.statuses.set(host.id, { ...previous, state: "checking" });
    }
    for (const id of [...this.statuses.keys()]) {
      if (!hosts.some((h) => h.id === id)) {
        this.statuses.delete(id);
      }
    }
    this.changeEmitter.fire();
    const run = (async () => {
      await this.refreshSecrets();
      const queue = [...hosts];
      const worker = async (): Promise<void> => {
        for (let host = queue.shift(); host; host = queue.shift()) {
          const health = await this.probeOne(host);
          if (generation !== this.generation || this.isDisposed) {
            return;
          }
          const previous = this.status(host.id);
          this.statuses.set(host.id, { ...previous, state: health.reachable ? "reachable" : "unreachable", health, checkedAt: new Date() });
          this.changeEmitter.fire();
        }
      };
      await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, hosts.length) }, worker));
    })();
    this.inFlight = run;
    return run;
  }

  /** The latest refresh, if one runs (tests wait on it). */
  get settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  private async probeOne(host: HostEntry): Promise<HostHealth> {
    const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    const signal = AbortSignal.any([timeout, this.abort.signal]);
    try {
      return await this.probe(host, signal);
    } catch (error) {
      const message = timeout.aborted ? vscode.l10n.t("no answer within {0} s", PROBE_TIMEOUT_MS / 1000) : error instanceof Error ? error.message : String(error);
      this.logger.debug(`Probe of host ${host.id} failed: ${message}`);
      return { reachable: false, latencyMs: null, version: null, error: message };
    }
  }

  private async refreshSecrets(): Promise<void> {
    for (const host of this.hosts) {
      const hasSecret = host.transport === "agent" ? !!host.secretFile || (await this.secrets.agentSecret(host.id)) !== undefined : true;
      this.statuses.set(host.id, { ...this.status(host.id), hasSecret });
    }
  }
}
