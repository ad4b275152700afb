// Token budgets for untrusted text sent to an LLM: command output keeps its head and tail with
// "… N lines omitted …" in between (the full output stays in the report). Token counts are a
// conservative estimate (no tokenizer in the bundle); the benchmark checks them with a real one.

/** Estimated tokens of a text: about one per three characters, never fewer than one per line. */
export function estimateTokens(text: string): number {
  if (text.length === 0) {
    return 0;
  }
  let lines = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
    lines += 1;
  }
  return Math.max(Math.ceil(text.length / 3), lines);
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
  // Reserve room for the marker line.
  const available = budget - 12;
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
    const chars = available * 3;
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
