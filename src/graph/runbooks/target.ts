// What an alarm or a sentence is about: the resources (from symptoms.ts for words; from the
// namespace, metric name and dimensions for alarms) and the concrete target — the mount path, the
// service, the port, the process, the pid, a name to look up. Alarm fields and user text are
// untrusted: only values matching strict patterns survive (no option-like leading '-', no shell
// metacharacters, no '..'), and numbers are taken whole ("port 37637" is 37637, never 3).
import type { Alarm, AlarmMetric } from "../../alarms/model";
import type { Resource } from "../diagnosis";
import { metricWords, readSymptoms } from "./symptoms";

export interface Target {
  /** What the diagnosis is about, most specific first; empty with `broad`. */
  resources: Resource[];
  /** Trouble with no resource named (or an unknown metric): look at every resource. */
  broad: boolean;
  /** Trouble words ("slow", "not responding"): a slow service may be slow for a host-wide reason. */
  vague?: boolean;
  /** Hangs rather than slowness: in a sweep, blocked (D-state) tasks come first. */
  hang?: boolean;
  /** The user says the CPU is idle: a process using CPU is not an answer, whatever the host shows. */
  cpuIdle?: boolean;
  /** Mount path for disk runbooks (CWAgent `path` dimension, or a path in the text), validated. */
  path?: string;
  service?: string;
  process?: string;
  port?: number;
  pid?: number;
  /** A host name the text asks to resolve (DNS). */
  lookup?: string;
  /** Why these resources: one short clause per reason, quoting the words or the metric. */
  reasons: string[];
  /** An alarm asked (not only the user's words): only then can "the condition may have passed". */
  alarm?: boolean;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._+-]{0,63}$/;
const SAFE_PATH = /^\/[A-Za-z0-9._@+/-]{0,255}$/;
const SAFE_HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

export function safeName(value: string | undefined | null): string | undefined {
  const v = value?.trim();
  return v && SAFE_NAME.test(v) ? v : undefined;
}

export function safePath(value: string | undefined | null): string | undefined {
  const v = value?.trim();
  if (!v || !SAFE_PATH.test(v) || v.split("/").some((part) => part === "..")) {
    return undefined;
  }
  return v.length > 1 ? v.replace(/\/+$/, "") : v;
}

function safePort(value: string | number | undefined | null): number | undefined {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

function safePid(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 4_194_304 ? n : undefined;
}

function addResources(target: Target, resources: Resource[], reason: string): void {
  const fresh = resources.filter((r) => !target.resources.includes(r));
  if (fresh.length > 0) {
    target.resources.push(...fresh);
    target.reasons.push(reason);
  }
}

// ---- alarms -------------------------------------------------------------------------------

interface MetricRef {
  namespace: string | null;
  name: string | null;
  dimensions: Record<string, string>;
}

/** The metrics an alarm watches: its own, or for metric math the queries' metrics. */
function alarmMetrics(metric: AlarmMetric): MetricRef[] {
  const list: MetricRef[] = [];
  if (metric.name) {
    list.push({ namespace: metric.namespace, name: metric.name, dimensions: metric.dimensions });
  }
  for (const query of metric.queries) {
    if (query.name) {
      list.push({ namespace: query.namespace, name: query.name, dimensions: query.dimensions });
    }
  }
  return list;
}

/**
 * AWS metrics whose names the lexicon cannot read ("UnHealthyHostCount" is about the service
 * behind the load balancer, not about health being fine). Matched on the lower-cased name, first
 * match wins; `broad` marks latency-style metrics that any resource can cause.
 */
const KNOWN_METRICS: { test: RegExp; resources: Resource[]; broad?: boolean; namespace?: RegExp }[] = [
  { test: /^statuscheckfailed_system/, resources: ["reboot", "kernel", "network"] },
  { test: /^statuscheckfailed/, resources: ["reboot", "kernel", "memory", "disk-space", "network"] },
  { test: /^(un)?healthyhostcount/, resources: ["services", "connections"] },
  { test: /^(targetresponsetime|latency)$/, resources: ["services"], broad: true },
  { test: /^(kerneloom|oomkill)/, resources: ["memory", "kernel"] },
  { test: /5xx|4xx|elb_5|backend_5/, resources: ["services"] },
  { test: /^(targetconnectionerrorcount|backendconnectionerrors|tcp_target_reset_count|tcp_elb_reset_count)/, resources: ["services", "connections"] },
  { test: /^(surgequeuelength|spillovercount)/, resources: ["connections", "services"], broad: true },
  { test: /^(requestcount|requestcountpertarget|activeconnectioncount|newconnectioncount|rejectedconnectioncount|activeflowcount|newflowcount)/, resources: ["connections"] },
  { test: /tlsnegotiationerror/, resources: ["services"] },
  { test: /^cpu(credit|surplus)/, resources: ["cpu"] },
  { test: /^cpu_usage_iowait|^cpu_time_iowait/, resources: ["disk-io", "cpu"] },
  { test: /^(ebs|volume|burstbalance|diskread|diskwrite)/, resources: ["disk-io"] },
  { test: /^network(in|out|packets)/, resources: ["network"] },
  { test: /conntrack_allowance/, resources: ["connections", "network"] },
  { test: /linklocal_allowance/, resources: ["dns", "time", "network"] },
  { test: /^(ethtool_|net_|netstat_ip|netstat_udp)/, resources: ["network"] },
  { test: /^netstat_tcp/, resources: ["connections"] },
  { test: /^processes_zombies/, resources: ["zombies", "processes"] },
  { test: /^processes_blocked/, resources: ["disk-io", "kernel"] },
  { test: /^processes_running/, resources: ["cpu"] },
  { test: /^processes_(total|total_threads|sleeping|idle|dead|paging|wait)/, resources: ["processes"] },
  { test: /^procstat_num_fds/, resources: ["file-descriptors"] },
  { test: /^procstat_num_threads/, resources: ["processes"] },
  { test: /^procstat_(cpu|cpu_usage|cpu_time)/, resources: ["cpu"] },
  { test: /^procstat_(memory|mem)/, resources: ["memory"] },
  { test: /^procstat_(read|write)/, resources: ["disk-io"] },
  { test: /^(procstat_lookup_pid_count|procstat_pid_count)/, resources: ["services"] },
  { test: /^swap/, resources: ["swap", "memory"] },
  { test: /^disk_inodes|inode/, resources: ["inodes"] },
  { test: /^diskio_/, resources: ["disk-io"] },
  { test: /^(disk_|diskspace|filesystem)/, resources: ["disk-space"] },
  { test: /^(mem_|memory)/, resources: ["memory", "swap"] },
];

/** Resources for one metric: the AWS table first, else the metric name read as words. */
export function resourcesForMetric(namespace: string | null, name: string | null, comparison: string | null = null): { resources: Resource[]; broad: boolean } {
  const n = (name ?? "").toLowerCase();
  if (!n) {
    return { resources: [], broad: false };
  }
  const known = KNOWN_METRICS.find((k) => k.test.test(n));
  if (known) {
    // procstat_lookup_pid_count above a threshold means too many processes, below it a dead service.
    if (/pid_count/.test(n) && /Greater/i.test(comparison ?? "")) {
      return { resources: ["processes"], broad: false };
    }
    return { resources: known.resources, broad: known.broad === true };
  }
  // An alarm fires on a high (or low) value: "OpenFiles" alarming reads as "too many open files".
  const words = `${metricWords(name ?? "")} ${/Less/i.test(comparison ?? "") ? "low" : "too many"}`;
  const read = readSymptoms(words);
  if (read.resources.length > 0) {
    return { resources: read.resources, broad: false };
  }
  if (/(elb|applicationelb|networkelb)$/i.test(namespace ?? "")) {
    return { resources: ["services", "connections"], broad: true };
  }
  return { resources: [], broad: false };
}

/** Target from one metric's dimensions (CWAgent `path`, procstat `process_name`/`exe`, System/Linux `MountPath`). */
function targetFromDimensions(dimensions: Record<string, string>, into: Target): void {
  into.path ??= safePath(dimensions.path ?? dimensions.MountPath ?? dimensions.mount ?? dimensions.Filesystem);
  const processName = dimensions.process_name ?? dimensions.exe ?? dimensions.ProcessName ?? dimensions.pattern;
  if (processName) {
    into.process ??= safeName(processName.split("/").pop());
  }
  into.service ??= safeName(dimensions.service ?? dimensions.ServiceName ?? dimensions.systemd_unit?.replace(/\.service$/, ""));
  into.port ??= safePort(dimensions.port ?? dimensions.Port);
}

/** Names of the child alarms of a composite alarm: those that triggered it, and all in its rule. */
function compositeChildNames(alarm: Alarm): { triggering: string[]; inRule: string[] } {
  const triggering = alarm.children.map((arn) => arn.slice(arn.indexOf(":alarm:") + 7)).filter((n) => n.length > 0);
  const inRule = [...(alarm.rule ?? "").matchAll(/ALARM\(\s*"?([^")]+)"?\s*\)/g)].map((m) => m[1] ?? "");
  return { triggering, inRule };
}

export function targetForAlarm(alarm: Alarm): Target {
  const target: Target = { resources: [], broad: false, reasons: [] };
  if (alarm.metric) {
    for (const m of alarmMetrics(alarm.metric)) {
      const found = resourcesForMetric(m.namespace, m.name, alarm.metric.comparison);
      addResources(target, found.resources, `${m.namespace ?? "?"} ${m.name ?? "?"}`);
      target.broad ||= found.broad;
      targetFromDimensions(m.dimensions, target);
    }
    targetFromDimensions(alarm.metric.dimensions, target);
  } else {
    // Composite: what the triggering children are about, from their names; else the rule's.
    const { triggering, inRule } = compositeChildNames(alarm);
    for (const names of [triggering, inRule]) {
      for (const child of names) {
        const fromName = targetForText(metricWords(child));
        addResources(target, fromName.resources, `child alarm ${child}`);
        target.path ??= fromName.path;
        target.service ??= fromName.service;
        target.port ??= fromName.port;
      }
      if (target.resources.length > 0) {
        break;
      }
    }
  }
  // Nothing from the metric: the alarm's own words (name, then description) say what it watches.
  for (const text of [alarm.name, alarm.description ?? ""]) {
    if (target.resources.length > 0 || !text) {
      break;
    }
    const fromText = targetForText(`${text} ${metricWords(alarm.metric?.name ?? "")}`);
    addResources(target, fromText.resources, `alarm ${text === alarm.name ? "name" : "description"} "${clip(text, 60)}"`);
    target.service ??= fromText.service;
    target.port ??= fromText.port;
    target.path ??= fromText.path;
  }
  // A port or path named in the description is still worth knowing ("web on port 8080").
  if (alarm.description) {
    target.port ??= portFromText(alarm.description);
  }
  if (target.resources.includes("services") && !target.service && target.process) {
    // procstat: the watched process is usually the service of the same name.
    target.service = target.process;
  }
  if (target.resources.length === 0) {
    target.broad = true;
    target.reasons.push("no metric or word says what this alarm watches, so every resource");
  }
  return target;
}

// ---- free text ----------------------------------------------------------------------------

/** Well-known daemons recognised by name alone ("is nginx ok?"). */
const KNOWN_SERVICES = [
  "nginx", "apache2", "httpd", "haproxy", "envoy", "caddy", "traefik",
  "mysql", "mysqld", "mariadb", "postgresql", "postgres", "mongod", "redis", "redis-server", "memcached",
  "elasticsearch", "opensearch", "kafka", "zookeeper", "rabbitmq-server", "tomcat", "php-fpm", "gunicorn", "uwsgi",
  "docker", "dockerd", "containerd", "kubelet", "sshd", "ssh", "cron", "crond", "chronyd", "rsyslog",
  "amazon-cloudwatch-agent", "amazon-ssm-agent", "atl-agent", "systemd-timesyncd", "systemd-resolved", "ntpd",
];

const STOPWORDS = new Set([
  "the", "a", "an", "this", "that", "my", "our", "which", "what", "is", "it", "of", "service", "services", "unit", "status", "all", "web", "db", "port", "down",
  "restart", "start", "stop", "failed", "failing", "one", "some", "any", "each", "every", "their", "its", "your", "java", "node", "python", "zombie", "child",
  "on", "at", "in", "to", "for", "from", "with", "by", "and", "or", "but", "not", "no", "was", "were", "are", "be", "been", "keeps", "is", "has", "had", "have",
  "does", "did", "do", "will", "can", "cannot", "cant", "seems", "looks", "went", "got", "get", "gets", "here", "there", "now", "again", "still", "just", "so",
  "very", "too", "isnt", "wont", "doesnt", "didnt", "logs", "log", "health", "check", "name", "names", "level", "itself",
]);

/** The process a well-known service runs as, where the names differ (Debian's ssh.service runs sshd). */
const PROCESS_OF: Record<string, string> = { ssh: "sshd", docker: "dockerd", postgresql: "postgres", "redis-server": "redis-server", mysql: "mysqld", cron: "cron", apache2: "apache2", httpd: "httpd" };

export function processOfService(service: string): string {
  // Own keys only: "constructor" or "valueOf" from a hostile name must not reach a command.
  return Object.hasOwn(PROCESS_OF, service) ? PROCESS_OF[service] : service;
}

/** The service a sentence names explicitly: "systemctl status X", "journalctl -u X", "X.service", "X service", "X 서비스". */
function explicitService(text: string): string | undefined {
  const patterns = [
    /systemctl\s+(?:status|restart|show|is-active)\s+([A-Za-z0-9@._+-]+)/i,
    /journalctl\s+(?:[^|;]*\s)?-u\s*([A-Za-z0-9@._+-]+)/i,
    /\b([A-Za-z0-9][A-Za-z0-9@._+-]*)\.service\b/i,
    /([A-Za-z0-9][A-Za-z0-9@._+-]*)\s*(?:서비스|데몬|유닛)/,
    /\b([A-Za-z0-9][A-Za-z0-9@._+-]*)\s+(?:service|daemon|unit)\b/i,
    /\b(?:service|daemon|unit)\s+([A-Za-z0-9][A-Za-z0-9@._+-]*)/i,
  ];
  for (const pattern of patterns) {
    const found = safeName(pattern.exec(text)?.[1]?.replace(/\.service$/i, ""));
    if (found && !STOPWORDS.has(found.toLowerCase()) && !/^\d+$/.test(found)) {
      return found;
    }
  }
  return undefined;
}

/** A well-known daemon named by itself ("is nginx ok?"). */
function knownService(text: string): string | undefined {
  const lower = text.toLowerCase();
  return KNOWN_SERVICES.find((name) => new RegExp(`(^|[^a-z0-9_-])${name.replace(/[.+]/g, "\\$&")}($|[^a-z0-9_-])`).test(lower));
}

/** The service a sentence names: "systemctl status X", "journalctl -u X", "X.service", "X service", "X 서비스", a known daemon. */
export function serviceFromText(text: string): string | undefined {
  return explicitService(text) ?? knownService(text);
}

/** A process a sentence names: "`x` process", "process x", "x 프로세스" (not a service word). */
export function processFromText(text: string): string | undefined {
  const patterns = [/`([A-Za-z0-9][A-Za-z0-9@._+-]{0,62})`/, /\b([A-Za-z0-9][A-Za-z0-9@._+-]*)\s+process(?:es)?\b/i, /\bprocess\s+([A-Za-z][A-Za-z0-9@._+-]*)/i, /([A-Za-z0-9][A-Za-z0-9@._+-]*)\s*프로세스/];
  for (const pattern of patterns) {
    const found = safeName(pattern.exec(text)?.[1]);
    if (found && !STOPWORDS.has(found.toLowerCase()) && !/^(too|many|the|zombie|d|child|worker|all|which|what|count|counts|number|numbers|list|table|tree|limit|limits|id|ids|name|names|state|states|status|usage|is|are|was|were|keeps|keep|got|gets|has|had|that|this|from|of|in|on|for|to|and|or|with|\d+)$/i.test(found)) {
      return found;
    }
  }
  return undefined;
}

const DIGITS = "(\\d{1,5})(?![\\d.])";

export function portFromText(text: string): number | undefined {
  const patterns = [
    new RegExp(`\\bports?\\s*(?:no\\.?|number|#|=|:)?\\s*${DIGITS}`, "i"),
    new RegExp(`포트\\s*(?:번호)?\\s*:?\\s*${DIGITS}`),
    new RegExp(`(?<![\\d.])${DIGITS}\\s*(?:번\\s*)?포트`),
    new RegExp(`\\blisten(?:s|ing|er)?\\s+(?:on\\s+)?(?:port\\s+)?:?${DIGITS}`, "i"),
    new RegExp(`(?<![\\w.:])${DIGITS}/(?:tcp|udp)\\b`, "i"),
    new RegExp(`\\b(?:tcp|udp)/${DIGITS}`, "i"),
    // host:port, :port, but not a time of day (12:30) or an IPv6 group.
    new RegExp(`(?:\\b\\d{1,3}(?:\\.\\d{1,3}){3}|\\blocalhost|\\b[a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+|\\[[0-9a-f:]+\\]|(?<![\\w:]))[:]${DIGITS}(?!:)`, "i"),
  ];
  for (const pattern of patterns) {
    const port = safePort(pattern.exec(text)?.[1]);
    if (port !== undefined && (port >= 10 || /port|포트/i.test(text))) {
      return port;
    }
  }
  return undefined;
}

export function pidFromText(text: string): number | undefined {
  return safePid(/\b(?:pid|process\s+id)\s*[:=#]?\s*(\d{1,7})(?!\d)/i.exec(text)?.[1] ?? /(\d{1,7})\s*번?\s*(?:pid|프로세스)/i.exec(text)?.[1]);
}

export function pathFromText(text: string): string | undefined {
  const match = /(?:^|[\s"'(`])(\/[A-Za-z0-9._@+/-]*)/.exec(text);
  return safePath(match?.[1]);
}

/** A host name to resolve when the text is about DNS ("can't resolve api.internal"). */
export function lookupFromText(text: string): string | undefined {
  for (const m of text.matchAll(/(?:^|[\s"'(`])([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,63})(?=$|[\s"'),`:?!]|\.\s|\.$)/g)) {
    const name = m[1].replace(/\.$/, "");
    if (SAFE_HOSTNAME.test(name) && !/\.(conf|log|txt|json|ya?ml|service|sh|py|js|ts)$/i.test(name)) {
      return name;
    }
  }
  return undefined;
}

/**
 * What a sentence is about. `resources` is empty and `broad` false when it names no problem and
 * asks for no check ("hello").
 */
export function targetForText(text: string): Target {
  const explicit = explicitService(text);
  const service = explicit ?? knownService(text);
  const port = portFromText(text);
  // "Everything is slow, even ssh": a daemon named in passing in a vague complaint is context, not
  // the subject; "is nginx ok?" or "nginx is down" is about nginx.
  const passing = explicit === undefined && service !== undefined && readSymptoms(text).broad;
  const symptom = readSymptoms(text, { service: service !== undefined && !passing, port: port !== undefined });
  const target: Target = { resources: [...symptom.resources], broad: symptom.broad, vague: symptom.vague, hang: symptom.hang, cpuIdle: symptom.cpuIdle, reasons: symptom.cues.map((c) => `"${c}"`) };
  if (service) {
    target.service = service;
  }
  if (port) {
    target.port = port;
  }
  const pid = pidFromText(text);
  if (pid) {
    target.pid = pid;
  }
  const process = processFromText(text);
  if (process && process !== service) {
    target.process = process;
  }
  const path = pathFromText(text);
  if (path) {
    target.path = path;
    // "/var/log is huge": a path and nothing else is about its space.
    if (target.resources.length === 0) {
      addResources(target, ["disk-space"], `path ${path}`);
      target.broad = false;
    }
  }
  if (target.resources.includes("dns")) {
    target.lookup = lookupFromText(text);
  }
  return target;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
