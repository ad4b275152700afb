// Validation of an approval decision before it resumes the graph: it comes from the chat panel (a
// webview is untrusted input) or the CLI. Unknown shapes are refused with a clear message.
import { z } from "zod";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import type { ApprovalDecision } from "./diagnosis";

const t: Translate = translate;

const commandText = z.string().max(2000);

const Decision = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("approve"),
    commandIds: z.array(z.string().max(64)).max(100),
    edits: z.array(z.object({ id: z.string().max(64), command: commandText })).max(100).optional(),
    add: z.array(commandText).max(20).optional(),
  }),
  z.object({ kind: z.literal("reject"), reason: z.string().max(4000), replan: z.boolean().optional() }),
]);

export function parseApprovalDecision(value: unknown): ApprovalDecision {
  const parsed = Decision.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AtlError(
      "webview-message",
      issue ? t("The approval decision is malformed ({0}: {1}).", issue.path.join(".") || "root", issue.message) : t("The approval decision is malformed."),
      { fix: t("Approve or reject the proposal again.") },
    );
  }
  const decision = parsed.data;
  if (decision.kind === "approve") {
    const out: ApprovalDecision = { kind: "approve", commandIds: decision.commandIds };
    if (decision.edits) {
      out.edits = decision.edits;
    }
    if (decision.add) {
      out.add = decision.add;
    }
    return out;
  }
  return decision.replan === undefined ? { kind: "reject", reason: decision.reason } : { kind: "reject", reason: decision.reason, replan: decision.replan };
}
