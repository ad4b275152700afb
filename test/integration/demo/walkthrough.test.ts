// The getting-started walkthrough as the manifest contributes it: the id the Alarms welcome view
// opens, the four steps of the setup (SQS with Test connection, a host with Test host, the
// optional LLM key, Diagnose), every button naming a command that exists, every text resolved from
// package.nls.json, every media file present and shipped in the VSIX, completion events that can
// fire. (test/e2e/demo.e2e.ts opens it in code-server and clicks a button.)
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO } from "./demoProcess";

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string; svg?: string };
  completionEvents?: string[];
}
interface Manifest {
  publisher: string;
  name: string;
  contributes: {
    walkthroughs?: { id: string; title: string; description: string; steps: Step[] }[];
    commands: { command: string }[];
    configuration: { properties: Record<string, unknown> };
    viewsContainers: { activitybar: { id: string }[] };
  };
}

const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as Manifest;
const nls = JSON.parse(readFileSync(join(REPO, "package.nls.json"), "utf8")) as Record<string, string>;
const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
/** Workbench commands the walkthrough may use (they exist in every VS Code ≥ 1.101). */
const WORKBENCH = new Set([
  "workbench.action.openSettings",
  ...manifest.contributes.viewsContainers.activitybar.map((c) => `workbench.view.extension.${c.id}`),
]);

function text(value: string): string {
  const key = /^%(.+)%$/.exec(value)?.[1];
  if (key === undefined) {
    return value;
  }
  assert.ok(key in nls, `${key} is in package.nls.json`);
  return nls[key];
}

/** Buttons and links of a description: [label](command:id?args). */
function commandLinks(description: string): { label: string; command: string; args: string | null }[] {
  return [...description.matchAll(/\[([^\]]+)\]\(command:([A-Za-z0-9_.-]+)(?:\?([^)]*))?\)/g)].map((m) => ({ label: m[1], command: m[2], args: m[3] ?? null }));
}

const walkthrough = manifest.contributes.walkthroughs?.find((w) => w.id === "atl.gettingStarted");

void describe("the getting-started walkthrough", () => {
  void it("is contributed under the id the Alarms welcome view opens", () => {
    assert.ok(walkthrough, "contributes.walkthroughs has atl.gettingStarted");
    const welcome = Object.values(nls).join("\n");
    assert.match(welcome, new RegExp(`openWalkthrough\\?%22${manifest.publisher}\\.${manifest.name}%23atl\\.gettingStarted%22`));
    assert.ok(text(walkthrough.title).length > 0 && text(walkthrough.description).length > 0);
  });

  void it("walks through SQS, a host, the optional LLM and Diagnose, with the test buttons", () => {
    const steps = walkthrough!.steps;
    assert.deepEqual(
      steps.map((s) => s.id),
      ["atl.connectSqs", "atl.addHost", "atl.llm", "atl.diagnose"],
    );
    const commandsOf = (id: string): string[] => commandLinks(text(steps.find((s) => s.id === id)!.description)).map((l) => l.command);
    assert.deepEqual(commandsOf("atl.connectSqs"), ["atl.configureSqs", "atl.testSqsConnection"]);
    assert.deepEqual(commandsOf("atl.addHost"), ["atl.addHost", "atl.testHost"]);
    assert.ok(commandsOf("atl.llm").includes("atl.setLlmApiKey"));
    assert.ok(commandsOf("atl.diagnose").includes("atl.diagnoseHost"));
  });

  void it("every button runs a command that exists, with JSON arguments", () => {
    for (const step of walkthrough!.steps) {
      const links = commandLinks(text(step.description));
      assert.ok(links.length > 0, `${step.id} has a button`);
      for (const link of links) {
        assert.ok(contributed.has(link.command) || WORKBENCH.has(link.command), `${step.id}: ${link.command} is an ATL or known workbench command`);
        if (link.args !== null) {
          assert.doesNotThrow(() => JSON.parse(decodeURIComponent(link.args!)), `${step.id}: arguments of ${link.command}`);
        }
      }
    }
  });

  void it("every step has a title, a description and Markdown media that exists and ships in the VSIX", () => {
    const shipped = readFileSync(join(REPO, ".vscodeignore"), "utf8");
    assert.match(shipped, /^!media\/\*\*$/m, ".vscodeignore ships media/");
    for (const step of walkthrough!.steps) {
      assert.ok(text(step.title).trim().length > 0, `${step.id} title`);
      assert.ok(text(step.description).trim().length > 0, `${step.id} description`);
      const media = step.media.markdown ?? "";
      assert.ok(media.startsWith("media/walkthrough/"), `${step.id} media under media/walkthrough/`);
      const file = join(REPO, media);
      assert.ok(existsSync(file), `${media} exists`);
      const body = readFileSync(file, "utf8");
      assert.match(body, /^# \S/m, `${media} starts with a heading`);
      // Walkthrough Markdown is shown in a webview: no raw HTML, no remote images.
      assert.doesNotMatch(body, /<[a-z][^>]*>|!\[[^\]]*\]\(https?:/i, `${media} has no HTML or remote images`);
    }
  });

  void it("every page has a Korean translation that VS Code finds (page.nls.ko.md) with the same code", () => {
    for (const step of walkthrough!.steps) {
      const media = step.media.markdown ?? "";
      const korean = join(REPO, media.replace(/\.md$/, ".nls.ko.md"));
      assert.ok(existsSync(korean), `${media} has ${korean}`);
      const english = readFileSync(join(REPO, media), "utf8");
      const translated = readFileSync(korean, "utf8");
      assert.match(translated, /^# .*[가-힣]/m, `${korean} has a Korean heading`);
      assert.doesNotMatch(translated, /<[a-z][^>]*>|!\[[^\]]*\]\(https?:/i, `${korean} has no HTML or remote images`);
      // Commands, settings and paths are not translated: every code span of the page is in its translation.
      const spans = (text: string): string[] => [...new Set([...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]))].sort();
      const missing = spans(english).filter((span) => !translated.includes(span));
      assert.deepEqual(missing, [], `${korean} keeps the code spans of ${media}`);
      assert.equal((translated.match(/^```/gm) ?? []).length, (english.match(/^```/gm) ?? []).length, `${korean} has the code blocks of ${media}`);
    }
  });

  void it("completion events name contributed commands and settings", () => {
    const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
    for (const step of walkthrough!.steps) {
      assert.ok((step.completionEvents ?? []).length > 0, `${step.id} can complete`);
      for (const event of step.completionEvents ?? []) {
        const [kind, target] = event.split(":");
        if (kind === "onCommand") {
          assert.ok(contributed.has(target), `${step.id}: ${event}`);
        } else if (kind === "onSettingChanged") {
          assert.ok(settings.has(target), `${step.id}: ${event}`);
        } else {
          assert.fail(`${step.id}: unexpected completion event ${event}`);
        }
      }
    }
  });
});
