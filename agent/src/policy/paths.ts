// Sensitive paths: files whose contents are secrets (password hashes, private keys, cloud
// credentials, process environments, shell histories) or raw views of memory and disks. Reading
// them is refused even through allowed readers. Relative paths are checked both from `/` (the
// agent's working directory) and from a home directory (where an SSH command starts).

import { posix } from "node:path";
import { componentRegex } from "./glob";
import { own } from "./own";

export interface SensitiveMatch {
  path: string;
  why: string;
}

/** Secret files named exactly, by absolute path. */
const EXACT: Record<string, string> = {
  "/etc/shadow": "password hashes",
  "/etc/shadow-": "password hashes",
  "/etc/gshadow": "group password hashes",
  "/etc/gshadow-": "group password hashes",
  "/etc/security/opasswd": "old password hashes",
  "/etc/sudoers": "sudo rules",
  "/proc/kcore": "kernel memory",
  "/dev/mem": "physical memory",
  "/dev/kmem": "kernel memory",
  "/dev/port": "I/O ports",
};

/** Directories whose whole contents are secret, by absolute path prefix. */
const SECRET_DIRS: Record<string, string> = {
  "/etc/ssl/private": "TLS private keys",
  "/etc/pki/tls/private": "TLS private keys",
  "/etc/letsencrypt/live": "TLS private keys",
  "/etc/letsencrypt/archive": "TLS private keys",
  "/etc/sudoers.d": "sudo rules",
  "/var/lib/cloud": "cloud-init user data (often holds secrets)",
  "/run/secrets": "mounted secrets",
  "/var/run/secrets": "mounted secrets",
  "/etc/atl": "ATL agent keys",
  "/etc/atl-agent": "ATL agent keys",
  "/etc/kubernetes/pki": "Kubernetes cluster keys",
  "/var/lib/kubelet/pki": "kubelet keys",
  "/etc/rancher": "Kubernetes admin credentials",
  "/etc/NetworkManager/system-connections": "network passwords",
  "/var/lib/amazon/ssm/credentials": "the SSM agent's temporary AWS credentials",
  "/var/lib/amazon/ssm/Vault": "the SSM agent's key material",
  "/sys/firmware/efi/efivars": "firmware variables",
  "/sys/kernel/debug": "kernel debug interfaces (some reads have effects)",
  "/sys/kernel/tracing": "kernel tracing (trace_pipe consumes what it reads)",
  "/proc/kmsg": "the kernel log (reading consumes it)",
  "/etc/pki/CA/private": "CA private keys",
  "/etc/ipsec.d/private": "IPsec private keys",
  "/etc/swanctl/private": "IPsec private keys",
  "/etc/cryptsetup-keys.d": "disk encryption keys",
  "/var/lib/etcd": "the cluster database (every Kubernetes secret)",
  "/var/lib/rancher/k3s/server": "the cluster token and keys",
  "/run/credentials": "service credentials (systemd)",
  "/etc/credstore": "service credentials (systemd)",
  "/etc/credstore.encrypted": "service credentials (systemd)",
  "/run/credstore": "service credentials (systemd)",
  "/var/lib/systemd/credential.secret": "the host key of encrypted service credentials",
};

/** Secret files by a pattern of their absolute path. */
const SECRET_PATHS: [RegExp, string][] = [
  [/^\/var\/lib\/docker\/containers\/[^/]+\/config\.v2\.json$/, "a container's environment (secrets)"],
  [/\/kubernetes\.io~secret(\/|$)/, "mounted Kubernetes secrets"],
  // Service account tokens are projected volumes (kube-api-access-…/token).
  [/\/kubernetes\.io~projected(\/|$)/, "mounted Kubernetes service account tokens"],
  // Debian's daily copies of the password files.
  [/^\/var\/backups\/g?shadow\.bak$/, "password hashes"],
  [/^\/etc\/kubernetes\/[^/]+\.conf$/, "Kubernetes admin credentials"],
  [/^\/etc\/mysql\/debian\.cnf$/, "database credentials"],
];

/** Secret directories found under any home directory (or anywhere), by directory name. */
const SECRET_DIR_NAMES: Record<string, string> = {
  ".aws": "AWS credentials",
  ".azure": "Azure credentials",
  ".gnupg": "GnuPG keys",
  ".kube": "Kubernetes credentials",
  ".docker": "registry credentials",
  ".password-store": "passwords",
  gcloud: "Google Cloud credentials",
};

/** Files inside `.ssh` that are not secret. */
const SSH_PUBLIC = /^(known_hosts(\.old)?|authorized_keys2?|config|.*\.pub)$/;

/** Secret files by their name, wherever they are, in any case (`.ENV`, `ID_RSA`: the combined test is caseless, so the reason must be too). */
const SECRET_NAMES: [RegExp, string][] = ([
  [/^id_[a-z0-9_]+$/i, "an SSH private key"],
  [/^ssh_host_.*_key$/, "an SSH host private key"],
  [/\.(pem|key|p12|pfx|jks|keystore|kdbx|ppk|asc|gpg|keytab)$/i, "a key or certificate store"],
  [/^(\.[a-z_]*history|[a-z]+_history)$/i, "a shell or tool history"],
  [/^\.(lesshst|viminfo|netrc|pgpass|my\.cnf|mylogin\.cnf|git-credentials|npmrc|pypirc|dockercfg|boto|s3cfg|vault-token|smbcredentials)$/i, "stored credentials"],
  [/^sasl_passwd(\.db)?$/, "mail relay passwords"],
  [/^\.env(\..+)?$/, "an environment file (often holds secrets)"],
  [/^credentials(\.(json|csv|toml))?$/i, "stored credentials"],
  [/^(.+[-_.])?secrets?(\.(json|ya?ml|txt|env|conf|cfg|ini|toml))?$/i, "secrets"],
  [/^service-account.*\.json$/i, "a service account key"],
  [/^wp-config\.php$/, "application secrets"],
] as [RegExp, string][]).map(([pattern, why]) => [new RegExp(pattern.source, "i"), why]);

const SECRET_DIR_ENTRIES = Object.entries(SECRET_DIRS);

/** A glob matching `text` in any case ("env" → "[eE][nN][vV]"); "*" stays a wildcard. */
function caseless(...parts: string[]): string {
  return parts.map((part) => (part === "*" ? "*" : [...part].map((c) => (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`)).join(""))).join("");
}

/**
 * The secret names above as globs, for programs that walk a directory tree themselves (grep -r,
 * diff): the policy adds them as exclusions (`--exclude=`, `--exclude-dir=`, `diff -x`), so a
 * recursive read of an ordinary folder skips every file a name rule calls secret, in any case, and
 * a few more (over-excluding only skips a file). A test checks every name rule against them.
 */
export const SECRET_FILE_GLOBS: readonly string[] = [
  caseless("id_", "*"),
  caseless("ssh_host_", "*", "_key"),
  ...["pem", "key", "p12", "pfx", "jks", "keystore", "kdbx", "ppk", "asc", "gpg", "keytab"].map((ext) => caseless("*", `.${ext}`)),
  caseless(".", "*", "history"),
  caseless("*", "_history"),
  ...[".lesshst", ".viminfo", ".netrc", ".pgpass", ".my.cnf", ".mylogin.cnf", ".git-credentials", ".npmrc", ".pypirc", ".dockercfg", ".boto", ".s3cfg", ".vault-token", ".smbcredentials", "wp-config.php"].map((name) => caseless(name)),
  caseless("sasl_passwd", "*"),
  caseless(".env"),
  caseless(".env.", "*"),
  caseless("credentials"),
  caseless("credentials.", "*"),
  caseless("*", "secret", "*"),
  caseless("service-account", "*", ".json"),
];

/** Directory names whose contents are secret wherever they are, as globs (see SECRET_FILE_GLOBS). */
export const SECRET_DIR_GLOBS: readonly string[] = [...Object.keys(SECRET_DIR_NAMES), ".ssh", "kubernetes.io~secret", "kubernetes.io~projected"].map((name) => caseless(name));

/** The name rules, for the test that checks SECRET_FILE_GLOBS against them. */
export const SECRET_NAME_RULES: readonly RegExp[] = SECRET_NAMES.map(([pattern]) => pattern);

// environ and memory; root/ and cwd/ lead into another process's (or container's) file system; fd/N
// opens another process's files.

const PROC_PRIVATE = /^\/proc\/[^/]+\/(task\/[^/]+\/)?((environ|mem|auxv|pagemap|syscall|stack|timers)$|(root|cwd)(\/|$)|(fd|map_files)\/.)/;
/** Reading a device: raw disks bypass file permissions, /dev/mem and /dev/input expose memory and keystrokes. */
const DEVICE = /^\/dev\/(?!null$|stdin$|stdout$|stderr$)./;

/** One pass over all secret-name patterns; the per-pattern loop runs only on a hit, to say why. */
const ANY_SECRET_NAME = new RegExp(SECRET_NAMES.map(([pattern]) => `(?:${pattern.source})`).join("|"), "i");

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Every secret directory in one test; the per-entry loop runs only on a hit, to say why. */
const ANY_SECRET_DIR = new RegExp(`^(?:${SECRET_DIR_ENTRIES.map(([dir]) => escapeRegex(dir)).join("|")})(?:/|$)`);
const ANY_SECRET_PATH = new RegExp(SECRET_PATHS.map(([pattern]) => `(?:${pattern.source})`).join("|"));

/** The first entry of `table` whose pattern matches (run once a combined pattern said one may). */
function whyOf(table: readonly (readonly [RegExp | string, string])[], path: string): string | null {
  for (const [pattern, why] of table) {
    if (typeof pattern === "string" ? path === pattern || path.startsWith(`${pattern}/`) : pattern.test(path)) {
      return why;
    }
  }
  return null;
}

function checkAbsolute(path: string, metadataOnly: boolean): string | null {
  const exact = own(EXACT, path);
  if (exact) {
    return exact;
  }
  if (ANY_SECRET_DIR.test(path)) {
    return whyOf(SECRET_DIR_ENTRIES, path);
  }
  if (ANY_SECRET_PATH.test(path)) {
    return whyOf(SECRET_PATHS, path);
  }
  if (path.startsWith("/proc/") && PROC_PRIVATE.test(path)) {
    return "another process's environment, memory or files";
  }
  if (!metadataOnly && path.startsWith("/dev/") && DEVICE.test(path)) {
    return "a device (raw disks bypass file permissions; others are memory, terminals or endless streams)";
  }
  if (path.includes("/.") || path.includes("/gcloud/")) {
    const segments = path.split("/").filter((s) => s.length > 0);
    for (let k = 0; k < segments.length - 1; k++) {
      const segment = segments[k];
      const dirWhy = own(SECRET_DIR_NAMES, segment);
      if (dirWhy) {
        return dirWhy;
      }
      if (segment === ".ssh" && !SSH_PUBLIC.test(segments[k + 1])) {
        return "SSH keys";
      }
    }
  }
  const base = path.slice(path.lastIndexOf("/") + 1);
  return ANY_SECRET_NAME.test(base) ? whyOf(SECRET_NAMES, base) : null;
}

/** A path as the file system reads it: "." and ".." segments and repeated or trailing slashes resolved. */
function clean(p: string): string {
  const normalized = p.includes("/.") || p.includes("//") ? posix.normalize(p) : p;
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.replace(/\/+$/, "") || "/" : normalized;
}

/** Why `candidate` read as a path exposes a secret: as given, or relative to `/` and to a home directory. */
function checkReadings(candidate: string, metadataOnly: boolean): string | null {
  if (candidate.startsWith("/")) {
    return checkAbsolute(clean(candidate), metadataOnly);
  }
  return checkAbsolute(clean("/" + candidate), metadataOnly) ?? checkAbsolute(clean("/home/user/" + candidate), metadataOnly);
}

/** Why reading `arg` as a path would expose a secret, or null. Also looks inside `--opt=PATH`, `-xPATH`, `@PATH` and `file:PATH`. */
export function sensitivePath(arg: string, options: { metadataOnly?: boolean } = {}): SensitiveMatch | null {
  const metadataOnly = options.metadataOnly ?? false;
  const check = (candidate: string): SensitiveMatch | null => {
    const why = candidate.length > 0 ? checkReadings(candidate, metadataOnly) : null;
    return why ? { path: candidate, why } : null;
  };
  const eq = arg.indexOf("=");
  const colon = arg.indexOf(":");
  return (
    check(arg) ??
    (eq >= 0 ? check(arg.slice(eq + 1)) : null) ??
    (arg.length > 2 && arg[0] === "-" && arg[1] !== "-" ? check(arg.slice(2)) : null) ??
    // `@/etc/shadow` (curl-style) and `file:/…` forms.
    (arg.startsWith("@") ? check(arg.slice(1)) : null) ??
    (colon >= 0 ? check(arg.slice(colon + 1)) : null)
  );
}

/** Directories that contain secrets; a recursive read (`grep -r`) of one of them or of an ancestor is refused. */
const SECRET_TREES = [
  "/etc/shadow", "/etc/gshadow", "/etc/ssh", "/etc/ssl/private", "/etc/pki", "/etc/letsencrypt", "/etc/sudoers.d", "/root", "/home", "/proc", "/dev",
  "/var/lib/cloud", "/run/secrets", "/var/run/secrets", "/etc/atl", "/etc/atl-agent", "/run/credentials", "/var/backups",
  // Mounted Kubernetes secrets and tokens, container environments, cluster databases and tokens.
  "/var/lib/kubelet", "/var/lib/docker/containers", "/var/lib/etcd", "/var/lib/rancher", "/var/lib/amazon/ssm",
];

/** Why a recursive read of directory `arg` could reach secrets, or null. */
export function sensitiveTree(arg: string): SensitiveMatch | null {
  if (!arg.startsWith("/")) {
    // Relative to a home directory over SSH: .ssh, .aws and histories are below it.
    return { path: arg, why: "a relative path may be a home directory, which holds keys and histories; give an absolute path" };
  }
  const path = posix.normalize(arg).replace(/\/+$/, "") || "/";
  for (const tree of SECRET_TREES) {
    if (path === "/" || path === tree || tree.startsWith(path + "/") || path.startsWith(tree + "/")) {
      return { path: arg, why: `it includes ${tree}` };
    }
  }
  // The directory itself may be a secret one (`/opt/app/.ssh`, `…/.aws`): judge a file inside it.
  const inside = sensitivePath(`${path}/file`);
  return sensitivePath(arg) ?? (inside ? { path: arg, why: inside.why } : null);
}

/** One path for each kind of secret, to check a pattern before it is expanded on the host. */
const SECRET_SAMPLES = [
  ...Object.keys(EXACT),
  ...Object.keys(SECRET_DIRS).map((dir) => `${dir}/secret`),
  "/etc/ssh/ssh_host_rsa_key",
  "/etc/ssh/ssh_host_ecdsa_key",
  "/etc/ssh/ssh_host_ed25519_key",
  "/root/.ssh/id_rsa",
  "/root/.ssh/id_ed25519",
  "/home/user/.ssh/id_rsa",
  "/home/user/.ssh/id_ed25519",
  "/root/.aws/credentials",
  "/home/user/.aws/credentials",
  "/root/.kube/config",
  "/home/user/.kube/config",
  "/root/.docker/config.json",
  "/root/.bash_history",
  "/home/user/.bash_history",
  "/home/user/.zsh_history",
  "/home/user/.netrc",
  "/home/user/.pgpass",
  "/home/user/.git-credentials",
  "/srv/app/.env",
  "/proc/1/environ",
  "/proc/self/environ",
  "/proc/1/mem",
  "/proc/1/root/etc/shadow",
  "/var/lib/docker/containers/c/config.v2.json",
  "/etc/kubernetes/admin.conf",
  "/var/lib/kubelet/pods/p/volumes/kubernetes.io~projected/kube-api-access-x/token",
  "/var/backups/shadow.bak",
  "/etc/krb5.keytab",
  "/etc/mysql/debian.cnf",
  "/etc/ssl/private/server.key",
  "/etc/ssl/server.key",
  "/etc/ssl/certs/server.pem",
  "/dev/sda",
  "/dev/nvme0n1",
];

/** Whether a glob pattern (absolute, components split on "/") matches a path, with bash's dot rule. */
function patternMatches(components: RegExp[], dots: boolean[], path: string): boolean {
  const names = path.split("/");
  return names.length === components.length && names.every((name, k) => (!name.startsWith(".") || dots[k]) && components[k].test(name));
}

/**
 * Why a path pattern (glob syntax) could name a secret before it is expanded on the host, or null.
 * It tries the pattern on one sample path of every kind of secret; the names it really matches are
 * checked again after expansion, so this only lets a proposal say "refused" earlier.
 */
export function sensitivePattern(pattern: string, options: { metadataOnly?: boolean } = {}): SensitiveMatch | null {
  const starts = pattern.startsWith("/") ? [pattern] : [`/${pattern}`, `/home/user/${pattern}`];
  for (const start of starts) {
    const parts = start.split("/");
    const components = parts.map((part) => componentRegex(part));
    const dots = parts.map((part) => part.startsWith(".") || part.startsWith("\\."));
    for (const sample of SECRET_SAMPLES) {
      if (patternMatches(components, dots, sample)) {
        const hit = sensitivePath(sample, options);
        if (hit) {
          return { path: pattern, why: hit.why };
        }
      }
    }
  }
  return null;
}
