// The suite's half of the UI bridge (test/vscode/uiBridge.ts): asks the runner, which drives the
// page, to press a dialog's button, read what an element shows or click a button in it, and
// resolves with the text it saw. Call it before (or together with) the action that opens a dialog.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UI_MARKER } from "../index";
import type { UiAnswer, UiRequest } from "../uiBridge";
import { eventually } from "./alarmsSupport";

type Request = UiRequest extends infer R ? (R extends UiRequest ? Omit<R, "answerFile"> : never) : never;

async function ask(request: Request, what: string): Promise<string> {
  const timeoutMs = request.timeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), "atl-ui-"));
  const answerFile = join(dir, "answer.json");
  console.log(UI_MARKER + JSON.stringify({ ...request, answerFile }));
  try {
    const answer = await eventually(() => (existsSync(answerFile) ? (JSON.parse(readFileSync(answerFile, "utf8")) as UiAnswer) : undefined), timeoutMs + 30_000, `the runner to ${what}`);
    if (answer.error) {
      throw new Error(`the runner could not ${what}: ${answer.error}`);
    }
    // The workbench renders code blocks with non-breaking spaces.
    return answer.text.replace(/\u00a0/g, " ");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Presses `button` on the next modal dialog; resolves with what the dialog said. */
export function pressDialogButton(button: string, timeoutMs = 120_000): Promise<string> {
  return ask({ op: "dialog", button, timeoutMs }, `press "${button}" on a dialog`);
}

/** Waits until an element matching `selector` shows `contains`; resolves with its whole text. */
export function waitForText(selector: string, contains: string, options: { screenshot?: string; timeoutMs?: number } = {}): Promise<string> {
  return ask({ op: "text", selector, contains, ...options }, `see "${contains}" in ${selector}`);
}

/** Clicks the button (or link) named `name` in the last element matching `selector`. */
export function clickIn(selector: string, name: string, timeoutMs = 120_000): Promise<string> {
  return ask({ op: "click", selector, name, timeoutMs }, `click "${name}" in ${selector}`);
}
