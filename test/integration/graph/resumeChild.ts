// Child process of crossProcess.test.ts: a second "window" that resumes a pending approval from
// the checkpoint directory alone. argv[2] is JSON {checkpointDir, host, threadId, decision}; prints
// {status, events} as JSON on stdout.
import { createCommandPolicy } from "../../../agent/src/policy";
import type { ApprovalDecision, DiagnosisEvent } from "../../../src/graph/diagnosis";
import { createDiagnosisService } from "../../../src/graph/service";
import { HostDirectory } from "../../../src/hosts/directory";
import type { HostEntry } from "../../../src/hosts/model";
import { silentLogger } from "../../../src/shared/log";

interface ChildInput {
  checkpointDir: string;
  host: HostEntry;
  threadId: string;
  decision: ApprovalDecision;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as ChildInput;
  const policy = createCommandPolicy();
  const hosts = new HostDirectory([input.host], { get: () => Promise.resolve(undefined) }, { policy, logger: silentLogger });
  const service = createDiagnosisService({
    llm: null,
    hosts,
    policy,
    incidents: { listIncidents: () => [] },
    checkpointDir: input.checkpointDir,
    logger: silentLogger,
    settings: () => ({ timeoutSeconds: 20, outputTokenBudget: 600, redactionPatterns: [], language: "en" }),
  });
  const pending = await service.pendingProposal(input.threadId);
  const events: DiagnosisEvent[] = [];
  const status = await service.resume(input.threadId, input.decision, (e) => events.push(e));
  hosts.dispose();
  process.stdout.write(JSON.stringify({ pending, status, events }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
