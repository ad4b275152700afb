// Activation benchmark (issue 9, item 5): the sizes of dist/extension.js (loaded at activation) and
// dist/graph.js (LangChain + the graph, loaded on the first diagnosis); the time to `require` each
// in fresh Node processes with a stubbed `vscode` module (median of N); and ATL's activation time
// inside a real VS Code (code-server), as the extension itself logs it (`ATL activated in N ms`).
//
//   node --import tsx bench/activation.ts [--processes 10] [--code-server-runs 3]
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchResult } from "./report";
import { runProcess } from "../test/helpers/process";
import { flag, runAlone } from "./measure";
import { isCodeServerReady } from "../scripts/lib/setup";

export interface ActivationBenchOptions {
  /** Fresh Node processes per bundle for the require time (median). Default 10. */
  processes?: number;
  /** Fresh code-server starts for the in-editor activation time (median); 0 skips it. Default 3. */
  codeServerRuns?: number;
}

const root = join(import.meta.dirname, "..");
export const EXTENSION_BUNDLE = join(root, "dist", "extension.js");
export const GRAPH_BUNDLE = join(root, "dist", "graph.js");
const REQUIRE_TARGET_MS = 60;
/** The limit esbuild.mjs enforces and the packaging test checks. */
const EXTENSION_MAX_KIB = 1024;

/**
 * The names the `vscode` module exports, from @types/vscode. The bundles import it through
 * esbuild's interop helper, which copies own properties: a bare Proxy would look empty.
 */
async function vscodeExportNames(): Promise<string[]> {
  const dts = await readFile(join(root, "node_modules", "@types", "vscode", "index.d.ts"), "utf8");
  const names = new Set<string>();
  for (const match of dts.matchAll(/^\texport (?:class|enum|namespace|const|function|let) ([A-Za-z_$][\w$]*)/gm)) {
    names.add(match[1]);
  }
  if (names.size < 50) {
    throw new Error("could not read the vscode API names from node_modules/@types/vscode/index.d.ts (run npm ci)");
  }
  return [...names];
}

/**
 * Preloaded with `--require`: answers `require("vscode")` with an object whose every export is a
 * callable, constructible, extensible stub, so module-level code (`class X extends vscode.TreeItem`,
 * `new vscode.EventEmitter()`) runs as in the editor without doing anything.
 */
function stubModule(names: string[]): string {
  return `"use strict";
const Module = require("node:module");
function stub() {
  const target = function () {};
  return new Proxy(target, {
    get(t, p) {
      if (p === "then") return undefined;
      if (p === Symbol.toPrimitive) return () => "";
      if (p === "prototype") return t.prototype;
      return stub();
    },
    apply() { return stub(); },
    construct() { return stub(); },
  });
}
const vscode = {};
for (const name of ${JSON.stringify(names)}) vscode[name] = stub();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  return request === "vscode" ? vscode : load.call(this, request, parent, isMain);
};
`;
}

// The measured process: wall and CPU time of the require alone (Node's own start is not counted).
const MEASURE = `
const bundle = process.argv[1];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
require(bundle);
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
process.exit(0);
`;

interface RequireSample {
  wallMs: number;
  cpuMs: number;
}

async function requireOnce(stubFile: string, bundle: string): Promise<RequireSample> {
  const { code, stdout, stderr } = await runProcess(process.execPath, ["--require", stubFile, "-e", MEASURE, bundle], {
    // The bundles' own switches stay off: no tracing, no AWS lookups.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), AWS_EC2_METADATA_DISABLED: "true", LANGSMITH_TRACING: "false" },
  });
  if (code !== 0) {
    // A minified bundle prints its whole source line: keep only the error itself.
    const error = stderr.split("\n").find((l) => /^\w*Error\b/.test(l)) ?? stderr.slice(-300);
    throw new Error(`require(${bundle}) failed with a stubbed vscode module: ${error}`);
  }
  return JSON.parse(stdout) as RequireSample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** True when the setup (`npm run setup`) has installed code-server and Node 24 (its stamps). */
export function codeServerInstalled(): boolean {
  return isCodeServerReady();
}

interface EditorActivation {
  /** ATL's own figure: activate() from its first line to the end. */
  activateMs: number;
  /** From the extension host starting ATL's activation (its log) to ATL's line: loading the bundle + activate(). */
  fromStartMs: number | null;
}

/** `2026-11-25 06:18:43.008` in a VS Code log, as epoch ms (both logs use the same local clock). */
function logTime(stamp: string): number {
  const [date, time] = stamp.split(" ");
  const [y, mo, d] = date.split("-").map(Number);
  const [h, mi, rest] = time.split(":");
  const [sec, ms] = rest.split(".").map(Number);
  return new Date(y, mo - 1, d, Number(h), Number(mi), sec, ms).getTime();
}

const STAMP = String.raw`(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3})`;

/** One fresh code-server with this checkout as the development extension; ATL's own timing line. */
async function activationInCodeServer(): Promise<EditorActivation> {
  // Loaded only here: playwright and the helper are not needed for the other figures.
  const { CodeServer, Workbench } = await import("../test/helpers/codeServer");
  const server = await CodeServer.start({ label: "bench-activation", smokeTestDriver: true });
  try {
    const workbench = await Workbench.open(server, { payload: { extensionDevelopmentPath: root }, screenshots: "bench" });
    try {
      // ATL activates on its views (onView:atl.*), as for a user who opens the ATL side bar.
      await workbench.openAtlContainer();
      const activateMs = await server.waitForAtlActivationMs(120_000);
      if (activateMs === undefined) {
        throw new Error(`ATL did not log "ATL activated in N ms" inside code-server; extension host log:\n${server.extensionHostLog().split("\n").slice(-20).join("\n")}`);
      }
      const started = new RegExp(`^${STAMP} \\[\\w+\\] ExtensionService#_doActivateExtension atl-team\\.atl\\b`, "m").exec(server.extensionHostLog());
      const activated = new RegExp(`^${STAMP} \\[\\w+\\] ATL activated in \\d`, "m").exec(server.atlLog());
      const fromStartMs = started && activated ? logTime(activated[1]) - logTime(started[1]) : null;
      return { activateMs, fromStartMs };
    } finally {
      await workbench.close();
    }
  } finally {
    await server.stop();
  }
}

export async function benchActivation(opts: ActivationBenchOptions = {}): Promise<BenchResult[]> {
  const processes = Math.max(1, Math.round(opts.processes ?? 10));
  const codeServerRuns = Math.max(0, Math.round(opts.codeServerRuns ?? 3));
  for (const bundle of [EXTENSION_BUNDLE, GRAPH_BUNDLE]) {
    if (!existsSync(bundle)) {
      throw new Error(`${bundle} is missing: build it first (node esbuild.mjs, which npm run bench runs)`);
    }
  }
  const extensionKiB = (await stat(EXTENSION_BUNDLE)).size / 1024;
  const graphKiB = (await stat(GRAPH_BUNDLE)).size / 1024;

  const dir = await mkdtemp(join(tmpdir(), "atl-bench-activation-"));
  const extension: RequireSample[] = [];
  const graph: RequireSample[] = [];
  try {
    const stubFile = join(dir, "vscode-stub.cjs");
    await writeFile(stubFile, stubModule(await vscodeExportNames()));
    // Interleaved, so that the load of a shared machine hits both alike.
    for (let i = 0; i < processes; i++) {
      extension.push(await requireOnce(stubFile, EXTENSION_BUNDLE));
      graph.push(await requireOnce(stubFile, GRAPH_BUNDLE));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const extWall = median(extension.map((s) => s.wallMs));
  const extCpu = median(extension.map((s) => s.cpuMs));
  const graphWall = median(graph.map((s) => s.wallMs));

  const results: BenchResult[] = [
    {
      name: "activation: dist/extension.js size (loaded when ATL activates)",
      value: round(extensionKiB),
      unit: "KiB",
      baseline: null,
      ratio: null,
      target: `≤ ${EXTENSION_MAX_KIB.toLocaleString("en-US")} KiB`,
      pass: extensionKiB <= EXTENSION_MAX_KIB,
    },
    {
      name: "activation: dist/graph.js size (loaded on the first diagnosis; baseline: extension.js)",
      value: round(graphKiB),
      unit: "KiB",
      baseline: round(extensionKiB),
      ratio: round(graphKiB / extensionKiB, 2),
      target: null,
      pass: null,
    },
    {
      name: `activation: require dist/extension.js, median of ${processes} fresh Node processes (stubbed vscode)`,
      value: round(extWall),
      unit: "ms",
      baseline: null,
      ratio: null,
      target: `≤ ${REQUIRE_TARGET_MS} ms`,
      pass: extWall <= REQUIRE_TARGET_MS,
    },
    {
      name: "activation: require dist/extension.js, CPU time (median; what it costs without other processes' load)",
      value: round(extCpu),
      unit: "ms",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    },
    {
      name: `activation: require dist/graph.js, median of ${processes} fresh Node processes (baseline: extension.js)`,
      value: round(graphWall),
      unit: "ms",
      baseline: round(extWall),
      ratio: round(graphWall / extWall, 2),
      target: null,
      pass: null,
    },
  ];

  if (codeServerRuns > 0) {
    const samples: EditorActivation[] = [];
    for (let i = 0; i < codeServerRuns; i++) {
      samples.push(await activationInCodeServer());
    }
    const activate = median(samples.map((s) => s.activateMs));
    results.push({
      name: `activation: in code-server 4.139.1, activate() as ATL logs it, median of ${codeServerRuns} fresh starts`,
      value: round(activate),
      unit: "ms",
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    });
    const fromStart = samples.map((s) => s.fromStartMs).filter((v): v is number => v !== null);
    if (fromStart.length === samples.length) {
      // Baseline: activate() alone; the rest is the extension host loading dist/extension.js.
      const total = median(fromStart);
      results.push({
        name: "activation: in code-server, extension host starts ATL → ATL activated (load + activate(); baseline: activate())",
        value: round(total),
        unit: "ms",
        baseline: round(activate),
        ratio: activate > 0 ? round(total / activate, 2) : null,
        target: null,
        pass: null,
      });
    }
  }
  return results;
}

if (require.main === module) {
  runAlone(() => benchActivation({ processes: flag("--processes", 10), codeServerRuns: flag("--code-server-runs", 3) }));
}
