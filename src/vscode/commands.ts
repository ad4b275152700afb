// The command boundary: every ATL command goes through `registerCommand`, which is where errors
// stop bubbling. An AtlError is shown once with its fix and a "Show log" button; a cancelled flow
// is silent; anything else is logged with its stack and shown as an unexpected failure.
import * as vscode from "vscode";
import { AtlError } from "../shared/errors";
import type { Logger } from "../shared/log";

export type CommandHandler = (...args: unknown[]) => unknown;

export function registerCommand(id: string, handler: CommandHandler, logger: Logger): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (error) {
      showError(error, logger, id);
      return undefined;
    }
  });
}

/** Shows an error once (not awaited: a command must not hang until the toast is closed). */
export function showError(error: unknown, logger: Logger, where: string): void {
  if (error instanceof AtlError && error.code === "cancelled") {
    return;
  }
  let message: string;
  if (error instanceof AtlError) {
    logger.error(`${where}: [${error.code}] ${error.message}${error.fix ? ` — ${error.fix}` : ""}`);
    if (error.cause !== undefined) {
      logger.debug(`${where}: cause`, error.cause);
    }
    message = error.userMessage;
  } else {
    logger.error(error instanceof Error ? error : String(error));
    message = vscode.l10n.t("ATL: unexpected failure in {0}: {1}", where, error instanceof Error ? error.message : String(error));
  }
  const showLog = vscode.l10n.t("Show log");
  void vscode.window.showErrorMessage(message, showLog).then(async (choice) => {
    if (choice === showLog) {
      await vscode.commands.executeCommand("atl.showLog");
    }
  });
}

/** Thrown when the user dismisses a guided flow (Escape): the command boundary stays silent. */
export function cancelled(): AtlError {
  return new AtlError("cancelled", "Cancelled.");
}
