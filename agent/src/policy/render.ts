// Renders a checked Program back into one POSIX shell line, for transports that must go through a
// remote shell (SSH): every argument single-quoted, only |, ;, &&, ||, >/dev/null, 2>/dev/null and
// 2>&1 as syntax, so the remote shell runs exactly the argv the policy checked.

import type { Program, Stage } from "./types";

/** POSIX single-quotes one argument: `it's` → `'it'\''s'`. */
export function quoteArg(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** POSIX single-quotes each argument and joins them with spaces. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}

function renderStage(stage: Stage): string {
  let out = quoteArgv(stage.argv);
  // Order matters: "2>&1 >/dev/null" sends stderr where stdout went before stdout was discarded.
  if (stage.stderrToStdout) {
    out += " 2>&1";
  }
  if (stage.stdoutToNull) {
    out += " >/dev/null";
  }
  if (stage.stderrToNull && !stage.stderrToStdout) {
    out += " 2>/dev/null";
  }
  return out;
}

/** The whole Program as a shell line that parses back to the same Program. */
export function renderProgram(program: Program): string {
  return program.steps
    .map((step) => {
      const pipeline = step.pipeline.stages.map(renderStage).join(" | ");
      return step.op === null ? pipeline : `${step.op} ${pipeline}`;
    })
    .join(" ");
}
