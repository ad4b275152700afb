// The language of the offline analysis and plans (the `atl.report.language` setting): English or
// Korean. Messages are written side by side at their call site, `say(en, ko)`, so neither drifts.

export type Language = "en" | "ko";

export type Say = (en: string, ko: string) => string;

export function sayer(language: Language = "en"): Say {
  return language === "ko" ? (_en, ko) => ko : (en) => en;
}
