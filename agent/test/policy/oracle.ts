// A second opinion for the policy parser: mvdan-sh (the Go shell parser mvdan/sh, compiled to JS)
// parses a command line as bash would. `bashProgram` returns the Program bash would run when the
// line stays inside the subset ATL allows (path patterns included, as glob words), or null when
// bash would see anything else (an expansion, substitution, assignment, other redirection,
// background, brace or tilde, subshell…). Tests only.
import { createRequire } from "node:module";
import type { GlobWord, Program, Stage } from "../../src/policy/types";

interface Node {
  [key: string]: unknown;
}
interface Syntax {
  NewParser(...options: unknown[]): { Parse(src: string, name: string): Node };
  NodeType(node: unknown): string;
  Variant(variant: unknown): unknown;
  KeepComments(keep: boolean): unknown;
  LangBash: unknown;
}

const require = createRequire(import.meta.url);
const syntax = (require("mvdan-sh") as { syntax: Syntax }).syntax;
const parser = syntax.NewParser(syntax.KeepComments(true), syntax.Variant(syntax.LangBash));

// Operator numbers of mvdan/sh's syntax package (BinCmdOperator, RedirOperator).
const AND = 10;
const OR = 11;
const PIPE = 12;
const REDIRECT_OUT = 54;
const DUP_OUT = 59;

class Outside extends Error {}

const arr = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);

/** A word as bash reads it: its value after quote removal, and its pattern when it has an unquoted glob character. */
interface Word {
  value: string;
  pattern: string;
  glob: boolean;
}

/** A literal character in pattern syntax (quoted or escaped): escaped unless a letter, digit or "/". */
const literal = (text: string): string => [...text].map((c) => (/[A-Za-z0-9/]/.test(c) ? c : `\\${c}`)).join("");

/** Unquoted literal text: backslash escapes the next character; brace and tilde characters are outside the subset. */
function unquoted(raw: string, first: boolean, out: Word): void {
  for (let k = 0; k < raw.length; k++) {
    const ch = raw[k];
    if (ch === "\\") {
      const next = raw[k + 1] ?? "";
      out.value += next;
      out.pattern += literal(next);
      k++;
      continue;
    }
    if ("{}~".includes(ch) || (first && k === 0 && ch === "#")) {
      throw new Outside(`unquoted ${ch}`);
    }
    out.glob ||= "*?[".includes(ch);
    out.value += ch;
    out.pattern += ch;
  }
}

function inDoubleQuotes(raw: string): string {
  let out = "";
  for (let k = 0; k < raw.length; k++) {
    const ch = raw[k];
    if (ch === "\\" && "$`\"\\\n".includes(raw[k + 1] ?? "")) {
      out += raw[k + 1];
      k++;
      continue;
    }
    out += ch;
  }
  return out;
}

function word(w: Node): Word {
  const out: Word = { value: "", pattern: "", glob: false };
  arr(w.Parts).forEach((part, index) => {
    const type = syntax.NodeType(part);
    if (type === "Lit") {
      unquoted(String(part.Value), index === 0, out);
    } else if (type === "SglQuoted" && part.Dollar !== true) {
      out.value += String(part.Value);
      out.pattern += literal(String(part.Value));
    } else if (type === "DblQuoted" && part.Dollar !== true) {
      for (const inner of arr(part.Parts)) {
        if (syntax.NodeType(inner) !== "Lit") {
          throw new Outside(syntax.NodeType(inner));
        }
        const text = inDoubleQuotes(String(inner.Value));
        out.value += text;
        out.pattern += literal(text);
      }
    } else {
      throw new Outside(type);
    }
  });
  return out;
}

function stage(stmt: Node): Stage {
  if (stmt.Negated === true || stmt.Background === true || stmt.Coprocess === true) {
    throw new Outside("statement flags");
  }
  const cmd = stmt.Cmd as Node | null;
  if (!cmd || syntax.NodeType(cmd) !== "CallExpr" || arr(cmd.Assigns).length > 0) {
    throw new Outside(cmd ? syntax.NodeType(cmd) : "no command");
  }
  let fd1 = "out";
  let fd2 = "err";
  for (const r of arr(stmt.Redirs)) {
    const n = r.N ? String((r.N as Node).Value) : null;
    const target = word(r.Word as Node).value;
    if (r.Op === REDIRECT_OUT && target === "/dev/null" && (n === null || n === "1")) {
      fd1 = "null";
    } else if (r.Op === REDIRECT_OUT && target === "/dev/null" && n === "2") {
      fd2 = "null";
    } else if (r.Op === DUP_OUT && n === "2" && target === "1") {
      fd2 = fd1;
    } else {
      throw new Outside(`redirect ${String(r.Op)}`);
    }
  }
  const words = arr(cmd.Args).map(word);
  const globs: GlobWord[] = words.flatMap((w, index) => (w.glob ? [{ index, pattern: w.pattern }] : []));
  return {
    argv: words.map((w) => w.value),
    stdoutToNull: fd1 === "null",
    stderrToNull: fd2 === "null",
    stderrToStdout: fd2 === "out",
    ...(globs.length > 0 ? { globs } : {}),
  };
}

/** Flattens `a | b && c || d` (left-associative, | binding tighter) into steps. */
function steps(stmt: Node, op: ";" | "&&" | "||" | null, out: Program["steps"]): void {
  const cmd = stmt.Cmd as Node | null;
  if (cmd && syntax.NodeType(cmd) === "BinaryCmd" && (cmd.Op === AND || cmd.Op === OR)) {
    if (arr(stmt.Redirs).length > 0 || stmt.Negated === true || stmt.Background === true) {
      throw new Outside("flags on a list");
    }
    steps(cmd.X as Node, op, out);
    steps(cmd.Y as Node, cmd.Op === AND ? "&&" : "||", out);
    return;
  }
  out.push({ op, pipeline: { stages: pipeline(stmt) } });
}

function pipeline(stmt: Node): Stage[] {
  const cmd = stmt.Cmd as Node | null;
  if (cmd && syntax.NodeType(cmd) === "BinaryCmd") {
    if (cmd.Op !== PIPE || arr(stmt.Redirs).length > 0 || stmt.Negated === true || stmt.Background === true) {
      throw new Outside("pipe operator");
    }
    return [...pipeline(cmd.X as Node), ...pipeline(cmd.Y as Node)];
  }
  return [stage(stmt)];
}

/** The Program bash would run, or null when the line uses anything outside ATL's subset (or is not valid bash). */
export function bashProgram(command: string): Program | null {
  let file: Node;
  try {
    file = parser.Parse(command, "");
  } catch {
    return null;
  }
  try {
    if (arr(file.Last).length > 0) {
      throw new Outside("comment");
    }
    const out: Program["steps"] = [];
    arr(file.Stmts).forEach((stmt, index) => {
      if (arr(stmt.Comments).length > 0) {
        throw new Outside("comment");
      }
      steps(stmt, index === 0 ? null : ";", out);
    });
    return out.length > 0 ? { steps: out } : null;
  } catch (error) {
    if (error instanceof Outside) {
      return null;
    }
    throw error;
  }
}

/** A checked Program as the line wrote it: without the words the policy added (sampling counts, batch mode). */
export function asWritten(program: Program): Program {
  return {
    steps: program.steps.map((step) => ({
      op: step.op,
      pipeline: {
        stages: step.pipeline.stages.map(({ added, ...stage }) => {
          if (!added) {
            return stage;
          }
          const end = added.at + added.words.length;
          const globs = stage.globs?.map((g) => (g.index >= end ? { ...g, index: g.index - added.words.length } : g));
          return { ...stage, argv: [...stage.argv.slice(0, added.at), ...stage.argv.slice(end)], ...(globs ? { globs } : {}) };
        }),
      },
    })),
  };
}

/** A checked Program as it runs, without the note of which words were added. */
export function asRun(program: Program): Program {
  return { steps: program.steps.map((step) => ({ op: step.op, pipeline: { stages: step.pipeline.stages.map(({ added: _added, ...stage }) => stage) } })) };
}
