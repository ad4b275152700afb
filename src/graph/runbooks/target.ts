// What an alarm or a sentence is about: which runbooks apply (by metric / namespace, by English
// and Korean keywords) and the concrete target — the mount path, the service, the port, the
// process. Alarm fields and user text are untrusted: only values matching strict patterns survive
// (no option-like leading '-', no shell metacharacters, no '..').
import type { Alarm, AlarmMetric } from "../../alarms/model";
import type { RunbookKind } from "./catalog";

export interface Target {
  kinds: RunbookKind[];
  /** Mount path for disk runbooks (CWAgent `path` dimension), validated. */
  path?: string;
  service?: string;
  process?: string;
  port?: number;
  /** Why these runbooks: one short clause per reason. */
  reasons: string[];
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._+-]{0,63}$/;
const SAFE_PATH = /^\/[A-Za-z0-9._@+/-]{0,255}$/;

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

/** Runbook kinds for one metric, by namespace and name (AWS/EC2, CWAgent, System/Linux…). */
export function kindsForMetric(namespace: string | null, name: string | null): RunbookKind[] {
  const ns = (namespace ?? "").toLowerCase();
  const n = (name ?? "").toLowerCase();
  if (!n) {
    return [];
  }
  if (n.startsWith("statuscheckfailed")) {
    return ["status-check"];
  }
  if (n.startsWith("procstat")) {
    return n.includes("lookup_pid_count") ? ["service", "process"] : n.includes("memory") ? ["process", "memory"] : ["process", "cpu"];
  }
  if (n.startsWith("cpu_usage_iowait") || n === "cpu_time_iowait") {
    return ["disk-io", "cpu"];
  }
  if (n.includes("cpucredit") || n.startsWith("cpu") || n.includes("cpuutilization") || n.startsWith("processes_") || n === "load") {
    return ["cpu"];
  }
  if (n.startsWith("mem") || n.startsWith("swap") || n.includes("memoryutilization") || n.includes("memory")) {
    return ["memory"];
  }
  if (n.startsWith("diskio") || n.startsWith("ebs") || /^disk(read|write)(ops|bytes)$/.test(n) || n.includes("volumequeue")) {
    return ["disk-io"];
  }
  if (n.startsWith("disk") || n.includes("diskspace") || n.includes("filesystem")) {
    return ["disk"];
  }
  if (n.startsWith("network") || n.startsWith("net_") || n.startsWith("netstat") || n.startsWith("ethtool") || n.includes("packet")) {
    return ["network"];
  }
  if (ns.includes("elb") || n.includes("unhealthyhost") || n.includes("healthyhost") || n.includes("targetresponsetime") || n.includes("5xx")) {
    return ["service", "network"];
  }
  return [];
}

/** Target from one metric's dimensions (CWAgent `path`, procstat `process_name`/`exe`, System/Linux `MountPath`). */
function targetFromDimensions(dimensions: Record<string, string>, into: Target): void {
  into.path ??= safePath(dimensions.path ?? dimensions.MountPath ?? dimensions.mount ?? dimensions.Filesystem);
  const processName = dimensions.process_name ?? dimensions.exe ?? dimensions.ProcessName;
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
  const target: Target = { kinds: [], reasons: [] };
  const add = (kinds: RunbookKind[], reason: string): void => {
    const fresh = kinds.filter((k) => !target.kinds.includes(k));
    if (fresh.length > 0) {
      target.kinds.push(...fresh);
      target.reasons.push(reason);
    }
  };
  if (alarm.metric) {
    const metrics = alarmMetrics(alarm.metric);
    for (const m of metrics) {
      add(kindsForMetric(m.namespace, m.name), `${m.namespace ?? "?"} ${m.name ?? "?"}`);
      targetFromDimensions(m.dimensions, target);
    }
    targetFromDimensions(alarm.metric.dimensions, target);
  } else {
    // Composite: what the triggering children are about, from their names; else the rule's.
    const { triggering, inRule } = compositeChildNames(alarm);
    for (const names of [triggering, inRule]) {
      for (const child of names) {
        const fromName = targetForText(child);
        if (fromName) {
          add(fromName.kinds.filter((k) => k !== "generic"), `child alarm ${child}`);
          target.path ??= fromName.path;
          target.service ??= fromName.service;
          target.port ??= fromName.port;
        }
      }
      if (target.kinds.length > 0) {
        break;
      }
    }
  }
  // procstat: the watched process is usually the service of the same name.
  if (target.kinds.includes("service") && !target.service && target.process) {
    target.service = target.process;
  }
  if (target.kinds.length === 0) {
    const fromName = targetForText(`${alarm.name} ${alarm.metric?.name ?? ""}`);
    if (fromName) {
      add(fromName.kinds, `alarm name "${alarm.name}"`);
      target.service ??= fromName.service;
      target.port ??= fromName.port;
      target.path ??= fromName.path;
    }
  }
  if (target.process && !target.kinds.includes("process") && !target.kinds.includes("service")) {
    target.kinds.push("process");
  }
  if (target.kinds.length === 0) {
    target.kinds.push("generic");
    target.reasons.push("no runbook matches this metric, so a general health check");
  }
  return target;
}

// ---- free text ----------------------------------------------------------------------------

const KEYWORDS: { kind: RunbookKind; pattern: RegExp }[] = [
  { kind: "cpu", pattern: /\bcpu\b|cpuutilization|씨피유|\bload\b|load average|부하|로드|\bhigh load\b|\bspinning\b|\bhot\b.*\bprocess/i },
  { kind: "memory", pattern: /memory|\bmem\b|\bram\b|\boom\b|out of memory|\bswap|메모리|램|스왑|메모리 부족|\bleak/i },
  { kind: "disk-io", pattern: /\biowait\b|\bi\/o\b|\bio wait|disk (?:io|i\/o|latency|slow)|디스크 (?:io|i\/o|지연)|\biops\b/i },
  { kind: "disk", pattern: /\bdisk\b|\bdisks\b|\bdf\b|filesystem|file system|\binodes?\b|no space|space left|디스크|용량|파일 ?시스템|아이노드|공간/i },
  { kind: "network", pattern: /network|\bpackets?\b|\blatency\b|\bnic\b|bandwidth|\btraffic\b|retransmi|네트워크|패킷|트래픽|대역폭/i },
  { kind: "status-check", pattern: /status[ _-]?check|unreachable|\breboot|상태 ?검사|재부팅|접속(?:이)? ?안|\bhung\b|\bfroze/i },
  { kind: "service", pattern: /\bservices?\b|\bdaemon\b|systemctl|journalctl|\bunit\b|\bport\s*\d|\bdown\b|not responding|crash|서비스|데몬|포트|죽었|다운|응답(?:이)? ?없|응답하지/i },
];

const GENERIC_WORDS = /health|\bcheck\b|\bslow\b|diagnos|what'?s wrong|look at|점검|상태|확인|진단|느려|이상|문제/i;

/** Well-known daemons recognised by name alone ("is nginx ok?"). */
const KNOWN_SERVICES = [
  "nginx", "apache2", "httpd", "haproxy", "envoy", "caddy", "traefik",
  "mysql", "mysqld", "mariadb", "postgresql", "postgres", "mongod", "redis", "redis-server", "memcached",
  "elasticsearch", "opensearch", "kafka", "zookeeper", "rabbitmq-server", "tomcat", "php-fpm", "gunicorn", "uwsgi",
  "docker", "dockerd", "containerd", "kubelet", "sshd", "ssh", "cron", "crond", "chronyd", "rsyslog",
  "amazon-cloudwatch-agent", "amazon-ssm-agent", "atl-agent",
];

const STOPWORDS = new Set(["the", "a", "an", "this", "that", "my", "our", "which", "what", "is", "it", "of", "service", "services", "unit", "status", "all", "web", "db", "port", "down"]);

/** The service a sentence names: "systemctl status X", "journalctl -u X", "X service", "X 서비스", "X.service", a known daemon. */
export function serviceFromText(text: string): string | undefined {
  const patterns = [
    /systemctl\s+(?:status|restart|show|is-active)\s+([A-Za-z0-9@._+-]+)/i,
    /journalctl\s+(?:[^|;]*\s)?-u\s*([A-Za-z0-9@._+-]+)/i,
    /\b([A-Za-z0-9][A-Za-z0-9@._+-]*)\.service\b/i,
    /([A-Za-z0-9][A-Za-z0-9@._+-]*)\s*(?:서비스|데몬|프로세스)/,
    /\b([A-Za-z0-9][A-Za-z0-9@._+-]*)\s+(?:service|daemon|unit)\b/i,
    /\b(?:service|daemon|unit)\s+([A-Za-z0-9][A-Za-z0-9@._+-]*)/i,
  ];
  for (const pattern of patterns) {
    const found = safeName(pattern.exec(text)?.[1]?.replace(/\.service$/i, ""));
    if (found && !STOPWORDS.has(found.toLowerCase())) {
      return found;
    }
  }
  const lower = text.toLowerCase();
  return KNOWN_SERVICES.find((name) => new RegExp(`(^|[^a-z0-9_-])${name.replace(/[.+]/g, "\\$&")}($|[^a-z0-9_-])`).test(lower));
}

export function portFromText(text: string): number | undefined {
  const match =
    /(?:\bport\s*:?\s*|포트\s*)(\d{2,5})\b/i.exec(text) ??
    /\b(\d{2,5})\s*(?:번\s*)?포트/.exec(text) ??
    // host:port, but not a time of day (12:30).
    /(?:\b\d{1,3}(?:\.\d{1,3}){3}|\blocalhost|\b[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+|\[[0-9a-f:]+\]):(\d{2,5})\b/i.exec(text);
  return safePort(match?.[1]);
}

export function pathFromText(text: string): string | undefined {
  const match = /(?:^|[\s"'(])(\/[A-Za-z0-9._@+/-]*)/.exec(text);
  return safePath(match?.[1]);
}

/** Null when the text names no known problem and does not ask for a check. */
export function targetForText(text: string): Target | null {
  const target: Target = { kinds: [], reasons: [] };
  for (const { kind, pattern } of KEYWORDS) {
    const match = pattern.exec(text);
    if (match) {
      target.kinds.push(kind);
      target.reasons.push(`"${match[0].trim()}"`);
    }
  }
  const service = serviceFromText(text);
  const port = portFromText(text);
  if (service) {
    target.service = service;
  }
  if (port) {
    target.port = port;
  }
  if ((service || port) && !target.kinds.includes("service")) {
    target.kinds.push("service");
    target.reasons.push(service ? `service ${service}` : `port ${port}`);
  }
  if (target.kinds.includes("disk")) {
    target.path = pathFromText(text);
  }
  if (target.kinds.length === 0) {
    if (!GENERIC_WORDS.test(text)) {
      return null;
    }
    target.kinds.push("generic");
    target.reasons.push("a general health check");
  }
  // "disk I/O" is about I/O, not space: keep disk only when space words are there too.
  if (target.kinds.includes("disk-io") && target.kinds.includes("disk") && !/space|full|용량|공간|inode|df/i.test(text)) {
    target.kinds = target.kinds.filter((k) => k !== "disk");
  }
  return target;
}
