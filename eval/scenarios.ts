// The evaluation's scenarios: one host fault each, staged for real on this machine with random
// names (test/helpers/faults.ts), the culprit the diagnosis should name, the CloudWatch alarm that
// would fire for it, and how on-call engineers ask about it in English and Korean. Each scenario
// also has a healthy twin (the same names, no fault) to catch a diagnosis that always blames
// something.
//
// Wordings are written the way people type into a chat at 3 a.m. — terse, with typos, Korean mixed
// with English — not to match any keyword list. A wording may use what the engineer would know
// (their service's port, the volume that alarmed); most do not.
import { copyFileSync, linkSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { privateAgentBundle } from "../test/helpers/agent";
import {
  randomApp,
  randomFreePort,
  randomProcessName,
  stageDeadResolver,
  stageFullFilesystem,
  stageFullInodeTable,
  stageOomKill,
  stageStuckProcess,
  startConnectionHog,
  startCpuHog,
  startFdHog,
  startMemoryHog,
  startProcessFlood,
  startService,
  startSyncWriter,
  startSystemdHost,
  startZombieParent,
  type Unavailable,
} from "../test/helpers/faults";
import type { Resource } from "../src/graph/diagnosis";
import type { AlarmSpec } from "./alarms";

/** How the question reaches ATL: the alarm body, or an engineer's words in English or Korean. */
export type AskLanguage = "alarm" | "en" | "ko";

export type CulpritKind = "process" | "parent" | "client" | "listener" | "path" | "mount" | "unit" | "device" | "interface" | "user" | "other";

/** What the diagnosis should name for a staged fault. */
export interface ExpectedCulprit {
  kind: CulpritKind;
  /** Strings that name the culprit (process name, directory, unit, address): any one in the verdict is enough. */
  names: string[];
  /** Pids that name the culprit. */
  pids: number[];
  /** Things next to the culprit (the listener of a client's connections, the mount of the full directory): naming them is partial. */
  related: string[];
}

/** Facts of one staging that wordings and alarms may use. */
export type Facts = Record<string, string | number>;

export interface StagedCondition {
  /** Null for a healthy host: any culprit named is wrong. */
  culprit: ExpectedCulprit | null;
  facts: Facts;
  /**
   * An agent of its own when the scenario needs its own view of the host: a launcher into a mount
   * namespace or a container, and then a folder and bundle both sides see.
   */
  agent?: { launcher: string[]; dir?: string; bundle?: string };
  /** Seconds to wait before asking, so averages (load, vmstat) see the fault. */
  settleSec?: number;
  stop(): Promise<void>;
}

export interface StageEnv {
  /** Where staged programs live ("/opt" as root, else a temp folder). */
  programRoot: string | undefined;
  /** Where staged file systems are mounted ("/srv" as root). */
  dataRoot: string | undefined;
}

export interface Scenario {
  id: string;
  title: string;
  /** What the fault is about, in the diagnosis's terms; a diagnosis understood the question when its resources include one. */
  resources: Resource[];
  /** Short description of what is staged, for the report. */
  fault: string;
  stage(env: StageEnv): Promise<StagedCondition | Unavailable>;
  /** The same names with no fault; default: nothing staged, facts from `stage`'s naming only. */
  healthy(env: StageEnv): Promise<StagedCondition | Unavailable>;
  /**
   * The fault leaves traces nothing can remove (the kernel log keeps an OOM kill): the healthy twin
   * is staged first, or it would rightly report the fault staged a minute before.
   */
  healthyFirst?: boolean;
  alarm(facts: Facts): AlarmSpec;
  en: ((facts: Facts) => string)[];
  ko: ((facts: Facts) => string)[];
}

const process_ = (name: string, pid: number, extra: Partial<ExpectedCulprit> = {}): ExpectedCulprit => ({
  kind: "process",
  names: [name],
  pids: [pid],
  related: [],
  ...extra,
});

function noFault(facts: Facts, extra: Partial<StagedCondition> = {}): StagedCondition {
  return { culprit: null, facts, stop: () => Promise.resolve(), ...extra };
}

function unavailable(value: unknown): value is Unavailable {
  return typeof value === "object" && value !== null && (value as { staged?: unknown }).staged === false;
}

/** A host-level CWAgent / EC2 metric alarm on the instance. */
function hostAlarm(facts: Facts, spec: Omit<AlarmSpec, "dimensions"> & { dimensions?: Record<string, string> }): AlarmSpec {
  return { ...spec, dimensions: { InstanceId: String(facts.instanceId), ...spec.dimensions } };
}

export const SCENARIOS: Scenario[] = [
  {
    id: "cpu-hog",
    title: "CPU hog",
    resources: ["cpu"],
    fault: "one process spinning every core (worker threads, nice -10)",
    async stage(env) {
      const hog = await startCpuHog({ threads: cpus().length, nice: -10, root: env.programRoot });
      return {
        culprit: process_(hog.name, hog.pid),
        facts: { name: hog.name, pid: hog.pid },
        settleSec: 20,
        stop: () => hog.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({ name: randomProcessName() })),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName}-cpu-utilization-high`,
        description: "CPU above 90% for 3 minutes",
        namespace: "AWS/EC2",
        metric: "CPUUtilization",
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        threshold: 90,
        unit: "Percent",
        period: 60,
        datapoints: [99.6, 99.1, 98.4],
      }),
    en: [
      () => "box is super sluggish, load through the roof",
      () => "cpu pegged at 100% since ~10min ago, whats eating it",
      () => "everything on this server is slow, even ssh takes forever to respond",
    ],
    ko: [
      () => "서버가 너무 느려요",
      () => "CPU 100% 찍고 있어요. 뭐가 잡아먹는지 봐주세요",
      () => "로드가 갑자기 확 튀었는데 원인 좀 찾아줘",
    ],
  },
  {
    id: "memory-hog",
    title: "Memory hog (1.5 GiB)",
    resources: ["memory"],
    fault: "one idle process holding 1.5 GiB of touched memory",
    async stage(env) {
      const hog = await startMemoryHog(1.5 * 1024 ** 3, { root: env.programRoot });
      return { culprit: process_(hog.name, hog.pid), facts: { name: hog.name, pid: hog.pid }, settleSec: 2, stop: () => hog.stop() };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} mem_used_percent > 85`,
        description: "Memory utilisation high (CWAgent)",
        namespace: "CWAgent",
        metric: "mem_used_percent",
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        threshold: 85,
        unit: "Percent",
        period: 300,
        datapoints: [91.2],
      }),
    en: [
      () => "memory usage keeps climbing on this host",
      () => "we're close to OOM, what's holding all the ram?",
      () => "mem alarm fired again... something leaking?",
    ],
    ko: [
      () => "메모리 사용량이 계속 올라가요",
      () => "메모리 누수 같은데 뭐가 메모리 먹고 있는지 확인 좀 해주세요",
      () => "램 부족 알람 또 왔어요",
    ],
  },
  {
    id: "full-filesystem",
    title: "Full file system",
    resources: ["disk-space"],
    fault: "a 64 MiB tmpfs mounted under /srv, 97 % filled by one file in a directory of random name",
    async stage(env) {
      const fs = await stageFullFilesystem({ root: env.dataRoot });
      if (!fs.staged) {
        return fs;
      }
      return {
        culprit: {
          kind: "path",
          names: [fs.fillDir, fs.fillFile],
          pids: [],
          related: [fs.mountPoint],
        },
        facts: { mount: fs.mountPoint },
        settleSec: 1,
        stop: () => fs.stop(),
      };
    },
    async healthy(env) {
      // The same kind of volume, mostly empty.
      const fs = await stageFullFilesystem({ root: env.dataRoot, fillPercent: 12 });
      return fs.staged ? noFault({ mount: fs.mountPoint }, { stop: () => fs.stop() }) : fs;
    },
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} disk_used_percent ${f.mount} above 90 percent`,
        description: "Data volume filling up",
        namespace: "CWAgent",
        metric: "disk_used_percent",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: 90,
        unit: "Percent",
        period: 300,
        dimensions: { path: String(f.mount), device: "tmpfs", fstype: "tmpfs" },
        datapoints: [97.3],
      }),
    en: [
      (f) => `disk full on ${f.mount}, writes failing`,
      () => "app logs are full of 'No space left on device'",
      () => "df says we're at 98%, what filled it up??",
    ],
    ko: [
      (f) => `${f.mount} 디스크가 꽉 찼어요`,
      () => "디스크 용량 부족 알람이요. 뭐가 공간을 차지하는지 봐주세요",
      () => "No space left on device 에러 나요 ㅠㅠ",
    ],
  },
  {
    id: "process-flood",
    title: "300 processes of one binary",
    resources: ["processes"],
    fault: "a parent that started 300 copies of one program (pid-exhaustion question)",
    async stage(env) {
      const flood = await startProcessFlood(300, { root: env.programRoot });
      return {
        culprit: {
          ...process_(flood.name, flood.pid),
          names: [flood.name, flood.parent.name],
          pids: [flood.parent.pid],
        },
        facts: { name: flood.name, parent: flood.parent.name },
        settleSec: 2,
        stop: () => flood.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName}-processes-total-high`,
        description: "Process count above 400 (CWAgent processes plugin)",
        namespace: "CWAgent",
        metric: "processes_total",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: 400,
        unit: "None",
        period: 60,
        datapoints: [437, 431],
      }),
    en: [
      () => "too many processes — are we heading for pid exhaustion?",
      () => "process count keeps growing on this box, fork bomb or something?",
      () => "ps output is huge, something is spawning tons of procs",
    ],
    ko: [
      () => "프로세스 개수가 비정상적으로 많아요",
      () => "pid 고갈될까봐 걱정되네요. 프로세스가 왜 이렇게 많은지 봐주세요",
      () => "fork 폭탄 같은 게 돌고 있는 것 같아요",
    ],
  },
  {
    id: "connection-hog",
    title: "One client holding 2000 TCP connections",
    resources: ["connections"],
    fault: "a client process holding 2000 idle connections, from a loopback address of its own, to a local listener",
    async stage(env) {
      const service = await startService({ root: env.programRoot });
      try {
        const client = await startConnectionHog(service.port, 2000, { root: env.programRoot });
        return {
          culprit: {
            kind: "client",
            names: [client.name, client.from],
            pids: [client.pid],
            related: [service.name],
          },
          facts: { port: service.port, service: service.name, client: client.name, from: client.from },
          settleSec: 2,
          stop: async () => {
            await client.stop();
            await service.stop();
          },
        };
      } catch (error) {
        await service.stop();
        throw error;
      }
    },
    async healthy(env) {
      const service = await startService({ root: env.programRoot });
      return noFault({ port: service.port, service: service.name }, { stop: () => service.stop() });
    },
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} tcp established > 1500`,
        description: `Too many established TCP connections (service port ${f.port})`,
        namespace: "CWAgent",
        metric: "netstat_tcp_established",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: 1500,
        unit: "Count",
        period: 60,
        datapoints: [2013, 2008],
      }),
    en: [
      (f) => `connections are piling up on port ${f.port}`,
      (f) => `way too many ESTABLISHED conns to our service on :${f.port}, who is holding them?`,
      () => "tcp connection count spiked, maybe some client isn't closing its connections",
    ],
    ko: [
      (f) => `${f.port} 포트에 커넥션이 계속 쌓여요`,
      () => "ESTABLISHED 연결이 너무 많아요. 누가 잡고 있는지 찾아주세요",
      () => "커넥션 누수가 의심됩니다",
    ],
  },
  {
    id: "open-files",
    title: "One process with 5000 open files",
    resources: ["file-descriptors"],
    fault: "one process holding 5000 open file descriptors on its spool files",
    async stage(env) {
      const hog = await startFdHog(5000, { root: env.programRoot });
      return {
        culprit: process_(hog.name, hog.pid),
        facts: { name: hog.name },
        settleSec: 1,
        stop: () => hog.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName}-open-file-handles`,
        description: "Allocated file handles (from /proc/sys/fs/file-nr, pushed by cron)",
        namespace: "Custom/OS",
        metric: "AllocatedFileHandles",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: 5000,
        unit: "Count",
        period: 60,
        datapoints: [6811, 6790],
      }),
    en: [
      () => "too many open files",
      () => "getting EMFILE errors, is someone leaking fds?",
      () => "app log says 'Too many open files' since this morning",
    ],
    ko: [
      () => "Too many open files 에러가 나요",
      () => "파일 디스크립터 누수 같아요",
      () => "fd 고갈 직전이라고 알람 왔어요",
    ],
  },
  {
    id: "disk-io",
    title: "Write + fdatasync loop",
    resources: ["disk-io"],
    fault: "one process writing 512 KiB and calling fdatasync in a loop on the root disk",
    async stage(env) {
      const writer = await startSyncWriter({ root: env.programRoot });
      return {
        culprit: { ...process_(writer.name, writer.pid), names: [writer.name, writer.file] },
        facts: { name: writer.name },
        settleSec: 8,
        stop: () => writer.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} diskio_io_time vda high`,
        description: "Disk busy time above 800 ms/s on the root volume",
        namespace: "CWAgent",
        metric: "diskio_io_time",
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        threshold: 800,
        unit: "Milliseconds",
        period: 60,
        dimensions: { name: "vda" },
        datapoints: [947, 921, 903],
      }),
    en: [
      () => "disk I/O is slow",
      () => "writes are super slow, db commits take seconds",
      () => "smth is hammering the disk, can you find what",
    ],
    ko: [
      () => "디스크 I/O가 너무 느려요",
      () => "디스크 쓰기 지연이 심해요",
      () => "누가 디스크를 계속 긁고 있는 것 같아요",
    ],
  },
  {
    id: "zombies",
    title: "A parent with 50 zombie children",
    resources: ["zombies", "processes"],
    fault: "a parent that never reaps its 50 exited children",
    async stage(env) {
      const parent = await startZombieParent(50, { root: env.programRoot });
      return {
        culprit: {
          kind: "parent",
          names: [parent.name],
          pids: [parent.pid],
          related: [parent.children],
        },
        facts: { name: parent.name, children: parent.children },
        settleSec: 1,
        stop: () => parent.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName}-zombie-processes`,
        description: "Zombie processes above 20",
        namespace: "CWAgent",
        metric: "processes_zombies",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: 20,
        unit: "None",
        period: 60,
        datapoints: [50, 50],
      }),
    en: [
      () => "zombie processes are piling up",
      () => "lots of <defunct> in ps, what's not reaping its children?",
      () => "got the zombie count alarm, pls check",
    ],
    ko: [
      () => "좀비 프로세스가 계속 쌓여요",
      () => "ps 보면 defunct가 엄청 많이 보여요",
      () => "좀비 프로세스 알람 떴는데 부모가 누군지 찾아줘",
    ],
  },
  {
    id: "failed-unit",
    title: "Failed systemd unit",
    resources: ["services"],
    fault: "a service whose program exits at start (missing config), restarted until systemd gives up (start-limit-hit)",
    stage: (env) => stageUnit(env, true),
    healthy: (env) => stageUnit(env, false),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} ${f.app} process count < 1`,
        description: `No ${f.name} process running (CWAgent procstat, exe ${f.name})`,
        namespace: "CWAgent",
        metric: "procstat_lookup_pid_count",
        statistic: "Minimum",
        comparison: "LessThanThreshold",
        threshold: 1,
        unit: "None",
        period: 60,
        dimensions: { exe: String(f.name), pid_finder: "native" },
        datapoints: [0, 0, 0],
      }),
    en: [
      (f) => `${f.app} ${f.role} is down after the deploy`,
      () => "systemd says a service failed, which one and why?",
      (f) => `our ${f.app} ${f.role} stopped processing, is it even running`,
    ],
    ko: [
      (f) => `배포하고 나서 ${f.app} 서비스가 안 떠요`,
      () => "서비스 하나가 failed 상태래요. 뭔지 좀 봐주세요",
      (f) => `${f.unit} 자꾸 죽어요`,
    ],
  },
  {
    id: "dead-listener",
    title: "Dead listener behind an alarm",
    resources: ["services", "connections"],
    fault: "a service that listened on a random port was killed; nothing listens there",
    async stage(env) {
      const app = randomApp();
      const name = randomProcessName(app);
      const port = await randomFreePort();
      const service = await startService({ root: env.programRoot, app, name, port });
      await service.stop();
      return {
        culprit: {
          kind: "listener",
          // A verdict may name the listener by its port alone.
          names: [name, String(port), `:${port}`, `port ${port}`, `포트 ${port}`],
          pids: [],
          related: [],
        },
        facts: { name, app, port },
        settleSec: 0,
        stop: () => Promise.resolve(),
      };
    },
    async healthy(env) {
      const service = await startService({ root: env.programRoot });
      return noFault({ name: service.name, app: service.name.replace(/[-d].*$/, ""), port: service.port }, { stop: () => service.stop() });
    },
    alarm: (f) => ({
      name: `${f.app}-tg UnHealthyHostCount >= 1`,
      description: `Target group health check failing (HTTP :${f.port} /healthz)`,
      namespace: "AWS/ApplicationELB",
      metric: "UnHealthyHostCount",
      statistic: "Maximum",
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      unit: "Count",
      period: 60,
      dimensions: { TargetGroup: `targetgroup/${f.app}-tg/9c1f3e27ab5d4a10`, LoadBalancer: "app/prod-internal-alb/50dc6c495c0c9188" },
      datapoints: [1, 1],
    }),
    en: [
      (f) => `${f.name} on port ${f.port} not responding`,
      (f) => `health check failing for ${f.app}, port ${f.port}`,
      (f) => `nothing answers on :${f.port} anymore, connection refused`,
    ],
    ko: [
      (f) => `${f.name} 서비스가 응답이 없어요`,
      (f) => `${f.port} 포트 연결이 거부돼요 (connection refused)`,
      (f) => `헬스체크 실패 알람 왔어요. 포트 ${f.port}`,
    ],
  },
  {
    id: "oom-kill",
    title: "OOM kill in a memory cgroup",
    resources: ["memory", "kernel"],
    fault: "a worker allocating past its 64 MiB cgroup limit, killed by the kernel twice",
    async stage(env) {
      const app = randomApp();
      const oom = await stageOomKill({ root: env.programRoot, app, kills: 2 });
      if (!oom.staged) {
        return oom;
      }
      return {
        culprit: {
          ...process_(oom.name, oom.pids[oom.pids.length - 1] ?? -1),
          pids: oom.pids,
        },
        facts: { name: oom.name, app },
        settleSec: 1,
        stop: () => oom.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({ app: randomApp() })),
    healthyFirst: true,
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} kernel OOM kills`,
        description: "Metric filter on /var/log/kern.log: 'Out of memory' / 'Killed process'",
        namespace: "LogMetrics",
        metric: "KernelOOMKills",
        statistic: "Sum",
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        unit: "Count",
        period: 300,
        datapoints: [2],
      }),
    en: [
      (f) => `our ${f.app} worker keeps dying, OOM?`,
      () => "a process got killed out of nowhere, check if the oom killer did it",
      () => "batch job died with no stack trace, just 'Killed'",
    ],
    ko: [
      () => "워커 프로세스가 자꾸 죽어요",
      () => "OOM 킬 당한 것 같은데 확인 부탁드려요",
      () => "배치가 갑자기 Killed 로 끝나요",
    ],
  },
  {
    id: "inode-table",
    title: "Full inode table",
    resources: ["inodes", "disk-space"],
    fault: "a tmpfs with nr_inodes=4000 filled with empty files in one directory",
    async stage(env) {
      const fs = await stageFullInodeTable({ root: env.dataRoot });
      if (!fs.staged) {
        return fs;
      }
      return {
        culprit: {
          kind: "path",
          names: [fs.fillDir],
          pids: [],
          related: [fs.mountPoint],
        },
        facts: { mount: fs.mountPoint },
        settleSec: 1,
        stop: () => fs.stop(),
      };
    },
    async healthy(env) {
      const fs = await stageFullFilesystem({ root: env.dataRoot, fillPercent: 10 });
      return fs.staged ? noFault({ mount: fs.mountPoint }, { stop: () => fs.stop() }) : fs;
    },
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} disk_inodes_free ${f.mount} low`,
        description: "Free inodes below 500",
        namespace: "CWAgent",
        metric: "disk_inodes_free",
        statistic: "Minimum",
        comparison: "LessThanThreshold",
        threshold: 500,
        unit: "Count",
        period: 300,
        dimensions: { path: String(f.mount), device: "tmpfs", fstype: "tmpfs" },
        datapoints: [3],
      }),
    en: [
      () => "No space left on device but df shows plenty free??",
      (f) => `can't create files under ${f.mount}, the disk isn't even full`,
      () => "inode usage alarm, whats creating so many files",
    ],
    ko: [
      () => "디스크 공간은 남았는데 파일 생성이 안 돼요",
      () => "inode 부족하다고 알람 왔어요",
      () => "No space left on device 떠요. 근데 용량은 여유 있음",
    ],
  },
  {
    id: "stuck-process",
    title: "A process stuck in D state",
    resources: ["processes", "disk-io", "kernel"],
    fault: "a multi-threaded process frozen by a cgroup freezer (every thread in uninterruptible sleep)",
    async stage(env) {
      const stuck = await stageStuckProcess({ root: env.programRoot, threads: 6 });
      if (!stuck.staged) {
        return stuck;
      }
      return {
        culprit: process_(stuck.name, stuck.pid),
        facts: { name: stuck.name },
        settleSec: 15,
        stop: () => stuck.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName}-blocked-processes`,
        description: "Processes in uninterruptible sleep (CWAgent processes_blocked)",
        namespace: "CWAgent",
        metric: "processes_blocked",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: 5,
        unit: "None",
        period: 60,
        datapoints: [11, 11, 10],
      }),
    en: [
      () => "load average is high but the cpu is idle?",
      () => "some process is stuck and kill -9 does nothing",
      () => "things just hang on this box, hung tasks maybe",
    ],
    ko: [
      () => "로드는 높은데 CPU는 놀고 있어요",
      () => "프로세스가 멈춰서 kill도 안 먹혀요",
      () => "뭔가 hang 걸린 것 같아요",
    ],
  },
  {
    id: "dns-failure",
    title: "DNS failure",
    resources: ["dns"],
    fault: "the agent's view of the host (a mount namespace) has a resolv.conf pointing at a loopback resolver that does not answer",
    async stage() {
      const dns = await stageDeadResolver();
      if (!dns.staged) {
        return dns;
      }
      return {
        culprit: {
          kind: "other",
          names: [dns.nameserver],
          pids: [],
          related: ["/etc/resolv.conf", "resolv.conf"],
        },
        facts: { nameserver: dns.nameserver },
        agent: { launcher: dns.launcher },
        settleSec: 0,
        stop: () => dns.stop(),
      };
    },
    healthy: () => Promise.resolve(noFault({})),
    alarm: (f) =>
      hostAlarm(f, {
        name: `${f.hostName} app DNS lookup errors`,
        description: "getaddrinfo failures reported by the app (EMF)",
        namespace: "Custom/App",
        metric: "DnsLookupErrors",
        statistic: "Sum",
        comparison: "GreaterThanThreshold",
        threshold: 10,
        unit: "Count",
        period: 60,
        datapoints: [184, 176],
      }),
    en: [
      () => "DNS resolution failing on this box",
      () => "getaddrinfo EAI_AGAIN errors all over the app logs",
      () => "can't resolve any hostnames from the server",
    ],
    ko: [
      () => "DNS 조회가 안 돼요",
      () => "도메인 이름 해석이 계속 실패해요",
      () => "EAI_AGAIN 에러가 계속 나요",
    ],
  },
];

export { unavailable };

/**
 * A unit in a systemd container (this machine's pid 1 is not systemd): its program exits at once
 * for a missing config file and systemd restarts it until the start limit (the fault), or it finds
 * its config and runs (the healthy twin). The agent runs inside the container.
 */
async function stageUnit(env: StageEnv, failing: boolean): Promise<StagedCondition | Unavailable> {
  void env;
  const app = randomApp();
  const name = randomProcessName(app);
  const role = pick(["worker", "consumer", "sync", "indexer", "scheduler"]);
  const unit = `${app}-${role}.service`;
  const host = await startSystemdHost((shared) => {
    const home = join(shared, app);
    mkdirSync(join(home, "bin"), { recursive: true });
    mkdirSync(join(home, "lib"), { recursive: true });
    linkSync(process.execPath, join(home, "bin", name));
    const config = failing ? `/etc/${app}/${role}.yml` : join(home, "etc", `${role}.yml`);
    if (!failing) {
      mkdirSync(join(home, "etc"), { recursive: true });
      writeFileSync(config, "queue: jobs\nconcurrency: 4\n");
    }
    writeFileSync(
      join(home, "lib", `${role}.js`),
      `const fs = require("node:fs");
       const config = process.argv[process.argv.indexOf("--config") + 1];
       try { fs.readFileSync(config, "utf8"); } catch (error) {
         console.error("fatal: cannot load configuration: " + error.message);
         process.exit(78);
       }
       console.log("${role} started, config " + config);
       setInterval(() => {}, 1 << 30);`,
    );
    return [
      {
        name: unit,
        content: `[Unit]
Description=${app} ${role}
DefaultDependencies=no
StartLimitIntervalSec=300
StartLimitBurst=3

[Service]
ExecStart=${join(home, "bin", name)} ${join(home, "lib", `${role}.js`)} --config ${config}
Restart=on-failure
RestartSec=1
`,
      },
    ];
  }, { app });
  if (!host.staged) {
    return host;
  }
  try {
    const bundle = join(host.shared, "agent", "atl-agent.js");
    mkdirSync(dirname(bundle), { recursive: true });
    copyFileSync(await privateAgentBundle(), bundle);
    return {
      culprit: failing
        ? { kind: "unit", names: [unit, unit.replace(/\.service$/, "")], pids: [], related: [name] }
        : null,
      facts: { app, role, unit, name },
      agent: { launcher: host.launcher, dir: join(host.shared, "agent", "state"), bundle },
      // Failing: three starts a second apart, then systemd gives up. Healthy: past the first minute,
      // so the service does not look freshly restarted only because the container just booted.
      settleSec: failing ? 6 : 70,
      stop: () => host.stop(),
    };
  } catch (error) {
    await host.stop();
    throw error;
  }
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}
