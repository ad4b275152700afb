// Small helpers the output parsers share: lines, numbers in C and comma-decimal locales, sizes
// with unit suffixes, and display-safe names. Command output is attacker-controlled text: parsers
// only read it, never evaluate it, and never throw on odd input (they return less).

export function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim().length > 0);
}

/** "1.5", "1,5" (comma-decimal locales), "98%" → number; null when not a number. */
export function num(value: string | undefined): number | null {
  if (value === undefined) {
    return null;
  }
  const cleaned = value.trim().replace(/%$/, "").replace(/^(\d+),(\d+)$/, "$1.$2");
  if (!/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(cleaned)) {
    return null;
  }
  return Number(cleaned);
}

const UNIT_POWERS: Record<string, number> = { "": 0, b: 0, k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/**
 * A size as df/du/free/top print it, in bytes: `16M`, `2.4G`, `488K`, `23Gi`, `1.2g`, `512`
 * (plain numbers are in `plainUnit` bytes, e.g. 1024 for KiB columns). Powers of 1024, as those
 * tools use.
 */
export function sizeToBytes(value: string | undefined, plainUnit = 1): number | null {
  if (value === undefined) {
    return null;
  }
  const match = /^([\d.,]+)\s*([bkmgtpe]?)(i?b?)?$/i.exec(value.trim());
  if (!match) {
    return null;
  }
  const amount = num(match[1]);
  if (amount === null) {
    return null;
  }
  const suffix = (match[2] ?? "").toLowerCase();
  if (suffix === "" || suffix === "b") {
    return Math.round(amount * (suffix === "b" ? 1 : plainUnit));
  }
  return Math.round(amount * 1024 ** (UNIT_POWERS[suffix] ?? 0));
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatPercent(value: number): string {
  return `${value >= 10 || value === 0 ? Math.round(value) : value.toFixed(1)}%`;
}

/**
 * A process, unit or path name for a title or summary: control characters and backticks removed
 * (the summary quotes names in code spans) and cut to 120 characters, so a hostile process name
 * cannot add lines or break out of its quotes. The report renderer escapes the rest.
 */
export function displayName(value: string, keepBackticks = false): string {
  // Backticks become ' where the name goes into a code span of ATL's own; `code()` keeps them (mdCode).
  const clean = value.replace(/\p{Cc}/gu, "").replace(/`/g, keepBackticks ? "`" : "'").trim();
  return clean.length > 120 ? `${clean.slice(0, 119)}…` : clean || "?";
}

/** Splits a table row into `count` columns, the last one taking the rest of the line. */
export function columns(line: string, count: number): string[] | null {
  const parts = line.trim().split(/\s+/);
  if (parts.length < count) {
    return null;
  }
  return [...parts.slice(0, count - 1), parts.slice(count - 1).join(" ")];
}

/** Evidence lines as printed (never rewritten): at most `max` lines, each cut at `maxChars`. */
export function excerpt(linesToQuote: string[], max = 8, maxChars = 400): string {
  return linesToQuote
    .filter((l) => l.trim().length > 0)
    .slice(0, max)
    .map((l) => (l.length > maxChars ? l.slice(0, maxChars) : l).trimEnd())
    .join("\n");
}
