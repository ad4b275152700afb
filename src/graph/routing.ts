// Keyword routing of chat text (English and Korean), used without an LLM and as the LLM's first
// pass: a request for alarms goes to fetch, a question about evidence already collected goes to
// answer, anything asking to look at the host goes to generate. Also parses fetch filters
// ("show open alarms on prod-web-01", "해결된 알람 5개 보여줘").
import type { AlarmState, IncidentFilter } from "../alarms/model";

export type ChatRoute = "generate" | "answer" | "fetch";

export interface KeywordRoute {
  route: ChatRoute;
  /** False when the words point both ways; an LLM (if configured) then decides. */
  confident: boolean;
}

const ALARM_WORDS = /\b(alarms?|alerts?|incidents?|tickets?)\b|알람|경보|알림|티켓|인시던트|장애\s*목록/i;
const LIST_WORDS =
  /\b(list|show|open|active|firing|recent|which|any|all|resolved|closed|acknowledged|pending|current|today|latest|how many)\b|목록|보여|조회|리스트|열린|발생|현재|최근|어떤|무슨|몇\s*개|전체|모든|해결된|있어|있나/i;
const ACTION_WORDS =
  /\b(check|run|look|investigate|diagnose|inspect|find|examine|analy[sz]e|dig|collect|gather|verify|test|restart|debug|troubleshoot|measure|monitor)\b|확인|점검|실행|조사|진단|살펴|찾아|분석해|봐\s*줘|봐줘|해\s*줘|돌려/i;
const QUESTION_START =
  /^\s*(why|what|which|who|when|where|how|is|are|does|did|do|was|were|can|could|should|would|will|explain|summari[sz]e|tell me|describe)\b/i;
const QUESTION_WORDS = /\?\s*$|왜|무엇|뭐|어떤|어떻게|설명|요약|알려|인가요|나요|까요|건가|인가\s*$|인지/;

/**
 * Routes chat text by keywords. `hasEvidence`: the thread already ran commands. `covered`: the
 * built-in runbook for the text's topic already ran in this thread (so a question can be answered).
 */
export function routeByKeywords(text: string, hasEvidence: boolean, covered: boolean | null = null): KeywordRoute {
  const alarmWords = ALARM_WORDS.test(text);
  const listWords = LIST_WORDS.test(text);
  const action = ACTION_WORDS.test(text);
  const question = QUESTION_START.test(text) || QUESTION_WORDS.test(text);
  if (alarmWords && listWords && !action) {
    return { route: "fetch", confident: true };
  }
  if (alarmWords && listWords && action) {
    // "check the alarms list" vs "check why the alarm fired": lean to fetch only for explicit list words.
    return { route: /\b(list|show)\b|목록|보여|조회/i.test(text) ? "fetch" : "generate", confident: false };
  }
  if (!hasEvidence) {
    return { route: "generate", confident: true };
  }
  if (question && !action) {
    // A question about a topic the thread has not looked at yet needs commands, not an answer.
    if (covered === false) {
      return { route: "generate", confident: false };
    }
    return { route: "answer", confident: true };
  }
  if (action && !question) {
    return { route: "generate", confident: true };
  }
  return { route: question ? "answer" : "generate", confident: false };
}

const INSTANCE_ID = /\bi-[0-9a-f]{8}(?:[0-9a-f]{9})?\b/i;

/**
 * A filter for the alarm store from the user's words. `hostIdFor` maps a host named in the text
 * to its id (the host directory's resolveFromText).
 */
export function parseIncidentFilter(text: string, hostIdFor: (text: string) => string | null = () => null): IncidentFilter {
  const filter: IncidentFilter = { status: "open" };
  if (/\b(all|every|any state|history)\b|전체|모든|전부/i.test(text)) {
    filter.status = "all";
  }
  if (/\b(resolved|closed|recovered|cleared)\b|해결|복구|종료된/i.test(text)) {
    filter.status = "resolved";
  }
  if (/\b(open|active|firing|ongoing|unresolved)\b|열린|발생\s*중|진행\s*중|미해결/i.test(text)) {
    filter.status = "open";
  }
  const state = stateIn(text);
  if (state) {
    filter.state = state;
  }
  const instance = INSTANCE_ID.exec(text);
  const host = hostIdFor(text) ?? (instance ? instance[0].toLowerCase() : null);
  if (host) {
    filter.hostId = host;
  }
  const quoted = /["“'‘]([^"”'’]{2,80})["”'’]/.exec(text) ?? /\b(?:named|called|matching|containing)\s+([A-Za-z0-9._:/-]{2,80})/i.exec(text);
  if (quoted) {
    filter.text = quoted[1];
  }
  const limit = /\b(?:last|latest|top|first|recent)\s+(\d{1,3})\b/i.exec(text) ?? /(\d{1,3})\s*(?:개|건)/.exec(text);
  if (limit) {
    filter.limit = Math.max(1, Math.min(500, Number(limit[1])));
  }
  return filter;
}

function stateIn(text: string): AlarmState | undefined {
  if (/\bINSUFFICIENT[_ ]DATA\b|데이터\s*부족/i.test(text)) {
    return "INSUFFICIENT_DATA";
  }
  if (/\bin alarm\b|\bALARM state\b|\bstate\s*[:=]?\s*ALARM\b/i.test(text)) {
    return "ALARM";
  }
  if (/\bOK state\b|\bstate\s*[:=]?\s*OK\b/i.test(text)) {
    return "OK";
  }
  return undefined;
}

/** Whether text looks like a question (for the offline answer's phrasing). */
export function isQuestion(text: string): boolean {
  return QUESTION_START.test(text) || QUESTION_WORDS.test(text);
}
