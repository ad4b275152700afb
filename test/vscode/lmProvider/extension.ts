// A language-model chat provider for the in-editor tests, standing in for Copilot: its models answer
// through the scripted OpenAI-compatible server (test/helpers/scriptedLlm.ts) over real HTTP, so
// ATL's `vscode` provider goes through the editor's real Language Model API end to end
// (selectChatModels, sendRequest, countTokens, cancellation, consent).
//
// The suites configure it with the command `atlTestLm.configure` ({baseUrl, models}) and read what
// it was asked with `atlTestLm.requests`. A model with `requiresAuthorization` makes the editor ask
// the user before another extension may use it (the consent dialog Copilot's models show); that
// needs the `chatProvider` API proposal, enabled for this extension by the test runner.
import * as vscode from "vscode";

interface TestModel {
  id: string;
  name: string;
  family: string;
  maxInputTokens: number;
  requiresAuthorization?: boolean;
}

interface Configuration {
  baseUrl: string;
  models: TestModel[];
}

interface RecordedRequest {
  model: string;
  /** Role and text of each message as the provider received them. */
  messages: { role: "user" | "assistant" | "other"; text: string }[];
  cancelled: boolean;
}

/** What the provider receives (the finalized API of VS Code 1.104; ATL's @types/vscode is 1.101). */
interface ModelInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly toolCalling?: boolean };
  readonly requiresAuthorization?: true | { label: string };
}

interface RequestMessage {
  readonly role: vscode.LanguageModelChatMessageRole;
  readonly content: readonly unknown[];
}

interface ChatProvider {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { silent: boolean }, token: vscode.CancellationToken): vscode.ProviderResult<ModelInformation[]>;
  provideLanguageModelChatResponse(model: ModelInformation, messages: readonly RequestMessage[], options: unknown, progress: vscode.Progress<vscode.LanguageModelTextPart>, token: vscode.CancellationToken): Thenable<void>;
  provideTokenCount(model: ModelInformation, text: string | RequestMessage, token: vscode.CancellationToken): Thenable<number>;
}

type LmWithProviders = typeof vscode.lm & { registerLanguageModelChatProvider(vendor: string, provider: ChatProvider): vscode.Disposable };

let configuration: Configuration | null = null;
const requests: RecordedRequest[] = [];

export function activate(context: vscode.ExtensionContext): void {
  const changed = new vscode.EventEmitter<void>();
  const provider: ChatProvider = {
    onDidChangeLanguageModelChatInformation: changed.event,
    provideLanguageModelChatInformation: () =>
      (configuration?.models ?? []).map((m) => ({
        id: m.id,
        name: m.name,
        family: m.family,
        version: "1",
        maxInputTokens: m.maxInputTokens,
        maxOutputTokens: 4096,
        capabilities: { toolCalling: false },
        ...(m.requiresAuthorization ? { requiresAuthorization: { label: "ATL test account" } } : {}),
      })),
    provideLanguageModelChatResponse: (model, messages, _options, progress, token) => respond(model, messages, progress, token),
    provideTokenCount: (_model, text) => Promise.resolve(countTokens(typeof text === "string" ? text : messageText(text))),
  };
  context.subscriptions.push(
    changed,
    (vscode.lm as LmWithProviders).registerLanguageModelChatProvider("atl-test", provider),
    vscode.commands.registerCommand("atlTestLm.configure", (next: Configuration | null) => {
      configuration = next;
      requests.length = 0;
      changed.fire();
    }),
    vscode.commands.registerCommand("atlTestLm.requests", () => requests.map((r) => ({ ...r, messages: [...r.messages] }))),
  );
}

/** The scripted server counts a quarter token per character; the provider counts the same way. */
function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function messageText(message: RequestMessage): string {
  return message.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : "")).join("");
}

async function respond(model: ModelInformation, messages: readonly RequestMessage[], progress: vscode.Progress<vscode.LanguageModelTextPart>, token: vscode.CancellationToken): Promise<void> {
  if (!configuration) {
    throw new Error("atl-test models are not configured");
  }
  const recorded: RecordedRequest = {
    model: model.id,
    messages: messages.map((m) => ({
      role: m.role === vscode.LanguageModelChatMessageRole.User ? "user" : m.role === vscode.LanguageModelChatMessageRole.Assistant ? "assistant" : "other",
      text: messageText(m),
    })),
    cancelled: false,
  };
  requests.push(recorded);
  const abort = new AbortController();
  const subscription = token.onCancellationRequested(() => {
    recorded.cancelled = true;
    abort.abort();
  });
  try {
    const response = await fetch(`${configuration.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: model.id, stream: true, messages: recorded.messages.map((m) => ({ role: m.role === "other" ? "system" : m.role, content: m.text })) }),
      signal: abort.signal,
    });
    if (!response.ok || !response.body) {
      throw new Error(`the scripted server answered ${response.status}: ${await response.text()}`);
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.replace(/^data: /, "");
        if (data === "[DONE]") {
          return;
        }
        const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string; tool_calls?: { function?: { arguments?: string } }[] } }[] };
        const delta = parsed.choices?.[0]?.delta;
        const text = delta?.content ?? delta?.tool_calls?.[0]?.function?.arguments ?? "";
        if (text) {
          progress.report(new vscode.LanguageModelTextPart(text));
        }
      }
    }
  } finally {
    subscription.dispose();
  }
}

export function deactivate(): void {
  configuration = null;
}
