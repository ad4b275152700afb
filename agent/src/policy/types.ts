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
  /**
   * Words of argv that are path patterns (an unquoted `*`, `?` or `[…]`), expanded on the host
   * before the stage runs (CommandPolicy.expand); absent when there are none.
   */
  globs?: GlobWord[];
  /**
   * Words the policy added to argv at index `at`: the count that bounds a sampling command
   * (`vmstat 1` runs as `vmstat 1 6`) or batch mode (`top` runs as `top -b …`).
   */
  added?: { at: number; words: string[] };
}

/** A glob word: argv[index] holds the word with quotes removed (what runs when nothing matches). */
export interface GlobWord {
  index: number;
  /** The word in pattern syntax: characters that were quoted or escaped are written `\c`. */
  pattern: string;
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
  /** Present when the stage samples for a bounded window (`vmstat 1`). */
  sampling?: Sampling;
}

/** A sampling command (an interval without a count) runs this long and stops by itself. */
export interface Sampling {
  seconds: number;
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
  /** Present when the command samples (`vmstat 1`): how long, in total. */
  sampling?: Sampling;
  /**
   * The line as it runs, quoted where needed, when that differs from what was written: patterns
   * expanded (after CommandPolicy.expand) or words added (`vmstat 1 6`, `top -b -d 5 -n 2`).
   */
  executed?: string;
}

/** An operator rule from the policy file, e.g. allow `systemctl restart nginx` as mutating. */
export interface PolicyRuleSpec {
  /** Identifier shown in decisions and the audit log. */
  id: string;
  /**
   * Executable basename, e.g. `systemctl`, or an absolute path matched exactly
   * (`/opt/aws/amazon-ssm-agent/bin/amazon-ssm-agent`).
   */
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

/** A host's directories, as glob expansion needs them (the agent's own, or a remote one over SFTP). */
export interface DirectoryReader {
  /** Where relative patterns start: `/` for the agent, the home directory over SSH. */
  readonly cwd: string;
  /** The names in a directory with whether each is one (following symlinks); null when it cannot be read. */
  list(dir: string): Promise<{ name: string; directory: boolean }[] | null>;
  /** Whether something exists at the path (a dangling symlink does). */
  exists(path: string): Promise<boolean>;
}

export interface CommandPolicy {
  check(command: string): PolicyDecision;
  /**
   * Expands the glob words of an allowed decision on a host and checks every stage again with the
   * names it found (a file named `-rf` cannot become an option). Never rejects: a failure refuses.
   * A decision without glob words comes back unchanged.
   */
  expand(decision: PolicyDecision, reader: DirectoryReader): Promise<PolicyDecision>;
  summary(): PolicySummary;
}
