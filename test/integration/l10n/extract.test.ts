// scripts/l10n.ts on a small project of its own: which calls it reads as messages (every form the
// extension uses), which it reports as untranslatable, and every kind of translation problem it
// must catch before a Korean user sees English or a broken placeholder. Run as a user runs it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";

const repo = resolve(import.meta.dirname, "..", "..", "..");
const script = join(repo, "scripts", "l10n.ts");

interface Table {
  file: string;
  missing: string[];
  extra: string[];
  empty: string[];
  notText: string[];
  changed: { key: string; lost: string[]; added: string[] }[];
  commandReferences?: { key: string; want: string }[];
}
interface Report {
  messages: { key: string; message: string; comment: string; locations: string[] }[];
  problems: { location: string; kind: string; text: string }[];
  bundles: Record<string, Table>;
  nls: Record<string, Table>;
  manifest: { l10nField: string | null; missing: string[]; unused: string[] };
  englishBundle: { upToDate: boolean };
  problemLines: string[];
}

const roots: string[] = [];
after(() => {
  for (const dir of roots) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function project(files: Record<string, string | object>): string {
  const dir = mkdtempSync(join(tmpdir(), "atl-l10n-"));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

function run(root: string, ...args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, "--root", root, ...args], { cwd: repo, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.stderr, "", result.stderr);
  return { status: result.status, stdout: result.stdout };
}

function scan(root: string): Report {
  return JSON.parse(run(root, "--json").stdout) as Report;
}

const forms = `
import * as vscode from "vscode";
import { l10n } from "vscode";
import type { Translate } from "./present";

export function direct(n: number): string[] {
  return [vscode.l10n.t("Direct call"), l10n.t('Single {0}', n), vscode.l10n.t(\`Template literal\`)];
}

export function aliased(): string[] {
  const t = vscode.l10n.t;
  const { t: tr } = vscode.l10n;
  return [t("Through an alias"), tr("Through a destructured alias")];
}

// A translator handed in as a parameter (present.ts does this), and a wrapper that forwards.
export function labels(t: Translate): string {
  return t("Through a Translate parameter");
}
const forward: Translate = (message, ...args) => vscode.l10n.t(message, ...args);

export function withComment(): string {
  return vscode.l10n.t({ message: "Commented {0}", args: [1], comment: ["Shown in ", "the tree"] });
}

export function notTranslated(): string {
  // A local function that happens to be called t is not a translator.
  const t = (text: string) => text.toUpperCase();
  return t("plain data") + forward("Forwarded literal");
}

export function broken(name: string, value: string): string[] {
  return [vscode.l10n.t(name), vscode.l10n.t("Joined " + value), vscode.l10n.t("{0} and {1}", value)];
}
`;

const orphanT = `
// t is neither declared nor imported here.
declare function use(x: string): void;
use(t("Who translates me?"));
`;

void describe("scripts/l10n.ts extraction", () => {
  const root = project({ "src/vscode/forms.ts": forms, "src/vscode/orphan.ts": orphanT, "src/vscode/present.ts": "export type Translate = (m: string, ...a: (string | number)[]) => string;\n" });
  const report = scan(root);
  const keys = report.messages.map((m) => m.key);

  void it("reads direct, aliased, destructured, parameter and template-literal calls", () => {
    for (const key of ["Direct call", "Single {0}", "Template literal", "Through an alias", "Through a destructured alias", "Through a Translate parameter", "Forwarded literal"]) {
      assert.ok(keys.includes(key), `${key} not extracted; got ${JSON.stringify(keys)}`);
    }
  });

  void it("keys a commented message as VS Code looks it up (message/comment)", () => {
    const entry = report.messages.find((m) => m.message === "Commented {0}");
    assert.equal(entry?.key, "Commented {0}/Shown in the tree");
    assert.equal(entry?.comment, "Shown in the tree");
  });

  void it("records where each message is used", () => {
    const entry = report.messages.find((m) => m.key === "Direct call");
    assert.deepEqual(entry?.locations, ["src/vscode/forms.ts:7"]);
  });

  void it("ignores a local function named t and a wrapper forwarding its parameter", () => {
    assert.ok(!keys.includes("plain data"));
    assert.ok(!report.problems.some((p) => p.location === "src/vscode/forms.ts:20"), JSON.stringify(report.problems));
  });

  void it("reports messages it cannot translate: variables, concatenation, a missing argument, an unknown t", () => {
    const kinds = report.problems.map((p) => `${p.location} ${p.kind}`).sort();
    assert.deepEqual(kinds, [
      "src/vscode/forms.ts:33 arguments",
      "src/vscode/forms.ts:33 dynamic",
      "src/vscode/forms.ts:33 dynamic",
      "src/vscode/orphan.ts:4 unresolved",
    ]);
    assert.match(report.problems.find((p) => p.kind === "arguments")?.text ?? "", /\{1\}/);
    assert.equal(run(root, "--check").status, 1);
  });
});

void describe("scripts/l10n.ts translation checks", () => {
  const source = `import * as vscode from "vscode";
export const a = [
  vscode.l10n.t("Host {0} added.", "h"),
  vscode.l10n.t("Run ATL: Add host first."),
  vscode.l10n.t("Use \`openssl rand -hex 32\`."),
  vscode.l10n.t("Set atl.llm.baseUrl first."),
  vscode.l10n.t("Still English"),
  vscode.l10n.t("Translated later"),
];
`;
  const manifest = {
    name: "x",
    l10n: "./l10n",
    contributes: {
      commands: [{ command: "atl.addHost", title: "%command.addHost%" }],
      views: { atl: [{ id: "atl.alarms", name: "%view.alarms%" }, { id: "atl.hosts", name: "%view.hosts%" }] },
      viewsWelcome: [{ view: "atl.hosts", contents: "%welcome.hosts%" }],
    },
  };
  const nls = {
    "command.addHost": "Add host",
    "view.alarms": "Alarms",
    "welcome.hosts": "No hosts.\n[Add host](command:atl.addHost)",
    "unused.key": "Nobody uses me",
  };
  const good = {
    "Host {0} added.": "호스트 {0}을(를) 추가했습니다.",
    "Run ATL: Add host first.": "먼저 ATL: 호스트 추가를 실행하세요.",
    "Use `openssl rand -hex 32`.": "`openssl rand -hex 32`를 사용하세요.",
    "Set atl.llm.baseUrl first.": "먼저 atl.llm.baseUrl을 설정하세요.",
    "Still English": "아직 영어",
    "Translated later": "나중에 번역",
  };

  void it("passes a complete, faithful translation and writes the English source bundle", () => {
    const root = project({
      "src/vscode/a.ts": source,
      "package.json": { ...manifest, contributes: { ...manifest.contributes, viewsWelcome: [], views: { atl: [{ id: "atl.alarms", name: "%view.alarms%" }] } } },
      "package.nls.json": { "command.addHost": "Add host", "view.alarms": "Alarms" },
      "package.nls.ko.json": { "command.addHost": "호스트 추가", "view.alarms": "알람" },
      "l10n/bundle.l10n.ko.json": good,
    });
    assert.equal(run(root, "--check").status, 1, "--check: the English bundle is not written yet");
    const first = run(root);
    assert.equal(first.status, 0, first.stdout);
    assert.match(first.stdout, /6 messages in src\/, 2 manifest strings; translations: ko/);
    const english = JSON.parse(readFileSync(join(root, "l10n", "bundle.l10n.json"), "utf8")) as Record<string, string>;
    assert.deepEqual(Object.keys(english), Object.keys(good));
    assert.equal(english["Host {0} added."], "Host {0} added.");
    const check = run(root, "--check");
    assert.equal(check.status, 0, check.stdout);
    assert.match(check.stdout, /l10n: no problems/);
  });

  void it("reports missing, orphaned, empty and non-text entries, lost placeholders, code, settings, links and command titles", () => {
    const root = project({
      "src/vscode/a.ts": source,
      "package.json": manifest,
      "package.nls.json": nls,
      "package.nls.ko.json": {
        "command.addHost": "호스트 추가",
        "welcome.hosts": "호스트가 없습니다.\n[호스트 추가](command:atl.addHosts)",
        "unused.key": "",
        "stale.key": "옛 번역",
      },
      "l10n/bundle.l10n.ko.json": {
        "Host {0} added.": "호스트를 추가했습니다.",
        "Run ATL: Add host first.": "먼저 ATL: Add host를 실행하세요.",
        "Use `openssl rand -hex 32`.": "openssl rand -hex 32를 사용하세요.",
        "Set atl.llm.baseUrl first.": "먼저 기본 URL을 설정하세요.",
        "Still English": "",
        "Translated later": { message: "나중에" },
        "Removed from the sources": "삭제된 문자열",
      },
    });
    const r = scan(root);
    const ko = r.bundles.ko;
    assert.deepEqual(ko.missing, []);
    assert.deepEqual(ko.extra, ["Removed from the sources"]);
    assert.deepEqual(ko.empty, ["Still English"]);
    assert.deepEqual(ko.notText, ["Translated later"]);
    assert.deepEqual(
      ko.changed.map((c) => [c.key, c.lost]),
      [
        ["Host {0} added.", ["placeholder {0}"]],
        ["Use `openssl rand -hex 32`.", ["code `openssl rand -hex 32`"]],
        ["Set atl.llm.baseUrl first.", ["setting atl.llm.baseUrl"]],
      ],
    );
    assert.deepEqual(ko.commandReferences, [{ key: "Run ATL: Add host first.", want: "ATL: 호스트 추가" }]);

    const nlsKo = r.nls.ko;
    assert.deepEqual(nlsKo.missing, ["view.alarms"]);
    assert.deepEqual(nlsKo.extra, ["stale.key"]);
    assert.deepEqual(nlsKo.empty, ["unused.key"]);
    assert.deepEqual(nlsKo.changed, [{ key: "welcome.hosts", lost: ["link command:atl.addHost"], added: ["link command:atl.addHosts"] }]);
    assert.deepEqual(r.manifest.missing, ["view.hosts"]);
    assert.deepEqual(r.manifest.unused, ["unused.key"]);

    const check = run(root, "--check");
    assert.equal(check.status, 1);
    for (const line of [
      'l10n/bundle.l10n.ko.json: orphaned "Removed from the sources"',
      'l10n/bundle.l10n.ko.json: "Host {0} added.": lost placeholder {0}',
      'must name the command as "ATL: 호스트 추가"',
      "package.nls.ko.json: missing \"view.alarms\"",
      "package.json: %view.hosts% has no entry in package.nls.json",
    ]) {
      assert.ok(check.stdout.includes(line), `${line}\n---\n${check.stdout}`);
    }
  });

  void it("reports a translation that lacks a new source string", () => {
    const root = project({ "src/vscode/a.ts": source, "package.json": { l10n: "./l10n" }, "l10n/bundle.l10n.ko.json": { "Still English": "아직 영어" } });
    const r = scan(root);
    assert.deepEqual(r.bundles.ko.missing, ["Host {0} added.", "Run ATL: Add host first.", "Use `openssl rand -hex 32`.", "Set atl.llm.baseUrl first.", "Translated later"]);
  });

  void it('requires package.json "l10n": "./l10n" (without it VS Code never loads the bundles)', () => {
    const root = project({ "src/vscode/a.ts": 'import * as vscode from "vscode";\nvscode.l10n.t("x");\n', "package.json": {}, "l10n/bundle.l10n.ko.json": { x: "엑스" } });
    const r = scan(root);
    assert.ok(r.problemLines.some((l) => l.includes('"l10n" must be "./l10n"')), r.problemLines.join("\n"));
  });
});
