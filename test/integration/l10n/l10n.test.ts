// ATL in Korean: the manifest strings (package.nls.ko.json) and every runtime string of the
// extension (l10n/bundle.l10n.ko.json) are translated, complete, without orphans, and keep what
// must not change (placeholders, command links, code spans, setting names, command titles).
// The sources are read by scripts/l10n.ts (run here as a user runs it); a regex scan of the
// same sources checks that the extractor missed no call.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { incidentDescription, incidentTooltipMarkdown } from "../../../src/alarms/present";
import type { Translate } from "../../../src/shared/l10n";
import { alarm, incident } from "../../unit/alarms/fixtures";

const root = resolve(import.meta.dirname, "..", "..", "..");
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(root, file), "utf8")) as T;

const manifest = readJson<{ l10n?: string; displayName?: string; description?: string; contributes: Record<string, unknown> & { commands: { command: string; title: string }[] } }>("package.json");
const nls = readJson<Record<string, string>>("package.nls.json");
const nlsKo = readJson<Record<string, unknown>>("package.nls.ko.json");
const bundleKo = readJson<Record<string, unknown>>("l10n/bundle.l10n.ko.json");

interface Report {
  messages: { key: string; message: string; comment: string; locations: string[] }[];
  problems: { location: string; kind: string; text: string }[];
  problemLines: string[];
  englishBundle: { upToDate: boolean };
}

function runScript(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "l10n.ts"), ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scan = runScript("--json");
const report = JSON.parse(scan.stdout) as Report;
const sourceKeys = new Set(report.messages.map((m) => m.key));

/** `{0}`, `{name}`: what VS Code substitutes. */
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\d+|[A-Za-z_$][\w$]*)\}/g)].map((m) => m[0]).sort();
const linkTargets = (text: string): string[] => [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).sort();
const codeSpans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();
const hasHangul = (text: string): boolean => /[\uac00-\ud7a3]/.test(text);

/** English text → Korean text for every translated string (manifest and runtime). */
const pairs: [string, string, string][] = [
  ...Object.entries(nls).map(([key, en]): [string, string, string] => [`package.nls.ko.json ${key}`, en, String(nlsKo[key])]),
  ...report.messages.map((m): [string, string, string] => [`bundle ${JSON.stringify(m.key)}`, m.message, String(bundleKo[m.key])]),
];

void describe("package.nls.ko.json (commands, views, settings, welcome, walkthrough)", () => {
  void it("has exactly the keys of package.nls.json, none empty", () => {
    assert.deepEqual(Object.keys(nlsKo).sort(), Object.keys(nls).sort());
    for (const [key, value] of Object.entries(nlsKo)) {
      assert.equal(typeof value, "string", key);
      assert.notEqual((value as string).trim(), "", `${key} is empty`);
    }
  });

  void it("keeps placeholders, command links and code spans of each English string", () => {
    for (const [key, en] of Object.entries(nls)) {
      const ko = String(nlsKo[key]);
      assert.deepEqual(placeholders(ko), placeholders(en), `placeholders of ${key}`);
      assert.deepEqual(linkTargets(ko), linkTargets(en), `link targets of ${key}`);
      assert.deepEqual(codeSpans(ko), codeSpans(en), `code spans of ${key}`);
    }
  });

  void it("keeps every welcome and walkthrough button a line of its own (VS Code renders those as buttons)", () => {
    const buttons = (text: string) => text.split("\n").filter((line) => /^\[[^\]]+\]\(command:[^)]+\)$/.test(line.trim())).length;
    for (const key of Object.keys(nls).filter((k) => k.startsWith("welcome.") || k.startsWith("walkthrough."))) {
      assert.equal(buttons(String(nlsKo[key])), buttons(nls[key]), key);
      assert.equal(String(nlsKo[key]).split("\n").length, nls[key].split("\n").length, `lines of ${key}`);
    }
  });

  void it("resolves every %key% of package.json, and package.nls.json has no unused key", () => {
    const references = new Set<string>();
    const walk = (value: unknown): void => {
      if (typeof value === "string") {
        const key = /^%(.+)%$/.exec(value)?.[1];
        if (key) {
          references.add(key);
        }
      } else if (value && typeof value === "object") {
        Object.values(value).forEach(walk);
      }
    };
    walk({ displayName: manifest.displayName, description: manifest.description, contributes: manifest.contributes });
    assert.ok(references.size > 90, `package.json references ${references.size} keys`);
    for (const key of references) {
      assert.ok(Object.hasOwn(nls, key), `%${key}% is not in package.nls.json`);
      assert.ok(Object.hasOwn(nlsKo, key), `%${key}% is not in package.nls.ko.json`);
    }
    assert.deepEqual(Object.keys(nls).filter((k) => !references.has(k)), []);
  });

  void it("gives every command a Korean title, and the titles are distinct", () => {
    const titles = manifest.contributes.commands.map((c) => String(nlsKo[/^%(.+)%$/.exec(c.title)?.[1] ?? ""]));
    for (const [i, title] of titles.entries()) {
      assert.ok(hasHangul(title), `${manifest.contributes.commands[i].command}: ${title}`);
    }
    assert.equal(new Set(titles).size, titles.length, "two commands share a Korean title");
  });

  void it('points package.json "l10n" at the bundle folder', () => {
    assert.equal(manifest.l10n, "./l10n");
  });
});

void describe("l10n/bundle.l10n.ko.json (every vscode.l10n.t string)", () => {
  void it("scripts/l10n.ts finds no problem in the checkout", () => {
    assert.deepEqual(report.problemLines, []);
    assert.equal(scan.status, 0, scan.stderr);
  });

  void it("finds every translated call in the sources, and none it cannot read", () => {
    assert.deepEqual(report.problems, []);
    // The webview table, the Alarms tooltip (through a Translate parameter) and the commands all count.
    const files = new Set(report.messages.flatMap((m) => m.locations.map((l) => l.replace(/:\d+$/, ""))));
    for (const file of ["src/vscode/chat/strings.ts", "src/alarms/present.ts", "src/vscode/hosts/hostCommands.ts", "src/vscode/statusBar.ts"]) {
      assert.ok(files.has(file), `no messages extracted from ${file}`);
    }
    assert.ok(report.messages.length >= 300, `${report.messages.length} messages`);
  });

  void it("misses no literal that a plain-text scan finds after l10n.t( or t(", () => {
    const literal = /(?:\bl10n\.t|(?<![\w.])t)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`$\\]*)`)/g;
    const unquote = (m: RegExpMatchArray): string => {
      if (m[1] !== undefined) {
        return JSON.parse(`"${m[1]}"`) as string;
      }
      if (m[2] !== undefined) {
        return JSON.parse(`"${m[2].replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
      }
      return m[3] ?? "";
    };
    let found = 0;
    const walk = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts"))
        .map((e) => join(e.parentPath, e.name));
    for (const file of walk(join(root, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(literal)) {
        const value = unquote(m);
        found++;
        assert.ok(sourceKeys.has(value), `${file}: ${JSON.stringify(value)} was not extracted`);
      }
    }
    assert.ok(found >= sourceKeys.size, `the scan saw ${found} calls for ${sourceKeys.size} messages`);
  });

  void it("has a Korean entry for every message and no orphaned entry", () => {
    const missing = [...sourceKeys].filter((k) => !Object.hasOwn(bundleKo, k));
    const orphaned = Object.keys(bundleKo).filter((k) => !sourceKeys.has(k));
    assert.deepEqual(missing, [], "untranslated (run npm run l10n)");
    assert.deepEqual(orphaned, [], "no longer in the sources");
  });

  void it("translates the whole chat panel table (the webview gets its strings from the host)", () => {
    const chat = report.messages.filter((m) => m.locations.some((l) => l.startsWith("src/vscode/chat/strings.ts:")));
    assert.ok(chat.length >= 100, `${chat.length} chat strings`);
    for (const m of chat) {
      assert.equal(typeof bundleKo[m.key], "string", m.key);
    }
  });

  void it("has plain, non-empty strings that keep each placeholder, code span and setting name", () => {
    for (const m of report.messages) {
      const ko = bundleKo[m.key];
      assert.equal(typeof ko, "string", m.key);
      assert.notEqual(String(ko).trim(), "", `${m.key} is empty`);
      assert.deepEqual(placeholders(String(ko)), placeholders(m.message), `placeholders of ${JSON.stringify(m.key)}`);
      assert.deepEqual(codeSpans(String(ko)), codeSpans(m.message), `code spans of ${JSON.stringify(m.key)}`);
      const settings = (text: string) => [...text.matchAll(/\batl(?:\.[A-Za-z]+)+/g)].map((s) => s[0]).sort();
      assert.deepEqual(settings(String(ko)), settings(m.message), `setting names in ${JSON.stringify(m.key)}`);
      // Product icons such as $(pass) only render when written exactly.
      const icons = (text: string) => [...text.matchAll(/\$\([a-z~-]+\)/g)].map((s) => s[0]);
      assert.deepEqual(icons(String(ko)), icons(m.message), `icons in ${JSON.stringify(m.key)}`);
    }
  });

  void it("keeps l10n/bundle.l10n.json (the English source for translators) in step with the sources", () => {
    assert.equal(report.englishBundle.upToDate, true, "run npm run l10n");
    const english = readJson<Record<string, unknown>>("l10n/bundle.l10n.json");
    assert.deepEqual(Object.keys(english).sort(), [...sourceKeys].sort());
  });
});

void describe("the Korean wording", () => {
  // Strings without Korean words on purpose: product and protocol names, stream names, formats.
  const noHangul = new Map([
    ["stdout", "stdout"],
    ["stderr", "stderr"],
    ["SSH", "SSH"],
    ["ssh", "ssh"],
    ["{0}: {1}", "{0}: {1}"],
    ["SSH {0}@{1}:{2}", "SSH {0}@{1}:{2}"],
    ["OpenAI API.", "OpenAI API."],
    ["{0} ms", "{0}ms"],
  ]);

  void it("translates every string (Hangul in each, except names that stay as they are)", () => {
    for (const [where, en, ko] of pairs) {
      if (noHangul.has(en)) {
        assert.equal(ko, noHangul.get(en), where);
        continue;
      }
      assert.ok(hasHangul(ko), `${where}: ${JSON.stringify(ko)} is not Korean`);
    }
  });

  void it("names commands by their Korean palette titles (what a Korean user finds with F1)", () => {
    const titles = manifest.contributes.commands
      .map((c) => /^%(.+)%$/.exec(c.title)?.[1])
      .filter((key): key is string => key !== undefined)
      .map((key) => [nls[key], String(nlsKo[key])] as const)
      .sort((a, b) => b[0].length - a[0].length);
    let references = 0;
    for (const [where, en, ko] of pairs) {
      let rest = en;
      for (const [title, koTitle] of titles) {
        const reference = `ATL: ${title}`;
        const at = rest.indexOf(reference);
        if (at >= 0 && !/[\w-]/.test(rest.charAt(at + reference.length))) {
          references++;
          assert.ok(ko.includes(`ATL: ${koTitle}`), `${where}: should say "ATL: ${koTitle}" where English says "${reference}"`);
          rest = rest.replace(reference, "");
        }
      }
    }
    assert.ok(references >= 10, `${references} command references checked`);
  });

  // The glossary of docs/l10n.md: the same English term always becomes the same Korean term.
  const glossary: [RegExp, string, RegExp?][] = [
    [/\bdiagnos(e|is|es|ing)\b/i, "진단"],
    [/\bapprov(e|ed|al)\b/i, "승인"],
    [/\breject(ed)?\b/i, "거부"],
    [/\brefuse[sd]?\b/i, "거부", /refuses to connect/],
    [/\bread-only\b/i, "읽기 전용"],
    [/\bmutating\b/i, "변경"],
    [/\bhosts?\b/i, "호스트", /\bhost key|\bhost name|localhost|host's output|URL's host/i],
    [/\balarms?\b/i, "알람", /\bin ALARM\b|to ALARM\b/],
    [/\bincidents?\b/i, "인시던트"],
    [/\breports?\b/i, "보고서"],
    [/\bpolicy\b/i, "정책"],
    [/\brunbooks?\b/i, "런북"],
    [/\bqueue\b/i, "큐"],
    [/\bseverity\b/i, "심각도"],
    [/\bsecret\b/i, "시크릿", /secretFile|--secret-file|SecretStorage\)?$/],
    [/\bagent\b/i, "에이전트", /SSH agent|--key-id|--secret-file/],
    [/\bfindings?\b/i, "발견 사항"],
    [/\bregion\b/i, "리전"],
    [/\bpolling\b/i, "폴링"],
  ];

  void it("uses the glossary terms consistently", () => {
    for (const [term, korean, unless] of glossary) {
      let uses = 0;
      for (const [where, en, ko] of pairs) {
        // Setting names, code and link targets are not prose.
        const prose = en.replace(/`[^`]*`|\batl(?:\.[A-Za-z]+)+|\]\([^)]*\)|\S*:\/\/\S*/g, "");
        if (!term.test(prose) || (unless && unless.test(prose))) {
          continue;
        }
        uses++;
        assert.ok(ko.includes(korean), `${where}: "${en}" → "${ko}" should use ${korean} for ${term.source}`);
      }
      assert.ok(uses > 0, `no string uses ${term.source}`);
    }
  });

  void it("labels the risk badges 읽기 전용 / 변경 / 거부됨 and the decisions 승인 / 거부", () => {
    assert.equal(bundleKo["read-only"], "읽기 전용");
    assert.equal(bundleKo.mutating, "변경");
    assert.equal(bundleKo.refused, "거부됨");
    assert.equal(bundleKo["Reject…"], "거부…");
    assert.match(String(bundleKo["You approved {0} command."]), /승인/);
    assert.match(String(bundleKo["You approved {0} commands."]), /승인/);
  });
});

void describe("the Alarms view in Korean (present.ts through the Korean bundle)", () => {
  /** vscode.l10n.t with the Korean bundle loaded: look the key up, then fill {N}. Missing keys are recorded. */
  const missing: string[] = [];
  const korean: Translate = (message, ...args) => {
    const text = bundleKo[message];
    if (typeof text !== "string") {
      missing.push(message);
    }
    return (typeof text === "string" ? text : message).replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] === undefined ? m : String(args[Number(i)])));
  };

  void it("shows the row description and tooltip in Korean, alarm text untouched", () => {
    const flapping = incident({ alarm: alarm({ name: "prod-web-01-cpu-high" }), flaps: 2, acknowledged: true });
    const now = new Date(Date.parse(flapping.lastChangeAt) + 5 * 60_000);
    const description = incidentDescription(flapping, now, "ko", korean);
    assert.match(description, /CPUUtilization 97\.35 > 80/);
    assert.match(description, /플래핑 2회/);
    assert.match(description, /확인함/);
    assert.match(description, /5분 전/);
    const tooltip = incidentTooltipMarkdown(flapping, "prod-web-01", "ko", korean);
    for (const label of ["알람 상태", "사유", "지표", "호스트", "변경 시각", "발생 시각", "계정"]) {
      assert.ok(tooltip.includes(label), `tooltip lacks ${label}:\n${tooltip}`);
    }
    assert.ok(tooltip.includes("prod\\-web\\-01\\-cpu\\-high"), "the alarm name stays as sent (escaped)");
    const resolved = incidentTooltipMarkdown(incident({ state: "OK" }), null, "ko", korean);
    assert.ok(resolved.includes("정상") && resolved.includes("해소 시각"), resolved);
    const composite = incidentDescription(incident({ alarm: alarm({ metric: null, children: ["arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:child"] }) }), now, "ko", korean);
    assert.match(composite, /복합/);
    assert.deepEqual(missing, [], "labels without a Korean entry");
  });
});
