// Secret redaction for text that is about to reach an LLM (alarm fields, command output, user
// text). Built-in rules cover the secrets that show up in host output; users add their own
// regular expressions (`atl.llm.redactionPatterns`). No LangChain here: the extension may use it.

import { plain, plainText, replaceRich, type RichText } from "../shared/richText";

export const REDACTED = "[REDACTED]";

interface Rule {
  name: string;
  pattern: RegExp;
  /** Replacement; `$1` etc. keep the non-secret part (e.g. the key name of `password=…`). */
  replace: string;
}

// Order matters: whole blocks and structured tokens first, then generic `key=value` pairs.
const BUILT_IN: Rule[] = [
  {
    name: "private-key",
    pattern: /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: `-----BEGIN $1----- ${REDACTED} -----END $1-----`,
  },
  { name: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, replace: REDACTED },
  { name: "aws-access-key-id", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g, replace: REDACTED },
  {
    name: "aws-secret-access-key",
    pattern: /\b((?:aws_?)?secret_?access_?key|SecretAccessKey|aws_secret)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}/gi,
    replace: `$1$2${REDACTED}`,
  },
  // A bare 40-character base64 string with upper, lower and digits looks like an AWS secret key.
  {
    name: "aws-secret-like",
    pattern: /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    replace: REDACTED,
  },
  { name: "url-password", pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, replace: `$1${REDACTED}@` },
  {
    name: "authorization-header",
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)((?:basic|bearer|token|digest|negotiate|aws4-hmac-sha256)\s+)?[^\s"',;]+/gi,
    replace: `$1$2${REDACTED}`,
  },
  { name: "bearer-token", pattern: /\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, replace: `$1 ${REDACTED}` },
  { name: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, replace: REDACTED },
  { name: "slack-token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, replace: REDACTED },
  { name: "api-key-sk", pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g, replace: REDACTED },
  {
    name: "secret-pair",
    pattern:
      /\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s,;&"']+)/gi,
    replace: `$1$2${REDACTED}`,
  },
];

export interface RedactionResult {
  text: string;
  /** Number of replaced spans. */
  count: number;
}

export interface RichRedactionResult {
  text: RichText;
  count: number;
}

export interface Redactor {
  redact(text: string): RedactionResult;
  /** The same over formatted text: a secret that crosses runs (`password=` + a code span) is found. */
  redactRich(text: RichText): RichRedactionResult;
  /** User patterns that are not valid regular expressions (ignored), for a warning. */
  readonly invalidPatterns: string[];
}

/** Builds a redactor from the built-in rules plus the user's patterns (matches become [REDACTED]). */
export function createRedactor(userPatterns: readonly string[] = []): Redactor {
  const rules: Rule[] = [...BUILT_IN];
  const invalidPatterns: string[] = [];
  for (const source of userPatterns) {
    if (source.trim() === "") {
      continue;
    }
    try {
      rules.push({ name: "user", pattern: new RegExp(source, "g"), replace: REDACTED });
    } catch {
      invalidPatterns.push(source);
    }
  }
  /** Every rule over the text of all runs together, so a secret split by a code span is found. */
  const redactRich = (text: RichText): RichRedactionResult => {
    let count = 0;
    let out = text;
    for (const rule of rules) {
      out = replaceRich(out, rule.pattern, (match) => {
        const replacement = expand(rule.replace, match);
        if (replacement !== match[0]) {
          count += 1;
        }
        return replacement;
      });
    }
    return { text: out, count };
  };
  return {
    invalidPatterns,
    redactRich,
    redact(text: string): RedactionResult {
      const result = redactRich(plain(text));
      return { text: plainText(result.text), count: result.count };
    },
  };
}

/** `$1`-style expansion against a match (missing groups become ""). */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\d)/g, (_m, digit: string) => match[Number(digit)] ?? "");
}
