// fetch: lists incidents from the alarm store with a filter parsed from the user's words ("show
// open alarms on prod-web-01", "해결된 알람 보여줘"); an `alarms` event carries the list.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Incident } from "../../alarms/model";
import type { HostEntry } from "../../hosts/model";
import { emit, type GraphContext } from "../context";
import { parseIncidentFilter } from "../routing";
import type { DiagnosisStateType, DiagnosisStateUpdate } from "../state";
import { incidentsSummary } from "../text";
import { plain } from "../../shared/richText";

const DEFAULT_LIMIT = 50;

export function fetchNode(ctx: GraphContext) {
  return function fetch(state: DiagnosisStateType, config: LangGraphRunnableConfig): Promise<DiagnosisStateUpdate> {
    const query = state.question ?? "";
    const host = ctx.deps.hosts.resolveFromText(query);
    const filter = parseIncidentFilter(query);
    const limit = filter.limit ?? DEFAULT_LIMIT;
    let incidents: Incident[];
    if (host) {
      // The store knows instance ids; the inventory knows names and aliases: match through the directory.
      const { hostId: _ignored, limit: _limit, ...rest } = filter;
      incidents = ctx.deps.incidents
        .listIncidents(rest)
        .filter((incident) => belongsTo(ctx, incident, host))
        .slice(0, limit);
      filter.hostId = host.id;
    } else {
      incidents = ctx.deps.incidents.listIncidents({ ...filter, limit });
    }
    const summary = plain(incidentsSummary(incidents, filter, host?.name ?? filter.hostId ?? null, ctx.deps.settings().language));
    emit(config, { type: "alarms", incidents, query });
    emit(config, { type: "answer", text: summary });
    return Promise.resolve({ answers: [{ question: query, answer: summary, source: "fetch" as const }], status: "answered" as const });
  };
}

function belongsTo(ctx: GraphContext, incident: Incident, host: HostEntry): boolean {
  const ids = new Set([host.id, ...(host.aliases ?? [])].map((s) => s.toLowerCase()));
  if (incident.hostId && ids.has(incident.hostId.toLowerCase())) {
    return true;
  }
  return ctx.deps.hosts.resolveForAlarm(incident.alarm)?.id === host.id;
}
