// A small stand-in CommandPolicy for tests of the app layer (routing, auth, limits, audit), so
// they do not depend on the real policy's rules: whitespace-separated words, `|`, `;`, `&&`, `||`,
// and an explicit allowlist of programs. The real policy is tested in agent/test/policy/ and used
// by the integration tests against the running agent.
import type { CommandPolicy, PolicyDecision, Program, ProgramStep, Stage } from "../../src/policy/types";

export function allowlistPolicy(programs: readonly string[], mutating: readonly string[] = []): CommandPolicy {
  const allowed = new Set([...programs, ...mutating]);
  const refuse = (command: string, reason: string, rule: string): PolicyDecision => ({
    command,
    decision: "refused",
    risk: "mutating",
    reason,
    rule,
    segments: [],
    program: null,
  });
  return {
    check(command: string): PolicyDecision {
      if (/[$`<>(){}\n&]/.test(command.replace(/&&/g, ""))) {
        return refuse(command, "shell syntax is not allowed", "refuse:structure");
      }
      const steps: ProgramStep[] = [];
      let op: ProgramStep["op"] = null;
      let stages: Stage[] = [];
      let argv: string[] = [];
      const endStage = (): boolean => {
        if (argv.length === 0) {
          return false;
        }
        stages.push({ argv, stdoutToNull: false, stderrToNull: false, stderrToStdout: false });
        argv = [];
        return true;
      };
      for (const word of command.trim().split(/\s+/).filter((w) => w !== "")) {
        if (word === "|") {
          if (!endStage()) {
            return refuse(command, "empty pipeline stage", "refuse:structure");
          }
        } else if (word === ";" || word === "&&" || word === "||") {
          if (!endStage()) {
            return refuse(command, "empty command", "refuse:structure");
          }
          steps.push({ op, pipeline: { stages } });
          stages = [];
          op = word;
        } else {
          argv.push(word);
        }
      }
      if (!endStage()) {
        return refuse(command, "empty command", "refuse:structure");
      }
      steps.push({ op, pipeline: { stages } });
      const programs = steps.flatMap((s) => s.pipeline.stages.map((st) => st.argv[0]));
      const denied = programs.find((p) => !allowed.has(p.split("/").pop() ?? p));
      if (denied !== undefined) {
        return refuse(command, `${denied} is not on the allowlist`, `refuse:program:${denied}`);
      }
      const program: Program = { steps };
      const risk = programs.some((p) => mutating.includes(p)) ? "mutating" : "read-only";
      return { command, decision: "allowed", risk, reason: "allowed by the test allowlist", rule: `allow:${programs.join("+")}`, segments: [], program };
    },
    // The stand-in never produces glob words, so there is nothing to expand.
    expand: (decision) => Promise.resolve(decision),
    summary() {
      return { profile: "default-read-only", allowedPrograms: [...allowed].sort(), operatorRules: [] };
    },
  };
}
