// The command-line parser of the policy: a strict reader of the small shell subset ATL accepts
// (words, quotes, `|`, `;`, `&&`, `||`, `>/dev/null`, `2>/dev/null`, `2>&1`, and path patterns with
// `*`, `?`, `[…]` that ATL expands itself). It is an allowlist grammar: every character outside that
// subset ends the parse with a "cannot verify" refusal, so nothing a real shell would expand,
// redirect, substitute or background can reach the rules.

import type { GlobWord } from "./types";

export const MAX_COMMAND_LENGTH = 4096;

/** Where a stage's stdout / stderr end up, following the redirections left to right like a shell. */
type Sink = "out" | "err" | "null";

export interface ParsedStage {
  /** The stage's source text, trimmed, for display. */
  text: string;
  argv: string[];
  /** Words with an unquoted `*`, `?` or `[`: expanded on the host before the stage runs. */
  globs?: GlobWord[];
  stdoutToNull: boolean;
  stderrToNull: boolean;
  stderrToStdout: boolean;
}

export interface ParsedStep {
  op: ";" | "&&" | "||" | null;
  stages: ParsedStage[];
}

export interface ParseRefusal {
  /** Rule id, `refuse:structure:<what>`. */
  rule: string;
  reason: string;
}

export type ParseResult = { ok: true; steps: ParsedStep[] } | { ok: false; refusal: ParseRefusal };

class Refused extends Error {
  constructor(
    readonly rule: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function refuse(what: string, reason: string): never {
  // No stack trace: a refusal is an ordinary result, and capturing one would dominate its cost.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const refusal = new Refused(`refuse:structure:${what}`, reason);
  Error.stackTraceLimit = limit;
  throw refusal;
}

/** Characters that may appear unquoted in a word: nothing here is special to sh, bash, dash or zsh. */
const PLAIN = /[A-Za-z0-9_\-./:=,+%@^\]!]/;
/** The same set by character code, for reading runs of them without a regex test per character. */
const PLAIN_CODES = new Uint8Array(128).map((_, code) => (PLAIN.test(String.fromCharCode(code)) ? 1 : 0));

/** Characters that end an unquoted word. */
const WORD_END = new Set([" ", "\t", "|", "&", ";", ">", "<"]);

// Invisible or layout-changing code points: bidi overrides, zero-width characters, line/paragraph
// separators, non-breaking and other exotic spaces. They make the text shown differ from the text run.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|[^\S ]/u;

/** Names of unquoted characters for refusal messages. */
function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code < 0x20 || code === 0x7f) {
    return `control character ${hex}`;
  }
  if (code > 0x7e) {
    return `"${ch}" (${hex})`;
  }
  return `"${ch}"`;
}

interface Token {
  kind: "word" | "op" | "redirect";
  /** word: the value after quote removal; op: the operator; redirect: the normalized redirection. */
  value: string;
  start: number;
  end: number;
  /** word only: the word had no quotes or escapes at all. */
  plain?: boolean;
  /** word only, when it has an unquoted `*`, `?` or `[`: the word in pattern syntax (quoted characters escaped). */
  pattern?: string;
}

/** A quoted or escaped character in pattern syntax: literal, so escaped unless it cannot mean anything. */
function literalInPattern(text: string): string {
  return text.replace(/[^A-Za-z0-9/]/gu, "\\$&");
}

/**
 * Reads the command line into words, operators and (allowed) redirections, left to right in one
 * pass: one method per construct, each refusing what it cannot verify. The first construct outside
 * the subset, from the left, decides the refusal.
 */
class Lexer {
  private i = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly src: string) {}

  read(): Token[] {
    while (this.skipBlanks()) {
      const ch = this.src[this.i];
      if (ch === "|" || ch === "&" || ch === ";") {
        this.tokens.push(this.operator());
      } else if (ch === "<") {
        this.input();
      } else if (ch === ">") {
        this.tokens.push(this.redirect(1, this.i));
      } else {
        this.wordOrDescriptor();
      }
    }
    return this.tokens;
  }

  private skipBlanks(): boolean {
    while (this.src[this.i] === " " || this.src[this.i] === "\t") {
      this.i++;
    }
    return this.i < this.src.length;
  }

  private op(value: string): Token {
    const start = this.i;
    this.i += value.length;
    return { kind: "op", value, start, end: this.i };
  }

  /** `|`, `||`, `&&`, `;`. */
  private operator(): Token {
    const two = this.src.slice(this.i, this.i + 2);
    switch (two) {
      case "||":
      case "&&":
        return this.op(two);
      case "|&":
        return refuse("redirect", 'cannot verify: "|&" (pipe stderr); write "2>&1 |"');
      case "&>":
        return refuse("redirect", 'cannot verify: "&>" redirection; only >/dev/null, 2>/dev/null and 2>&1 are allowed');
      case ";;":
        return refuse("syntax", 'cannot verify: ";;"');
    }
    if (two[0] === "&") {
      refuse("background", 'cannot verify: "&" runs a command in the background');
    }
    return this.op(two[0]);
  }

  /** `<` in any form: commands read no input. */
  private input(): never {
    const next = this.src[this.i + 1];
    if (next === "(") {
      refuse("process-substitution", 'cannot verify: process substitution ("<"); commands read no input');
    }
    const what = next === "<" ? (this.src[this.i + 2] === "<" ? "here-string" : "here-document") : "input redirection";
    refuse("redirect", `cannot verify: ${what} ("<"); commands read no input`);
  }

  /** `>` after an optional descriptor (1 or 2): `>/dev/null`, `2>/dev/null`, `2>&1`. */
  private redirect(fd: number, start: number): Token {
    this.i++;
    const next = this.src[this.i];
    if (next === ">") {
      refuse("redirect", 'cannot verify: ">>" appends to a file');
    }
    if (next === "|") {
      refuse("redirect", 'cannot verify: ">|" overwrites a file');
    }
    if (next === "(") {
      refuse("process-substitution", 'cannot verify: ">(…)" process substitution');
    }
    if (next === "&") {
      this.i++;
      const after = this.src[this.i + 1];
      if (fd === 2 && this.src[this.i] === "1" && (after === undefined || " \t|;&".includes(after))) {
        this.i++;
        return { kind: "redirect", value: "2>&1", start, end: this.i };
      }
      refuse("redirect", "cannot verify: descriptor duplication other than 2>&1");
    }
    if (fd !== 1 && fd !== 2) {
      refuse("redirect", `cannot verify: redirection of file descriptor ${fd}`);
    }
    this.nullTarget(fd === 2 ? '"2>"' : '">"');
    return { kind: "redirect", value: fd === 2 ? "2>/dev/null" : ">/dev/null", start, end: this.i };
  }

  /** The target of `>`: only /dev/null. */
  private nullTarget(what: string): void {
    const word = this.skipBlanks() && !WORD_END.has(this.src[this.i]) ? this.word() : null;
    if (word?.value !== "/dev/null") {
      refuse("redirect", `cannot verify: ${what} to ${word ? `"${word.value}"` : "nothing"}; only >/dev/null, 2>/dev/null and 2>&1 are allowed`);
    }
  }

  /** A word, or the descriptor number of a redirection glued to it (`2>/dev/null`). */
  private wordOrDescriptor(): void {
    const word = this.word();
    if (this.src[this.i] === ">") {
      // An unquoted 1 or 2 directly before ">" is a file descriptor.
      if (word.plain && (word.value === "1" || word.value === "2")) {
        this.tokens.push(this.redirect(Number(word.value), word.start));
        return;
      }
      // "'a'2>x" is the word a2 and ">x" to bash, but other parsers read "2>": refuse the ambiguity.
      if (/[0-9]$/.test(this.src.slice(word.start, word.end))) {
        refuse("redirect", 'cannot verify: a word ending in a digit directly before ">"; put a space before ">"');
      }
    }
    this.tokens.push(word);
  }

  /** One word: unquoted characters, '…', "…" and backslash escapes glued together. */
  private word(): Token {
    const start = this.i;
    let value = "";
    let pattern = "";
    let plain = true;
    let glob = false;
    while (this.i < this.src.length && !WORD_END.has(this.src[this.i])) {
      const ch = this.src[this.i];
      let quoted: string;
      if (ch === "'") {
        quoted = this.singleQuoted();
      } else if (ch === '"') {
        quoted = this.doubleQuoted();
      } else if (ch === "\\") {
        quoted = this.escaped();
      } else {
        const text = this.plainRun() || this.unquoted(ch);
        glob ||= text === "*" || text === "?" || text === "[";
        value += text;
        pattern += text;
        continue;
      }
      plain = false;
      value += quoted;
      pattern += literalInPattern(quoted);
    }
    return { kind: "word", value, start, end: this.i, plain, ...(glob ? { pattern } : {}) };
  }

  /** A run of plain unquoted characters, taken as it is ("" when the next character is not one). */
  private plainRun(): string {
    const start = this.i;
    while (this.i < this.src.length && PLAIN_CODES[this.src.charCodeAt(this.i)] === 1) {
      this.i++;
    }
    return this.src.slice(start, this.i);
  }

  /** '…': everything up to the next single quote, literally. */
  private singleQuoted(): string {
    const close = this.src.indexOf("'", this.i + 1);
    if (close < 0) {
      refuse("unterminated-quote", "cannot verify: unterminated single quote");
    }
    const text = this.src.slice(this.i + 1, close);
    this.i = close + 1;
    return text;
  }

  /** "…": literal text without `$` or backquotes; a backslash escapes only $ ` " \ (else it stays). */
  private doubleQuoted(): string {
    let text = "";
    for (this.i++; this.i < this.src.length; this.i++) {
      const c = this.src[this.i];
      if (c === '"') {
        this.i++;
        return text;
      }
      if (c === "$") {
        refuse("expansion", 'cannot verify: "$" inside double quotes expands variables or runs commands; use single quotes');
      }
      if (c === "`") {
        refuse("command-substitution", "cannot verify: backquote command substitution");
      }
      if (c === "\\" && this.i + 1 < this.src.length) {
        const next = this.src[++this.i];
        text += next === "$" || next === "`" || next === '"' || next === "\\" ? next : "\\" + next;
        continue;
      }
      text += c;
    }
    refuse("unterminated-quote", "cannot verify: unterminated double quote");
  }

  /** An unquoted backslash: the next character, literally (printable ASCII or a space only). */
  private escaped(): string {
    const next = this.src[this.i + 1];
    if (next === undefined) {
      refuse("trailing-backslash", "cannot verify: the command ends with a backslash");
    }
    if (next.charCodeAt(0) > 0x7e) {
      refuse("non-ascii", `cannot verify: escaped non-ASCII character ${describeChar(next)}`);
    }
    if (next < " ") {
      refuse("escape", `cannot verify: backslash before ${describeChar(next)}`);
    }
    this.i += 2;
    return next;
  }

  /** One unquoted character: plain ones only; everything a shell would expand or interpret is refused. */
  private unquoted(ch: string): string {
    if (PLAIN.test(ch)) {
      this.i++;
      return ch;
    }
    switch (ch) {
      case "$":
        return this.dollar();
      case "`":
        return refuse("command-substitution", "cannot verify: backquote command substitution");
      case "(":
      case ")":
        return refuse("subshell", `cannot verify: "${ch}" starts a subshell, group or function`);
      case "{":
      case "}":
        return refuse("brace", `cannot verify: unquoted "${ch}" (brace expansion or command group); quote it`);
      case "*":
      case "?":
      case "[":
        // A path pattern: ATL expands it on the host (glob.ts).
        this.i++;
        return ch;
      case "~":
        return refuse("tilde", 'cannot verify: unquoted "~" may expand to a home directory; write the full path, or quote it');
      case "#":
        // At the start of a word it hides the rest of the line; inside one, parsers disagree.
        return refuse("comment", 'cannot verify: unquoted "#" (a comment hides the rest of the line); quote it');
    }
    if (ch.charCodeAt(0) > 0x7e) {
      refuse("non-ascii", `cannot verify: unquoted non-ASCII character ${describeChar(ch)} (it may look like an ASCII letter); quote it`);
    }
    refuse("character", `cannot verify: unquoted ${describeChar(ch)}; quote it`);
  }

  /** An unquoted `$`: every form expands something. */
  private dollar(): never {
    const next = this.src[this.i + 1];
    if (next === "(") {
      const arithmetic = this.src[this.i + 2] === "(";
      refuse(arithmetic ? "arithmetic" : "command-substitution", `cannot verify: "${arithmetic ? "$((" : "$("}" runs or computes something the policy cannot see`);
    }
    if (next === "'") {
      refuse("ansi-c-quote", "cannot verify: ANSI-C quoting $'…' can hide any character; use plain single quotes");
    }
    if (next === "{") {
      refuse("parameter-expansion", 'cannot verify: "${…}" parameter expansion');
    }
    refuse("expansion", 'cannot verify: "$" expands a variable (the environment may hold secrets); quote a literal "$" in single quotes');
  }
}

/** Characters refused anywhere, quoted or not: a second line, NUL, and text that displays differently than it runs. */
function checkCharacters(src: string): void {
  // Fast path: printable ASCII and tabs need no per-character look.
  if (/^[\x20-\x7e\t]*$/.test(src)) {
    return;
  }
  for (const ch of src) {
    if (ch === "\n" || ch === "\r") {
      refuse("newline", "cannot verify: a newline starts another command; join commands with ; && || or |");
    }
    if (ch === "\0") {
      refuse("nul", "cannot verify: NUL byte in the command");
    }
    if (ch !== "\t" && INVISIBLE.test(ch)) {
      refuse("invisible-character", `cannot verify: invisible or control character U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`);
    }
  }
}

/** One simple command: its words become argv, its redirections the stage's sinks (left to right). */
function buildStage(src: string, tokens: Token[]): ParsedStage {
  const argv: string[] = [];
  const globs: GlobWord[] = [];
  let fd1: Sink = "out";
  let fd2: Sink = "err";
  for (const t of tokens) {
    if (t.kind === "word") {
      if (t.pattern !== undefined) {
        globs.push({ index: argv.length, pattern: t.pattern });
      }
      argv.push(t.value);
    } else if (t.value === ">/dev/null") {
      fd1 = "null";
    } else if (t.value === "2>/dev/null") {
      fd2 = "null";
    } else {
      fd2 = fd1;
    }
  }
  const firstWord = tokens.find((t) => t.kind === "word");
  if (!firstWord) {
    refuse("syntax", "cannot verify: a redirection without a command");
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(src.slice(firstWord.start, firstWord.end))) {
    refuse("assignment", "cannot verify: a variable assignment (NAME=value) changes what programs do; commands run with a fixed environment");
  }
  if (globs[0]?.index === 0) {
    refuse("glob", `cannot verify: the program name ${firstWord.value} is a pattern (unquoted "*", "?" or "["); name the program`);
  }
  return {
    text: src.slice(tokens[0].start, tokens[tokens.length - 1].end),
    argv,
    ...(globs.length > 0 ? { globs } : {}),
    stdoutToNull: fd1 === "null",
    stderrToNull: fd2 === "null",
    stderrToStdout: fd2 === "out",
  };
}

/** Groups tokens into steps (joined by ; && ||) of pipelines (joined by |). */
function buildSteps(src: string, tokens: Token[]): ParsedStep[] {
  const steps: ParsedStep[] = [];
  let step: ParsedStep = { op: null, stages: [] };
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.kind !== "op") {
      current.push(t);
      continue;
    }
    if (current.length === 0) {
      refuse("syntax", `cannot verify: "${t.value}" without a command before it`);
    }
    step.stages.push(buildStage(src, current));
    current = [];
    if (t.value !== "|") {
      steps.push(step);
      step = { op: t.value as ";" | "&&" | "||", stages: [] };
    }
  }
  if (current.length > 0) {
    step.stages.push(buildStage(src, current));
    steps.push(step);
    return steps;
  }
  // A trailing ";" ends the line, as in a shell; any other operator needs a command after it.
  const last = tokens[tokens.length - 1];
  if (step.stages.length === 0 && last.value === ";") {
    return steps;
  }
  refuse("syntax", last.value === "|" ? "cannot verify: the line ends with an operator" : `cannot verify: "${last.value}" without a command after it`);
}

/** Parses a command line into steps of pipelines, or says why it cannot be verified. */
export function parseCommandLine(command: string): ParseResult {
  try {
    return { ok: true, steps: parseOrThrow(command) };
  } catch (error) {
    if (error instanceof Refused) {
      return { ok: false, refusal: { rule: error.rule, reason: error.reason } };
    }
    throw error;
  }
}

function parseOrThrow(command: string): ParsedStep[] {
  if (command.length > MAX_COMMAND_LENGTH) {
    refuse("too-long", `cannot verify: the command is ${command.length} characters long; the limit is ${MAX_COMMAND_LENGTH}`);
  }
  // Surrounding blank lines are harmless (an LLM often ends a command with a newline), unless a
  // backslash escapes the line end. Spaces need no trimming: the lexer skips them.
  const src = command.replace(/^[ \t\r\n]+/, "").replace(/(^|[^\\])[\r\n]+$/, "$1");
  if (src.trim().length === 0) {
    refuse("empty", "cannot verify: the command is empty");
  }
  checkCharacters(src);
  return buildSteps(src, new Lexer(src).read());
}
