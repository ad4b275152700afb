// Command output sent to the LLM stays within its budget: head and tail kept, the middle omitted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encode } from "gpt-tokenizer";
import { budgetText, estimateTokens } from "../../../src/llm/budget";

function psAux(n: number): string {
  const lines = ["USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"];
  for (let i = 0; i < n; i++) {
    lines.push(`app     ${String(1000 + i).padStart(7)}  0.${i % 10}  0.1 123456  7890 ?        S    03:1${i % 10}   0:00 /usr/bin/worker --id=${i} --queue=jobs-${i % 7}`);
  }
  return lines.join("\n");
}

void describe("output budget", () => {
  void it("keeps short output unchanged", () => {
    const text = "total used free\nMem: 7821 5120 210";
    assert.deepEqual(budgetText(text, 600), { text, omittedLines: 0, cut: false });
  });

  void it("cuts a 3,000-line ps listing to head + tail with an omission marker, within budget by a real tokenizer", () => {
    const text = psAux(3000);
    const out = budgetText(text, 600);
    assert.ok(out.cut);
    assert.ok(out.omittedLines > 2500, `omitted ${out.omittedLines}`);
    assert.match(out.text, new RegExp(`… ${out.omittedLines} lines omitted …`));
    const lines = out.text.split("\n");
    assert.equal(lines[0], text.split("\n")[0], "the header line survives");
    assert.equal(lines[lines.length - 1], text.split("\n").at(-1), "the last line survives");
    const real = encode(out.text).length;
    assert.ok(real <= 600, `real tokens ${real} > 600`);
  });

  void it("estimates close to a real tokenizer on command output (never far under)", () => {
    const samples = [
      psAux(200),
      "Jan 12 03:12:45 web-01 app[123]: GET /api/v1/items 200 12ms\n".repeat(300),
      "a3f9c0d1e2b4".repeat(400),
      "/dev/nvme0n1p1   20G   19G  1.0G  95% /\n".repeat(100),
      "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n".repeat(50),
      "디스크 사용률이 높습니다 ".repeat(200),
      "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYqZ3xV9".repeat(50),
    ];
    for (const sample of samples) {
      const ratio = estimateTokens(sample) / encode(sample).length;
      assert.ok(ratio >= 0.85 && ratio <= 2.5, `estimate/real = ${ratio.toFixed(2)} for ${JSON.stringify(sample.slice(0, 30))}`);
    }
  });

  void it("handles one enormous line without newlines", () => {
    const out = budgetText("a".repeat(200_000), 300);
    assert.ok(out.text.length < 2000);
    assert.match(out.text, /characters omitted/);
  });
});
