// The language of the offline analysis and plans (the `atl.report.language` setting): English or
// Korean. Messages are written side by side at their call site, `say(en, ko)`, so neither drifts.
// Korean particles after a name (이/가, 은/는…) follow its last sound: `josa(name, "이")`.

import type { ReportLanguage } from "../../shared/l10n";

/** The report language, under the name the runbooks use. */
export type Language = ReportLanguage;

export type Say = (en: string, ko: string) => string;

export function sayer(language: Language = "en"): Say {
  return language === "ko" ? (_en, ko) => ko : (en) => en;
}

/** Korean particles whose form follows the sound that ends the word before them. */
export type Particle = "이" | "은" | "을" | "과" | "으로";

/** Each particle after a consonant, after a vowel, and when it cannot be told: "이(가)". */
const FORMS: Record<Particle, [string, string, string]> = {
  이: ["이", "가", "이(가)"],
  은: ["은", "는", "은(는)"],
  을: ["을", "를", "을(를)"],
  과: ["과", "와", "과(와)"],
  으로: ["으로", "로", "(으)로"],
};

type Ending = "consonant" | "rieul" | "vowel";

/** How digits are read (일, 이, 삼…): the last one decides, and a trailing 0 is 십/백/천/만/영. */
const DIGIT: Ending[] = ["consonant", "rieul", "vowel", "consonant", "vowel", "vowel", "consonant", "rieul", "rieul", "vowel"];

/** Letters read one by one in an acronym (DNS, OOM, CPU): 엘 and 알 end in ㄹ, 엠 and 엔 in a consonant. */
function letterName(letter: string): Ending {
  return letter === "L" || letter === "R" ? "rieul" : letter === "M" || letter === "N" ? "consonant" : "vowel";
}

/**
 * The sound a word ends with as a Korean reader says it, or null when it cannot be told (Latin
 * words ending in t, k, p, b, c…: "kubelet" is 큐블릿 but "script" is 스크립트).
 */
function ending(word: string): Ending | null {
  // A parenthesis after the word does not count ("`nginx` (pid 12)은" reads as "nginx는"), nor do quotes, code marks, slashes.
  const text = word.replace(/(\s*\([^()]*\))+\s*$/, "").replace(/[\s`'"’”)\]}/.,;:!?-]+$/, "");
  const last = text.slice(-1);
  if (!last) {
    return null;
  }
  const code = last.charCodeAt(0);
  if (code >= 0xac00 && code <= 0xd7a3) {
    const final = (code - 0xac00) % 28;
    return final === 0 ? "vowel" : final === 8 ? "rieul" : "consonant";
  }
  if (/\d/.test(last)) {
    return last === "0" ? "consonant" : DIGIT[Number(last)];
  }
  if (last === "%") {
    return "vowel";
  }
  const latin = /[A-Za-z]+$/.exec(text)?.[0];
  if (!latin) {
    return null;
  }
  // An acronym is read letter by letter.
  if (latin.length <= 5 && latin === latin.toUpperCase()) {
    return letterName(latin.slice(-1));
  }
  const w = latin.toLowerCase();
  if (/(ng|m|n|[mn]e)$/.test(w)) {
    return "consonant";
  }
  if (/(l|[^aeiou]le)$/.test(w)) {
    return "rieul";
  }
  // -eg is 펙 (jpeg, ffmpeg) where -og, -ug, -ag are 그 (log, debug, flag): left undecided.
  if (/([aeiouyw]|[^aeiou][aeiou]?r|[sxzfvdh]|[^e]g|[^aeiou]e)$/.test(w)) {
    return "vowel";
  }
  return null;
}

/** The form of `particle` that follows `word`: "가" after "nginx", "는" after "서비스", "이(가)" after "kubelet" (unsure). */
export function particle(word: string | number, which: Particle): string {
  const [consonant, vowel, either] = FORMS[which];
  const end = ending(String(word));
  if (end === null) {
    return either;
  }
  if (which === "으로") {
    return end === "consonant" ? consonant : vowel;
  }
  return end === "vowel" ? vowel : consonant;
}

/** `word` followed by the form of `which` its last sound calls for: "nginx가", "서비스는", "pid 13을". */
export function josa(word: string | number, which: Particle): string {
  return `${word}${particle(word, which)}`;
}
