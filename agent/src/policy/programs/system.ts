// Rules for the host's identity, users, hardware and processes, and the statistics tools the
// performance checklists start with (vmstat, mpstat, pidstat, iostat, sar, top). An interval
// without a count is bounded to the sampling window; interactive tools run in batch mode.

import { findOption, options, type ParsedArgs } from "../options";
import { checkPs } from "./ps";
import { boundedCount, countOf, deny, grammar, intervalCount, noOperands, printer, reader, reportsInWindow, type ArgvRewrite, type ProgramRule, type RuleContext } from "./rule";

const SECONDS = /^[0-9]+(\.[0-9]+)?$/;

/** A delay option's value in seconds (`-d 0.5`), or a refusal when it is not a plain number. */
function delayOf(program: string, value: string | undefined): number {
  if (value === undefined || !SECONDS.test(value) || Number(value) <= 0) {
    deny("option:-d", `cannot verify ${program}'s delay "${value ?? ""}"; give seconds (1 or 0.5)`);
  }
  return Number(value);
}

/**
 * top and systemd-cgtop: batch mode only (interactive mode needs a terminal). Without a count of
 * iterations they would repeat forever, so they sample: two frames the window apart (the second
 * one's CPU figures cover the whole window), or frames every `-d` seconds. Plain `top` becomes
 * `top -b -d 5 -n 2`.
 */
function batchFrames(program: string, batchLong: string, defaultDelay: number) {
  return (_args: readonly string[], parsed: ParsedArgs, ctx: RuleContext): ArgvRewrite | void => {
    const words: string[] = findOption(parsed, "b", batchLong) ? [] : ["-b"];
    const delay = findOption(parsed, "d", "delay");
    const iterations = findOption(parsed, "n", "iterations");
    if (iterations) {
      const frames = countOf(program, "-n", iterations.value);
      boundedCount(program, (frames - 1) * (delay ? delayOf(program, delay.value) : defaultDelay), `give fewer frames (${program} -b -n 2), or no -n to sample for ${ctx.sampleSeconds} s`);
      return words.length > 0 ? { at: 0, words } : undefined;
    }
    if (delay === undefined) {
      return { at: 0, words: [...words, "-d", String(ctx.sampleSeconds), "-n", "2"], sampleSeconds: ctx.sampleSeconds };
    }
    const seconds = delayOf(program, delay.value);
    const frames = reportsInWindow(program, seconds, ctx, `${program} -b -n 2`);
    return { at: 0, words: [...words, "-n", String(frames + 1)], sampleSeconds: frames * seconds };
  };
}

const checkTop = batchFrames("top", "batch-mode", 3);

/** iotop: batch mode; without -n it samples like top, every -d seconds (default 1). */
function checkIotop(_args: readonly string[], parsed: ParsedArgs, ctx: RuleContext): ArgvRewrite | void {
  const words: string[] = findOption(parsed, "b", "batch") ? [] : ["-b"];
  const delay = findOption(parsed, "d", "delay");
  const seconds = delay ? delayOf("iotop", delay.value) : 1;
  const iterations = findOption(parsed, "n", "iter");
  if (iterations) {
    boundedCount("iotop", (countOf("iotop", "-n", iterations.value) - 1) * seconds, `give fewer frames (iotop -b -n 3), or no -n to sample for ${ctx.sampleSeconds} s`);
    return words.length > 0 ? { at: 0, words } : undefined;
  }
  const frames = reportsInWindow("iotop", seconds, ctx, "iotop -b -n 3");
  return { at: 0, words: [...words, "-n", String(frames + 1)], sampleSeconds: frames * seconds };
}

/** free -s N repeats forever without -c: it samples. */
function checkFree(_args: readonly string[], parsed: ParsedArgs, ctx: RuleContext): ArgvRewrite | void {
  const every = findOption(parsed, "s", "seconds");
  const count = findOption(parsed, "c", "count");
  if (!every) {
    return;
  }
  const seconds = delayOf("free", every.value);
  if (count) {
    boundedCount("free", (countOf("free", "-c", count.value) - 1) * seconds, `give a smaller count (free -s 1 -c 5), or no -c to sample for ${ctx.sampleSeconds} s`);
    return;
  }
  const reports = reportsInWindow("free", seconds, ctx, "free -s 1 -c 5");
  return { at: 0, words: ["-c", String(reports + 1)], sampleSeconds: reports * seconds };
}

/** slabtop without -o redraws forever on a terminal: one report instead. */
function checkSlabtop(_args: readonly string[], parsed: ParsedArgs): ArgvRewrite | void {
  return findOption(parsed, "o", "once") ? undefined : { at: 0, words: ["-o"] };
}

function checkIostat(_args: readonly string[], parsed: ParsedArgs, ctx: RuleContext): ArgvRewrite | void {
  const other = parsed.operands.find((o) => o.startsWith("+"));
  if (other !== undefined) {
    deny(`option:${other}`, `cannot verify iostat option "${other}"`);
  }
  return intervalCount("iostat", parsed, ctx, !findOption(parsed, "y"));
}

const SYSSTAT_DEC = "--dec= --human";
const KEYWORDS = /^[A-Z][A-Z0-9_,]*$/;
const CLOCK = /^[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$/;

export const SYSTEM_PROGRAMS: Record<string, ProgramRule> = {
  uptime: printer("load and uptime", "-p|--pretty -s|--since -h|--help -V|--version", { check: noOperands("uptime takes no operand") }),
  nproc: printer("CPU count", "--all --ignore= --help --version"),
  uname: printer("kernel and OS", "-a|--all -s|--kernel-name -n|--nodename -r|--kernel-release -v|--kernel-version -m|--machine -p|--processor -i|--hardware-platform -o|--operating-system --help --version"),
  arch: printer("architecture", "--help --version"),
  whoami: printer("current user", "--help --version"),
  id: printer("user identity", "-a -Z|--context -g|--group -G|--groups -n|--name -r|--real -u|--user -z|--zero --help --version"),
  groups: printer("group membership", "--help --version"),
  w: printer("logged-in users", "-h|--no-header -u|--no-current -s|--short -f|--from -o|--old-style -i|--ip-addr -p|--pids --help -V|--version"),
  who: reader("logged-in users", "-a|--all -b|--boot -d|--dead -H|--heading --ips -l|--login --lookup -m -p|--process -q|--count -r|--runlevel -s|--short -t|--time -T|-w|--mesg -u|--users --message --writable --help --version"),
  last: reader("login history", options("-a|--hostlast -d|--dns -f|--file= -F|--fulltimes -i|--ip -n|--limit= -R|--nohostname -s|--since= -t|--until= -p|--present= -w|--fullnames -x|--system --time-format= -h|--help -V|--version", { numericShort: true })),
  lastlog: printer(
    "login history",
    options("-b|--before= -t|--time= -u|--user= -h|--help", {
      denied: { C: "lastlog -C clears login records", clear: "lastlog --clear clears login records", S: "lastlog -S sets login records", set: "lastlog --set sets login records" },
    }),
    { note: "No -C/-S (they change the records) and no -R (chroot)." },
  ),
  lscpu: printer("CPU details", "-a|--all -b|--online -B|--bytes -C|--caches=? -c|--offline -J|--json -e|--extended=? -p|--parse=? -x|--hex -y|--physical --output-all -h|--help -V|--version", { check: noOperands("lscpu takes no operand") }),
  lsmem: printer("memory blocks", "-J|--json -P|--pairs -a|--all -b|--bytes -n|--noheadings -o|--output= --output-all -r|--raw -S|--split= --summary=? -h|--help -V|--version"),
  lspci: printer("PCI devices", "-m -t -v -k -x -b -D -P -n -q -Q -s= -d= -M --version --help", { note: "No -A/-O/-H (other access methods), -F/-i/-p (other data files)." }),
  lsusb: printer("USB devices", "-v|--verbose -s= -d= -t|--tree -V|--version -h|--help"),
  lsmod: printer("kernel modules", "--help --version", { check: noOperands("lsmod takes no operand") }),
  modinfo: printer("kernel module details", "-a|--author -d|--description -l|--license -p|--parameters -n|--filename -0|--null -F|--field= -k= -V|--version -h|--help"),
  lsipc: printer("IPC resources", "-m|--shmems -q|--queues -s|--semaphores -g|--global -i|--id= --noheadings --notruncate --time-format= -b|--bytes -c|--creator -e|--export -J|--json -n|--newline -l|--list -o|--output=? -P|--numeric-perms -r|--raw -t|--time -y|--shell -h|--help -V|--version"),
  ipcs: printer("IPC resources", "-i|--id= -h|--help -V|--version -m|--shmems -q|--queues -s|--semaphores -a|--all -t|--time -p|--pid -c|--creator -l|--limits -u|--summary --human -b|--bytes"),
  lsns: printer("namespaces", "-J|--json -l|--list -n|--noheadings -o|--output= --output-all -p|--task= -r|--raw -t|--type= -u|--notruncate -W|--nowrap -T|--tree=? -h|--help -V|--version"),
  getconf: printer("system limits", "-a -v="),
  numastat: printer("NUMA memory", "-c -m -n -p= -s=? -v -V -z"),
  ps: grammar("processes", (args) => checkPs(args), { paths: () => [], note: "Any ps options except BSD e (ps auxe, ps eww print every process's environment)." }),
  pstree: printer("process tree", "-a|--arguments -A|--ascii -c|--compact-not -C|--color= -g|--show-pgids -G|--vt100 -h|--highlight-all -H|--highlight-pid= -l|--long -n|--numeric-sort -N|--ns-sort= -p|--show-pids -s|--show-parents -S|--ns-changes -t|--thread-names -T|--hide-threads -u|--uid-changes -U|--unicode -V|--version -Z|--security-context"),
  pgrep: printer(
    "process lookup",
    "-d|--delimiter= -l|--list-name -a|--list-full -v|--inverse -w|--lightweight -c|--count -f|--full -g|--pgroup= -G|--group= -i|--ignore-case -n|--newest -o|--oldest -O|--older= -P|--parent= -s|--session= -t|--terminal= -u|--euid= -U|--uid= -x|--exact -r|--runstates= -A|--ignore-ancestors --cgroup= --ns= --nslist= -h|--help -V|--version",
    { note: "No -F (PID file)." },
  ),
  pidof: printer("process lookup", "-s|--single-shot -c|--check-root -q|--quiet -w|--with-workers -x -o|--omit-pid= -S|--separator= -h|--help -V|--version"),
  pmap: printer(
    "process memory map",
    options("-x|--extended -X -d|--device -q|--quiet -p|--show-path -A|--range= -h|--help -V|--version", {
      denied: { n: "pmap -n writes a configuration file", "create-rc": "pmap --create-rc writes a configuration file", N: "pmap -N writes a file", "create-rc-to": "pmap --create-rc-to writes a file", c: "pmap -c reads a configuration file", "read-rc": "pmap --read-rc reads a configuration file", C: "pmap -C reads a configuration file", "read-rc-from": "pmap --read-rc-from reads a configuration file" },
    }),
    { note: "No -n/-N (write rc files), -c/-C (read them)." },
  ),
  free: printer("memory usage", "-b|--bytes --kilo --mega --giga --tera --peta -k|--kibi -m|--mebi -g|--gibi --tebi --pebi -h|--human --si -l|--lohi -L|--line -t|--total -v|--committed -s|--seconds= -c|--count= -w|--wide --help -V|--version", {
    check: checkFree,
    note: "free -s without -c is sampled (a count is added).",
  }),
  vmstat: printer("virtual memory statistics", "-a|--active -f|--forks -m|--slabs -n|--one-header -s|--stats -d|--disk -D|--disk-sum -p|--partition= -S|--unit= -w|--wide -t|--timestamp -y|--no-first -h|--help -V|--version", {
    check: (_args, parsed, ctx) => intervalCount("vmstat", parsed, ctx, !findOption(parsed, "y", "no-first")),
    note: "An interval without a count is sampled (vmstat 1 runs as vmstat 1 6).",
  }),
  iostat: printer("I/O statistics", options(`-c -d -h -k -m -N -s -t -V -x -y -z -j= --compact ${SYSSTAT_DEC} --pretty -o= -H -g= -p=~`, { peekValues: { p: /^(ALL|[A-Za-z][A-Za-z0-9_,/-]*)$/ } }), {
    check: checkIostat,
    note: "An interval without a count is sampled. No -f/+f (statistics from another directory).",
  }),
  mpstat: printer("CPU statistics", `-A -n -T -u -V -I= -N= ${SYSSTAT_DEC} -o= -P=`, {
    check: (_args, parsed, ctx) => intervalCount("mpstat", parsed, ctx, false),
    note: "An interval without a count is sampled (the summary is printed at the end).",
  }),
  pidstat: printer(
    "per-process statistics",
    options(`-d -H -h -I -l -R -r -s -t -U=~ -u -V -v -w -C= -G= -p= -T= ${SYSSTAT_DEC}`, {
      peekValues: { U: /^[A-Za-z_][A-Za-z0-9_.-]*$/ },
      denied: { e: "pidstat -e runs a program (any program, with its arguments)" },
    }),
    { check: (_args, parsed, ctx) => intervalCount("pidstat", parsed, ctx, false), note: "No -e (runs a program). An interval without a count is sampled." },
  ),
  sar: reader(
    "system activity report",
    options(`-A -B -b -C -D -d --dev= -e=~ -F=~ --fs= -f=~ -H -h -I=~ --iface= -i= -j= -m= -n= -P= -p --pretty -q=~ -r=~ -S --sadc -s=~ -t -u=~ -V -v -W -w -y -z --int= ${SYSSTAT_DEC}`, {
      peekValues: { e: CLOCK, s: CLOCK, F: KEYWORDS, I: KEYWORDS, q: KEYWORDS, r: KEYWORDS, u: KEYWORDS, f: /^(?![0-9]+$)[^-]/ },
      denied: { o: "sar -o writes a data file" },
    }),
    { check: (_args, parsed, ctx) => intervalCount("sar", parsed, ctx, false), note: "No -o (writes a data file). An interval without a count is sampled." },
  ),
  top: printer("processes (batch mode)", "-b|--batch-mode -c|--cmdline-toggle -d|--delay= -E|--scale-summary-mem= -e|--scale-task-mem= -H|--threads-show -i|--idle-toggle -n|--iterations= -O|--list-fields -o|--sort-override= -p|--pid= -S|--accum-time-toggle -s|--secure-mode -U|--filter-any-user= -u|--filter-only-euser= -w|--width=~ -1|--single-cpu-toggle -h|--help -V|--version", {
    check: (args, parsed, ctx) => {
      noOperands("top takes no operand")(args, parsed);
      return checkTop(args, parsed, ctx);
    },
    note: "Always batch mode (-b is added); without -n it is sampled (top runs as top -b -d 5 -n 2).",
  }),
  iotop: printer("I/O by process (batch mode)", "-o|--only -b|--batch -n|--iter= -d|--delay= -p|--pid= -u|--user= -P|--processes -a|--accumulated -k|--kilobytes -t|--time -q|--quiet -h|--help --version", {
    check: checkIotop,
    note: "Always batch mode; without -n it is sampled.",
  }),
  "systemd-cgtop": printer(
    "resource usage per control group (batch mode)",
    options("-p -t -c -m -i -P -k -r|--raw -b|--batch -n|--iterations= -d|--delay= --cpu=? --recursive= --depth= --order= -h|--help --version", {
      denied: { M: "systemd-cgtop -M operates on a container", machine: "systemd-cgtop --machine operates on a container" },
    }),
    { check: batchFrames("systemd-cgtop", "batch", 1), note: "Always batch mode (-b is added); without -n it is sampled (systemd-cgtop -b -d 5 -n 2)." },
  ),
  slabtop: printer("kernel slab usage", "-d|--delay= -o|--once -s|--sort= -h|--help -V|--version", { check: checkSlabtop, note: "Always one report (-o is added)." }),
};
