// Renders media/atl-logo.svg to media/atl.png (the 128×128 Marketplace icon) with headless
// Chromium, so the PNG always matches the SVG. Run after editing the logo, then commit the PNG:
//   node scripts/render-icon.mjs
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = new URL("..", import.meta.url).pathname;
const source = join(root, "media", "atl-logo.svg");
const target = join(root, "media", "atl.png");
const SIZE = 128;

const svg = await readFile(source, "utf8");
// Chromium writes its profile into $HOME unless told otherwise.
const home = await mkdtemp(join(tmpdir(), "atl-icon-"));
const browser = await chromium.launch({
  executablePath: process.env.ATL_CHROMIUM ?? "/usr/bin/chromium",
  env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_CACHE_HOME: join(home, ".cache") },
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:transparent"><img src="${dataUrl}" width="${SIZE}" height="${SIZE}" style="display:block"></body></html>`,
  );
  await page.locator("img").evaluate((img) => img.decode());
  const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
  await writeFile(target, png);
  console.log(`wrote media/atl.png (${SIZE}×${SIZE}, ${png.length} bytes)`);
} finally {
  await browser.close();
  await rm(home, { recursive: true, force: true });
}
