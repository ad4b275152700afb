// `atl check [--policy FILE] "COMMAND"` prints the command policy's decision as JSON: the same
// fields as a /v1/check result (command, decision, risk, reason) plus rule, segments and the
// program the agent would run. Exit 0 allowed, 1 refused, 2 usage or policy-file error.
// `atl check [--policy FILE] -` checks one command per line of stdin and prints one JSON line each.

import { createCommandPolicy, loadPolicyFile, PolicyFileError, type PolicyDecision, type PolicyFile } from "../../agent/src/policy";

const USAGE = `Usage: atl check [--policy FILE] "COMMAND"
       atl check [--policy FILE] -        (one command per line on stdin)
Prints the policy decision as JSON. Exit 0 if allowed, 1 if refused, 2 on usage errors.
Quote the command so that your shell passes it as one argument.
`;

function usage(message: string): number {
  process.stderr.write(`atl check: ${message}\n${USAGE}`);
  return 2;
}

function toJson(decision: PolicyDecision): object {
  return {
    command: decision.command,
    decision: decision.decision,
    risk: decision.risk,
    reason: decision.reason,
    rule: decision.rule,
    segments: decision.segments,
    program: decision.program,
    ...(decision.sampling ? { sampling: decision.sampling } : {}),
    ...(decision.executed ? { executed: decision.executed } : {}),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function checkCommand(args: string[]): Promise<number> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  let policyPath: string | undefined;
  const rest: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    if (arg === "--policy") {
      policyPath = args[k + 1];
      if (policyPath === undefined) {
        return usage("--policy needs a file");
      }
      k++;
      continue;
    }
    if (arg.startsWith("--policy=")) {
      policyPath = arg.slice("--policy=".length);
      continue;
    }
    rest.push(arg);
  }
  if (rest.length === 0) {
    return usage("missing the command to check");
  }
  if (rest.length > 1) {
    return usage(`expected one quoted command, got ${rest.length} arguments (write: atl check "${rest.join(" ")}")`);
  }

  let file: PolicyFile | undefined;
  if (policyPath !== undefined) {
    try {
      file = loadPolicyFile(policyPath);
    } catch (error) {
      if (error instanceof PolicyFileError) {
        process.stderr.write(`atl check: ${error.message} ${error.fix}\n`);
        return 2;
      }
      throw error;
    }
  }
  const policy = createCommandPolicy(file);

  if (rest[0] === "-") {
    const lines = (await readStdin()).split("\n").filter((line) => line.trim().length > 0);
    let refused = false;
    for (const line of lines) {
      const decision = policy.check(line);
      refused ||= decision.decision === "refused";
      process.stdout.write(JSON.stringify(toJson(decision)) + "\n");
    }
    return refused ? 1 : 0;
  }

  const decision = policy.check(rest[0]);
  process.stdout.write(JSON.stringify(toJson(decision), null, 2) + "\n");
  return decision.decision === "allowed" ? 0 : 1;
}
