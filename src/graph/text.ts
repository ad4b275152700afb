// User-facing sentences the graph writes itself (not the LLM), in English and Korean.
import { pluralForm } from "../shared/format";
import type { Incident, IncidentFilter } from "../alarms/model";
import type { Analysis, Finding } from "./diagnosis";
import type { ReportLanguage } from "../shared/l10n";
import { code, joinRich, plain, plainText, rich, type RichText } from "../shared/richText";


export function hostNotFound(id: string, language: ReportLanguage): string {
  return language === "ko"
    ? `호스트 "${id}"가 인벤토리(atl.hosts)에 없습니다. 목록에서 호스트를 선택하세요.`
    : `The host "${id}" is not in the inventory (atl.hosts). Pick one of the configured hosts.`;
}

/** An alarm names hosts (instance ids, CWAgent host names) that are not in the inventory. */
export function alarmHostNotInInventory(alarmName: string, named: readonly string[], mentioned: string | null, language: ReportLanguage): string {
  const ids = named.map((n) => `"${n}"`).join(", ");
  const first = named[0] ?? "";
  if (language === "ko") {
    return [
      `알람 "${alarmName}"의 호스트 ${ids}이(가) 인벤토리(atl.hosts 또는 --hosts 파일)에 없습니다. ATL은 다른 호스트에서 진단하지 않습니다.`,
      mentioned ? `알람 이름에 ${mentioned}이(가) 들어 있습니다. 같은 호스트라면 ${mentioned}의 aliases에 "${first}"를 추가하세요.` : `ATL: Add host로 id "${first}"인 호스트를 추가하거나, 해당 호스트의 aliases에 "${first}"를 추가하세요.`,
      "또는 아래에서 진단할 호스트를 직접 선택하세요.",
    ].join(" ");
  }
  return [
    `The alarm "${alarmName}" is about ${ids}, which is not in the host inventory (atl.hosts, or the --hosts file). ATL does not diagnose it on another host.`,
    mentioned ? `Its name mentions ${mentioned}: if that is the same machine, add "${first}" to the aliases of ${mentioned}.` : `Add the host with ATL: Add host (id "${first}"), or add "${first}" to the aliases of the host it is.`,
    "Or pick the host to diagnose below.",
  ].join(" ");
}

export function noHostFor(alarmName: string | null, hostCount: number, language: ReportLanguage): string {
  if (hostCount === 0) {
    return language === "ko"
      ? "설정된 호스트가 없습니다. atl.hosts에 호스트를 추가하세요 (ATL: Add host)."
      : "No hosts are configured. Add one to atl.hosts (ATL: Add host).";
  }
  if (alarmName) {
    return language === "ko"
      ? `알람 "${alarmName}"이(가) 어느 호스트의 것인지 알 수 없습니다. 진단할 호스트를 선택하세요.`
      : `ATL cannot tell which host the alarm "${alarmName}" is about. Pick the host to diagnose.`;
  }
  return language === "ko" ? "어느 호스트를 진단할까요? 호스트를 선택하거나 메시지에 이름을 적어 주세요." : "Which host should ATL look at? Pick one, or name it in your message.";
}

export function alternativeRationale(runbookRationale: string, language: ReportLanguage): string {
  return language === "ko"
    ? `거절된 명령을 제외한 대안 계획입니다. ${runbookRationale}`
    : `An alternative plan without the rejected commands. ${runbookRationale}`;
}

export function nothingElseToPropose(language: ReportLanguage): string {
  return language === "ko"
    ? "더 제안할 명령이 없습니다. 확인할 내용을 메시지로 알려 주거나 명령을 직접 추가하세요."
    : "ATL has no other commands to propose. Tell it what to check, or add a command of your own.";
}

export function furtherCommandsRationale(language: ReportLanguage): string {
  return language === "ko" ? "분석에 필요한 증거가 더 있습니다: 아래 명령을 승인하면 분석을 보완합니다." : "The analysis needs more evidence: approve these commands to complete it.";
}

export function droppedEvidenceNote(droppedEvidence: number, droppedFindings: number, language: ReportLanguage): string {
  return language === "ko"
    ? `LLM이 인용한 근거 ${droppedEvidence}개가 실제 명령 출력에 없어 제외했습니다${droppedFindings > 0 ? ` (근거 없는 발견 ${droppedFindings}개 제외)` : ""}.`
    : `ATL dropped ${pluralForm(droppedEvidence, "en", { one: "1 excerpt", other: `${droppedEvidence} excerpts` })} the LLM cited that do not occur in the command output${droppedFindings > 0 ? ` and ${pluralForm(droppedFindings, "en", { one: "1 finding", other: `${droppedFindings} findings` })} left without evidence` : ""}.`;
}

export function culpritDroppedNote(reason: string, language: ReportLanguage): string {
  return language === "ko"
    ? `LLM이 지목한 원인을 근거가 없어 제외했습니다 (${reason}); 내장 파서의 판단을 씁니다.`
    : `ATL dropped the culprit the LLM named (${reason}); the parsers' verdict stands.`;
}

export function llmFallbackReason(message: string, language: ReportLanguage): string {
  return language === "ko" ? `LLM 분석 실패 (${message}): 내장 런북 분석 결과입니다.` : `The LLM analysis failed (${message}); this is the built-in runbook analysis.`;
}

const STOP_WORDS = new Set(["the", "and", "was", "what", "why", "how", "which", "that", "this", "does", "did", "is", "are", "for", "from", "with", "about", "there", "its", "it's", "can", "you", "tell", "me", "any"]);

/** A best-effort answer from the findings when no LLM is configured (or it failed). */
export function offlineAnswer(question: string, analysis: Analysis | null, findings: Finding[], runCount: number, llmConfigured: boolean, language: ReportLanguage): RichText {
  const ko = language === "ko";
  if (!analysis && runCount === 0) {
    return plain(
      ko
        ? "이 대화에서는 아직 수집한 증거가 없습니다. 먼저 확인할 내용을 요청하세요 (예: \"CPU 확인해줘\")."
        : "Nothing has been collected in this thread yet. Ask ATL to check something first (for example \"check CPU\").",
    );
  }
  const words = questionWords(question);
  const scored = findings
    .map((f) => {
      const haystack = `${plainText(f.title)} ${plainText(f.detail)} ${f.evidence.map((e) => `${e.command} ${e.excerpt}`).join(" ")}`.toLowerCase();
      return { f, score: words.filter((w) => haystack.includes(w)).length };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 3)
    .map((s) => s.f);
  const relevant = scored.length > 0 ? scored : findings.slice(0, 3);
  const parts: RichText[] = [];
  if (analysis) {
    parts.push(ko ? rich`지금까지의 증거: ${analysis.summary}` : rich`From the evidence so far: ${analysis.summary}`);
  }
  if (relevant.length > 0) {
    parts.push(plain(""), plain(ko ? (scored.length > 0 ? "관련 발견:" : "주요 발견:") : scored.length > 0 ? "Relevant findings:" : "Main findings:"));
    for (const f of relevant) {
      const first = f.evidence[0];
      const line = first ? quotedLine(first.excerpt, [plainText(f.title), plainText(f.detail)], words) : "";
      parts.push(line && first ? rich`- ${f.title} — ${f.detail} (${first.commandId}: ${code(line)})` : rich`- ${f.title} — ${f.detail}`);
    }
  }
  parts.push(
    plain(""),
    plain(
      llmConfigured
        ? ko
          ? "LLM이 응답하지 않아 ATL 내장 파서의 결과로 답했습니다."
          : "The LLM did not answer, so this is assembled from ATL's built-in parsers."
        : ko
          ? "ATL 내장 파서의 결과로 만든 답입니다. 자유로운 질문에 더 잘 답하려면 LLM을 설정하세요 (atl.llm.provider)."
          : "Assembled from ATL's built-in parsers; an LLM (atl.llm.provider) would answer free-form questions better.",
    ),
  );
  return joinRich(parts, "\n");
}

function questionWords(question: string): string[] {
  return question
    .toLowerCase()
    .split(/[^\p{L}\p{N}_.-]+/u)
    .filter((w) => w.length >= 2 && !STOP_WORDS.has(w));
}

const QUOTE_CHARS = 160;

/**
 * The line of an excerpt that answers: in tabular output (a header, then rows) the row with the
 * figures the finding states, not the header. Each line scores by the finding's figures it holds,
 * then by the question's words, then by holding figures at all (a header has none); the first of
 * the best wins.
 */
export function quotedLine(excerpt: string, statements: string[], words: readonly string[]): string {
  const lines = excerpt.split("\n").filter((l) => l.trim().length > 0);
  const figures = new Set(statements.flatMap((text) => text.match(/\d+(?:[.,]\d+)?/g) ?? []));
  let best = "";
  let bestScore = -1;
  for (const line of lines) {
    const tokens = new Set(line.match(/\d+(?:[.,]\d+)?/g) ?? []);
    const lower = line.toLowerCase();
    const score = [...figures].filter((f) => tokens.has(f)).length * 100 + words.filter((w) => lower.includes(w)).length * 10 + (tokens.size > 0 ? 1 : 0);
    if (score > bestScore) {
      best = line;
      bestScore = score;
    }
  }
  const trimmed = best.trim();
  return trimmed.length > QUOTE_CHARS ? `${trimmed.slice(0, QUOTE_CHARS - 1)}…` : trimmed;
}

export function incidentsSummary(incidents: Incident[], filter: IncidentFilter, hostName: string | null, language: ReportLanguage): string {
  const ko = language === "ko";
  const status = filter.status ?? "open";
  const statusWord = ko ? { open: "열린", resolved: "해결된", all: "전체" }[status] : { open: "open", resolved: "resolved", all: "" }[status];
  const where = hostName ? (ko ? ` (${hostName})` : ` on ${hostName}`) : "";
  if (incidents.length === 0) {
    return ko ? `${statusWord} 알람이 없습니다${where}.` : `No ${statusWord ? `${statusWord} ` : ""}alarms${where}.`;
  }
  const head = ko ? `${statusWord} 알람 ${incidents.length}개${where}:` : `${incidents.length} ${statusWord ? `${statusWord} ` : ""}alarm${incidents.length === 1 ? "" : "s"}${where}:`;
  const lines = incidents.slice(0, 20).map((i) => {
    const flaps = i.flaps > 0 ? (ko ? `, ${i.flaps}회 반복` : `, flapped ${i.flaps}×`) : "";
    return `- ${i.alarm.state} · ${i.name.replace(/[\r\n]+/g, " ").slice(0, 120)} · ${i.hostId ?? "?"} · ${i.lastChangeAt}${flaps}`;
  });
  if (incidents.length > 20) {
    lines.push(ko ? `- … 외 ${incidents.length - 20}개` : `- … and ${incidents.length - 20} more`);
  }
  return [head, ...lines].join("\n");
}
