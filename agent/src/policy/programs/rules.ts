// The default read-only profile: which programs an SRE may run to diagnose a host, and the
// argument rules that keep each of them read-only and finite (programs/*.ts, one file per family).
// Everything not listed is refused; programs known to be dangerous say why.

import { own } from "../own";
import { FILE_PROGRAMS } from "./files";
import { NETWORK_PROGRAMS } from "./network";
import { PACKAGE_PROGRAMS } from "./packages";
import { grammar, type ProgramRule } from "./rule";
import { SERVICE_PROGRAMS } from "./services";
import { SYSTEM_PROGRAMS } from "./system";
import { checkDocker, checkKubectl } from "./tools";

export type { ProgramRule } from "./rule";

/** The default read-only profile. */
export const READ_ONLY_PROGRAMS: Record<string, ProgramRule> = {
  ...SYSTEM_PROGRAMS,
  ...FILE_PROGRAMS,
  ...NETWORK_PROGRAMS,
  ...SERVICE_PROGRAMS,
  ...PACKAGE_PROGRAMS,
  docker: grammar("containers (read-only)", (args) => checkDocker(args), {
    note: "Subcommand first (no global options): ps, logs (no -f), inspect (--format with plain field paths, never the environment), stats --no-stream, top, images, info, version, port, history, system df and the container/image/network/volume read forms.",
  }),
  kubectl: grammar("Kubernetes (read-only)", (args) => checkKubectl(args), {
    note: "get, describe, logs (no -f), top, events, version, api-resources, api-versions, explain, cluster-info, rollout status/history, config current-context/get-contexts/get-clusters; no secrets; no --kubeconfig, --token, --server, --as, --raw, -f/-k, --watch, -v above 6.",
  }),
};

/** Why a program that is not in the profile is refused; the rule id's middle part is the category. */
export interface KnownRefusal {
  category: "wrapper" | "interpreter" | "interactive" | "mutating" | "network" | "secrets" | "builtin";
  reason: string;
}

const WRAPPERS = ["sudo", "su", "doas", "pkexec", "runuser", "nice", "ionice", "renice", "timeout", "nohup", "watch", "xargs", "strace", "ltrace", "stdbuf", "setsid", "chroot", "unshare", "nsenter", "flock", "script", "time", "parallel", "chrt", "taskset", "numactl", "cgexec", "systemd-run", "sg", "newgrp", "setpriv", "capsh", "busybox", "toybox", "firejail", "sshpass", "expect", "tmux", "screen", "dbus-launch", "gdb", "valgrind", "perf", "faketime", "proot", "bwrap", "fakeroot", "ld.so", "run-parts", "find-exec"];
const INTERPRETERS = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "rbash", "tclsh", "wish", "Rscript", "java", "jshell", "pwsh", "deno", "bun", "irb", "jq", "yq", "bc", "dc", "m4", "make", "gcc", "cc", "osascript"];
const BUILTINS = ["eval", "exec", "source", ".", "command", "builtin", "alias", "unalias", "export", "set", "unset", "declare", "typeset", "local", "readonly", "trap", "cd", "pushd", "popd", "ulimit", "umask", "shopt", "enable", "hash", "history", "fc", "jobs", "fg", "bg", "disown", "wait", "read", "mapfile", "let", "test", "[", "[[", "if", "then", "else", "fi", "for", "while", "until", "do", "done", "case", "esac", "function", "select", "coproc", "{", "!"];
const INTERACTIVE = ["less", "more", "most", "pg", "man", "info", "vi", "vim", "view", "nvim", "ex", "ed", "nano", "pico", "emacs", "joe", "mc", "htop", "btop", "atop", "nmon", "iftop", "nethogs", "mtr", "nload", "bmon", "glances", "ncdu", "telnet", "ftp", "sftp", "mysql", "psql", "redis-cli", "mongo", "mongosh", "sqlite3", "passwd", "visudo", "vipw", "crontab-e"];
const NETWORK = ["openssl", "curl", "wget", "nc", "ncat", "netcat", "socat", "ssh", "scp", "rsync", "tcpdump", "tshark", "nmap", "aria2c", "lftp", "ssh-keyscan", "aws", "gsutil", "az", "gcloud", "s3cmd", "git", "svn", "hg", "ftp", "tftp", "smbclient", "mail", "sendmail", "mutt", "ssh-copy-id", "nsupdate", "iperf", "iperf3"];
const SECRETS = ["env", "printenv", "ssh-add", "ssh-agent", "ssh-keygen", "gpg", "gpg2", "pass", "vault", "security", "keyctl", "secret-tool"];
const MUTATING: Record<string, string> = {
  rm: "deletes files",
  rmdir: "deletes directories",
  shred: "destroys files",
  unlink: "deletes files",
  dd: "writes devices and files",
  mkfs: "formats a file system",
  mke2fs: "formats a file system",
  mkswap: "formats swap",
  wipefs: "wipes file system signatures",
  sfdisk: "edits partition tables",
  parted: "edits partition tables",
  gdisk: "edits partition tables",
  sgdisk: "edits partition tables",
  umount: "unmounts file systems",
  swapoff: "changes swap",
  kill: "signals processes",
  pkill: "signals processes",
  killall: "signals processes",
  skill: "signals processes",
  reboot: "reboots the host",
  shutdown: "shuts the host down",
  halt: "halts the host",
  poweroff: "powers the host off",
  init: "changes the run level",
  telinit: "changes the run level",
  chmod: "changes permissions",
  chown: "changes ownership",
  chgrp: "changes ownership",
  chattr: "changes file attributes",
  setfacl: "changes permissions",
  ln: "creates links",
  mv: "moves files",
  cp: "copies files",
  install: "copies files",
  tee: "writes files",
  truncate: "truncates files",
  touch: "creates or changes files",
  mkdir: "creates directories",
  mknod: "creates device files",
  mkfifo: "creates pipes",
  useradd: "changes accounts",
  userdel: "changes accounts",
  usermod: "changes accounts",
  chpasswd: "changes passwords",
  chsh: "changes accounts",
  chfn: "changes accounts",
  groupadd: "changes groups",
  groupdel: "changes groups",
  gpasswd: "changes groups",
  at: "schedules commands",
  atrm: "changes scheduled commands",
  batch: "schedules commands",
  ufw: "changes the firewall",
  "firewall-cmd": "changes the firewall",
  tc: "changes traffic control",
  modprobe: "loads kernel modules",
  insmod: "loads kernel modules",
  rmmod: "unloads kernel modules",
  apt: "installs software",
  "apt-get": "installs software",
  dpkg: "installs software",
  yum: "installs software",
  dnf: "installs software",
  rpm: "installs software",
  snap: "installs software",
  pip: "installs software",
  npm: "installs software",
  gem: "installs software",
  logrotate: "rotates logs",
  hwclock: "sets the hardware clock",
  tar: "reads and writes archives (and can run programs)",
  zip: "writes archives",
  unzip: "writes files",
  gzip: "rewrites files",
  gunzip: "rewrites files",
  bzip2: "rewrites files",
  xz: "rewrites files",
  zstd: "rewrites files",
  ldconfig: "changes the linker cache",
  "update-alternatives": "changes system links",
  logger: "writes to the system log",
  wall: "writes to every terminal",
  write: "writes to a terminal",
  sync: "flushes file systems",
  xxd: "can write files (xxd -r)",
  helm: "changes Kubernetes releases",
  terraform: "changes infrastructure",
  updatedb: "rewrites the locate database",
  "iptables-restore": "changes the firewall",
  "iptables-save": "can write files",
};

const VERSIONED_INTERPRETER = /^(python|perl|ruby|php|lua|node|nodejs|pip|tclsh|wish|gawk-)[0-9.]*$/;
const MKFS = /^mkfs\.[a-z0-9]+$/;

/** Why a program outside the profile is refused, with a category; null for programs never heard of. */
export function knownRefusal(program: string): KnownRefusal | null {
  if (WRAPPERS.includes(program)) {
    return { category: "wrapper", reason: `${program} runs another program, which the policy could not check; run the program itself` };
  }
  if (INTERPRETERS.includes(program) || VERSIONED_INTERPRETER.test(program)) {
    return { category: "interpreter", reason: `${program} runs code the policy cannot check` };
  }
  if (BUILTINS.includes(program)) {
    return { category: "builtin", reason: `"${program}" is a shell keyword or builtin; commands run without a shell` };
  }
  if (INTERACTIVE.includes(program)) {
    return { category: "interactive", reason: `${program} is interactive (and may open a shell); use cat, head, tail or grep` };
  }
  if (NETWORK.includes(program)) {
    return { category: "network", reason: `${program} talks to other hosts and could send data off this one` };
  }
  if (SECRETS.includes(program)) {
    return { category: "secrets", reason: `${program} prints the environment or keys, which hold secrets${program === "env" ? " (and runs other programs)" : ""}` };
  }
  const mutating = own(MUTATING, program) ?? (MKFS.test(program) ? "formats a file system" : undefined);
  if (mutating) {
    return { category: "mutating", reason: `${program} ${mutating}; the default profile is read-only` };
  }
  return null;
}
