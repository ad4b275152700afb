// Loads dist/graph.js (LangChain, the graph, the transports) on the first diagnosis and builds the
// DiagnosisService from the current settings. The service is rebuilt when the LLM settings, the
// API key or the host inventory change; the old host connections close once no run uses them.
import type { CommandPolicy } from "../../agent/src/policy/types";
import type { ApprovalGate, DiagnosisIncidents, DiagnosisSettings, HostResolver } from "../graph/deps";
import type { DiagnosisServiceHandle } from "../graph/service";
import type { HostEntry, SecretLookup } from "../hosts/model";
import type { LlmSettings } from "../llm/settings";
import type { Logger } from "../shared/log";
import type { BundleLoader, GraphBundle } from "./bundles";

export interface GraphServiceOptions {
  /** dist/graph.js, loaded on the first diagnosis (a few hundred ms; never at activation). */
  loadGraph: BundleLoader<GraphBundle>;
  checkpointDir: string;
  logger: Logger;
  secrets: SecretLookup & { llmApiKey(): Promise<string | undefined> };
  incidents: DiagnosisIncidents;
  hosts(): HostEntry[];
  /** Throws an AtlError with the fix when the LLM is configured but unusable (no key…). */
  llmSettings(apiKey: string | undefined): LlmSettings | null | Promise<LlmSettings | null>;
  diagnosisSettings(): DiagnosisSettings;
  /** The policy, when the extension already has one (else graph.js provides it). */
  policy?: CommandPolicy;
  /** Standing approvals (the user's approval rules); absent: every plan waits. */
  approvals?: ApprovalGate;
  /** Whether any thread is running (old host connections are closed only when none is). */
  busy(): boolean;
}

interface Built {
  key: string;
  service: DiagnosisServiceHandle;
  directory: HostResolver & { dispose(): void };
}

export class GraphServiceProvider {
  private current: Built | undefined;
  private readonly retired: Built[] = [];
  private cachedPolicy: CommandPolicy | undefined;

  constructor(private readonly options: GraphServiceOptions) {}

  policy(): CommandPolicy {
    this.cachedPolicy ??= this.options.policy ?? this.options.loadGraph().createCommandPolicy();
    return this.cachedPolicy;
  }

  /** The service for the current settings (rebuilt when they changed since the last call). */
  async get(): Promise<DiagnosisServiceHandle> {
    const apiKey = await this.options.secrets.llmApiKey();
    const llm = await this.options.llmSettings(apiKey);
    const hosts = this.options.hosts();
    // The key never leaves this object; it only detects a change.
    const key = JSON.stringify({ llm, hosts });
    this.closeRetired();
    if (this.current?.key === key) {
      return this.current.service;
    }
    if (this.current) {
      this.retired.push(this.current);
    }
    const graph = this.options.loadGraph();
    const policy = this.policy();
    const directory = new graph.HostDirectory(hosts, this.options.secrets, { policy, logger: this.options.logger });
    const service = graph.createDiagnosisService({
      llm,
      hosts: directory,
      policy,
      incidents: this.options.incidents,
      checkpointDir: this.options.checkpointDir,
      logger: this.options.logger,
      settings: () => this.options.diagnosisSettings(),
      ...(this.options.approvals ? { approvals: this.options.approvals } : {}),
    });
    this.current = { key, service, directory };
    return service;
  }

  /** The service if one was built already (without loading graph.js or reading settings). */
  get built(): DiagnosisServiceHandle | undefined {
    return this.current?.service;
  }

  dispose(): void {
    this.current?.directory.dispose();
    for (const built of this.retired.splice(0)) {
      built.directory.dispose();
    }
    this.current = undefined;
  }

  private closeRetired(): void {
    if (this.retired.length === 0 || this.options.busy()) {
      return;
    }
    for (const built of this.retired.splice(0)) {
      built.directory.dispose();
    }
  }
}
