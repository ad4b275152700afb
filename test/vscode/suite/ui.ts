// The suite's half of the UI bridge (test/vscode/uiBridge.ts): asks the runner, which drives the
// page, to answer the next modal dialog by pressing a button, and resolves with the dialog's text.
// Call it before (or together with) the action that opens the dialog.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UI_MARKER } from "../index";
import type { UiAnswer, UiRequest } from "../uiBridge";
import { eventually } from "./alarmsSupport";

/** Presses `button` on the next modal dialog; resolves with what the dialog said. */
export async function pressDialogButton(button: string, timeoutMs = 120_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "atl-ui-"));
  const answerFile = join(dir, "answer.json");
  const request: UiRequest = { op: "dialog", button, answerFile, timeoutMs };
  console.log(UI_MARKER + JSON.stringify(request));
  try {
    const answer = await eventually(() => (existsSync(answerFile) ? (JSON.parse(readFileSync(answerFile, "utf8")) as UiAnswer) : undefined), timeoutMs + 30_000, `the runner to press "${button}" on a dialog`);
    if (answer.error) {
      throw new Error(`the runner could not press "${button}": ${answer.error}`);
    }
    return answer.text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
