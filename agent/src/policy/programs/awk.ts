// awk programs: awk is a full language, so only programs that can neither run commands, read
// other files, nor write files pass. The check errs on the side of refusing: it does not try to
// tell strings and regexes from code, so a "|" inside a regex refuses the program too.

import { argumentRefusal, options, type ParsedArgs } from "../options";

/** Words that run commands, read files or the environment, or load code. */
// ARGV/ARGC: the program could name the files it reads itself, past the path check.
const FORBIDDEN_WORDS = /\b(system|getline|ENVIRON|PROCINFO|ARGV|ARGC)\b|@/;

export function checkAwkProgram(program: string): void {
  const word = FORBIDDEN_WORDS.exec(program);
  if (word) {
    const what = word[0] === "@" ? "@ directives (@load, @include)" : `"${word[1] ?? word[0]}"`;
    throw argumentRefusal("program", `awk program uses ${what}, which can run commands, read other files or the environment`);
  }
  // A single "|" pipes to or from a command ("||" is logical or).
  const withoutOr = program.replace(/\|\|/g, "");
  if (withoutOr.includes("|")) {
    throw argumentRefusal("program", 'awk program contains "|" (a pipe to or from a command); use grep -E for alternatives');
  }
  // ">" after print/printf in the same program is an output redirection to a file; before any
  // print it can only be a comparison in a pattern or condition.
  const printAt = program.search(/\bprintf?\b/);
  if (printAt >= 0 && program.slice(printAt).includes(">")) {
    throw argumentRefusal(
      "program",
      'awk program has ">" after print, which may write a file; compare in the pattern instead (awk \'$3 > 80 {print $1}\')',
    );
  }
}

/** awk, gawk, mawk, nawk: -F and -v only (no -f program files, no gawk -e/-i/-l/-E); options end at the program text. */
export const AWK_OPTIONS = options("-F|--field-separator= -v|--assign=", { stopAtOperand: true });

/** The first operand is the program text; the others are files (gawk opens /inet/… names as network connections). */
export function checkAwk(_args: readonly string[], parsed: ParsedArgs): void {
  const [program, ...files] = parsed.operands;
  if (program === undefined) {
    throw argumentRefusal("program", "awk without a program text");
  }
  checkAwkProgram(program);
  const network = files.find((f) => /^\/inet[46]?\//.test(f));
  if (network !== undefined) {
    throw argumentRefusal("operand", `awk ${network}: gawk opens /inet/… names as network connections`);
  }
}
