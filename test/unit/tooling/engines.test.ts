// package.json's engines.node tells the truth: every package `npm ci` installs (the extension's and
// the agent's lockfiles, dev dependencies included) runs on the lowest Node it states, and the
// README names that version. .npmrc's engine-strict makes `npm ci` refuse a Node below it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import semver from "semver";
import { minimumNode, repoRoot } from "../../../scripts/lib/setup";

interface Lockfile {
  packages: Record<string, { version?: string; engines?: unknown; dev?: boolean }>;
}

const read = <T>(path: string): T => JSON.parse(readFileSync(join(repoRoot, path), "utf8")) as T;
const manifest = read<{ engines: { node: string } }>("package.json");

/** Installed packages whose engines.node does not admit `node`: "name@version (range)". */
function refusing(lockfile: string, node: string): string[] {
  const lock = read<Lockfile>(lockfile);
  return Object.entries(lock.packages)
    .filter(([path]) => path !== "")
    .flatMap(([path, entry]) => {
      const engines = entry.engines;
      const range = engines && typeof engines === "object" && !Array.isArray(engines) ? (engines as { node?: unknown }).node : undefined;
      if (typeof range !== "string" || semver.validRange(range) === null || semver.satisfies(node, range)) {
        return [];
      }
      return [`${path.replace(/^.*node_modules\//, "")}@${entry.version ?? "?"} (node ${range})`];
    });
}

void describe("engines.node", () => {
  const lowest = semver.minVersion(manifest.engines.node)?.version ?? "";

  void it("is a lower bound the setup can check", () => {
    assert.match(manifest.engines.node, /^>=\d+\.\d+$/);
    assert.deepEqual(minimumNode(), lowest.split(".").slice(0, 2).map(Number));
  });

  void it("every package in package-lock.json runs on it", () => {
    assert.deepEqual(refusing("package-lock.json", lowest), [], `engines.node is ${manifest.engines.node}`);
  });

  void it("every package in agent/package-lock.json runs on the agent's own engines.node", () => {
    const agent = read<{ engines: { node: string } }>("agent/package.json");
    assert.deepEqual(refusing("agent/package-lock.json", semver.minVersion(agent.engines.node)?.version ?? ""), []);
  });

  void it("npm refuses a Node below it (engine-strict), and the README says which Node", () => {
    assert.match(readFileSync(join(repoRoot, ".npmrc"), "utf8"), /^engine-strict=true$/m);
    const [major, minor] = minimumNode();
    assert.match(readFileSync(join(repoRoot, "README.md"), "utf8"), new RegExp(`Node ${major}\\.${minor} or later`));
  });
});
