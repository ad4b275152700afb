// Rules for services, logs, time, names and kernel settings: systemd's tools (status and list
// subcommands only, never on another host or container), the journal and kernel log without
// following or rotating, `service NAME status`, and the show forms of the time and DNS tools.

import { FOLLOWS, findOption, options, type ParsedArgs } from "../options";
import { deny, grammar, noOperands, printer, reader, subcommand, type ProgramRule } from "./rule";

/** -H/--host and -M/--machine of the systemd tools: another host over SSH, or a container. */
const REMOTE = (program: string): Record<string, string> => ({
  H: `${program} -H operates on another host over SSH`,
  host: `${program} --host operates on another host over SSH`,
  M: `${program} -M operates on a container`,
  machine: `${program} --machine operates on a container`,
});

const SYSTEMCTL_READ = ["status", "show", "is-active", "is-failed", "is-enabled", "is-system-running", "list-units", "list-timers", "list-unit-files", "list-sockets", "list-dependencies", "list-jobs", "list-machines", "list-paths", "list-automounts", "cat", "get-default"];

/** --image of the systemd tools: not needed to diagnose the running system, and a privileged side effect. */
const MOUNTS_IMAGE = "mounts a disk image (a loop device and the kernel's file system parser on a file); diagnose the running system instead";

const SYSTEMCTL_OPTIONS = options(
  "-t|--type= --state= -p|--property= -P= -n|--lines= -o|--output= --root= --legend= --timestamp= -h|--help --version --system --user --failed -a|--all -l|--full -r|--recursive --reverse --with-dependencies --show-types --value --quiet|-q --no-pager --no-legend --no-ask-password --global --plain --firmware-setup",
  { denied: { ...REMOTE("systemctl"), image: `systemctl --image ${MOUNTS_IMAGE}` } },
);

const JOURNALCTL_WRITES = "changes the journal files";
const JOURNALCTL_OPTIONS = options(
  "--system --user -m|--merge -D|--directory= --file= --root= --namespace= -S|--since= -U|--until= -c|--cursor= --after-cursor= -b|--boot=~ -u|--unit= --user-unit= -t|--identifier= -T|--exclude-identifier= -p|--priority= --facility= -g|--grep= --case-sensitive=? -k|--dmesg -o|--output= --output-fields= -n|--lines=~ -r|--reverse --show-cursor --utc -x|--catalog --no-hostname --no-full --full|-l -a|--all --no-tail -q|--quiet --no-pager -e|--pager-end -h|--help --version -N|--fields -F|--field= --list-boots=? --disk-usage --verify --verify-key= --header --list-catalog --dump-catalog --list-namespaces --list-invocations --invocation= -I --truncate-newline --image-policy= -i= --interval=",
  {
    // "-n 50" and "-b -1": journalctl takes the next argument only when it looks like a value.
    peekValue: /^([+-]?[0-9]+|[0-9a-f]{32}([+-][0-9]+)?|all)$/,
    denied: {
      f: `journalctl -f ${FOLLOWS}`,
      follow: `journalctl --follow ${FOLLOWS}`,
      "vacuum-size": `journalctl --vacuum-size ${JOURNALCTL_WRITES}`,
      "vacuum-files": `journalctl --vacuum-files ${JOURNALCTL_WRITES}`,
      "vacuum-time": `journalctl --vacuum-time ${JOURNALCTL_WRITES}`,
      rotate: `journalctl --rotate ${JOURNALCTL_WRITES}`,
      flush: `journalctl --flush ${JOURNALCTL_WRITES}`,
      sync: `journalctl --sync ${JOURNALCTL_WRITES}`,
      "relinquish-var": `journalctl --relinquish-var ${JOURNALCTL_WRITES}`,
      "smart-relinquish-var": `journalctl --smart-relinquish-var ${JOURNALCTL_WRITES}`,
      "setup-keys": `journalctl --setup-keys ${JOURNALCTL_WRITES}`,
      "update-catalog": `journalctl --update-catalog ${JOURNALCTL_WRITES}`,
      "cursor-file": "journalctl --cursor-file writes a file",
      image: `journalctl --image ${MOUNTS_IMAGE}`,
      ...REMOTE("journalctl"),
    },
  },
);

/** Belt and braces for "follows forever": the flag itself anywhere, even where a parser would see a value. */
function refuseFollowWords(program: string, words: string[]) {
  return (args: readonly string[]): void => {
    const hit = args.find((a) => words.includes(a) || words.some((w) => w.startsWith("--") && a.startsWith(w + "=")));
    if (hit !== undefined) {
      deny(`option:${hit.split("=")[0]}`, `${program} ${hit} ${FOLLOWS}`);
    }
  };
}

const DMESG_CLEARS = "clears the kernel ring buffer";
const DMESG_CONSOLE = "changes the console log level";
const DMESG_OPTIONS = options(
  "-F|--file= -f|--facility= -H|--human -J|--json -k|--kernel -L|--color=? -l|--level= -P|--nopager -p|--force-prefix -r|--raw --noescape -S|--syslog -s|--buffer-size= -u|--userspace -x|--decode -d|--show-delta -e|--reltime -T|--ctime -t|--notime --time-format= --since= --until= -h|--help -V|--version",
  {
    denied: {
      c: `dmesg -c ${DMESG_CLEARS}`,
      C: `dmesg -C ${DMESG_CLEARS}`,
      "read-clear": `dmesg --read-clear ${DMESG_CLEARS}`,
      clear: `dmesg --clear ${DMESG_CLEARS}`,
      D: `dmesg -D ${DMESG_CONSOLE}`,
      E: `dmesg -E ${DMESG_CONSOLE}`,
      n: `dmesg -n ${DMESG_CONSOLE}`,
      "console-off": `dmesg --console-off ${DMESG_CONSOLE}`,
      "console-on": `dmesg --console-on ${DMESG_CONSOLE}`,
      "console-level": `dmesg --console-level ${DMESG_CONSOLE}`,
      w: `dmesg -w ${FOLLOWS}`,
      W: `dmesg -W ${FOLLOWS}`,
      follow: `dmesg --follow ${FOLLOWS}`,
      "follow-new": `dmesg --follow-new ${FOLLOWS}`,
    },
  },
);

/** `service NAME status` (and `--status-all`): NAME runs /etc/init.d/NAME, so it must be a plain name. */
function checkService(args: readonly string[]): void {
  if (args.length === 1 && (args[0] === "--status-all" || args[0] === "--version" || args[0] === "--help")) {
    return;
  }
  const [name, action, ...rest] = args;
  if (name === undefined || action !== "status" || rest.length > 0) {
    deny(`subcommand:${action ?? ""}`, "service is allowed only as service NAME status (or service --status-all); other actions start, stop or reload services");
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9@_.:+-]*$/.test(name) || name.includes("..")) {
    deny("operand", `service ${name}: a service name has no "/" or ".." (service runs /etc/init.d/NAME)`);
  }
}

/** `date`: operands only +FORMAT (anything else sets the clock). */
function checkDate(_args: readonly string[], parsed: ParsedArgs): void {
  for (const operand of parsed.operands) {
    if (!operand.startsWith("+")) {
      deny("operand", `date ${operand} sets the clock; a format starts with "+"`);
    }
  }
}

/** sysctl keys: names only (`vm.swappiness`, `net/ipv4/tcp_rmem`); "=" writes, ".." or "/" at the start leave /proc/sys. */
function checkSysctl(_args: readonly string[], parsed: ParsedArgs): void {
  for (const operand of parsed.operands) {
    if (operand.includes("=")) {
      deny("operand", `sysctl ${operand} changes kernel parameters`);
    }
    if (!/^[A-Za-z0-9_*][A-Za-z0-9_.*:@-]*(\/[A-Za-z0-9_.*:@-]+)*$/.test(operand) || /(^|[./])\.|\.\.|\/\//.test(operand)) {
      deny("operand", `sysctl ${operand}: not a parameter name (sysctl reads names below /proc/sys only)`);
    }
  }
}

/** `timedatectl`, `hostnamectl`, `localectl`: status and list forms, which take no further operand. */
function statusOnly(program: string, allowed: string[]) {
  return (_args: readonly string[], parsed: ParsedArgs): void => {
    const sub = subcommand(program, allowed, parsed, allowed[0]);
    if (parsed.operands.length > 1 && !sub.startsWith("list")) {
      deny("operand", `${program} ${sub} takes no further operand (with one it would set something)`);
    }
  };
}

/** resolvectl: status and statistics, lookups, and the per-link settings shown (not set). */
function checkResolvectl(_args: readonly string[], parsed: ParsedArgs): void {
  const sub = subcommand("resolvectl", ["status", "statistics", "query", "service", "dns", "domain", "default-route", "llmnr", "mdns", "dnssec", "dnsovertls", "nta", "show-cache", "show-server-state"], parsed, "status");
  const showOnly = ["dns", "domain", "default-route", "llmnr", "mdns", "dnssec", "dnsovertls", "nta"];
  if (showOnly.includes(sub) && parsed.operands.length > 2) {
    deny("operand", `resolvectl ${sub} LINK VALUE… changes the link's DNS settings; resolvectl ${sub} [LINK] shows them`);
  }
}

function checkCrontab(_args: readonly string[], parsed: ParsedArgs): void {
  if (!findOption(parsed, "l") || parsed.operands.length > 0) {
    deny("operand", "crontab is allowed only to list (crontab -l); anything else edits the schedule");
  }
}

function checkGetent(_args: readonly string[], parsed: ParsedArgs): void {
  const database = parsed.operands[0];
  if (database === "shadow" || database === "gshadow") {
    deny("sensitive", `getent ${database} prints password hashes`);
  }
}

function checkNvidiaSmi(_args: readonly string[], parsed: ParsedArgs): void {
  if (parsed.operands.length > 0) {
    deny("operand", "nvidia-smi subcommands can change GPU settings; use nvidia-smi, -q, -L or --query-gpu");
  }
}

function checkSleep(args: readonly string[]): void {
  if (args.length !== 1 || !/^[0-9]+(\.[0-9]+)?s?$/.test(args[0]) || Number.parseFloat(args[0]) > 10) {
    deny("operand", "sleep is allowed for at most 10 seconds (sleep 1)");
  }
}

export const SERVICE_PROGRAMS: Record<string, ProgramRule> = {
  systemctl: printer("service status", SYSTEMCTL_OPTIONS, {
    check: (_args, parsed) => void subcommand("systemctl", SYSTEMCTL_READ, parsed, "list-units"),
    note: "Subcommands status, show, cat, is-*, list-*, get-default; no -H/-M (another host or container).",
  }),
  journalctl: reader("system journal", JOURNALCTL_OPTIONS, {
    check: refuseFollowWords("journalctl", ["-f", "--follow"]),
    note: "No -f, --vacuum-*, --rotate, --flush, --sync, --relinquish-var, --setup-keys, --update-catalog, --cursor-file, -H/-M.",
  }),
  dmesg: reader("kernel messages", DMESG_OPTIONS, {
    check: refuseFollowWords("dmesg", ["-w", "-W", "--follow", "--follow-new"]),
    note: "No -c/-C (clear), -D/-E/-n (console level), -w/-W (follow).",
  }),
  service: grammar("service status", (args) => checkService(args), { paths: () => [], note: "service NAME status and service --status-all only." }),
  timedatectl: printer("clock and time zone", options("-h|--help --version --no-pager --no-ask-password -p|--property= -a|--all --value", { denied: { ...REMOTE("timedatectl"), monitor: `timedatectl --monitor ${FOLLOWS}` } }), {
    check: statusOnly("timedatectl", ["status", "show", "timesync-status", "show-timesync", "list-timezones"]),
  }),
  hostnamectl: printer("host name", options("-h|--help --version --no-ask-password --json=", { denied: REMOTE("hostnamectl") }), { check: statusOnly("hostnamectl", ["status"]) }),
  localectl: printer("locale", options("-h|--help --version --no-pager --no-ask-password", { denied: REMOTE("localectl") }), {
    check: statusOnly("localectl", ["status", "list-locales", "list-keymaps", "list-x11-keymap-models", "list-x11-keymap-layouts", "list-x11-keymap-variants", "list-x11-keymap-options"]),
  }),
  networkctl: printer("network links", options("-h|--help --version --no-pager --no-legend -a|--all -s|--stats -l|--full -n|--lines= --json=", { denied: REMOTE("networkctl") }), {
    check: (_args, parsed) => void subcommand("networkctl", ["list", "status", "lldp", "label", "cat"], parsed, "list"),
  }),
  loginctl: printer("login sessions", options("-h|--help --version --no-pager --no-legend --no-ask-password -p|--property= -P= -a|--all --value -l|--full -n|--lines= -o|--output= --json=", { denied: REMOTE("loginctl") }), {
    check: (_args, parsed) => void subcommand("loginctl", ["list-sessions", "session-status", "show-session", "list-users", "user-status", "show-user", "list-seats", "seat-status", "show-seat"], parsed, "list-sessions"),
  }),
  resolvectl: printer("DNS resolver status", options("-4 -6 -i|--interface= -p|--protocol= -t|--type= -c|--class= --service-address= --service-txt= --cname= --search= --validate= --synthesize= --cache= --zone= --trust-anchor= --network= --stale-data= --relax-single-label= --raw=? --legend= --no-pager --json= -h|--help --version", { denied: REMOTE("resolvectl") }), {
    check: checkResolvectl,
    note: "status, statistics, query, and dns/domain/… [LINK] as shown (not set); no flush-caches or reset-*.",
  }),
  "systemd-analyze": printer("boot and unit analysis", options("--system --user --no-pager --order --require --fuzz= --iterations= --base-time= --json= -q|--quiet -h|--help --version", { denied: REMOTE("systemd-analyze") }), {
    check: (_args, parsed) => void subcommand("systemd-analyze", ["time", "blame", "critical-chain", "unit-paths", "calendar", "timespan", "timestamp", "security"], parsed, "time"),
  }),
  "systemd-cgls": printer("control groups", options("--no-pager -a|--all -l|--full -k -u|--unit -h|--help --version", { denied: REMOTE("systemd-cgls") })),
  chronyc: printer("time sync status", "-n -c -N -a -v", {
    check: (_args, parsed) => void subcommand("chronyc", ["tracking", "sources", "sourcestats", "activity", "ntpdata", "serverstats", "selectdata", "authdata", "clients"], parsed),
    note: "Reports only; no -h (another host) or -m (several commands).",
  }),
  ntpq: printer("time sync status", "-p|--peers -n|--numeric -w|--wide -4 -6", { check: noOperands("ntpq is allowed only for the local daemon (ntpq -pn); {} would query another host") }),
  date: reader("date and time", options("-d|--date= -f|--file= -r|--reference= -I=? --iso-8601=? -R|--rfc-email --rfc-2822 --rfc-3339= --resolution -u|--utc|--universal --debug --help --version", { denied: { s: "date -s sets the clock", set: "date --set sets the clock" } }), { check: checkDate }),
  hostname: printer(
    "host name",
    options("-s|--short -f|--fqdn|--long -d|--domain -i|--ip-address -I|--all-ip-addresses -A|--all-fqdns -a|--alias -y|--yp|--nis -V|--version -h|--help", { denied: { F: "hostname -F sets the host name", file: "hostname --file sets the host name", b: "hostname -b sets the host name", boot: "hostname --boot sets the host name" } }),
    { check: noOperands("hostname {} sets the host name") },
  ),
  sysctl: printer(
    "kernel parameters (read only)",
    options("-a|-A|-X|--all -b|--binary -e|--ignore -N|--names -n|--values -q|--quiet -r|--pattern= --deprecated -h|--help -V|--version -o -x -d", {
      denied: { w: "sysctl -w changes kernel parameters", write: "sysctl --write changes kernel parameters", p: "sysctl -p changes kernel parameters", load: "sysctl --load changes kernel parameters", f: "sysctl -f changes kernel parameters", system: "sysctl --system changes kernel parameters" },
    }),
    { check: checkSysctl, note: "Names only: no -w, -p, --system or key=value; names stay below /proc/sys." },
  ),
  crontab: printer("scheduled jobs (list only)", options("-l -u=", { denied: { e: "crontab -e edits the schedule", r: "crontab -r removes the schedule", i: "crontab -i removes the schedule" } }), { check: checkCrontab }),
  getent: printer("name service lookup", "-s|--service= -i|--no-idn --help --version", { check: checkGetent, note: "Not shadow or gshadow." }),
  "nvidia-smi": printer("GPU status", "-i|--id= -d|--display= -q|--query -L|--list-gpus -x|--xml-format -h|--help --query-gpu= --query-compute-apps= --format=", { check: checkNvidiaSmi }),
  sleep: grammar("a short pause", (args) => checkSleep(args), { paths: () => [], note: "At most 10 seconds." }),
};
