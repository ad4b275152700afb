// A getopt_long-style reader of a program's arguments, so rules see options the way the program
// will: clustered short flags (`-tulpn`), attached and separate values (`-n5`, `-n 5`), `--opt=v`,
// GNU abbreviations of long options (`--fol` is `--follow`), options after operands, and `--`.
// Every program in the profile declares the options it accepts (`options("-a -n= --lines=")`);
// anything else is refused, and options known to be dangerous are refused with their reason.

export class ArgumentRefusal extends Error {
  constructor(
    /** Rule id suffix, e.g. `option:-f`; the caller prefixes the program. */
    readonly what: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Builds the refusal without capturing a stack trace: refusals are ordinary results of a check
 * (thousands per second in the agent), and stack capture would dominate their cost.
 */
export function argumentRefusal(what: string, reason: string): ArgumentRefusal {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ArgumentRefusal(what, reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Reason suffix for options that never end (tail -f, journalctl -f …): read-only, but refused. */
export const FOLLOWS = "follows output forever (the command would only stop at its timeout)";

/** Refusals of read-only programs that stay read-only in effect (they run forever, are interactive, or read secrets). */
export function refusalRisk(refusal: ArgumentRefusal): "read-only" | "mutating" {
  return /^(interval-without-count|long-count|interactive|recursive|inspect-format|secrets|sensitive|directory|option:e)$/.test(refusal.what) || refusal.reason.endsWith(FOLLOWS) ? "read-only" : "mutating";
}

export interface OptionSpec {
  /** Short options that take a value, attached (`-n5`) or as the next argument (`-n 5`). */
  shortValue?: string;
  /** Short options whose value is optional and only ever attached (`-b`, `-b-1`). */
  shortOptional?: string;
  /** Short flags the program knows (needed only when `strict`). */
  shortFlags?: string;
  /** Long options that take a value (`--lines=5`, `--lines 5`). */
  longValue?: readonly string[];
  /** Long options whose value is optional and only ever attached (`--boot`, `--boot=-1`). */
  longOptional?: readonly string[];
  /** Long flags the program knows; also used to resolve abbreviations. */
  longFlags?: readonly string[];
  /**
   * Short options whose value is optional but may also be the next argument when it looks like
   * one (`journalctl -n 50`, `journalctl -n` alone): the next argument is taken only if it matches `peekValue`.
   */
  shortPeek?: string;
  /** Long options with the same behaviour (`--lines 50`). */
  longPeek?: readonly string[];
  /** What a peeked value looks like; default: an optionally signed integer. */
  peekValue?: RegExp;
  /** Per option (short letter or long name): what its peeked value looks like, instead of `peekValue`. */
  peekValues?: Readonly<Record<string, RegExp>>;
  /** Refuse options the spec does not know, instead of reading them as flags. */
  strict?: boolean;
  /** `-20` means a count (head, tail, grep context). */
  numericShort?: boolean;
  /** Options end at the first operand (POSIX order, as awk reads its command line). */
  stopAtOperand?: boolean;
  /** Long options are written with one dash (`-brief`, `-json`): `ip`. */
  singleDashLong?: boolean;
  /**
   * Options refused with their reason, by short letter or long name (`{ e: "pidstat -e runs any
   * program" }`). They take part in abbreviation matching, so `--kubec` is refused as `--kubeconfig`.
   */
  denied?: Readonly<Record<string, string>>;
}

type Kind = "value" | "optional" | "peek" | "flag" | "denied";

/** An OptionSpec as lookup tables, built once per spec. */
interface Compiled {
  short: Map<string, Kind>;
  long: Map<string, Kind>;
  /** All long names, for abbreviations. */
  longNames: string[];
}

const compiledSpecs = new WeakMap<OptionSpec, Compiled>();

function compile(spec: OptionSpec): Compiled {
  let compiled = compiledSpecs.get(spec);
  if (compiled) {
    return compiled;
  }
  const short = new Map<string, Kind>();
  const long = new Map<string, Kind>();
  const addShort = (letters: string | undefined, kind: Kind): void => {
    for (const letter of letters ?? "") {
      short.set(letter, kind);
    }
  };
  const addLong = (names: readonly string[] | undefined, kind: Kind): void => {
    for (const name of names ?? []) {
      long.set(name, kind);
    }
  };
  // Later kinds win: a denied option stays denied whatever else lists it.
  addShort(spec.shortFlags, "flag");
  addShort(spec.shortPeek, "peek");
  addShort(spec.shortOptional, "optional");
  addShort(spec.shortValue, "value");
  addLong(spec.longFlags, "flag");
  addLong(spec.longPeek, "peek");
  addLong(spec.longOptional, "optional");
  addLong(spec.longValue, "value");
  for (const name of Object.keys(spec.denied ?? {})) {
    (name.length === 1 ? short : long).set(name, "denied");
  }
  compiled = { short, long, longNames: [...long.keys()] };
  compiledSpecs.set(spec, compiled);
  return compiled;
}

/**
 * An OptionSpec (strict) from a synopsis: space-separated options, aliases joined by `|`, and a
 * suffix for values: `-a` a flag, `-n=` takes a value (`-n5`, `-n 5`), `-b=?` an optional attached
 * value, `-n=~` an optional value that may also be the next argument when it looks like one.
 * `options("-a|--all -n|--lines= --color=?")`.
 */
export function options(synopsis: string, extra: Omit<OptionSpec, "shortValue" | "shortOptional" | "shortFlags" | "longValue" | "longOptional" | "longFlags" | "shortPeek" | "longPeek"> = {}): OptionSpec {
  const spec: Required<Pick<OptionSpec, "shortValue" | "shortOptional" | "shortFlags" | "shortPeek">> & { longValue: string[]; longOptional: string[]; longFlags: string[]; longPeek: string[] } = {
    shortValue: "",
    shortOptional: "",
    shortFlags: "",
    shortPeek: "",
    longValue: [],
    longOptional: [],
    longFlags: [],
    longPeek: [],
  };
  for (const token of synopsis.split(/\s+/).filter((t) => t.length > 0)) {
    const match = /^(.*?)(=\?|=~|=)?$/.exec(token);
    const names = (match?.[1] ?? token).split("|");
    const suffix = match?.[2] ?? "";
    for (const name of names) {
      if (/^--[A-Za-z0-9][A-Za-z0-9-]*$/.test(name)) {
        const list = suffix === "=" ? spec.longValue : suffix === "=?" ? spec.longOptional : suffix === "=~" ? spec.longPeek : spec.longFlags;
        list.push(name.slice(2));
      } else if (/^-[A-Za-z0-9]$/.test(name)) {
        const letter = name[1];
        if (suffix === "=") {
          spec.shortValue += letter;
        } else if (suffix === "=?") {
          spec.shortOptional += letter;
        } else if (suffix === "=~") {
          spec.shortPeek += letter;
        } else {
          spec.shortFlags += letter;
        }
      } else {
        throw new Error(`bad option synopsis token ${JSON.stringify(token)}`);
      }
    }
  }
  return { ...spec, strict: true, ...extra };
}

export interface ParsedOption {
  /** Short letter (`f`), resolved long name (`follow`), or `#` for a numeric short (`-20`). */
  name: string;
  long: boolean;
  value: string | undefined;
  /** The argument(s) as written. */
  raw: string;
}

export interface ParsedArgs {
  options: ParsedOption[];
  operands: string[];
  /** Index in the arguments of each operand (same order as `operands`). */
  operandIndex: number[];
  /** Index of the `--` that ended the options, or null (words the policy adds go before it). */
  endOfOptions: number | null;
}

function resolveLong(name: string, compiled: Compiled): { name: string; kind: Kind } | null {
  const exact = compiled.long.get(name);
  if (exact) {
    return { name, kind: exact };
  }
  const candidates = compiled.longNames.filter((known) => known.startsWith(name));
  if (candidates.length === 1) {
    return { name: candidates[0], kind: compiled.long.get(candidates[0]) ?? "flag" };
  }
  if (candidates.length > 1) {
    throw argumentRefusal(`option:--${name}`, `cannot verify: "--${name}" abbreviates several options (${candidates.map((c) => `--${c}`).join(", ")})`);
  }
  return null;
}

function deniedOption(spec: OptionSpec, name: string, long: boolean): never {
  throw argumentRefusal(`option:${long ? "--" : "-"}${name}`, spec.denied?.[name] ?? `cannot verify option "${long ? "--" : "-"}${name}"`);
}

/** Reads `args` (the arguments after the program name) with the program's option grammar. */
export function parseOptions(args: readonly string[], spec: OptionSpec): ParsedArgs {
  const compiled = compile(spec);
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const operandIndex: number[] = [];
  const peekValue = spec.peekValue ?? /^[+-]?[0-9]+$/;
  let i = 0;
  let onlyOperands = false;
  let endOfOptions: number | null = null;
  while (i < args.length) {
    const arg = args[i];
    i++;
    if (onlyOperands || arg === "-" || !arg.startsWith("-") || arg.length === 1) {
      operands.push(arg);
      operandIndex.push(i - 1);
      if (spec.stopAtOperand) {
        onlyOperands = true;
      }
      continue;
    }
    if (arg === "--") {
      onlyOperands = true;
      endOfOptions = i - 1;
      continue;
    }
    if (arg.startsWith("--") || (spec.singleDashLong && /^-[a-z]{2,}/.test(arg))) {
      const body = arg.slice(arg.startsWith("--") ? 2 : 1);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const attached = eq >= 0 ? body.slice(eq + 1) : undefined;
      const known = resolveLong(name, compiled);
      if (!known) {
        if (spec.strict) {
          throw argumentRefusal(`option:--${name}`, `cannot verify option "--${name}"`);
        }
        options.push({ name, long: true, value: attached, raw: arg });
        continue;
      }
      if (known.kind === "denied") {
        deniedOption(spec, known.name, true);
      }
      if (known.kind === "flag" && attached !== undefined) {
        throw argumentRefusal(`option:--${known.name}`, `cannot verify: "--${known.name}" takes no value`);
      }
      if (known.kind === "value" && attached === undefined) {
        if (i >= args.length) {
          throw argumentRefusal(`option:--${known.name}`, `cannot verify: "--${known.name}" needs a value`);
        }
        options.push({ name: known.name, long: true, value: args[i], raw: `${arg} ${args[i]}` });
        i++;
        continue;
      }
      if (known.kind === "peek" && attached === undefined && i < args.length && (spec.peekValues?.[known.name] ?? peekValue).test(args[i])) {
        options.push({ name: known.name, long: true, value: args[i], raw: `${arg} ${args[i]}` });
        i++;
        continue;
      }
      options.push({ name: known.name, long: true, value: attached, raw: arg });
      continue;
    }
    if (spec.numericShort && /^-[0-9]+$/.test(arg)) {
      options.push({ name: "#", long: false, value: arg.slice(1), raw: arg });
      continue;
    }
    // A cluster of short options: -abc, -n5, -n 5.
    for (let k = 1; k < arg.length; k++) {
      const letter = arg[k];
      const kind = compiled.short.get(letter);
      if (kind === "denied") {
        deniedOption(spec, letter, false);
      }
      if (kind === "value") {
        const rest = arg.slice(k + 1);
        if (rest.length > 0) {
          options.push({ name: letter, long: false, value: rest, raw: arg });
        } else {
          if (i >= args.length) {
            throw argumentRefusal(`option:-${letter}`, `cannot verify: "-${letter}" needs a value`);
          }
          options.push({ name: letter, long: false, value: args[i], raw: `${arg} ${args[i]}` });
          i++;
        }
        break;
      }
      if (kind === "peek") {
        const rest = arg.slice(k + 1);
        if (rest.length === 0 && i < args.length && (spec.peekValues?.[letter] ?? peekValue).test(args[i])) {
          options.push({ name: letter, long: false, value: args[i], raw: `${arg} ${args[i]}` });
          i++;
        } else {
          options.push({ name: letter, long: false, value: rest.length > 0 ? rest : undefined, raw: arg });
        }
        break;
      }
      if (kind === "optional") {
        const rest = arg.slice(k + 1);
        options.push({ name: letter, long: false, value: rest.length > 0 ? rest : undefined, raw: arg });
        break;
      }
      if (spec.strict && kind !== "flag") {
        throw argumentRefusal(`option:-${letter}`, `cannot verify option "-${letter}"`);
      }
      if (!/[A-Za-z0-9]/.test(letter)) {
        throw argumentRefusal(`option:${arg}`, `cannot verify option "${arg}"`);
      }
      options.push({ name: letter, long: false, value: undefined, raw: arg });
    }
  }
  return { options, operands, operandIndex, endOfOptions };
}

/**
 * The option among `names` (short letters or long names) that the program obeys: the last one
 * given, as getopt-style programs read a repeated option (`-c 5 -c 1000` counts to 1000).
 */
export function findOption(parsed: ParsedArgs, ...names: string[]): ParsedOption | undefined {
  return parsed.options.findLast((o) => names.includes(o.name));
}

/** Every value given to the options among `names`, in order: a rule on a value must hold for each. */
export function optionValues(parsed: ParsedArgs, ...names: string[]): string[] {
  return parsed.options.filter((o) => names.includes(o.name)).map((o) => o.value ?? "");
}
