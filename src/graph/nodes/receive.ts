// receive: reads the turn (an alarm or chat text), resolves the host the thread is about, and
// routes: alarm → generate; chat → generate / answer / fetch (keywords first, the LLM only when
// the words point both ways). No host → a `host-needed` event and status needs-host.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Alarm } from "../../alarms/model";
import type { HostEntry } from "../../hosts/model";
import { createRedactor } from "../../llm/redact";
import { newDelimiter } from "../../llm/fence";
import { z } from "zod";
import { askStructured, emit, hostRef, type GraphContext } from "../context";
import type { ThreadStatus } from "../diagnosis";
import { routePrompt, SCHEMA } from "../prompts";
import { routeByKeywords, type ChatRoute } from "../routing";
import { topicCovered } from "../runbooks";
import type { DiagnosisStateType, DiagnosisStateUpdate, HostNeeded, Route, Turn } from "../state";
import { alarmHostNotInInventory, hostNotFound, noHostFor } from "../text";
import type { ReportLanguage } from "../../shared/l10n";

const RouteReply = z.object({ route: z.enum(["generate", "answer", "fetch"]), reason: z.string() });

export function receiveNode(ctx: GraphContext) {
  return async function receive(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    const language = ctx.deps.settings().language;
    if (!state.turn) {
      return { route: "end", status: "done" };
    }
    const turn = resumeStalledTurn(ctx, state, state.turn);
    const update: DiagnosisStateUpdate = { hostNeeded: null, createdAt: state.createdAt || ctx.now().toISOString() };
    let route: Route;
    if (turn.kind === "alarm") {
      update.alarm = turn.alarm;
      update.question = null;
      route = "generate";
    } else {
      update.question = turn.text;
      const decided = await routeChat(ctx, state, turn.text, config);
      route = decided.route;
      if (decided.usage) {
        update.usage = decided.usage;
      }
      if (decided.error) {
        update.errors = [{ code: decided.error.code, message: decided.error.message, node: "receive" }];
        emit(config, { type: "error", code: decided.error.code, message: decided.error.message });
      }
    }

    if (route === "generate") {
      const resolved = resolveHost(ctx, state, turn.kind === "alarm" ? turn.alarm : null, turn.kind === "chat" ? turn.text : null, turn.hostId);
      if ("needed" in resolved) {
        const needed: HostNeeded = { message: resolved.needed(language), candidates: ctx.deps.hosts.list().map(hostRef) };
        emit(config, { type: "host-needed", message: needed.message, candidates: needed.candidates });
        const status: ThreadStatus = "needs-host";
        return { ...update, route: "end", hostNeeded: needed, stalledTurn: turn, status };
      }
      update.host = hostRef(resolved.host);
    }
    return { ...update, route, stalledTurn: null, status: "running" };
  };
}

/**
 * After needs-host, a turn that only names the host ("web-01", or a hostId from the picker)
 * continues the turn that stalled, instead of starting a new request.
 */
function resumeStalledTurn(ctx: GraphContext, state: DiagnosisStateType, turn: Turn): Turn {
  const stalled = state.stalledTurn;
  if (!stalled || state.status !== "needs-host") {
    return turn;
  }
  const host = turn.hostId ? ctx.deps.hosts.get(turn.hostId) : turn.kind === "chat" ? ctx.deps.hosts.resolveFromText(turn.text) : undefined;
  if (!host) {
    return turn;
  }
  const names = [host.id, host.name, ...(host.aliases ?? [])].map((n) => n.toLowerCase());
  const onlyNamesHost = turn.kind === "chat" && names.some((n) => turn.text.trim().toLowerCase().replace(/[.!]$/, "") === n);
  if (turn.kind === "chat" && !onlyNamesHost && !turn.hostId) {
    return turn;
  }
  return { ...stalled, hostId: host.id };
}

type Resolution = { host: HostEntry } | { needed: (language: ReportLanguage) => string };

/**
 * The host of a turn: an explicit id wins; then the alarm (dimensions, composite children via the
 * store) — an alarm that names a host missing from the inventory is never diagnosed on another one,
 * and an alarm that names none is not guessed; then a host named in the text; then the thread's
 * host; then, for a chat turn, the only host there is.
 */
export function resolveHost(ctx: GraphContext, state: DiagnosisStateType, alarm: Alarm | null, text: string | null, hostId: string | null): Resolution {
  const hosts = ctx.deps.hosts;
  if (hostId) {
    const host = hosts.get(hostId);
    return host ? { host } : { needed: (language) => hostNotFound(hostId, language) };
  }
  if (alarm) {
    const match = hosts.resolveAlarmHost(alarm);
    if (match.kind === "found") {
      return { host: match.host };
    }
    const composite = resolveComposite(ctx, alarm);
    if (composite) {
      return { host: composite };
    }
    if (match.kind === "not-found") {
      return { needed: (language) => alarmHostNotInInventory(alarm.name, match.named, match.mentioned?.name ?? null, language) };
    }
    return { needed: (language) => noHostFor(alarm.name, hosts.list().length, language) };
  }
  if (text) {
    const host = hosts.resolveFromText(text);
    if (host) {
      return { host };
    }
  }
  if (state.host) {
    const host = hosts.get(state.host.id);
    if (host) {
      return { host };
    }
  }
  if (state.alarm) {
    // A follow-up of an alarm thread: the alarm's host or nothing (never the only host by default).
    const host = hosts.resolveForAlarm(state.alarm) ?? resolveComposite(ctx, state.alarm);
    return host ? { host } : { needed: (language) => noHostFor(state.alarm?.name ?? null, hosts.list().length, language) };
  }
  const all = hosts.list();
  if (all.length === 1) {
    return { host: all[0] };
  }
  return { needed: (language) => noHostFor(null, all.length, language) };
}

/** A composite alarm has no dimensions: its triggering children (in the store) name the host. */
function resolveComposite(ctx: GraphContext, alarm: Alarm): HostEntry | null {
  if (alarm.children.length === 0) {
    return null;
  }
  const { hosts, incidents } = ctx.deps;
  let known: ReturnType<typeof incidents.listIncidents> | null = null;
  for (const arn of alarm.children) {
    const id = incidents.hostForArn?.(arn) ?? null;
    if (id) {
      const host = hosts.get(id);
      if (host) {
        return host;
      }
    }
    known ??= incidents.listIncidents({ status: "all" });
    for (const incident of known.filter((i) => i.arn === arn)) {
      const host = (incident.hostId ? hosts.get(incident.hostId) : undefined) ?? hosts.resolveForAlarm(incident.alarm);
      if (host) {
        return host;
      }
    }
  }
  return null;
}

interface RouteDecision {
  route: ChatRoute;
  usage?: DiagnosisStateUpdate["usage"];
  error?: { code: string; message: string };
}

async function routeChat(ctx: GraphContext, state: DiagnosisStateType, text: string, config: LangGraphRunnableConfig): Promise<RouteDecision> {
  const ran = new Set(state.runs.filter((r) => r.status !== "refused").map((r) => r.command));
  const hasEvidence = ran.size > 0;
  const covered = topicCovered(text, state.runs.filter((r) => r.status !== "refused"));
  const keyword = routeByKeywords(text, hasEvidence, covered);
  if (keyword.confident || !ctx.llm) {
    return { route: keyword.route };
  }
  const redactor = createRedactor(ctx.deps.settings().redactionPatterns);
  const prompt = routePrompt(redactor.redact(text).text, { hasEvidence, ranCommands: [...ran] }, newDelimiter());
  const reply = await askStructured(ctx.llm, { schema: RouteReply, name: SCHEMA.route, prompt, signal: config.signal });
  if (!reply.ok) {
    ctx.deps.logger.warn(`LLM routing failed, using keywords: ${reply.failure.message}`);
    return { route: keyword.route, error: { code: reply.failure.code, message: `${reply.failure.message} ATL routed the message by its keywords.` } };
  }
  const route = reply.value.route === "answer" && !hasEvidence ? "generate" : reply.value.route;
  return { route, usage: reply.usage };
}
