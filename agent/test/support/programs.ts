// Hand-built Programs for exec and app tests (what the policy's parser would produce), so the
// process wrapper is tested without depending on the policy.
import type { Pipeline, Program, ProgramStep, Stage } from "../../src/policy/types";

export function cmd(...argv: string[]): Stage {
  return { argv, stdoutToNull: false, stderrToNull: false, stderrToStdout: false };
}

export function redirect(stage: Stage, flags: Partial<Omit<Stage, "argv">>): Stage {
  return { ...stage, ...flags };
}

export function pipeline(...stages: Stage[]): Pipeline {
  return { stages };
}

type Op = ";" | "&&" | "||";

/** `program(a, "&&", b, ";", c)` where a, b, c are Stages (one-stage pipelines) or Pipelines. */
export function program(...parts: (Stage | Pipeline | Op)[]): Program {
  const steps: ProgramStep[] = [];
  let op: Op | null = null;
  for (const part of parts) {
    if (typeof part === "string") {
      op = part;
      continue;
    }
    const pipe = "stages" in part ? part : pipeline(part);
    steps.push({ op: steps.length === 0 ? null : (op ?? ";"), pipeline: pipe });
    op = null;
  }
  return { steps };
}
