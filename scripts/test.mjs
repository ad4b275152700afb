// `npm test`: lint, typecheck, build, then the three test layers —
//   node:   node --test suites (domain + integration against real local services)
//   vscode: mocha inside the real extension host of code-server, driven by headless Chromium
//   e2e:    Playwright against code-server, what a person sees
// `--only node,vscode` runs a subset; `--skip e2e` skips. Prints one closing `N passed, N failed` line.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const pick = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? new Set(args[i + 1].split(",")) : null;
};
const only = pick("--only");
const skip = pick("--skip") ?? new Set();
const filter = args.includes("--grep") ? args[args.indexOf("--grep") + 1] : null;
const wanted = (stage) => (!only || only.has(stage)) && !skip.has(stage);

/** Runs a command, streaming its output, and collects `# pass N` / `# fail N` style counts. */
function run(command, commandArgs, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    let tail = "";
    const onData = (stream) => (chunk) => {
      stream.write(chunk);
      tail = (tail + chunk.toString()).slice(-20000);
    };
    child.stdout.on("data", onData(process.stdout));
    child.stderr.on("data", onData(process.stderr));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), tail }));
  });
}

async function findTests(dir) {
  let entries;
  try {
    entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
    .filter((f) => !filter || f.includes(filter))
    .sort();
}

/** Counts from a runner's own summary lines: node:test (`# pass N`), mocha (`N passing`). */
function counts(tail) {
  const num = (re) => {
    const all = [...tail.matchAll(re)];
    return all.length > 0 ? Number(all[all.length - 1][1]) : null;
  };
  const pass = num(/^# pass (\d+)/gm) ?? num(/^ℹ pass (\d+)/gm) ?? num(/(\d+) passing/g) ?? num(/^(\d+) passed, \d+ failed/gm);
  const fail = num(/^# fail (\d+)/gm) ?? num(/^ℹ fail (\d+)/gm) ?? num(/(\d+) failing/g) ?? num(/^\d+ passed, (\d+) failed/gm);
  return { pass, fail };
}

const results = [];
async function stage(name, fn) {
  if (!wanted(name)) {
    return;
  }
  const started = Date.now();
  console.log(`\n━━━ ${name} ━━━`);
  const { code, tail } = await fn();
  const { pass, fail } = counts(tail ?? "");
  results.push({ name, ok: code === 0, pass, fail, seconds: (Date.now() - started) / 1000 });
}

await stage("lint", () => run("npx", ["eslint", "--max-warnings", "0", "."]));
await stage("typecheck", async () => {
  for (const project of [".", "src/webview", "agent"]) {
    const r = await run("npx", ["tsc", "-p", project, "--noEmit"]);
    if (r.code !== 0) {
      return r;
    }
  }
  return { code: 0 };
});
await stage("build", () => run("node", ["esbuild.mjs"]));
await stage("node", async () => {
  const files = [...(await findTests("test/unit")), ...(await findTests("test/integration")), ...(await findTests("agent/test"))];
  if (files.length === 0) {
    console.log("no node test files found");
    return { code: 1, tail: "" };
  }
  return run("node", ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files]);
});
await stage("vscode", () => run("node", ["scripts/vscode-test.mjs"]));
await stage("e2e", () => run("node", ["scripts/e2e.mjs"]));

console.log("\n━━━ summary ━━━");
let passed = 0;
let failed = 0;
for (const r of results) {
  const detail = r.pass === null ? "" : ` (${r.pass} passed, ${r.fail ?? 0} failed)`;
  console.log(`${r.ok ? "✔" : "✘"} ${r.name}${detail} in ${r.seconds.toFixed(1)} s`);
  if (r.pass === null) {
    if (r.ok) {
      passed++;
    } else {
      failed++;
    }
  } else {
    passed += r.pass;
    failed += r.fail ?? 0;
    if (!r.ok && !r.fail) {
      failed++;
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
