// Parsers for the host's clock and name resolution: timedatectl, chronyc tracking,
// /etc/resolv.conf, /etc/nsswitch.conf's hosts line, getent ahosts; and the journal's boot list.
import { lines, num } from "./common";

export interface ClockStatus {
  synchronized: boolean | null;
  /** "active" / "inactive" / "n/a" as timedatectl prints it. */
  ntpService: string | null;
  lines: string[];
}

export function parseTimedatectl(text: string): ClockStatus | null {
  const all = lines(text);
  const sync = all.find((l) => /(System clock synchronized|NTP synchronized):/i.test(l));
  const ntp = all.find((l) => /(NTP service|Network time on|systemd-timesyncd\.service active):/i.test(l));
  if (!sync && !ntp) {
    return null;
  }
  const value = (line: string | undefined): string | null => (line ? line.slice(line.indexOf(":") + 1).trim().toLowerCase() : null);
  const synced = value(sync);
  const service = value(ntp);
  return {
    synchronized: synced === null ? null : synced === "yes",
    ntpService: service === "yes" ? "active" : service === "no" ? "inactive" : service,
    lines: [sync, ntp].filter((l): l is string => l !== undefined),
  };
}

export interface ChronyTracking {
  /** Seconds the system clock is off (positive: fast). */
  offsetSec: number | null;
  leapStatus: string | null;
  lines: string[];
}

export function parseChronyTracking(text: string): ChronyTracking | null {
  const all = lines(text);
  const system = all.find((l) => /^System time\s*:/.test(l));
  const leap = all.find((l) => /^Leap status\s*:/.test(l));
  if (!system && !leap) {
    return null;
  }
  const m = system ? /:\s*([\d.]+)\s+seconds\s+(fast|slow)/.exec(system) : null;
  const offset = m ? (num(m[1]) ?? 0) * (m[2] === "slow" ? -1 : 1) : null;
  return { offsetSec: offset, leapStatus: leap ? leap.slice(leap.indexOf(":") + 1).trim() : null, lines: [system, leap].filter((l): l is string => l !== undefined) };
}

export interface ResolverConfig {
  nameservers: { address: string; line: string }[];
  lines: string[];
}

export function parseResolvConf(text: string): ResolverConfig {
  const all = lines(text).filter((l) => !/^\s*[#;]/.test(l));
  const nameservers = all
    .map((line) => ({ m: /^\s*nameserver\s+(\S+)/.exec(line), line }))
    .filter((x) => x.m)
    .map((x) => ({ address: x.m![1], line: x.line }));
  return { nameservers, lines: all };
}

export interface Lookup {
  name: string;
  addresses: string[];
  lines: string[];
  /** The command hit its time limit: the resolver never answered. */
  timedOut?: boolean;
}

/** `getent ahosts NAME`: address lines; none (exit 2) when the name does not resolve. */
export function parseGetent(text: string, name: string): Lookup {
  const all = lines(text);
  const addresses = [...new Set(all.map((l) => /^(\S+)\s/.exec(l)?.[1]).filter((a): a is string => a !== undefined))];
  return { name, addresses, lines: all.slice(0, 3) };
}

export interface Boot {
  /** 0 is the current boot, -1 the one before. */
  offset: number;
  first: string;
  last: string;
  line: string;
}

/** `journalctl --list-boots`: "-1 ab12… Mon 2024-06-10 08:00:01 UTC—Mon 2024-06-10 20:01:02 UTC". */
export function parseBoots(text: string): Boot[] {
  const boots: Boot[] = [];
  for (const line of lines(text)) {
    const m = /^\s*(-?\d+)\s+(?:[0-9a-f]{32}\s+)?(.+?)\s*(?:—|–|-{1,2})\s*(\w{3} \d{4}-\d{2}-\d{2} .+)$/.exec(line);
    if (m) {
      boots.push({ offset: Number(m[1]), first: m[2].trim(), last: m[3].trim(), line });
    }
  }
  return boots;
}
