// An SSH host whose private key is encrypted, as a person sets it up in code-server + Chromium with
// the packaged ATL and a private sshd on 127.0.0.1: "ATL: Test host" logs in for real and says the
// passphrase is missing → "ATL: Set SSH key passphrase" (a password box) stores it in SecretStorage
// → "ATL: Test host" logs in. The passphrase never lands in settings or in any log file.
// Screenshots: test-results/e2e/hosts-*.png.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sshHostEntry, startSshd, type Sshd } from "../helpers/sshd";
import { commandTitle, openAtl, waitForActivation, type AtlSession } from "./harness";

const HOST = "ssh-box";
const PASSPHRASE = "correct horse battery staple 7f3a";

/** Every file under a folder (logs, settings), as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = join(entry.parentPath, entry.name);
      return { file, text: readFileSync(file, "latin1") };
    });
}

void describe("SSH host with an encrypted key (code-server, private sshd)", { timeout: 900_000 }, () => {
  let session: AtlSession;
  let sshd: Sshd;

  before(async () => {
    sshd = await startSshd({ keyPassphrase: PASSPHRASE });
    session = await openAtl("hosts", {
      userSettings: {
        "atl.hosts": [sshHostEntry(sshd, HOST)],
        "atl.llm.provider": "none",
      },
    });
    await session.workbench.openAtlContainer();
    await waitForActivation(session.server);
  });

  after(async () => {
    await session?.stop();
    await sshd?.stop();
  });

  /** Runs ATL: Test host (the only host is picked by itself) and returns the toast it ends with. */
  async function testHost(expected: RegExp): Promise<string> {
    const { workbench } = session;
    await workbench.runCommand(commandTitle("atl.testHost"));
    const toast = workbench.notifications().filter({ hasText: expected }).first();
    await toast.waitFor({ state: "visible", timeout: 120_000 });
    const text = (await toast.textContent()) ?? "";
    await toast.locator(".codicon-notifications-clear").click().catch(() => undefined);
    return text;
  }

  void it("Test host says the passphrase is missing; Set SSH key passphrase stores it; Test host logs in", async () => {
    const { workbench } = session;
    const missing = await testHost(new RegExp(`${HOST}: .*passphrase`, "i"));
    assert.match(missing, /Set SSH key passphrase/, "the toast names the command that fixes it");
    await workbench.screenshot("hosts-01-passphrase-missing");

    await workbench.openPalette();
    const widget = workbench.page.locator(".quick-input-widget");
    await widget.locator("input").fill(`>${commandTitle("atl.setSshPassphrase")}`);
    const row = widget.locator(`.quick-input-list .monaco-list-row[aria-label^="${commandTitle("atl.setSshPassphrase")}"]`).first();
    await row.waitFor({ state: "visible" });
    await row.click();
    await row.waitFor({ state: "detached" });
    // The password box of the only SSH host: its title names the host, its input hides the text.
    await widget.locator(".quick-input-title", { hasText: HOST }).waitFor({ state: "visible", timeout: 60_000 });
    const input = widget.locator("input");
    assert.equal(await input.getAttribute("type"), "password");
    await input.fill(PASSPHRASE);
    await workbench.screenshot("hosts-02-passphrase-box");
    await input.press("Enter");
    await workbench.notifications().filter({ hasText: `SSH key passphrase for ${HOST} saved.` }).first().waitFor({ state: "visible", timeout: 60_000 });

    const ok = await testHost(new RegExp(`${HOST}: SSH login as ${sshd.username} OK`));
    assert.ok(ok.includes(sshd.hostKeySha256), `the toast shows the pinned host key: ${ok}`);
    await workbench.screenshot("hosts-03-login-ok");

    // Stored in SecretStorage only: not in settings, not in the extension's or the server's logs.
    const leaks = [...filesUnder(join(session.server.dirs.userData, "User")).filter((f) => f.file.endsWith(".json")), ...filesUnder(join(session.server.dirs.userData, "logs"))]
      .filter((f) => f.text.includes(PASSPHRASE))
      .map((f) => f.file);
    assert.deepEqual(leaks, [], "the passphrase appears in no settings or log file");
  });
});
