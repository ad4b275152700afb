// A private OpenSSH server on 127.0.0.1 for tests and benchmarks: a fresh host key and client key
// in a temp dir, a free port, key-only login as a test user. Nothing outside the temp dir changes
// except the test user (created once with `useradd -m -p '*'` when running as root).
//
//   const sshd = await startSshd();
//   // { host, port, username, privateKeyFile, hostKeySha256, … }
//   …
//   await sshd.stop();
//
// Needs Debian's openssh-server (`/usr/sbin/sshd`, `ssh-keygen`; listed in .ci/apt-packages.txt).
// As root it logs in as `atltest` (an unprivileged user, like a real host); otherwise as the
// current user. `StrictModes no` because the authorized_keys file lives under /tmp.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { SshHostEntry } from "../../src/hosts/model";

export const SSHD_PATH = "/usr/sbin/sshd";
export const DEFAULT_TEST_USER = "atltest";

export interface SshdOptions {
  /** Login user. Default `atltest` as root (created if missing), else the current user. */
  username?: string;
  /** Encrypt the client key with this passphrase (to test passphrase lookup). */
  keyPassphrase?: string;
  /** Host key types the server has, in order (default ["ed25519"]); hostKeySha256 is the first's. */
  hostKeyTypes?: ("ed25519" | "ecdsa" | "rsa")[];
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

export interface Sshd {
  host: "127.0.0.1";
  port: number;
  username: string;
  /** OpenSSH-format ed25519 private key that the server accepts. */
  privateKeyFile: string;
  /** The server's (first) host key fingerprint as `ssh-keygen -lf` prints it: `SHA256:…` (no padding). */
  hostKeySha256: string;
  /** Fingerprint of each host key by type. */
  hostKeys: Record<string, string>;
  /** The key passphrase, when one was asked for. */
  keyPassphrase: string | null;
  /** Temp dir holding keys, config and log (removed by stop()). */
  dir: string;
  /** pid of the listening sshd (its children are the per-connection processes). */
  pid: number;
  logFile: string;
  /** The sshd log so far (useful in assertion messages). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The `atl.hosts` entry (an SSH host) that logs in to this server with its client key. */
export function sshHostEntry(sshd: Sshd, id: string): SshHostEntry {
  return { id, name: id, transport: "ssh", host: sshd.host, port: sshd.port, username: sshd.username, privateKeyFile: sshd.privateKeyFile, hostKeySha256: sshd.hostKeySha256 };
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD_PATH)) {
    throw new Error(`${SSHD_PATH} is missing: apt-get install -y --no-install-recommends openssh-server`);
  }
  const isRoot = process.getuid?.() === 0;
  const username = options.username ?? (isRoot ? DEFAULT_TEST_USER : userInfo().username);
  if (isRoot) {
    await ensureUser(username);
    // Privilege separation directory; the system service would create it.
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  }

  const dir = await mkdtemp(join(tmpdir(), "atl-sshd-"));
  // sshd reads authorized_keys as the login user; private keys inside stay mode 600.
  await chmod(dir, 0o755);
  const hostKeys: Record<string, string> = {};
  const hostKeyFiles: string[] = [];
  for (const type of options.hostKeyTypes ?? ["ed25519"]) {
    const file = join(dir, `ssh_host_${type}_key`);
    await run("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "atl-test-host", "-f", file]);
    hostKeys[type] = parseFingerprint(await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`]));
    hostKeyFiles.push(file);
  }
  const clientKey = join(dir, "client_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", options.keyPassphrase ?? "", "-C", "atl-test-client", "-f", clientKey]);
  const authorizedKeys = join(dir, "authorized_keys");
  await writeFile(authorizedKeys, await readFile(`${clientKey}.pub`), { mode: 0o644 });
  const hostKeySha256 = Object.values(hostKeys)[0] ?? "";

  const logFile = join(dir, "sshd.log");
  const configFile = join(dir, "sshd_config");
  // The port is found free, then handed to sshd: another process may take it in between, so retry.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(
      configFile,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        ...hostKeyFiles.map((f) => `HostKey ${f}`),
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        "AuthenticationMethods publickey",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PermitRootLogin no",
        "UseDNS no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        // Benchmarks open many sessions and connections at once.
        "MaxSessions 64",
        "MaxStartups 64:30:128",
        // As in distribution defaults: ATL reads directories over SFTP to expand path patterns.
        "Subsystem sftp internal-sftp",
        ...(options.extraConfig ?? []),
        "",
      ].join("\n"),
    );
    const child = spawn(SSHD_PATH, ["-D", "-f", configFile, "-E", logFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const ready = await Promise.race([waitForBanner(port).then(() => true), exited.then(() => false)]);
    if (ready) {
      const sshd: Sshd = {
        host: "127.0.0.1",
        port,
        username,
        privateKeyFile: clientKey,
        hostKeySha256,
        hostKeys,
        keyPassphrase: options.keyPassphrase ?? null,
        dir,
        pid: child.pid ?? -1,
        logFile,
        log: () => readFile(logFile, "utf8").catch(() => ""),
        stop: () => stopSshd(child, exited, dir),
      };
      return sshd;
    }
    const log = await readFile(logFile, "utf8").catch(() => "");
    if (attempt >= 3) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${stderr}${log}`);
    }
  }
}

/** `256 SHA256:abc… comment (ED25519)` → `SHA256:abc…`. */
export function parseFingerprint(keygenOutput: string): string {
  const match = /SHA256:[A-Za-z0-9+/]{43}/.exec(keygenOutput);
  if (!match) {
    throw new Error(`no SHA256 fingerprint in: ${keygenOutput}`);
  }
  return match[0];
}

/** The fingerprint of an OpenSSH public key line, computed like ssh-keygen does (for fakes in tests). */
export function fingerprintOfPublicKey(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? "", "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

async function ensureUser(username: string): Promise<void> {
  const passwd = await readFile("/etc/passwd", "utf8");
  if (passwd.split("\n").some((line) => line.startsWith(`${username}:`))) {
    return;
  }
  // `*` (not `!`): a locked password makes sshd refuse even key logins with UsePAM no.
  // Exit 9 = the user appeared meanwhile (another test created it).
  await run("useradd", ["-m", "-p", "*", "-s", "/bin/sh", username], [0, 9]);
}

async function stopSshd(child: ChildProcess, exited: Promise<number | null>, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to the port yields an `SSH-` banner. */
async function waitForBanner(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.setTimeout(2000);
      socket.once("data", (chunk: Buffer) => {
        socket.destroy();
        resolve(chunk.toString().startsWith("SSH-"));
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd on port ${port} never sent its banner`);
}

function run(command: string, args: string[], okCodes: number[] = [0]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== null && okCodes.includes(code)) {
        resolve(out);
      } else {
        reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${out}`));
      }
    });
  });
}
