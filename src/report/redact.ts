// Reports are shared (saved, pasted into tickets, kept in the output channel): secrets in command
// output or alarm text are redacted in every rendered report, with the same rules as LLM prompts.
// The report data itself (what the chat panel shows the operator) stays as the host returned it.
import type { DiagnosisReport } from "../graph/diagnosis";
import { createRedactor, type Redactor } from "../llm/redact";
import { isRichText } from "../shared/richText";

export interface RenderOptions {
  /** Redact secrets in the rendered text. Default true. */
  redact?: boolean;
  /** Extra patterns (the `atl.llm.redactionPatterns` setting). */
  redactionPatterns?: string[];
  /** IANA time zone of the dates (default: this machine's). */
  timeZone?: string;
}

const defaultRedactor = createRedactor();

/** A copy of the report with every string redacted (ids and enums have nothing to match). */
export function redactReport(report: DiagnosisReport, options: RenderOptions = {}): DiagnosisReport {
  if (options.redact === false) {
    return report;
  }
  const redactor: Redactor = options.redactionPatterns?.length ? createRedactor(options.redactionPatterns) : defaultRedactor;
  return redactValue(report, redactor);
}

/**
 * Every string redacted; formatted text (RichText with a code span) as a whole, so a secret split
 * between a plain run and a code span is found. An array of plain strings is a list of separate
 * values, each redacted alone (a plain-only RichText is one string after normalizing).
 */
function redactValue<T>(value: T, redactor: Redactor): T {
  if (typeof value === "string") {
    return redactor.redact(value).text as T;
  }
  if (Array.isArray(value)) {
    if (value.some((item) => typeof item === "object" && item !== null) && isRichText(value)) {
      return redactor.redactRich(value).text as T;
    }
    return value.map((item: unknown) => redactValue(item, redactor)) as T;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = redactValue(item, redactor);
    }
    return out as T;
  }
  return value;
}
