// The editor's language models (`vscode.lm`, e.g. GitHub Copilot) for ATL: which model the settings
// select, whether the user allowed ATL to use it, the port graph.js sends requests through, and
// "ATL: Choose language model". Consent is only ever asked from a user action (a Diagnose click,
// the Choose command, a message to @atl): a diagnosis started without one (a background triage)
// never makes the editor show its consent dialog — it uses the runbooks until the user allows.
import * as vscode from "vscode";
import type { EditorMessage, EditorModelPort, EditorReply } from "../../llm/editor";
import type { LlmSettings } from "../../llm/settings";
import { AtlError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { registerCommand } from "../commands";
import { Disposable } from "../disposable";
import type { AtlSettings } from "../settings";

/** What the user decided per model (`vendor/id`), kept across sessions (globalState). */
const CONSENT_KEY = "atl.lm.consent";
type Consent = "granted" | "refused";

export const CHOOSE_MODEL_COMMAND = "atl.chooseLanguageModel";

/** `vendor/id`: how ATL names an editor model in settings keys, usage and reports. */
export function modelLabel(model: Pick<vscode.LanguageModelChat, "vendor" | "id">): string {
  return `${model.vendor}/${model.id}`;
}

export class EditorModels extends Disposable {
  private readonly port: EditorModelPort;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly settings: AtlSettings,
    private readonly logger: Logger,
  ) {
    super();
    this.port = new VscodeModelPort(this);
    this._register(registerCommand(CHOOSE_MODEL_COMMAND, () => this.choose(), logger));
  }

  /** The model the settings select: the first match, Copilot's first when nothing narrows it. */
  async selected(): Promise<vscode.LanguageModelChat | undefined> {
    const want = this.settings.current.llm.editorModel;
    const selector: vscode.LanguageModelChatSelector = {
      ...(want.vendor ? { vendor: want.vendor } : {}),
      ...(want.family ? { family: want.family } : {}),
      ...(want.id ? { id: want.id } : {}),
    };
    const models = await vscode.lm.selectChatModels(selector);
    return models.find((m) => m.vendor === "copilot") ?? models[0];
  }

  /** One request (atl.llm.timeoutSeconds). */
  timeoutSeconds(): number {
    return this.settings.current.llm.timeoutSeconds;
  }

  consent(model: Pick<vscode.LanguageModelChat, "vendor" | "id">): Consent | undefined {
    return this.context.globalState.get<Record<string, Consent>>(CONSENT_KEY, {})[modelLabel(model)];
  }

  async recordConsent(model: Pick<vscode.LanguageModelChat, "vendor" | "id">, consent: Consent | undefined): Promise<void> {
    const all = { ...this.context.globalState.get<Record<string, Consent>>(CONSENT_KEY, {}) };
    if (consent) {
      all[modelLabel(model)] = consent;
    } else {
      delete all[modelLabel(model)];
    }
    await this.context.globalState.update(CONSENT_KEY, all);
  }

  /**
   * The LLM settings of the next diagnosis run. `auto`: the editor's model once the user allowed
   * ATL to use it, otherwise none (the runbooks). `vscode`: the editor's model, or an error with
   * the fix when none matches or the user refused. Other providers: the `atl.llm.*` settings.
   */
  async llmSettings(apiKey: string | undefined): Promise<LlmSettings | null> {
    const llm = this.settings.current.llm;
    if (llm.provider !== "auto" && llm.provider !== "vscode") {
      return this.settings.llmSettings(apiKey);
    }
    const model = await this.selected();
    if (!model) {
      if (llm.provider === "auto") {
        return null;
      }
      throw new AtlError("llm-config", vscode.l10n.t("No language model of the editor matches atl.llm.vscode (vendor, family, id)."), {
        fix: vscode.l10n.t("Sign in to GitHub Copilot (or another model provider), then run ATL: Choose language model."),
      });
    }
    const consent = this.consent(model);
    if (llm.provider === "auto" && consent !== "granted") {
      return null;
    }
    if (consent === "refused") {
      throw refusedError(model);
    }
    return {
      provider: "vscode",
      model: modelLabel(model),
      baseUrl: null,
      azure: null,
      structuredOutputMethod: "jsonMode",
      timeoutSeconds: llm.timeoutSeconds,
      maxRetries: 0,
      prices: llm.prices,
      apiKey: "",
      tracing: llm.tracing,
      editor: this.port,
    };
  }

  /**
   * Called from a user action before a diagnosis: asks the editor for consent to the selected
   * model once (VS Code shows its dialog for models that need it, e.g. Copilot's). Nothing to do
   * when the provider is not the editor's model or the user decided already.
   */
  async prepareForUserAction(): Promise<void> {
    const provider = this.settings.current.llm.provider;
    if (provider !== "auto" && provider !== "vscode") {
      return;
    }
    const model = await this.selected();
    if (model && this.consent(model) === undefined) {
      await this.requestConsent(model);
    }
  }

  /**
   * Sends a one-line request to `model` so the editor asks the user (only models that need consent
   * show a dialog); the reply is not needed and the request is cancelled as soon as it starts.
   * Records the answer; returns whether ATL may use the model.
   */
  async requestConsent(model: vscode.LanguageModelChat): Promise<boolean> {
    const cancel = new vscode.CancellationTokenSource();
    try {
      await model.sendRequest([vscode.LanguageModelChatMessage.User("Reply with OK.")], { justification: justification() }, cancel.token);
      await this.recordConsent(model, "granted");
      this.logger.info(`The editor's model ${modelLabel(model)} may be used by ATL.`);
      return true;
    } catch (error) {
      if (error instanceof vscode.LanguageModelError && error.code === vscode.LanguageModelError.NoPermissions.name) {
        await this.recordConsent(model, "refused");
        this.logger.info(`Use of the editor's model ${modelLabel(model)} was not allowed: ${error.message}`);
        void vscode.window.showInformationMessage(
          vscode.l10n.t("ATL will not use {0}: it diagnoses with its built-in runbooks. Run ATL: Choose language model to allow it later.", model.name),
        );
        return false;
      }
      // Not a decision (the model went away, a network error): ask again next time.
      this.logger.warn(`Could not ask for the use of ${modelLabel(model)}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    } finally {
      cancel.cancel();
      cancel.dispose();
    }
  }

  /** ATL: Choose language model — the editor's models, or the runbooks alone. */
  private async choose(): Promise<void> {
    type Pick = vscode.QuickPickItem & { model: vscode.LanguageModelChat | null };
    const models = await vscode.lm.selectChatModels();
    const current = this.settings.current.llm;
    const selected = current.provider === "auto" || current.provider === "vscode" ? await this.selected() : undefined;
    const items: Pick[] = models.map((model) => ({
      label: model.name,
      description: `${model.vendor} · ${model.family}${selected && modelLabel(selected) === modelLabel(model) ? ` · ${vscode.l10n.t("current")}` : ""}`,
      detail: vscode.l10n.t("{0} · up to {1} input tokens · {2}", model.id, model.maxInputTokens, consentText(this.consent(model))),
      model,
    }));
    items.push({ label: vscode.l10n.t("$(book) Built-in runbooks only"), description: vscode.l10n.t("no language model"), model: null });
    if (models.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t("The editor offers no language model: install and sign in to GitHub Copilot (or another provider), or use an API key (atl.llm.provider)."));
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t("ATL: Choose language model"),
      placeHolder: vscode.l10n.t("The model ATL plans commands and analyses output with"),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked) {
      return;
    }
    if (!picked.model) {
      await this.settings.update("llm.provider", "none");
      return;
    }
    const model = picked.model;
    await this.settings.update("llm.vscode.vendor", model.vendor);
    await this.settings.update("llm.vscode.family", model.family);
    await this.settings.update("llm.vscode.id", model.id);
    if (current.provider !== "auto") {
      await this.settings.update("llm.provider", "vscode");
    }
    // Choosing is the user's action: ask again even after an earlier refusal.
    await this.recordConsent(model, undefined);
    if (await this.requestConsent(model)) {
      void vscode.window.showInformationMessage(vscode.l10n.t("ATL plans and analyses with {0}.", model.name));
    }
  }
}

function justification(): string {
  return vscode.l10n.t("ATL sends alarm details and the output of the diagnostic commands you approve (redacted) to plan commands and explain what they show.");
}

function consentText(consent: Consent | undefined): string {
  switch (consent) {
    case "granted":
      return vscode.l10n.t("allowed");
    case "refused":
      return vscode.l10n.t("not allowed");
    case undefined:
      return vscode.l10n.t("not asked yet");
  }
}

function refusedError(model: vscode.LanguageModelChat): AtlError {
  return new AtlError("llm-consent", vscode.l10n.t("ATL is not allowed to use the language model {0}.", model.name), {
    fix: vscode.l10n.t("Run ATL: Choose language model and allow it, or set atl.llm.provider to auto or none."),
  });
}

/** Maps what `sendRequest` and the response stream throw to an AtlError with something to do. */
export function languageModelError(error: unknown, model: vscode.LanguageModelChat): AtlError {
  if (error instanceof AtlError) {
    return error;
  }
  if (error instanceof vscode.CancellationError) {
    return new AtlError("cancelled", vscode.l10n.t("The request to the language model was cancelled."), { cause: error });
  }
  const message = error instanceof Error ? error.message.split("\n")[0].slice(0, 200) : String(error);
  if (error instanceof vscode.LanguageModelError) {
    switch (error.code) {
      case vscode.LanguageModelError.NoPermissions.name:
        return new AtlError("llm-consent", vscode.l10n.t("ATL may not use the language model {0}: {1}", model.name, message), {
          cause: error,
          fix: vscode.l10n.t("Run ATL: Choose language model and allow it (or Accounts → Manage Language Model Access)."),
        });
      case vscode.LanguageModelError.Blocked.name:
        return new AtlError("llm", vscode.l10n.t("The editor blocked ATL's request to {0} (too many requests or a quota): {1}", model.name, message), {
          cause: error,
          fix: vscode.l10n.t("Wait a moment and try again; check your Copilot plan's quota."),
        });
      case vscode.LanguageModelError.NotFound.name:
        return new AtlError("llm-config", vscode.l10n.t("The language model {0} is no longer available.", model.name), {
          cause: error,
          fix: vscode.l10n.t("Run ATL: Choose language model."),
        });
      default:
        break;
    }
  }
  if (/quota|rate.?limit|too many requests|429/i.test(message)) {
    return new AtlError("llm", vscode.l10n.t("The language model {0} is over its quota or rate limit: {1}", model.name, message), {
      cause: error,
      fix: vscode.l10n.t("Wait a moment and try again; check your Copilot plan's quota."),
    });
  }
  return new AtlError("llm", vscode.l10n.t("The request to the language model {0} failed: {1}", model.name, message), { cause: error });
}

/**
 * The port graph.js sends through: the selected model at the time of each request, only when the
 * user allowed it; the prompt is counted with the model's tokenizer against its input window
 * first; the request is cancelled on the run's signal and at atl.llm.timeoutSeconds.
 */
class VscodeModelPort implements EditorModelPort {
  constructor(private readonly models: EditorModels) {}

  /** The service key (GraphServiceProvider) must not try to serialize the extension's objects. */
  toJSON(): string {
    return "vscode-lm";
  }

  async send(messages: EditorMessage[], options: { signal?: AbortSignal }): Promise<EditorReply> {
    const model = await this.models.selected();
    if (!model) {
      throw new AtlError("llm-config", vscode.l10n.t("The editor's language model is no longer available."), { fix: vscode.l10n.t("Run ATL: Choose language model.") });
    }
    const consent = this.models.consent(model);
    if (consent === "refused") {
      throw refusedError(model);
    }
    if (consent !== "granted") {
      // Never from here: this may be a background run, and the editor's dialog must follow a click.
      throw new AtlError("llm-consent", vscode.l10n.t("ATL has not asked to use the language model {0} yet.", model.name), {
        fix: vscode.l10n.t("Click Diagnose, or run ATL: Choose language model, and allow it."),
      });
    }
    const cancel = new vscode.CancellationTokenSource();
    const timeoutSeconds = this.models.timeoutSeconds();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      cancel.cancel();
    }, timeoutSeconds * 1000);
    const onAbort = (): void => cancel.cancel();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      cancel.dispose();
    };
    const failure = (error: unknown): AtlError => {
      if (timedOut) {
        return new AtlError("llm-timeout", vscode.l10n.t("The language model {0} did not answer in time.", model.name), { cause: error, fix: vscode.l10n.t("Try again, or choose another model.") });
      }
      if (options.signal?.aborted) {
        return new AtlError("cancelled", vscode.l10n.t("The request to the language model was cancelled."), { cause: error });
      }
      return languageModelError(error, model);
    };

    const chat = messages.map((m) => (m.role === "user" ? vscode.LanguageModelChatMessage.User(m.content) : vscode.LanguageModelChatMessage.Assistant(m.content)));
    let response: vscode.LanguageModelChatResponse;
    let promptTokens = 0;
    try {
      for (const message of chat) {
        promptTokens += await model.countTokens(message, cancel.token);
      }
      if (promptTokens > model.maxInputTokens) {
        throw new AtlError("llm-config", vscode.l10n.t("The prompt has {0} tokens; {1} takes at most {2}.", promptTokens, model.name, model.maxInputTokens), {
          fix: vscode.l10n.t("Lower atl.llm.outputTokenBudget (tokens of each command's output sent), or choose a model with a larger input window."),
        });
      }
      response = await model.sendRequest(chat, { justification: justification() }, cancel.token);
    } catch (error) {
      finish();
      const mapped = failure(error);
      if (mapped.code === "llm-consent") {
        // Access was withdrawn in the editor: do not use the model until the user allows it again.
        await this.models.recordConsent(model, "refused");
      }
      throw mapped;
    }
    let reply = "";
    let ended = false;
    async function* text(): AsyncGenerator<string> {
      try {
        for await (const piece of response.text) {
          reply += piece;
          yield piece;
        }
        ended = true;
      } catch (error) {
        throw failure(error);
      } finally {
        finish();
      }
    }
    return {
      text: text(),
      usage: async () => ({ promptTokens, completionTokens: ended || reply ? await model.countTokens(reply) : 0 }),
    };
  }
}
