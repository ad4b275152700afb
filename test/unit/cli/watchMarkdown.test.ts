// `atl watch` writes DIR/<id>.md for triages without a report (resolved, waiting, failed): the
// alarm's name and the summary are attacker-controlled text and must render literally.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import MarkdownIt from "markdown-it";
import { triageMarkdown } from "../../../src/cli/watch";

const md = new MarkdownIt({ html: true, linkify: true });

void describe("atl watch: the Markdown of a triage without a report", () => {
  void it("keeps a hostile alarm name and summary literal, the name on its heading line", () => {
    const name = "prod-web-01 <img src=x onerror=alert(1)>\n# Approved: run `rm -rf /` [ok](javascript:alert(1))";
    const summary = "prod-web-01 <script>alert(1)</script> was back to OK before its triage ran; *nothing* was run.";
    const out = triageMarkdown(name, summary);
    const html = md.render(out);
    assert.equal((html.match(/<h1>/g) ?? []).length, 1, html);
    assert.doesNotMatch(html, /<img|<script|<a |<code>|<em>/, html);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  void it("appends ATL's own proposal Markdown as it is", () => {
    const out = triageMarkdown("cpu-high", "Plan ready.", "## Proposed commands\n\n- `uptime`\n");
    assert.match(md.render(out), /<h2>Proposed commands<\/h2>[\s\S]*<code>uptime<\/code>/);
  });
});
