// ps: every listing is read-only, but the BSD "e" option (ps auxe, ps eww) and the `environ` output
// field (ps -o pid,environ) print each process's environment, which holds secrets. Also applied to
// the ps options of `docker top`.

import { argumentRefusal } from "../options";

export function checkPs(args: readonly string[]): void {
  // BSD-style "e" (ps auxe, ps eww) prints every process's environment, which holds secrets.
  const valueOptions = new Set(["-o", "-O", "--format", "-p", "--pid", "--ppid", "-u", "-U", "--user", "-g", "-G", "--group", "-C", "-t", "--tty", "--sort", "-q", "-s", "--sid"]);
  let previous = "";
  for (const arg of args) {
    // procps names the field "environ" (header ENVIRONMENT); some versions print it without "e".
    if (/environ/i.test(arg)) {
      throw argumentRefusal("option:environ", `ps ${arg}: the environ field prints each process's environment, which holds secrets`);
    }
    // "-eo user,pid" / "axo user": a cluster ending in a value-taking letter takes the next argument.
    const previousTakesValue = valueOptions.has(previous) || (/^-?[A-Za-z]+$/.test(previous) && /[oOkpuUtqgGCs]$/.test(previous));
    if (!previousTakesValue && /^[A-Za-z]+$/.test(arg) && arg.includes("e")) {
      throw argumentRefusal("option:e", `ps ${arg}: the BSD "e" option prints each process's environment, which holds secrets`);
    }
    previous = arg;
  }
}
