// `npm run package` gives the VSIX a user installs: only the bundles, media, l10n, the manifest,
// README, CHANGELOG and LICENSE; and that VSIX installs into code-server and activates there.
import * as assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { extensionId, manifest, nls, openAtl, vsixUnderTest, waitForActivation, type AtlSession } from "./harness";
import { zipEntries, zipRead } from "./zip";

const ALLOWED = [
  /^dist\/(extension|sqs|graph|cli)\.js(\.map)?$/,
  /^media\/[^/]+$/,
  /^media\/walkthrough\/[\w-]+(\.nls\.[\w-]+)?\.(md|svg|png)$/,
  /^l10n\/bundle\.l10n(\.[\w-]+)?\.json$/,
  /^package\.json$/,
  /^package\.nls(\.[\w-]+)?\.json$/,
  /^readme\.md$/i,
  /^changelog\.md$/i,
  /^license(\.txt|\.md)?$/i,
];
const REQUIRED = [
  "dist/extension.js",
  "dist/sqs.js",
  "dist/graph.js",
  "dist/cli.js",
  "dist/extension.js.map",
  "package.json",
  "package.nls.json",
  "media/atl.png",
  "media/atl.svg",
  "media/webview.js",
];

void describe("npm run package", { timeout: 600_000 }, () => {
  const vsix = vsixUnderTest();
  const entries = zipEntries(vsix);
  const files = entries.filter((e) => e.name.startsWith("extension/")).map((e) => e.name.slice("extension/".length));
  let session: AtlSession | undefined;

  after(async () => {
    await session?.stop();
  });

  void it("ships only dist bundles, media, l10n, the manifest, README, CHANGELOG and LICENSE", (t) => {
    t.diagnostic(`${vsix}: ${files.length} files`);
    const outside = entries.map((e) => e.name).filter((name) => !name.startsWith("extension/"));
    assert.deepEqual(outside.sort(), ["[Content_Types].xml", "extension.vsixmanifest"]);
    const unexpected = files.filter((file) => !ALLOWED.some((re) => re.test(file)));
    assert.deepEqual(unexpected, [], `files that must not ship: ${unexpected.join(", ")}`);
    for (const folder of ["src/", "test/", "node_modules/", "agent/", "scripts/", "bench/", ".vscode-test/", "dist-vsix/"]) {
      assert.ok(!files.some((file) => file.startsWith(folder)), `${folder} must not ship`);
    }
  });

  void it("ships what ATL needs at run time, README, CHANGELOG and LICENSE", () => {
    const lower = new Set(files.map((f) => f.toLowerCase()));
    // Every page and image the walkthrough shows, as the manifest names them, and the Korean pages.
    const named = JSON.stringify(manifest.contributes).match(/media\/walkthrough\/[\w-]+\.(md|svg|png)/g) ?? [];
    const walkthroughMedia = named.flatMap((file) => (file.endsWith(".md") ? [file, file.replace(/\.md$/, ".nls.ko.md")] : [file]));
    assert.ok(walkthroughMedia.length > 0, "the manifest names its walkthrough pages");
    const missing = [...REQUIRED, ...walkthroughMedia].filter((file) => !files.includes(file));
    assert.deepEqual(missing, [], `missing from the VSIX: ${missing.join(", ")}`);
    assert.ok(lower.has("readme.md"), "README.md is missing (vsce packs it when the repository has one)");
    assert.ok(lower.has("changelog.md"), "CHANGELOG.md is missing");
    assert.ok(lower.has("license.txt") || lower.has("license") || lower.has("license.md"), "LICENSE is missing");
    const extensionJs = entries.find((e) => e.name === "extension/dist/extension.js");
    assert.ok(extensionJs && extensionJs.size <= 1024 * 1024, `dist/extension.js is ${extensionJs?.size} bytes; the budget is 1 MiB`);
  });

  void it("carries the manifest the Marketplace shows", () => {
    const packaged = JSON.parse(zipRead(vsix, "extension/package.json").toString("utf8")) as typeof manifest & {
      main: string;
      icon: string;
      license: string;
      engines: { vscode: string };
      displayName: string;
    };
    assert.equal(`${packaged.publisher}.${packaged.name}`, extensionId);
    assert.equal(packaged.version, manifest.version);
    assert.equal(packaged.main, "./dist/extension.js");
    assert.equal(packaged.icon, "media/atl.png");
    assert.equal(packaged.license, "MIT");
    assert.match(packaged.engines.vscode, /^\^1\.(1\d\d|[2-9]\d\d)\./);
    // The PNG icon really is a 128×128 PNG.
    const png = zipRead(vsix, "extension/media/atl.png");
    assert.equal(png.toString("ascii", 1, 4), "PNG");
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    const vsixManifest = zipRead(vsix, "extension.vsixmanifest").toString("utf8");
    assert.match(vsixManifest, new RegExp(`<Identity[^>]*Id="${manifest.name}"[^>]*Version="${manifest.version.replace(/\./g, "\\.")}"[^>]*Publisher="${manifest.publisher}"`));
  });

  void it("installs into code-server (--install-extension) and activates there", async (t) => {
    session = await openAtl("package");
    assert.ok(session.server.installedExtensions().includes(`${extensionId}@${manifest.version}`), session.server.installedExtensions().join(", "));
    const installedDir = join(session.server.dirs.extensions, `${extensionId}-${manifest.version}`);
    assert.ok(existsSync(join(installedDir, "dist", "extension.js")), `${installedDir}/dist/extension.js`);
    await session.workbench.openAtlContainer();
    await session.workbench.viewPane(nls["view.alarms"]).waitFor({ state: "visible" });
    const line = await waitForActivation(session.server);
    t.diagnostic(line);
    await session.workbench.screenshot("package-installed-activated");
  });
});
