// Token budgets for untrusted text sent to an LLM: command output keeps its head and tail with
// "… N lines omitted …" in between (the full output stays in the report). Token counts are an
// estimate (a real tokenizer would add megabytes to graph.js); tests and the benchmark check it
// against gpt-tokenizer.

// Token classes as GPT tokenizers (o200k/cl100k) split command output: words, digit groups of up to
// three, whitespace runs (a single space merges into the next word), punctuation, non-Latin text.
const PIECES = /[A-Za-z]+|[0-9]+|[ \t]+|\n+|[\u0080-\uffff]+|[^\sA-Za-z0-9\u0080-\uffff]/gu;

/**
 * Estimated tokens of a text, calibrated against gpt-tokenizer on real command output (ps, top,
 * df, logs, dmesg, base64): within -10 % / +40 % on output, higher on prose. Mixed-case runs
 * (keys, base64) cost more per letter than words.
 */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const match of text.matchAll(PIECES)) {
    const piece = match[0];
    const code = piece.charCodeAt(0);
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
      n += /[a-z][A-Z]|[A-Z]{2}[a-z]/.test(piece) ? Math.ceil(piece.length / 2) : Math.ceil(piece.length / 4);
    } else if (code >= 48 && code <= 57) {
      n += Math.ceil(piece.length / 3);
    } else if (code === 32 || code === 9) {
      n += piece.length >= 2 ? 1 + Math.floor(piece.length / 12) : 0;
    } else if (code === 10) {
      n += 1;
    } else if (code >= 0x80) {
      n += Math.ceil(piece.length * 0.7);
    } else {
      n += 1;
    }
  }
  return Math.ceil(n * 1.1);
}

/** Longest line kept whole; longer lines are cut in the middle. */
const MAX_LINE_CHARS = 400;

export interface BudgetedText {
  text: string;
  /** Lines left out in the middle (0 when the text fit). */
  omittedLines: number;
  /** Whether anything was cut (lines omitted or long lines shortened). */
  cut: boolean;
}

/**
 * Fits `text` into about `maxTokens`: the first and last lines are kept (head gets a little more:
 * it holds headers such as `ps`'s column names; the tail holds the latest log lines) and the middle
 * is replaced by "… N lines omitted …".
 */
export function budgetText(text: string, maxTokens: number): BudgetedText {
  const budget = Math.max(16, Math.floor(maxTokens));
  if (estimateTokens(text) <= budget) {
    return { text, omittedLines: 0, cut: false };
  }
  let shortened = false;
  const lines = text.split("\n").map((line) => {
    if (line.length <= MAX_LINE_CHARS) {
      return line;
    }
    shortened = true;
    const keep = MAX_LINE_CHARS / 2;
    return `${line.slice(0, keep)} … ${line.length - 2 * keep} characters omitted … ${line.slice(-keep)}`;
  });
  // Reserve room for the marker line, and a margin for the estimate's error.
  const available = Math.floor(budget * 0.9) - 12;
  const headBudget = Math.floor(available * 0.55);
  const tailBudget = available - headBudget;
  const head: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = estimateTokens(line) + 1;
    if (used + cost > headBudget) {
      break;
    }
    head.push(line);
    used += cost;
  }
  const tail: string[] = [];
  used = 0;
  for (let i = lines.length - 1; i >= head.length; i--) {
    const cost = estimateTokens(lines[i]) + 1;
    if (used + cost > tailBudget) {
      break;
    }
    tail.unshift(lines[i]);
    used += cost;
  }
  const omitted = lines.length - head.length - tail.length;
  if (omitted <= 0) {
    return { text: lines.join("\n"), omittedLines: 0, cut: shortened };
  }
  // One enormous line (no newlines to cut at): keep characters from both ends instead.
  if (head.length === 0 && tail.length === 0) {
    const chars = available * 2;
    const only = text;
    const headChars = Math.floor(chars * 0.55);
    const tailChars = chars - headChars;
    return {
      text: `${only.slice(0, headChars)}\n… ${only.length - headChars - tailChars} characters omitted …\n${only.slice(-tailChars)}`,
      omittedLines: 0,
      cut: true,
    };
  }
  return { text: [...head, `… ${omitted} lines omitted …`, ...tail].join("\n"), omittedLines: omitted, cut: true };
}
