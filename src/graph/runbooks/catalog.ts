// The built-in runbooks: bounded, read-only diagnostic commands per kind of problem, each with why
// it runs and what in its output matters. Every command here must pass the default policy (a test
// checks it) and run on a plain Debian / Ubuntu / Amazon Linux host; a command missing on the host
// (mpstat without sysstat) yields a note, never a broken analysis.
//
// Values that come from an alarm or the user's text (a mount path, a service name, a port) are
// validated by target.ts before they get here, and the policy quotes every argument again.

export interface RunbookCommand {
  command: string;
  purpose: string;
  expectedSignal: string;
}

export type RunbookKind = "cpu" | "memory" | "disk" | "disk-io" | "status-check" | "network" | "service" | "process" | "generic";

export const PS_COLUMNS = "pid,ppid,user,pcpu,pmem,rss,etimes,stat,comm";

const uptime: RunbookCommand = {
  command: "uptime",
  purpose: "Load averages over 1, 5 and 15 minutes, and how long the host has been up.",
  expectedSignal: "A load average well above the CPU count means work is queueing; a short uptime means a recent reboot.",
};

const nproc: RunbookCommand = {
  command: "nproc",
  purpose: "Number of CPUs, to read the load average per core.",
  expectedSignal: "Load per core above 1 means runnable work waits for a CPU.",
};

const top: RunbookCommand = {
  command: "top -b -n 1 -w 512 | head -n 30",
  purpose: "A snapshot of CPU time by kind (user, system, iowait, steal) and the busiest processes.",
  expectedSignal: "One process near 100 % per core, or high wa (waiting on disk) or st (host steals CPU).",
};

const psByCpu: RunbookCommand = {
  command: `ps -eo ${PS_COLUMNS} --sort=-pcpu | head -n 15`,
  purpose: "Processes by CPU use (average over each process's life), with pid, user and age.",
  expectedSignal: "The process using the most CPU: its name, pid, owner and how long it has run.",
};

const mpstat: RunbookCommand = {
  command: "mpstat -P ALL 1 1",
  purpose: "Per-core CPU use over one second (needs the sysstat package).",
  expectedSignal: "A single saturated core (single-threaded hot spot), %iowait or %steal per core.",
};

const vmstat: RunbookCommand = {
  command: "vmstat 1 5",
  purpose: "Run queue, swapping, I/O wait and context switches over 5 seconds.",
  expectedSignal: "r above the CPU count (CPU saturation), si/so above 0 (swapping), wa high (disk-bound).",
};

const free: RunbookCommand = {
  command: "free -m",
  purpose: "Total, used and available memory and swap, in MiB.",
  expectedSignal: "Low 'available' memory, or swap in use.",
};

const psByRss: RunbookCommand = {
  command: `ps -eo ${PS_COLUMNS} --sort=-rss | head -n 15`,
  purpose: "Processes by resident memory (RSS), with pid, user and age.",
  expectedSignal: "The process holding the most memory; a young process with a large RSS suggests a leak or a runaway job.",
};

const oomKills: RunbookCommand = {
  command: "dmesg -T | grep -i -E 'out of memory|killed process|oom-kill|oom_reaper' | tail -n 20",
  purpose: "Kernel out-of-memory kills (the kernel log may need root).",
  expectedSignal: "'Killed process PID (name)' lines: the kernel killed something to free memory.",
};

const df: RunbookCommand = {
  command: "df -hP",
  purpose: "Space used on every mounted filesystem.",
  expectedSignal: "A filesystem at or near 100 % use.",
};

const dfInodes: RunbookCommand = {
  command: "df -iP",
  purpose: "Inodes (file count) used on every mounted filesystem.",
  expectedSignal: "IUse% near 100 %: no new files can be created even with free space.",
};

function duTop(path: string): RunbookCommand {
  return {
    command: `du -xh --max-depth=3 ${path} 2>/dev/null | sort -rh | head -n 20`,
    purpose: `The largest directories under ${path} (same filesystem only, three levels deep).`,
    expectedSignal: "One directory holding most of the space (logs, caches, dumps, container images).",
  };
}

function largeFiles(path: string): RunbookCommand {
  return {
    command: `find ${path} -xdev -type f -size +10M -printf '%s %p\\n' 2>/dev/null | sort -rn | head -n 15`,
    purpose: `The largest files (over 10 MB) under ${path}, on the same filesystem.`,
    expectedSignal: "A runaway log, core dump or forgotten archive.",
  };
}

const deletedOpen: RunbookCommand = {
  command: "lsof -nP +L1 2>/dev/null | head -n 20",
  purpose: "Files deleted but still held open by a process (their space is not freed until it closes them).",
  expectedSignal: "A large deleted log still open by a daemon: restart or reopen logs to free the space.",
};

const iostat: RunbookCommand = {
  command: "iostat -dxy 1 2",
  purpose: "Per-device I/O load over one second (needs the sysstat package).",
  expectedSignal: "%util near 100 or long await on a device: the disk is the bottleneck.",
};

const failedUnits: RunbookCommand = {
  command: "systemctl --failed --no-pager --plain",
  purpose: "systemd units that have failed.",
  expectedSignal: "Any unit listed as failed.",
};

const journalErrors: RunbookCommand = {
  command: "journalctl -p err --no-pager -n 50",
  purpose: "The latest 50 error-level entries of the system journal.",
  expectedSignal: "Repeated errors from one service or the kernel around the alarm time.",
};

const kernelTail: RunbookCommand = {
  command: "dmesg -T | tail -n 40",
  purpose: "The latest kernel messages (hardware, file system, network and OOM errors).",
  expectedSignal: "I/O errors, file system remounted read-only, NIC resets, hung tasks, OOM kills.",
};

const listeners: RunbookCommand = {
  command: "ss -ltnup",
  purpose: "Listening TCP and UDP sockets and, where permitted, the process behind each.",
  expectedSignal: "Whether the service's port is open, and by which process.",
};

const socketSummary: RunbookCommand = {
  command: "ss -s",
  purpose: "Socket counts by state.",
  expectedSignal: "Very many established, TIME-WAIT or orphaned connections.",
};

const linkStats: RunbookCommand = {
  command: "ip -s link",
  purpose: "Per-interface byte, packet, error and drop counters.",
  expectedSignal: "RX/TX errors or drops growing on the main interface.",
};

const tcpCounters: RunbookCommand = {
  command: "cat /proc/net/netstat",
  purpose: "Kernel TCP counters since boot: accept-queue overflows, drops and timeouts.",
  expectedSignal: "ListenOverflows/ListenDrops above 0: a service cannot accept connections fast enough.",
};

const tcpSegments: RunbookCommand = {
  command: "cat /proc/net/snmp",
  purpose: "Kernel TCP segment counters since boot (sent and retransmitted).",
  expectedSignal: "Retransmitted segments above ~1 % of those sent: packet loss on the path.",
};

function serviceStatus(service: string): RunbookCommand {
  return {
    command: `systemctl status ${service} --no-pager -l -n 20`,
    purpose: `State of the ${service} service, its main process and its last log lines.`,
    expectedSignal: "'Active: failed' or 'inactive (dead)', restart loops, the exit code of the last run.",
  };
}

function serviceJournal(service: string): RunbookCommand {
  return {
    command: `journalctl -u ${service} --no-pager -n 100`,
    purpose: `The latest 100 log lines of ${service}.`,
    expectedSignal: "The error that stopped it: a bad config, a port in use, permission denied, out of memory.",
  };
}

function processByName(name: string): RunbookCommand {
  return {
    command: `ps -C ${name} -o ${PS_COLUMNS}`,
    purpose: `Processes named ${name}, with their CPU, memory and age.`,
    expectedSignal: `No ${name} process (it died), several (restart loop or duplicates), or a very young one (it restarted).`,
  };
}

/** Commands per kind; `target` values are already validated. */
export function runbookCommands(kind: RunbookKind, target: { path?: string; service?: string; process?: string }): RunbookCommand[] {
  switch (kind) {
    case "cpu":
      return [uptime, nproc, top, psByCpu, mpstat, vmstat];
    case "memory":
      return [free, psByRss, vmstat, oomKills];
    case "disk": {
      const path = target.path ?? "/";
      return [df, dfInodes, duTop(path), largeFiles(path), deletedOpen];
    }
    case "disk-io":
      return [iostat, vmstat, top];
    case "status-check":
      return [uptime, kernelTail, failedUnits, journalErrors, df, free];
    case "network":
      return [socketSummary, linkStats, listeners, tcpCounters, tcpSegments];
    case "service": {
      const service = target.service;
      return service
        ? [serviceStatus(service), serviceJournal(service), processByName(target.process ?? service), listeners, failedUnits]
        : [failedUnits, listeners, journalErrors];
    }
    case "process": {
      const name = target.process;
      return name ? [processByName(name), psByCpu, psByRss, free] : [psByCpu, psByRss, free];
    }
    case "generic":
      return [uptime, nproc, free, df, top, failedUnits, journalErrors, kernelTail];
  }
}

export const RUNBOOK_TITLES: Record<RunbookKind, string> = {
  cpu: "CPU",
  memory: "Memory",
  disk: "Disk space",
  "disk-io": "Disk I/O",
  "status-check": "Status check",
  network: "Network",
  service: "Service",
  process: "Process",
  generic: "General health",
};
