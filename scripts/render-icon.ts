// Renders media/atl-logo.svg to media/atl.png (the 128×128 Marketplace icon) with headless
// Chromium, so the PNG always matches the SVG. Run after editing the logo, then commit the PNG:
//   node --import tsx scripts/render-icon.ts
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { toolPaths } from "./lib/setup";

const root = resolve(import.meta.dirname, "..");
const source = join(root, "media", "atl-logo.svg");
const target = join(root, "media", "atl.png");
const SIZE = 128;

async function main(): Promise<void> {
  const svg = await readFile(source, "utf8");
  // Chromium writes its profile into $HOME unless told otherwise.
  const home = await mkdtemp(join(tmpdir(), "atl-icon-"));
  const browser = await chromium.launch({
    executablePath: toolPaths.chromium,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_CACHE_HOME: join(home, ".cache") },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
    const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:transparent"><img src="${dataUrl}" width="${SIZE}" height="${SIZE}" style="display:block"></body></html>`,
    );
    // A string: this project is typed without the DOM library.
    await page.locator("img").evaluate("(img) => img.decode()");
    const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
    await writeFile(target, png);
    process.stdout.write(`wrote media/atl.png (${SIZE}×${SIZE}, ${png.length} bytes)\n`);
  } finally {
    await browser.close();
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`render-icon: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
