// Rules for the network listings of the runbooks (ss, netstat, ip, route, ifconfig, arp, ethtool,
// firewall listings, conntrack) and the reachability and DNS tools. Show and list forms only: an
// operand or option that would change an interface, a route, a socket or a rule is refused.

import { own } from "../own";
import { FOLLOWS, findOption, optionValues, options, type ParsedArgs } from "../options";
import { boundedCount, deny, grammar, noOperands, printer, type ArgvRewrite, type ProgramRule, type RuleContext } from "./rule";

/** traceroute's built-in probe methods (-M); its manual also speaks of "external" modules. */
const TRACEROUTE_METHODS = ["default", "icmp", "tcp", "tcpconn", "udp", "udplite", "raw", "dccp"];

// ---- ip ----------------------------------------------------------------------------------

const IP_FLAGS = new Set(["-s", "-stats", "-statistics", "-d", "-details", "-4", "-6", "-0", "-br", "-brief", "-c", "-color", "-j", "-json", "-p", "-pretty", "-o", "-oneline", "-h", "-human", "-human-readable", "-N", "-Numeric", "-r", "-resolve", "-t", "-timestamp", "-ts", "-tshort", "-iec", "-V", "-Version"]);
const IP_OBJECTS: Record<string, string> = {
  a: "address",
  addr: "address",
  address: "address",
  l: "link",
  link: "link",
  r: "route",
  ro: "route",
  route: "route",
  n: "neigh",
  neigh: "neigh",
  neighbor: "neigh",
  neighbour: "neigh",
  ru: "rule",
  rule: "rule",
  m: "maddress",
  maddr: "maddress",
  maddress: "maddress",
  netns: "netns",
  tunnel: "tunnel",
  tuntap: "tuntap",
  mroute: "mroute",
  nexthop: "nexthop",
  stats: "stats",
  ntable: "ntable",
  token: "token",
  vrf: "vrf",
};

function checkIp(args: readonly string[]): void {
  let k = 0;
  while (k < args.length && args[k].startsWith("-")) {
    // ip accepts "--brief" for "-brief".
    const option = args[k].startsWith("--") ? args[k].slice(1) : args[k];
    if (option.startsWith("-color=") || option.startsWith("-c=")) {
      k++;
      continue;
    }
    if (option === "-n" || option === "-netns" || option === "-f" || option === "-family") {
      if (k + 1 >= args.length) {
        deny(`option:${option}`, `ip ${option} needs a value`);
      }
      k += 2;
      continue;
    }
    if (!IP_FLAGS.has(option)) {
      deny(`option:${option}`, `cannot verify ip option "${args[k]}" (-batch runs commands from a file, -all runs in every namespace)`);
    }
    k++;
  }
  const objectWord = args[k];
  if (objectWord === undefined) {
    deny("operand", "ip without an object; use ip addr, ip link, ip route …");
  }
  const object = own(IP_OBJECTS, objectWord);
  if (object === undefined) {
    deny(`object:${objectWord}`, `ip ${objectWord} is not a read-only object (allowed: addr, link, route, neigh, rule, maddr, netns)`);
  }
  const command = args[k + 1];
  if (command === undefined) {
    return;
  }
  const readCommands = object === "route" ? ["show", "list", "lst", "ls", "get"] : object === "netns" ? ["list", "ls", "identify", "list-id"] : ["show", "list", "lst", "ls"];
  if (!readCommands.includes(command)) {
    deny(`subcommand:${command}`, `ip ${objectWord} ${command} is not a read-only command; write it out in full (allowed: ${readCommands.join(", ")})`);
  }
}

// ---- the rest ----------------------------------------------------------------------------

/** ping without -c or -w would run forever: it samples for the window (`-w 5`) and prints its summary. */
function checkPing(_args: readonly string[], parsed: ParsedArgs, ctx: RuleContext): ArgvRewrite | void {
  for (const name of ["c", "w"]) {
    for (const value of optionValues(parsed, name)) {
      if (!/^[0-9]+$/.test(value) || Number(value) > 100) {
        deny("interval-without-count", `ping -${name} ${value}: give a number up to 100`);
      }
    }
  }
  const count = findOption(parsed, "c");
  if (count && !findOption(parsed, "w")) {
    // -c packets one -i interval apart (default 1 s): -i 100 -c 100 would run for hours.
    const interval = findOption(parsed, "i");
    const seconds = interval === undefined ? 1 : /^[0-9]+(\.[0-9]+)?$/.test(interval.value ?? "") ? Number(interval.value) : Infinity;
    boundedCount("ping", (Number(count.value) - 1) * seconds, "give a smaller count or interval, or a deadline (ping -c 5 -w 10 HOST)");
  }
  if (findOption(parsed, "c", "w")) {
    return;
  }
  return { at: 0, words: ["-w", String(ctx.sampleSeconds)], sampleSeconds: ctx.sampleSeconds };
}

const ETHTOOL_READ = new Set(["-i", "--driver", "-S", "--statistics", "-k", "--show-features", "--show-offload", "-g", "--show-ring", "-a", "--show-pause", "-c", "--show-coalesce", "-l", "--show-channels", "-P", "--show-permaddr", "-T", "--show-time-stamping", "-m", "--dump-module-eeprom", "--module-info", "--show-eee", "--show-fec", "--show-priv-flags", "--phy-statistics"]);

function checkEthtool(args: readonly string[]): void {
  const [first, second, ...rest] = args;
  const ok = (first !== undefined && !first.startsWith("-") && second === undefined) || (first !== undefined && ETHTOOL_READ.has(first) && second !== undefined && !second.startsWith("-") && rest.length === 0);
  if (!ok) {
    deny("operand", "ethtool is allowed only to show settings (ethtool DEV, ethtool -S DEV, ethtool -i DEV …)");
  }
}

function checkIptables(program: string) {
  return (_args: readonly string[], parsed: ParsedArgs): void => {
    if (!findOption(parsed, "L", "S", "list", "list-rules")) {
      deny("operand", `${program} is allowed only to list rules (${program} -L -n -v or -S)`);
    }
    if (parsed.operands.length > 1) {
      deny("operand", `${program} lists one chain at a time`);
    }
  };
}

/** nft joins its arguments into one command line (`list ruleset ; flush ruleset` runs both): names only. */
function checkNft(_args: readonly string[], parsed: ParsedArgs): void {
  if (parsed.operands[0] !== "list") {
    deny("operand", "nft is allowed only to list (nft list ruleset)");
  }
  const odd = parsed.operands.find((o) => !/^[A-Za-z0-9_.:-]+$/.test(o) || o.startsWith("-"));
  if (odd !== undefined) {
    deny("operand", `nft list with "${odd}": only table, chain and set names (nft runs every command in its arguments)`);
  }
}

/** `ifconfig [-a|-s|-v] [INTERFACE]`: more operands would configure the interface. */
function checkIfconfig(_args: readonly string[], parsed: ParsedArgs): void {
  if (parsed.operands.length > 1) {
    deny("operand", `ifconfig ${parsed.operands.join(" ")} changes the interface; ifconfig [-a] [INTERFACE] shows it`);
  }
}

/** nslookup's `-option[=value]` words and at most a name and a server. */
const NSLOOKUP_OPTIONS = /^-(type|querytype|q|class|debug|nodebug|d2|nod2|domain|port|timeout|retry|recurse|norecurse|vc|novc|fail|nofail|ndots|search|nosearch|sil|silent)(=[A-Za-z0-9_.:-]+)?$/i;

function checkNslookup(args: readonly string[]): void {
  const operands = args.filter((a) => !a.startsWith("-"));
  const odd = args.find((a) => a.startsWith("-") && !NSLOOKUP_OPTIONS.test(a));
  if (odd !== undefined) {
    deny(`option:${odd}`, `cannot verify nslookup option "${odd}"`);
  }
  if (operands.length === 0 || operands.length > 2) {
    deny("operand", "nslookup NAME [SERVER] (interactive mode reads commands)");
  }
}

const CONNTRACK_SELECTORS = "-p|--proto= -s|--src|--orig-src= -d|--dst|--orig-dst= -r|--reply-src= -q|--reply-dst= --sport|--orig-port-src= --dport|--orig-port-dst= --reply-port-src= --reply-port-dst= -m|--mark= -f|--family= -o|--output= --state= --status= -w|--zone= --orig-zone= --reply-zone= -t|--timeout= -u|--status= -n|--src-nat -g|--dst-nat -j|--any-nat -c|--secmark=";

export const NETWORK_PROGRAMS: Record<string, ProgramRule> = {
  ss: printer(
    "sockets",
    options("-h|--help -V|--version -n|--numeric -r|--resolve -a|--all -l|--listening -o|--options -e|--extended -m|--memory -p|--processes -T|--threads -i|--info --tipcinfo -s|--summary --tos --cgroup -b|--bpf -Z|--context -z|--contexts -N|--net= -4|--ipv4 -6|--ipv6 -0|--packet -t|--tcp -M|--mptcp -S|--sctp -u|--udp -d|--dccp -w|--raw -x|--unix --tipc --vsock --xdp -f|--family= -H|--no-header -O|--oneline --inet-sockopt -A|--query|--socket=", {
      denied: { K: "ss -K closes sockets", kill: "ss --kill closes sockets", D: "ss -D writes a file", diag: "ss --diag writes a file", E: `ss -E ${FOLLOWS}`, events: `ss --events ${FOLLOWS}`, F: "ss -F reads a filter file", filter: "ss --filter reads a filter file" },
    }),
    { note: "No -K (closes sockets), -D (writes a file), -E (follows), -F (filter file)." },
  ),
  netstat: printer(
    "network connections",
    options("-r|--route -i|--interfaces -g|--groups -s|--statistics -M|--masquerade -v|--verbose -W|--wide -n|--numeric --numeric-hosts --numeric-ports --numeric-users -N|--symbolic -e|--extend -p|--programs -o|--timers -l|--listening -a|--all -F|--fib -C|--cache -Z|--context -t|--tcp -u|--udp -U|--udplite -S|--sctp -w|--raw -x|--unix --ax25 --ipx --netrom -A|--protocol= -4 -6 --inet --inet6 -V|--version -h|--help", {
      denied: { c: `netstat -c ${FOLLOWS}`, continuous: `netstat --continuous ${FOLLOWS}` },
    }),
  ),
  ip: grammar("network configuration (show only)", (args) => checkIp(args), { paths: () => [], note: "Objects addr, link, route, neigh, rule, maddr, netns…; commands show/list only (route get); no -batch, -force, -all." }),
  route: printer("routing table", "-n|--numeric -N|--symbolic -v|--verbose -e|--extend -F|--fib -C|--cache -A= -4 -6 --inet --inet6 -h|--help -V|--version", {
    check: noOperands("route {} changes the routing table; route -n lists it"),
  }),
  ifconfig: printer("network interfaces", "-a -s -v -h|--help -V|--version", { check: checkIfconfig, note: "At most one operand (the interface); anything after it would configure it." }),
  arp: printer(
    "ARP cache",
    options("-a -e -n|--numeric -v|--verbose -i|--device= -H|--hw-type= -A|-p|--protocol= -h|--help -V|--version", {
      denied: { s: "arp -s adds an entry", set: "arp --set adds an entry", d: "arp -d deletes an entry", delete: "arp --delete deletes an entry", f: "arp -f adds entries from a file", file: "arp --file adds entries from a file", D: "arp -D belongs to -s (adds an entry)", "use-device": "arp --use-device belongs to -s (adds an entry)" },
    }),
  ),
  ethtool: grammar("network interface settings (show only)", (args) => checkEthtool(args), { paths: () => [], note: "ethtool DEV, or one show option (-i, -S, -k, -g, -a, -c, -l, -P, -T, -m) and DEV." }),
  iptables: printer("firewall rules (list only)", "-t|--table= -L=? --list=? -S=? --list-rules=? -w=? --wait=? -n|--numeric -v|--verbose -x|--exact --line-numbers -4|--ipv4 -6|--ipv6", { check: checkIptables("iptables") }),
  ip6tables: printer("firewall rules (list only)", "-t|--table= -L=? --list=? -S=? --list-rules=? -w=? --wait=? -n|--numeric -v|--verbose -x|--exact --line-numbers -4|--ipv4 -6|--ipv6", { check: checkIptables("ip6tables") }),
  nft: printer("firewall rules (list only)", options("-a|--handle -n|--numeric -s|--stateless -j|--json -t|--terse -N|--reversedns -S|--service -u|--guid -y|--numeric-priority -p|--numeric-protocol -T|--numeric-time", { stopAtOperand: true }), {
    check: checkNft,
    note: "nft list … with table, chain and set names only.",
  }),
  conntrack: printer(
    "connection tracking (list and statistics)",
    options(`-L|--dump -S|--stats -C|--count -G|--get ${CONNTRACK_SELECTORS}`, {
      denied: {
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
        z: "conntrack -z zeroes the counters",
        zero: "conntrack --zero zeroes the counters",
      },
    }),
  ),
  ping: printer("reachability", options("-a -A -b -B -c= -d -D -h -i= -I= -L -m= -M= -n -O -q -Q= -r -R -s= -S= -t= -T= -U -v -V -w= -W= -4 -6 -e= -H -N=", {
    denied: { f: "ping -f floods the network", l: "ping -l floods the network", p: "ping -p puts chosen bytes on the network" },
  }), { check: checkPing, note: "-c or -w up to 100; without either it is sampled (ping -w 5 HOST). No -f, -l (flood), -p (payload pattern)." }),
  traceroute: printer("network path", "-4 -6 -d|--debug -F|--dont-fragment -f|--first= -g|--gateway= -i|--interface= -I|--icmp -T|--tcp -U|--udp -D|--dccp -m|--max-hops= -N|--sim-queries= -n -p|--port= -t|--tos= -l|--flowlabel= -s|--source= -q|--queries= -r -w|--wait= -z|--sendwait= -e|--extensions -A|--as-path-lookups --sport= --fwmark= -M|--module= -O|--options= --mtu --back -V|--version --help", {
    check: (_args, parsed) => {
      for (const method of optionValues(parsed, "M", "module")) {
        if (!TRACEROUTE_METHODS.includes(method.toLowerCase())) {
          deny("option:--module", `traceroute -M ${method}: only the built-in methods (${TRACEROUTE_METHODS.join(", ")}); the manual speaks of external modules`);
        }
      }
    },
  }),
  tracepath: printer("network path", "-4 -6 -n -b -l= -m= -p= -V"),
  dig: printer("DNS lookup", options("-4 -6 -b= -c= -h -m -p= -q= -r -t= -u -v -x=", {
    denied: { f: "dig -f sends every line of a file as a query", k: "dig -k reads a key file", y: "dig -y puts a TSIG key on the command line" },
  }), { note: "No -f (batch file), -k/-y (TSIG keys). +options and @server are operands." }),
  nslookup: grammar("DNS lookup", (args) => checkNslookup(args), { paths: () => [], note: "nslookup NAME [SERVER] with -type=, -port=, -timeout= … options; not interactive mode." }),
  host: printer("DNS lookup", "-a -A -C -d -l -n -r -s -T -U -w -v -V -c= -N= -p= -R= -t= -W= -m= -4 -6"),
};
