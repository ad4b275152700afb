// Types of the command policy: the decision the agent enforces and the extension shows, and the
// parsed program (argv per pipeline stage) the agent executes without a shell.

export type PolicyDecisionKind = "allowed" | "refused";
export type Risk = "read-only" | "mutating";

/** One stage of a pipeline: a program and its arguments, after quote removal. */
export interface Stage {
  argv: string[];
  /** `>/dev/null` or `1>/dev/null`: the stage's stdout is discarded. */
  stdoutToNull: boolean;
  /** `2>/dev/null`: the stage's stderr is discarded. Never true together with stderrToStdout. */
  stderrToNull: boolean;
  /**
   * `2>&1`: stderr goes where stdout went when the `2>&1` was read, i.e. into the next stage or the
   * result's stdout. Redirections apply left to right as in a shell, so the policy normalizes:
   * `>/dev/null 2>&1` → stdoutToNull + stderrToNull (both discarded);
   * `2>&1 >/dev/null` → stdoutToNull + stderrToStdout (stdout discarded, stderr still flows on).
   */
  stderrToStdout: boolean;
}

export interface Pipeline {
  stages: Stage[];
}

/** `a | b && c ; d`: each step runs its pipeline if `op` (joining it to the previous step) allows. */
export interface ProgramStep {
  /** null for the first step. */
  op: ";" | "&&" | "||" | null;
  pipeline: Pipeline;
}

export interface Program {
  steps: ProgramStep[];
}

/** The decision for one simple command (one pipeline stage) of a command line. */
export interface SegmentDecision {
  /** The stage as written, for display. */
  text: string;
  argv: string[];
  decision: PolicyDecisionKind;
  risk: Risk;
  reason: string;
  /** Identifier of the rule that decided, e.g. `allow:df`, `refuse:structure:command-substitution`. */
  rule: string;
}

export interface PolicyDecision {
  command: string;
  decision: PolicyDecisionKind;
  /** The highest risk of any segment. */
  risk: Risk;
  /** The first refusal's reason, or a summary of why it is allowed. */
  reason: string;
  rule: string;
  segments: SegmentDecision[];
  /** The program to run; null when refused. */
  program: Program | null;
}

/** An operator rule from the policy file, e.g. allow `systemctl restart nginx` as mutating. */
export interface PolicyRuleSpec {
  /** Identifier shown in decisions and the audit log. */
  id: string;
  /** Executable basename, e.g. `systemctl`. */
  program: string;
  /** Exact argument prefix after the program, e.g. ["restart", "nginx"]; empty matches any. */
  args?: string[];
  /** Whether more arguments may follow `args`. Default false. */
  allowExtraArgs?: boolean;
  risk: Risk;
  /** "allow" adds to the default profile; "refuse" removes something it allows. */
  effect: "allow" | "refuse";
  reason?: string;
}

export interface PolicyFile {
  version: 1;
  rules: PolicyRuleSpec[];
}

export interface PolicySummary {
  profile: "default-read-only";
  allowedPrograms: string[];
  operatorRules: { id: string; effect: "allow" | "refuse"; risk: Risk }[];
}

export interface CommandPolicy {
  check(command: string): PolicyDecision;
  summary(): PolicySummary;
}
