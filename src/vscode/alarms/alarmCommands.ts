// Commands on the Alarms view: copy ARN, open in the AWS Console, acknowledge, remove, show the
// raw body of an unparsed message (a read-only document), clear resolved, group by state/host.
// Item commands accept the clicked element plus the multi-selection VS Code passes along.
import * as vscode from "vscode";
import type { Incident, UnparsedEntry } from "../../alarms/model";
import type { AlarmStore } from "../../alarms/store";
import { AtlError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { cancelled } from "../commands";
import type { AtlSettings } from "../settings";
import { isIncident, isUnparsed } from "../../diagnosis/grouping";
import { consoleUrl } from "../../alarms/present";

export const RAW_SCHEME = "atl-raw";

export interface AlarmCommandDeps {
  store: AlarmStore;
  settings: AtlSettings;
  logger: Logger;
}

/** The elements a command acts on: the multi-selection when the clicked item is part of it. */
export function targets(arg: unknown, selection: unknown): unknown[] {
  if (Array.isArray(selection) && selection.length > 0 && selection.includes(arg)) {
    return selection as unknown[];
  }
  return arg === undefined ? [] : [arg];
}

function incidentsOf(deps: AlarmCommandDeps, arg: unknown, selection: unknown): Incident[] {
  const found: Incident[] = [];
  for (const item of targets(arg, selection)) {
    const id = isIncident(item) ? item.id : typeof item === "string" ? item : null;
    const incident = id ? deps.store.getIncident(id) : undefined;
    if (incident) {
      found.push(incident);
    }
  }
  return found;
}

async function oneIncident(deps: AlarmCommandDeps, arg: unknown, title: string): Promise<Incident> {
  const [incident] = incidentsOf(deps, arg, undefined);
  if (incident) {
    return incident;
  }
  if (arg !== undefined) {
    throw new AtlError("not-found", vscode.l10n.t("That alarm is no longer in the Alarms view."), { fix: vscode.l10n.t("It may have been removed or aged out.") });
  }
  const all = deps.store.listIncidents({ status: "all" });
  if (all.length === 0) {
    throw new AtlError("not-found", vscode.l10n.t("There are no alarms yet."));
  }
  const picked = await vscode.window.showQuickPick(
    all.map((i) => ({ label: i.name, description: `${i.status === "resolved" ? "OK" : i.alarm.state} · ${i.alarm.region}`, incident: i })),
    { title, matchOnDescription: true },
  );
  if (!picked) {
    throw cancelled();
  }
  return picked.incident;
}

export async function copyAlarmArn(deps: AlarmCommandDeps, arg: unknown, selection: unknown): Promise<string> {
  const incidents = incidentsOf(deps, arg, selection);
  const list = incidents.length > 0 ? incidents : [await oneIncident(deps, arg, vscode.l10n.t("Copy alarm ARN"))];
  const text = list.map((i) => i.arn).join("\n");
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(list.length === 1 ? vscode.l10n.t("Alarm ARN copied.") : vscode.l10n.t("{0} alarm ARNs copied.", list.length), 3000);
  return text;
}

export async function openAlarmInConsole(deps: AlarmCommandDeps, arg: unknown): Promise<string> {
  const incident = await oneIncident(deps, arg, vscode.l10n.t("Open in AWS Console"));
  const url = consoleUrl(incident.alarm.region, incident.alarm.name, incident.arn);
  if (!url) {
    throw new AtlError("alarm-malformed", vscode.l10n.t("The alarm's region {0} is not an AWS region code, so there is no console link for it.", JSON.stringify(incident.alarm.region.slice(0, 40))));
  }
  const opened = await vscode.env.openExternal(vscode.Uri.parse(url, true));
  deps.logger.info(`Opened the AWS Console for ${incident.arn}${opened ? "" : " (refused by the user)"}.`);
  return url;
}

export async function acknowledgeAlarms(deps: AlarmCommandDeps, arg: unknown, selection: unknown): Promise<number> {
  const incidents = incidentsOf(deps, arg, selection).filter((i) => i.status === "open" && !i.acknowledged);
  const list = incidents.length > 0 ? incidents : arg === undefined ? [await oneIncident(deps, arg, vscode.l10n.t("Acknowledge"))] : [];
  if (list.length === 0) {
    return 0;
  }
  await deps.store.acknowledge(list.map((i) => i.id));
  deps.logger.info(`Acknowledged ${list.map((i) => i.name).join(", ")}.`);
  return list.length;
}

export async function removeAlarms(deps: AlarmCommandDeps, arg: unknown, selection: unknown): Promise<number> {
  const items = targets(arg, selection);
  const ids: string[] = [];
  let open = 0;
  for (const item of items) {
    if (isIncident(item) && deps.store.getIncident(item.id)) {
      ids.push(item.id);
      open += deps.store.getIncident(item.id)?.status === "open" ? 1 : 0;
    } else if (isUnparsed(item) && deps.store.getUnparsed(item.id)) {
      ids.push(item.id);
    }
  }
  if (ids.length === 0) {
    return 0;
  }
  if (open > 0) {
    const remove = vscode.l10n.t("Remove");
    const choice = await vscode.window.showWarningMessage(
      open === 1 ? vscode.l10n.t("Remove an open incident? It comes back only with its next state change.") : vscode.l10n.t("Remove {0} open incidents? They come back only with their next state change.", open),
      { modal: true },
      remove,
    );
    if (choice !== remove) {
      throw cancelled();
    }
  }
  await deps.store.remove(ids);
  deps.logger.info(`Removed ${ids.length} item(s) from the Alarms view.`);
  return ids.length;
}

export async function clearResolved(deps: AlarmCommandDeps): Promise<number> {
  const count = await deps.store.clearResolved();
  vscode.window.setStatusBarMessage(count === 0 ? vscode.l10n.t("No resolved alarms to clear.") : vscode.l10n.t("Cleared {0} resolved alarm(s).", count), 3000);
  return count;
}

/** The raw body of an unparsed message, as plain text in a read-only virtual document. */
export class RawMessageDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly store: AlarmStore) {}

  static uri(entry: UnparsedEntry): vscode.Uri {
    return vscode.Uri.from({ scheme: RAW_SCHEME, path: `/unparsed-${entry.id.replace(/[^A-Za-z0-9_-]/g, "_")}.txt`, query: new URLSearchParams({ id: entry.id }).toString() });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = new URLSearchParams(uri.query).get("id") ?? "";
    const entry = this.store.getUnparsed(id);
    if (!entry) {
      return vscode.l10n.t("This message was removed from the Alarms view.");
    }
    const header = [
      vscode.l10n.t("# Not a CloudWatch alarm: {0}", entry.error.replace(/\s+/g, " ")),
      vscode.l10n.t("# Received {0}, SQS message id {1}. Shown as plain text; nothing in it is run.", entry.receivedAt, entry.messageId ?? "?"),
      ...(entry.bodyBytes === undefined ? [] : [vscode.l10n.t("# The body was {0} bytes; only its first 1 MiB was kept.", entry.bodyBytes)]),
      "",
    ];
    return `${header.join("\n")}${entry.body}`;
  }
}

export async function showUnparsed(deps: AlarmCommandDeps, arg: unknown): Promise<vscode.TextDocument> {
  let entry = isUnparsed(arg) ? deps.store.getUnparsed(arg.id) : typeof arg === "string" ? deps.store.getUnparsed(arg) : undefined;
  if (!entry) {
    const all = deps.store.listUnparsed();
    if (arg !== undefined || all.length === 0) {
      throw new AtlError("not-found", vscode.l10n.t("That message is no longer in the Alarms view."));
    }
    const picked = await vscode.window.showQuickPick(
      all.map((u) => ({ label: u.error.slice(0, 80), description: u.receivedAt, entry: u })),
      { title: vscode.l10n.t("Show raw message") },
    );
    if (!picked) {
      throw cancelled();
    }
    entry = picked.entry;
  }
  const document = await vscode.workspace.openTextDocument(RawMessageDocuments.uri(entry));
  const plain = document.languageId === "plaintext" ? document : await vscode.languages.setTextDocumentLanguage(document, "plaintext");
  await vscode.window.showTextDocument(plain, { preview: true });
  return plain;
}
