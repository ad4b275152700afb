// How ATL writes a moment and a count for people, the same in every view (chat panel, tooltips,
// pickers, reports, the CLI): one localized date-and-time format, and plural forms chosen by the
// language's rules (English: one/other; Korean has one form), and a host by its name.

/**
 * `Nov 25, 2026, 3:12:45 AM UTC` / `2026. 11. 25. 오전 3시 12분 45초 UTC`: the date, the time to the
 * second and the time zone (reports travel between people in different zones). Text that is not
 * a date is returned as it is.
 */
export function formatDateTime(iso: string, locale: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "long", ...(timeZone ? { timeZone } : {}) }).format(date);
  } catch {
    // An unknown locale or zone: still one unambiguous form.
    return date.toISOString();
  }
}

/** The date part of `formatDateTime`, for compact places (a list's description). */
export function formatDate(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

export interface PluralForms {
  /** The form for a count the language calls "one" (English: 1). */
  one: string;
  other: string;
}

/** The form of `forms` that fits `count` in `locale`. */
export function pluralForm(count: number, locale: string, forms: PluralForms): string {
  let rule: Intl.LDMLPluralRule;
  try {
    rule = new Intl.PluralRules(locale).select(count);
  } catch {
    rule = new Intl.PluralRules("en").select(count);
  }
  return rule === "one" ? forms.one : forms.other;
}

/** `prod-web-01 (i-0a1b…)`, or just the name when the id is the same ("demo-host", not "demo-host (demo-host)"). */
export function hostLabel(host: { id: string; name: string }): string {
  return host.name === host.id ? host.name : `${host.name} (${host.id})`;
}
