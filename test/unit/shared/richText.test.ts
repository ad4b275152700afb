// ATL's formatted text keeps its own code spans apart from untrusted text: a backtick in a value
// is a character, never markup; Markdown from outside (the LLM) becomes runs once, at its boundary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { code, concat, fromMarkdown, isRichText, joinRich, mdCode, mdText, plain, plainText, rich, toMarkdown, toRichText, type RichText } from "../../../src/shared/richText";

void describe("rich text", () => {
  void it("takes code spans from the template's own backticks, and values as text of their run", () => {
    const name = "atl-demo-burner";
    assert.deepEqual(rich`${code(name)} (pid ${4242}) uses 198% CPU`, [{ code: "atl-demo-burner" }, " (pid 4242) uses 198% CPU"]);
    assert.deepEqual(rich`See \`ps -o pid,etime,args -p ${4242}\` first`, ["See ", { code: "ps -o pid,etime,args -p 4242" }, " first"]);
    assert.deepEqual(rich`restart it (\`systemctl restart <unit>\`)`, ["restart it (", { code: "systemctl restart <unit>" }, ")"]);
  });

  void it("never reads markup in a value: backticks, HTML and Markdown in untrusted text stay characters", () => {
    const hostile = "`rm -rf /` <img src=x onerror=alert(1)> **bold** [x](http://evil)";
    assert.deepEqual(rich`process ${hostile} is busy`, [`process ${hostile} is busy`]);
    assert.deepEqual(rich`unit ${code(hostile)}`, ["unit ", { code: hostile }]);
    assert.deepEqual(rich`\`journalctl -u ${hostile}\``, [{ code: `journalctl -u ${hostile}` }]);
    assert.equal(plainText(rich`a ${code("b`c")} d`), "a b`c d");
  });

  void it("splices rich values in, joins and concatenates", () => {
    const proc = rich`${code("nginx")} (pid 7)`;
    assert.deepEqual(rich`Busiest: ${proc}; next ${code("redis")}`, ["Busiest: ", { code: "nginx" }, " (pid 7); next ", { code: "redis" }]);
    assert.deepEqual(joinRich([code("a"), code("b"), plain("c")], ", "), [{ code: "a" }, ", ", { code: "b" }, ", c"]);
    assert.deepEqual(concat(plain("x"), ". ", code("y")), ["x. ", { code: "y" }]);
    assert.deepEqual(plain(""), []);
  });

  void it("reads Markdown from outside once: code spans and fenced blocks become code, the rest stays as written", () => {
    assert.deepEqual(fromMarkdown("`stress-ng` (pid 42) uses **98%** CPU <b>x</b>"), [{ code: "stress-ng" }, " (pid 42) uses **98%** CPU <b>x</b>"]);
    assert.deepEqual(fromMarkdown("a `` b`c `` d"), ["a ", { code: "b`c" }, " d"]);
    assert.deepEqual(fromMarkdown("unclosed ` tick and ``two"), ["unclosed ` tick and ``two"]);
    assert.deepEqual(fromMarkdown("Run:\n```bash\nps aux\ntop -b -n 1\n```\nthen look."), ["Run:\n", { code: "ps aux\ntop -b -n 1" }, "\nthen look."]);
    assert.deepEqual(fromMarkdown("```\nnever closed"), ["```\nnever closed"]);
  });

  void it("accepts what this version stores and upgrades strings of older reports", () => {
    assert.equal(isRichText(["a", { code: "b" }]), true);
    assert.equal(isRichText(["a", { code: "b", html: "<x>" }]), false);
    assert.equal(isRichText("a"), false);
    assert.deepEqual(toRichText("`nginx` is down"), [{ code: "nginx" }, " is down"]);
    assert.deepEqual(toRichText([{ code: "x" }, "", "y"]), [{ code: "x" }, "y"]);
    assert.deepEqual(toRichText(42), []);
  });

  void it("reads the rules' Markdown back losslessly: mdCode and mdText hold any value, backticks and all", () => {
    assert.equal(mdCode("a`b"), "``a`b``");
    assert.equal(mdCode("`x`"), "`` `x` ``");
    assert.equal(mdText("a`b\\c~"), "a\\`b\\\\c\\~");
    assert.deepEqual(fromMarkdown(`${mdCode("evil`name")} (pid 7) and ${mdText("a`b")} \`ps\``), [{ code: "evil`name" }, " (pid 7) and a`b ", { code: "ps" }]);
    const value = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        const expected: RichText = [...plain("x "), ...code(a.replace(/\r?\n|\r/g, " ")), ...plain(` ${b} y`)];
        assert.deepEqual(fromMarkdown(`x ${mdCode(a)} ${mdText(b)} y`), a.length > 0 ? expected : [`x  ${b} y`]);
      }),
      { numRuns: 200 },
    );
  });

  void it("writes runs as Markdown that reads back as the same runs (prompts, tools)", () => {
    const runs = fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.record({ code: fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, " ")) })), { maxLength: 6 });
    fc.assert(
      fc.property(runs, (spans) => {
        const text = toRichText(spans);
        assert.deepEqual(fromMarkdown(toMarkdown(text)), text);
      }),
      { numRuns: 200 },
    );
  });
});
