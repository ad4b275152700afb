// A second opinion for the policy parser: mvdan-sh (the Go shell parser mvdan/sh, compiled to JS)
// parses a command line as bash would. `bashProgram` returns the Program bash would run when the
// line stays inside the subset ATL allows, or null when bash would see anything else (an
// expansion, substitution, assignment, other redirection, background, glob, subshell…). Tests only.
import { createRequire } from "node:module";
import type { Program, Stage } from "../../src/policy/types";

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

/** Unquoted literal text: backslash escapes the next character; glob, tilde and brace characters are outside the subset. */
function unquoted(raw: string, first: boolean): string {
  let out = "";
  for (let k = 0; k < raw.length; k++) {
    const ch = raw[k];
    if (ch === "\\") {
      out += raw[k + 1] ?? "";
      k++;
      continue;
    }
    if ("*?[{}~".includes(ch) || (first && k === 0 && ch === "#")) {
      throw new Outside(`unquoted ${ch}`);
    }
    out += ch;
  }
  return out;
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

function word(w: Node): string {
  let out = "";
  arr(w.Parts).forEach((part, index) => {
    const type = syntax.NodeType(part);
    if (type === "Lit") {
      out += unquoted(String(part.Value), index === 0);
    } else if (type === "SglQuoted" && part.Dollar !== true) {
      out += String(part.Value);
    } else if (type === "DblQuoted" && part.Dollar !== true) {
      for (const inner of arr(part.Parts)) {
        if (syntax.NodeType(inner) !== "Lit") {
          throw new Outside(syntax.NodeType(inner));
        }
        out += inDoubleQuotes(String(inner.Value));
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
    const target = word(r.Word as Node);
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
  const argv = arr(cmd.Args).map(word);
  return { argv, stdoutToNull: fd1 === "null", stderrToNull: fd2 === "null", stderrToStdout: fd2 === "out" };
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
