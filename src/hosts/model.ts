// A host in the inventory (`atl.hosts` setting, `--hosts FILE` in the CLI): how to reach it and how
// alarms refer to it. Shape fixed in ARCHITECTURE.md; extra optional fields only.

interface HostEntryBase {
  /** Stable id used by settings and threads; often the EC2 instance id. */
  id: string;
  name: string;
  /** EC2 instance ids and other alarm dimension values that mean this host (besides `id`). */
  aliases?: string[];
  /** Tags shown in the Hosts view (e.g. "prod", "web"). */
  tags?: string[];
}

export interface AgentHostEntry extends HostEntryBase {
  transport: "agent";
  /** http(s)://host:9917 */
  url: string;
  keyId: string;
  /** File (mode 600) holding the shared secret; otherwise the secret is in SecretStorage. */
  secretFile?: string;
  /** PEM file of the CA or self-signed certificate to trust for https. */
  caFile?: string;
}

export interface SshHostEntry extends HostEntryBase {
  transport: "ssh";
  host: string;
  port?: number;
  username: string;
  privateKeyFile?: string;
  /** Pinned host key: `SHA256:…` as ssh-keygen -lf prints it (base64, no padding). Required. */
  hostKeySha256: string;
}

export type HostEntry = AgentHostEntry | SshHostEntry;

/** Where secrets come from: SecretStorage in the editor, files or environment in the CLI. */
export interface SecretLookup {
  get(name: string): Promise<string | undefined>;
}

/** Names of the secrets ATL keeps (SecretStorage keys). Values never reach settings, logs or prompts. */
export const secretNames = {
  llmApiKey: "atl.llm.apiKey",
  agentSecret: (hostId: string) => `atl.host.${hostId}.agentSecret`,
  sshPassphrase: (hostId: string) => `atl.host.${hostId}.sshPassphrase`,
} as const;
