// The default read-only profile: which programs an SRE may run to diagnose a host, and the
// argument rules that keep each of them read-only and finite. Everything not listed is refused.

import { own } from "../own";
import { argumentRefusal, FOLLOWS, findOption, parseOptions, type OptionSpec, type ParsedArgs } from "../options";
import { sensitiveTree } from "../paths";
import { checkAwk } from "./awk";
import { checkPs } from "./ps";
import { checkSed } from "./sed";
import { checkDocker, checkIp, checkKubectl, checkSystemctl } from "./tools";

export interface ProgramRule {
  /** What the program is for, shown in decisions ("disk usage"). */
  what: string;
  /** Throws ArgumentRefusal when the arguments are not allowed. */
  check?: (args: readonly string[]) => void;
  /** The arguments that name files to read; default: all of them. */
  paths?: (args: readonly string[]) => string[];
  /** Lists or stats files without reading their contents: device paths are fine. */
  metadataOnly?: boolean;
}

function deny(what: string, reason: string): never {
  throw argumentRefusal(what, reason);
}

/** Refuses any of the listed options (short letters or long names) with its reason. */
function refuseOptions(parsed: ParsedArgs, refused: Record<string, string>): void {
  for (const option of parsed.options) {
    const reason = own(refused, option.name);
    if (reason !== undefined) {
      deny(`option:${option.long ? "--" : "-"}${option.name}`, reason);
    }
  }
}

function optionsOnly(spec: OptionSpec, refused: Record<string, string> = {}) {
  return (args: readonly string[]): void => {
    refuseOptions(parseOptions(args, spec), refused);
  };
}

function noOperands(program: string, spec: OptionSpec, refused: Record<string, string> = {}) {
  return (args: readonly string[]): void => {
    const parsed = parseOptions(args, spec);
    refuseOptions(parsed, refused);
    if (parsed.operands.length > 0) {
      deny("operand", `${program} with an operand (${parsed.operands[0]}) changes a setting`);
    }
  };
}

/** `vmstat 1` repeats forever; `vmstat 1 5` stops. */
function intervalNeedsCount(program: string, refused: Record<string, string> = {}, spec: OptionSpec = {}) {
  return (args: readonly string[]): void => {
    refuseOptions(parseOptions(args, spec), refused);
    let trailing = 0;
    for (let k = args.length - 1; k >= 0 && /^[0-9]+(\.[0-9]+)?$/.test(args[k]); k--) {
      trailing++;
    }
    if (trailing === 1) {
      deny("interval-without-count", `${program} with an interval and no count repeats forever; add a count (${program} ${args[args.length - 1]} 5)`);
    }
  };
}

const GREP_SPEC: OptionSpec = {
  shortValue: "efmABCdD",
  numericShort: true,
  longValue: ["regexp", "file", "max-count", "after-context", "before-context", "context", "directories", "devices", "label", "include", "exclude", "exclude-from", "exclude-dir", "binary-files", "group-separator"],
  longOptional: ["color", "colour"],
  longFlags: ["recursive", "dereference-recursive", "extended-regexp", "fixed-strings", "basic-regexp", "perl-regexp", "ignore-case", "no-ignore-case", "word-regexp", "line-regexp", "null-data", "no-messages", "invert-match", "version", "help", "byte-offset", "line-buffered", "line-number", "with-filename", "no-filename", "only-matching", "quiet", "silent", "text", "files-without-match", "files-with-matches", "count", "initial-tab", "null", "no-group-separator"],
};

function grepOperands(args: readonly string[]): { parsed: ParsedArgs; files: string[] } {
  const parsed = parseOptions(args, GREP_SPEC);
  const hasPattern = parsed.options.some((o) => o.name === "e" || o.name === "regexp" || o.name === "f" || o.name === "file");
  return { parsed, files: hasPattern ? parsed.operands : parsed.operands.slice(1) };
}

function checkGrep(alwaysRecursive: boolean) {
  return (args: readonly string[]): void => {
    const { parsed, files } = grepOperands(args);
    const recursive =
      alwaysRecursive ||
      parsed.options.some((o) => o.name === "r" || o.name === "R" || o.name === "recursive" || o.name === "dereference-recursive" || ((o.name === "d" || o.name === "directories") && o.value === "recurse"));
    if (!recursive) {
      return;
    }
    if (files.length === 0) {
      deny("recursive", "recursive grep without a directory searches the working directory; name the directory (grep -r PATTERN /var/log)");
    }
    for (const file of files) {
      const hit = sensitiveTree(file);
      if (hit) {
        deny("recursive", `recursive grep of ${file} could read secrets: ${hit.why}`);
      }
    }
  };
}

function grepPaths(args: readonly string[]): string[] {
  const { parsed, files } = grepOperands(args);
  const fromOptions = parsed.options.filter((o) => ["f", "file", "exclude-from"].includes(o.name)).map((o) => o.value ?? "");
  return [...files, ...fromOptions];
}

const FIND_REFUSED: Record<string, string> = {
  "-exec": "runs a command for each file",
  "-execdir": "runs a command for each file",
  "-ok": "runs a command for each file",
  "-okdir": "runs a command for each file",
  "-delete": "deletes files",
  "-fprint": "writes a file",
  "-fprint0": "writes a file",
  "-fprintf": "writes a file",
  "-fls": "writes a file",
};

/** find tests whose value is a name pattern, not a file to open. */
const FIND_PATTERN_TESTS = new Set(["-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname", "-ilname"]);

/** Every argument may name a file (starting points, -newer FILE, -files0-from FILE) except name patterns. */
function findPaths(args: readonly string[]): string[] {
  return args.filter((_, k) => k === 0 || !FIND_PATTERN_TESTS.has(args[k - 1]));
}

function checkFind(args: readonly string[]): void {
  for (const arg of args) {
    const why = own(FIND_REFUSED, arg);
    if (why) {
      deny(`option:${arg}`, `find ${arg} ${why}`);
    }
  }
}

/** diff compares the files inside two directories (recursively with -r) and prints their contents. */
function checkDiff(args: readonly string[]): void {
  const parsed = parseOptions(args, {
    shortValue: "CDFILSUWx",
    longValue: ["context", "unified", "ignore-matching-lines", "label", "show-function-line", "starting-file", "exclude", "exclude-from", "from-file", "to-file", "width", "tabsize", "line-format", "old-line-format", "new-line-format", "unchanged-line-format", "old-group-format", "new-group-format", "changed-group-format", "unchanged-group-format", "horizon-lines", "color", "palette"],
  });
  const files = [...parsed.operands, ...parsed.options.filter((o) => o.name === "from-file" || o.name === "to-file").map((o) => o.value ?? "")];
  for (const file of files) {
    const hit = sensitiveTree(file);
    if (hit) {
      deny("directory", `diff ${file} may compare the files of a directory that holds secrets (${hit.why}); compare named files outside it`);
    }
  }
}

function checkTail(args: readonly string[]): void {
  refuseFollowWords("tail", args, ["-f", "-F", "--follow"]);
  for (const arg of args) {
    if (/^[-+][0-9]*[bcl]?f$/.test(arg)) {
      deny("option:-f", `tail ${arg} ${FOLLOWS}`);
    }
  }
  const parsed = parseOptions(args, {
    shortValue: "cns",
    numericShort: true,
    longValue: ["bytes", "lines", "pid", "sleep-interval", "max-unchanged-stats"],
    longOptional: ["follow"],
    longFlags: ["retry", "quiet", "silent", "verbose", "zero-terminated", "help", "version"],
  });
  refuseOptions(parsed, { f: `tail -f ${FOLLOWS}`, F: `tail -F ${FOLLOWS}`, follow: `tail --follow ${FOLLOWS}` });
}

function checkHeadLike(args: readonly string[]): void {
  parseOptions(args, { shortValue: "cn", numericShort: true, longValue: ["bytes", "lines"] });
}

function checkSort(args: readonly string[]): void {
  const parsed = parseOptions(args, {
    shortValue: "ktoST",
    longValue: ["key", "field-separator", "output", "buffer-size", "temporary-directory", "compress-program", "parallel", "files0-from", "sort", "random-source", "batch-size"],
    longFlags: ["reverse", "numeric-sort", "human-numeric-sort", "general-numeric-sort", "month-sort", "version-sort", "unique", "ignore-case", "ignore-leading-blanks", "dictionary-order", "ignore-nonprinting", "random-sort", "stable", "check", "merge", "zero-terminated", "debug"],
  });
  refuseOptions(parsed, { o: "sort -o writes a file", output: "sort --output writes a file", "compress-program": "sort --compress-program runs a program" });
}

function checkUniq(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "fsw", longValue: ["skip-fields", "skip-chars", "check-chars", "group", "all-repeated"] });
  if (parsed.operands.length > 1) {
    deny("operand", "uniq with a second file name writes its output to that file");
  }
}

function checkTop(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "dnopuUEe", shortOptional: "w" });
  if (!findOption(parsed, "b")) {
    deny("interactive", "top without -b is interactive; use top -b -n 1");
  }
  if (!findOption(parsed, "n")) {
    deny("interval-without-count", "top -b without -n repeats forever; use top -b -n 1");
  }
}

function checkFree(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "sc", longValue: ["seconds", "count"] });
  if (findOption(parsed, "s", "seconds") && !findOption(parsed, "c", "count")) {
    deny("interval-without-count", "free -s repeats forever; add -c COUNT");
  }
}

function checkDmesg(args: readonly string[]): void {
  refuseFollowWords("dmesg", args, ["-w", "-W", "--follow", "--follow-new"]);
  const parsed = parseOptions(args, {
    shortValue: "fFlns",
    shortOptional: "L",
    longValue: ["facility", "file", "level", "console-level", "buffer-size", "time-format", "since", "until"],
    longOptional: ["color"],
    longFlags: ["ctime", "human", "decode", "kernel", "userspace", "raw", "notime", "show-delta", "reltime", "nopager", "syslog", "force-prefix", "follow", "follow-new", "clear", "read-clear", "console-off", "console-on", "noescape", "json", "help", "version"],
  });
  const clears = "clears the kernel ring buffer";
  const console = "changes the console log level";
  refuseOptions(parsed, {
    c: `dmesg -c ${clears}`,
    C: `dmesg -C ${clears}`,
    "read-clear": `dmesg --read-clear ${clears}`,
    clear: `dmesg --clear ${clears}`,
    D: `dmesg -D ${console}`,
    E: `dmesg -E ${console}`,
    n: `dmesg -n ${console}`,
    "console-off": `dmesg --console-off ${console}`,
    "console-on": `dmesg --console-on ${console}`,
    "console-level": `dmesg --console-level ${console}`,
    w: `dmesg -w ${FOLLOWS}`,
    W: `dmesg -W ${FOLLOWS}`,
    follow: `dmesg --follow ${FOLLOWS}`,
    "follow-new": `dmesg --follow-new ${FOLLOWS}`,
  });
}

const JOURNALCTL_SPEC: OptionSpec = {
  shortValue: "cDFgHiMopStTuU",
  // "-n 50" and "-b -1": journalctl takes the next argument only when it looks like a value.
  shortPeek: "nb",
  longPeek: ["lines", "boot"],
  peekValue: /^([+-]?[0-9]+|[0-9a-f]{32}([+-][0-9]+)?|all)$/,
  longValue: ["machine", "directory", "file", "root", "image", "namespace", "since", "until", "cursor", "after-cursor", "cursor-file", "unit", "user-unit", "identifier", "priority", "facility", "grep", "output", "output-fields", "field", "interval", "verify-key", "vacuum-size", "vacuum-files", "vacuum-time", "host", "exclude-identifier", "image-policy", "invocation"],
  longOptional: ["case-sensitive", "list-boots"],
  longFlags: ["system", "user", "merge", "dmesg", "reverse", "show-cursor", "utc", "catalog", "no-hostname", "no-full", "full", "all", "follow", "no-tail", "quiet", "no-pager", "pager-end", "force", "help", "version", "fields", "disk-usage", "verify", "sync", "relinquish-var", "smart-relinquish-var", "flush", "rotate", "header", "list-catalog", "dump-catalog", "update-catalog", "setup-keys", "list-namespaces", "list-invocations", "truncate-newline"],
};

/** Belt and braces for "follows forever": the flag itself anywhere, even where a parser would see a value. */
function refuseFollowWords(program: string, args: readonly string[], words: string[]): void {
  const hit = args.find((a) => words.includes(a) || words.some((w) => w.startsWith("--") && a.startsWith(w + "=")));
  if (hit !== undefined) {
    deny(`option:${hit.split("=")[0]}`, `${program} ${hit} ${FOLLOWS}`);
  }
}

function checkJournalctl(args: readonly string[]): void {
  refuseFollowWords("journalctl", args, ["-f", "--follow"]);
  // -n takes an optional value in journalctl, but "-n 50" is how people write it.
  const parsed = parseOptions(args, JOURNALCTL_SPEC);
  const writes = "changes the journal files";
  refuseOptions(parsed, {
    f: `journalctl -f ${FOLLOWS}`,
    follow: `journalctl --follow ${FOLLOWS}`,
    "vacuum-size": `journalctl --vacuum-size ${writes}`,
    "vacuum-files": `journalctl --vacuum-files ${writes}`,
    "vacuum-time": `journalctl --vacuum-time ${writes}`,
    rotate: `journalctl --rotate ${writes}`,
    flush: `journalctl --flush ${writes}`,
    sync: `journalctl --sync ${writes}`,
    "relinquish-var": `journalctl --relinquish-var ${writes}`,
    "smart-relinquish-var": `journalctl --smart-relinquish-var ${writes}`,
    "setup-keys": `journalctl --setup-keys ${writes}`,
    "update-catalog": `journalctl --update-catalog ${writes}`,
    "cursor-file": "journalctl --cursor-file writes a file",
    H: "journalctl -H connects to another host over SSH",
    host: "journalctl --host connects to another host over SSH",
  });
}

function checkDate(args: readonly string[]): void {
  const parsed = parseOptions(args, {
    shortValue: "dfrs",
    shortOptional: "I",
    shortFlags: "Ru",
    longValue: ["date", "file", "reference", "set", "rfc-3339", "resolution"],
    longOptional: ["iso-8601"],
    longFlags: ["debug", "rfc-email", "rfc-2822", "utc", "universal", "help", "version"],
    strict: true,
  });
  refuseOptions(parsed, { s: "date -s sets the clock", set: "date --set sets the clock" });
  for (const operand of parsed.operands) {
    if (!operand.startsWith("+")) {
      deny("operand", `date ${operand} sets the clock; a format starts with "+"`);
    }
  }
}

const checkHostname = noOperands(
  "hostname",
  {
    shortValue: "F",
    shortFlags: "sfdiIAaVhyb",
    longValue: ["file"],
    longFlags: ["short", "fqdn", "long", "domain", "ip-address", "all-ip-addresses", "all-fqdns", "alias", "nis", "yp", "version", "help", "boot"],
    strict: true,
  },
  { F: "hostname -F sets the host name", file: "hostname --file sets the host name", b: "hostname -b sets the host name", boot: "hostname --boot sets the host name" },
);

const REMOTE = { H: "connects to another host", host: "connects to another host", M: "operates on a container", machine: "operates on a container" };

function checkStatusOnly(program: string, allowed: string[], spec: OptionSpec) {
  return (args: readonly string[]): void => {
    const parsed = parseOptions(args, { ...spec, strict: true });
    refuseOptions(parsed, { ...REMOTE, monitor: `${program} --monitor ${FOLLOWS}` });
    const [sub, ...rest] = parsed.operands;
    if (sub !== undefined && !allowed.includes(sub)) {
      deny(`subcommand:${sub}`, `${program} ${sub} is not a read-only subcommand (allowed: ${allowed.join(", ")})`);
    }
    if (rest.length > 0 && sub === "status") {
      deny("operand", `${program} status takes no further arguments`);
    }
  };
}

function checkSysctl(args: readonly string[]): void {
  const parsed = parseOptions(args, {
    shortValue: "r",
    shortOptional: "p",
    shortFlags: "aAXbeNnqowxfdhV",
    longValue: ["pattern"],
    longOptional: ["load"],
    longFlags: ["all", "binary", "ignore", "names", "values", "quiet", "write", "system", "deprecated", "help", "version"],
    strict: true,
  });
  const writes = "changes kernel parameters";
  refuseOptions(parsed, { w: `sysctl -w ${writes}`, write: `sysctl --write ${writes}`, p: `sysctl -p ${writes}`, load: `sysctl --load ${writes}`, f: `sysctl -f ${writes}`, system: `sysctl --system ${writes}` });
  for (const operand of parsed.operands) {
    if (operand.includes("=")) {
      deny("operand", `sysctl ${operand} ${writes}`);
    }
  }
}

function checkPing(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "ciIlmMpQsStwWFT", shortFlags: "46aAbBdDfLnOqrRUvVhH", strict: true });
  refuseOptions(parsed, { f: "ping -f floods the network", l: "ping -l floods the network", p: "ping -p puts chosen bytes on the network" });
  const count = findOption(parsed, "c");
  if (!count || !/^[0-9]+$/.test(count.value ?? "") || Number(count.value) > 100) {
    deny("interval-without-count", "ping without -c (at most 100) runs forever; use ping -c 4 HOST");
  }
}

function checkMount(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "t", shortFlags: "lvh", longValue: ["types"], longFlags: ["show-labels", "verbose", "help"], strict: true });
  if (parsed.operands.length > 0) {
    deny("operand", "mount with a device or directory mounts it; without arguments it lists mounts");
  }
}

function checkCrontab(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "u", shortFlags: "l", strict: true });
  if (!findOption(parsed, "l") || parsed.operands.length > 0) {
    deny("operand", "crontab is allowed only to list (crontab -l); anything else edits the schedule");
  }
}

function checkGetent(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "s", shortFlags: "i", longValue: ["service"], longFlags: ["no-idn", "help", "version"], strict: true });
  const database = parsed.operands[0];
  if (database === "shadow" || database === "gshadow") {
    deny("sensitive", `getent ${database} prints password hashes`);
  }
}

function checkIptables(program: string) {
  return (args: readonly string[]): void => {
    const parsed = parseOptions(args, {
      shortValue: "t",
      shortOptional: "LSw",
      shortFlags: "nvx46",
      longValue: ["table"],
      longOptional: ["list", "list-rules", "wait"],
      longFlags: ["numeric", "verbose", "exact", "line-numbers", "ipv4", "ipv6"],
      strict: true,
    });
    if (!findOption(parsed, "L", "S", "list", "list-rules")) {
      deny("operand", `${program} is allowed only to list rules (${program} -L -n -v or -S)`);
    }
    if (parsed.operands.length > 1) {
      deny("operand", `${program} lists one chain at a time`);
    }
  };
}

function checkNft(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortFlags: "ansjtNuyS", longFlags: ["handle", "numeric", "stateless", "json", "terse", "service", "guid", "numeric-priority", "numeric-protocol", "numeric-time"], strict: true, stopAtOperand: true });
  if (parsed.operands[0] !== "list") {
    deny("operand", "nft is allowed only to list (nft list ruleset)");
  }
}

const ETHTOOL_READ = new Set(["-i", "--driver", "-S", "--statistics", "-k", "--show-features", "--show-offload", "-g", "--show-ring", "-a", "--show-pause", "-c", "--show-coalesce", "-l", "--show-channels", "-P", "--show-permaddr", "-T", "--show-time-stamping", "-m", "--dump-module-eeprom", "--module-info", "--show-eee", "--show-fec", "--show-priv-flags", "--phy-statistics"]);

function checkEthtool(args: readonly string[]): void {
  const [first, second, ...rest] = args;
  const ok = (first !== undefined && !first.startsWith("-") && second === undefined) || (first !== undefined && ETHTOOL_READ.has(first) && second !== undefined && !second.startsWith("-") && rest.length === 0);
  if (!ok) {
    deny("operand", "ethtool is allowed only to show settings (ethtool DEV, ethtool -S DEV, ethtool -i DEV …)");
  }
}

function checkNvidiaSmi(args: readonly string[]): void {
  const parsed = parseOptions(args, {
    shortValue: "id",
    shortFlags: "qLxh",
    longValue: ["query-gpu", "query-compute-apps", "format", "id", "display"],
    longFlags: ["query", "list-gpus", "xml-format", "help"],
    strict: true,
  });
  if (parsed.operands.length > 0) {
    deny("operand", "nvidia-smi subcommands can change GPU settings; use nvidia-smi, -q, -L or --query-gpu");
  }
}

function checkFdisk(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortFlags: "lx", longFlags: ["list", "list-details"], strict: true });
  if (!findOption(parsed, "l", "x", "list", "list-details")) {
    deny("interactive", "fdisk without -l edits partition tables; use fdisk -l");
  }
}

function checkSleep(args: readonly string[]): void {
  if (args.length !== 1 || !/^[0-9]+(\.[0-9]+)?s?$/.test(args[0]) || Number.parseFloat(args[0]) > 10) {
    deny("operand", "sleep is allowed for at most 10 seconds (sleep 1)");
  }
}

function checkFile(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "efmFP", longValue: ["exclude", "exclude-quiet", "files-from", "magic-file", "separator", "parameter"], longFlags: ["compile", "brief", "mime", "mime-type", "mime-encoding", "special-files", "dereference", "no-dereference", "keep-going", "raw", "uncompress", "print0", "no-pad", "no-buffer", "preserve-date", "help", "version", "extension", "apple", "list", "debug"] });
  refuseOptions(parsed, { C: "file -C writes a magic file", compile: "file --compile writes a magic file" });
}

function checkTree(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "LPIoH", longValue: ["filelimit", "timefmt", "sort", "charset", "fromfile", "hintro", "houtro", "gitfile", "infofile"] });
  refuseOptions(parsed, { o: "tree -o writes a file" });
}

function checkDig(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "bcfkpqtxy" });
  refuseOptions(parsed, { f: "dig -f sends every line of a file as a DNS query", k: "dig -k reads a key file" });
}

function requireOption(program: string, names: string[], spec: OptionSpec, example: string) {
  return (args: readonly string[]): void => {
    const parsed = parseOptions(args, spec);
    if (!findOption(parsed, ...names)) {
      deny("interactive", `${program} is interactive or runs forever without ${names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join("/")}; use ${example}`);
    }
  };
}

function checkIotop(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortValue: "dnpu", longValue: ["delay", "iter", "pid", "user"] });
  if (!findOption(parsed, "b", "batch") || !findOption(parsed, "n", "iter")) {
    deny("interactive", "iotop is interactive or runs forever without -b -n; use iotop -b -n 1 -o");
  }
}

/** `apt list --upgradable`, `apt show nginx`, `apt policy nginx`: nothing that installs or runs hooks (-o, -c). */
function checkApt(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortFlags: "aq", longFlags: ["installed", "upgradable", "upgradeable", "all-versions", "manual-installed", "full", "quiet"], strict: true });
  const sub = parsed.operands[0];
  if (sub === undefined || !["list", "show", "policy"].includes(sub)) {
    deny(`subcommand:${sub ?? ""}`, "apt is allowed only to list, show or print the policy of packages (apt list --upgradable)");
  }
}

function checkAptCache(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortFlags: "naiq", longFlags: ["names-only", "full", "installed", "recurse", "quiet"], strict: true });
  const sub = parsed.operands[0];
  if (sub === undefined || !["policy", "show", "showpkg", "search", "depends", "rdepends", "madison", "stats", "pkgnames"].includes(sub)) {
    deny(`subcommand:${sub ?? ""}`, "apt-cache is allowed only to query (apt-cache policy nginx)");
  }
}

/** dpkg / dpkg-query: queries only. */
function checkDpkg(program: string) {
  return (args: readonly string[]): void => {
    const parsed = parseOptions(args, {
      shortValue: "f",
      shortFlags: "lsLSW",
      longValue: ["showformat"],
      longFlags: ["list", "status", "listfiles", "search", "show", "get-selections", "print-architecture", "print-foreign-architectures", "no-pager"],
      strict: true,
    });
    const query = parsed.options.find((o) => "lsLSW".includes(o.name) || ["list", "status", "listfiles", "search", "show", "get-selections", "print-architecture", "print-foreign-architectures"].includes(o.name));
    if (!query) {
      deny("operand", `${program} is allowed only to query installed packages (${program} -l NAME, -s, -L, -S)`);
    }
  };
}

/** rpm: query mode only (-q…), without the options that run programs or macros. */
function checkRpm(args: readonly string[]): void {
  const parsed = parseOptions(args, {
    shortFlags: "qaifldcsR",
    longValue: ["qf", "queryformat", "whatprovides", "whatrequires", "whatrecommends", "whatsuggests"],
    longFlags: ["query", "all", "info", "list", "docfiles", "configfiles", "state", "requires", "provides", "last", "changelog", "scripts", "triggers", "file", "dump", "conflicts", "obsoletes", "nosignature", "nodigest"],
    strict: true,
  });
  if (!findOption(parsed, "q", "query")) {
    deny("operand", "rpm is allowed only to query (rpm -qa, rpm -qi NAME)");
  }
}

/** chronyc: status reports of the local daemon; no other host (-h), no batch of commands (-m). */
function checkChronyc(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortFlags: "ncNav", strict: true });
  const sub = parsed.operands[0];
  if (sub === undefined || !["tracking", "sources", "sourcestats", "activity", "ntpdata", "serverstats", "selectdata", "authdata"].includes(sub)) {
    deny(`subcommand:${sub ?? ""}`, "chronyc is allowed only to report (chronyc tracking, chronyc sources -v)");
  }
}

/** ntpq: the local peer list only (-p, -n, -w); -c runs control commands, operands query other hosts. */
function checkNtpq(args: readonly string[]): void {
  const parsed = parseOptions(args, { shortFlags: "pnw46", longFlags: ["peers", "numeric", "wide"], strict: true });
  if (parsed.operands.length > 0) {
    deny("operand", "ntpq is allowed only for the local daemon (ntpq -pn)");
  }
}

const anyArgs = (what: string): ProgramRule => ({ what });
/** Programs that print their arguments or compute on names, never opening them. */
const readsNothing = (what: string): ProgramRule => ({ what, paths: () => [] });
const metadata = (what: string, check?: ProgramRule["check"]): ProgramRule => ({ what, metadataOnly: true, ...(check ? { check } : {}) });

/** The default read-only profile. */
export const READ_ONLY_PROGRAMS: Record<string, ProgramRule> = {
  uptime: anyArgs("load and uptime"),
  nproc: anyArgs("CPU count"),
  uname: anyArgs("kernel and OS"),
  arch: anyArgs("architecture"),
  whoami: anyArgs("current user"),
  id: anyArgs("user identity"),
  groups: anyArgs("group membership"),
  w: anyArgs("logged-in users"),
  who: anyArgs("logged-in users"),
  users: anyArgs("logged-in users"),
  last: anyArgs("login history"),
  lastlog: {
    what: "login history",
    check: optionsOnly({ shortValue: "bturS", longValue: ["before", "time", "user", "root"], longFlags: ["clear", "set", "help"] }, { C: "lastlog -C clears login records", clear: "lastlog --clear clears login records", S: "lastlog -S sets login records", set: "lastlog --set sets login records" }),
  },
  lscpu: anyArgs("CPU details"),
  lsmem: anyArgs("memory blocks"),
  lspci: anyArgs("PCI devices"),
  lsusb: anyArgs("USB devices"),
  lsmod: anyArgs("kernel modules"),
  modinfo: anyArgs("kernel module details"),
  lsipc: anyArgs("IPC resources"),
  ipcs: anyArgs("IPC resources"),
  getconf: anyArgs("system limits"),
  numastat: anyArgs("NUMA memory"),
  ps: { what: "processes", check: checkPs },
  pstree: anyArgs("process tree"),
  pgrep: anyArgs("process lookup"),
  pidof: anyArgs("process lookup"),
  pmap: anyArgs("process memory map"),
  free: { what: "memory usage", check: checkFree },
  vmstat: { what: "virtual memory statistics", check: intervalNeedsCount("vmstat", {}, { shortValue: "Spc" }) },
  iostat: { what: "I/O statistics", check: intervalNeedsCount("iostat", {}, { shortValue: "gjop" }) },
  mpstat: { what: "CPU statistics", check: intervalNeedsCount("mpstat", {}, { shortValue: "PINo" }) },
  pidstat: { what: "per-process statistics", check: intervalNeedsCount("pidstat", {}, { shortValue: "CGpTeo" }) },
  sar: {
    what: "system activity report",
    check: (args) => {
      if (args.some((a) => /^-[A-Za-z]*o/.test(a))) {
        deny("option:-o", "sar -o writes a data file");
      }
      intervalNeedsCount("sar")(args.filter((a) => !a.startsWith("-")));
    },
  },
  top: { what: "processes (batch mode)", check: checkTop },
  iotop: { what: "I/O by process (batch mode)", check: checkIotop },
  slabtop: { what: "kernel slab usage", check: requireOption("slabtop", ["o", "once"], { shortValue: "ds", longValue: ["delay", "sort"], longFlags: ["once", "human"] }, "slabtop -o") },
  df: metadata("disk space"),
  du: metadata("disk usage"),
  ls: metadata("directory listing"),
  stat: metadata("file status"),
  readlink: metadata("link target"),
  realpath: metadata("path resolution"),
  basename: readsNothing("path component"),
  dirname: readsNothing("path component"),
  lsblk: metadata("block devices"),
  blkid: metadata(
    "block device attributes",
    optionsOnly({ shortValue: "cosSLUOnutw" }, { c: "blkid -c writes its cache to a file", w: "blkid -w writes its cache to a file", g: "blkid -g rewrites its cache" }),
  ),
  findmnt: metadata("mounts", optionsOnly({ shortValue: "FoOSTtMNdw", longValue: ["tab-file", "output", "options", "source", "target", "types", "mountpoint", "task", "direction", "timeout", "first-only"] }, { p: `findmnt -p ${FOLLOWS}`, poll: `findmnt --poll ${FOLLOWS}` })),
  find: { what: "file search", metadataOnly: true, check: checkFind, paths: findPaths },
  tree: metadata("directory tree", checkTree),
  which: readsNothing("program lookup"),
  whereis: readsNothing("program lookup"),
  mount: metadata("mounts (list only)", checkMount),
  fdisk: metadata("partition tables (list only)", checkFdisk),
  lsof: {
    what: "open files and sockets",
    metadataOnly: true,
    check: (args) => {
      const repeat = args.find((a) => /^[-+][A-Za-z]*r/.test(a));
      if (repeat) {
        deny("option:-r", `lsof ${repeat} repeats forever`);
      }
    },
  },
  cat: anyArgs("file contents"),
  tac: anyArgs("file contents"),
  head: { what: "start of a file", check: checkHeadLike },
  tail: { what: "end of a file", check: checkTail },
  wc: anyArgs("counts"),
  cut: anyArgs("columns"),
  tr: anyArgs("character translation"),
  column: anyArgs("table formatting"),
  nl: anyArgs("line numbers"),
  rev: anyArgs("reversed lines"),
  fold: anyArgs("line wrapping"),
  paste: anyArgs("merged lines"),
  expand: anyArgs("tabs to spaces"),
  comm: anyArgs("sorted comparison"),
  join: anyArgs("joined lines"),
  diff: { what: "file comparison", check: checkDiff },
  cmp: anyArgs("file comparison"),
  md5sum: anyArgs("checksums"),
  sha1sum: anyArgs("checksums"),
  sha256sum: anyArgs("checksums"),
  sha512sum: anyArgs("checksums"),
  cksum: anyArgs("checksums"),
  strings: anyArgs("printable strings"),
  od: anyArgs("octal dump"),
  hexdump: anyArgs("hex dump"),
  zcat: anyArgs("compressed file contents"),
  bzcat: anyArgs("compressed file contents"),
  xzcat: anyArgs("compressed file contents"),
  echo: readsNothing("text"),
  printf: readsNothing("text"),
  true: readsNothing("nothing"),
  false: readsNothing("nothing"),
  seq: readsNothing("numbers"),
  sort: { what: "sorting", check: checkSort },
  uniq: { what: "duplicate lines", check: checkUniq },
  grep: { what: "text search", check: checkGrep(false), paths: grepPaths },
  egrep: { what: "text search", check: checkGrep(false), paths: grepPaths },
  fgrep: { what: "text search", check: checkGrep(false), paths: grepPaths },
  zgrep: { what: "compressed text search", check: checkGrep(false), paths: grepPaths },
  rgrep: { what: "recursive text search", check: checkGrep(true), paths: grepPaths },
  sed: { what: "stream editing (print only)", check: checkSed },
  awk: { what: "text processing", check: checkAwk },
  gawk: { what: "text processing", check: checkAwk },
  mawk: { what: "text processing", check: checkAwk },
  nawk: { what: "text processing", check: checkAwk },
  file: { what: "file type", check: checkFile },
  journalctl: { what: "system journal", check: checkJournalctl },
  systemctl: { what: "service status", check: checkSystemctl },
  dmesg: { what: "kernel messages", check: checkDmesg },
  ss: {
    what: "sockets",
    check: optionsOnly(
      { shortValue: "fADFN", longValue: ["family", "query", "socket", "diag", "filter", "net", "kill-socket"] },
      { K: "ss -K closes sockets", kill: "ss --kill closes sockets", D: "ss -D writes a file", diag: "ss --diag writes a file" },
    ),
  },
  netstat: { what: "network connections", check: optionsOnly({ shortValue: "A", longValue: ["protocol"] }, { c: `netstat -c ${FOLLOWS}`, continuous: `netstat --continuous ${FOLLOWS}` }) },
  ip: { what: "network configuration (show only)", check: checkIp },
  ethtool: { what: "network interface settings (show only)", check: checkEthtool },
  iptables: { what: "firewall rules (list only)", check: checkIptables("iptables") },
  ip6tables: { what: "firewall rules (list only)", check: checkIptables("ip6tables") },
  nft: { what: "firewall rules (list only)", check: checkNft },
  ping: { what: "reachability", check: checkPing },
  traceroute: anyArgs("network path"),
  tracepath: anyArgs("network path"),
  dig: { what: "DNS lookup", check: checkDig },
  nslookup: anyArgs("DNS lookup"),
  host: anyArgs("DNS lookup"),
  getent: { what: "name service lookup", check: checkGetent },
  docker: { what: "containers (read-only)", check: checkDocker },
  kubectl: { what: "Kubernetes (read-only)", check: checkKubectl },
  date: { what: "date and time", check: checkDate },
  hostname: { what: "host name", check: checkHostname },
  hostnamectl: { what: "host name", check: checkStatusOnly("hostnamectl", ["status"], { longValue: ["json", "host", "machine"], longFlags: ["static", "transient", "pretty", "no-ask-password", "help", "version"], shortValue: "HM", shortFlags: "h" }) },
  timedatectl: {
    what: "clock and time zone",
    check: checkStatusOnly("timedatectl", ["status", "show", "timesync-status", "show-timesync", "list-timezones"], {
      longValue: ["property", "host", "machine"],
      longFlags: ["all", "value", "no-pager", "no-ask-password", "adjust-system-clock", "monitor", "help", "version"],
      shortValue: "pHM",
      shortFlags: "ah",
    }),
  },
  sysctl: { what: "kernel parameters (read only)", check: checkSysctl },
  crontab: { what: "scheduled jobs (list only)", check: checkCrontab },
  "nvidia-smi": { what: "GPU status", check: checkNvidiaSmi },
  sleep: { what: "a short pause", check: checkSleep, paths: () => [] },
  apt: { what: "package status (query only)", check: checkApt },
  "apt-cache": { what: "package status (query only)", check: checkAptCache },
  dpkg: { what: "package status (query only)", check: checkDpkg("dpkg") },
  "dpkg-query": { what: "package status (query only)", check: checkDpkg("dpkg-query") },
  rpm: { what: "package status (query only)", check: checkRpm },
  chronyc: { what: "time sync status", check: checkChronyc },
  conntrack: {
    what: "connection tracking (list and statistics)",
    check: optionsOnly(
      { shortValue: "pstdrqmfgzo", longValue: ["proto", "src", "dst", "reply-src", "reply-dst", "mark", "family", "zone", "output", "orig-src", "orig-dst", "status", "timeout"] },
      {
        D: "conntrack -D deletes connections",
        delete: "conntrack --delete deletes connections",
        F: "conntrack -F flushes the table",
        flush: "conntrack --flush flushes the table",
        U: "conntrack -U changes connections",
        update: "conntrack --update changes connections",
        I: "conntrack -I creates connections",
        create: "conntrack --create creates connections",
        E: `conntrack -E ${FOLLOWS}`,
        event: `conntrack --event ${FOLLOWS}`,
        R: "conntrack -R loads entries from a file",
        "load-file": "conntrack --load-file loads entries from a file",
      },
    ),
  },
  ntpq: { what: "time sync status", check: checkNtpq },
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
  swapon: "changes swap",
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
  service: "starts and stops services",
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
