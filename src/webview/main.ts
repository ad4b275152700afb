// The chat panel's browser code (bundled into media/webview.js): sends `ready`, renders the thread
// the host sends in `init`, appends entries as they stream, and sends the user's decisions back as
// requests with ids. Every untrusted string becomes a text node or sanitized Markdown.
import { assertNever } from "../shared/errors";
import { append, button, clear, h } from "./dom";
import { ProposalCard, type ProposalDraft } from "./proposal";
import {
  LIMITS,
  type FromWebviewMessage,
  type HostChoice,
  type NodeName,
  type PolicyCheck,
  type ReportAction,
  type ThreadSnapshot,
  type ThreadStatus,
  type ToWebviewMessage,
  type TranscriptEntry,
  type WebviewStrings,
} from "./protocol";
import {
  fillRun,
  renderAlarms,
  renderAnalysis,
  renderAnswer,
  renderDecision,
  renderError,
  renderHeader,
  renderHostNeeded,
  renderHostPicked,
  renderNodeStep,
  renderProgress,
  renderReport,
  renderRunStarted,
  renderUsage,
  renderUser,
  statusLabel,
  type RenderContext,
} from "./render";
import { RequestClient, RequestFailed, type RequestBody } from "./requests";

interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** Kept by VS Code across reloads of the webview; the serializer reads threadId. */
interface SavedState {
  threadId: string | null;
  drafts: Record<string, ProposalDraft>;
  followUp: string;
}

const vscode = acquireVsCodeApi();

function loadState(): SavedState {
  const raw = vscode.getState();
  if (typeof raw === "object" && raw !== null) {
    const state = raw as Partial<SavedState>;
    return {
      threadId: typeof state.threadId === "string" ? state.threadId : null,
      drafts: typeof state.drafts === "object" && state.drafts !== null ? state.drafts : {},
      followUp: typeof state.followUp === "string" ? state.followUp : "",
    };
  }
  return { threadId: null, drafts: {}, followUp: "" };
}

class App {
  private s!: WebviewStrings;
  private locale = "en";
  private hosts: HostChoice[] = [];
  private busy = false;
  /** The round of the proposal that waits for a decision (a message then replaces it only if confirmed). */
  private waitingRound: number | null = null;
  private state = loadState();
  private readonly requests = new RequestClient({
    post: (message) => vscode.postMessage(message),
    timeoutMessage: () => this.s?.requestTimedOut ?? "The editor did not answer in time. Try again.",
  });
  private readonly proposals = new Map<number, ProposalCard>();
  private readonly runRows = new Map<string, HTMLElement>();
  private readonly steps = new Map<NodeName, HTMLElement>();
  /** The one "report is ready" card: each new report replaces it (at the end of the transcript). */
  private reportCard: HTMLElement | null = null;
  /** Shown while the thread works and has nothing to show yet (the first diagnosis loads the engine). */
  private starting: HTMLElement | null = null;
  /** A decision was just made: the approval step re-runs on resume and need not show twice. */
  private resumed = false;

  private readonly root: HTMLElement;
  private header!: HTMLElement;
  private statusBar!: HTMLElement;
  private transcript!: HTMLElement;
  private streaming!: HTMLElement;
  private composer!: HTMLTextAreaElement;
  private sendButton!: HTMLButtonElement;
  private stopButton!: HTMLButtonElement;
  private composerError!: HTMLElement;
  private confirmReplace!: HTMLElement;

  constructor(root: HTMLElement) {
    this.root = root;
    window.addEventListener("message", (event: MessageEvent<unknown>) => this.onMessage(event.data));
    window.addEventListener("pagehide", () => this.requests.dispose());
    vscode.postMessage({ type: "ready" });
  }

  private onMessage(data: unknown): void {
    if (typeof data !== "object" || data === null || typeof (data as { type?: unknown }).type !== "string") {
      return;
    }
    const message = data as ToWebviewMessage;
    switch (message.type) {
      case "init":
        this.init(message.strings, message.locale, message.thread, message.hosts);
        return;
      case "entry":
        if (this.s) {
          this.follow(() => this.addEntry(message.entry));
        }
        return;
      case "token":
        if (this.s) {
          this.follow(() => {
            this.streaming.hidden = false;
            this.streaming.textContent += message.text;
          });
        }
        return;
      case "status":
        if (this.s) {
          this.setStatus(message.status, message.busy, message.pendingRound);
        }
        return;
      case "reply":
        this.requests.settle(message);
        return;
      default:
        assertNever(message, "message from the host");
    }
  }

  private init(strings: WebviewStrings, locale: string, thread: ThreadSnapshot, hosts: HostChoice[]): void {
    this.s = strings;
    this.locale = locale;
    this.hosts = hosts;
    if (this.state.threadId !== thread.header.threadId) {
      this.state = { threadId: thread.header.threadId, drafts: {}, followUp: "" };
      vscode.setState(this.state);
    }
    this.proposals.clear();
    this.runRows.clear();
    this.steps.clear();
    this.reportCard = null;
    this.starting = null;
    clear(this.root);
    this.buildLayout(thread);
    for (const entry of thread.entries) {
      this.addEntry(entry);
    }
    this.setStatus(thread.status, thread.busy, thread.pendingRound);
    this.root.setAttribute("aria-busy", "false");
    this.transcript.lastElementChild?.scrollIntoView({ block: "end" });
  }

  private buildLayout(thread: ThreadSnapshot): void {
    const s = this.s;
    this.header = h("header", { class: "thread-header" }, renderHeader(this.context(), thread.header));
    this.statusBar = h("div", { class: "status-bar", attrs: { role: "status", "aria-live": "polite" } });
    this.transcript = h("div", { class: "transcript", attrs: { role: "log", "aria-live": "polite", "aria-relevant": "additions" } });
    this.streaming = h("div", { class: "entry streaming pre-wrap", attrs: { "aria-live": "off" } });
    this.streaming.hidden = true;

    this.composer = h("textarea", {
      class: "composer-input",
      attrs: { id: "follow-up", rows: "2", placeholder: s.followUpPlaceholder, maxlength: String(LIMITS.textLength) },
    });
    this.composer.value = this.state.followUp;
    this.composer.addEventListener("input", () => {
      this.state.followUp = this.composer.value;
      vscode.setState(this.state);
    });
    this.composer.addEventListener("keydown", (event) => {
      // isComposing: Enter also confirms an IME composition (Korean, Japanese…).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.sendFollowUp();
      }
    });
    this.sendButton = button(s.send, () => void this.sendFollowUp(), { class: "primary", attrs: { "data-action": "send" } });
    this.stopButton = button(s.stop, () => void this.requestShowingError({ type: "cancel" }), { class: "secondary", attrs: { "data-action": "stop" } });
    this.composerError = h("div", { class: "form-error", attrs: { role: "alert" } });
    // Sending while a proposal waits would replace it: ask first (the proposal is never dropped silently).
    this.confirmReplace = h(
      "div",
      { class: "confirm-replace note warning", attrs: { role: "alertdialog", "aria-label": s.replaceProposalQuestion } },
      h("div", {}, s.replaceProposalQuestion),
      h(
        "div",
        { class: "actions" },
        button(s.replaceProposal, () => void this.sendFollowUp(true), { class: "danger", attrs: { "data-action": "replace-proposal" } }),
        button(s.keepProposal, () => this.keepProposal(), { class: "secondary", attrs: { "data-action": "keep-proposal" } }),
      ),
    );
    this.confirmReplace.hidden = true;
    const composer = h(
      "div",
      { class: "composer" },
      h("label", { attrs: { for: "follow-up" } }, s.followUpLabel),
      this.composer,
      this.confirmReplace,
      h("div", { class: "actions" }, this.sendButton, this.stopButton),
      this.composerError,
    );
    this.root.append(this.header, this.statusBar, this.transcript, this.streaming, composer);
    // The composer sticks to the bottom: focus and scrolling keep what they reveal above it, and a
    // waiting proposal's buttons stick just above it (chat.css reads --atl-composer-height).
    new ResizeObserver(() => {
      document.documentElement.style.setProperty("--atl-composer-height", `${composer.offsetHeight}px`);
    }).observe(composer);
  }

  private context(): RenderContext {
    return {
      s: this.s,
      locale: this.locale,
      hosts: this.hosts,
      report: (action: ReportAction) => void this.requestShowingError({ type: "report", action }),
      pickHost: (hostId: string) => void this.requestShowingError({ type: "pick-host", hostId }),
      diagnoseIncident: (incidentId: string) => void this.requestShowingError({ type: "diagnose-incident", incidentId }),
    };
  }

  private addEntry(entry: TranscriptEntry): void {
    const s = this.s;
    this.starting?.remove();
    this.starting = null;
    switch (entry.kind) {
      case "user":
        this.transcript.append(renderUser(s, entry.text));
        return;
      case "decision":
        this.resumed = true;
        this.proposals.get(entry.round)?.markDecided();
        this.transcript.append(renderDecision(s, this.locale, entry.decision));
        return;
      case "host-picked":
        this.transcript.append(renderHostPicked(s, entry.host));
        return;
      case "event":
        break;
      default:
        assertNever(entry, "transcript entry");
    }
    const event = entry.event;
    switch (event.type) {
      case "node": {
        if (event.phase === "started") {
          if (event.node === "approval" && this.resumed) {
            this.resumed = false;
            return;
          }
          this.resumed = false;
          const step = renderNodeStep(s, event.node);
          this.steps.get(event.node)?.classList.replace("running", "done");
          this.steps.set(event.node, step);
          this.transcript.append(step);
        } else {
          this.steps.get(event.node)?.classList.replace("running", "done");
          this.endStreaming();
        }
        return;
      }
      case "progress":
        this.transcript.append(renderProgress(event.message));
        return;
      case "proposal": {
        const card = new ProposalCard(
          {
            s,
            checkCommand: (command) => this.checkCommand(command),
            approve: (round, commandIds, edits, add) => this.requestError({ type: "approve", round, commandIds, edits, add }),
            reject: (round, reason, replan) => this.requestError({ type: "reject", round, reason, replan }),
            saveDraft: (round, draft) => this.saveDraft(round, draft),
            allowAlways: (round, commandId) => this.requestError({ type: "allow-always", round, commandId }),
          },
          event.proposal,
          this.state.drafts[String(event.proposal.round)],
        );
        if (event.proposal.autoApproved) {
          card.markDecided();
        }
        this.proposals.set(event.proposal.round, card);
        this.transcript.append(card.element);
        return;
      }
      case "command-started": {
        const row = renderRunStarted(s, event.id, event.command);
        this.runRows.set(event.id, row);
        this.transcript.append(row);
        return;
      }
      case "command-finished": {
        let row = this.runRows.get(event.run.id);
        this.runRows.delete(event.run.id);
        if (!row) {
          row = h("section", {});
          this.transcript.append(row);
        }
        fillRun(s, row, event.run);
        return;
      }
      case "token":
        return;
      case "analysis":
        this.endStreaming();
        this.transcript.append(renderAnalysis(s, event.analysis));
        return;
      case "answer":
        this.endStreaming();
        this.transcript.append(renderAnswer(s, event.text));
        return;
      case "alarms":
        this.transcript.append(renderAlarms(this.context(), event));
        return;
      case "host-needed":
        this.transcript.append(renderHostNeeded(this.context(), event));
        return;
      case "usage":
        this.transcript.append(renderUsage(s, event.usage, this.locale));
        return;
      case "report":
        this.reportCard?.remove();
        this.reportCard = renderReport(this.context());
        this.transcript.append(this.reportCard);
        return;
      case "error":
        this.endStreaming();
        this.transcript.append(renderError(s, event.message));
        return;
      case "status":
        return;
      default:
        assertNever(event, "diagnosis event");
    }
  }

  private setStatus(status: ThreadStatus, busy: boolean, pendingRound: number | null): void {
    const s = this.s;
    this.busy = busy;
    this.waitingRound = !busy && status === "waiting-approval" ? pendingRound : null;
    if (this.waitingRound === null) {
      this.confirmReplace.hidden = true;
    }
    clear(this.statusBar);
    this.statusBar.className = `status-bar status-${status}${busy ? " busy" : ""}`;
    append(
      this.statusBar,
      h("span", { class: `chip thread-status status-${status}`, attrs: { "data-status": status } }, statusLabel(s, status)),
      busy ? h("span", { class: "spinner", attrs: { "aria-hidden": "true" } }) : null,
      busy ? h("span", { class: "muted" }, s.working) : null,
    );
    this.root.classList.toggle("busy", busy);
    if (busy && this.transcript.childElementCount === 0 && !this.starting) {
      this.starting = h("div", { class: "entry starting", attrs: { role: "status" } }, h("span", { class: "spinner", attrs: { "aria-hidden": "true" } }), h("span", {}, s.starting));
      this.transcript.append(this.starting);
    } else if (!busy) {
      this.starting?.remove();
      this.starting = null;
    }
    if (!busy) {
      this.endStreaming();
      for (const step of this.steps.values()) {
        step.classList.replace("running", status === "failed" ? "stopped" : "done");
      }
    }
    for (const [round, card] of this.proposals) {
      const wasInteractive = card.element.classList.contains("interactive");
      const interactive = !busy && status === "waiting-approval" && round === pendingRound;
      card.setInteractive(interactive);
      if (interactive && !wasInteractive && (document.activeElement === document.body || document.activeElement === null)) {
        card.focusFirst();
      }
    }
    this.composer.disabled = busy;
    this.sendButton.disabled = busy;
    this.stopButton.hidden = !busy;
    for (const action of this.transcript.querySelectorAll<HTMLButtonElement>(".host-needed button, .alarms button")) {
      action.disabled = busy;
    }
  }

  private endStreaming(): void {
    this.streaming.textContent = "";
    this.streaming.hidden = true;
  }

  /** Sends the message; while a proposal waits, only once the user confirmed that it replaces it. */
  private async sendFollowUp(rejectPending = false): Promise<void> {
    const text = this.composer.value.trim();
    if (text.length === 0 || this.busy) {
      return;
    }
    this.composerError.textContent = "";
    if (this.waitingRound !== null && !rejectPending) {
      this.confirmReplace.hidden = false;
      this.confirmReplace.querySelector<HTMLButtonElement>('[data-action="keep-proposal"]')?.focus();
      return;
    }
    this.confirmReplace.hidden = true;
    const error = await this.requestError({ type: "follow-up", text, rejectPending: this.waitingRound !== null });
    if (error === null) {
      this.composer.value = "";
      this.state.followUp = "";
      vscode.setState(this.state);
    } else {
      this.composerError.textContent = error;
    }
  }

  /** The message stays in the box; the proposal keeps waiting and takes the focus. */
  private keepProposal(): void {
    this.confirmReplace.hidden = true;
    if (this.waitingRound !== null) {
      this.proposals.get(this.waitingRound)?.focusFirst();
    }
  }

  /** Sends a request; resolves with null once the host accepted it, or with the message to show. */
  private async requestError(body: RequestBody): Promise<string | null> {
    try {
      await this.requests.request(body);
      return null;
    } catch (error) {
      return error instanceof RequestFailed ? error.message : String(error);
    }
  }

  /** A request whose failure is shown under the composer (buttons outside a form of their own). */
  private async requestShowingError(body: RequestBody): Promise<void> {
    this.composerError.textContent = (await this.requestError(body)) ?? "";
  }

  /** The policy's verdict on an edited command; no answer (refused, timed out) fails closed. */
  private async checkCommand(command: string): Promise<PolicyCheck> {
    try {
      return await this.requests.request<"check-command">({ type: "check-command", command });
    } catch (error) {
      return { command, decision: "refused", risk: "read-only", reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private saveDraft(round: number, draft: ProposalDraft | null): void {
    if (draft) {
      this.state.drafts[String(round)] = draft;
    } else {
      delete this.state.drafts[String(round)];
    }
    vscode.setState(this.state);
  }

  /** Keeps the view pinned to the bottom while new entries arrive, unless the user scrolled up. */
  private follow(change: () => void): void {
    const scroller = document.scrollingElement ?? document.documentElement;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    change();
    if (atBottom) {
      scroller.scrollTop = scroller.scrollHeight;
    }
  }
}

const root = document.getElementById("app");
if (root) {
  new App(root);
}
