// Parsers for disk tools: df (space and inodes), du, find -printf '%s %p', lsof +L1, iostat -x.
import { lines, num, sizeToBytes } from "./common";

export interface MountUsage {
  filesystem: string;
  /** Size as printed (df -h: "16M"); inodes: the count. */
  size: string;
  used: string;
  avail: string;
  /** Use% or IUse%; null when the filesystem reports "-" (no inode limit). */
  usePercent: number | null;
  mountedOn: string;
  line: string;
}

/**
 * `df -hP`, `df -iP`, plain `df`: 6 columns, the mount point taking the rest of the line. Without
 * -P, a long device name sits alone on its line and the numbers wrap to the next one.
 */
export function parseDf(text: string): MountUsage[] {
  const all = lines(text);
  const headerIndex = all.findIndex((l) => /^Filesystem\s/i.test(l));
  if (headerIndex < 0) {
    return [];
  }
  const mounts: MountUsage[] = [];
  let pending: string | null = null;
  for (const raw of all.slice(headerIndex + 1)) {
    const parts = raw.trim().split(/\s+/);
    if (parts.length === 1 && pending === null) {
      pending = raw;
      continue;
    }
    const line = pending === null ? raw : `${pending.trim()} ${raw.trim()}`;
    const cells = pending === null ? parts : [pending.trim(), ...parts];
    pending = null;
    if (cells.length < 6) {
      continue;
    }
    const percent = cells[4] ?? "";
    if (!/^(\d+%|-)$/.test(percent)) {
      continue;
    }
    mounts.push({
      filesystem: cells[0],
      size: cells[1],
      used: cells[2],
      avail: cells[3],
      usePercent: percent === "-" ? null : num(percent),
      mountedOn: cells.slice(5).join(" "),
      line,
    });
  }
  return mounts;
}

/** Filesystems that are full by design or not worth an alarm (snaps, ISO images, pseudo fs). */
export function isNoiseMount(mount: MountUsage): boolean {
  return (
    /^\/snap\//.test(mount.mountedOn) ||
    /^\/dev\/loop\d+/.test(mount.filesystem) ||
    /^(proc|sysfs|devtmpfs|udev|overlay_?ro|squashfs|efivarfs|cgroup2?|none)$/.test(mount.filesystem) ||
    /^\/(proc|sys|dev)(\/|$)/.test(mount.mountedOn)
  );
}

/** The mount holding `path`: the longest mount point that is a prefix of it. */
export function mountFor(mounts: MountUsage[], path: string): MountUsage | null {
  let best: MountUsage | null = null;
  for (const m of mounts) {
    const mp = m.mountedOn;
    const contains = mp === "/" || path === mp || path.startsWith(mp.endsWith("/") ? mp : `${mp}/`);
    if (contains && (!best || mp.length > best.mountedOn.length)) {
      best = m;
    }
  }
  return best;
}

export interface SizedPath {
  bytes: number;
  /** As printed ("16M", "16208363"). */
  size: string;
  path: string;
  line: string;
}

/** `du -h` / `du -k` lines: "16M<TAB>/path". Plain numbers are KiB (du's default). */
export function parseDu(text: string): SizedPath[] {
  const entries: SizedPath[] = [];
  for (const line of lines(text)) {
    const m = /^\s*([\d.,]+[KMGTPE]?)\s+(\/.*)$/i.exec(line);
    const bytes = m ? sizeToBytes(m[1], 1024) : null;
    if (m && bytes !== null) {
      entries.push({ bytes, size: m[1], path: (m[2]).trimEnd(), line });
    }
  }
  return entries;
}

/** `du --inodes` lines: "1048576<TAB>/path" (a count of files and directories, not a size). */
export function parseDuCounts(text: string): SizedPath[] {
  const entries: SizedPath[] = [];
  for (const line of lines(text)) {
    const m = /^\s*(\d+)\s+(\/.*)$/.exec(line);
    if (m) {
      entries.push({ bytes: Number(m[1]), size: m[1], path: m[2].trimEnd(), line });
    }
  }
  return entries;
}

/** `find … -printf '%s %p\n'` lines: size in bytes, then the path. */
export function parseFindSizes(text: string): SizedPath[] {
  const entries: SizedPath[] = [];
  for (const line of lines(text)) {
    const m = /^\s*(\d+)\s+(\/.*)$/.exec(line);
    if (m) {
      entries.push({ bytes: Number(m[1]), size: m[1], path: (m[2]).trimEnd(), line });
    }
  }
  return entries;
}

export interface DeletedOpenFile {
  command: string;
  pid: number;
  user: string;
  sizeBytes: number | null;
  name: string;
  line: string;
}

/** `lsof -nP +L1`: regular files with no links left (deleted) that a process still holds open. */
export function parseLsofDeleted(text: string): DeletedOpenFile[] {
  const all = lines(text);
  const headerIndex = all.findIndex((l) => /^COMMAND\s+PID\s/.test(l));
  if (headerIndex < 0) {
    return [];
  }
  const names = (all[headerIndex]).trim().split(/\s+/);
  const sizeAt = names.findIndex((n) => /^SIZE/.test(n));
  const typeAt = names.indexOf("TYPE");
  const files: DeletedOpenFile[] = [];
  for (const line of all.slice(headerIndex + 1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < names.length || !/^\d+$/.test(parts[1] ?? "")) {
      continue;
    }
    const name = parts.slice(names.length - 1).join(" ");
    // memfd: files are anonymous memory, not disk space.
    if ((typeAt >= 0 && parts[typeAt] !== "REG") || name.startsWith("/memfd:")) {
      continue;
    }
    const size = sizeAt >= 0 ? parts[sizeAt] : undefined;
    files.push({
      command: parts[0],
      pid: Number(parts[1]),
      user: parts[2],
      sizeBytes: size && /^\d+$/.test(size) ? Number(size) : null,
      name,
      line,
    });
  }
  return files;
}

export interface DeviceLoad {
  device: string;
  utilPercent: number | null;
  readAwaitMs: number | null;
  writeAwaitMs: number | null;
  queue: number | null;
  line: string;
  header: string;
}

/** `iostat -dx`: the last report (with -y there is no since-boot report). */
export function parseIostat(text: string): DeviceLoad[] {
  const all = lines(text);
  const headerIndexes = all.map((l, i) => (/^Device\b/.test(l) ? i : -1)).filter((i) => i >= 0);
  if (headerIndexes.length === 0) {
    return [];
  }
  const headerIndex = headerIndexes[headerIndexes.length - 1];
  const header = all[headerIndex];
  const names = header.trim().replace(/:$/, "").split(/\s+/);
  const at = (name: string): number => names.indexOf(name);
  const devices: DeviceLoad[] = [];
  for (const line of all.slice(headerIndex + 1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== names.length) {
      break;
    }
    const get = (...candidates: string[]): number | null => {
      for (const c of candidates) {
        if (at(c) >= 0) {
          return num(parts[at(c)]);
        }
      }
      return null;
    };
    devices.push({
      device: parts[0],
      utilPercent: get("%util"),
      readAwaitMs: get("r_await", "await"),
      writeAwaitMs: get("w_await", "await"),
      queue: get("aqu-sz", "avgqu-sz"),
      line,
      header,
    });
  }
  return devices;
}
