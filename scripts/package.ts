// `npm run package`: production bundles, then a VSIX with @vscode/vsce in dist-vsix/.
// Dependencies are bundled by esbuild, so the VSIX ships no node_modules (--no-dependencies);
// .vscodeignore keeps it to dist/, media/, l10n/, the manifest, README, CHANGELOG and LICENSE.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const { name, version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
const out = join("dist-vsix", `${name}-${version}.vsix`);

/** Runs one step with its output shown; a failure ends the packaging with its status. */
function step(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    process.stderr.write(`package: \`${command} ${args.join(" ")}\` failed (${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

step(process.execPath, ["esbuild.mjs", "--production"]);
// The old `vsce package --out dist-vsix/` wrote a file of that name when the folder was missing.
if (existsSync(join(root, "dist-vsix")) && !statSync(join(root, "dist-vsix")).isDirectory()) {
  rmSync(join(root, "dist-vsix"));
}
mkdirSync(join(root, "dist-vsix"), { recursive: true });
step(process.execPath, [join(root, "node_modules", "@vscode", "vsce", "vsce"), "package", "--no-dependencies", "--out", out]);
process.stdout.write(`package: ${out} (${(statSync(join(root, out)).size / 1024 / 1024).toFixed(2)} MiB)\n`);
