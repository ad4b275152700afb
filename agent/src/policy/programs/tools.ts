// Rules for the multi-command tools (systemctl, ip, docker, kubectl): the subcommand decides what
// the tool does, so options before it are read strictly (an unknown option could swallow the word
// that looks like the subcommand) and only read-only subcommands pass.

import { own } from "../own";
import { checkPs } from "./ps";
import { argumentRefusal, FOLLOWS, findOption, parseOptions, type OptionSpec, type ParsedArgs } from "../options";

function deny(what: string, reason: string): never {
  throw argumentRefusal(what, reason);
}

// ---- systemctl ---------------------------------------------------------------------------

const SYSTEMCTL_READ = ["status", "show", "is-active", "is-failed", "is-enabled", "is-system-running", "list-units", "list-timers", "list-unit-files", "list-sockets", "list-dependencies", "list-jobs", "list-machines", "list-paths", "cat", "get-default"];

const SYSTEMCTL_SPEC: OptionSpec = {
  shortValue: "tpPsnoHM",
  shortFlags: "halrqTfi",
  longValue: ["type", "state", "property", "signal", "lines", "output", "host", "machine", "job-mode", "kill-whom", "kill-value", "what", "root", "image", "preset-mode", "boot-loader-menu", "boot-loader-entry", "reboot-argument", "timestamp", "check-inhibitors", "message", "when", "drop-in", "image-policy", "legend"],
  longFlags: ["help", "version", "system", "user", "failed", "all", "full", "recursive", "reverse", "with-dependencies", "show-transaction", "show-types", "value", "now", "dry-run", "quiet", "wait", "no-block", "no-wall", "no-reload", "no-pager", "no-ask-password", "global", "runtime", "force", "firmware-setup", "plain", "read-only", "mkdir", "marked", "no-warn"],
  strict: true,
};

export function checkSystemctl(args: readonly string[]): void {
  const parsed = parseOptions(args, SYSTEMCTL_SPEC);
  refuseRemote(parsed, "systemctl");
  const sub = parsed.operands[0] ?? "list-units";
  if (!SYSTEMCTL_READ.includes(sub)) {
    deny(`subcommand:${sub}`, `systemctl ${sub} is not a read-only subcommand (allowed: status, show, is-active, is-failed, is-enabled, list-units, list-timers, cat, …)`);
  }
}

function refuseRemote(parsed: ParsedArgs, program: string): void {
  if (findOption(parsed, "H", "host")) {
    deny("option:--host", `${program} --host connects to another host over SSH`);
  }
  if (findOption(parsed, "M", "machine")) {
    deny("option:--machine", `${program} --machine operates on a container`);
  }
}

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

export function checkIp(args: readonly string[]): void {
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

// ---- docker ------------------------------------------------------------------------------

const DOCKER_SUBCOMMANDS: Record<string, string> = {
  ps: "ps",
  logs: "logs",
  inspect: "inspect",
  stats: "stats",
  top: "top",
  images: "images",
  info: "info",
  version: "version",
  port: "port",
  history: "history",
  "container ls": "ps",
  "container list": "ps",
  "container ps": "ps",
  "container logs": "logs",
  "container inspect": "inspect",
  "container stats": "stats",
  "container top": "top",
  "container port": "port",
  "image ls": "images",
  "image list": "images",
  "image inspect": "inspect",
  "image history": "history",
  "network ls": "ps",
  "network list": "ps",
  "network inspect": "inspect",
  "volume ls": "ps",
  "volume list": "ps",
  "volume inspect": "inspect",
  "system df": "info",
  "system info": "info",
};

/** A template action that prints one field path, e.g. `{{.State.Status}}` or `{{json .NetworkSettings.Ports}}`. */
const FIELD_ACTION = /^-?\s*((json|upper|lower|title|println)\s+)?\.[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*\s*-?$/;

/**
 * `docker inspect` prints a container's environment (database passwords…): it is allowed only with
 * a --format whose every action prints a named field path, none of them the environment, and none a
 * whole object that contains it (`.`, `.Config`, variables, range, index…).
 */
function checkInspectFormat(format: string | undefined): void {
  if (format === undefined) {
    deny("inspect-format", "docker inspect prints the container's environment, which holds secrets; pick fields with --format '{{.State.Status}}'");
  }
  const actions = [...format.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]);
  if (format.replace(/\{\{.*?\}\}/g, "").includes("{{")) {
    deny("inspect-format", "docker inspect --format with an unclosed action");
  }
  for (const action of actions) {
    if (!FIELD_ACTION.test(action) || /(^|[^A-Za-z])\.Config\s*-?$|\.(Env|Secrets?)\b/i.test(action)) {
      deny("inspect-format", `docker inspect --format action {{${action}}} could print the environment (secrets); use plain field paths such as {{.State.Status}}`);
    }
  }
}

export function checkDocker(args: readonly string[]): void {
  const first = args[0];
  if (first === undefined || first.startsWith("-")) {
    deny("option", "docker with global options or no subcommand; start with the subcommand (docker ps)");
  }
  const two = `${first} ${args[1] ?? ""}`;
  const kind = own(DOCKER_SUBCOMMANDS, two) ?? (["container", "image", "network", "volume", "system"].includes(first) ? undefined : own(DOCKER_SUBCOMMANDS, first));
  if (kind === undefined) {
    const shown = ["container", "image", "network", "volume", "system"].includes(first) ? two : first;
    deny(`subcommand:${shown.trim()}`, `docker ${shown.trim()} is not a read-only subcommand (allowed: ps, logs, inspect, stats --no-stream, top, images, info, version)`);
  }
  const rest = args.slice(own(DOCKER_SUBCOMMANDS, two) === undefined ? 1 : 2);
  if (kind === "top") {
    // docker top CONTAINER [ps options]: the rest goes to ps (which must not print environments).
    checkPs(rest.slice(1));
    return;
  }
  const parsed = parseOptions(rest, { shortValue: "fn", longValue: ["format", "filter", "since", "until", "tail", "type", "last"] });
  if (kind === "logs") {
    if (parsed.options.some((o) => o.name === "f" || o.name === "follow") || rest.some((a) => a === "-f" || a === "--follow" || a.startsWith("--follow="))) {
      deny("option:--follow", `docker logs --follow ${FOLLOWS}`);
    }
  }
  if (kind === "stats" && !findOption(parsed, "no-stream")) {
    deny("option:--no-stream", `docker stats without --no-stream ${FOLLOWS}`);
  }
  if (kind === "inspect") {
    checkInspectFormat(findOption(parsed, "f", "format")?.value);
  }
}

// ---- kubectl -----------------------------------------------------------------------------

const KUBECTL_GLOBAL_VALUE = new Set(["-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "--request-timeout", "--cache-dir", "-v", "--v"]);
const KUBECTL_GLOBAL_FLAG = new Set(["--warnings-as-errors", "--match-server-version", "-A", "--all-namespaces"]);
const KUBECTL_READ = ["get", "describe", "logs", "top", "events", "version", "api-resources", "api-versions", "explain", "cluster-info", "rollout"];

export function checkKubectl(args: readonly string[]): void {
  let k = 0;
  while (k < args.length && args[k].startsWith("-")) {
    const arg = args[k];
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    if (KUBECTL_GLOBAL_VALUE.has(name)) {
      k += arg.includes("=") ? 1 : 2;
      continue;
    }
    if (KUBECTL_GLOBAL_FLAG.has(arg)) {
      k++;
      continue;
    }
    deny(`option:${name}`, `cannot verify kubectl option "${name}" before the subcommand; put options after it`);
  }
  const sub = args[k];
  if (sub === undefined || !KUBECTL_READ.includes(sub)) {
    deny(`subcommand:${sub ?? ""}`, `kubectl ${sub ?? ""} is not a read-only subcommand (allowed: ${KUBECTL_READ.join(", ")})`.replace("kubectl  is", "kubectl without a subcommand is"));
  }
  const rest = args.slice(k + 1);
  if (sub === "rollout" && !["status", "history"].includes(rest[0] ?? "")) {
    deny(`subcommand:rollout ${rest[0] ?? ""}`.trim(), "kubectl rollout is allowed only for status and history (restart, undo, pause and resume change the deployment)");
  }
  if (sub === "cluster-info" && rest.length > 0 && rest[0] === "dump") {
    deny("subcommand:cluster-info dump", "kubectl cluster-info dump can write files and prints secrets");
  }
  const parsed = parseOptions(rest, {
    shortValue: sub === "logs" ? "clnm" : "nolLfkcs",
    longValue: ["namespace", "output", "selector", "field-selector", "label-columns", "filename", "kustomize", "sort-by", "template", "container", "since", "since-time", "tail", "limit-bytes", "max-log-requests", "context", "kubeconfig", "chunk-size", "for", "types", "raw", "subresource", "show-kind"],
  });
  const forbidden: Record<string, string> = {
    w: `kubectl -w ${FOLLOWS}`,
    watch: `kubectl --watch ${FOLLOWS}`,
    "watch-only": `kubectl --watch-only ${FOLLOWS}`,
    raw: "kubectl --raw reads any API path, secrets included",
    token: "kubectl --token puts a credential on the command line",
    s: "kubectl -s sends the cluster credentials to another API server",
    server: "kubectl --server sends the cluster credentials to another API server",
    "insecure-skip-tls-verify": "kubectl --insecure-skip-tls-verify lets another server pose as the cluster",
    "tls-server-name": "kubectl --tls-server-name lets another server pose as the cluster",
    as: "kubectl --as impersonates another user",
    "as-group": "kubectl --as-group impersonates another group",
    "as-uid": "kubectl --as-uid impersonates another user",
    username: "kubectl --username puts a credential on the command line",
    password: "kubectl --password puts a credential on the command line",
    "client-key": "kubectl --client-key chooses other credentials",
    "client-certificate": "kubectl --client-certificate chooses other credentials",
    "certificate-authority": "kubectl --certificate-authority trusts another server",
  };
  if (sub === "logs") {
    if (rest.some((a) => a === "-f" || a === "--follow" || a.startsWith("--follow=") || a.startsWith("-f="))) {
      deny("option:--follow", `kubectl logs --follow ${FOLLOWS}`);
    }
    forbidden.f = `kubectl logs -f ${FOLLOWS}`;
    forbidden.follow = `kubectl logs --follow ${FOLLOWS}`;
  }
  for (const option of parsed.options) {
    const why = own(forbidden, option.name);
    // --watch=false (rollout status waits for the rollout otherwise) ends by itself.
    if (why && !((option.name === "w" || option.name === "watch") && option.value === "false")) {
      deny(`option:${option.long ? "--" : "-"}${option.name}`, why);
    }
  }
  if (sub === "get" || sub === "describe") {
    for (const operand of parsed.operands) {
      for (const resource of operand.split(",")) {
        if (/^(secrets?|sec)(\/|\.|$)/i.test(resource)) {
          deny("secrets", `kubectl ${sub} ${operand} reveals Kubernetes secrets`);
        }
      }
    }
  }
}
