// A thread as an on-call engineer drives it in the chat: reject with a reason → a different plan,
// a follow-up question answered from the evidence (tokens streamed), "show open alarms", a host
// that must be picked, auto-approval of read-only commands, and a host that is down.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ScriptedLlm } from "../../helpers/scriptedLlm";
import { approvalGate, ApprovalRuleSet, createRule, memoryRuleSource, type ApprovalRule, type ApprovalRuleSource } from "../../../src/diagnosis/approvalRules";
import { createDiagnosisService } from "../../../src/graph/service";
import { expectStatus, type Fixture, planReply, recorder, RESTART_NGINX_POLICY, sampleAlarm, startLlmFixture } from "./support";
import { Resources } from "../../helpers/resources";
import { fromMarkdown, plainText } from "../../../src/shared/richText";

const quietAnalysis = { schema: "diagnosis_analysis", json: { summary: "Load is moderate.", severity: "low", findings: [], nextSteps: ["Watch it."], culprit: null, furtherCommands: [] } };

void describe("a diagnosis conversation (LLM)", () => {
  let llm: ScriptedLlm;
  let fx: Fixture;
  const resources = new Resources();
  before(async () => {
    ({ llm, fx } = await startLlmFixture(resources, {
      policyFile: RESTART_NGINX_POLICY,
      extraHosts: [{ id: "prod-db-01", name: "prod-db-01", transport: "agent", url: "http://127.0.0.1:9", keyId: "k", secretFile: "/nonexistent/secret" }],
    }));
  });
  after(() => resources.release());

  void it("a reject sends the reason back to the planner and the new plan differs", async () => {
    llm.push(planReply("Check CPU.", "uptime", "top -b -n 1 | head -n 20"));
    llm.push({ ...planReply("Memory instead, as asked.", "free -m", "vmstat 1 2"), contains: "too heavy, check memory instead" });
    const alarm = sampleAlarm("01-ec2-cpu-alarm.json");
    const first = recorder();
    expectStatus(await fx.service.start("t-conv-reject", { kind: "alarm", alarm }, first.sink), "waiting-approval", first.events);
    const second = recorder();
    expectStatus(await fx.service.resume("t-conv-reject", { kind: "reject", reason: "too heavy, check memory instead" }, second.sink), "waiting-approval", second.events);
    const replan = second.of("proposal")[0].proposal;
    assert.equal(replan.round, 2);
    assert.deepEqual(
      replan.commands.map((c) => c.command),
      ["free -m", "vmstat 1 2"],
    );
    assert.deepEqual(
      replan.commands.map((c) => c.id),
      ["c3", "c4"],
      "ids stay unique across rounds",
    );
    const replanRequest = llm.requests.filter((r) => r.schema === "command_plan").at(-1)!;
    assert.match(replanRequest.text, /REJECTED this plan:\n- uptime\n- top -b -n 1 \| head -n 20/);
    assert.deepEqual(await fx.executed(), [], "a rejected plan runs nothing");

    // The LLM repeats a rejected plan: ATL does not propose it again.
    llm.push(planReply("Same again.", "free -m", "vmstat 1 2"));
    const third = recorder();
    expectStatus(await fx.service.resume("t-conv-reject", { kind: "reject", reason: "no" }, third.sink), "waiting-approval", third.events);
    const fallback = third.of("proposal")[0].proposal;
    assert.equal(fallback.source, "runbook");
    const rejected = new Set(["uptime", "top -b -n 1 | head -n 20", "free -m", "vmstat 1 2"]);
    assert.ok(fallback.commands.length > 0 && fallback.commands.every((c) => !rejected.has(c.command)), JSON.stringify(fallback.commands));

    // A reject that asks to stop ends the thread.
    const fourth = recorder();
    expectStatus(await fx.service.resume("t-conv-reject", { kind: "reject", reason: "leave it", replan: false }, fourth.sink), "rejected", fourth.events);
    assert.equal(await fx.service.pendingProposal("t-conv-reject"), null);
  });

  void it("answers a follow-up from the evidence, streaming tokens, without running anything", async () => {
    llm.push(planReply("Load.", "uptime"), quietAnalysis);
    const first = recorder();
    expectStatus(await fx.service.start("t-conv-answer", { kind: "chat", text: "check the load on prod-web-01" }, first.sink), "waiting-approval", first.events);
    expectStatus(await fx.service.resume("t-conv-answer", { kind: "approve", commandIds: ["c1"] }, recorder().sink), "done", []);
    const ran = (await fx.executed()).length;

    llm.push({ contains: "why is the load like that?", text: "The load average in c1 is below the CPU count, so the host is not saturated." });
    const followUp = recorder();
    expectStatus(await fx.service.followUp("t-conv-answer", "why is the load like that?", followUp.sink), "answered", followUp.events);
    const tokens = followUp.of("token");
    assert.ok(tokens.length >= 2, "the answer streams in pieces");
    assert.ok(tokens.every((t) => t.node === "answer"));
    assert.equal(tokens.map((t) => t.text).join(""), "The load average in c1 is below the CPU count, so the host is not saturated.");
    assert.deepEqual(followUp.of("answer")[0].text, fromMarkdown("The load average in c1 is below the CPU count, so the host is not saturated."));
    assert.equal((await fx.executed()).length, ran, "answering runs nothing");
    const answerRequest = llm.requests.at(-1)!;
    assert.equal(answerRequest.stream, true, "the answer is requested as a stream");
    assert.match(answerRequest.text, /load average/, "the answer prompt carries the evidence");
    const report = followUp.of("report")[0].report;
    assert.deepEqual(report.answers?.at(-1)?.question, "why is the load like that?");
  });

  void it("lists open alarms on a host from the store", async () => {
    fx.store.ingestAlarm(sampleAlarm("01-ec2-cpu-alarm.json"));
    fx.store.ingestAlarm(sampleAlarm("02-cwagent-mem-used-percent-alarm-raw.json"));
    const r = recorder();
    expectStatus(await fx.service.start("t-conv-fetch", { kind: "chat", text: "show open alarms on prod-web-01" }, r.sink), "answered", r.events);
    const [alarms] = r.of("alarms");
    assert.deepEqual(
      alarms.incidents.map((i) => i.name),
      ["prod-web-01-cpu-high"],
    );
    assert.match(plainText(r.of("answer")[0].text), /1 open alarm on prod-web-01/);
    const all = recorder();
    expectStatus(await fx.service.followUp("t-conv-fetch", "알람 목록 보여줘", all.sink), "answered", all.events);
    assert.equal(all.of("alarms")[0].incidents.length, 2);
  });

  void it("asks for the host when it cannot tell, then continues with the one picked", async () => {
    llm.push(planReply("Disk.", "df -hP"));
    const alarm = sampleAlarm("03-cwagent-disk-used-percent-alarm.json", { name: "orders-db disk_used_percent above 85 percent" });
    const first = recorder();
    expectStatus(await fx.service.start("t-conv-host", { kind: "alarm", alarm }, first.sink), "needs-host", first.events);
    const needed = first.of("host-needed")[0];
    assert.deepEqual(
      needed.candidates.map((c) => c.id),
      ["prod-web-01", "prod-db-01"],
    );
    assert.match(needed.message, /orders-db disk_used_percent/);
    const second = recorder();
    expectStatus(await fx.service.followUp("t-conv-host", "prod-web-01", second.sink), "waiting-approval", second.events);
    const proposal = second.of("proposal")[0].proposal;
    assert.equal(proposal.host.id, "prod-web-01");
    assert.match(llm.requests.at(-1)!.text, /disk_used_percent/, "the stalled alarm is what gets planned");
  });

  void it("the LLM's request for more evidence becomes a new proposal that waits for approval", async () => {
    llm.push(planReply("Load.", "uptime"));
    llm.push({
      schema: "diagnosis_analysis",
      contains: "Command c",
      when: (r) => !r.text.includes("df -hP"),
      json: {
        summary: "Load is high; disk not checked yet.",
        severity: "medium",
        findings: [],
        nextSteps: [],
        culprit: null, furtherCommands: [
          { command: "df -hP", purpose: "disk space", expectedSignal: "a full filesystem" },
          { command: "uptime", purpose: "again", expectedSignal: "x" },
          { command: "rm -rf /tmp/cache", purpose: "clean", expectedSignal: "x" },
        ],
      },
    });
    llm.push({ schema: "diagnosis_analysis", json: { summary: "Disk is fine too.", severity: "low", findings: [], nextSteps: [], culprit: null, furtherCommands: [] } });
    const first = recorder();
    expectStatus(await fx.service.start("t-conv-more", { kind: "chat", text: "check load on prod-web-01" }, first.sink), "waiting-approval", first.events);
    const second = recorder();
    const ran = (await fx.executed()).length;
    expectStatus(await fx.service.resume("t-conv-more", { kind: "approve", commandIds: ["c1"] }, second.sink), "waiting-approval", second.events);
    assert.deepEqual(second.of("analysis")[0].analysis.summary, ["Load is high; disk not checked yet."]);
    assert.equal(second.of("report").length, 1, "the analysis so far is reported while more evidence waits");
    const more = second.of("proposal")[0].proposal;
    assert.equal(more.round, 2);
    assert.equal(more.source, "llm");
    assert.deepEqual(
      more.commands.map((c) => [c.command, c.decision]),
      [
        ["df -hP", "allowed"],
        ["rm -rf /tmp/cache", "refused"],
      ],
      "commands already run are not proposed again; the policy labels the rest",
    );
    assert.deepEqual((await fx.executed()).slice(ran), ["uptime"], "the extra commands wait for approval");
    const third = recorder();
    expectStatus(await fx.service.resume("t-conv-more", { kind: "approve", commandIds: [more.commands[0].id] }, third.sink), "done", third.events);
    assert.deepEqual((await fx.executed()).slice(ran), ["uptime", "df -hP"]);
    assert.deepEqual(third.of("analysis")[0].analysis.summary, ["Disk is fine too."]);
    assert.deepEqual(
      third.of("report")[0].report.runs.map((r) => r.command),
      ["uptime", "df -hP"],
    );
  });

  void it("finds the host of a composite alarm through its child in the alarm store", async () => {
    fx.store.ingestAlarm(sampleAlarm("01-ec2-cpu-alarm.json"));
    llm.push(planReply("Composite.", "uptime"));
    const r = recorder();
    expectStatus(await fx.service.start("t-conv-composite", { kind: "alarm", alarm: sampleAlarm("08-composite-alarm.json") }, r.sink), "waiting-approval", r.events);
    assert.equal(r.of("proposal")[0].proposal.host.id, "prod-web-01");
  });

  void it("asks the LLM for Korean prose when the report language is Korean", async () => {
    fx.settings.language = "ko";
    try {
      llm.push(planReply("부하 확인.", "uptime"));
      const r = recorder();
      expectStatus(await fx.service.start("t-conv-ko", { kind: "chat", text: "prod-web-01 CPU 사용률이 높아" }, r.sink), "waiting-approval", r.events);
      assert.match(llm.requests.at(-1)!.text, /in Korean/);
      assert.equal(r.of("proposal")[0].proposal.rationale, "부하 확인.");
    } finally {
      fx.settings.language = "en";
    }
  });

  void it("lets a plan the approval rules cover run unasked, and stops at a mutating one", async () => {
    const rules = [createRule({ scope: { host: "prod-web-*" }, command: "uptime", durationMs: 3_600_000, once: false, origin: "command" }, new Date(), "web-uptime")];
    const service = createDiagnosisService({ ...fx.deps, approvals: approvalGate(memoryRuleSource(rules)) });
    llm.push(planReply("Load.", "uptime"), quietAnalysis);
    const r = recorder();
    expectStatus(await service.start("t-conv-auto", { kind: "chat", text: "check load on prod-web-01" }, r.sink), "done", r.events);
    const proposal = r.of("proposal")[0].proposal;
    assert.equal(proposal.autoApproved, true);
    assert.deepEqual(proposal.approvedBy, [{ id: "web-uptime", command: "uptime", scope: "host:prod-web-*" }]);
    assert.equal(r.of("command-finished")[0].run.status, "ok");

    llm.push(planReply("Restart.", "uptime", "systemctl restart nginx"));
    const m = recorder();
    expectStatus(await service.start("t-conv-auto-2", { kind: "chat", text: "fix nginx on prod-web-01" }, m.sink), "waiting-approval", m.events);
    assert.equal(m.of("proposal")[0].proposal.autoApproved, false, "a mutating command always asks");

    llm.push(planReply("Disk.", "df -hP"));
    const d = recorder();
    expectStatus(await service.start("t-conv-auto-3", { kind: "chat", text: "check disk on prod-web-01" }, d.sink), "waiting-approval", d.events);
    assert.equal(d.of("proposal")[0].proposal.autoApproved, false, "a command no rule names asks");
  });

  void it("a rule added while a proposal waits does not overrule the person's decision on resume", async () => {
    let rules: ApprovalRule[] = [];
    const source: ApprovalRuleSource = { current: () => new ApprovalRuleSet(rules), spend: () => undefined };
    const service = createDiagnosisService({ ...fx.deps, approvals: approvalGate(source) });
    llm.push(planReply("Load.", "uptime", "free -m"), quietAnalysis);
    const first = recorder();
    expectStatus(await service.start("t-conv-rule-later", { kind: "chat", text: "check load on prod-web-01" }, first.sink), "waiting-approval", first.events);
    rules = [createRule({ scope: { all: true }, command: "*", durationMs: null, once: false, origin: "chat" }, new Date(), "any")];
    const ran = recorder();
    expectStatus(await service.resume("t-conv-rule-later", { kind: "approve", commandIds: ["c1"] }, ran.sink), "done", ran.events);
    assert.deepEqual(
      ran.of("command-finished").map((e) => e.run.command),
      ["uptime"],
      "only what the person approved",
    );
  });

  void it("a host whose agent cannot be reached fails the thread with the reason, and runs nothing", async () => {
    llm.push(planReply("Load.", "uptime"));
    const first = recorder();
    expectStatus(await fx.service.start("t-conv-down", { kind: "chat", text: "check load on prod-db-01", hostId: "prod-db-01" }, first.sink), "waiting-approval", first.events);
    const second = recorder();
    expectStatus(await fx.service.resume("t-conv-down", { kind: "approve", commandIds: ["c1"] }, second.sink), "failed", second.events);
    const error = second.of("error")[0];
    assert.equal(error.code, "config");
    assert.match(error.message, /secretFile of prod-db-01/);
    assert.equal(second.of("command-finished")[0].run.status, "error");
  });

  void it("refuses a malformed approval from an untrusted caller", async () => {
    await assert.rejects(
      fx.service.resume("t-conv-down", { kind: "approve", commandIds: "c1" } as unknown as Parameters<typeof fx.service.resume>[1], () => undefined),
      /approval decision is malformed/,
    );
    await assert.rejects(fx.service.start("../../etc", { kind: "chat", text: "x" }, () => undefined), /Invalid diagnosis thread id/);
  });
});
