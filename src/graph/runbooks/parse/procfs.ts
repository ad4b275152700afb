// Parsers for procfs reads: `grep -H . FILE…` (uptime, loadavg, pid and thread limits, file-nr,
// pressure stall information) and the per-process open-file counts of `find /proc … | uniq -c`.
import { lines, num } from "./common";

/** The lines of each file, as `grep -H .` prints them ("/proc/loadavg:0.52 0.58 0.59 2/345 1234"). */
export function parseProcFiles(text: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const line of lines(text)) {
    const m = /^(\/proc\/[A-Za-z0-9_./-]+):(.*)$/.exec(line);
    if (m) {
      files.set(m[1], [...(files.get(m[1]) ?? []), line]);
    }
  }
  return files;
}

/** The value part of a `grep -H` line. */
function valueOf(line: string | undefined): string {
  return line ? line.slice(line.indexOf(":") + 1).trim() : "";
}

export interface KernelFigures {
  uptimeSec: { value: number; line: string } | null;
  load: { one: number; five: number; fifteen: number; running: number; tasks: number; line: string } | null;
  pidMax: { value: number; line: string } | null;
  threadsMax: { value: number; line: string } | null;
  /** Allocated file handles and the system-wide maximum (fs.file-nr). */
  fileHandles: { allocated: number; max: number; line: string } | null;
  /** Pressure stall information per resource; absent when the kernel has no PSI. */
  pressure: Partial<Record<"cpu" | "memory" | "io", Pressure>>;
}

export interface Pressure {
  /** % of time some task waited on the resource, over 10 s / 60 s / 300 s. */
  some: { avg10: number; avg60: number; avg300: number; line: string } | null;
  /** % of time all non-idle tasks waited at once. */
  full: { avg10: number; avg60: number; avg300: number; line: string } | null;
}

export function kernelFigures(files: Map<string, string[]>): KernelFigures {
  const first = (path: string): string | undefined => files.get(path)?.[0];
  const single = (path: string): { value: number; line: string } | null => {
    const line = first(path);
    const value = num(valueOf(line).split(/\s+/)[0]);
    return line && value !== null ? { value, line } : null;
  };
  let load: KernelFigures["load"] = null;
  const loadLine = first("/proc/loadavg");
  const lm = /^([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\/(\d+)/.exec(valueOf(loadLine));
  if (loadLine && lm) {
    load = { one: Number(lm[1]), five: Number(lm[2]), fifteen: Number(lm[3]), running: Number(lm[4]), tasks: Number(lm[5]), line: loadLine };
  }
  let fileHandles: KernelFigures["fileHandles"] = null;
  const nrLine = first("/proc/sys/fs/file-nr");
  const nr = valueOf(nrLine).split(/\s+/).map(Number);
  if (nrLine && nr.length >= 3 && nr.every(Number.isFinite)) {
    fileHandles = { allocated: nr[0] - nr[1], max: nr[2], line: nrLine };
  }
  const pressure: KernelFigures["pressure"] = {};
  for (const kind of ["cpu", "memory", "io"] as const) {
    const found = files.get(`/proc/pressure/${kind}`);
    if (!found) {
      continue;
    }
    const read = (which: "some" | "full"): Pressure["some"] => {
      const line = found.find((l) => valueOf(l).startsWith(which));
      const m = /avg10=([\d.]+)\s+avg60=([\d.]+)\s+avg300=([\d.]+)/.exec(line ?? "");
      return line && m ? { avg10: Number(m[1]), avg60: Number(m[2]), avg300: Number(m[3]), line } : null;
    };
    pressure[kind] = { some: read("some"), full: read("full") };
  }
  return {
    uptimeSec: single("/proc/uptime"),
    load,
    pidMax: single("/proc/sys/kernel/pid_max"),
    threadsMax: single("/proc/sys/kernel/threads-max"),
    fileHandles,
    pressure,
  };
}

export interface OpenFileCount {
  pid: number;
  count: number;
  line: string;
}

/** `uniq -c` over `/proc/PID/fd` directories: "   5012 /proc/4242/fd". */
export function parseOpenFileCounts(text: string): OpenFileCount[] {
  const counts: OpenFileCount[] = [];
  for (const line of lines(text)) {
    const m = /^\s*(\d+)\s+\/proc\/(\d+)\/fd\/?\s*$/.exec(line);
    if (m) {
      counts.push({ pid: Number(m[2]), count: Number(m[1]), line });
    }
  }
  return counts.sort((a, b) => b.count - a.count);
}
