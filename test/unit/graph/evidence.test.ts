// Findings cite command output: excerpts the LLM invents are dropped; output going to the LLM is
// redacted and fits the shared budget.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommandRun } from "../../../src/graph/diagnosis";
import { latestRuns, outputsForPrompt, verifyFindings } from "../../../src/graph/evidence";
import { createRedactor } from "../../../src/llm/redact";
import { plainText } from "../../../src/shared/richText";

const run = (id: string, command: string, stdout: string, extra: Partial<CommandRun> = {}): CommandRun => ({
  id,
  command,
  status: "ok",
  exitCode: 0,
  signal: null,
  stdout,
  stderr: "",
  durationMs: 5,
  truncated: false,
  reason: null,
  ...extra,
});

const runs = [
  run("c1", "uptime", " 03:12:45 up 12 days,  4:01,  2 users,  load average: 7.93, 6.10, 4.02\n"),
  run("c2", "ps -eo pid,comm,pcpu --sort=-pcpu | head -n 3", "    PID COMMAND         %CPU\n   4242 atl-burn-cpu    99.0\n   1001 node             1.2\n"),
  run("c3", "cat /etc/app.env", "DB_PASSWORD=hunter2\n"),
];
const redactor = createRedactor();

void describe("evidence", () => {
  void it("keeps findings whose excerpts occur in the cited output (spacing and quoting forgiven)", () => {
    const out = verifyFindings(
      [
        { title: "Burner", detail: "d", severity: "high", evidence: [{ commandId: "c2", excerpt: "4242 atl-burn-cpu 99.0" }] },
        { title: "By command text", detail: "d", severity: "medium", evidence: [{ commandId: "uptime", excerpt: "`load average: 7.93, 6.10, 4.02`" }] },
        { title: "Invented", detail: "d", severity: "critical", evidence: [{ commandId: "c2", excerpt: "6666 xmrig 350.0" }] },
        { title: "Wrong command", detail: "d", severity: "low", evidence: [{ commandId: "c1", excerpt: "atl-burn-cpu" }] },
        { title: "Mixed", detail: "d", severity: "low", evidence: [{ commandId: "c9", excerpt: "x" }, { commandId: "c2", excerpt: "node             1.2" }] },
      ],
      runs,
      redactor,
    );
    assert.deepEqual(
      out.findings.map((f) => plainText(f.title)),
      ["Burner", "By command text", "Mixed"],
    );
    assert.equal(out.droppedFindings, 2);
    assert.equal(out.droppedEvidence, 3);
    assert.equal(out.findings[1].evidence[0].commandId, "c1");
    assert.equal(out.findings[1].source, "llm");
  });

  void it("an excerpt quoting a secret only matches the redacted text the LLM saw", () => {
    const out = verifyFindings([{ title: "Password", detail: "d", severity: "low", evidence: [{ commandId: "c3", excerpt: "DB_PASSWORD=[REDACTED]" }] }], runs, redactor);
    assert.equal(out.findings.length, 1);
    assert.equal(out.findings[0].evidence[0].excerpt, "DB_PASSWORD=[REDACTED]");
  });

  void it("sends redacted, budgeted outputs and skips refused commands", () => {
    const big = Array.from({ length: 5000 }, (_, i) => `line ${i} ok`).join("\n");
    const outputs = outputsForPrompt([...runs, run("c4", "journalctl -n 5000", big), run("c5", "rm -rf /", "", { status: "refused", reason: "no" })], redactor, 600);
    assert.deepEqual(
      outputs.map((o) => o.id),
      ["c1", "c2", "c3", "c4"],
    );
    assert.equal(outputs[2].stdout, "DB_PASSWORD=[REDACTED]\n");
    assert.ok(outputs[3].omittedLines > 4000);
  });

  void it("uses the latest run of a repeated command", () => {
    const later = run("c7", "uptime", "later");
    assert.deepEqual(
      latestRuns([...runs, later]).map((r) => r.id),
      ["c2", "c3", "c7"],
    );
  });
});
