// The setup `npm test`, `npm run demo` and .ci/run share (scripts/lib/setup.ts), run as a user runs
// it: for someone who is not root and lacks a Debian package, `npm test` and `npm run demo` stop
// within seconds — before any suite or service starts — with the one apt-get command to run.
// As root, with everything installed, it is a quick no-op. The command line says what is wrong
// with its arguments instead of crashing.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { aptPackages, missingAptPackages, repoRoot } from "../../../scripts/lib/setup";

interface Run {
  code: number | null;
  output: string;
  seconds: number;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

const asRoot = process.getuid?.() === 0;

void describe("setup", () => {
  const dir = mkdtempSync(join(tmpdir(), "atl-setup-"));
  chmodSync(dir, 0o755);
  after(() => rmSync(dir, { recursive: true, force: true }));
  // A list with one package no machine has: as if openssh-server were missing on a new machine.
  const list = join(dir, "apt-packages.txt");
  writeFileSync(list, "# test list\nprocps\natl-test-no-such-package   # missing on purpose\n");
  chmodSync(list, 0o644);
  /** `node --import tsx SCRIPT` as the unprivileged user `nobody` (tsx keeps its cache per user). */
  const asNobody = (script: string, args: string[] = []) =>
    run("runuser", ["-u", "nobody", "--", process.execPath, "--import", "tsx", script, ...args], { ATL_APT_PACKAGES_FILE: list, HOME: dir });

  void it("reads .ci/apt-packages.txt without its comments, and finds what dpkg lacks", () => {
    const packages = aptPackages();
    assert.ok(packages.includes("openssh-server") && packages.includes("fonts-nanum") && packages.includes("chromium"), packages.join(" "));
    assert.ok(packages.every((name) => /^[a-z0-9][a-z0-9.+-]+$/.test(name)), packages.join(" "));
    assert.deepEqual(missingAptPackages(["procps", "atl-test-no-such-package"]), ["atl-test-no-such-package"]);
  });

  void it("npm test, not as root, with a package missing: the one command, in seconds, before any suite", { skip: !asRoot && "needs root to run as nobody" }, async () => {
    const r = await asNobody("scripts/test.ts");
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /missing Debian packages: atl-test-no-such-package\./);
    assert.match(r.output, /^ {2}sudo apt-get update && sudo apt-get install -y --no-install-recommends atl-test-no-such-package$/m);
    assert.match(r.output, /npm test stopped before running any test/);
    assert.match(r.output, /^0 passed, 1 failed$/m);
    assert.doesNotMatch(r.output, /━━━ (lint|unit|integration|vscode|e2e) ━━━/, "no stage started");
    assert.ok(r.seconds < 30, `took ${r.seconds.toFixed(1)} s`);
  });

  void it("npm run demo, not as root, with a package missing: the same command, and nothing started", { skip: !asRoot && "needs root to run as nobody" }, async () => {
    const r = await asNobody("scripts/demo.ts", ["--no-browser"]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /sudo apt-get install -y --no-install-recommends atl-test-no-such-package/);
    assert.doesNotMatch(r.output, /emulator|agent|esbuild/i, "nothing built or started");
    assert.ok(r.seconds < 30, `took ${r.seconds.toFixed(1)} s`);
  });

  void it("as root with everything installed it is a no-op that says ready", { skip: !asRoot && "needs root" }, async () => {
    const r = await run(process.execPath, ["--import", "tsx", "scripts/setup.ts"]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /^setup: ready/m);
    assert.doesNotMatch(r.output, /installing/);
  });

  void it("npm test -- --only without a value, or an unknown stage: a usage error, exit 2", async () => {
    for (const args of [["--only"], ["--only", "--skip", "e2e"], ["--skip", "nodes"], ["--grep"], ["--frobnicate"]]) {
      const r = await run(process.execPath, ["--import", "tsx", "scripts/test.ts", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.output}`);
      assert.match(r.output, /^npm test: .*\n\nUsage: npm test/m, args.join(" "));
    }
  });
});
