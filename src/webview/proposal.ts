// The approval card: proposed commands with purpose, expected signal and a risk badge, checkboxes
// (refused ones disabled, mutating ones unchecked by default), inline edits re-checked by the
// policy on the host as you type, added commands, Run selected / Run all read-only / Reject….
import { button, h } from "./dom";
import { format, LIMITS, type PolicyCheck, type Proposal, type ProposedCommand, type WebviewStrings } from "./protocol";

export interface ProposalDraft {
  checked: string[];
  edits: Record<string, string>;
  added: string[];
}

export interface ProposalActions {
  s: WebviewStrings;
  checkCommand(command: string): Promise<PolicyCheck>;
  approve(round: number, commandIds: string[], edits: { id: string; command: string }[], add: string[]): Promise<string | null>;
  reject(round: number, reason: string, replan: boolean): Promise<string | null>;
  saveDraft(round: number, draft: ProposalDraft | null): void;
  /** Asks the editor to create an approval rule for a proposed read-only command (its pickers decide). */
  allowAlways(round: number, commandId: string): Promise<string | null>;
}

interface Verdict {
  decision: "allowed" | "refused";
  risk: "read-only" | "mutating";
  reason: string;
}

interface Row {
  id: string;
  /** null for a command the user added. */
  original: ProposedCommand | null;
  verdict: Verdict;
  element: HTMLLIElement;
  checkbox: HTMLInputElement;
  input: HTMLInputElement;
  badge: HTMLElement;
  reason: HTMLElement;
  /** The policy check in flight for the current text, if any. */
  checking: Promise<void> | null;
  sequence: number;
}

let rowCounter = 0;

export class ProposalCard {
  readonly element: HTMLElement;
  private readonly rows: Row[] = [];
  private readonly list: HTMLUListElement;
  private readonly actionsBar: HTMLElement;
  private readonly addRow: HTMLElement;
  private readonly rejectForm: HTMLElement;
  private readonly rejectReason: HTMLTextAreaElement;
  private readonly formError: HTMLElement;
  private interactive = false;
  private sending = false;
  private decided = false;

  constructor(
    private readonly actions: ProposalActions,
    readonly proposal: Proposal,
    draft: ProposalDraft | undefined,
  ) {
    const { s } = actions;
    this.list = h("ul", { class: "commands", attrs: { "aria-label": format(s.proposalTitle, proposal.round) } });

    const addInput = h("input", {
      class: "add-input mono",
      attrs: { type: "text", placeholder: s.addCommandPlaceholder, "aria-label": s.addCommand, maxlength: String(LIMITS.commandLength), spellcheck: "false" },
    });
    const addCommand = (): void => {
      const text = addInput.value.trim();
      if (text.length === 0) {
        return;
      }
      addInput.value = "";
      this.addCommandRow(null, text, undefined);
      this.persist();
    };
    addInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        addCommand();
      }
    });
    this.addRow = h("div", { class: "add-row" }, addInput, button(s.addCommand, addCommand, { class: "secondary" }));

    this.rejectReason = h("textarea", {
      class: "reject-reason",
      attrs: { rows: "2", placeholder: s.rejectReasonPlaceholder, "aria-label": s.rejectReasonLabel, maxlength: String(LIMITS.reasonLength) },
    });
    this.rejectReason.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.showReject(false);
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.sendReject(true);
      }
    });
    this.rejectForm = h(
      "div",
      { class: "reject-form", attrs: { hidden: "" } },
      h("label", {}, s.rejectReasonLabel),
      this.rejectReason,
      h(
        "div",
        { class: "actions" },
        button(s.confirmReject, () => void this.sendReject(true), { class: "danger", attrs: { "data-action": "confirm-reject" } }),
        button(s.rejectAndStop, () => void this.sendReject(false), { class: "secondary", attrs: { "data-action": "reject-stop" } }),
        button(s.cancel, () => this.showReject(false), { class: "secondary" }),
      ),
    );
    this.formError = h("div", { class: "form-error", attrs: { role: "alert" } });
    this.actionsBar = h(
      "div",
      { class: "actions" },
      button(s.runSelected, () => void this.sendApprove("selected"), { class: "primary", attrs: { "data-action": "run-selected" } }),
      button(s.runAllReadOnly, () => void this.sendApprove("read-only"), { class: "secondary", attrs: { "data-action": "run-read-only" } }),
      button(s.reject, () => this.showReject(true), { class: "secondary", attrs: { "data-action": "reject" } }),
    );

    this.element = h(
      "section",
      { class: "entry card proposal", attrs: { "data-round": String(proposal.round), "aria-label": format(s.proposalTitle, proposal.round) } },
      h("h2", {}, format(s.proposalTitle, proposal.round), " ", h("span", { class: "muted source" }, proposal.source === "llm" ? s.proposalFromLlm : s.proposalFromRunbook)),
      proposal.rationale ? h("p", { class: "rationale pre-wrap" }, proposal.rationale) : null,
      proposal.autoApproved ? h("div", { class: "note" }, s.proposalAutoApproved) : null,
      this.list,
      this.addRow,
      this.actionsBar,
      this.rejectForm,
      this.formError,
    );
    for (const command of proposal.commands) {
      this.addCommandRow(command, draft?.edits[command.id] ?? command.command, draft ? draft.checked.includes(command.id) : undefined);
    }
    for (const text of draft?.added ?? []) {
      this.addCommandRow(null, text, undefined);
    }
    this.setInteractive(false);
  }

  /** Controls are live only while this proposal waits for a decision and nothing else runs. */
  setInteractive(interactive: boolean): void {
    this.interactive = interactive && !this.decided;
    const enabled = this.interactive && !this.sending;
    this.element.classList.toggle("interactive", this.interactive);
    this.addRow.hidden = !this.interactive;
    this.actionsBar.hidden = !this.interactive;
    if (!this.interactive) {
      this.rejectForm.hidden = true;
    }
    for (const button of this.element.querySelectorAll<HTMLButtonElement>(".actions button, .add-row button")) {
      button.disabled = !enabled;
    }
    for (const row of this.rows) {
      row.input.readOnly = !enabled;
      row.checkbox.disabled = !enabled || row.verdict.decision === "refused";
      const remove = row.element.querySelector<HTMLButtonElement>("button.remove");
      if (remove) {
        remove.hidden = !enabled;
      }
    }
  }

  /** The decision was made (here or in another panel): the card becomes a record. */
  markDecided(): void {
    this.decided = true;
    this.setInteractive(false);
  }

  focusFirst(): void {
    const first = this.rows.find((row) => !row.checkbox.disabled);
    first?.checkbox.focus();
  }

  private addCommandRow(original: ProposedCommand | null, text: string, checked: boolean | undefined): void {
    const { s } = this.actions;
    const id = original?.id ?? `added-${++rowCounter}`;
    const verdict: Verdict = original
      ? { decision: original.decision, risk: original.risk, reason: original.reason }
      : { decision: "refused", risk: "read-only", reason: s.checking };
    const checkbox = h("input", { class: "select", attrs: { type: "checkbox", "aria-label": format(s.selectCommand, text) } });
    const input = h("input", {
      class: "command-text mono",
      attrs: { type: "text", value: text, "aria-label": format(s.editCommand, text), maxlength: String(LIMITS.commandLength), spellcheck: "false", autocomplete: "off" },
    });
    input.value = text;
    const badge = h("span", { class: "badge risk" });
    const reason = h("div", { class: "policy-reason" });
    const element = h(
      "li",
      { class: "command", attrs: { "data-command-id": id } },
      checkbox,
      h(
        "div",
        { class: "command-body" },
        h("div", { class: "command-line" }, input, badge),
        original?.purpose ? h("div", { class: "purpose" }, h("span", { class: "label" }, `${s.purpose}: `), original.purpose) : null,
        original?.expectedSignal ? h("div", { class: "signal" }, h("span", { class: "label" }, `${s.expectedSignal}: `), original.expectedSignal) : null,
        reason,
      ),
    );
    if (original && original.decision === "allowed" && original.risk === "read-only") {
      // A standing rule for this command; also after the decision (the next alarm runs it unasked).
      element.append(
        button(s.alwaysAllow, () => void this.actions.allowAlways(this.proposal.round, original.id).then((error) => {
          this.formError.textContent = error ?? "";
        }), {
          class: "secondary allow-always",
          attrs: { "data-action": "allow-always", "aria-label": `${s.alwaysAllow}: ${original.command}` },
        }),
      );
    }
    const row: Row = { id, original, verdict, element, checkbox, input, badge, reason, checking: null, sequence: 0 };
    if (!original) {
      element.classList.add("added");
      element.append(
        button(s.removeCommand, () => {
          this.rows.splice(this.rows.indexOf(row), 1);
          element.remove();
          this.persist();
        }, { class: "secondary remove", attrs: { "aria-label": `${s.removeCommand}: ${text}` } }),
      );
    }
    this.rows.push(row);
    this.list.append(element);
    this.showVerdict(row, verdict);
    checkbox.checked = checked ?? (verdict.decision === "allowed" && verdict.risk === "read-only");
    checkbox.addEventListener("change", () => this.persist());

    let timer: ReturnType<typeof setTimeout> | undefined;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      row.badge.textContent = s.checking;
      row.badge.className = "badge risk checking";
      row.checking = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          void this.recheck(row).finally(resolve);
        }, 200);
      });
      this.persist();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && original) {
        input.value = original.command;
        input.dispatchEvent(new Event("input"));
      }
    });
    if (!original || text !== original.command) {
      row.checking = this.recheck(row);
    }
    this.setInteractive(this.interactive);
  }

  /** Asks the host's policy about the row's current text; the original text keeps its label. */
  private async recheck(row: Row): Promise<void> {
    const text = row.input.value.trim();
    const sequence = ++row.sequence;
    let verdict: Verdict;
    if (row.original && text === row.original.command) {
      verdict = { decision: row.original.decision, risk: row.original.risk, reason: row.original.reason };
    } else if (text.length === 0) {
      verdict = { decision: "refused", risk: "read-only", reason: "" };
    } else {
      const result = await this.actions.checkCommand(text);
      verdict = { decision: result.decision, risk: result.risk, reason: result.reason };
    }
    if (sequence !== row.sequence) {
      return;
    }
    const wasRefused = row.verdict.decision === "refused";
    row.verdict = verdict;
    row.checking = null;
    this.showVerdict(row, verdict);
    if (verdict.decision === "refused") {
      row.checkbox.checked = false;
    } else if (wasRefused) {
      row.checkbox.checked = verdict.risk === "read-only";
    }
    row.checkbox.setAttribute("aria-label", format(this.actions.s.selectCommand, text));
    this.setInteractive(this.interactive);
    this.persist();
  }

  private showVerdict(row: Row, verdict: Verdict): void {
    const { s } = this.actions;
    const kind = verdict.decision === "refused" ? "refused" : verdict.risk;
    row.badge.className = `badge risk risk-${kind}`;
    row.badge.textContent = kind === "refused" ? s.riskRefused : kind === "mutating" ? s.riskMutating : s.riskReadOnly;
    row.badge.title = verdict.reason;
    row.element.classList.remove("risk-read-only", "risk-mutating", "risk-refused");
    row.element.classList.add(`risk-${kind}`);
    // The reason matters when the command is refused or mutating; read-only is self-explanatory.
    row.reason.textContent = kind === "read-only" ? "" : verdict.reason;
  }

  private showReject(show: boolean): void {
    this.rejectForm.hidden = !show;
    if (show) {
      this.rejectReason.focus();
    } else {
      this.element.querySelector<HTMLButtonElement>('[data-action="reject"]')?.focus();
    }
  }

  private async sendApprove(mode: "selected" | "read-only"): Promise<void> {
    if (!this.interactive || this.sending) {
      return;
    }
    this.setSending(true);
    try {
      await Promise.all(this.rows.flatMap((row) => (row.checking ? [row.checking] : [])));
      const chosen = this.rows.filter((row) =>
        row.verdict.decision === "allowed" && (mode === "selected" ? row.checkbox.checked : row.verdict.risk === "read-only"),
      );
      const commandIds: string[] = [];
      const edits: { id: string; command: string }[] = [];
      const add: string[] = [];
      for (const row of chosen) {
        const text = row.input.value.trim();
        if (!row.original) {
          add.push(text);
          continue;
        }
        commandIds.push(row.id);
        if (text !== row.original.command) {
          edits.push({ id: row.id, command: text });
        }
      }
      if (commandIds.length === 0 && add.length === 0) {
        this.formError.textContent = this.actions.s.nothingSelected;
        return;
      }
      this.formError.textContent = "";
      const error = await this.actions.approve(this.proposal.round, commandIds, edits, add);
      if (error) {
        this.formError.textContent = error;
        return;
      }
      this.actions.saveDraft(this.proposal.round, null);
      this.markDecided();
    } finally {
      this.setSending(false);
    }
  }

  private async sendReject(replan: boolean): Promise<void> {
    const reason = this.rejectReason.value.trim();
    if (!this.interactive || this.sending) {
      return;
    }
    if (reason.length === 0) {
      this.rejectReason.focus();
      this.formError.textContent = this.actions.s.rejectReasonLabel;
      return;
    }
    this.setSending(true);
    try {
      const error = await this.actions.reject(this.proposal.round, reason, replan);
      if (error) {
        this.formError.textContent = error;
        return;
      }
      this.formError.textContent = "";
      this.actions.saveDraft(this.proposal.round, null);
      this.markDecided();
    } finally {
      this.setSending(false);
    }
  }

  private setSending(sending: boolean): void {
    this.sending = sending;
    this.setInteractive(this.interactive);
  }

  private persist(): void {
    if (this.decided) {
      return;
    }
    const edits: Record<string, string> = {};
    for (const row of this.rows) {
      if (row.original && row.input.value !== row.original.command) {
        edits[row.id] = row.input.value;
      }
    }
    this.actions.saveDraft(this.proposal.round, {
      checked: this.rows.filter((row) => row.original && row.checkbox.checked).map((row) => row.id),
      edits,
      added: this.rows.filter((row) => !row.original).map((row) => row.input.value),
    });
  }
}
