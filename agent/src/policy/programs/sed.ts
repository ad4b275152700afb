// sed scripts: only printing and editing of the stream. The `e` command and `s///e` run commands,
// `w`/`W` and `s///w` write files, `r`/`R` read other files; they are refused, as is anything the
// reader below does not recognise.

import { own } from "../own";
import { argumentRefusal, options, type ParsedArgs } from "../options";

const SIMPLE_COMMANDS = new Set(["p", "P", "=", "d", "D", "l", "n", "N", "g", "G", "h", "H", "x", "z", "F"]);

class SedScript {
  private i = 0;
  constructor(private readonly s: string) {}

  private fail(reason: string): never {
    throw argumentRefusal("script", `sed script: ${reason}`);
  }

  private skipBlanks(): void {
    while (this.s[this.i] === " " || this.s[this.i] === "\t") {
      this.i++;
    }
  }

  /** Reads up to the unescaped delimiter; returns false at the end of the script. */
  private readDelimited(delim: string): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === "\\") {
        this.i += 2;
        continue;
      }
      if (c === delim) {
        this.i++;
        return;
      }
      this.i++;
    }
    this.fail(`unterminated "${delim}"`);
  }

  private readAddress(): boolean {
    const c = this.s[this.i];
    if (c === undefined) {
      return false;
    }
    if (/[0-9]/.test(c)) {
      while (/[0-9~]/.test(this.s[this.i] ?? "")) {
        this.i++;
      }
      return true;
    }
    if (c === "$") {
      this.i++;
      return true;
    }
    if (c === "/" || c === "\\") {
      let delim = "/";
      if (c === "\\") {
        delim = this.s[this.i + 1] ?? "";
        if (delim === "" || delim === "\n" || delim === "\\") {
          this.fail("bad address delimiter");
        }
        this.i += 2;
      } else {
        this.i++;
      }
      this.readDelimited(delim);
      while (this.s[this.i] === "I" || this.s[this.i] === "M") {
        this.i++;
      }
      return true;
    }
    return false;
  }

  check(): void {
    let depth = 0;
    while (this.i < this.s.length) {
      this.skipBlanks();
      const c0 = this.s[this.i];
      if (c0 === undefined) {
        break;
      }
      if (c0 === ";") {
        this.i++;
        continue;
      }
      if (c0 === "}") {
        depth--;
        if (depth < 0) {
          this.fail('unexpected "}"');
        }
        this.i++;
        continue;
      }
      if (this.readAddress()) {
        this.skipBlanks();
        if (this.s[this.i] === ",") {
          this.i++;
          this.skipBlanks();
          if (this.s[this.i] === "+" || this.s[this.i] === "~") {
            this.i++;
          }
          if (!this.readAddress()) {
            this.fail("bad address range");
          }
        }
        this.skipBlanks();
      }
      if (this.s[this.i] === "!") {
        this.i++;
        this.skipBlanks();
      }
      const cmd = this.s[this.i];
      if (cmd === undefined) {
        this.fail("address without a command");
      }
      this.i++;
      if (cmd === "{") {
        depth++;
        continue;
      }
      if (SIMPLE_COMMANDS.has(cmd)) {
        this.endOfCommand();
        continue;
      }
      if (cmd === "q" || cmd === "Q") {
        this.skipBlanks();
        while (/[0-9]/.test(this.s[this.i] ?? "")) {
          this.i++;
        }
        this.endOfCommand();
        continue;
      }
      if (cmd === "s" || cmd === "y") {
        const delim = this.s[this.i];
        if (delim === undefined || delim === "\\" || delim === "\n" || delim === " ") {
          this.fail(`bad delimiter after "${cmd}"`);
        }
        this.i++;
        this.readDelimited(delim);
        this.readDelimited(delim);
        if (cmd === "s") {
          while (this.i < this.s.length && !/[;} \t]/.test(this.s[this.i])) {
            const flag = this.s[this.i];
            if (!/[gpiImM0-9]/.test(flag)) {
              this.fail(flag === "e" ? "the e flag runs the pattern space as a command" : flag === "w" ? "the w flag writes a file" : `flag "${flag}" is not allowed`);
            }
            this.i++;
          }
        }
        this.endOfCommand();
        continue;
      }
      const why: Record<string, string> = {
        e: "the e command runs a command",
        w: "the w command writes a file",
        W: "the W command writes a file",
        r: "the r command reads another file",
        R: "the R command reads another file",
      };
      this.fail(own(why, cmd) ?? `command "${cmd}" is not allowed (allowed: p = d q l n N s y and addresses)`);
    }
    if (depth !== 0) {
      this.fail('unbalanced "{"');
    }
  }

  private endOfCommand(): void {
    this.skipBlanks();
    const c = this.s[this.i];
    if (c !== undefined && c !== ";" && c !== "}") {
      this.fail(`unexpected "${c}" after a command`);
    }
  }
}

export function checkSedScript(script: string): void {
  new SedScript(script).check();
}

/** sed's options: no -i (edits files in place), no -f (a script from a file the policy cannot see). */
export const SED_OPTIONS = options("-n|--quiet|--silent -e|--expression= -l|--line-length= -r|-E|--regexp-extended -s|--separate -u|--unbuffered -z|--null-data --posix --debug --sandbox --follow-symlinks -b|--binary", {
  denied: {
    i: "sed -i edits files in place",
    "in-place": "sed --in-place edits files in place",
    f: "sed -f reads its script from a file the policy cannot see",
    file: "sed --file reads its script from a file the policy cannot see",
  },
});

/** The scripts (-e, or the first operand) must pass checkSedScript. */
export function checkSed(_args: readonly string[], parsed: ParsedArgs): void {
  const scripts = parsed.options.filter((o) => o.name === "e" || o.name === "expression").map((o) => o.value ?? "");
  if (scripts.length === 0) {
    const first = parsed.operands[0];
    if (first === undefined) {
      throw argumentRefusal("script", "sed without a script");
    }
    scripts.push(first);
  }
  for (const script of scripts) {
    checkSedScript(script);
  }
}
