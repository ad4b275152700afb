// Packages the freshly built extension (dist/ as `npm run demo` just built it) into a VSIX in a
// folder of the demo's, with the same vsce call as `npm run package` minus its production build,
// so concurrent `npm run package` runs and the demo never overwrite each other's file.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../test/helpers/codeServer";
import type { Part } from "./lifecycle";

export interface Packaging extends Part {
  /** Resolves with the VSIX path. */
  done: Promise<string>;
}

export function packageVsix(outDir: string): Packaging {
  const { name, version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string; version: string };
  for (const bundle of ["dist/extension.js", "dist/graph.js", "media/webview.js"]) {
    if (!existsSync(join(repoRoot, bundle))) {
      throw new Error(`${bundle} is missing: build first (npm run demo does: node esbuild.mjs).`);
    }
  }
  const out = join(outDir, `${name}-${version}.vsix`);
  const child = spawn(process.execPath, [join(repoRoot, "node_modules", "@vscode", "vsce", "vsce"), "package", "--no-dependencies", "--out", out], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0 && existsSync(out)) {
        resolve(out);
      } else {
        reject(new Error(`vsce package failed (${code ?? signal}):\n${output.trim()}`));
      }
    });
  });
  // Awaited by the start-up; this keeps a failure while start-up is elsewhere from going unhandled.
  done.catch(() => undefined);
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    name: "vsce package",
    done,
    stop: async () => {
      if (running()) {
        child.kill("SIGTERM");
        await done.catch(() => undefined);
      }
    },
    kill: () => {
      if (running()) {
        child.kill("SIGKILL");
      }
    },
  };
}
