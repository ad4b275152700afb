// The language of the offline analysis and plans (the `atl.report.language` setting): English or
// Korean. Messages are written side by side at their call site, `say(en, ko)`, so neither drifts.

import type { ReportLanguage } from "../../shared/l10n";

/** The report language, under the name the runbooks use. */
export type Language = ReportLanguage;

export type Say = (en: string, ko: string) => string;

export function sayer(language: Language = "en"): Say {
  return language === "ko" ? (_en, ko) => ko : (en) => en;
}
