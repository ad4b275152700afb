// What a program's rule is made of: the options it may be given (everything else is refused), the
// checks beyond them (subcommands, operands, values), which arguments name files, and how a command
// that would otherwise sample forever (`vmstat 1`, `top`) is bounded to the sampling window.

import { argumentRefusal, options, parseOptions, type OptionSpec, type ParsedArgs } from "../options";

/** Settings a rule may depend on. */
export interface RuleContext {
  /** How long an interval command without a count samples, in seconds. */
  sampleSeconds: number;
}

/**
 * Words the policy adds to a command's arguments, at index `at`: the count that bounds a sampling
 * command (`vmstat 1` → `vmstat 1 6`, which stops by itself and prints its summary after about
 * `sampleSeconds`), or batch mode for a program that would be interactive (`top` → `top -b …`).
 */
export interface ArgvRewrite {
  at: number;
  words: string[];
  /** Set when the rewrite bounds a sampling command: how long it samples. */
  sampleSeconds?: number;
  /** What the words do, said in the decision instead of the whole line (a long list of exclusions). */
  summary?: string;
}

export interface ProgramRule {
  /** What the program is for, shown in decisions ("disk usage"). */
  what: string;
  /**
   * The options the program may be given; any other is refused. null: the program has its own
   * grammar (subcommands, expressions) that `check` reads with an allowlist of its own.
   */
  options: OptionSpec | null;
  /** What else is restricted and why, in one line (docs/policy.md lists it). */
  note?: string;
  /** Throws ArgumentRefusal for forms the option reader cannot read but must name (`tail -20f`); runs first. */
  before?: (args: readonly string[]) => void;
  /** Throws ArgumentRefusal when the arguments are not allowed; may add words (sampling, batch mode). */
  check?: (args: readonly string[], parsed: ParsedArgs, ctx: RuleContext) => ArgvRewrite | void;
  /** The arguments that name files to read; default: all of them. */
  paths?: (args: readonly string[], parsed: ParsedArgs) => string[];
  /** Lists or stats files without reading their contents: device paths are fine. */
  metadataOnly?: boolean;
}

export function deny(what: string, reason: string): never {
  throw argumentRefusal(what, reason);
}

/** Reads `args` the way the rule does: with its options, or all as operands of its own grammar. */
export function readArgs(rule: ProgramRule, args: readonly string[]): ParsedArgs {
  rule.before?.(args);
  return rule.options ? parseOptions(args, rule.options) : { options: [], operands: [...args], operandIndex: args.map((_, k) => k), endOfOptions: null };
}

type RuleExtras = Omit<ProgramRule, "what" | "options">;

function spec(synopsis: string | OptionSpec): OptionSpec {
  return typeof synopsis === "string" ? options(synopsis) : synopsis;
}

/** A program whose operands are files to read (checked for secrets), with the options in `synopsis`. */
export function reader(what: string, synopsis: string | OptionSpec, extras: RuleExtras = {}): ProgramRule {
  return { what, options: spec(synopsis), ...extras };
}

/** A program that lists or stats files without reading their contents (device paths are fine). */
export function lister(what: string, synopsis: string | OptionSpec, extras: RuleExtras = {}): ProgramRule {
  return { what, options: spec(synopsis), metadataOnly: true, ...extras };
}

/** A program whose operands are not files (names, numbers, text): nothing to check for secrets. */
export function printer(what: string, synopsis: string | OptionSpec, extras: RuleExtras = {}): ProgramRule {
  return { what, options: spec(synopsis), paths: () => [], ...extras };
}

/** A program that takes any arguments and opens no file (echo): nothing to check. */
export function anything(what: string, note: string): ProgramRule {
  return { what, options: null, paths: () => [], note };
}

/** A program with its own grammar, read by `check` against allowlists of its own. */
export function grammar(what: string, check: NonNullable<ProgramRule["check"]>, extras: RuleExtras = {}): ProgramRule {
  return { what, options: null, check, ...extras };
}

/** Refuses any operand: the program takes options only (an operand would set something). `{}` is the operand. */
export function noOperands(why: string) {
  return (_args: readonly string[], parsed: ParsedArgs): void => {
    if (parsed.operands.length > 0) {
      deny("operand", why.replace("{}", parsed.operands[0]));
    }
  };
}

/** The first operand must be one of `allowed` (read-only subcommands); `fallback` when absent. */
export function subcommand(program: string, allowed: readonly string[], parsed: ParsedArgs, fallback?: string): string {
  const sub = parsed.operands[0] ?? fallback;
  if (sub === undefined || !allowed.includes(sub)) {
    deny(`subcommand:${sub ?? ""}`, `${program} ${sub ?? "without a subcommand"} is not allowed; read-only subcommands: ${allowed.join(", ")}`);
  }
  return sub;
}

// ---- sampling ----------------------------------------------------------------------------------

const WHOLE = /^[0-9]+$/;

/**
 * The longest a command may ask to run by its own count (`vmstat 1 300`): the agent's default
 * longest timeout. A longer run would be stopped at its timeout with its summary lost, and a count
 * such as `top -n 100000` only holds a request (and a runner slot) for hours.
 */
export const MAX_COUNTED_SECONDS = 300;

/** Refuses a run of `seconds` (interval × reports) longer than MAX_COUNTED_SECONDS, saying what would do. */
export function boundedCount(program: string, seconds: number, hint: string): void {
  if (seconds > MAX_COUNTED_SECONDS) {
    const span = seconds >= 7200 ? `${Math.round(seconds / 3600)} h` : seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
    deny("long-count", `${program} would run for about ${span}, longer than the ${MAX_COUNTED_SECONDS} s a command may ask for (it would be stopped at its timeout, its summary lost); ${hint}`);
  }
}

/** A count option's value as a whole number, or a refusal. */
export function countOf(program: string, option: string, value: string | undefined): number {
  if (value === undefined || !WHOLE.test(value)) {
    deny("long-count", `cannot verify ${program}'s count ${option} "${value ?? ""}"; give a whole number`);
  }
  return Number(value);
}

/**
 * How many reports of `interval` seconds fill the sampling window, or a refusal when one interval
 * is already longer. `PROGRAM … INTERVAL` repeats forever; `PROGRAM … INTERVAL COUNT` stops.
 */
export function reportsInWindow(program: string, interval: number, ctx: RuleContext, countHint: string): number {
  if (interval > ctx.sampleSeconds) {
    deny("interval-without-count", `${program} repeats every ${interval} s forever, longer than the ${ctx.sampleSeconds} s sampling window; give a count (${countHint})`);
  }
  return Math.max(1, Math.floor(ctx.sampleSeconds / interval));
}

/**
 * `PROGRAM [options] [interval [count]]` (vmstat, iostat, mpstat, pidstat, sar): an interval
 * without a count gets the count that fills the sampling window. `firstReportAtStart`: the first
 * report comes at once (averages since boot) rather than after one interval.
 */
export function intervalCount(program: string, parsed: ParsedArgs, ctx: RuleContext, firstReportAtStart: boolean): ArgvRewrite | void {
  // Other operands (iostat devices, sar keywords) are never all digits.
  const numbers = parsed.operands.filter((o) => WHOLE.test(o));
  if (numbers.length === 2 && Number(numbers[1]) === 0) {
    deny("interval-without-count", `${program} with a count of 0 may repeat forever; give a count of at least 1`);
  }
  if (numbers.length === 2) {
    const [interval, count] = numbers.map(Number);
    boundedCount(program, interval * (count - (firstReportAtStart ? 1 : 0)), `give a smaller count (${program} ${interval} ${Math.max(1, Math.floor(MAX_COUNTED_SECONDS / Math.max(1, interval)))}), or none to sample for ${ctx.sampleSeconds} s`);
  }
  if (numbers.length !== 1 || Number(numbers[0]) === 0) {
    return;
  }
  const interval = Number(numbers[0]);
  const reports = reportsInWindow(program, interval, ctx, `${program} ${interval} 2`);
  const at = parsed.operandIndex[parsed.operands.indexOf(numbers[0])] + 1;
  return { at, words: [String(reports + (firstReportAtStart ? 1 : 0))], sampleSeconds: reports * interval };
}
