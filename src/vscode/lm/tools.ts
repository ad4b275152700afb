// ATL's language-model tools for Copilot's agent mode (contributes.languageModelTools): the tool core
// of src/diagnosis/tools.ts behind `vscode.lm.registerTool`. atl_runCommands' prepareInvocation
// returns the confirmation the editor shows before anything runs — the host and each argv with its
// risk; invoke checks every command with the policy again, runs the read-only ones, never the
// refused ones, and a mutating one only after its own modal confirmation. invoke runs only what a
// confirmation showed: the editor calls prepareInvocation, asks the user, then invoke, with time in
// between; a host added or changed, or a policy reloaded, in that gap must not let commands run that
// nobody was asked about (see ShownConfirmations).
import * as vscode from "vscode";
import type { HostResolver } from "../../graph/deps";
import {
  confirmationText,
  getReport,
  listAlarms,
  planDiagnosis,
  planText,
  reviewFingerprint,
  reviewRun,
  runCommands,
  runText,
  staleConfirmation,
  type ListAlarmsInput,
  type PlanInput,
  type ReviewedCommand,
  type RunInput,
  type ToolCoreDeps,
} from "../../diagnosis/tools";
import { AtlError } from "../../shared/errors";
import type { DiagnosisFeatures } from "../chat/index";
import type { AtlServices } from "../services";

export const TOOL_NAMES = ["atl_listAlarms", "atl_planDiagnosis", "atl_runCommands", "atl_getReport"] as const;

/** The tool core's dependencies, built from graph.js on first use and rebuilt when the hosts change. */
class ToolDeps implements vscode.Disposable {
  private built: { deps: ToolCoreDeps; directory: HostResolver & { dispose(): void } } | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly services: AtlServices,
    private readonly diagnosis: DiagnosisFeatures,
  ) {
    this.subscription = services.onDidChangeHosts(() => this.reset());
  }

  get(): ToolCoreDeps {
    if (!this.built) {
      const graph = this.services.loadGraph();
      const policy = this.services.policy ?? graph.createCommandPolicy();
      const directory = new graph.HostDirectory(this.services.hosts.hosts, this.services.secrets, { policy, logger: this.services.logger });
      const settings = this.services.settings;
      this.built = {
        directory,
        deps: {
          kit: graph,
          incidents: this.services.incidents,
          hosts: directory,
          policy,
          history: this.diagnosis.history,
          settings: () => ({ language: settings.reportLanguage(), timeoutSeconds: settings.current.executionTimeoutSeconds }),
          caller: "Copilot",
        },
      };
    }
    return this.built.deps;
  }

  private reset(): void {
    this.built?.directory.dispose();
    this.built = undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.reset();
  }
}

/**
 * The confirmation prepareInvocation last returned for each input (host + command lines), as the
 * fingerprint of the review it showed. invoke takes it out and runs only if the review is still the
 * same; an input nothing was shown for (a failed check, nothing runnable, a direct call) runs
 * nothing. A newer confirmation of the same input replaces the older one (the editor invokes right
 * after the confirmation it showed; an older one may have been declined). Bounded: the oldest are
 * forgotten first (a forgotten one means "plan again", never a run without confirmation).
 */
class ShownConfirmations {
  private readonly shown = new Map<string, string>();

  constructor(private readonly limit = 64) {}

  private static key(input: RunInput): string {
    return JSON.stringify([input.host, input.commands]);
  }

  record(input: RunInput, fingerprint: string): void {
    const key = ShownConfirmations.key(input);
    this.shown.delete(key);
    this.shown.set(key, fingerprint);
    for (const oldest of this.shown.keys()) {
      if (this.shown.size <= this.limit) {
        break;
      }
      this.shown.delete(oldest);
    }
  }

  /** The confirmation shown for this input, removed (each confirmation allows one run). */
  take(input: RunInput): string | undefined {
    const key = ShownConfirmations.key(input);
    const fingerprint = this.shown.get(key);
    this.shown.delete(key);
    return fingerprint;
  }
}

function result(text: string): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
}

/** A failure the model can read and correct (an unknown host, a bad state), not an exception. */
function failure(error: unknown): vscode.LanguageModelToolResult {
  if (error instanceof AtlError && error.code === "cancelled") {
    throw error;
  }
  return result(`Error: ${error instanceof AtlError ? error.userMessage : error instanceof Error ? error.message : String(error)}`);
}

export interface LanguageModelTools {
  /** The tools as registered (tests read atl_runCommands' confirmation from prepareInvocation). */
  readonly tools: ReadonlyMap<string, vscode.LanguageModelTool<never>>;
  readonly disposables: vscode.Disposable[];
}

export function registerLanguageModelTools(services: AtlServices, diagnosis: DiagnosisFeatures): LanguageModelTools {
  const deps = new ToolDeps(services, diagnosis);
  const shown = new ShownConfirmations();
  const tools = new Map<string, vscode.LanguageModelTool<never>>();
  const register = <T>(name: (typeof TOOL_NAMES)[number], tool: vscode.LanguageModelTool<T>): vscode.Disposable => {
    tools.set(name, tool);
    return vscode.lm.registerTool<T>(name, tool);
  };
  const disposables = [
    deps,
    register<ListAlarmsInput>("atl_listAlarms", {
      invoke: (options) => {
        try {
          return result(listAlarms(deps.get(), options.input).text);
        } catch (error) {
          return failure(error);
        }
      },
    }),
    register<PlanInput>("atl_planDiagnosis", {
      prepareInvocation: (options) => ({ invocationMessage: vscode.l10n.t("ATL is planning a diagnosis of {0}", options.input.host ?? options.input.alarm ?? "") }),
      invoke: (options) => {
        try {
          return result(planText(planDiagnosis(deps.get(), options.input)));
        } catch (error) {
          return failure(error);
        }
      },
    }),
    register<RunInput>("atl_runCommands", {
      prepareInvocation: (options) => {
        let review: ReturnType<typeof reviewRun>;
        try {
          review = reviewRun(deps.get(), options.input);
        } catch {
          // invoke() says what is wrong; there is nothing to confirm, so nothing will run.
          return { invocationMessage: vscode.l10n.t("ATL checks the commands") };
        }
        const runnable = review.commands.filter((c) => c.decision === "allowed").length;
        if (runnable === 0) {
          return { invocationMessage: vscode.l10n.t("ATL's policy refuses every command; nothing will run") };
        }
        const { title, message } = confirmationText(review);
        shown.record(options.input, reviewFingerprint(review));
        return {
          invocationMessage: vscode.l10n.t("ATL is running {0} command(s) on {1}", runnable, review.host.name),
          confirmationMessages: { title, message: new vscode.MarkdownString(message) },
        };
      },
      invoke: async (options, token) => {
        const abort = new AbortController();
        const subscription = token.onCancellationRequested(() => abort.abort());
        try {
          const confirmed = shown.take(options.input);
          const core = deps.get();
          const review = reviewRun(core, options.input);
          if (!review.commands.some((c) => c.decision === "allowed")) {
            return result(`Nothing ran: ATL's policy refuses every command.\n${confirmationText(review).message}`);
          }
          if (confirmed === undefined) {
            throw staleConfirmation();
          }
          // runCommands compares the review it runs with the confirmed one before anything runs.
          const outcome = await runCommands(core, options.input, { confirmed, signal: abort.signal, confirmMutating: (commands) => confirmEach(review.host.name, commands) });
          return result(runText(outcome));
        } catch (error) {
          return failure(error);
        } finally {
          subscription.dispose();
        }
      },
    }),
    register<{ id: string }>("atl_getReport", {
      invoke: async (options) => {
        try {
          return result((await getReport(deps.get(), options.input.id)).text);
        } catch (error) {
          return failure(error);
        }
      },
    }),
  ];
  return { tools, disposables };
}

/** Each mutating command asks on its own (a modal the user answers; dismissed means no). */
async function confirmEach(host: string, commands: ReviewedCommand[]): Promise<string[]> {
  const confirmed: string[] = [];
  const run = vscode.l10n.t("Run it");
  for (const command of commands) {
    let choice: string | undefined;
    try {
      choice = await vscode.window.showWarningMessage(
        vscode.l10n.t("Run the mutating command {0} on {1}?", command.command, host),
        { modal: true, detail: `${command.argv.map((a) => JSON.stringify(a)).join(" | ")}\n${command.reason}` },
        run,
      );
    } catch {
      // The editor could not ask (it refuses dialogs in some modes): not confirmed, not run.
      choice = undefined;
    }
    if (choice === run) {
      confirmed.push(command.id);
    }
  }
  return confirmed;
}
