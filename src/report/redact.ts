// Reports are shared (saved, pasted into tickets, kept in the output channel): secrets in command
// output or alarm text are redacted in every rendered report, with the same rules as LLM prompts.
// The report data itself (what the chat panel shows the operator) stays as the host returned it.
import type { DiagnosisReport } from "../graph/diagnosis";
import { createRedactor, type Redactor } from "../llm/redact";

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
  return mapStrings(report, (text) => redactor.redact(text).text);
}

function mapStrings<T>(value: T, fn: (text: string) => string): T {
  if (typeof value === "string") {
    return fn(value) as T;
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => mapStrings(item, fn)) as T;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = mapStrings(item, fn);
    }
    return out as T;
  }
  return value;
}
