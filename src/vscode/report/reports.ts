// Reports in the editor: the "ATL Reports" output channel (a plain-text report per finished
// diagnosis), Open report (a read-only virtual Markdown document shown in the preview), Save report
// (a Markdown file in the workspace) and Copy for ticket (Markdown on the clipboard).
import * as vscode from "vscode";
import { AtlError } from "../../shared/errors";
import type { DiagnosisReport } from "../../graph/diagnosis";
import type { ReportRenderers } from "../../report";

export type { ReportRenderers };

export const REPORT_SCHEME = "atl-report";
export const REPORTS_CHANNEL = "ATL Reports";
/** Workspace folder reports are saved into. */
export const REPORTS_FOLDER = "atl-reports";

/** Finds the latest report of a thread (open thread, else the history). */
export type ReportLookup = (threadId: string) => Promise<DiagnosisReport | null>;

export class ReportPublisher implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly channel: vscode.OutputChannel;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly published = new vscode.EventEmitter<{ threadId: string; text: string }>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Virtual documents opened so far, by thread, so a newer report refreshes them. */
  private readonly openUris = new Map<string, vscode.Uri>();

  readonly onDidChange = this.changed.event;
  /** A report was appended to the "ATL Reports" channel (its plain text). */
  readonly onDidPublish = this.published.event;

  constructor(
    private readonly renderers: ReportRenderers,
    private readonly lookup: ReportLookup,
  ) {
    this.channel = vscode.window.createOutputChannel(REPORTS_CHANNEL);
    this.disposables.push(this.channel, this.changed, this.published, vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this));
  }

  /**
   * Writes a report to the "ATL Reports" channel (and refreshes an open preview): a diagnosis in
   * full once; a later turn of it (`previous`: the report before that turn) only what it changed.
   */
  publish(report: DiagnosisReport, previous: DiagnosisReport | null = null): void {
    const uri = this.openUris.get(report.threadId);
    if (uri) {
      this.changed.fire(uri);
    }
    const text = previous ? this.renderers.plainTextUpdate(previous, report) : this.renderers.plainText(report);
    if (text.trim().length === 0) {
      return;
    }
    this.channel.appendLine(text.trimEnd());
    this.channel.appendLine("");
    this.published.fire({ threadId: report.threadId, text });
  }

  showChannel(): void {
    this.channel.show(true);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const threadId = uri.path.split("/")[1] ?? "";
    const report = await this.lookup(threadId);
    return report ? this.renderers.markdown(report) : vscode.l10n.t("This diagnosis has no report (it was removed, or has not finished).");
  }

  /** Opens the report as a Markdown preview of a read-only virtual document. */
  async open(threadId: string): Promise<vscode.Uri> {
    const report = await this.require(threadId);
    const uri = reportUri(report);
    this.openUris.set(threadId, uri);
    this.changed.fire(uri);
    await vscode.commands.executeCommand("markdown.showPreview", uri);
    return uri;
  }

  /** Writes the Markdown report into the workspace (atl-reports/), or where the user chooses without one. */
  async save(threadId: string): Promise<vscode.Uri | undefined> {
    const report = await this.require(threadId);
    const content = new TextEncoder().encode(this.renderers.markdown(report));
    const folder = vscode.workspace.workspaceFolders?.[0];
    let target: vscode.Uri | undefined;
    if (folder) {
      const dir = vscode.Uri.joinPath(folder.uri, REPORTS_FOLDER);
      await vscode.workspace.fs.createDirectory(dir);
      target = await freeName(dir, fileName(report));
    } else {
      target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(fileName(report)),
        filters: { Markdown: ["md"] },
        title: vscode.l10n.t("Save ATL report"),
      });
      if (!target) {
        return undefined;
      }
    }
    await vscode.workspace.fs.writeFile(target, content);
    const open = vscode.l10n.t("Open");
    void vscode.window.showInformationMessage(vscode.l10n.t("Report saved to {0}.", vscode.workspace.asRelativePath(target)), open).then(async (choice) => {
      if (choice === open && target) {
        await vscode.window.showTextDocument(target);
      }
    });
    return target;
  }

  /** Puts the Markdown report on the clipboard, ready to paste into a ticket. */
  async copy(threadId: string): Promise<void> {
    const report = await this.require(threadId);
    await vscode.env.clipboard.writeText(this.renderers.markdown(report));
    void vscode.window.showInformationMessage(vscode.l10n.t("Report copied to the clipboard."));
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) {
      disposable.dispose();
    }
  }

  private async require(threadId: string): Promise<DiagnosisReport> {
    const report = await this.lookup(threadId);
    if (!report) {
      throw new AtlError("not-found", vscode.l10n.t("This diagnosis has no report yet."), {
        fix: vscode.l10n.t("Approve or reject its proposal first; the report is written when the diagnosis finishes."),
      });
    }
    return report;
  }
}

/** The read-only virtual Markdown document of a report (what Open report shows; @atl's references). */
export function reportUri(report: DiagnosisReport): vscode.Uri {
  return vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${report.threadId}/${fileName(report)}` });
}

/** `atl-report-20261125-031245-high-cpu-prod-web-01.md`: sortable, safe on every file system. */
export function fileName(report: DiagnosisReport): string {
  const stamp = report.createdAt.replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const subject = report.alarm?.name ?? report.host?.name ?? "diagnosis";
  const slug = subject
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50)
    .toLowerCase();
  return `atl-report-${stamp}-${slug || "diagnosis"}.md`;
}

async function freeName(dir: vscode.Uri, name: string): Promise<vscode.Uri> {
  const base = name.replace(/\.md$/, "");
  for (let i = 0; i < 1000; i++) {
    const candidate = vscode.Uri.joinPath(dir, i === 0 ? name : `${base}-${i + 1}.md`);
    try {
      await vscode.workspace.fs.stat(candidate);
    } catch {
      return candidate;
    }
  }
  throw new AtlError("storage", vscode.l10n.t("Cannot find a free file name for the report in {0}.", dir.fsPath));
}
