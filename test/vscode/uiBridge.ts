// The runner's half of the UI bridge: an in-editor suite cannot click the workbench (it runs in the
// extension host), so it logs a request (suite/ui.ts) and the runner, which drives the page with
// Playwright, answers it: it waits for a modal dialog, records its text, clicks the named button
// and writes what it saw to the file the suite waits for. Used for the dialogs VS Code itself shows
// (a tool's confirmation outside chat, a language model's consent), which no API can answer.
import { writeFileSync } from "node:fs";
import type { Workbench } from "../helpers/codeServer";

export interface UiRequest {
  op: "dialog";
  /** The button to press, by its accessible name (e.g. "Allow", "Cancel", "Continue"). */
  button: string;
  /** Where the runner writes the UiAnswer (JSON). */
  answerFile: string;
  /** How long to wait for the dialog. */
  timeoutMs?: number;
}

export interface UiAnswer {
  /** The dialog's whole text as shown (title, message, detail, buttons). */
  text: string;
  /** Set when the runner could not do what was asked. */
  error?: string;
}

export async function answerUiRequest(workbench: () => Workbench | undefined, raw: string): Promise<void> {
  let request: UiRequest;
  try {
    request = JSON.parse(raw) as UiRequest;
  } catch {
    return;
  }
  let answer: UiAnswer;
  let seen = "";
  try {
    const deadline = Date.now() + (request.timeoutMs ?? 120_000);
    let bench = workbench();
    while (!bench && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      bench = workbench();
    }
    if (!bench) {
      throw new Error("the workbench is not open");
    }
    const dialog = bench.page.locator(".monaco-dialog-box").last();
    await dialog.waitFor({ state: "visible", timeout: Math.max(1_000, deadline - Date.now()) });
    const text = await dialog.innerText();
    seen = text;
    await bench.screenshot(`dialog-${request.button.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`).catch(() => undefined);
    await dialog.getByRole("button", { name: request.button, exact: true }).click();
    await dialog.waitFor({ state: "hidden", timeout: 30_000 });
    answer = { text };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    answer = { text: seen, error: seen ? `${reason} (the dialog said: ${JSON.stringify(seen)})` : reason };
  }
  writeFileSync(request.answerFile, JSON.stringify(answer));
}
