// Renders a checked Program back into one POSIX shell line, for transports that must go through a
// remote shell (SSH): every argument single-quoted, only |, ;, &&, ||, >/dev/null, 2>/dev/null and
// 2>&1 as syntax, so the remote shell runs exactly the argv the policy checked. Also the same
// line quoted only where needed, for people to read (what ran, after expansion and sampling bounds).

import type { GlobWord, Program, Stage } from "./types";

/** POSIX single-quotes one argument: `it's` → `'it'\''s'`. */
export function quoteArg(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** POSIX single-quotes each argument and joins them with spaces. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}

/** Quotes an argument only when a shell would read it differently (for display). */
function displayArg(arg: string): string {
  return /^[A-Za-z0-9_\-./:=,+%@]+$/.test(arg) ? arg : quoteArg(arg);
}

/** argv as a person would type it: quoted only where needed. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map(displayArg).join(" ");
}

/**
 * A glob word as the pattern it is: unescaped characters bare, escaped ones (what was quoted)
 * single-quoted, so the line parses back to the same glob word.
 */
function renderPattern(glob: GlobWord): string {
  let out = "";
  let quoted = "";
  const flush = (): void => {
    if (quoted.length > 0) {
      out += quoteArg(quoted);
      quoted = "";
    }
  };
  for (let k = 0; k < glob.pattern.length; k++) {
    const c = glob.pattern[k];
    if (c === "\\" && k + 1 < glob.pattern.length) {
      quoted += glob.pattern[++k];
    } else {
      // Unescaped characters were written bare (or are letters, digits and "/"): safe bare.
      flush();
      out += c;
    }
  }
  flush();
  return out;
}

function renderStage(stage: Stage, quote: (arg: string) => string): string {
  let out = stage.argv.map((arg, k) => {
    const glob = stage.globs?.find((g) => g.index === k);
    return glob ? renderPattern(glob) : quote(arg);
  }).join(" ");
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

function renderWith(program: Program, quote: (arg: string) => string): string {
  return program.steps
    .map((step) => {
      const pipeline = step.pipeline.stages.map((stage) => renderStage(stage, quote)).join(" | ");
      return step.op === null ? pipeline : `${step.op} ${pipeline}`;
    })
    .join(" ");
}

/** The whole Program as a shell line that parses back to the same Program (glob words stay patterns). */
export function renderProgram(program: Program): string {
  return renderWith(program, quoteArg);
}

/** The whole Program for people to read: quoted only where needed. */
export function displayProgram(program: Program): string {
  return renderWith(program, displayArg);
}
