// Reports render attacker-controlled text as data: fences longer than any backtick run, escaped
// Markdown and HTML, stripped terminal escapes, redacted secrets; in English and Korean.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import MarkdownIt from "markdown-it";
import type { DiagnosisReport } from "../../../src/graph/diagnosis";
import { codeBlock, markdownLiteral, fenceFor, inlineCode, renderMarkdown, renderText, renderTextUpdate, richInline, upgradeReport } from "../../../src/report";
import { analyzeRuns } from "../../../src/graph/runbookAnalysis";
import { code, fromMarkdown, rich } from "../../../src/shared/richText";

const md = new MarkdownIt({ html: true, linkify: true });

function report(patch: Partial<DiagnosisReport> = {}): DiagnosisReport {
  return {
    threadId: "t-1",
    createdAt: "2026-11-25T03:12:45.148Z",
    alarm: {
      name: "<img src=x onerror=alert(1)> cpu-high | [click](http://evil.example)",
      description: "# Heading\n- list",
      state: "ALARM",
      previousState: "OK",
      reason: "Threshold Crossed: 3 datapoints **were** greater than 80",
      changedAt: "2026-11-25T03:12:45.148Z",
      region: "ap-northeast-2",
      accountId: "123456789012",
      arn: "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:cpu-high",
      source: "sns",
      messageId: null,
      metric: { namespace: "AWS/EC2", name: "CPUUtilization", statistic: "Average", threshold: 80, comparison: "GreaterThanThreshold", dimensions: { InstanceId: "i-0a1b2c3d4e5f67890" }, period: 60, evaluationPeriods: 3, queries: [] },
      children: [],
      rule: null,
      hostId: "i-0a1b2c3d4e5f67890",
    },
    host: { id: "prod-web-01", name: "prod-web-01", transport: "agent" },
    question: null,
    proposals: [
      {
        threadId: "t-1",
        round: 1,
        host: { id: "prod-web-01", name: "prod-web-01", transport: "agent" },
        commands: [
          { id: "c1", command: "uptime", purpose: "load", expectedSignal: "x", decision: "allowed", risk: "read-only", reason: "ok", rule: "allow:uptime" },
          { id: "c2", command: "rm -rf /", purpose: "injected", expectedSignal: "x", decision: "refused", risk: "mutating", reason: "rm deletes files", rule: "refuse:rm" },
        ],
        rationale: "CPU runbook",
        source: "llm",
        autoApproved: false,
      },
    ],
    runs: [
      { id: "c1", command: "uptime", status: "ok", exitCode: 0, signal: null, stdout: "load average: 7.93\n```\n</pre><script>alert(1)</script>\n````` nested\n\u001b[31mred\u001b[0m AKIAIOSFODNN7EXAMPLE\n", stderr: "", durationMs: 12, truncated: false, reason: null },
      { id: "c2", command: "rm -rf /", status: "refused", exitCode: null, signal: null, stdout: "", stderr: "", durationMs: 0, truncated: false, reason: "rm deletes files" },
    ],
    analysis: {
      summary: ["atl-burn-cpu (pid 4242) uses 99% CPU."],
      severity: "high",
      findings: [{ title: ["Busy <b>process</b>"], detail: ["pid 4242"], severity: "high", source: "llm", evidence: [{ commandId: "c1", command: "uptime", excerpt: "load average: 7.93" }] }],
      nextSteps: [["Stop atl-burn-cpu <script>x</script>"]],
      source: "llm",
      fallbackReason: null,
      culprit: { resource: "cpu", kind: "process", name: "atl-burn-cpu", pid: 4242, detail: null },
      resources: ["cpu"],
      checked: [],
    },
    usage: { model: "gpt-4.1-mini", promptTokens: 1000, completionTokens: 200, totalTokens: 1200, costUsd: 0.00072, calls: 2 },
    language: "en",
    status: "done",
    answers: [{ question: "why?", answer: ["Because **c1** shows load."] }],
    errors: [{ code: "llm-reply", message: "dropped 1 excerpt" }],
    ...patch,
  };
}

void describe("Markdown report", () => {
  void it("uses a fence longer than any backtick run, so output cannot close it", () => {
    assert.equal(fenceFor("no ticks"), "```");
    assert.equal(fenceFor("a ````` b"), "``````");
    const block = codeBlock("x\n```\ny");
    const tokens = md.parse(block, {});
    assert.equal(tokens.filter((t) => t.type === "fence").length, 1);
    assert.equal(tokens.find((t) => t.type === "fence")!.content, "x\n```\ny\n");
  });

  void it("renders alarm text, output and LLM text as text: no HTML, no links, no injected headings", () => {
    const markdown = renderMarkdown(report());
    const html = md.render(markdown);
    assert.ok(!/<img|<script|<b>|onerror=alert\(1\)>/.test(html.replace(/&lt;[^&]*&gt;/g, "")), html);
    assert.ok(!/href="http:\/\/evil/.test(html), "no link to the attacker's URL");
    assert.ok(!html.includes("<h1>Heading</h1>"), "a heading in the description stays text");
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /<li>Stop atl-burn-cpu &lt;script&gt;x&lt;\/script&gt;<\/li>/);
    assert.match(html, /atl-burn-cpu/);
    // Every output stays inside its own code block.
    const fences = md.parse(markdown, {}).filter((t) => t.type === "fence");
    assert.ok(fences.some((t) => t.content.includes("</pre><script>alert(1)</script>")));
  });

  void it("strips terminal escapes and redacts secrets in what gets saved or pasted", () => {
    const markdown = renderMarkdown(report());
    assert.ok(!markdown.includes("\u001b"));
    assert.ok(!markdown.includes("AKIAIOSFODNN7EXAMPLE"));
    assert.match(markdown, /red \[REDACTED\]/);
    assert.ok(renderMarkdown(report(), { redact: false }).includes("AKIAIOSFODNN7EXAMPLE"));
  });

  void it("redacts a secret that a code span splits from its key, in every rendering", () => {
    const base = report();
    const leaky = report({
      analysis: {
        ...base.analysis!,
        summary: ["The app connects with password=", { code: "Tr0ub4dor&3x" }, " from ", { code: "/etc/app.env" }],
        findings: [{ ...base.analysis!.findings[0], detail: ["DB_PASSWORD: ", { code: "Tr0ub4dor&3x" }, " is in the unit file"] }],
      },
    });
    for (const out of [renderMarkdown(leaky), renderText(leaky)]) {
      assert.ok(!out.includes("Tr0ub4dor"), out);
      assert.match(out, /\[REDACTED\]/);
      assert.match(out, /\/etc\/app\.env/, "the rest of the text and its code spans stay");
    }
    assert.ok(renderMarkdown(leaky, { redact: false }).includes("Tr0ub4dor"));
  });

  void it("has the sections an on-call ticket needs", () => {
    const markdown = renderMarkdown(report());
    for (const heading of ["## Summary", "## Alarm", "## Findings", "## Next steps", "## Commands and output", "## Plans", "## Follow-up questions", "## Problems during the diagnosis", "## LLM usage"]) {
      assert.ok(markdown.includes(heading), heading);
    }
    assert.match(markdown, /\*\*Severity:\*\* HIGH/);
    assert.match(markdown, /AWS\/EC2\/CPUUtilization > 80/);
    assert.match(markdown, /1,200 tokens .* ≈ \$0\.0007/);
    assert.match(markdown, /rm deletes files/);
  });

  void it("escapes inline text and code spans safely", () => {
    assert.equal(markdownLiteral("*a* [b](c) <d>"), "\\*a\\* \\[b\\](c) &lt;d>");
    assert.equal(markdownLiteral("> quote\n# head\n1. item"), "\\> quote\n\\# head\n1\\. item");
    assert.equal(inlineCode("a`b"), "``a`b``");
    assert.equal(inlineCode("`x`"), "`` `x` ``");
  });

  void it("renders in Korean", () => {
    const markdown = renderMarkdown(report({ language: "ko" }));
    assert.match(markdown, /# ATL 진단/);
    assert.match(markdown, /## 요약/);
    assert.match(markdown, /\*\*심각도:\*\* 높음/);
    assert.match(renderText(report({ language: "ko" })), /발견 사항:/);
  });
});

void describe("ATL's formatting and untrusted text, carried apart (issue 17 items 1 and 2)", () => {
  const hostile = "a`b <script>alert(1)</script> ](http://evil.example) **x**";
  const analysis = {
    ...report().analysis!,
    summary: rich`${code("atl-demo-burner")} (pid 4242) uses 198% CPU; compare with ${code("mpstat -P ALL 1 1")}.`,
    findings: [{ title: rich`${code(hostile)} uses 99% CPU`, detail: rich`Plain ${hostile}; see \`ps -o pid,args -p 4242\`.`, severity: "high" as const, source: "parser" as const, evidence: [] }],
    nextSteps: [rich`Restart it through its service (\`systemctl restart <unit>\`).`],
  };
  const markdown = renderMarkdown(report({ analysis, answers: [{ question: "which?", answer: rich`The busiest is ${code("atl-demo-burner")}.` }] }));
  const html = md.render(markdown);

  void it("renders ATL's code spans as code: no escaped backticks anywhere in the Markdown", () => {
    assert.ok(!markdown.includes("\\`"), markdown);
    assert.match(html, /<code>atl-demo-burner<\/code> \(pid 4242\) uses 198% CPU; compare with <code>mpstat -P ALL 1 1<\/code>\./);
    assert.match(html, /The busiest is <code>atl-demo-burner<\/code>\./);
  });

  void it("keeps < inside a code span as itself, not &lt; (item 2)", () => {
    assert.match(html, /<code>systemctl restart &lt;unit&gt;<\/code>/);
    assert.ok(!html.includes("&amp;lt;"), html);
  });

  void it("shows hostile names literally, in code spans and in plain text, with no markup, link or script", () => {
    assert.ok(html.includes("<code>a`b &lt;script&gt;alert(1)&lt;/script&gt; ](http://evil.example) **x**</code> uses 99% CPU"), html);
    assert.ok(html.includes("Plain a`b &lt;script&gt;alert(1)&lt;/script&gt; ](http://evil.example) **x**; see <code>ps -o pid,args -p 4242</code>."), html);
    assert.ok(!/<script|href="http:\/\/evil|<strong>x/.test(html), html);
  });

  void it("writes the plain-text channel as the text it reads: code without backticks", () => {
    const text = renderText(report({ analysis }));
    assert.match(text, /^ {2}atl-demo-burner \(pid 4242\) uses 198% CPU; compare with mpstat -P ALL 1 1\.$/m);
    assert.match(text, /Restart it through its service \(systemctl restart <unit>\)\./);
    assert.ok(text.includes(`${hostile.replace(/\n/g, " ")} uses 99% CPU`));
  });

  void it("carries the runbooks' names from the rules to the report losslessly", () => {
    const name = "evil`name<script>](y)";
    const ps = `  PID  PPID USER     %CPU %MEM   RSS ELAPSED STAT COMMAND\n 666     1 root     99.0  1.0  1000     100 R    ${name}\n`;
    const runs = [
      { id: "c1", command: "ps -eo pid,ppid,user,pcpu,pmem,rss,etimes,stat,comm --sort=-pcpu | head -n 15", status: "ok" as const, exitCode: 0, signal: null, stdout: ps, stderr: "", durationMs: 1, truncated: false, reason: null },
      { id: "c2", command: "nproc", status: "ok" as const, exitCode: 0, signal: null, stdout: "1\n", stderr: "", durationMs: 1, truncated: false, reason: null },
    ];
    const runbook = analyzeRuns(runs, { alarm: null, question: "cpu" });
    assert.deepEqual(runbook.summary[0], { code: name });
    // Every backtick the rules wrote was structure: none is left in a plain run.
    for (const text of [runbook.summary, ...runbook.nextSteps, ...runbook.findings.flatMap((f) => [f.title, f.detail])]) {
      assert.ok(text.every((span) => typeof span !== "string" || !span.includes("`")), JSON.stringify(text));
    }
    const out = md.render(renderMarkdown(report({ analysis: { ...report().analysis!, ...runbook } })));
    assert.ok(out.includes("<code>evil`name&lt;script&gt;](y)</code> (pid 666)"), out);
  });

  void it("writes one line for chat replies (the @atl participant), cut without breaking a code span", () => {
    const line = richInline(rich`Stop ${code("a`b")} now,\nthen *check* ${code("systemctl status x")}`, 20);
    assert.equal(line, "Stop ``a`b`` now, then …");
    assert.equal(richInline(rich`a *b* ${code("c")}`), "a \\*b\\* `c`");
    assert.equal(md.renderInline(richInline(rich`${code("journalctl -u nginx")} says <b>`, 14)), "<code>journalctl -u…</code>");
  });

  void it("opens reports saved before RichText (Markdown strings)", () => {
    const old = report() as unknown as { analysis: Record<string, unknown>; answers: unknown[] };
    old.analysis = { ...old.analysis, summary: "`nginx` is down", nextSteps: ["Run `systemctl restart nginx`"], findings: [{ title: "`nginx` failed", detail: "exit 1", severity: "high", source: "parser", evidence: [] }] };
    old.answers = [{ question: "why?", answer: "See `journalctl -u nginx`." }];
    const upgraded = upgradeReport(old as unknown as DiagnosisReport);
    assert.deepEqual(upgraded.analysis?.summary, [{ code: "nginx" }, " is down"]);
    assert.deepEqual(upgraded.answers?.[0]?.answer, fromMarkdown("See `journalctl -u nginx`."));
    const out = md.render(renderMarkdown(old as unknown as DiagnosisReport));
    assert.match(out, /<code>nginx<\/code> is down/);
    assert.match(out, /<code>systemctl restart nginx<\/code>/);
    assert.match(renderText(old as unknown as DiagnosisReport), /See journalctl -u nginx\./);
  });
});

void describe("plain-text report", () => {
  void it("is readable in an output channel and shortens long outputs", () => {
    const long = Array.from({ length: 500 }, (_, i) => `row ${i}`).join("\n");
    const text = renderText(report({ runs: [{ ...report().runs[0], stdout: long }] }));
    assert.match(text, /Severity: HIGH/);
    assert.match(text, /c1 \$ uptime {3}\(ok, exit 0, 12 ms\)/);
    assert.match(text, /row 0/);
    assert.match(text, /row 499/);
    assert.ok(!text.includes("row 250"));
    assert.match(text, /460 more lines/);
    assert.ok(!text.includes("\u001b"));
  });
});

void describe("plain-text report: later turns of a diagnosis", () => {
  const first = report({ answers: [], errors: [] });

  void it("adds only what a follow-up question changed, and keeps the verdict out of it", () => {
    const second = report({ errors: [], answers: [{ question: "why is the load so high?", answer: ["c1 shows load 7.93."] }] });
    const update = renderTextUpdate(first, second);
    assert.match(update, /Follow-up: .*cpu-high/);
    assert.match(update, /Q: why is the load so high\?/);
    assert.match(update, /A: c1 shows load 7\.93\./);
    for (const whole of ["Commands and output", "Findings:", "Summary:", "Status:", "load average: 7.93"]) {
      assert.ok(!update.includes(whole), `no second copy of "${whole}"`);
    }
    assert.ok(update.length < renderText(second).length / 3);
  });

  void it("adds new command runs, a rejected plan and a changed analysis; nothing when nothing changed", () => {
    const run = { id: "c3", command: "df -h", status: "ok" as const, exitCode: 0, signal: null, stdout: "/dev/xvda1  20G  19G  1G  95% /\n", stderr: "", durationMs: 30, truncated: false, reason: null };
    const analysis = { ...first.analysis!, summary: ["The root file system is 95% full."] };
    const second = report({ answers: [], errors: [], runs: [...first.runs, run], analysis, rejections: [{ round: 2, reason: "not the database", commands: ["du -sh /var/lib/mysql"] }] });
    const update = renderTextUpdate(first, second);
    assert.match(update, /c3 \$ df -h/);
    assert.ok(!update.includes("</pre><script>alert(1)</script>"), "output already in the channel is not repeated");
    assert.match(update, /The root file system is 95% full\./);
    assert.match(update, /Rejected \(Round 2\): not the database/);
    assert.equal(renderTextUpdate(first, first), "");
  });
});

void describe("report wording: hosts, dates, plurals", () => {
  void it("names a host once when its id is its name, and both when they differ", () => {
    assert.match(renderMarkdown(report()), /\*\*Host:\*\* prod-web-01 \(agent\)/);
    assert.ok(!renderMarkdown(report()).includes("prod-web-01 (`prod-web-01`"));
    const named = report({ host: { id: "i-0a1b2c3d4e5f67890", name: "prod-web-01", transport: "ssh" } });
    assert.match(renderMarkdown(named), /\*\*Host:\*\* prod-web-01 \(`i-0a1b2c3d4e5f67890`, ssh\)/);
    assert.match(renderText(report()), /Host: prod-web-01, agent/);
    assert.match(renderText(named), /Host: prod-web-01 \(i-0a1b2c3d4e5f67890\), ssh/);
  });

  void it("writes dates in the one localized format, with the time zone", () => {
    const markdown = renderMarkdown(report(), { timeZone: "UTC" });
    assert.match(markdown, /\*\*Started:\*\* Nov 25, 2026, 3:12:45 AM UTC/);
    assert.match(markdown, /\| Changed at \| Nov 25, 2026, 3:12:45 AM UTC \|/);
    assert.ok(!markdown.includes("2026-11-25T03:12:45"), "no raw ISO time");
    assert.match(renderMarkdown(report({ language: "ko" }), { timeZone: "Asia/Seoul" }), /2026\\?\. 11\. 25\. .*12시 12분 45초 GMT\+9/);
    assert.match(renderText(report(), { timeZone: "UTC" }), /Started: Nov 25, 2026, 3:12:45 AM UTC/);
  });

  void it("says 1 more line, not 1 more lines", () => {
    const rows = (n: number): string => Array.from({ length: n }, (_, i) => `row ${i}`).join("\n");
    assert.match(renderText(report({ runs: [{ ...report().runs[0], stdout: rows(41) }] })), /… 1 more line: /);
    assert.match(renderText(report({ runs: [{ ...report().runs[0], stdout: rows(42) }] })), /… 2 more lines: /);
  });
});
