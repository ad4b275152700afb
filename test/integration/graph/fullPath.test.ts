// The whole loop against real parts: a CloudWatch alarm → the LLM's plan (scripted server over
// HTTP), labelled by the policy → interrupt → a reloaded service resumes it → the real agent runs
// the commands → the LLM's analysis, verified against the real output → the report.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RecordedRequest } from "../../helpers/scriptedLlm";
import type { ScriptedLlm } from "../../helpers/scriptedLlm";
import { renderMarkdown } from "../../../src/report";
import { plainText } from "../../../src/shared/richText";
import { expectStatus, fencedBlock, type Fixture, recorder, sampleAlarm, startLlmFixture } from "./support";
import { Resources } from "../../helpers/resources";

/** The analysis reply: quotes the real `uptime` line the prompt carried, plus one invented excerpt. */
function analysisFrom(request: RecordedRequest): unknown {
  const uptime = fencedBlock(request.text, "c1 stdout") ?? "";
  const line = uptime.split("\n").find((l) => l.includes("load average")) ?? "missing";
  return {
    summary: "Load is high; prod-web-01 is busy.",
    severity: "high",
    findings: [
      { title: "Load average", detail: "The load average is above the CPU count.", severity: "high", evidence: [{ commandId: "c1", excerpt: line.trim() }] },
      { title: "Invented culprit", detail: "A process that does not exist.", severity: "critical", evidence: [{ commandId: "c2", excerpt: "cryptominer 99.9% CPU" }] },
    ],
    nextSteps: ["Find the busiest process and decide whether to stop it."],
    culprit: null, furtherCommands: [],
  };
}

void describe("alarm → proposal → approval → agent → analysis (LLM)", () => {
  let llm: ScriptedLlm;
  let fx: Fixture;
  const resources = new Resources();
  before(async () => {
    ({ llm, fx } = await startLlmFixture(resources, { llm: null }));
  });
  after(() => resources.release());

  void it("plans with the LLM, stops for approval, resumes after a reload and reports verified findings", async () => {
    llm.push(
      {
        schema: "command_plan",
        json: {
          rationale: "CPU alarm: look at load and the busiest processes.",
          commands: [
            { command: "uptime", purpose: "Load averages", expectedSignal: "load above CPU count" },
            { command: "ps -eo pid,comm,pcpu --sort=-pcpu | head -n 5", purpose: "Busiest processes", expectedSignal: "one process near 100%" },
            { command: "systemctl restart nginx", purpose: "Restart the web server", expectedSignal: "service comes back" },
          ],
        },
        usage: { prompt_tokens: 900, completion_tokens: 120 },
      },
      { schema: "diagnosis_analysis", jsonFrom: analysisFrom, usage: { prompt_tokens: 2000, completion_tokens: 300 } },
    );
    const alarm = sampleAlarm("01-ec2-cpu-alarm.json");
    const first = recorder();
    const status = await fx.service.start("t-full-1", { kind: "alarm", alarm }, first.sink);
    expectStatus(status, "waiting-approval", first.events);

    const [proposalEvent] = first.of("proposal");
    assert.ok(proposalEvent, "a proposal event");
    const proposal = proposalEvent.proposal;
    assert.equal(proposal.source, "llm");
    assert.equal(proposal.host.id, "prod-web-01", "host resolved from the alarm's InstanceId");
    assert.deepEqual(
      proposal.commands.map((c) => [c.id, c.decision, c.risk]),
      [
        ["c1", "allowed", "read-only"],
        ["c2", "allowed", "read-only"],
        ["c3", "refused", "mutating"],
      ],
    );
    assert.ok(proposal.commands[2].reason.length > 0, "the refusal says why");
    assert.deepEqual(await fx.executed(), [], "nothing ran before the approval");

    // The plan prompt carried the alarm inside a fence and the runbook's idea as evidence.
    const planRequest = llm.requests.find((r) => r.schema === "command_plan")!;
    assert.match(fencedBlock(planRequest.text, "alarm") ?? "", /prod-web-01-cpu-high/);
    assert.match(planRequest.text, /built-in runbook/);

    // A reloaded window: a new service on the same checkpoint directory sees the pending proposal.
    const reloaded = fx.reopen();
    const pending = await reloaded.pendingProposal("t-full-1");
    assert.deepEqual(pending, proposal);

    const second = recorder();
    const resumed = await reloaded.resume("t-full-1", { kind: "approve", commandIds: ["c1", "c2", "c3"] }, second.sink);
    expectStatus(resumed, "done", second.events);

    // The agent ran exactly the two allowed commands; the refused one never reached it.
    assert.deepEqual(await fx.executed(), ["uptime", "ps -eo pid,comm,pcpu --sort=-pcpu | head -n 5"]);
    const started = second.of("command-started").map((e) => e.id);
    const finished = second.of("command-finished").map((e) => [e.run.id, e.run.status]);
    assert.deepEqual(started, ["c1", "c2"]);
    assert.deepEqual(finished, [
      ["c1", "ok"],
      ["c2", "ok"],
      ["c3", "refused"],
    ]);

    const [analysisEvent] = second.of("analysis");
    const analysis = analysisEvent.analysis;
    assert.equal(analysis.source, "llm");
    assert.equal(analysis.severity, "high");
    const llmFindings = analysis.findings.filter((f) => f.source === "llm");
    assert.deepEqual(
      llmFindings.map((f) => plainText(f.title)),
      ["Load average"],
      "the finding with invented evidence is dropped",
    );
    assert.match(llmFindings[0].evidence[0].excerpt, /load average/);
    assert.ok(analysis.findings.some((f) => f.source === "parser"), "the parsers' findings stay");
    assert.ok(second.of("error").some((e) => /do not occur in the command output/.test(e.message)), "dropping invented evidence is reported");

    const [reportEvent] = second.of("report");
    const report = reportEvent.report;
    assert.equal(report.runs.length, 3);
    assert.equal(report.status, "done");
    const [usage] = second.of("usage");
    assert.equal(usage.usage.calls, 2);
    assert.equal(usage.usage.promptTokens, 2900);
    assert.ok(usage.usage.costUsd! > 0);
    const markdown = renderMarkdown(report);
    assert.match(markdown, /load average/);
    assert.match(markdown, /systemctl restart nginx/);
    assert.equal(second.events.at(-1)?.type, "status");

    assert.deepEqual(await reloaded.report("t-full-1"), report);
    assert.equal(await reloaded.pendingProposal("t-full-1"), null);
  });
});
