// Secrets in the OS keychain (VS Code SecretStorage) under the names of `secretNames`: the LLM API
// key and one agent secret per host. Values never reach settings, logs or prompts; the log only
// says which secret name changed.
import * as vscode from "vscode";
import { secretNames, type SecretLookup } from "../hosts/model";
import type { Logger } from "../shared/log";
import { Disposable } from "./disposable";

export class SecretStore extends Disposable implements SecretLookup {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<string>());
  /** Fires with the secret's name (never its value) when it is set or deleted, in any window. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {
    super();
    this._register(storage.onDidChange((event) => this.changeEmitter.fire(event.key)));
  }

  async get(name: string): Promise<string | undefined> {
    const value = await this.storage.get(name);
    return value === "" ? undefined : value;
  }

  async set(name: string, value: string): Promise<void> {
    await this.storage.store(name, value);
    this.logger.info(`Secret ${name} saved to SecretStorage.`);
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(name);
    this.logger.info(`Secret ${name} removed from SecretStorage.`);
  }

  llmApiKey(): Promise<string | undefined> {
    return this.get(secretNames.llmApiKey);
  }

  agentSecret(hostId: string): Promise<string | undefined> {
    return this.get(secretNames.agentSecret(hostId));
  }
}

/** Rules an agent secret must meet: the agent refuses short keys too, so say it before saving. */
export function validateAgentSecret(value: string): string | undefined {
  if (value.trim() !== value) {
    return vscode.l10n.t("The secret must not start or end with spaces.");
  }
  if (value.length < 32) {
    return vscode.l10n.t("Use at least 32 characters, as the agent requires (e.g. the output of `openssl rand -hex 32`).");
  }
  return undefined;
}

export function validateApiKey(value: string): string | undefined {
  if (value.trim().length === 0) {
    return vscode.l10n.t("Paste the API key, or press Escape to keep the current one.");
  }
  if (/\s/.test(value.trim())) {
    return vscode.l10n.t("An API key has no spaces.");
  }
  return undefined;
}

/** ATL: Set LLM API key — a password box; the key goes to SecretStorage only. Empty input clears it. */
export async function setLlmApiKey(secrets: SecretStore, provider: string): Promise<boolean> {
  // none, auto and vscode use no key: the key is for when the user switches to OpenAI or Azure.
  const keyless = provider === "none" || provider === "auto" || provider === "vscode";
  const hasKey = (await secrets.llmApiKey()) !== undefined;
  const value = await vscode.window.showInputBox({
    title: vscode.l10n.t("ATL: Set LLM API key"),
    prompt: hasKey
      ? vscode.l10n.t("A key is stored. Paste a new one to replace it, or clear the box and press Enter to remove it.")
      : vscode.l10n.t("The API key of your {0} LLM. Stored in the OS keychain (SecretStorage), never in settings or logs.", keyless ? "OpenAI" : provider),
    password: true,
    ignoreFocusOut: true,
    placeHolder: "sk-…",
    validateInput: (v) => (v.length === 0 && hasKey ? undefined : validateApiKey(v)),
  });
  if (value === undefined) {
    return false;
  }
  if (value.length === 0) {
    await secrets.delete(secretNames.llmApiKey);
    void vscode.window.showInformationMessage(vscode.l10n.t("LLM API key removed."));
    return true;
  }
  await secrets.set(secretNames.llmApiKey, value.trim());
  const message =
    keyless
      ? vscode.l10n.t("LLM API key saved. Set atl.llm.provider to use it; until then the built-in runbooks diagnose.")
      : vscode.l10n.t("LLM API key saved.");
  const open = vscode.l10n.t("Open settings");
  void vscode.window.showInformationMessage(message, ...(provider === "none" ? [open] : [])).then(async (choice) => {
    if (choice === open) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "atl.llm.provider");
    }
  });
  return true;
}
