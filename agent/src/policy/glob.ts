// Pathname expansion as bash does it, done by ATL itself (no shell runs the command): `*`, `?` and
// `[…]` match within one path component; names starting with "." only when the pattern's component
// starts with a literal "."; "." and ".." never; a trailing "/" keeps directories only; matches sorted
// (C.UTF-8 order). A pattern that matches nothing stays as written (bash's default), so a quoted-or-
// not `grep -r --include=*.conf` or `ps aux | grep [n]ginx` behaves as in bash. Bounded: too many
// directories read or names produced refuses the command instead of running a partial one.

import { lstat, opendir, stat } from "node:fs/promises";
import { posix } from "node:path";
import type { DirectoryReader } from "./types";

/** Most names one command line may expand to, and most directories it may read to find them. */
export const MAX_GLOB_MATCHES = 4096;
export const MAX_GLOB_DIRECTORIES = 256;
/** Most entries read from one directory. */
export const MAX_DIRECTORY_ENTRIES = 100_000;

/** Expansion could not be done within the bounds, or a directory could not be read as expected. */
export class GlobError extends Error {
  override readonly name = "GlobError";
}

/** Counts what one command line's expansion has used. */
export class GlobBudget {
  private matches = 0;
  private directories = 0;

  readDirectory(dir: string): void {
    if (++this.directories > MAX_GLOB_DIRECTORIES) {
      throw new GlobError(`the patterns read more than ${MAX_GLOB_DIRECTORIES} directories (at ${dir}); name fewer or narrower patterns`);
    }
  }

  produce(pattern: string, count: number): void {
    this.matches += count;
    if (this.matches > MAX_GLOB_MATCHES) {
      throw new GlobError(`${pattern} and the other patterns match more than ${MAX_GLOB_MATCHES} names; narrow them`);
    }
  }
}

/** Whether a pattern component has an unescaped `*`, `?` or `[`. */
function isPattern(component: string): boolean {
  for (let k = 0; k < component.length; k++) {
    const c = component[k];
    if (c === "\\") {
      k++;
    } else if (c === "*" || c === "?" || c === "[") {
      return true;
    }
  }
  return false;
}

/** The component with escapes removed (a literal name). */
function unescape(component: string): string {
  return component.replace(/\\([\s\S])/g, "$1");
}

// Regular-expression syntax characters (outside and inside a character class, with the u flag).
const escapeOutside = (c: string): string => (/[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c);
const escapeInside = (c: string): string => (/[\\\]^[-]/.test(c) ? `\\${c}` : c);

/** POSIX character classes in the C locale. */
const CLASSES: Record<string, string> = {
  alpha: "a-zA-Z",
  digit: "0-9",
  alnum: "a-zA-Z0-9",
  upper: "A-Z",
  lower: "a-z",
  space: " \\t\\n\\v\\f\\r",
  blank: " \\t",
  punct: "!-\\/:-@\\[-`{-~",
  print: " -~",
  graph: "!-~",
  cntrl: "\\x00-\\x1f\\x7f",
  xdigit: "0-9A-Fa-f",
  word: "a-zA-Z0-9_",
};

/**
 * A bracket expression starting at `start` (`[`): the regex class and where it ends, or null when
 * it is not one (no closing `]`, an unknown class): then `[` is an ordinary character, as in bash.
 */
function bracket(pattern: string, start: number): { regex: string; end: number } | null {
  let k = start + 1;
  let negate = false;
  if (pattern[k] === "!" || pattern[k] === "^") {
    negate = true;
    k++;
  }
  let body = "";
  let first = true;
  while (k < pattern.length) {
    let c = pattern[k];
    if (c === "]" && !first) {
      // Only inverted ranges (z-a) left nothing: such a class matches nothing, negated any character.
      const regex = body === "" ? (negate ? "[^]" : "(?!)") : `[${negate ? "^" : ""}${body}]`;
      return { regex, end: k + 1 };
    }
    first = false;
    if (c === "[" && ":=.".includes(pattern[k + 1] ?? "")) {
      const kind = pattern[k + 1];
      const close = pattern.indexOf(`${kind}]`, k + 2);
      if (close < 0) {
        return null;
      }
      const name = pattern.slice(k + 2, close);
      if (kind === ":") {
        if (!Object.hasOwn(CLASSES, name)) {
          return null;
        }
        body += CLASSES[name];
      } else {
        // [=c=] and [.c.]: the character itself (the C locale has no equivalence classes).
        body += [...unescape(name)].map(escapeInside).join("");
      }
      k = close + 2;
      continue;
    }
    if (c === "\\" && k + 1 < pattern.length) {
      k++;
      c = pattern[k];
    }
    // A range a-b (a "-" first or last is literal).
    if (pattern[k + 1] === "-" && pattern[k + 2] !== undefined && pattern[k + 2] !== "]") {
      let to = pattern[k + 2];
      let next = k + 3;
      if (to === "\\" && k + 3 < pattern.length) {
        to = pattern[k + 3];
        next = k + 4;
      }
      // An inverted range (z-a) matches nothing, as in bash.
      if ((to.codePointAt(0) ?? 0) >= (c.codePointAt(0) ?? 0)) {
        body += `${escapeInside(c)}-${escapeInside(to)}`;
      }
      k = next;
      continue;
    }
    body += escapeInside(c);
    k++;
  }
  return null;
}

const compiled = new Map<string, RegExp>();

/** One path component's pattern as a regular expression over a whole name (compiled once per pattern). */
export function componentRegex(component: string): RegExp {
  let regex = compiled.get(component);
  if (!regex) {
    // Patterns come from commands: bound the cache rather than grow with every one seen.
    if (compiled.size >= 1000) {
      compiled.clear();
    }
    regex = compileComponent(component);
    compiled.set(component, regex);
  }
  return regex;
}

function compileComponent(component: string): RegExp {
  let source = "";
  for (let k = 0; k < component.length; k++) {
    const c = component[k];
    if (c === "\\" && k + 1 < component.length) {
      source += escapeOutside(component[++k]);
    } else if (c === "*") {
      source += "[^]*";
    } else if (c === "?") {
      source += "[^]";
    } else if (c === "[") {
      const b = bracket(component, k);
      if (b) {
        source += b.regex;
        k = b.end - 1;
      } else {
        source += "\\[";
      }
    } else {
      source += escapeOutside(c);
    }
  }
  return new RegExp(`^(?:${source})$`, "u");
}

/** UTF-8 byte order: what bash's sort gives in the C.UTF-8 locale. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The names a pattern matches on the host, sorted; [] when none (the caller keeps the word). A
 * relative pattern gives relative names, from `reader.cwd`.
 */
export async function expandPattern(pattern: string, reader: DirectoryReader, budget: GlobBudget): Promise<string[]> {
  const components = pattern.split("/");
  const absolute = pattern.startsWith("/");
  // Results as they will be written (prefixes), from the start of the pattern.
  let found: string[] = [absolute ? "/" : ""];
  const start = absolute ? 1 : 0;
  const directoriesOnly = components.length > 1 && components[components.length - 1] === "";
  const last = directoriesOnly ? components.length - 2 : components.length - 1;
  for (let k = start; k <= last; k++) {
    const component = components[k];
    const final = k === last;
    const next: string[] = [];
    if (!isPattern(component)) {
      const name = unescape(component);
      for (const prefix of found) {
        const path = prefix + name;
        // bash checks that a literal last component exists (lstat); inner ones are checked when read.
        if (!final || (await reader.exists(onHost(path, reader)))) {
          next.push(final ? path : `${path}/`);
        }
      }
    } else {
      const regex = componentRegex(component);
      const dotsToo = component.startsWith(".") || component.startsWith("\\.");
      for (const prefix of found) {
        const dir = onHost(prefix === "" ? "." : prefix, reader);
        budget.readDirectory(dir);
        const entries = await reader.list(dir);
        for (const entry of entries ?? []) {
          // Names that are not valid UTF-8 cannot be passed on faithfully: leave them out.
          if ((entry.name.startsWith(".") && !dotsToo) || entry.name.includes("\uFFFD") || !regex.test(entry.name)) {
            continue;
          }
          if (!final || directoriesOnly) {
            if (entry.directory) {
              next.push(`${prefix}${entry.name}/`);
            }
          } else {
            next.push(prefix + entry.name);
          }
        }
      }
    }
    found = next;
    if (found.length === 0) {
      return [];
    }
  }
  const names = directoriesOnly ? found : found.map((f) => (f.length > 1 && f.endsWith("/") ? f.slice(0, -1) : f));
  budget.produce(pattern, names.length);
  return names.sort(byteOrder);
}

/** Where a written path is on the host: absolute as is, relative below the reader's directory. */
function onHost(path: string, reader: DirectoryReader): string {
  return path.startsWith("/") ? path : posix.join(reader.cwd, path);
}

/** This host's directories (the agent expands patterns where its commands run). */
export function hostDirectoryReader(cwd = "/"): DirectoryReader {
  return {
    cwd,
    async list(dir) {
      let handle;
      try {
        handle = await opendir(dir);
      } catch {
        return null;
      }
      const entries: { name: string; directory: boolean }[] = [];
      try {
        for await (const entry of handle) {
          if (entries.length >= MAX_DIRECTORY_ENTRIES) {
            throw new GlobError(`${dir} has more than ${MAX_DIRECTORY_ENTRIES} entries; name the files`);
          }
          let directory = entry.isDirectory();
          if (entry.isSymbolicLink()) {
            directory = await stat(posix.join(dir, entry.name)).then((s) => s.isDirectory(), () => false);
          }
          entries.push({ name: entry.name, directory });
        }
      } catch (error) {
        if (error instanceof GlobError) {
          throw error;
        }
        return null;
      }
      return entries;
    },
    exists: (path) => lstat(path).then(() => true, () => false),
  };
}
