// The command policy: parses a command line with the strict parser, checks every stage against the
// default read-only profile and the operator's rules, and returns the decision with the Program
// (argv per stage) that the agent spawns without a shell. Anything not understood is refused.

import { own } from "./own";
import { posix } from "node:path";
import { ArgumentRefusal, refusalRisk } from "./options";
import { parseCommandLine, type ParsedStage } from "./parse";
import { sensitivePath } from "./paths";
import { knownRefusal, READ_ONLY_PROGRAMS } from "./programs/rules";
import type { CommandPolicy, PolicyDecision, PolicyFile, PolicyRuleSpec, PolicySummary, Program, Risk, SegmentDecision } from "./types";

export type * from "./types";
export { loadPolicyFile, parsePolicyFile, PolicyFileError } from "./file";
export { quoteArg, quoteArgv, renderProgram } from "./render";
export { MAX_COMMAND_LENGTH } from "./parse";

/** Directories a path-qualified program may come from (`/usr/bin/df`); anything else could be planted. */
const SYSTEM_BIN = /^\/(usr\/)?(local\/)?s?bin\/[^/]+$/;

/** The executable's base name as the rules know it, or a refusal for odd paths. */
function resolveProgram(argv0: string): { name: string } | { refusal: { rule: string; reason: string } } {
  if (!argv0.includes("/")) {
    return { name: argv0 };
  }
  const normalized = posix.normalize(argv0);
  if (!SYSTEM_BIN.test(normalized) || normalized !== argv0.replace(/\/{2,}/g, "/")) {
    return {
      refusal: {
        rule: "refuse:program-path",
        reason: `cannot verify the program ${argv0}: a path outside /bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin could be any file; use the plain name`,
      },
    };
  }
  return { name: posix.basename(normalized) };
}

function matchesOperatorRule(rule: PolicyRuleSpec, program: string, args: readonly string[]): boolean {
  if (rule.program !== program) {
    return false;
  }
  const prefix = rule.args ?? [];
  if (args.length < prefix.length || (!rule.allowExtraArgs && args.length !== prefix.length)) {
    return false;
  }
  return prefix.every((a, k) => args[k] === a);
}

interface StageVerdict {
  decision: "allowed" | "refused";
  risk: Risk;
  rule: string;
  reason: string;
}

function refusedVerdict(rule: string, reason: string, risk: Risk = "mutating"): StageVerdict {
  return { decision: "refused", risk, rule, reason };
}

class DefaultCommandPolicy implements CommandPolicy {
  private readonly allowRules: PolicyRuleSpec[];
  private readonly refuseRules: PolicyRuleSpec[];

  constructor(private readonly file: PolicyFile | undefined) {
    this.allowRules = file?.rules.filter((r) => r.effect === "allow") ?? [];
    this.refuseRules = file?.rules.filter((r) => r.effect === "refuse") ?? [];
  }

  summary(): PolicySummary {
    return {
      profile: "default-read-only",
      allowedPrograms: Object.keys(READ_ONLY_PROGRAMS).sort(),
      operatorRules: (this.file?.rules ?? []).map((r) => ({ id: r.id, effect: r.effect, risk: r.risk })),
    };
  }

  check(command: string): PolicyDecision {
    const parsed = parseCommandLine(command);
    if (!parsed.ok) {
      const { rule, reason } = parsed.refusal;
      return {
        command,
        decision: "refused",
        risk: "mutating",
        reason,
        rule,
        segments: [{ text: command, argv: [], decision: "refused", risk: "mutating", reason, rule }],
        program: null,
      };
    }
    const segments: SegmentDecision[] = [];
    const program: Program = { steps: [] };
    for (const step of parsed.steps) {
      const stages = step.stages.map((stage) => {
        const verdict = this.checkStage(stage);
        segments.push({ text: stage.text, argv: stage.argv, ...verdict });
        return { argv: stage.argv, stdoutToNull: stage.stdoutToNull, stderrToNull: stage.stderrToNull, stderrToStdout: stage.stderrToStdout };
      });
      program.steps.push({ op: step.op, pipeline: { stages } });
    }
    const risk: Risk = segments.some((s) => s.risk === "mutating") ? "mutating" : "read-only";
    const refused = segments.find((s) => s.decision === "refused");
    if (refused) {
      const prefix = segments.length > 1 ? `"${refused.text}": ` : "";
      return { command, decision: "refused", risk, reason: prefix + refused.reason, rule: refused.rule, segments, program: null };
    }
    const mutating = segments.filter((s) => s.risk === "mutating");
    const deciding = mutating[0] ?? segments[0];
    const reason =
      mutating.length > 0
        ? `Allowed by operator rule as mutating (${mutating.map((s) => s.text).join("; ")}): needs explicit approval`
        : `Read-only: ${[...new Set(segments.map((s) => s.reason))].join("; ")}`;
    return { command, decision: "allowed", risk, reason, rule: deciding.rule, segments, program };
  }

  private checkStage(stage: ParsedStage): StageVerdict {
    const resolved = resolveProgram(stage.argv[0]);
    if ("refusal" in resolved) {
      return refusedVerdict(resolved.refusal.rule, resolved.refusal.reason);
    }
    const name = resolved.name;
    const args = stage.argv.slice(1);
    const profile = own(READ_ONLY_PROGRAMS, name);

    const operatorRefusal = this.refuseRules.find((r) => matchesOperatorRule(r, name, args));
    if (operatorRefusal) {
      return refusedVerdict(`refuse:operator:${operatorRefusal.id}`, operatorRefusal.reason ?? `refused by the operator's policy (rule ${operatorRefusal.id})`, operatorRefusal.risk);
    }

    // Secrets stay secret whatever allowed the program.
    let paths: readonly string[];
    try {
      paths = profile?.paths ? profile.paths(args) : args;
    } catch (error) {
      if (error instanceof ArgumentRefusal) {
        return refusedVerdict(`refuse:args:${name}:${error.what}`, error.reason, refusalRisk(error));
      }
      throw error;
    }
    for (const arg of paths) {
      const hit = sensitivePath(arg, { metadataOnly: profile?.metadataOnly ?? false });
      if (hit) {
        return refusedVerdict(`refuse:sensitive-path:${name}`, `${name} ${hit.path}: reads ${hit.why}`, "read-only");
      }
    }

    const operatorAllow = this.allowRules.find((r) => matchesOperatorRule(r, name, args));
    if (operatorAllow) {
      return {
        decision: "allowed",
        risk: operatorAllow.risk,
        rule: `operator:${operatorAllow.id}`,
        reason: operatorAllow.reason ?? `${name}: allowed by the operator's policy (rule ${operatorAllow.id})${operatorAllow.risk === "mutating" ? ", mutating" : ""}`,
      };
    }

    if (!profile) {
      const known = knownRefusal(name);
      if (known) {
        return refusedVerdict(`refuse:${known.category}:${name}`, known.reason);
      }
      return refusedVerdict(`refuse:unknown:${name}`, `${name} is not in the read-only profile; an operator can allow it in the policy file`);
    }
    if (profile.check) {
      try {
        profile.check(args);
      } catch (error) {
        if (error instanceof ArgumentRefusal) {
          return refusedVerdict(`refuse:args:${name}:${error.what}`, error.reason, refusalRisk(error));
        }
        throw error;
      }
    }
    return { decision: "allowed", risk: "read-only", rule: `allow:${name}`, reason: `${name} (${profile.what})` };
  }
}

/** The policy: the default read-only profile plus the operator's rules, if any. */
export function createCommandPolicy(file?: PolicyFile): CommandPolicy {
  return new DefaultCommandPolicy(file);
}
