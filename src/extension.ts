// Activation: wiring only. (Foundation stub; the vscode layer fills it in.)
import * as vscode from "vscode";

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand("atl.showLog", () => undefined));
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
