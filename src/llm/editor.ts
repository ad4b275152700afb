// The editor's language model (VS Code's `vscode.lm`, e.g. Copilot) as the graph sees it: a port the
// extension implements (src/vscode/lm/editorModel.ts) so graph.js never imports `vscode`. The API
// has no system role: ATL's system prompt is folded into the first user message here.

export interface EditorMessage {
  role: "user" | "assistant";
  content: string;
}

/** Token counts of one request, from the model's own tokenizer (`countTokens`). */
export interface EditorUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface EditorReply {
  /** The reply as it streams. Ends when the model is done; throws an AtlError on failure. */
  text: AsyncIterable<string>;
  /** Counted once the reply has ended. */
  usage(): Promise<EditorUsage>;
}

export interface EditorModelPort {
  /**
   * Sends one request. Throws an AtlError before sending when the model is gone, not allowed
   * (no consent), or the prompt does not fit its input window.
   */
  send(messages: EditorMessage[], options: { signal?: AbortSignal }): Promise<EditorReply>;
}

export interface RoleMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * The messages without a system role: system text goes in front of the first user message (or
 * becomes one when no user message follows), in order; consecutive user messages stay separate.
 */
export function foldSystemPrompt(messages: readonly RoleMessage[]): EditorMessage[] {
  const out: EditorMessage[] = [];
  let pending: string[] = [];
  for (const message of messages) {
    if (message.role === "system") {
      pending.push(message.content);
      continue;
    }
    if (message.role === "user" && pending.length > 0) {
      out.push({ role: "user", content: [...pending, message.content].join("\n\n") });
      pending = [];
      continue;
    }
    if (pending.length > 0) {
      out.push({ role: "user", content: pending.join("\n\n") });
      pending = [];
    }
    out.push({ role: message.role, content: message.content });
  }
  if (pending.length > 0) {
    out.push({ role: "user", content: pending.join("\n\n") });
  }
  return out;
}
