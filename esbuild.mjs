// Builds every ATL bundle. `node esbuild.mjs [--watch] [--production] [--only name,name]`.
// extension.js stays light (no LangChain, no AWS SDK): graph.js is required on the first diagnosis,
// sqs.js (the AWS SDK and the SQS consumer) when a window starts polling or tests a queue.
import * as esbuild from "esbuild";
import { chmod, stat } from "node:fs/promises";

const args = process.argv.slice(2);
const watch = args.includes("--watch");
const production = args.includes("--production");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? new Set(args[onlyIndex + 1].split(",")) : null;
// extension.js requires sqs.js when polling starts: building one without the other would ship a stale client.
if (only?.has("extension")) {
  only.add("sqs");
}

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

/**
 * Every `import * as vscode from "vscode"` becomes `__toESM(require("vscode"))`, which copies the
 * ~200 exports of the API object: 23 modules did it at activation. Routing them through one
 * `export * from "vscode"` module copies them once (same getters, same semantics).
 * @type {esbuild.Plugin}
 */
const vscodeOnce = {
  name: "atl-vscode-once",
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === "atl-vscode-once" ? { path: "vscode", external: true } : { path: "vscode", namespace: "atl-vscode-once" },
    );
    build.onLoad({ filter: /.*/, namespace: "atl-vscode-once" }, () => ({ contents: 'export * from "vscode";', loader: "js" }));
  },
};

/** @type {Record<string, esbuild.BuildOptions>} */
const bundles = {
  // Always minified (names kept, linked source maps): zod and the AWS SDK alone are ~1.5 MiB unminified.
  extension: { ...node, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", metafile: true, minify: true, plugins: [vscodeOnce] },
  // The AWS SDK is ~300 KiB minified; loaded in the editor when polling starts.
  sqs: { ...node, entryPoints: ["src/sqs/index.ts"], outfile: "dist/sqs.js", minify: true },
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

/** The light bundle must never pull in LangChain/LangGraph or the AWS SDK, and must stay small. */
function checkExtensionBundle(result) {
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  const heavy = inputs.filter((p) => /node_modules[\\/](@langchain|langchain|openai|@aws-sdk|@smithy)[\\/]/.test(p));
  if (heavy.length > 0) {
    throw new Error(`dist/extension.js must not contain LangChain or the AWS SDK (they load lazily from graph.js and sqs.js); it pulled in:\n  ${heavy.slice(0, 5).join("\n  ")}`);
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
        ...(options.plugins ?? []),
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
