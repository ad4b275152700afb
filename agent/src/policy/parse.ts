// The command-line parser of the policy: a strict reader of the small shell subset ATL accepts
// (words, quotes, `|`, `;`, `&&`, `||`, `>/dev/null`, `2>/dev/null`, `2>&1`). It is an allowlist
// grammar: every character outside that subset ends the parse with a "cannot verify" refusal, so
// nothing a real shell would expand, redirect, substitute or background can reach the rules.

export const MAX_COMMAND_LENGTH = 4096;

/** Where a stage's stdout / stderr end up, following the redirections left to right like a shell. */
type Sink = "out" | "err" | "null";

export interface ParsedStage {
  /** The stage's source text, trimmed, for display. */
  text: string;
  argv: string[];
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
}

/** Reads the command line into words, operators and (allowed) redirections. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;

  const readWord = (): Token | null => {
    const start = i;
    let value = "";
    let plain = true;
    let any = false;
    while (i < n) {
      const ch = src[i];
      if (ch === " " || ch === "\t" || ch === "|" || ch === "&" || ch === ";" || ch === ">" || ch === "<") {
        break;
      }
      if (ch === "'") {
        const close = src.indexOf("'", i + 1);
        if (close < 0) {
          refuse("unterminated-quote", "cannot verify: unterminated single quote");
        }
        value += src.slice(i + 1, close);
        i = close + 1;
        plain = false;
        any = true;
        continue;
      }
      if (ch === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = src[i];
          if (c === '"') {
            closed = true;
            i++;
            break;
          }
          if (c === "$") {
            refuse("expansion", 'cannot verify: "$" inside double quotes expands variables or runs commands; use single quotes');
          }
          if (c === "`") {
            refuse("command-substitution", "cannot verify: backquote command substitution");
          }
          if (c === "\\") {
            const next = src[i + 1];
            if (next === undefined) {
              break;
            }
            // Inside double quotes a backslash only escapes these; elsewhere it stays.
            if (next === "$" || next === "`" || next === '"' || next === "\\") {
              value += next;
            } else {
              value += "\\" + next;
            }
            i += 2;
            continue;
          }
          value += c;
          i++;
        }
        if (!closed) {
          refuse("unterminated-quote", "cannot verify: unterminated double quote");
        }
        plain = false;
        any = true;
        continue;
      }
      if (ch === "\\") {
        const next = src[i + 1];
        if (next === undefined) {
          refuse("trailing-backslash", "cannot verify: the command ends with a backslash");
        }
        if (!/[\x21-\x7e ]/.test(next)) {
          refuse("escape", `cannot verify: backslash before ${describeChar(next)}`);
        }
        value += next;
        i += 2;
        plain = false;
        any = true;
        continue;
      }
      if (ch === "$") {
        const next = src[i + 1];
        if (next === "(") {
          refuse(src[i + 2] === "(" ? "arithmetic" : "command-substitution", `cannot verify: "${next === "(" && src[i + 2] === "(" ? "$((" : "$("}" runs or computes something the policy cannot see`);
        }
        if (next === "'") {
          refuse("ansi-c-quote", "cannot verify: ANSI-C quoting $'…' can hide any character; use plain single quotes");
        }
        if (next === "{") {
          refuse("parameter-expansion", 'cannot verify: "${…}" parameter expansion');
        }
        refuse("expansion", 'cannot verify: "$" expands a variable (the environment may hold secrets); quote a literal "$" in single quotes');
      }
      if (ch === "`") {
        refuse("command-substitution", "cannot verify: backquote command substitution");
      }
      if (ch === "(" || ch === ")") {
        refuse("subshell", `cannot verify: "${ch}" starts a subshell, group or function`);
      }
      if (ch === "{" || ch === "}") {
        refuse("brace", `cannot verify: unquoted "${ch}" (brace expansion or command group); quote it`);
      }
      if (ch === "*" || ch === "?" || ch === "[") {
        refuse(
          "glob",
          `cannot verify: unquoted "${ch}" is a glob; ATL runs commands without a shell, so nothing would expand it. Quote it to pass it literally, or name the files (find DIR -name '*.log')`,
        );
      }
      if (ch === "~") {
        refuse("tilde", 'cannot verify: unquoted "~" may expand to a home directory; write the full path, or quote it');
      }
      if (ch === "#") {
        // At the start of a word it hides the rest of the line; inside one, parsers disagree.
        refuse("comment", 'cannot verify: unquoted "#" (a comment hides the rest of the line); quote it');
      }
      if (!PLAIN.test(ch)) {
        refuse("character", `cannot verify: unquoted ${describeChar(ch)}; quote it`);
      }
      value += ch;
      i++;
      any = true;
    }
    if (!any) {
      return null;
    }
    return { kind: "word", value, start, end: i, plain };
  };

  /** Reads the target of `>`: only /dev/null is allowed. */
  const readNullTarget = (what: string): void => {
    while (src[i] === " " || src[i] === "\t") {
      i++;
    }
    const word = readWord();
    if (!word || word.value !== "/dev/null") {
      refuse("redirect", `cannot verify: ${what} to ${word ? `"${word.value}"` : "nothing"}; only >/dev/null, 2>/dev/null and 2>&1 are allowed`);
    }
  };

  while (i < n) {
    const ch = src[i];
    if (ch === " " || ch === "\t") {
      i++;
      continue;
    }
    const start = i;
    if (ch === "|") {
      if (src[i + 1] === "|") {
        tokens.push({ kind: "op", value: "||", start, end: i + 2 });
        i += 2;
      } else if (src[i + 1] === "&") {
        refuse("redirect", 'cannot verify: "|&" (pipe stderr); write "2>&1 |"');
      } else {
        tokens.push({ kind: "op", value: "|", start, end: i + 1 });
        i++;
      }
      continue;
    }
    if (ch === "&") {
      if (src[i + 1] === "&") {
        tokens.push({ kind: "op", value: "&&", start, end: i + 2 });
        i += 2;
        continue;
      }
      if (src[i + 1] === ">") {
        refuse("redirect", 'cannot verify: "&>" redirection; only >/dev/null, 2>/dev/null and 2>&1 are allowed');
      }
      refuse("background", 'cannot verify: "&" runs a command in the background');
    }
    if (ch === ";") {
      if (src[i + 1] === ";") {
        refuse("syntax", 'cannot verify: ";;"');
      }
      tokens.push({ kind: "op", value: ";", start, end: i + 1 });
      i++;
      continue;
    }
    if (ch === "<") {
      const what = src[i + 1] === "<" ? (src[i + 2] === "<" ? "here-string" : "here-document") : src[i + 1] === "(" ? "process substitution" : "input redirection";
      refuse(what === "process substitution" ? "process-substitution" : "redirect", `cannot verify: ${what} ("<"); commands read no input`);
    }
    if (ch === ">") {
      tokens.push(readRedirect(1, start));
      continue;
    }
    const word = readWord();
    if (!word) {
      // readWord stops only on the characters handled above, so this cannot loop.
      refuse("syntax", `cannot verify: unexpected ${describeChar(ch)}`);
    }
    // An all-digit unquoted word directly followed by ">" is a file descriptor number.
    if (src[i] === ">" && word.plain && (word.value === "1" || word.value === "2")) {
      tokens.push(readRedirect(Number(word.value), word.start));
      continue;
    }
    // "'a'2>x" is the word a2 and ">x" to bash, but other parsers read "2>": refuse the ambiguity.
    if (src[i] === ">" && /[0-9]$/.test(src.slice(word.start, word.end))) {
      refuse("redirect", 'cannot verify: a word ending in a digit directly before ">"; put a space before ">"');
    }
    if (src[i] === "<" && word.plain && /^[0-9]+$/.test(word.value)) {
      refuse("redirect", "cannot verify: input redirection; commands read no input");
    }
    tokens.push(word);
  }
  return tokens;

  function readRedirect(fd: number, start: number): Token {
    // src[i] === ">"
    i++;
    const next = src[i];
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
      i++;
      if (fd === 2 && src[i] === "1" && (i + 1 >= n || /[ \t|;&]/.test(src[i + 1]))) {
        i++;
        return { kind: "redirect", value: "2>&1", start, end: i };
      }
      refuse("redirect", "cannot verify: descriptor duplication other than 2>&1");
    }
    if (fd !== 1 && fd !== 2) {
      refuse("redirect", `cannot verify: redirection of file descriptor ${fd}`);
    }
    readNullTarget(fd === 2 ? '"2>"' : '">"');
    return { kind: "redirect", value: fd === 2 ? "2>/dev/null" : ">/dev/null", start, end: i };
  }
}

function buildStage(src: string, tokens: Token[]): ParsedStage {
  const argv: string[] = [];
  let fd1: Sink = "out";
  let fd2: Sink = "err";
  for (const t of tokens) {
    if (t.kind === "word") {
      argv.push(t.value);
    } else if (t.value === ">/dev/null") {
      fd1 = "null";
    } else if (t.value === "2>/dev/null") {
      fd2 = "null";
    } else {
      fd2 = fd1;
    }
  }
  if (argv.length === 0) {
    refuse("syntax", "cannot verify: a redirection without a command");
  }
  const firstWord = tokens.find((t) => t.kind === "word");
  if (firstWord && /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(src.slice(firstWord.start, firstWord.end))) {
    refuse("assignment", "cannot verify: a variable assignment (NAME=value) changes what programs do; commands run with a fixed environment");
  }
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  return {
    text: src.slice(first.start, last.end),
    argv,
    stdoutToNull: fd1 === "null",
    stderrToNull: fd2 === "null",
    stderrToStdout: fd2 === "out",
  };
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
  // backslash escapes the line end. Spaces need no trimming: the tokenizer skips them.
  const src = command.replace(/^[ \t\r\n]+/, "").replace(/(^|[^\\])[\r\n]+$/, "$1");
  if (src.trim().length === 0) {
    refuse("empty", "cannot verify: the command is empty");
  }
  // Fast path: printable ASCII and tabs need no per-character look.
  for (const ch of /^[\x20-\x7e\t]*$/.test(src) ? "" : src) {
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
  // Non-ASCII letters may only appear inside quotes (look-alikes of ASCII commands and options).
  const tokens = tokenizeAscii(src);
  const steps: ParsedStep[] = [];
  let op: ParsedStep["op"] = null;
  let stages: ParsedStage[] = [];
  let current: Token[] = [];
  const closeStage = (after: string): void => {
    if (current.length === 0) {
      refuse("syntax", `cannot verify: "${after}" without a command before it`);
    }
    stages.push(buildStage(src, current));
    current = [];
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== "op") {
      current.push(t);
      continue;
    }
    closeStage(t.value);
    if (t.value === "|") {
      continue;
    }
    steps.push({ op, stages });
    stages = [];
    op = t.value as ";" | "&&" | "||";
    if (k === tokens.length - 1) {
      if (t.value === ";") {
        // A trailing ";" ends the line, as in a shell.
        return steps;
      }
      refuse("syntax", `cannot verify: "${t.value}" without a command after it`);
    }
  }
  if (current.length === 0) {
    refuse("syntax", "cannot verify: the line ends with an operator");
  }
  closeStage("end");
  steps.push({ op, stages });
  return steps;
}

function tokenizeAscii(src: string): Token[] {
  // Checks that every non-ASCII character sits inside quotes by masking quoted spans first.
  let inSingle = false;
  let inDouble = false;
  for (let k = 0; k < src.length; k++) {
    const ch = src[k];
    if (inSingle) {
      inSingle = ch !== "'";
      continue;
    }
    if (ch === "\\" && !inSingle) {
      k++;
      const escaped = src[k];
      if (escaped !== undefined && escaped.charCodeAt(0) > 0x7e) {
        refuse("non-ascii", `cannot verify: escaped non-ASCII character ${describeChar(escaped)}`);
      }
      continue;
    }
    if (inDouble) {
      inDouble = ch !== '"';
      continue;
    }
    if (ch === "'") {
      inSingle = true;
    } else if (ch === '"') {
      inDouble = true;
    } else if (ch.charCodeAt(0) > 0x7e) {
      refuse("non-ascii", `cannot verify: unquoted non-ASCII character ${describeChar(ch)} (it may look like an ASCII letter); quote it`);
    }
  }
  return tokenize(src);
}
