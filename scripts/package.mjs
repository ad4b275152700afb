// `npm run package`: production bundles, then a VSIX with @vscode/vsce in dist-vsix/.
// Dependencies are bundled by esbuild, so the VSIX ships no node_modules (--no-dependencies);
// .vscodeignore keeps it to dist/, media/, l10n/, the manifest, README, CHANGELOG and LICENSE.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { name, version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const out = join("dist-vsix", `${name}-${version}.vsix`);

function step(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`package: \`${command} ${args.join(" ")}\` failed (${result.status ?? result.signal})`);
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
console.log(`package: ${out} (${(statSync(join(root, out)).size / 1024 / 1024).toFixed(2)} MiB)`);
