// Diagnostic commands copied from public runbooks and checklists that nobody on the team wrote, with
// the page each comes from: what engineers really type. `runbooks.test.ts` checks that at least
// 95 % of them run as written under the default profile (or under the operator rule they need, for
// vendor agents' own status commands), and that each one that does not says why.
//
// Written as the source shows them, except: a leading `sudo` is dropped (ATL never escalates; the
// agent runs as its own user), and placeholders (<pid>, <POD_NAME>, SERVICE, eth0…) are filled with
// an example value.

export interface RunbookCommand {
  command: string;
  /** The page the command comes from. */
  source: string;
  /** Set when ATL does not run it as written, with the reason (a refusal by design). */
  refusedBecause?: string;
  /** The operator rule id (runbookOperatorPolicy) the command needs, for vendor status commands. */
  operatorRule?: string;
}

const NETFLIX = "https://netflixtechblog.com/linux-performance-analysis-in-60-000-milliseconds-accc10403c55";
const USE = "http://www.brendangregg.com/USEmethod/use-linux.html";
const USE_UBUNTU = "https://oneuptime.com/blog/post/2026-03-02-how-to-profile-system-bottlenecks-with-use-method-on-ubuntu/view";
const USE_TRIAGE = "https://devopsbeast.com/courses/linux-fundamentals/production-debugging/performance-triage-use-method";
const SSM = "https://www.timi.run/docs/aws-ssm-agent-heartbeat-failure-intermittent-timeouts";
const NET_MONITORING = "https://dargslan.com/blog/linux-network-interface-monitoring-traffic-errors";
const NET_USAGE = "https://linuxvox.com/blog/linux-display-network-usage";
const NET_STATS = "https://en.ittrip.xyz/linux/linux-net-stats";
const DISK_FULL = "https://grokdatum.github.io/grokdevops-wiki/library/lessons/the-disk-that-filled-up";
const DISK_RESERVED = "https://serverdevworker.com/3600655d";
const DF_DEEP_DIVE = "https://jsokit.com/blog/posts/linux-df-command-deep-dive-from-disk-space-monitoring-to-inode-exhaustion-troubleshooting/";
const DISK_IO = "https://www.besthub.dev/articles/mastering-linux-disk-i-o-key-metrics-and-essential-monitoring-tools-4f10b1ca05eb";
const OOM_UBUNTU = "https://oneuptime.com/blog/post/2026-03-02-how-to-monitor-memory-usage-and-troubleshoot-oom-kills-on-ubuntu/view";
const OOM_KILLER = "https://oneuptime.com/blog/post/2026-01-24-fix-oom-killer-memory-issues/view";
const OOM_WIKI = "https://errorcodeswiki.com/items/linux-memory-leak-oom-killer";
const OOM_GYM = "https://penguin-gym-linux.com/en/articles/troubleshooting/oom-killer-handling";
const SYSTEMD_OPS = "https://grokdatum.github.io/grokdevops-wiki/library/topics/linux-ops-systemd/street_ops";
const SYSTEMD_BASICS = "https://dutypulse.io/systemd-journalctl/";
const TROUBLESHOOTING = "https://dutypulse.io/troubleshooting/";
const SYSTEMD_HOWTO = "https://git.mymx.me/username/howtos/raw/commit/9e652d76e6483936b68c95ebce4df2c1d282be38/topics/systemd.md";
const CHRONY_FEDORA = "https://translate.fedoraproject.org/browse/fedora-docs-l10n-fedora-system-administrat/f30pagesserversconfiguring_ntp_using_the_chrony_suite/en/?q=&sort_by=target";
const CHRONY_SOURCES = "https://forsre.cn/pages/%E5%90%AF%E7%94%A8ntp%E6%94%B9%E7%94%A8chrony";
const K8S_WORKSHOP = "https://github.com/ahelmbr/istio-workshop/blob/master/TROUBLESHOOTING.md";
const K8S_DEBUG_NOTES = "https://gist.github.com/ruzickap/923ec76dc2af21ff04a44e107a6631a5";
const K8S_CHEATSHEET = "https://gist.github.com/eckslopez/fc2b860c4e179471fb78cde940cfff06";
const K8S_EVENTS = "https://oneuptime.com/blog/post/2026-01-25-kubernetes-events-debugging/view";
const K8S_PODS = "https://www.skills.sh/kurtosis-tech/kurtosis/k8s-debug-pods";
const CGROUP_AUDIT = "https://dargslan.com/blog/linux-cgroup-v2-resource-limits-audit";
const SYSTEMD_CHECK = "https://linux-audit.com/tags/systemd/";

export const runbookCommands: RunbookCommand[] = [
  // Linux Performance Analysis in 60,000 Milliseconds (Netflix): all ten.
  { command: "uptime", source: NETFLIX },
  { command: "dmesg | tail", source: NETFLIX },
  { command: "vmstat 1", source: NETFLIX },
  { command: "mpstat -P ALL 1", source: NETFLIX },
  { command: "pidstat 1", source: NETFLIX },
  { command: "iostat -xz 1", source: NETFLIX },
  { command: "free -m", source: NETFLIX },
  { command: "sar -n DEV 1", source: NETFLIX },
  { command: "sar -n TCP,ETCP 1", source: NETFLIX },
  { command: "top", source: NETFLIX },

  // The USE Method: Linux Performance Checklist (Brendan Gregg).
  { command: "sar -u", source: USE },
  { command: "sar -P ALL", source: USE },
  { command: "ps -o pcpu", source: USE },
  { command: "sar -q", source: USE },
  { command: "sar -r", source: USE },
  { command: "slabtop -s c", source: USE },
  { command: "sar -B", source: USE },
  { command: "sar -W", source: USE },
  { command: "dstat -c", source: USE, refusedBecause: "dstat is not in the read-only profile (a Python tool with plugins: --plugin loads code); vmstat 1 and mpstat give the same figures" },
  { command: "htop", source: USE, refusedBecause: "htop is interactive (it can send signals and run strace/lsof from its menus); top runs in batch mode instead" },

  // USE method on Ubuntu and a triage lesson.
  { command: "mpstat -P ALL 1 5", source: USE_UBUNTU },
  { command: "vmstat 1 10", source: USE_UBUNTU },
  { command: "sar -u 1 10", source: USE_UBUNTU },
  { command: "top -b -n 1 | head -25", source: USE_UBUNTU },
  { command: "vmstat 1 5", source: USE_UBUNTU },
  { command: "cat /proc/schedstat", source: USE_UBUNTU },
  { command: "nproc", source: USE_UBUNTU },
  { command: 'dmesg | grep -i "mce\\|machine check" | tail -10', source: USE_UBUNTU },
  { command: "cat /sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", source: USE_UBUNTU },
  { command: "iostat -x 1 3", source: USE_TRIAGE },
  { command: "sar -n DEV 1 3", source: USE_TRIAGE },
  { command: "iostat -d -x 1", source: DISK_IO },

  // Disk full.
  { command: "df -h", source: DISK_FULL },
  { command: "du -sh /* 2>/dev/null | sort -rh | head", source: DISK_FULL },
  { command: "du -sh /var/* 2>/dev/null | sort -rh | head", source: DISK_FULL },
  { command: "find /var/log -type f -size +100M -exec ls -lh {} \\; 2>/dev/null | sort -k5 -rh | head", source: DISK_FULL, refusedBecause: "find -exec runs a program for each file; find /var/log -type f -size +100M -ls prints the same" },
  { command: "df -i", source: DF_DEEP_DIVE },
  { command: "df -T", source: DF_DEEP_DIVE },
  { command: "lsof +L1 | grep deleted", source: DISK_RESERVED },
  { command: "df -i /", source: DISK_RESERVED },
  { command: "df -h && df -i", source: DISK_RESERVED },
  { command: "ls -l /www", source: DISK_RESERVED },
  { command: "stat /www", source: DISK_RESERVED },
  { command: "df -h /www", source: DISK_RESERVED },
  { command: "df / --output=pcent | tail -1 | tr -d '% '", source: DISK_RESERVED },
  { command: 'tune2fs -l /dev/sda1 | grep "Reserved block count"', source: DISK_RESERVED, refusedBecause: "tune2fs changes file systems (-l only lists, but the program is not in the profile); an operator can allow tune2fs -l by rule" },

  // Memory and the OOM killer.
  { command: "free -h", source: OOM_UBUNTU },
  { command: "cat /proc/meminfo", source: OOM_UBUNTU },
  { command: "vmstat -S M 2", source: OOM_UBUNTU },
  { command: "sar -r 1", source: OOM_UBUNTU },
  { command: "sar -S 1", source: OOM_UBUNTU },
  { command: 'dmesg | grep -i "oom\\|killed\\|out of memory"', source: OOM_UBUNTU },
  { command: 'dmesg | grep -A 10 "Out of memory"', source: OOM_UBUNTU },
  { command: "watch -n 2 free -h", source: OOM_UBUNTU, refusedBecause: "watch runs another command forever; free -s 2 is sampled for the window instead" },
  { command: 'dmesg | grep -i "oom"', source: OOM_KILLER },
  { command: 'dmesg -T | grep -i "killed process"', source: OOM_KILLER },
  { command: 'journalctl -k | grep -i "oom"', source: OOM_KILLER },
  { command: 'grep -i "oom" /var/log/syslog', source: OOM_KILLER },
  { command: 'grep -i "oom" /var/log/messages', source: OOM_KILLER },
  { command: "cat /proc/1234/oom_score", source: OOM_KILLER },
  { command: "ps -eo pid,ppid,cmd,%mem,%cpu --sort=-%mem | head", source: OOM_KILLER },
  { command: "dmesg -T | grep -i oom", source: OOM_WIKI },
  { command: "ps aux --sort=-%mem | head -20", source: OOM_WIKI },
  { command: 'dmesg | grep -i "out of memory"', source: OOM_GYM },
  { command: 'journalctl -k --since "2 hours ago" | grep -i oom', source: OOM_GYM },
  { command: 'journalctl -k -g "Out of memory"', source: OOM_GYM },
  { command: 'grep -i "out of memory" /var/log/syslog', source: OOM_GYM },
  { command: 'grep -i "oom_killer" /var/log/kern.log', source: OOM_GYM },
  { command: 'dmesg | grep "Killed process"', source: OOM_GYM },

  // Services and logs.
  { command: "systemctl status nginx", source: SYSTEMD_OPS },
  { command: "journalctl -u nginx -n 50 --no-pager", source: SYSTEMD_OPS },
  { command: "systemctl cat nginx", source: SYSTEMD_OPS },
  { command: "systemctl list-dependencies nginx", source: SYSTEMD_OPS },
  { command: 'journalctl -u nginx --since "10 minutes ago"', source: SYSTEMD_OPS },
  { command: 'journalctl -u nginx --since "2024-01-15 14:00" --until "2024-01-15 14:30"', source: SYSTEMD_OPS },
  { command: "journalctl -b", source: SYSTEMD_OPS },
  { command: "journalctl -b -1", source: SYSTEMD_OPS },
  { command: "journalctl --list-boots", source: SYSTEMD_OPS },
  { command: "journalctl -p err", source: SYSTEMD_OPS },
  { command: "journalctl -p warning -u nginx", source: SYSTEMD_OPS },
  { command: "journalctl -u myapp -o json-pretty -n 5", source: SYSTEMD_OPS },
  { command: "journalctl --disk-usage", source: SYSTEMD_OPS },
  { command: "systemctl is-active nginx", source: SYSTEMD_BASICS },
  { command: "systemctl is-enabled nginx", source: SYSTEMD_BASICS },
  { command: "systemctl list-units --type=service --state=running", source: SYSTEMD_BASICS },
  { command: "systemctl --failed", source: SYSTEMD_BASICS },
  { command: "systemctl is-failed nginx", source: SYSTEMD_HOWTO },
  { command: "systemctl list-units --failed", source: SYSTEMD_HOWTO },
  { command: "systemctl list-unit-files", source: SYSTEMD_HOWTO },
  { command: "systemctl list-timers", source: SYSTEMD_HOWTO },
  { command: "systemctl is-system-running", source: SYSTEMD_HOWTO },
  { command: "journalctl -u nginx -u php-fpm", source: SYSTEMD_HOWTO },
  { command: 'journalctl --since "1 hour ago"', source: SYSTEMD_HOWTO },
  { command: "journalctl -k -b", source: SYSTEMD_HOWTO },
  { command: "journalctl -o short-iso", source: SYSTEMD_HOWTO },
  { command: "ps -p 1 -o comm=", source: SYSTEMD_CHECK },

  // A general troubleshooting workflow: status, logs, network, DNS, time, files.
  { command: "systemctl status sshd", source: TROUBLESHOOTING },
  { command: "journalctl -u sshd -n 50", source: TROUBLESHOOTING },
  { command: "journalctl -u sshd --since today", source: TROUBLESHOOTING },
  { command: "ss -tulpn", source: TROUBLESHOOTING },
  { command: "ip a", source: TROUBLESHOOTING },
  { command: "ip r", source: TROUBLESHOOTING },
  { command: "dig example.com", source: TROUBLESHOOTING },
  { command: "host example.com", source: TROUBLESHOOTING },
  { command: "nslookup example.com", source: TROUBLESHOOTING },
  { command: "chronyc tracking", source: TROUBLESHOOTING },
  { command: "timedatectl", source: TROUBLESHOOTING },
  { command: "ls -l /etc/nginx/nginx.conf", source: TROUBLESHOOTING },
  { command: "namei -l /etc/nginx/nginx.conf", source: TROUBLESHOOTING },

  // Time sync (chrony).
  { command: "chronyc sources", source: CHRONY_FEDORA },
  { command: "chronyc sourcestats", source: CHRONY_FEDORA },
  { command: "systemctl status chronyd", source: CHRONY_FEDORA },
  { command: "chronyc sources -v", source: CHRONY_SOURCES },

  // Network interfaces.
  { command: "ip -s link show", source: NET_MONITORING },
  { command: "ip -c addr", source: NET_MONITORING },
  { command: "ip route get 8.8.8.8", source: NET_MONITORING },
  { command: "ethtool eth0 | grep -E 'Speed|Duplex|Link detected|Auto-negotiation'", source: NET_MONITORING },
  { command: "ethtool -i eth0", source: NET_MONITORING },
  { command: "ethtool -S eth0 | grep -i error", source: NET_MONITORING },
  { command: "ls /sys/class/net/eth0/statistics/", source: NET_MONITORING },
  { command: "cat /sys/class/net/eth0/statistics/rx_errors", source: NET_MONITORING },
  { command: "cat /sys/class/net/eth0/statistics/tx_dropped", source: NET_MONITORING },
  { command: "cat /sys/class/net/eth0/statistics/rx_crc_errors", source: NET_MONITORING },
  { command: "ip -j link show eth0 | jq", source: NET_MONITORING, refusedBecause: "jq is a programming language (it can read files and the environment); ip -j -p link show eth0 pretty-prints the same JSON" },
  { command: "ifconfig -a", source: NET_USAGE },
  { command: "netstat -i", source: NET_USAGE },
  { command: "ip -s link", source: NET_STATS },
  { command: "ifconfig eth0", source: NET_STATS },

  // AWS Systems Manager agent.
  { command: "systemctl status amazon-ssm-agent", source: SSM },
  { command: "/opt/aws/amazon-ssm-agent/bin/amazon-ssm-agent -version", source: SSM, operatorRule: "ssm-agent-version" },
  { command: "top -b -n 1 | head -20", source: SSM },
  { command: "df -h / /var/lib/amazon/ssm", source: SSM },
  { command: "tail -100 /var/log/amazon/ssm/amazon-ssm-agent.log", source: SSM },
  { command: 'grep -i "heartbeat\\|error\\|failed to update" /var/log/amazon/ssm/amazon-ssm-agent.log | tail -50', source: SSM },

  // Kubernetes.
  { command: "kubectl describe pod helloworld-service-v1-119527584-jwfzh", source: K8S_WORKSHOP },
  { command: "kubectl describe service helloworld-service", source: K8S_WORKSHOP },
  { command: "kubectl top nodes", source: K8S_WORKSHOP },
  { command: "kubectl top pods", source: K8S_WORKSHOP },
  { command: "kubectl logs guestbook-ui-1872113123-1lw81 -c guestbook-ui", source: K8S_WORKSHOP },
  { command: "kubectl get events --sort-by=.metadata.creationTimestamp", source: K8S_DEBUG_NOTES },
  { command: "kubectl logs -n monitoring prometheus-prometheus-operator-prometheus-0 --all-containers", source: K8S_DEBUG_NOTES },
  { command: "kubectl config current-context", source: K8S_CHEATSHEET },
  { command: "kubectl config get-contexts", source: K8S_CHEATSHEET },
  { command: "kubectl get ns", source: K8S_CHEATSHEET },
  { command: "kubectl get pods -o wide", source: K8S_CHEATSHEET },
  { command: "kubectl get events", source: K8S_EVENTS },
  { command: "kubectl get events -n production", source: K8S_EVENTS },
  { command: "kubectl get pods -A | grep kurtosis | grep -v Running", source: K8S_PODS },
  { command: "kubectl describe pod kurtosis-engine-0 -n kurtosis | tail -30", source: K8S_PODS },

  // cgroup v2: which service or container the load belongs to.
  { command: "stat -fc %T /sys/fs/cgroup", source: CGROUP_AUDIT },
  { command: "mount | grep cgroup", source: CGROUP_AUDIT },
  { command: "ls /sys/fs/cgroup/", source: CGROUP_AUDIT },
  { command: "systemd-cgls", source: CGROUP_AUDIT },
  { command: "systemd-cgls /system.slice/postgresql.service", source: CGROUP_AUDIT },
  { command: "systemd-cgtop", source: CGROUP_AUDIT },
  { command: "systemctl status postgresql", source: CGROUP_AUDIT },
  { command: "cat /sys/fs/cgroup/system.slice/postgresql.service/memory.current", source: CGROUP_AUDIT },
  { command: "cat /sys/fs/cgroup/system.slice/postgresql.service/memory.peak", source: CGROUP_AUDIT },
];

/** The operator rules the vendor agents' status commands above need (exact path, exact arguments). */
export const runbookOperatorPolicy = {
  version: 1 as const,
  rules: [
    { id: "ssm-agent-version", program: "/opt/aws/amazon-ssm-agent/bin/amazon-ssm-agent", args: ["-version"], risk: "read-only" as const, effect: "allow" as const },
  ],
};
