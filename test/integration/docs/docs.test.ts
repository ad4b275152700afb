// The user documentation cannot drift from the code: every setting and command of package.json is
// in docs/configuration.md (whose reference block scripts/docs-settings.ts regenerates) and every
// command is in the README; every AtlError code has a troubleshooting entry; every flag of
// `atl diagnose` is in the README; the links between the docs lead somewhere.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";

const root = resolve(import.meta.dirname, "..", "..", "..");
const script = join(root, "scripts", "docs-settings.ts");
const read = (path: string): string => readFileSync(join(root, path), "utf8");

interface CommandContribution {
  command: string;
  title: string;
  category?: string;
}
interface Manifest {
  contributes: {
    commands: CommandContribution[];
    configuration: { properties: Record<string, unknown> };
  };
}

const manifest = JSON.parse(read("package.json")) as Manifest;
const nls = JSON.parse(read("package.nls.json")) as Record<string, string>;
const settingKeys = Object.keys(manifest.contributes.configuration.properties);
const commands = manifest.contributes.commands.map((c) => {
  const key = /^%(.+)%$/.exec(c.title)?.[1];
  const title = key ? nls[key] : c.title;
  assert.ok(title, `${c.command}: no English title for ${c.title} in package.nls.json`);
  return { id: c.command, palette: `${c.category ?? "ATL"}: ${title}` };
});

/** The files this suite keeps honest (the docs of the other parts have their own owners). */
const OWN_DOCS = ["README.md", "CHANGELOG.md", "docs/configuration.md", "docs/security.md", "docs/troubleshooting.md", "docs/architecture.md", "docs/aws-setup.md"];

const temps: string[] = [];
after(() => {
  for (const dir of temps) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `npm run docs:settings -- ARGS` as a user runs it. */
function runScript(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { cwd: root, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A copy of what the generator reads, in a temp folder laid out like the repository. */
function sandbox(edit: (manifest: Manifest & Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "atl-docs-"));
  temps.push(dir);
  mkdirSync(join(dir, "docs"));
  copyFileSync(join(root, "package.nls.json"), join(dir, "package.nls.json"));
  copyFileSync(join(root, "docs", "configuration.md"), join(dir, "docs", "configuration.md"));
  const copy = JSON.parse(read("package.json")) as Manifest & Record<string, unknown>;
  edit(copy);
  writeFileSync(join(dir, "package.json"), JSON.stringify(copy, null, 2));
  return dir;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (fenced || !heading) {
      continue;
    }
    const base = heading[1]
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    anchors.add(seen === 0 ? base : `${base}-${seen}`);
  }
  return anchors;
}

/** Markdown links outside code: [text](target). */
function linksOf(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

describe("docs/configuration.md against package.json", () => {
  it("its generated reference block is up to date (scripts/docs-settings.ts --check)", () => {
    const result = runScript(["--check"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /matches package\.json/);
  });

  it("lists every setting in a table row of its own, with its default", () => {
    const doc = read("docs/configuration.md");
    assert.ok(settingKeys.length >= 28, `expected the full manifest, found ${settingKeys.length} settings`);
    for (const key of settingKeys) {
      assert.match(doc, new RegExp(`^\\| \`${key.replace(/\./g, "\\.")}\` \\|`, "m"), `${key} has no row in docs/configuration.md`);
    }
    assert.match(doc, /^\| `atl\.sqs\.waitTimeSeconds` \| integer \| `20` \| a whole number; 1–20 \|/m);
    assert.match(doc, /^\| `atl\.llm\.provider` \| enum \| `"auto"` \| one of `auto`/m);
  });

  it("lists every command with its id and palette title", () => {
    const doc = read("docs/configuration.md");
    for (const command of commands) {
      assert.ok(doc.includes(`| **${command.palette}** | \`${command.id}\` |`), `${command.id} (${command.palette}) is missing from docs/configuration.md`);
    }
  });

  it("the generator notices a new setting, a changed default and a new command (the check fails until regenerated)", () => {
    const cases: { name: string; edit: (m: Manifest & Record<string, unknown>) => void; expect: RegExp }[] = [
      {
        name: "new setting",
        edit: (m) => {
          m.contributes.configuration.properties["atl.docs.newSetting"] = { type: "boolean", default: false, description: "A setting added after the docs." };
        },
        expect: /\| `atl\.docs\.newSetting` \| boolean \| `false` \| – \| A setting added after the docs\. \|/,
      },
      {
        name: "changed default",
        edit: (m) => {
          (m.contributes.configuration.properties["atl.execution.timeoutSeconds"] as { default: number }).default = 45;
        },
        expect: /\| `atl\.execution\.timeoutSeconds` \| integer \| `45` \|/,
      },
      {
        name: "new command",
        edit: (m) => {
          m.contributes.commands.push({ command: "atl.docsNewCommand", title: "Brand new command", category: "ATL" });
        },
        expect: /\| \*\*ATL: Brand new command\*\* \| `atl\.docsNewCommand` \| yes \| – \|/,
      },
    ];
    for (const { name, edit, expect } of cases) {
      const dir = sandbox(edit);
      const stale = runScript(["--root", dir, "--check"]);
      assert.equal(stale.status, 1, `${name}: --check must fail on a stale page`);
      assert.match(stale.stderr, /out of date .*run `npm run docs:settings`/);
      const written = runScript(["--root", dir]);
      assert.equal(written.status, 0, written.stderr);
      const page = readFileSync(join(dir, "docs", "configuration.md"), "utf8");
      assert.match(page, expect, name);
      // The hand-written text around the block survives regeneration.
      assert.ok(page.startsWith("# Configuration: every setting and command"), name);
      assert.match(page, /## Keeping this page in sync/, name);
      assert.equal(runScript(["--root", dir, "--check"]).status, 0, `${name}: regenerated page passes the check`);
    }
  });
});

describe("README.md", () => {
  const readme = read("README.md");

  it("names every command by its palette title", () => {
    const missing = commands.filter((c) => !readme.includes(c.palette)).map((c) => `${c.palette} (${c.id})`);
    assert.deepEqual(missing, [], "commands missing from the README");
  });

  /** The value flags a CLI subcommand accepts (its VALUE_FLAGS, with the shared LLM flags it spreads in). */
  const cliFlags = (file: string): string[] => {
    const block = /const VALUE_FLAGS = new Set\(\[([\s\S]*?)\]\)/.exec(read(file));
    assert.ok(block, `VALUE_FLAGS not found in ${file}`);
    const flags = [...block[1].matchAll(/"(--[a-z-]+)"/g)].map((m) => m[1]);
    if (block[1].includes("...LLM_FLAGS")) {
      const llm = /export const LLM_FLAGS = \[([\s\S]*?)\]/.exec(read("src/cli/common.ts"));
      assert.ok(llm, "LLM_FLAGS not found in src/cli/common.ts");
      flags.push(...[...llm[1].matchAll(/"(--[a-z-]+)"/g)].map((m) => m[1]));
    }
    return flags;
  };

  it("documents every flag of atl diagnose and its exit codes", () => {
    const flags = cliFlags("src/cli/diagnose.ts");
    assert.ok(flags.length >= 15, `found only ${flags.length} flags`);
    for (const flag of [...flags, "--json", "--quiet"]) {
      assert.ok(readme.includes(flag), `atl diagnose ${flag} is not in the README`);
    }
    for (const code of ["0", "1", "2", "3"]) {
      assert.match(readme, new RegExp(`\\| \`${code}\` \\|`), `exit code ${code} is not in the README's CLI table`);
    }
  });

  it("documents every flag of atl watch", () => {
    const flags = cliFlags("src/cli/watch.ts");
    assert.ok(flags.length >= 12, `found only ${flags.length} flags`);
    const section = readme.slice(readme.indexOf("### `watch`"));
    for (const flag of flags.filter((f) => !f.startsWith("--llm-") && !f.startsWith("--azure-"))) {
      assert.ok(section.includes(flag), `atl watch ${flag} is not in the README's watch section`);
    }
  });

  it("shows a screenshot that exists and stays small", () => {
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(images.length >= 1, "the README has no screenshot");
    for (const image of images) {
      const path = join(root, image);
      assert.ok(existsSync(path), `${image} does not exist`);
      assert.ok(statSync(path).size < 300 * 1024, `${image} is ${statSync(path).size} bytes; keep it under 300 KB`);
    }
  });
});

describe("docs/troubleshooting.md", () => {
  it("has an entry for every AtlError code", () => {
    const source = read("src/shared/errors.ts");
    const union = /export type AtlErrorCode =([\s\S]*?);/.exec(source);
    assert.ok(union, "AtlErrorCode not found in src/shared/errors.ts");
    const codes = [...union[1].matchAll(/"([a-z-]+)"/g)].map((m) => m[1]);
    assert.ok(codes.length >= 20, `found only ${codes.length} codes`);
    const doc = read("docs/troubleshooting.md");
    const missing = codes.filter((code) => !doc.includes(`\`${code}\``));
    assert.deepEqual(missing, [], "AtlError codes without a troubleshooting entry");
  });
});

describe("links between the docs", () => {
  it("every relative link in the README and these docs points at a file (and heading) that exists", () => {
    const problems: string[] = [];
    for (const doc of OWN_DOCS) {
      const text = read(doc);
      for (const link of linksOf(text)) {
        if (/^[a-z]+:/i.test(link)) {
          continue;
        }
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path === "" ? join(root, doc) : resolve(dirname(join(root, doc)), path);
        if (!existsSync(target)) {
          problems.push(`${doc}: ${link} (no such file)`);
          continue;
        }
        if (anchor && target.endsWith(".md") && !anchorsOf(readFileSync(target, "utf8")).has(anchor)) {
          problems.push(`${doc}: ${link} (no such heading)`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
