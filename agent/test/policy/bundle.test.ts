// The policy ships inside single-file bundles (agent/dist/atl-agent.js runs with plain node on a
// server without node_modules): it must bundle with esbuild and work with nothing else on disk.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as esbuild from "esbuild";

const root = join(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "atl-policy-bundle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe("policy bundle", () => {
  void it("bundles into one CommonJS file for node 18 that decides with no node_modules around", async () => {
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      `import { createCommandPolicy, renderProgram } from ${JSON.stringify(join(root, "agent/src/policy"))};
const policy = createCommandPolicy();
const ok = policy.check("ps aux --sort=-%cpu | head -n 5");
const bad = policy.check("rm -rf /");
process.stdout.write(JSON.stringify({ ok: ok.decision, line: renderProgram(ok.program!), bad: bad.rule }));`,
    );
    const outfile = join(dir, "out", "policy.cjs");
    await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", target: "node18", logLevel: "silent" });
    const r = spawnSync(process.execPath, [outfile], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { ok: "allowed", line: "'ps' 'aux' '--sort=-%cpu' | 'head' '-n' '5'", bad: "refuse:mutating:rm" });
  });
});
