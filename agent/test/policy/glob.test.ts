// Path patterns expanded the way bash expands them, on a real directory tree: dot files, sorting,
// brackets and classes, directories only, no match, limits; and the policy's expand step: every
// name checked again (a file named -rf or id_rsa cannot slip through), the expanded argv run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCommandPolicy, type DirectoryReader } from "../../src/policy";
import { GlobBudget, MAX_GLOB_MATCHES, componentRegex, expandPattern, hostDirectoryReader } from "../../src/policy/glob";

let root = "";
let reader: DirectoryReader;

const FILES = ["a.log", "b.log", "B.txt", "c1", "c2", "c10", ".hidden", ".env", "-rf", "--exec=id", "with space", "tab\there", "new\nline", "[x]", "x", "é.log", "dir/sub/deep.log", "dir/f.log", "dir2/f.log", ".dotdir/f.log", "keys/id_rsa", "keys/id_rsa.pub"];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "atl-glob-"));
  for (const file of FILES) {
    await mkdir(join(root, file, ".."), { recursive: true });
    await writeFile(join(root, file), "x\n");
  }
  await mkdir(join(root, "emptydir"));
  await symlink(join(root, "dir"), join(root, "linkdir"));
  await symlink(join(root, "nowhere"), join(root, "dangling"));
  reader = hostDirectoryReader(root);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const expand = (pattern: string, r: DirectoryReader = reader): Promise<string[]> => expandPattern(pattern, r, new GlobBudget());

/** What bash itself expands the pattern to (in the same directory, C.UTF-8 collation), one name per NUL. */
function bash(pattern: string): string[] {
  const out = execFileSync("bash", ["-c", `shopt -s nullglob; cd "$1" && for f in ${pattern}; do printf '%s\\0' "$f"; done`, "bash", root], { env: { PATH: "/usr/bin:/bin", LC_ALL: "C.UTF-8" } });
  return out.toString("utf8").split("\0").slice(0, -1);
}

void describe("expandPattern", () => {
  void it("matches like bash: *, ?, brackets, classes, ranges, negation, dot files only when asked, sorted", async () => {
    const patterns = ["*", "*.log", "?", "c?", "c*", "[ab].log", "[!a]*", "[^a-c]*", "[[:digit:]]*", "c[[:digit:]]", "c[0-9][0-9]", ".*", ".?*", "*/", "*/*.log", "*/*/*.log", "d*/", "[]x]", "\\[x\\]", "[[]x]", "*[[]*", "*[[:space:]]*", "é*", "*e*", "[z-a]*", "*.[lt][ox][gt]", "linkdir/*", "keys/*"];
    for (const pattern of patterns) {
      assert.deepEqual(await expand(pattern), bash(pattern), pattern);
    }
  });

  void it("expands absolute patterns to absolute names", async () => {
    assert.deepEqual(await expand(`${root}/dir/*`), [`${root}/dir/f.log`, `${root}/dir/sub`]);
    assert.deepEqual(await expand(`${root}/*/f.log`), [`${root}/dir/f.log`, `${root}/dir2/f.log`, `${root}/linkdir/f.log`]);
    assert.deepEqual(await expand(`${root}/d*/`), [`${root}/dir/`, `${root}/dir2/`]);
  });

  void it("returns nothing for a pattern that matches nothing (the word then stays as written)", async () => {
    assert.deepEqual(await expand("*.gz"), []);
    assert.deepEqual(await expand("nodir/*"), []);
    assert.deepEqual(await expand("emptydir/*"), []);
    assert.deepEqual(await expand("x*/missing"), []);
    // An unclosed bracket is no pattern to bash; as a literal name that does not exist it matches nothing here too.
    assert.deepEqual(await expand("[x"), []);
  });

  void it("checks a literal last component exists (a dangling symlink does), as bash does", async () => {
    assert.deepEqual(await expand("*/f.log"), ["dir/f.log", "dir2/f.log", "linkdir/f.log"]);
    assert.deepEqual(await expand("dang*"), ["dangling"]);
  });

  void it("refuses to produce more names, or read more directories, than the bounds", async () => {
    const many: DirectoryReader = {
      cwd: "/",
      list: () => Promise.resolve(Array.from({ length: MAX_GLOB_MATCHES + 1 }, (_, k) => ({ name: `f${k}`, directory: true }))),
      exists: () => Promise.resolve(true),
    };
    await assert.rejects(expand("/*", many), /match more than 4096 names/);
    await assert.rejects(expand("/*/*", many), /read more than 256 directories/);
  });

  void it("compiles bracket expressions without letting a name escape into regex syntax", () => {
    assert.ok(componentRegex("[.]*").test(".x"));
    assert.ok(componentRegex("a\\*").test("a*"));
    assert.ok(!componentRegex("a\\*").test("ab"));
    assert.ok(componentRegex("(x)|y").test("(x)|y"));
    assert.ok(!componentRegex("(x)|y").test("y"));
    assert.ok(componentRegex("[\\]]").test("]"));
    // A class holding "[" is not an empty class (the fuzzer's "uptime -[[]" made an invalid regex).
    assert.ok(componentRegex("-[[]").test("-["));
    assert.ok(componentRegex("[[]x]").test("[x]"));
    assert.ok(!componentRegex("[z-a]").test("z"));
    assert.ok(componentRegex("[!z-a]").test("z"));
    assert.equal(createCommandPolicy().check("uptime -[[]").decision, "refused");
  });
});

void describe("CommandPolicy.expand", () => {
  const policy = createCommandPolicy();

  async function run(command: string): Promise<{ decision: string; argv: string[][]; reason: string; rule: string }> {
    const checked = policy.check(command);
    assert.equal(checked.decision, "allowed", `${command}: ${checked.reason}`);
    const d = await policy.expand(checked, reader);
    return { decision: d.decision, argv: (d.program?.steps ?? []).flatMap((s) => s.pipeline.stages.map((st) => st.argv)), reason: d.reason, rule: d.rule };
  }

  void it("runs the expanded names and keeps an unmatched pattern as written", async () => {
    assert.deepEqual((await run("ls -l *.log missing*")).argv, [["ls", "-l", "a.log", "b.log", "é.log", "missing*"]]);
    assert.deepEqual((await run(`du -sh ${root}/dir* 2>/dev/null | sort -rh | head`)).argv, [["du", "-sh", `${root}/dir`, `${root}/dir2`], ["sort", "-rh"], ["head"]]);
  });

  void it("writes a name that would read as an option as ./name", async () => {
    const d = await run("ls -- *");
    assert.ok(d.argv[0].includes("./-rf") && d.argv[0].includes("./--exec=id"), JSON.stringify(d.argv));
    assert.ok(!d.argv[0].includes("-rf"));
  });

  void it("checks every expanded name again: a secret among them refuses the command", async () => {
    const d = await run("cat keys/*");
    assert.equal(d.decision, "refused");
    assert.equal(d.rule, "refuse:sensitive-path:cat");
    assert.match(d.reason, /id_rsa/);
    // Naming a key is refused for every program, even one that only lists it; the public half is fine.
    assert.equal((await run("ls -l keys/*")).decision, "refused");
    assert.deepEqual((await run("cat keys/*.pub")).argv, [["cat", "keys/id_rsa.pub"]]);
  });

  void it("zgrep refuses a name with a newline that a pattern found (CVE-2022-1271); other programs get it as one argument", async () => {
    const z = await run("zgrep x new*");
    assert.equal(z.decision, "refused");
    assert.equal(z.rule, "refuse:args:zgrep:newline");
    assert.match(z.reason, /CVE-2022-1271/);
    assert.deepEqual((await run("grep x new*")).argv, [["grep", "x", "new\nline"]]);
    assert.deepEqual((await run("zgrep x *.log")).argv, [["zgrep", "x", "a.log", "b.log", "é.log"]]);
  });

  void it("leaves a decision without patterns unchanged, and refuses when the bounds are passed", async () => {
    const plain = policy.check("uptime");
    assert.equal(await policy.expand(plain, reader), plain);
    const many: DirectoryReader = { cwd: "/", list: () => Promise.resolve(Array.from({ length: 5000 }, (_, k) => ({ name: `f${k}`, directory: false }))), exists: () => Promise.resolve(true) };
    const d = await policy.expand(policy.check("ls /x/*"), many);
    assert.equal(d.decision, "refused");
    assert.equal(d.rule, "refuse:glob");
    assert.equal(d.program, null);
    assert.equal(d.segments[0].rule, "refuse:glob");
  });

  void it("expands the sampled stage's patterns and keeps the sampling bound", async () => {
    const d = await run("iostat -x 1 | grep -E *.log");
    assert.deepEqual(d.argv, [["iostat", "-x", "1", "6"], ["grep", "-E", "a.log", "b.log", "é.log"]]);
  });
});
