// The operator policy file (JSON): rules that add to or remove from the default read-only profile,
// e.g. allow `systemctl restart nginx` as mutating. Validated field by field; an error names the field.

import { readFileSync, statSync } from "node:fs";
import * as z from "zod/mini";
import { en } from "zod/locales";
import type { PolicyFile } from "./types";
import { errnoCode } from "../../../src/shared/errors";

/** A policy file that cannot be used; `field` is the JSON path of the first problem, if any. */
export class PolicyFileError extends Error {
  override readonly name = "PolicyFileError";
  constructor(
    message: string,
    readonly path: string,
    readonly field: string | null,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// zod/mini: the same checks at a fraction of the size (this file is bundled into the extension too).
const ruleSchema = z.strictObject({
  id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, "must be 1-64 letters, digits, dots, dashes, underscores or colons")),
  // A base name, or an absolute path matched exactly: no "." or ".." segment, no "//", no trailing "/".
  program: z.string().check(
    z.regex(/^([A-Za-z0-9][A-Za-z0-9._+-]{0,127}|(\/[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*){1,32})$/, "must be a program's base name (e.g. systemctl) or its absolute path (e.g. /opt/aws/amazon-ssm-agent/bin/amazon-ssm-agent), without spaces, . or .. segments"),
    z.maxLength(1024),
  ),
  args: z.optional(
    z
      .array(
        z.string().check(
          z.maxLength(4096),
          z.refine((a) => !/[\0\n\r]/.test(a), "must not contain NUL or newlines"),
        ),
      )
      .check(z.maxLength(64)),
  ),
  allowExtraArgs: z.optional(z.boolean()),
  risk: z.enum(["read-only", "mutating"]),
  effect: z.enum(["allow", "refuse"]),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

// zod/mini carries no messages of its own; English ones per parse, without changing zod's global config.
const englishErrors = en().localeError;

const fileSchema = z.strictObject({
  version: z.literal(1),
  rules: z.array(ruleSchema).check(z.maxLength(1000)),
});

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Validates parsed JSON as a policy file; `source` names it in errors. */
export function parsePolicyFile(data: unknown, source = "policy file"): PolicyFile {
  const result = fileSchema.safeParse(data, { error: englishErrors });
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = fieldPath(issue.path);
    const where = field.length > 0 ? `field "${field}"` : "the top level";
    throw new PolicyFileError(`Invalid ${source}: ${where}: ${issue.message}`, source, field.length > 0 ? field : null, 'Fix that field; the format is {"version":1,"rules":[{"id","program","args","allowExtraArgs","risk","effect","reason"}]} (see docs/policy.md).');
  }
  const ids = new Set<string>();
  result.data.rules.forEach((rule, index) => {
    if (ids.has(rule.id)) {
      throw new PolicyFileError(`Invalid ${source}: field "rules[${index}].id" repeats the id "${rule.id}"`, source, `rules[${index}].id`, "Give every rule its own id.");
    }
    ids.add(rule.id);
  });
  return result.data;
}

/** Reads and validates an operator policy file. */
export function loadPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    // Whoever can write the policy can allow any command. World-writable is refused; group-writable
    // is left to the operator (umask 002 systems create files that way).
    const mode = statSync(path).mode;
    if ((mode & 0o002) !== 0) {
      throw new PolicyFileError(
        `The policy file ${path} is writable by every user (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); anyone could allow any command`,
        path,
        null,
        `Run: chmod go-w ${path}`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof PolicyFileError) {
      throw error;
    }
    throw new PolicyFileError(`Cannot read the policy file ${path}: ${errnoCode(error) ?? String(error)}`, path, null, "Check the path given with --policy and that the agent's user may read it.", { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PolicyFileError(`The policy file ${path} is not valid JSON: ${(error as Error).message}`, path, null, "Fix the JSON syntax (a linter or `node -e 'JSON.parse(require(\"fs\").readFileSync(FILE))'` shows where).", { cause: error });
  }
  return parsePolicyFile(data, `policy file ${path}`);
}
