// What the graph says itself, at the boundary with the runbooks: a free-text diagnosis does not
// talk about an alarm it does not have (issue 17 item 4), and an offline follow-up answer quotes
// the line of tabular output that holds the figure, not the table's header (item 8).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeRuns } from "../../../src/graph/runbookAnalysis";
import { offlineAnswer, quotedLine } from "../../../src/graph/text";
import { plainText } from "../../../src/shared/richText";
import { alarm, metric, numbered, run, VMSTAT_SWAPPING } from "../runbooks/support";

const FREE_CALM = "              total        used        free      shared  buff/cache   available\nMem:           3887         612        2080           2        1194        3121\nSwap:          2047           0        2047\n";
const VMSTAT_CALM =
  "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n 0  0      0 2080000  2100 1196000    0    0     0     0  100  150  1  1 98  0  0\n 0  0      0 2080000  2100 1196000    0    0     0     0  100  150  1  1 98  0  0\n";

const calmRuns = () => numbered([run("uptime", " 10:00:00 up 5 days,  1 user,  load average: 0.01, 0.02, 0.00\n"), run("nproc", "2\n"), run("free -m", FREE_CALM), run("vmstat 1 3", VMSTAT_CALM)]);

void describe("a healthy host, asked with or without an alarm (item 4)", () => {
  void it("says nothing about an alarm time when the user's words started the diagnosis", () => {
    for (const question of ["check the host", "is memory ok?", "prod-web-01 느려요"]) {
      for (const language of ["en", "ko"] as const) {
        const summary = plainText(analyzeRuns(calmRuns(), { alarm: null, question, language }).summary);
        assert.ok(!/alarm|알람/i.test(summary), `${question} (${language}): ${summary}`);
      }
    }
    assert.match(plainText(analyzeRuns(calmRuns(), { alarm: null, question: "check the host" }).summary), /ask again while it happens/);
  });

  void it("still points at the metric around the alarm time when an alarm asked", () => {
    const summary = plainText(analyzeRuns(calmRuns(), { alarm: alarm("web-mem-high", metric("CWAgent", "mem_used_percent", { InstanceId: "i-1" })), question: null }).summary);
    assert.match(summary, /compare with the metric around the alarm time/);
  });
});

void describe("offline follow-up answers quote the data line (item 8)", () => {
  void it("quotes vmstat's row with the figures, not its header", () => {
    const runs = numbered([run("vmstat 1 5", VMSTAT_SWAPPING)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "memory" });
    const answer = offlineAnswer("is it swapping?", analysis, analysis.findings, runs.length, false, "en");
    const quotes = answer.filter((span) => typeof span !== "string").map((span) => span.code);
    assert.ok(quotes.length > 0, plainText(answer));
    for (const quote of quotes) {
      assert.match(quote, /^\d+\s+\d+\s+\d+/, `a data row of vmstat, not a header: ${quote}`);
      assert.ok(VMSTAT_SWAPPING.includes(quote), "quoted verbatim");
    }
  });

  void it("picks the row holding the finding's figure in any table, else the first row with figures", () => {
    const ps = "  PID USER      %CPU COMMAND\n  101 www-data   2.0 nginx\n 4242 app       97.5 java\n  300 root       0.1 sshd";
    assert.equal(quotedLine(ps, ["java (pid 4242) uses 97.5% CPU"], []), "4242 app       97.5 java");
    const df = "Filesystem      Size  Used Avail Use% Mounted on\n/dev/xvda1       20G   19G  1.0G  95% /";
    assert.equal(quotedLine(df, ["The root file system is nearly full"], []), "/dev/xvda1       20G   19G  1.0G  95% /");
    assert.equal(quotedLine("only one line", ["x"], []), "only one line");
    const ss = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nLISTEN 129 128 0.0.0.0:8080 0.0.0.0:*";
    assert.equal(quotedLine(ss, ["The listen queue of port 8080 overflows"], ["8080"]), "LISTEN 129 128 0.0.0.0:8080 0.0.0.0:*");
  });
});
