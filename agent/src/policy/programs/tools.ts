// Rules for the container tools (docker, kubectl): the subcommand decides what the tool does, so
// only read-only subcommands pass, each with the options it may be given. Options that choose
// other credentials, another server or a configuration file are refused: a kubeconfig can run any
// program (its exec credential plugin), and another server would receive the cluster's token.

import { own } from "../own";
import { FOLLOWS, findOption, optionValues, options, parseOptions, type OptionSpec, type ParsedArgs } from "../options";
import { checkPs } from "./ps";
import { deny } from "./rule";

// ---- docker ------------------------------------------------------------------------------

const FORMAT = "--format=";
const DOCKER_OPTIONS: Record<string, OptionSpec> = {
  ps: options(`-a|--all -f|--filter= ${FORMAT} -n|--last= -l|--latest --no-trunc -q|--quiet -s|--size`),
  logs: options("--details --since= -n|--tail= -t|--timestamps --until=", { denied: { f: `docker logs -f ${FOLLOWS}`, follow: `docker logs --follow ${FOLLOWS}` } }),
  inspect: options("-f|--format= -s|--size --type="),
  stats: options(`-a|--all ${FORMAT} --no-stream --no-trunc`),
  images: options(`-a|--all --digests -f|--filter= ${FORMAT} --no-trunc -q|--quiet`),
  info: options("-f|--format="),
  version: options("-f|--format="),
  port: options(""),
  history: options(`-H|--human=? ${FORMAT} --no-trunc -q|--quiet`),
  "network ls": options(`-f|--filter= ${FORMAT} --no-trunc -q|--quiet`),
  "volume ls": options(`-f|--filter= ${FORMAT} -q|--quiet`),
  "system df": options(`${FORMAT} -v|--verbose`),
};

/** Subcommand words → the read-only command they are (its options above). */
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
  "network ls": "network ls",
  "network list": "network ls",
  "network inspect": "inspect",
  "volume ls": "volume ls",
  "volume list": "volume ls",
  "volume inspect": "inspect",
  "system df": "system df",
  "system info": "info",
};

const DOCKER_GROUPS = ["container", "image", "network", "volume", "system"];

/** A template action that prints one field path, e.g. `{{.State.Status}}` or `{{json .NetworkSettings.Ports}}`. */
const FIELD_ACTION = /^-?\s*((json|upper|lower|title|println)\s+)?\.[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*\s*-?$/;

/** Where docker inspect output holds environments: containers, images (and their build container), services. */
const ENVIRONMENT_PATHS = [
  ["config", "env"],
  ["containerconfig", "env"],
  ["spec", "tasktemplate", "containerspec", "env"],
  ["spec", "tasktemplate", "containerspec", "secrets"],
];

/** Whether the field path of an action is an environment, a secret, or an object that contains one (`.Config`, `.Spec`). */
function holdsEnvironment(action: string): boolean {
  const path = (/\.[A-Za-z][A-Za-z0-9_.]*/.exec(action)?.[0] ?? ".").slice(1).toLowerCase().split(".");
  if (path.some((segment) => /^(env|secrets?)$/.test(segment))) {
    return true;
  }
  return ENVIRONMENT_PATHS.some((envPath) => path.length < envPath.length && path.every((segment, k) => segment === envPath[k]));
}

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
    if (!FIELD_ACTION.test(action) || holdsEnvironment(action)) {
      deny("inspect-format", `docker inspect --format action {{${action}}} could print the environment (secrets); use plain field paths such as {{.State.Status}}`);
    }
  }
}

/** docker SUBCOMMAND …: no global options (-H, --config, --context choose another daemon or configuration). */
export function checkDocker(args: readonly string[]): void {
  const first = args[0];
  if (first === undefined || first.startsWith("-")) {
    deny("option", "docker with global options or no subcommand; start with the subcommand (docker ps)");
  }
  const grouped = DOCKER_GROUPS.includes(first);
  const words = grouped ? `${first} ${args[1] ?? ""}`.trim() : first;
  const kind = own(DOCKER_SUBCOMMANDS, words);
  if (kind === undefined) {
    deny(`subcommand:${words}`, `docker ${words} is not a read-only subcommand (allowed: ps, logs, inspect, stats --no-stream, top, images, info, version, port, history, system df)`);
  }
  const rest = args.slice(grouped ? 2 : 1);
  if (kind === "top") {
    // docker top CONTAINER [ps options]: the rest goes to ps (which must not print environments).
    checkPs(rest.slice(1));
    return;
  }
  const parsed = parseOptions(rest, own(DOCKER_OPTIONS, kind) ?? options(""));
  if (kind === "stats" && !findOption(parsed, "no-stream")) {
    deny("option:--no-stream", `docker stats without --no-stream ${FOLLOWS}`);
  }
  if (kind === "inspect") {
    // docker obeys the last --format: every one given is checked.
    const formats = optionValues(parsed, "f", "format");
    if (formats.length === 0) {
      checkInspectFormat(undefined);
    }
    formats.forEach(checkInspectFormat);
  }
}

// ---- kubectl -----------------------------------------------------------------------------

const KUBECTL_GLOBAL = "-n|--namespace= --context= --cluster= --user= --request-timeout= --match-server-version --warnings-as-errors --disable-compression -v|--v=";

const KUBECTL_DENIED: Record<string, string> = {
  kubeconfig: "kubectl --kubeconfig reads another kubeconfig, whose exec credential plugin can run any program",
  "cache-dir": "kubectl --cache-dir writes (and trusts) another cache directory",
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
  profile: "kubectl --profile writes a profile file",
  "profile-output": "kubectl --profile-output writes a file",
  raw: "kubectl --raw reads any API path, secrets included",
  f: "kubectl -f reads manifests from a file or a URL the policy cannot see",
  filename: "kubectl --filename reads manifests from a file or a URL the policy cannot see",
  k: "kubectl -k builds a kustomization (which can fetch remote bases and run plugins)",
  kustomize: "kubectl --kustomize builds a kustomization (which can fetch remote bases and run plugins)",
  "watch-only": `kubectl --watch-only ${FOLLOWS}`,
  "insecure-skip-tls-verify-backend": "kubectl logs --insecure-skip-tls-verify-backend skips the kubelet's certificate check",
};

/** What each read-only subcommand may be given, besides the global options. */
const KUBECTL_SUBCOMMANDS: Record<string, string> = {
  get: "-A|--all-namespaces --chunk-size= --field-selector= --ignore-not-found -L|--label-columns= --no-headers -o|--output= -l|--selector= --server-print= --show-kind --show-labels --show-managed-fields --sort-by= --subresource= --template= --allow-missing-template-keys= -w|--watch=?",
  describe: "-A|--all-namespaces --chunk-size= -l|--selector= --show-events=",
  logs: "--all-containers=? -c|--container= --ignore-errors --limit-bytes= --max-log-requests= --pod-running-timeout= --prefix -p|--previous -l|--selector= --since= --since-time= --tail= --timestamps --all-pods",
  top: "-A|--all-namespaces --containers --no-headers -l|--selector= --sort-by= --sum --use-protocol-buffers --show-capacity --field-selector=",
  events: "-A|--all-namespaces --chunk-size= --for= --no-headers -o|--output= --types= --allow-missing-template-keys= --template= -w|--watch=?",
  version: "--client -o|--output=",
  "api-resources": "--api-group= --cached --categories= --namespaced=? --no-headers -o|--output= --sort-by= --verbs=",
  "api-versions": "",
  explain: "--api-version= --recursive -o|--output=",
  "cluster-info": "",
  rollout: "--revision= --timeout= -o|--output= -w|--watch=?",
  config: "-o|--output= --no-headers",
};

const KUBECTL_GLOBAL_SPEC = options(KUBECTL_GLOBAL, { denied: KUBECTL_DENIED, stopAtOperand: true });
const KUBECTL_SPECS: Record<string, OptionSpec> = Object.fromEntries(
  Object.entries(KUBECTL_SUBCOMMANDS).map(([sub, synopsis]) => [sub, options(`${KUBECTL_GLOBAL} ${synopsis}`, { denied: { ...KUBECTL_DENIED, ...(sub === "logs" ? { f: `kubectl logs -f ${FOLLOWS}`, follow: `kubectl logs --follow ${FOLLOWS}` } : {}) } })]),
);

function checkKubectlOptions(parsed: ParsedArgs): void {
  for (const option of parsed.options) {
    // --watch=false (rollout status waits for the rollout otherwise) ends by itself.
    if ((option.name === "w" || option.name === "watch") && option.value !== "false") {
      deny(`option:${option.long ? "--" : "-"}${option.name}`, `kubectl ${option.raw} ${FOLLOWS}`);
    }
    // -v 7 and up log requests and responses in full.
    if (option.name === "v" && !/^[0-6]$/.test(option.value ?? "")) {
      deny("option:-v", `kubectl -v ${option.value ?? ""}: verbosity 0-6 only (higher levels log requests and responses)`);
    }
  }
}

export function checkKubectl(args: readonly string[]): void {
  const before = parseOptions(args, KUBECTL_GLOBAL_SPEC);
  const sub = before.operands[0];
  const spec = sub === undefined ? undefined : own(KUBECTL_SPECS, sub);
  if (sub === undefined || spec === undefined) {
    deny(`subcommand:${sub ?? ""}`, `kubectl ${sub ?? "without a subcommand"} is not allowed; read-only subcommands: ${Object.keys(KUBECTL_SUBCOMMANDS).join(", ")}`);
  }
  const parsed = parseOptions(args, spec);
  checkKubectlOptions(parsed);
  const [, second] = parsed.operands;
  if (sub === "rollout" && second !== "status" && second !== "history") {
    deny(`subcommand:rollout ${second ?? ""}`.trim(), "kubectl rollout is allowed only for status and history (restart, undo, pause and resume change the deployment)");
  }
  if (sub === "cluster-info" && second !== undefined) {
    deny(`subcommand:cluster-info ${second}`, "kubectl cluster-info dump can write files and prints secrets; kubectl cluster-info alone is allowed");
  }
  // The kubeconfig's names only: `config view` prints credentials (with --raw), the others change it.
  if (sub === "config" && !["current-context", "get-contexts", "get-clusters"].includes(second ?? "")) {
    deny(`subcommand:config ${second ?? ""}`.trim(), "kubectl config is allowed only for current-context, get-contexts and get-clusters (view prints credentials, the others change the kubeconfig)");
  }
  if (sub === "top" && !["node", "nodes", "no", "pod", "pods", "po"].includes(second ?? "")) {
    deny(`subcommand:top ${second ?? ""}`.trim(), "kubectl top node or kubectl top pod");
  }
  if (sub === "get" || sub === "describe") {
    for (const operand of parsed.operands.slice(1)) {
      for (const resource of operand.split(",")) {
        if (/^\s*(secrets?|sec)(\/|\.|\s|$)/i.test(resource)) {
          deny("secrets", `kubectl ${sub} ${operand} reveals Kubernetes secrets`);
        }
        // Spaces in a resource list (`'pods, secrets'`): whatever kubectl makes of them, the policy cannot verify them.
        if (operand.includes(",") && /\s/.test(resource)) {
          deny("resource-list", `cannot verify the resource list "${operand}": write it without spaces (kubectl ${sub} pods,services)`);
        }
      }
    }
  }
}
