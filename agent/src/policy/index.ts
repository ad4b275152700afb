// The command policy: parses a command line with the strict parser, checks every stage against the
// default read-only profile and the operator's rules, and returns the decision with the Program
// (argv per stage) that the agent spawns without a shell. Anything not understood is refused.
// Path patterns are expanded on the host by `expand`, which checks every stage again with the
// names found; sampling commands get the count that bounds them to the sampling window.

import { posix } from "node:path";
import { GlobBudget, GlobError, expandPattern } from "./glob";
import { ArgumentRefusal, refusalRisk, type ParsedArgs } from "./options";
import { own } from "./own";
import { parseCommandLine } from "./parse";
import { sensitivePath, sensitivePattern } from "./paths";
import { knownRefusal, READ_ONLY_PROGRAMS } from "./programs/rules";
import { readArgs, type ArgvRewrite, type ProgramRule } from "./programs/rule";
import { displayArgv, displayProgram } from "./render";
import type { CommandPolicy, DirectoryReader, GlobWord, PolicyDecision, PolicyFile, PolicyRuleSpec, PolicySummary, Program, Risk, SegmentDecision, Stage } from "./types";

export type * from "./types";
export { loadPolicyFile, parsePolicyFile, PolicyFileError } from "./file";
export { displayArgv, displayProgram, quoteArg, quoteArgv, renderProgram } from "./render";
export { MAX_COMMAND_LENGTH } from "./parse";
export { GlobError, MAX_DIRECTORY_ENTRIES, MAX_GLOB_MATCHES } from "./glob";

/** How long a sampling command (`vmstat 1`) runs when nothing else is configured, in seconds. */
export const DEFAULT_SAMPLE_SECONDS = 5;
/** Bounds of the sampling window setting. */
export const MAX_SAMPLE_SECONDS = 60;

export interface PolicyOptions {
  /** Sampling window for interval commands without a count, 1–60 s; default 5. */
  sampleSeconds?: number;
}

/** Directories a path-qualified program may come from (`/usr/bin/df`); anything else could be planted. */
const SYSTEM_BIN = /^\/(usr\/)?(local\/)?s?bin\/[^/]+$/;

type Resolved = { name: string; rule: ProgramRule | undefined } | { refusal: StageVerdict };

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
  /** argv as it runs: with the words the rule added. */
  argv: string[];
  added?: { at: number; words: string[] };
  sampleSeconds?: number;
}

function refusedVerdict(argv: string[], rule: string, reason: string, risk: Risk = "mutating"): StageVerdict {
  return { decision: "refused", risk, rule, reason, argv };
}

function refusalOf(argv: string[], name: string, error: unknown): StageVerdict {
  if (error instanceof ArgumentRefusal) {
    return refusedVerdict(argv, `refuse:args:${name}:${error.what}`, error.reason, refusalRisk(error));
  }
  throw error;
}

/** The argv and glob words as written: without the words a rule added. */
function asWritten(stage: Stage): { argv: string[]; globs: GlobWord[] } {
  const globs = stage.globs ?? [];
  if (!stage.added) {
    return { argv: stage.argv, globs };
  }
  const { at, words } = stage.added;
  return {
    argv: [...stage.argv.slice(0, at), ...stage.argv.slice(at + words.length)],
    globs: globs.map((g) => (g.index >= at + words.length ? { ...g, index: g.index - words.length } : g)),
  };
}

/** Total sampling time: steps run one after the other, the stages of a pipeline at once. */
function samplingOf(steps: { sampleSeconds?: number }[][]): number {
  return steps.reduce((total, stages) => total + Math.max(0, ...stages.map((s) => s.sampleSeconds ?? 0)), 0);
}

class DefaultCommandPolicy implements CommandPolicy {
  private readonly allowRules: PolicyRuleSpec[];
  private readonly refuseRules: PolicyRuleSpec[];
  /** Programs operator rules name by absolute path (matched exactly, never by base name). */
  private readonly pathPrograms: Set<string>;
  private readonly ctx: { sampleSeconds: number };

  constructor(
    private readonly file: PolicyFile | undefined,
    options: PolicyOptions,
  ) {
    this.allowRules = file?.rules.filter((r) => r.effect === "allow") ?? [];
    this.refuseRules = file?.rules.filter((r) => r.effect === "refuse") ?? [];
    this.pathPrograms = new Set((file?.rules ?? []).filter((r) => r.program.startsWith("/")).map((r) => r.program));
    const seconds = options.sampleSeconds ?? DEFAULT_SAMPLE_SECONDS;
    this.ctx = { sampleSeconds: Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_SAMPLE_SECONDS ? seconds : DEFAULT_SAMPLE_SECONDS };
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
    const stages = parsed.steps.map((step) => step.stages.map((stage) => ({ stage, verdict: this.checkStage(stage.argv, stage.globs ?? []) })));
    const program: Program = {
      steps: parsed.steps.map((step, s) => ({
        op: step.op,
        pipeline: {
          stages: stages[s].map(({ stage, verdict }) => {
            const globs = shiftGlobs(stage.globs, verdict.added);
            return {
              argv: verdict.argv,
              stdoutToNull: stage.stdoutToNull,
              stderrToNull: stage.stderrToNull,
              stderrToStdout: stage.stderrToStdout,
              ...(globs ? { globs } : {}),
              ...(verdict.added ? { added: verdict.added } : {}),
            };
          }),
        },
      })),
    };
    return this.decide(
      command,
      stages.flat().map(({ stage, verdict }) => ({ text: stage.text, verdict })),
      program,
      stages.flat().some(({ verdict }) => verdict.added),
    );
  }

  async expand(decision: PolicyDecision, reader: DirectoryReader): Promise<PolicyDecision> {
    const program = decision.program;
    if (decision.decision !== "allowed" || !program || !program.steps.some((s) => s.pipeline.stages.some((st) => st.globs))) {
      return decision;
    }
    const budget = new GlobBudget();
    try {
      const segments: { text: string; verdict: StageVerdict }[] = [];
      const steps = [];
      let k = 0;
      for (const step of program.steps) {
        const stages: Stage[] = [];
        for (const stage of step.pipeline.stages) {
          const text = decision.segments[k++]?.text ?? "";
          const written = asWritten(stage);
          const argv = await expandArgv(written.argv, written.globs, reader, budget);
          const verdict = this.checkStage(argv, []);
          const patterns = written.globs.map((g) => written.argv[g.index]).join(", ");
          segments.push({ text, verdict: written.globs.length > 0 ? { ...verdict, reason: `${verdict.reason} (${patterns} expanded on the host)` } : verdict });
          stages.push({ argv: verdict.argv, stdoutToNull: stage.stdoutToNull, stderrToNull: stage.stderrToNull, stderrToStdout: stage.stderrToStdout, ...(verdict.added ? { added: verdict.added } : {}) });
        }
        steps.push({ op: step.op, pipeline: { stages } });
      }
      return this.decide(decision.command, segments, { steps }, true);
    } catch (error) {
      const why = error instanceof GlobError ? error.message : `the host's directories could not be read (${error instanceof Error ? error.message : String(error)})`;
      const reason = `cannot expand the patterns: ${why}`;
      const globbed = program.steps.flatMap((s) => s.pipeline.stages.map((st) => st.globs !== undefined));
      const segments = decision.segments.map((s, k) => (globbed[k] ? { ...s, decision: "refused" as const, rule: "refuse:glob", reason } : s));
      return { command: decision.command, decision: "refused", risk: decision.risk, rule: "refuse:glob", reason, segments, program: null };
    }
  }

  /** The decision from each stage's verdict: refused when any stage is, the risk the highest. */
  private decide(command: string, stages: { text: string; verdict: StageVerdict }[], program: Program, rewritten: boolean): PolicyDecision {
    const segments: SegmentDecision[] = stages.map(({ text, verdict }) => ({
      text,
      argv: verdict.argv,
      decision: verdict.decision,
      risk: verdict.risk,
      reason: verdict.reason,
      rule: verdict.rule,
      ...(verdict.sampleSeconds ? { sampling: { seconds: verdict.sampleSeconds } } : {}),
    }));
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
    let k = 0;
    const seconds = samplingOf(program.steps.map((step) => step.pipeline.stages.map(() => stages[k++].verdict)));
    return {
      command,
      decision: "allowed",
      risk,
      reason,
      rule: deciding.rule,
      segments,
      program,
      ...(seconds > 0 ? { sampling: { seconds } } : {}),
      ...(rewritten ? { executed: displayProgram(program) } : {}),
    };
  }

  /** The executable's rule by name (or exact path for operator path rules), or a refusal for odd paths. */
  private resolveProgram(argv: string[]): Resolved {
    const argv0 = argv[0];
    if (this.pathPrograms.has(argv0)) {
      return { name: argv0, rule: undefined };
    }
    if (!argv0.includes("/")) {
      return { name: argv0, rule: own(READ_ONLY_PROGRAMS, argv0) };
    }
    const normalized = posix.normalize(argv0);
    if (!SYSTEM_BIN.test(normalized) || normalized !== argv0.replace(/\/{2,}/g, "/")) {
      return {
        refusal: refusedVerdict(
          argv,
          "refuse:program-path",
          `cannot verify the program ${argv0}: a path outside /bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin could be any file; use the plain name (or an operator rule naming this exact path)`,
        ),
      };
    }
    const name = posix.basename(normalized);
    return { name, rule: own(READ_ONLY_PROGRAMS, name) };
  }

  private checkStage(argv: string[], globs: readonly GlobWord[]): StageVerdict {
    const resolved = this.resolveProgram(argv);
    if ("refusal" in resolved) {
      return resolved.refusal;
    }
    const { name, rule: profile } = resolved;
    const args = argv.slice(1);

    const operatorRefusal = this.refuseRules.find((r) => matchesOperatorRule(r, name, args));
    if (operatorRefusal) {
      return refusedVerdict(argv, `refuse:operator:${operatorRefusal.id}`, operatorRefusal.reason ?? `refused by the operator's policy (rule ${operatorRefusal.id})`, operatorRefusal.risk);
    }

    // The arguments as the program reads them; a refusal here waits until operator rules had their say.
    let parsed: ParsedArgs | undefined;
    let parseRefusal: unknown;
    try {
      parsed = profile ? readArgs(profile, args) : undefined;
    } catch (error) {
      parseRefusal = error;
    }

    // Secrets stay secret whatever allowed the program.
    const paths = profile?.paths && parsed ? profile.paths(args, parsed) : args;
    const metadataOnly = profile?.metadataOnly ?? false;
    for (const arg of paths) {
      const hit = sensitivePath(arg, { metadataOnly });
      if (hit) {
        return refusedVerdict(argv, `refuse:sensitive-path:${name}`, `${name} ${hit.path}: reads ${hit.why}`, "read-only");
      }
    }
    // A pattern is checked again with the names it matches; refusing what it would surely reach saves a round trip.
    for (const glob of globs) {
      const hit = paths.includes(argv[glob.index]) ? sensitivePattern(glob.pattern, { metadataOnly }) : null;
      if (hit) {
        return refusedVerdict(argv, `refuse:sensitive-path:${name}`, `${name} ${hit.path}: may match ${hit.why}`, "read-only");
      }
    }

    const operatorAllow = this.allowRules.find((r) => matchesOperatorRule(r, name, args));
    if (operatorAllow) {
      return {
        decision: "allowed",
        risk: operatorAllow.risk,
        rule: `operator:${operatorAllow.id}`,
        reason: operatorAllow.reason ?? `${name}: allowed by the operator's policy (rule ${operatorAllow.id})${operatorAllow.risk === "mutating" ? ", mutating" : ""}`,
        argv,
      };
    }

    if (!profile) {
      if (this.pathPrograms.has(name)) {
        const ids = this.allowRules.filter((r) => r.program === name).map((r) => r.id);
        return refusedVerdict(argv, `refuse:unknown:${name}`, `${name} is allowed by the operator's policy only with the arguments of rule ${ids.join(", ") || "(none: only refuse rules name it)"}`);
      }
      const known = knownRefusal(name);
      if (known) {
        return refusedVerdict(argv, `refuse:${known.category}:${name}`, known.reason);
      }
      return refusedVerdict(argv, `refuse:unknown:${name}`, `${name} is not in the read-only profile; an operator can allow it in the policy file`);
    }
    if (!parsed) {
      return refusalOf(argv, name, parseRefusal);
    }
    let rewrite: ArgvRewrite | void;
    try {
      rewrite = profile.check?.(args, parsed, this.ctx);
    } catch (error) {
      return refusalOf(argv, name, error);
    }
    let reason = `${name} (${profile.what})`;
    if (globs.length > 0) {
      reason += `; ${globs.map((g) => argv[g.index]).join(", ")} expanded on the host, each name checked again`;
    }
    if (!rewrite) {
      return { decision: "allowed", risk: "read-only", rule: `allow:${name}`, reason, argv };
    }
    const at = rewrite.at + 1;
    const run = [...argv.slice(0, at), ...rewrite.words, ...argv.slice(at)];
    reason += rewrite.summary ? `; ${rewrite.summary}` : `; runs as ${displayArgv(run)}${rewrite.sampleSeconds ? `, sampled for ${rewrite.sampleSeconds} s` : ""}`;
    return {
      decision: "allowed",
      risk: "read-only",
      rule: `allow:${name}`,
      reason,
      argv: run,
      added: { at, words: rewrite.words },
      ...(rewrite.sampleSeconds ? { sampleSeconds: rewrite.sampleSeconds } : {}),
    };
  }
}

/** Glob word indexes after words were added to argv. */
function shiftGlobs(globs: GlobWord[] | undefined, added: { at: number; words: string[] } | undefined): GlobWord[] | undefined {
  if (!globs || !added) {
    return globs;
  }
  return globs.map((g) => (g.index >= added.at ? { ...g, index: g.index + added.words.length } : g));
}

/**
 * argv with each glob word replaced by the names it matches, or kept when it matches nothing. A
 * name that would read as an option (`-rf`, `--exec=…`) is written `./-rf`, as a careful user would.
 */
async function expandArgv(argv: string[], globs: GlobWord[], reader: DirectoryReader, budget: GlobBudget): Promise<string[]> {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const glob = globs.find((g) => g.index === k);
    const names = glob ? await expandPattern(glob.pattern, reader, budget) : [];
    if (names.length === 0) {
      out.push(argv[k]);
    } else {
      out.push(...names.map((name) => (name.startsWith("-") ? `./${name}` : name)));
    }
  }
  return out;
}

/** The policy: the default read-only profile plus the operator's rules, if any. */
export function createCommandPolicy(file?: PolicyFile, options: PolicyOptions = {}): CommandPolicy {
  return new DefaultCommandPolicy(file, options);
}
