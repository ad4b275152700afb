// Validation of what the chat webview sends. The webview renders attacker-controlled text, so the
// host treats its messages as untrusted input: exact shapes, bounded sizes, nothing extra.
import { AtlError } from "../shared/errors";
import { LIMITS, type FromWebviewMessage, type ReportAction } from "../webview/protocol";

type Fields = Record<string, unknown>;

function fail(detail: string): never {
  throw new AtlError("webview-message", `The chat panel sent an invalid message: ${detail}.`, {
    fix: "Close and reopen the diagnosis panel.",
  });
}

function object(value: unknown, what: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${what} is not an object`);
  }
  return value as Fields;
}

function onlyKeys(fields: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      fail(`unexpected field "${key.slice(0, 40)}"`);
    }
  }
}

function string(fields: Fields, key: string, max: number, options: { allowEmpty?: boolean } = {}): string {
  const value = fields[key];
  if (typeof value !== "string") {
    fail(`"${key}" is not a string`);
  }
  if (value.length > max) {
    fail(`"${key}" is longer than ${max} characters`);
  }
  if (!options.allowEmpty && value.trim().length === 0) {
    fail(`"${key}" is empty`);
  }
  return value;
}

function integer(fields: Fields, key: string): number {
  const value = fields[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(`"${key}" is not a non-negative integer`);
  }
  return value;
}

function array(fields: Fields, key: string): unknown[] {
  const value = fields[key];
  if (!Array.isArray(value)) {
    fail(`"${key}" is not a list`);
  }
  if (value.length > LIMITS.commandsPerDecision) {
    fail(`"${key}" has more than ${LIMITS.commandsPerDecision} items`);
  }
  return value;
}

function stringItem(value: unknown, what: string, max: number): string {
  if (typeof value !== "string" || value.trim().length === 0 || value.length > max) {
    fail(`${what} is not a non-empty string of at most ${max} characters`);
  }
  return value;
}

const REPORT_ACTIONS: readonly ReportAction[] = ["open", "save", "copy"];

/** Returns the message if it is exactly one of the protocol's shapes; throws an AtlError otherwise. */
export function parseWebviewMessage(raw: unknown): FromWebviewMessage {
  const fields = object(raw, "the message");
  const type = fields.type;
  if (type === "ready") {
    onlyKeys(fields, ["type"]);
    return { type };
  }
  const requestId = string(fields, "requestId", LIMITS.idLength);
  switch (type) {
    case "check-command":
      onlyKeys(fields, ["type", "requestId", "command"]);
      return { type, requestId, command: string(fields, "command", LIMITS.commandLength, { allowEmpty: true }) };
    case "approve": {
      onlyKeys(fields, ["type", "requestId", "round", "commandIds", "edits", "add"]);
      const commandIds = array(fields, "commandIds").map((id, i) => stringItem(id, `commandIds[${i}]`, LIMITS.idLength));
      const edits = array(fields, "edits").map((item, i) => {
        const edit = object(item, `edits[${i}]`);
        onlyKeys(edit, ["id", "command"]);
        return { id: string(edit, "id", LIMITS.idLength), command: string(edit, "command", LIMITS.commandLength) };
      });
      const add = array(fields, "add").map((command, i) => stringItem(command, `add[${i}]`, LIMITS.commandLength));
      if (new Set(commandIds).size !== commandIds.length) {
        fail("a command is selected twice");
      }
      return { type, requestId, round: integer(fields, "round"), commandIds, edits, add };
    }
    case "reject": {
      onlyKeys(fields, ["type", "requestId", "round", "reason", "replan"]);
      const replan = fields.replan;
      if (typeof replan !== "boolean") {
        fail('"replan" is not true or false');
      }
      return { type, requestId, round: integer(fields, "round"), reason: string(fields, "reason", LIMITS.reasonLength), replan };
    }
    case "follow-up":
      onlyKeys(fields, ["type", "requestId", "text"]);
      return { type, requestId, text: string(fields, "text", LIMITS.textLength) };
    case "pick-host":
      onlyKeys(fields, ["type", "requestId", "hostId"]);
      return { type, requestId, hostId: string(fields, "hostId", LIMITS.idLength) };
    case "cancel":
      onlyKeys(fields, ["type", "requestId"]);
      return { type, requestId };
    case "report": {
      onlyKeys(fields, ["type", "requestId", "action"]);
      const action = fields.action;
      if (typeof action !== "string" || !REPORT_ACTIONS.includes(action as ReportAction)) {
        fail(`"action" is not one of ${REPORT_ACTIONS.join(", ")}`);
      }
      return { type, requestId, action: action as ReportAction };
    }
    case "diagnose-incident":
      onlyKeys(fields, ["type", "requestId", "incidentId"]);
      return { type, requestId, incidentId: string(fields, "incidentId", 2048) };
    default:
      fail(`unknown type ${JSON.stringify(typeof type === "string" ? type.slice(0, 40) : typeof type)}`);
  }
}
