// Host commands: Add host (a guided flow that writes an `atl.hosts` entry and puts the agent secret
// in SecretStorage), Test host (agent: signed /v1/info; SSH: banner, then the pinned host key on a
// real connection), Set agent secret, Set SSH key passphrase, Refresh hosts.
import { readFile } from "node:fs/promises";
import * as vscode from "vscode";
import { AgentClient, AgentRequestError, type InfoResponse } from "../../../agent/src/protocol";
import { AtlError, errnoCode } from "../../shared/errors";
import type { BundleLoader, GraphBundle } from "../../diagnosis/bundles";
import { secretNames, type AgentHostEntry, type HostEntry, type SshHostEntry } from "../../hosts/model";
import { probeHost } from "../../transports/probe";
import type { Logger } from "../../shared/log";
import { cancelled } from "../commands";
import type { SecretStore } from "../secrets";
import { validateAgentSecret } from "../secrets";
import type { AtlSettings } from "../settings";
import type { HostsModel } from "./hostsModel";

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const URL_PATTERN = /^https?:\/\/[^\s/]+(:\d+)?\/?$/;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const HOSTNAME_PATTERN = /^[A-Za-z0-9._:[\]-]{1,253}$/;

export interface HostCommandDeps {
  settings: AtlSettings;
  secrets: SecretStore;
  hosts: HostsModel;
  logger: Logger;
  /** The graph bundle (loaded on demand): it carries the SSH transport that verifies host keys. */
  loadGraph: BundleLoader<GraphBundle>;
}

/** What Test host found, for the notification and the in-editor tests. */
export interface HostTestResult {
  host: HostEntry;
  ok: boolean;
  summary: string;
  info: InfoResponse | null;
}

/** The host a command is about: the tree item it was run on, an id, or a quick pick. */
export async function pickHost(hosts: HostsModel, arg: unknown, title: string, filter: (h: HostEntry) => boolean = () => true): Promise<HostEntry> {
  if (typeof arg === "object" && arg !== null && typeof (arg as HostEntry).id === "string") {
    const known = hosts.get((arg as HostEntry).id);
    if (known) {
      return known;
    }
  }
  if (typeof arg === "string") {
    const known = hosts.get(arg);
    if (known) {
      return known;
    }
  }
  const candidates = hosts.hosts.filter(filter);
  if (candidates.length === 0) {
    throw new AtlError("host-unknown", vscode.l10n.t("No matching host in atl.hosts."), { fix: vscode.l10n.t("Run ATL: Add host first.") });
  }
  if (candidates.length === 1 && candidates[0]) {
    return candidates[0];
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((host) => ({ label: host.name, description: host.id, detail: host.transport === "agent" ? host.url : `${host.username}@${host.host}:${host.port ?? 22}`, host })),
    { title, placeHolder: vscode.l10n.t("Pick a host"), matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) {
    throw cancelled();
  }
  return picked.host;
}

export async function setAgentSecret(deps: HostCommandDeps, arg: unknown): Promise<HostEntry> {
  const host = await pickHost(deps.hosts, arg, vscode.l10n.t("Set agent secret"), (h) => h.transport === "agent");
  if (host.transport !== "agent") {
    throw new AtlError("config", vscode.l10n.t("{0} is reached over SSH; it has no agent secret.", host.name));
  }
  const secret = await vscode.window.showInputBox({
    title: vscode.l10n.t("Agent secret for {0}", host.name),
    prompt: vscode.l10n.t("The shared secret in the agent's --secret-file on {0}. Stored in the OS keychain (SecretStorage), never in settings.", host.name),
    password: true,
    ignoreFocusOut: true,
    validateInput: validateAgentSecret,
  });
  if (secret === undefined) {
    throw cancelled();
  }
  await deps.secrets.set(secretNames.agentSecret(host.id), secret);
  if (host.secretFile) {
    void vscode.window.showWarningMessage(vscode.l10n.t("{0} has a secretFile in atl.hosts; that file is used instead of the stored secret.", host.name));
  } else {
    void vscode.window.showInformationMessage(vscode.l10n.t("Agent secret for {0} saved.", host.name));
  }
  void deps.hosts.refresh();
  return host;
}

/** ATL: Set SSH key passphrase — for an SSH host whose privateKeyFile is encrypted. Empty input clears it. */
export async function setSshPassphrase(deps: HostCommandDeps, arg: unknown): Promise<HostEntry> {
  const host = await pickHost(deps.hosts, arg, vscode.l10n.t("Set SSH key passphrase"), (h) => h.transport === "ssh");
  if (host.transport !== "ssh") {
    throw new AtlError("config", vscode.l10n.t("{0} is reached through the ATL agent; it has no SSH key passphrase.", host.name));
  }
  const passphrase = await vscode.window.showInputBox({
    title: vscode.l10n.t("SSH key passphrase for {0}", host.name),
    prompt: vscode.l10n.t("The passphrase of {0}. Stored in the OS keychain (SecretStorage), never in settings. Leave empty to remove it.", host.privateKeyFile ?? "privateKeyFile"),
    password: true,
    ignoreFocusOut: true,
  });
  if (passphrase === undefined) {
    throw cancelled();
  }
  if (passphrase === "") {
    await deps.secrets.delete(secretNames.sshPassphrase(host.id));
    void vscode.window.showInformationMessage(vscode.l10n.t("SSH key passphrase for {0} removed.", host.name));
  } else {
    await deps.secrets.set(secretNames.sshPassphrase(host.id), passphrase);
    void vscode.window.showInformationMessage(vscode.l10n.t("SSH key passphrase for {0} saved.", host.name));
  }
  return host;
}

export async function testHost(deps: HostCommandDeps, arg: unknown): Promise<HostTestResult> {
  const host = await pickHost(deps.hosts, arg, vscode.l10n.t("Test host"));
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Testing {0}…", host.name), cancellable: true },
    (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return host.transport === "agent" ? testAgent(deps, host, abort.signal) : testSsh(deps, host, abort.signal);
    },
  );
  deps.logger.info(`Test host ${host.id}: ${result.summary}`);
  void deps.hosts.refresh();
  if (result.ok) {
    void vscode.window.showInformationMessage(result.summary);
  } else {
    const showLog = vscode.l10n.t("Show log");
    void vscode.window.showErrorMessage(result.summary, showLog).then(async (choice) => {
      if (choice === showLog) {
        await vscode.commands.executeCommand("atl.showLog");
      }
    });
  }
  return result;
}

async function testAgent(deps: HostCommandDeps, host: AgentHostEntry, signal: AbortSignal): Promise<HostTestResult> {
  const health = await probeHost(host, { signal });
  if (!health.reachable) {
    return { host, ok: false, info: null, summary: vscode.l10n.t("{0}: cannot reach the agent: {1}", host.name, health.error ?? "?") };
  }
  let secret: string | undefined;
  try {
    secret = host.secretFile ? (await readFile(host.secretFile, "utf8")).trim() : await deps.secrets.agentSecret(host.id);
  } catch (error) {
    return { host, ok: false, info: null, summary: vscode.l10n.t("{0}: cannot read secretFile {1}: {2}", host.name, host.secretFile ?? "", errnoCode(error) ?? String(error)) };
  }
  if (!secret) {
    return {
      host,
      ok: false,
      info: null,
      summary: vscode.l10n.t("{0}: the agent answers (v{1}), but no secret is stored. Run ATL: Set agent secret.", host.name, health.version ?? "?"),
    };
  }
  const ca = host.caFile ? await readFile(host.caFile) : undefined;
  const client = new AgentClient({ url: host.url, keyId: host.keyId, secret, ...(ca ? { ca } : {}) });
  try {
    const info = await client.info(signal);
    const policy = info.policy.operatorRules.length > 0 ? vscode.l10n.t("{0} + {1} operator rules", info.policy.profile, info.policy.operatorRules.length) : info.policy.profile;
    return {
      host,
      ok: true,
      info,
      summary: vscode.l10n.t(
        "{0}: signed request OK. {1}, {2}, kernel {3}, {4} CPUs, {5} GiB; agent {6}; policy {7}; {8} ms.",
        host.name,
        info.hostname,
        info.os,
        info.kernel,
        info.cpus,
        (info.memoryBytes / 1024 ** 3).toFixed(1),
        info.agentVersion,
        policy,
        Math.round(health.latencyMs ?? 0),
      ),
    };
  } catch (error) {
    return { host, ok: false, info: null, summary: vscode.l10n.t("{0}: {1}", host.name, agentErrorText(error, host)) };
  } finally {
    client.close();
  }
}

function agentErrorText(error: unknown, host: AgentHostEntry): string {
  if (error instanceof AgentRequestError && error.kind === "auth") {
    return vscode.l10n.t("the agent refused the signature ({0}). Check that key id {1} and the stored secret match the agent's --key-id and --secret-file (ATL: Set agent secret), and that this machine's clock is right.", error.message, host.keyId);
  }
  return error instanceof AtlError ? error.userMessage : error instanceof Error ? error.message : String(error);
}

async function testSsh(deps: HostCommandDeps, host: SshHostEntry, signal: AbortSignal): Promise<HostTestResult> {
  const health = await probeHost(host, { signal });
  if (!health.reachable || health.error) {
    return { host, ok: false, info: null, summary: vscode.l10n.t("{0}: {1}", host.name, health.error ?? vscode.l10n.t("unreachable")) };
  }
  let graph: GraphBundle;
  try {
    graph = deps.loadGraph();
  } catch (error) {
    deps.logger.warn(error instanceof Error ? error.message : String(error));
    return { host, ok: true, info: null, summary: vscode.l10n.t("{0}: SSH answers ({1}). The pinned host key is checked on the first diagnosis.", host.name, health.version ?? "") };
  }
  // A real connection: the transport refuses a host key other than the pinned one, then logs in.
  const directory = new graph.HostDirectory([host], deps.secrets, { policy: graph.createCommandPolicy(), logger: deps.logger });
  try {
    const transport = await directory.transport(host);
    const checked = await transport.health(signal);
    // Reachable with an error: the port answers but the login failed (key, passphrase, user).
    if (!checked.reachable || checked.error) {
      return { host, ok: false, info: null, summary: vscode.l10n.t("{0}: {1}", host.name, checked.error ?? vscode.l10n.t("SSH login failed")) };
    }
    return {
      host,
      ok: true,
      info: null,
      summary: vscode.l10n.t("{0}: SSH login as {1} OK, host key matches {2} ({3}, {4} ms).", host.name, host.username, host.hostKeySha256, health.version ?? "", Math.round(checked.latencyMs ?? 0)),
    };
  } catch (error) {
    const message = error instanceof AtlError ? error.userMessage : error instanceof Error ? error.message : String(error);
    return { host, ok: false, info: null, summary: vscode.l10n.t("{0}: {1}", host.name, message) };
  } finally {
    directory.dispose();
  }
}

/** Add host: transport, id, name, then the transport's fields; writes atl.hosts. */
export async function addHost(deps: HostCommandDeps): Promise<HostEntry | undefined> {
  const title = vscode.l10n.t("Add host");
  const transport = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t("ATL agent"), description: vscode.l10n.t("signed HTTP, recommended"), detail: vscode.l10n.t("The ATL agent runs on the host and only runs commands its policy allows."), value: "agent" as const },
      { label: vscode.l10n.t("SSH"), description: vscode.l10n.t("pinned host key"), detail: vscode.l10n.t("Commands run over SSH as your user; ATL checks them with the same policy first."), value: "ssh" as const },
    ],
    { title, placeHolder: vscode.l10n.t("How does ATL reach the host?"), ignoreFocusOut: true },
  );
  if (!transport) {
    throw cancelled();
  }
  const existing = new Set(deps.hosts.hosts.map((h) => h.id.toLowerCase()));
  const steps = transport.value === "agent" ? 5 : 7;
  let step = 0;
  const ask = async (options: vscode.InputBoxOptions): Promise<string> => {
    step++;
    const value = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options, title: `${title} (${step}/${steps})` });
    if (value === undefined) {
      throw cancelled();
    }
    return value.trim();
  };

  const id = await ask({
    prompt: vscode.l10n.t("Host id: stable, often the EC2 instance id (alarms refer to hosts by it)."),
    placeHolder: "i-0a1b2c3d4e5f67890",
    validateInput: (v) =>
      !ID_PATTERN.test(v.trim())
        ? vscode.l10n.t("Letters, digits, '.', '_', ':' or '-', starting with a letter or digit.")
        : existing.has(v.trim().toLowerCase())
          ? vscode.l10n.t("A host with this id exists already.")
          : undefined,
  });
  const name = (await ask({ prompt: vscode.l10n.t("Display name"), value: id, validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t("Enter a name.")) })) || id;

  let entry: HostEntry;
  let secret: string | undefined;
  if (transport.value === "agent") {
    const url = (
      await ask({
        prompt: vscode.l10n.t("Agent URL (http or https, host and port)"),
        placeHolder: "https://10.0.1.5:9917",
        validateInput: (v) => (URL_PATTERN.test(v.trim()) ? undefined : vscode.l10n.t("Use http(s)://host:port with no path, e.g. https://10.0.1.5:9917.")),
      })
    ).replace(/\/$/, "");
    const keyId = await ask({
      prompt: vscode.l10n.t("Key id (the agent's --key-id)"),
      value: "atl",
      validateInput: (v) => (KEY_ID_PATTERN.test(v.trim()) ? undefined : vscode.l10n.t("1–64 letters, digits, '.', '_' or '-'.")),
    });
    step++;
    secret = await vscode.window.showInputBox({
      title: `${title} (${step}/${steps})`,
      prompt: vscode.l10n.t("Shared secret (the content of the agent's --secret-file). Stored in the OS keychain, never in settings."),
      password: true,
      ignoreFocusOut: true,
      validateInput: validateAgentSecret,
    });
    if (secret === undefined) {
      throw cancelled();
    }
    entry = { id, name, transport: "agent", url, keyId } satisfies AgentHostEntry;
  } else {
    const address = await ask({
      prompt: vscode.l10n.t("SSH host name or address"),
      placeHolder: "10.0.1.5",
      validateInput: (v) => (HOSTNAME_PATTERN.test(v.trim()) ? undefined : vscode.l10n.t("A host name or IP address.")),
    });
    const port = Number(
      await ask({
        prompt: vscode.l10n.t("SSH port"),
        value: "22",
        validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : vscode.l10n.t("A port from 1 to 65535.")),
      }),
    );
    const username = await ask({ prompt: vscode.l10n.t("User name"), placeHolder: "ec2-user", validateInput: (v) => (v.trim() && !/\s/.test(v.trim()) ? undefined : vscode.l10n.t("Enter a user name without spaces.")) });
    const privateKeyFile = await ask({
      prompt: vscode.l10n.t("Private key file (empty: the SSH agent in SSH_AUTH_SOCK)"),
      placeHolder: "~/.ssh/id_ed25519",
    });
    const hostKeySha256 = await ask({
      prompt: vscode.l10n.t("Pinned host key fingerprint. On the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub"),
      placeHolder: "SHA256:…",
      validateInput: (v) => (FINGERPRINT_PATTERN.test(v.trim()) ? undefined : vscode.l10n.t("SHA256: followed by 43 base64 characters, as ssh-keygen -lf prints it.")),
    });
    entry = { id, name, transport: "ssh", host: address, port, username, hostKeySha256, ...(privateKeyFile ? { privateKeyFile } : {}) } satisfies SshHostEntry;
  }

  const raw = vscode.workspace.getConfiguration("atl").get<unknown>("hosts");
  const list = Array.isArray(raw) ? [...(raw as unknown[])] : [];
  if (secret !== undefined) {
    await deps.secrets.set(secretNames.agentSecret(id), secret);
  }
  await deps.settings.update("hosts", [...list, entry]);
  deps.logger.info(`Host ${id} (${entry.transport}) added to atl.hosts.`);
  const test = vscode.l10n.t("Test host");
  void vscode.window.showInformationMessage(vscode.l10n.t("Host {0} added.", name), test).then(async (choice) => {
    if (choice === test) {
      await vscode.commands.executeCommand("atl.testHost", id);
    }
  });
  return entry;
}
