// What the LLM receives is redacted and budgeted: a planted AWS key, a password and a 3,000-line
// output, checked on the requests the scripted server recorded (counted with a real tokenizer),
// while the report keeps the full output.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encode } from "gpt-tokenizer";
import { renderMarkdown } from "../../../src/report";
import type { ScriptedLlm } from "../../helpers/scriptedLlm";
import { expectStatus, fencedBlock, type Fixture, recorder, sampleAlarm, startLlmFixture } from "./support";
import { Resources } from "../../helpers/resources";

const ACCESS_KEY = "AKIAZ7QWERTYUIOPASDF";
const SECRET_KEY = "h7Fk2pQ9rT4vW1xY8zA3bC6dE0fG5hJ2kL9mN4pQ";
const PASSWORD = "hunter2-very-secret";

void describe("redaction and budget of what reaches the LLM", () => {
  let llm: ScriptedLlm;
  let fx: Fixture;
  let dir: string;
  let logFile: string;
  const resources = new Resources();
  before(async () => {
    ({ llm, fx } = await startLlmFixture(resources, { settings: { redactionPatterns: ["cust-[0-9]{6}"] } }));
    dir = resources.add(await mkdtemp(join(tmpdir(), "atl-redact-")), (d) => rm(d, { recursive: true, force: true }));
    logFile = join(dir, "app.log");
    const lines: string[] = [];
    for (let i = 1; i <= 3000; i++) {
      lines.push(`2026-11-25T03:${String(i % 60).padStart(2, "0")}:00Z worker[${1000 + i}] INFO processed job ${i} for cust-${String(100000 + i)}`);
    }
    lines[1] = `2026-11-25T03:00:01Z boot env AWS_ACCESS_KEY_ID=${ACCESS_KEY} db=postgres://app:${PASSWORD}@db:5432/app`;
    lines[2998] = `2026-11-25T03:59:59Z deploy aws_secret_access_key=${SECRET_KEY} password=${PASSWORD}`;
    await writeFile(logFile, `${lines.join("\n")}\n`);
  });
  after(() => resources.release());

  void it("redacts secrets and cuts long output to head + tail in the prompt, keeps the full output in the report", async () => {
    llm.push({
      schema: "command_plan",
      json: {
        rationale: "Read the application log and the process table.",
        commands: [
          { command: `cat ${logFile}`, purpose: "application log", expectedSignal: "errors" },
          { command: "ps aux", purpose: "processes", expectedSignal: "busy process" },
        ],
      },
    });
    llm.push({ schema: "diagnosis_analysis", json: { summary: "Nothing alarming in the log.", severity: "low", findings: [], nextSteps: [], culprit: null, furtherCommands: [] } });
    const alarm = sampleAlarm("01-ec2-cpu-alarm.json", { description: `Owner token=${PASSWORD}; see runbook` });
    const first = recorder();
    expectStatus(await fx.service.start("t-redact", { kind: "alarm", alarm }, first.sink), "waiting-approval", first.events);
    const second = recorder();
    expectStatus(await fx.service.resume("t-redact", { kind: "approve", commandIds: ["c1", "c2"] }, second.sink), "done", second.events);

    const planRequest = llm.requests.find((r) => r.schema === "command_plan")!;
    const analysisRequest = llm.requests.find((r) => r.schema === "diagnosis_analysis")!;
    for (const request of [planRequest, analysisRequest]) {
      const raw = JSON.stringify(request.body);
      for (const secret of [ACCESS_KEY, SECRET_KEY, PASSWORD, "cust-101500"]) {
        assert.ok(!raw.includes(secret), `${secret} reached the LLM`);
      }
    }
    assert.match(fencedBlock(planRequest.text, "alarm") ?? "", /token=\[REDACTED\]/);

    const log = fencedBlock(analysisRequest.text, "c1 stdout") ?? "";
    assert.match(log, /AWS_ACCESS_KEY_ID=\[REDACTED\]/, "the head kept the (redacted) boot line");
    assert.match(log, /aws_secret_access_key=\[REDACTED\] password=\[REDACTED\]/, "the tail kept the (redacted) deploy line");
    assert.match(log, /… \d+ lines omitted …/);
    assert.match(log, /cust-\[REDACTED\]|\[REDACTED\]/, "user patterns apply");
    const logTokens = encode(log).length;
    assert.ok(logTokens <= 600, `the log block is ${logTokens} tokens (budget 600)`);
    const promptTokens = encode(analysisRequest.text).length;
    assert.ok(promptTokens <= 6000, `the whole analysis prompt is ${promptTokens} tokens`);

    const report = second.of("report")[0].report;
    const run = report.runs.find((r) => r.id === "c1")!;
    assert.equal(run.stdout.trimEnd().split("\n").length, 3000, "the report keeps the full output");
    assert.ok(run.stdout.includes(ACCESS_KEY), "the report data is what the host returned (shown to the operator)");
    const markdown = renderMarkdown(report);
    assert.ok(!markdown.includes(ACCESS_KEY) && !markdown.includes(SECRET_KEY) && !markdown.includes(PASSWORD), "the rendered report (saved, pasted into tickets) is redacted");
    assert.match(markdown, /processed job 1500 for/, "and still complete");
  });
});
