// Loads dist/graph.js (LangChain, the graph, the transports) on the first diagnosis and builds the
// DiagnosisService from the current settings. The service is rebuilt when the LLM settings, the
// API key or the host inventory change; the old host connections close once no run uses them.
import * as path from "node:path";
import type { CommandPolicy } from "../../../agent/src/policy/types";
import type { DiagnosisDeps, DiagnosisIncidents, DiagnosisSettings, HostResolver } from "../../graph/deps";
import type { DiagnosisServiceHandle } from "../../graph/service";
import type { HostDirectoryOptions } from "../../hosts/directory";
import type { HostEntry, SecretLookup } from "../../hosts/model";
import type { LlmSettings } from "../../llm/settings";
import type { Logger } from "../../log";

/** What dist/graph.js exports that the editor uses. */
export interface GraphModule {
  createDiagnosisService(deps: DiagnosisDeps): DiagnosisServiceHandle;
  HostDirectory: new (hosts: HostEntry[], secrets: SecretLookup, options: HostDirectoryOptions) => HostResolver & { dispose(): void };
  createCommandPolicy(): CommandPolicy;
}

export interface GraphServiceOptions {
  /** Folder holding graph.js (dist/). */
  bundleDir: string;
  checkpointDir: string;
  logger: Logger;
  secrets: SecretLookup & { llmApiKey(): Promise<string | undefined> };
  incidents: DiagnosisIncidents;
  hosts(): HostEntry[];
  /** Throws an AtlError with the fix when the LLM is configured but unusable (no key…). */
  llmSettings(apiKey: string | undefined): LlmSettings | null;
  diagnosisSettings(): DiagnosisSettings;
  /** The policy, when the extension already has one (else graph.js provides it). */
  policy?: CommandPolicy;
  /** Whether any thread is running (old host connections are closed only when none is). */
  busy(): boolean;
}

interface Built {
  key: string;
  service: DiagnosisServiceHandle;
  directory: HostResolver & { dispose(): void };
}

export class GraphServiceProvider {
  private module: GraphModule | undefined;
  private current: Built | undefined;
  private readonly retired: Built[] = [];
  private cachedPolicy: CommandPolicy | undefined;

  constructor(private readonly options: GraphServiceOptions) {}

  /** Loads graph.js once (a few hundred ms the first time; never at activation). */
  load(): GraphModule {
    if (!this.module) {
      const started = Date.now();
      // A runtime require keeps LangChain out of dist/extension.js (esbuild leaves it alone).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.module = require(path.join(this.options.bundleDir, "graph.js")) as GraphModule;
      this.options.logger.info(`Diagnosis graph loaded in ${Date.now() - started} ms.`);
    }
    return this.module;
  }

  policy(): CommandPolicy {
    this.cachedPolicy ??= this.options.policy ?? this.load().createCommandPolicy();
    return this.cachedPolicy;
  }

  /** The service for the current settings (rebuilt when they changed since the last call). */
  async get(): Promise<DiagnosisServiceHandle> {
    const apiKey = await this.options.secrets.llmApiKey();
    const llm = this.options.llmSettings(apiKey);
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
    const graph = this.load();
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
