// Builds every ATL bundle. `node esbuild.mjs [--watch] [--production] [--only name,name]`.
// extension.js stays light (no LangChain): graph.js is required on the first diagnosis only.
import * as esbuild from "esbuild";
import { chmod, stat } from "node:fs/promises";

const args = process.argv.slice(2);
const watch = args.includes("--watch");
const production = args.includes("--production");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? new Set(args[onlyIndex + 1].split(",")) : null;

const EXTENSION_MAX_BYTES = 1024 * 1024;

/** @type {esbuild.BuildOptions} */
const node = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  minify: production,
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  // ssh2 falls back to pure JS without its native addons; vscode is provided by the host.
  external: ["vscode", "cpu-features", "*.node"],
  define: { "process.env.NODE_ENV": production ? '"production"' : '"development"' },
  // LangChain packages ship ESM with import.meta; map it for the CJS bundle.
  banner: { js: "const __atlImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
  mainFields: ["module", "main"],
};
node.define["import.meta.url"] = "__atlImportMetaUrl";

/** @type {Record<string, esbuild.BuildOptions>} */
const bundles = {
  // Always minified (names kept, linked source maps): zod and the AWS SDK alone are ~1.5 MiB unminified.
  extension: { ...node, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", metafile: true, minify: true },
  graph: { ...node, entryPoints: ["src/graph/index.ts"], outfile: "dist/graph.js" },
  cli: {
    ...node,
    entryPoints: ["src/cli.ts"],
    outfile: "dist/cli.js",
    banner: { js: "#!/usr/bin/env node\n" + node.banner.js },
  },
  agent: {
    ...node,
    entryPoints: ["agent/src/server.ts"],
    outfile: "agent/dist/atl-agent.js",
    target: "node18",
    banner: { js: "#!/usr/bin/env node\n" + node.banner.js },
  },
  webview: {
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    sourcemap: "linked",
    sourcesContent: false,
    minify: production,
    legalComments: "none",
    logLevel: "warning",
    entryPoints: { webview: "src/webview/main.ts" },
    outdir: "media",
    loader: { ".css": "css" },
  },
};

/** The light bundle must never pull in LangChain/LangGraph, and must stay small. */
function checkExtensionBundle(result) {
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  const heavy = inputs.filter((p) => /node_modules[\\/](@langchain|langchain|openai)[\\/]/.test(p));
  if (heavy.length > 0) {
    throw new Error(`dist/extension.js must not contain LangChain; it pulled in:\n  ${heavy.slice(0, 5).join("\n  ")}`);
  }
}

async function afterBuild(name, result) {
  if (name === "extension") {
    checkExtensionBundle(result);
    const { size } = await stat("dist/extension.js");
    if (size > EXTENSION_MAX_BYTES) {
      throw new Error(`dist/extension.js is ${size} bytes; the limit is ${EXTENSION_MAX_BYTES}`);
    }
  }
  if (name === "cli" || name === "agent") {
    await chmod(bundles[name].outfile, 0o755);
  }
}

const selected = Object.entries(bundles).filter(([name]) => !only || only.has(name));

if (watch) {
  for (const [name, options] of selected) {
    const ctx = await esbuild.context({
      ...options,
      plugins: [
        {
          name: "atl-after-build",
          setup(build) {
            build.onEnd(async (result) => {
              if (result.errors.length === 0) {
                try {
                  await afterBuild(name, result);
                } catch (error) {
                  console.error(`[${name}] ${error.message}`);
                }
              }
              console.log(`[${name}] rebuilt with ${result.errors.length} error(s)`);
            });
          },
        },
      ],
    });
    await ctx.watch();
  }
  console.log("watching for changes…");
} else {
  await Promise.all(
    selected.map(async ([name, options]) => {
      const result = await esbuild.build(options);
      await afterBuild(name, result);
    }),
  );
}
