// Syntax-level mutations for the property tests: render a Program with random but equivalent
// quoting, then insert what an attacker would (substitutions, redirections, separators, newlines,
// wrappers, assignments, quoting tricks) between, before, after or inside tokens.
import type { Program, Stage } from "../../src/policy";
import { asWritten } from "./oracle";

// ---- rendering a Program with random (equivalent) quoting -----------------------------------

export const quoteStyles = ["plain", "single", "double", "backslash", "mixed"] as const;

function quoteAs(arg: string, style: (typeof quoteStyles)[number]): string {
  const plainSafe = /^[A-Za-z0-9_\-./:=,+%@]+$/.test(arg) && !/^[0-9]+$/.test(arg);
  switch (style) {
    case "plain":
      return plainSafe ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
    case "single":
      return `'${arg.replace(/'/g, `'\\''`)}'`;
    case "double":
      return /[$`\\"!]/.test(arg) ? `'${arg.replace(/'/g, `'\\''`)}'` : `"${arg}"`;
    case "backslash":
      return arg.length === 0 ? "''" : [...arg].map((ch) => (/[A-Za-z0-9]/.test(ch) ? ch : ch.charCodeAt(0) > 0x7e ? `'${ch}'` : `\\${ch}`)).join("");
    case "mixed": {
      if (arg.length < 2) {
        return quoteAs(arg, "single");
      }
      const cut = Math.floor(arg.length / 2);
      return quoteAs(arg.slice(0, cut), "single") + quoteAs(arg.slice(cut), "double");
    }
  }
}

/** A glob word: its pattern characters bare, the escaped (literal) runs quoted in the style. */
function patternAs(pattern: string, style: (typeof quoteStyles)[number]): string {
  let out = "";
  let literal = "";
  const flush = (): void => {
    if (literal.length > 0) {
      out += quoteAs(literal, style === "plain" ? "single" : style);
      literal = "";
    }
  };
  for (let k = 0; k < pattern.length; k++) {
    if (pattern[k] === "\\") {
      literal += pattern[++k];
    } else {
      flush();
      out += pattern[k];
    }
  }
  flush();
  return out;
}

function stageTokens(stage: Stage, style: (typeof quoteStyles)[number]): string[] {
  const tokens = stage.argv.map((a, k) => {
    const glob = stage.globs?.find((g) => g.index === k);
    return glob ? patternAs(glob.pattern, style) : quoteAs(a, style);
  });
  if (stage.stderrToStdout) {
    tokens.push("2>&1");
  }
  if (stage.stdoutToNull) {
    tokens.push(">/dev/null");
  }
  if (stage.stderrToNull && !stage.stderrToStdout) {
    tokens.push("2>/dev/null");
  }
  return tokens;
}

/** The tokens of a line that writes `program` (as written: without the words the policy adds). */
export function programTokens(program: Program, style: (typeof quoteStyles)[number]): string[] {
  const tokens: string[] = [];
  for (const step of asWritten(program).steps) {
    if (step.op) {
      tokens.push(step.op);
    }
    step.pipeline.stages.forEach((stage, k) => {
      if (k > 0) {
        tokens.push("|");
      }
      tokens.push(...stageTokens(stage, style));
    });
  }
  return tokens;
}

// ---- the constructs an attacker would insert -----------------------------------------------

export const INSERTS = [
  "$(id)", "`id`", "$HOME", "${HOME}", "$((1+1))", "$'\\x41'", '$"x"', "<(id)", ">(id)", "> /tmp/x", ">> /tmp/x", ">| /tmp/x",
  "< /etc/passwd", "<<EOF", "<<<x", "2>/tmp/x", "1>/tmp/x", "&>/dev/null", ">&2", "3>/dev/null", "&", ";", "&&", "||", "|", "|&",
  "\n", "\r", "\nrm -f /tmp/x", "; rm -f /tmp/x", "&& sh", "| sh", "| xargs rm", "(id)", "( id )", "{ id; }", "FOO=1", "PATH=/tmp",
  "sudo", "env", "eval", "exec", "source", ".", "nohup", "timeout 5", "watch", "bash -c", "*", "?", "[a]", "~", "~root", "{a,b}",
  "#", "# x", "!", "\\", "'", '"', "\u200b", "\u202e", "\u00a0", "\0", "ｒｍ", "rm -rf /", "/etc/shadow", "-delete", "-exec",
  "-f", "--follow", "-i", "-o /tmp/x", "e", "w /tmp/x", "system(\"id\")", "\\$(id)", "'$(id)'", '"$(id)"', "\"`id`\"",
];

export interface Mutation {
  program: Program;
  style: (typeof quoteStyles)[number];
  inserts: { text: string; at: number; mode: string }[];
}

export function mutate(input: Mutation): string {
  const tokens = programTokens(input.program, input.style);
  for (const ins of input.inserts) {
    const at = ins.at % (tokens.length + 1);
    if (ins.mode === "token" || at === tokens.length) {
      tokens.splice(at, 0, ins.text);
    } else if (ins.mode === "glued-before") {
      tokens[at] = ins.text + tokens[at];
    } else if (ins.mode === "glued-after") {
      tokens[at] = tokens[at] + ins.text;
    } else {
      const t = tokens[at];
      const cut = Math.floor(t.length / 2);
      tokens[at] = t.slice(0, cut) + ins.text + t.slice(cut);
    }
  }
  return tokens.join(" ");
}

