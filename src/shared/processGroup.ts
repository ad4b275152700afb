// Stopping a whole process group: what a command started with `detached: true` (its own group)
// leaves behind when only its leader is killed — pipelines, shells' children, test workers.

/** Sends `signal` to the process group led by `pid`; nothing when there is none or it is gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
