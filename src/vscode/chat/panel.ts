// The host side of one chat panel: the webview's HTML and CSP, the `ready` handshake, and every
// message from the webview validated before it reaches the thread. One panel per thread.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { AtlError, assertNever, toAtlError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import {
  parseWebviewMessage,
  type FromWebviewMessage,
  type HostChoice,
  type PolicyCheck,
  type Reply,
  type ReportAction,
  type RequestMessage,
  type RequestResults,
  type RequestType,
  type ToWebviewMessage,
} from "../../webview/protocol";
import type { DiagnosisThread } from "../../diagnosis/thread";
import { panelHtml } from "../../webview/html";
import { webviewStrings } from "./strings";

export const CHAT_VIEW_TYPE = "atl.chat";

/** What a panel asks of the rest of the extension. */
export interface PanelActions {
  checkCommand(command: string): PolicyCheck;
  hosts(): HostChoice[];
  pickHost(thread: DiagnosisThread, hostId: string): Promise<unknown>;
  report(threadId: string, action: ReportAction): Promise<void>;
  diagnoseIncident(incidentId: string): Promise<void>;
  /** "Always allow…": the approval-rule pickers, suggesting this command on this host. */
  allowAlways(command: string, hostId: string): Promise<void>;
  logger: Logger;
}

/** State the webview keeps across reloads (vscode.setState); the serializer reads `threadId`. */
export interface PanelState {
  threadId: string;
}

export class ChatPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly postedEmitter = new vscode.EventEmitter<ToWebviewMessage>();
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  private isReady = false;
  private disposed = false;
  /** The webview has received its thread at least once; `whenShown` waits for it. */
  private shown = false;
  private readonly shownWaiters = new Set<() => void>();
  /** Runs started from this panel's messages (tests wait on them). */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Every message posted to the webview (tests observe the protocol through it). */
  readonly onDidPost = this.postedEmitter.event;
  /** The webview sent `ready` (again after each reload of its content). */
  readonly onDidBecomeReady = this.readyEmitter.event;
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly thread: DiagnosisThread,
    private readonly extensionUri: vscode.Uri,
    private readonly actions: PanelActions,
  ) {
    this.disposables.push(this.postedEmitter, this.disposeEmitter, this.readyEmitter);
    const media = vscode.Uri.joinPath(extensionUri, "media");
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    panel.iconPath = vscode.Uri.joinPath(media, "atl.svg");
    this.updateTitle();
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        void this.handleMessage(raw);
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    const detach = thread.attach((message) => void this.post(message));
    this.disposables.push(
      { dispose: detach },
      thread.onDidChangeStatus(() => this.updateContext()),
      panel.onDidChangeViewState(() => this.updateContext()),
    );
    this.updateContext();
  }

  get threadId(): string {
    return this.thread.id;
  }

  /** Whether the webview has sent `ready` since its content was last loaded. */
  get ready(): boolean {
    return this.isReady;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /**
   * Resolves once the webview has its thread (`init` delivered), or after `timeoutMs`. A new
   * thread starts after this: loading the diagnosis engine on the first run blocks the extension
   * host for seconds, and the panel should say what is happening meanwhile, not stay blank.
   */
  whenShown(timeoutMs: number): Promise<void> {
    if (this.shown || this.disposed) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.shownWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.shownWaiters.add(done);
    });
  }

  /**
   * Handles one message as if the webview sent it: validated, then acted on. Resolves with the
   * reply sent to the webview; a run the message started continues (see `settled`).
   */
  async handleMessage(raw: unknown): Promise<Reply> {
    let message: FromWebviewMessage;
    try {
      message = parseWebviewMessage(raw);
    } catch (error) {
      const atlError = toAtlError(error, "webview-message");
      this.actions.logger.warn(atlError.message);
      const requestId = requestIdOf(raw);
      const reply: Reply = { ok: false, error: atlError.message };
      if (requestId !== null) {
        void this.post({ type: "reply", requestId, ...reply });
      }
      return reply;
    }
    if (message.type === "ready") {
      this.isReady = true;
      const delivered = this.post({
        type: "init",
        strings: webviewStrings(),
        locale: vscode.env.language,
        thread: this.thread.snapshot(),
        hosts: this.actions.hosts(),
      });
      void delivered.then(() => this.markShown(), () => this.markShown());
      this.readyEmitter.fire();
      return { ok: true, result: null };
    }
    let reply: Reply;
    try {
      reply = { ok: true, result: await this.act(message) };
    } catch (error) {
      const atlError = toAtlError(error);
      if (atlError.code !== "webview-message" && atlError.code !== "policy-refused") {
        this.actions.logger.error(atlError);
      }
      reply = { ok: false, error: atlError.userMessage };
    }
    void this.post({ type: "reply", requestId: message.requestId, ...reply });
    return reply;
  }

  /** Resolves when every run started from this panel's messages has stopped. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.markShown();
    this.disposeEmitter.fire();
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) {
      disposable.dispose();
    }
  }

  /** Acts on a request; resolves with its result (the reply's), throws to refuse it. */
  private async act(message: RequestMessage): Promise<RequestResults[RequestType]> {
    switch (message.type) {
      case "check-command":
        return this.actions.checkCommand(message.command);
      case "approve":
        this.track(
          this.thread.approve(message.round, {
            kind: "approve",
            commandIds: message.commandIds,
            edits: message.edits,
            add: message.add,
          }),
        );
        return null;
      case "reject":
        this.track(this.thread.reject(message.round, message.reason.trim(), message.replan));
        return null;
      case "follow-up":
        this.track(this.thread.followUp(message.text.trim(), { rejectPending: message.rejectPending }));
        return null;
      case "pick-host":
        this.track(this.actions.pickHost(this.thread, message.hostId));
        return null;
      case "cancel":
        this.thread.cancel();
        return null;
      case "report":
        await this.actions.report(this.thread.id, message.action);
        return null;
      case "diagnose-incident":
        await this.actions.diagnoseIncident(message.incidentId);
        return null;
      case "allow-always": {
        // The command comes from the thread's own proposal, never from the webview's text.
        const proposal = this.thread
          .snapshot()
          .entries.flatMap((e) => (e.kind === "event" && e.event.type === "proposal" && e.event.proposal.round === message.round ? [e.event.proposal] : []))
          .at(-1);
        const command = proposal?.commands.find((c) => c.id === message.commandId);
        if (!proposal || !command || command.decision !== "allowed" || command.risk !== "read-only") {
          throw new AtlError("webview-message", vscode.l10n.t("Only a read-only command the policy allows can be allowed without asking."));
        }
        await this.actions.allowAlways(command.command, proposal.host.id);
        return null;
      }
      default:
        return assertNever(message, "request");
    }
  }

  private track(run: Promise<unknown>): void {
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      this.updateTitle();
    });
    this.updateTitle();
  }

  private markShown(): void {
    this.shown = true;
    for (const done of [...this.shownWaiters]) {
      done();
    }
  }

  /** Resolves when the webview got the message (at once when it is not listening yet). */
  private async post(message: ToWebviewMessage): Promise<void> {
    if (this.disposed) {
      return;
    }
    if (message.type === "status") {
      this.updateTitle();
    }
    this.postedEmitter.fire(message);
    // Before `ready` the webview cannot listen; it gets everything in `init`.
    if (this.isReady || message.type === "init") {
      await this.panel.webview.postMessage(message);
    }
  }

  /** `atl.chat.activeHasReport` drives the report buttons in the panel's title bar. */
  private updateContext(): void {
    if (!this.disposed && this.panel.active) {
      void vscode.commands.executeCommand("setContext", "atl.chat.activeHasReport", this.thread.latestReport() !== null);
    }
  }

  private updateTitle(): void {
    if (this.disposed) {
      return;
    }
    const header = this.thread.header;
    const title = header.alarm?.name ?? header.host?.name ?? vscode.l10n.t("Diagnosis");
    this.panel.title = title.length > 40 ? `${title.slice(0, 39)}…` : title;
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: randomUUID().replace(/-/g, ""),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "webview.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css")).toString(),
      lang: vscode.env.language,
      loading: vscode.l10n.t("Opening the diagnosis…"),
    });
  }
}

function requestIdOf(raw: unknown): string | null {
  if (typeof raw === "object" && raw !== null) {
    const id = (raw as { requestId?: unknown }).requestId;
    if (typeof id === "string" && id.length > 0 && id.length <= 200) {
      return id;
    }
  }
  return null;
}
