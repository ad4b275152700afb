// Translation for the code that does not import `vscode` (SQS, transports, LLM, hosts): its
// user-facing messages go through `translate`, which is English with VS Code's `{0}` placeholders
// until the extension installs `vscode.l10n.t` at activation. The translator lives on a global
// symbol, so the lazily loaded bundles (dist/sqs.js, dist/graph.js) share it with extension.js;
// the CLI and the tests never install one and stay English.
// Each file binds it as `const t: Translate = translate;` so scripts/l10n.ts finds its messages.

/** The languages ATL writes reports, plans and answers in (`atl.report.language` resolved). */
export type ReportLanguage = "en" | "ko";

export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

const KEY = Symbol.for("atl.l10n.translate");

type Holder = { [KEY]?: Translate };

/** English: `{0}`, `{1}` … replaced by the arguments (what vscode.l10n.t does without a bundle). */
export function formatMessage(message: string, args: readonly (string | number | boolean)[]): string {
  return message.replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : whole));
}

export const translate: Translate = (message, ...args) => {
  const installed = (globalThis as Holder)[KEY];
  return installed ? installed(message, ...args) : formatMessage(message, args);
};

/** Installs (or, with undefined, removes) the translator every bundle of this process uses. */
export function installTranslator(translator: Translate | undefined): void {
  if (translator) {
    (globalThis as Holder)[KEY] = translator;
  } else {
    delete (globalThis as Holder)[KEY];
  }
}
