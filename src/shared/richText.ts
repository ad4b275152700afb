// ATL's formatted text, carried as runs so no renderer ever parses or escapes a mixed string:
// plain words, and code spans (a command, a process or unit name, a path). Either kind may hold
// untrusted text (a process name read from `ps`, a path from `du`): every renderer shows both
// literally — the chat panel as text nodes and <code>, the Markdown report with escaping for
// plain runs and fences for code, the plain-text channel and the CLI as the text itself.
//
// ATL writes it with the `rich` tag: backticks in the template's own text mark code spans, and
// every `${value}` is inserted as text of the run it falls in, so a backtick inside a value is a
// character, never markup. Text from outside ATL's code (the LLM, reports saved by older
// versions) and the runbook rules' Markdown strings become runs once, at that boundary, with
// `fromMarkdown`; the rules put untrusted names into their strings with `mdCode` / `mdText`, so
// that reading is lossless.

/** One run: plain text, or a code span. */
export type Span = string | { code: string };

/** Text with ATL's formatting, as runs. A plain sentence is `["…"]`. */
export type RichText = Span[];

type Value = string | number | RichText;

/** Adjacent runs of one kind merged (two code spans side by side read as one), empty runs dropped. */
function normalize(spans: readonly Span[]): RichText {
  const out: RichText = [];
  for (const span of spans) {
    if (typeof span === "string") {
      if (span.length === 0) {
        continue;
      }
      const last = out[out.length - 1];
      if (typeof last === "string") {
        out[out.length - 1] = last + span;
      } else {
        out.push(span);
      }
    } else if (span.code.length > 0) {
      const last = out[out.length - 1];
      if (last !== undefined && typeof last !== "string") {
        out[out.length - 1] = { code: last.code + span.code };
      } else {
        out.push({ code: span.code });
      }
    }
  }
  return out;
}

/** Untrusted or plain text as one plain run. */
export function plain(text: string): RichText {
  return normalize([text]);
}

/** A code span (a command, a name, a path); its text is shown as it is. */
export function code(text: string): RichText {
  return normalize([{ code: text }]);
}

/**
 * ATL's own formatted sentence: `` rich`Stop ${code(name)} (pid ${pid}); see \`journalctl -u ${unit}\`` ``.
 * Backticks in the template's text open and close code spans; a string or number value becomes
 * text of the run it falls in (inside a span: part of the code); a RichText value is spliced in
 * (inside a span: as its plain text).
 */
export function rich(strings: TemplateStringsArray, ...values: Value[]): RichText {
  const spans: Span[] = [];
  let inCode = false;
  let run = "";
  const flush = (): void => {
    spans.push(inCode ? { code: run } : run);
    run = "";
  };
  strings.forEach((part, index) => {
    for (const piece of part.split("`").entries()) {
      if (piece[0] > 0) {
        flush();
        inCode = !inCode;
      }
      run += piece[1];
    }
    if (index < values.length) {
      const value = values[index];
      if (typeof value === "string" || typeof value === "number") {
        run += String(value);
      } else if (value !== undefined) {
        if (inCode) {
          run += plainText(value);
        } else {
          flush();
          spans.push(...value);
        }
      }
    }
  });
  if (inCode) {
    // An unclosed backtick in ATL's own template is a typo: keep the text, as plain.
    spans.push(run);
    run = "";
    inCode = false;
  }
  flush();
  return normalize(spans);
}

/** The parts one after another. */
export function concat(...parts: (RichText | string)[]): RichText {
  return normalize(parts.flatMap((part) => (typeof part === "string" ? [part] : part)));
}

/** The parts with `separator` (plain text) between them. */
export function joinRich(parts: readonly RichText[], separator: string): RichText {
  return normalize(parts.flatMap((part, index) => (index === 0 ? part : [separator, ...part])));
}

/**
 * Every match of `pattern` (which must have the `g` flag) over the text of all runs together
 * replaced by `replacement(match)`, so a match may cross from a plain run into a code span
 * (`password=` then `hunter2` in code) — redaction needs that. The replacement goes back into the
 * runs: what it shares with the start and the end of the match stays in the runs it came from, the
 * rest takes the kind of the first character it replaces (of the character before, for a pure
 * insertion). Empty matches are left alone.
 */
export function replaceRich(text: RichText, pattern: RegExp, replacement: (match: RegExpExecArray) => string): RichText {
  const joined = plainText(text);
  // Where each run ends in the joined text, and whether it is code.
  const runs: { end: number; code: boolean }[] = [];
  let end = 0;
  for (const span of text) {
    end += (typeof span === "string" ? span : span.code).length;
    runs.push({ end, code: typeof span !== "string" });
  }
  const codeAt = (at: number): boolean => (runs.find((run) => at < run.end) ?? runs[runs.length - 1])?.code ?? false;
  const out: Span[] = [];
  const emit = (value: string, isCode: boolean): void => {
    out.push(isCode ? { code: value } : value);
  };
  /** The original text from..to, in its own runs. */
  const copy = (from: number, to: number): void => {
    let at = from;
    for (const run of runs) {
      if (at >= to) {
        break;
      }
      if (run.end > at) {
        const stop = Math.min(run.end, to);
        emit(joined.slice(at, stop), run.code);
        at = stop;
      }
    }
  };
  let cursor = 0;
  pattern.lastIndex = 0;
  for (const match of joined.matchAll(pattern)) {
    const found = match[0];
    if (found.length === 0) {
      continue;
    }
    const start = match.index;
    const value = replacement(match);
    let head = 0;
    while (head < found.length && head < value.length && found[head] === value[head]) {
      head += 1;
    }
    let tail = 0;
    while (tail < found.length - head && tail < value.length - head && found[found.length - 1 - tail] === value[value.length - 1 - tail]) {
      tail += 1;
    }
    copy(cursor, start + head);
    const replacedFrom = start + head;
    emit(value.slice(head, value.length - tail), codeAt(replacedFrom < start + found.length - tail ? replacedFrom : Math.max(0, replacedFrom - 1)));
    cursor = start + found.length - tail;
  }
  copy(cursor, joined.length);
  return normalize(out);
}

/** At most `max` characters of text (code included), cut with "…" in the run where it ends. */
export function truncateRich(text: RichText, max: number): RichText {
  const out: Span[] = [];
  let left = max;
  for (const span of text) {
    const value = typeof span === "string" ? span : span.code;
    if (value.length <= left) {
      out.push(span);
      left -= value.length;
      continue;
    }
    const cut = `${value.slice(0, Math.max(0, left - 1))}…`;
    out.push(typeof span === "string" ? cut : { code: cut });
    break;
  }
  return normalize(out);
}

/** The text without formatting: for prompts, search, logs and comparisons. */
export function plainText(text: RichText): string {
  return text.map((span) => (typeof span === "string" ? span : span.code)).join("");
}

/** Whether a value is RichText (reports and transcripts read back from disk). */
export function isRichText(value: unknown): value is RichText {
  return Array.isArray(value) && value.every((span: unknown) => typeof span === "string" || (typeof span === "object" && span !== null && typeof (span as { code?: unknown }).code === "string" && Object.keys(span).length === 1));
}

/** RichText as stored by this version, or a string from an older one (read as `fromMarkdown`). */
export function toRichText(value: unknown): RichText {
  if (isRichText(value)) {
    return normalize(value);
  }
  return typeof value === "string" ? fromMarkdown(value) : [];
}

/**
 * An untrusted value as a Markdown code span that `fromMarkdown` (and any CommonMark reader) reads
 * back as exactly this text: a fence of one backtick more than the longest backtick run inside,
 * padded with a space where the value starts or ends with a backtick or with a space at both ends
 * (a reader strips one such pair). Line breaks become spaces, as a code span would show them.
 */
export function mdCode(value: string): string {
  if (value.length === 0) {
    return "";
  }
  const body = value.replace(/\r?\n|\r/g, " ");
  let longest = 0;
  for (const run of body.match(/`+/g) ?? []) {
    longest = Math.max(longest, run.length);
  }
  const ticks = "`".repeat(longest + 1);
  const pad = body.startsWith("`") || body.endsWith("`") || (body.startsWith(" ") && body.endsWith(" ") && body.trim().length > 0) ? " " : "";
  return `${ticks}${pad}${body}${pad}${ticks}`;
}

/**
 * An untrusted value for a plain position of a Markdown string: backslashes, backticks and
 * tildes escaped with a backslash, so no backtick in it opens a code span and no line of it opens
 * a fenced block; `fromMarkdown` reads it back as exactly this text.
 */
export function mdText(value: string): string {
  return value.replace(/[\\`~]/g, "\\$&");
}

/**
 * The runs as the minimal Markdown `fromMarkdown` reads back unchanged (code spans through
 * `mdCode`, plain runs through `mdText`): for the LLM's prompts and for tools that match on
 * Markdown. Not for a Markdown viewer: src/report/markdown.ts escapes for full renderers.
 */
export function toMarkdown(text: RichText): string {
  return text.map((span) => (typeof span === "string" ? mdText(span) : mdCode(span.code))).join("");
}

const FENCE = /^ {0,3}(`{3,}|~{3,})[^\n`]*$/;

/**
 * Text written in Markdown by someone else (the LLM; strings in reports of older versions): code
 * spans and fenced code blocks become code runs, everything else stays plain, character for
 * character — emphasis, links and HTML are not interpreted. CommonMark's rules for backtick
 * strings: a run of n backticks is closed by the next run of exactly n; an unclosed run is text.
 */
export function fromMarkdown(text: string): RichText {
  const spans: Span[] = [];
  const lines = text.split("\n");
  let prose: string[] = [];
  const flushProse = (): void => {
    if (prose.length > 0) {
      spans.push(...inlineCode(prose.join("\n")));
      prose = [];
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "");
    const marker = open?.[1];
    if (!marker) {
      prose.push(lines[i] ?? "");
      continue;
    }
    const close = lines.findIndex((line, j) => j > i && new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`).test(line));
    if (close < 0) {
      prose.push(lines[i] ?? "");
      continue;
    }
    // The block keeps its line breaks; the line breaks around it stay plain text.
    prose.push("");
    flushProse();
    spans.push({ code: lines.slice(i + 1, close).join("\n") });
    prose = [""];
    i = close;
  }
  flushProse();
  return normalize(spans);
}

/** Plain text with the backslash escapes `mdText` writes (`\\`, `\``, `\~`) read back. */
function unescape(text: string): string {
  return text.replace(/\\([\\`~])/g, "$1");
}

function inlineCode(text: string): Span[] {
  const spans: Span[] = [];
  let plainStart = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] === "\\" && (text[i + 1] === "\\" || text[i + 1] === "`" || text[i + 1] === "~")) {
      i += 2;
      continue;
    }
    if (text[i] !== "`") {
      i++;
      continue;
    }
    let n = 1;
    while (text[i + n] === "`") {
      n++;
    }
    const ticks = "`".repeat(n);
    let j = i + n;
    let close = -1;
    while (j < text.length) {
      const at = text.indexOf(ticks, j);
      if (at < 0) {
        break;
      }
      let m = ticks.length;
      while (text[at + m] === "`") {
        m++;
      }
      if (m === n && text[at - 1] !== "`") {
        close = at;
        break;
      }
      j = at + m;
    }
    if (close < 0) {
      i += n;
      continue;
    }
    spans.push(unescape(text.slice(plainStart, i)));
    let content = text.slice(i + n, close).replace(/\n/g, " ");
    if (content.length > 2 && content.startsWith(" ") && content.endsWith(" ") && content.trim().length > 0) {
      content = content.slice(1, -1);
    }
    spans.push({ code: content });
    i = close + n;
    plainStart = i;
  }
  spans.push(unescape(text.slice(plainStart)));
  return spans;
}
