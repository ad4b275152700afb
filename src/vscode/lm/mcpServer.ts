// ATL's MCP server for VS Code's MCP support (contributes.mcpServerDefinitionProviders): the same
// `node dist/cli.js mcp` other agents run, started by the editor with this window's inventory (a
// mode-600 file in global storage), the editor's alarm store and Diagnoses history (--store), and
// the hosts' secrets from SecretStorage in its environment (the CLI's ATL_AGENT_SECRET_<ID> and
// ATL_SSH_PASSPHRASE_<ID>), read only when the editor starts it.
import { createHash } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import { secretNames } from "../../hosts/model";
import type { AtlServices } from "../services";

export const MCP_PROVIDER_ID = "atl.mcp";

/** The CLI's environment name of a host's secret (src/cli/diagnose.ts envSecrets). */
function envName(prefix: string, hostId: string): string {
  return `${prefix}${hostId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

export function registerMcpServerDefinitionProvider(context: vscode.ExtensionContext, services: AtlServices): vscode.Disposable[] {
  const changed = new vscode.EventEmitter<void>();
  const storage = context.globalStorageUri.fsPath;
  const hostsFile = join(storage, "mcp-hosts.json");
  const provider: vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition> = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      const hosts = services.hosts.hosts;
      if (hosts.length === 0) {
        return [];
      }
      const cli = join(context.extensionUri.fsPath, "dist", "cli.js");
      const args = [cli, "mcp", "--hosts", hostsFile, "--store", storage, "--language", services.settings.reportLanguage()];
      // A new version when the inventory changes: the editor offers to refresh the tools.
      const version = createHash("sha256").update(JSON.stringify(hosts)).digest("hex").slice(0, 12);
      // The editor's own Node (process.execPath) runs the CLI as plain node.
      return [new vscode.McpStdioServerDefinition("ATL", process.execPath, args, { ELECTRON_RUN_AS_NODE: "1" }, version)];
    },
    resolveMcpServerDefinition: async (server) => {
      await mkdir(storage, { recursive: true });
      await writeFile(hostsFile, JSON.stringify(services.hosts.hosts, null, 2), { mode: 0o600 });
      await chmod(hostsFile, 0o600);
      const env: Record<string, string | number | null> = { ...server.env };
      for (const host of services.hosts.hosts) {
        const agentSecret = await services.secrets.get(secretNames.agentSecret(host.id));
        if (agentSecret) {
          env[envName("ATL_AGENT_SECRET_", host.id)] = agentSecret;
        }
        const passphrase = await services.secrets.get(secretNames.sshPassphrase(host.id));
        if (passphrase) {
          env[envName("ATL_SSH_PASSPHRASE_", host.id)] = passphrase;
        }
      }
      server.env = env;
      return server;
    },
  };
  return [changed, services.onDidChangeHosts(() => changed.fire()), vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider)];
}
