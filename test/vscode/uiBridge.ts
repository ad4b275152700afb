// The runner's half of the UI bridge: an in-editor suite cannot click the workbench (it runs in the
// extension host), so it logs a request (suite/ui.ts) and the runner, which drives the page with
// Playwright, answers it and writes what it saw to the file the suite waits for:
// - `dialog`: waits for a modal dialog, records its text, clicks the named button. Used for the
//   dialogs VS Code itself shows (a tool's confirmation outside chat, a language model's consent),
//   which no API can answer.
// - `text`: waits until an element matching a CSS selector contains a text, returns its text (what
//   the chat view shows of @atl's answer, for instance) and saves a screenshot.
// - `click`: clicks a button (or link) by its accessible name inside the last element matching a
//   selector (a button @atl put in its answer).
import { writeFileSync } from "node:fs";
import type { Workbench } from "../helpers/codeServer";

export type UiRequest =
  | {
      op: "dialog";
      /** The button to press, by its accessible name (e.g. "Allow", "Cancel", "Continue"). */
      button: string;
      /** Where the runner writes the UiAnswer (JSON). */
      answerFile: string;
      /** How long to wait for the dialog. */
      timeoutMs?: number;
    }
  | { op: "text"; selector: string; contains: string; screenshot?: string; answerFile: string; timeoutMs?: number }
  | { op: "click"; selector: string; name: string; answerFile: string; timeoutMs?: number };

export interface UiAnswer {
  /** The dialog's (or element's) whole text as shown (title, message, detail, buttons). */
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
    const left = (): number => Math.max(1_000, deadline - Date.now());
    let bench = workbench();
    while (!bench && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      bench = workbench();
    }
    if (!bench) {
      throw new Error("the workbench is not open");
    }
    switch (request.op) {
      case "dialog": {
        const dialog = bench.page.locator(".monaco-dialog-box").last();
        await dialog.waitFor({ state: "visible", timeout: left() });
        seen = await dialog.innerText();
        await bench.screenshot(`dialog-${request.button.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`).catch(() => undefined);
        await dialog.getByRole("button", { name: request.button, exact: true }).click();
        await dialog.waitFor({ state: "hidden", timeout: 30_000 });
        answer = { text: seen };
        break;
      }
      case "text": {
        const element = bench.page.locator(request.selector).filter({ hasText: request.contains }).last();
        await element.waitFor({ state: "visible", timeout: left() });
        seen = await element.innerText();
        if (request.screenshot) {
          await bench.screenshot(request.screenshot).catch(() => undefined);
        }
        answer = { text: seen };
        break;
      }
      case "click": {
        const scope = bench.page.locator(request.selector).last();
        await scope.waitFor({ state: "visible", timeout: left() });
        seen = await scope.innerText();
        const target = scope.getByRole("button", { name: request.name, exact: true }).or(scope.getByRole("link", { name: request.name, exact: true })).first();
        await target.click({ timeout: left() });
        answer = { text: seen };
        break;
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    answer = { text: seen, error: seen ? `${reason} (the page said: ${JSON.stringify(seen.slice(0, 2_000))})` : reason };
  }
  writeFileSync(request.answerFile, JSON.stringify(answer));
}
