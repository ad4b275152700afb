// The Program an allowed command turns into is exactly what the agent spawns: argv after quote
// removal, redirections mapped to flags, steps joined by ; && ||. renderProgram turns it back into
// a shell line (for SSH) that parses to the same Program.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCommandPolicy, quoteArgv, renderProgram, type Program, type Stage } from "../../src/policy";
import { corpus } from "./corpus";
import { asRun, asWritten, bashProgram } from "./oracle";

const policy = createCommandPolicy();

function stage(argv: string[], flags: Partial<Omit<Stage, "argv">> = {}): Stage {
  return { argv, stdoutToNull: false, stderrToNull: false, stderrToStdout: false, ...flags };
}

function programOf(command: string): Program {
  const d = policy.check(command);
  assert.equal(d.decision, "allowed", `${command}: ${d.reason}`);
  assert.ok(d.program);
  return d.program;
}

void describe("Program of an allowed command", () => {
  void it("removes quotes and backslashes the way a shell does", () => {
    assert.deepEqual(programOf(`journalctl -u nginx --since "10 min ago" --no-pager`), {
      steps: [{ op: null, pipeline: { stages: [stage(["journalctl", "-u", "nginx", "--since", "10 min ago", "--no-pager"])] } }],
    });
    assert.deepEqual(programOf(`awk '{print $1}' /var/log/x`).steps[0].pipeline.stages[0].argv, ["awk", "{print $1}", "/var/log/x"]);
    assert.deepEqual(programOf(`echo 'it'\\''s' "a\\"b" "c\\d" e\\ f ''`).steps[0].pipeline.stages[0].argv, ["echo", "it's", 'a"b', "c\\d", "e f", ""]);
    assert.deepEqual(programOf(`'df' -h`).steps[0].pipeline.stages[0].argv, ["df", "-h"]);
    assert.deepEqual(programOf(`grep '오류' /var/log/app.log`).steps[0].pipeline.stages[0].argv, ["grep", "오류", "/var/log/app.log"]);
  });

  void it("keeps a path-qualified program as written", () => {
    assert.deepEqual(programOf("/usr/bin/uptime").steps[0].pipeline.stages[0].argv, ["/usr/bin/uptime"]);
  });

  void it("splits pipelines and joins steps with their operators", () => {
    assert.deepEqual(programOf("ps aux --sort=-%cpu | head -n 5 && uptime || df -h; free -m"), {
      steps: [
        { op: null, pipeline: { stages: [stage(["ps", "aux", "--sort=-%cpu"]), stage(["head", "-n", "5"])] } },
        { op: "&&", pipeline: { stages: [stage(["uptime"])] } },
        { op: "||", pipeline: { stages: [stage(["df", "-h"])] } },
        { op: ";", pipeline: { stages: [stage(["free", "-m"])] } },
      ],
    });
  });

  void it("maps the allowed redirections, in order, like a shell", () => {
    const first = (command: string): Stage => programOf(command).steps[0].pipeline.stages[0];
    assert.deepEqual(first("find / -xdev -size +500M 2>/dev/null"), stage(["find", "/", "-xdev", "-size", "+500M"], { stderrToNull: true }));
    assert.deepEqual(first("ls /x >/dev/null"), stage(["ls", "/x"], { stdoutToNull: true }));
    assert.deepEqual(first("ls /x 1> /dev/null"), stage(["ls", "/x"], { stdoutToNull: true }));
    assert.deepEqual(first("ls /x 2>&1"), stage(["ls", "/x"], { stderrToStdout: true }));
    // >/dev/null 2>&1: both streams discarded.
    assert.deepEqual(first("ls /x >/dev/null 2>&1"), stage(["ls", "/x"], { stdoutToNull: true, stderrToNull: true }));
    // 2>&1 >/dev/null: stderr goes where stdout went before stdout was discarded.
    assert.deepEqual(first("ls /x 2>&1 >/dev/null"), stage(["ls", "/x"], { stdoutToNull: true, stderrToStdout: true }));
    // A redirection may stand anywhere among the arguments.
    assert.deepEqual(first("ls 2>/dev/null /x"), stage(["ls", "/x"], { stderrToNull: true }));
    // "2" quoted is an argument, not a descriptor.
    assert.deepEqual(first(`echo "2">/dev/null`), stage(["echo", "2"], { stdoutToNull: true }));
    // A word ending in a digit glued to ">" reads differently across parsers: refused.
    assert.equal(policy.check("echo x2>/dev/null").rule, "refuse:structure:redirect");
    assert.equal(policy.check("echo 'a'2>/dev/null").rule, "refuse:structure:redirect");
    // Only 1 and 2 are descriptors here: "02>&1" and "3>" are refused.
    assert.equal(policy.check("uptime 02>&1").rule, "refuse:structure:redirect");
  });

  void it("marks unquoted path patterns as glob words (expanded on the host), quoted ones as literal", () => {
    assert.deepEqual(programOf("find /var/log -name '*.log'").steps[0].pipeline.stages[0], stage(["find", "/var/log", "-name", "*.log"]));
    assert.deepEqual(programOf("find /var/log -name *.log").steps[0].pipeline.stages[0], stage(["find", "/var/log", "-name", "*.log"], { globs: [{ index: 3, pattern: "*.log" }] }));
    // Quoted parts of a pattern are literal: written escaped in the pattern.
    assert.deepEqual(programOf(`ls '/var/log/my app'/*."log" /x\\*`).steps[0].pipeline.stages[0], stage(["ls", "/var/log/my app/*.log", "/x*"], { globs: [{ index: 1, pattern: "/var/log/my\\ app/*.log" }] }));
    assert.equal(policy.check("/usr/bin/up*").rule, "refuse:structure:glob");
  });

  void it("adds the count that bounds a sampling command, and batch mode, and says so", () => {
    const vmstat = policy.check("vmstat 1");
    assert.deepEqual(vmstat.program?.steps[0].pipeline.stages[0], stage(["vmstat", "1", "6"], { added: { at: 2, words: ["6"] } }));
    assert.deepEqual(vmstat.sampling, { seconds: 5 });
    assert.deepEqual(vmstat.segments[0].sampling, { seconds: 5 });
    assert.match(vmstat.reason, /runs as vmstat 1 6, sampled for 5 s/);
    assert.deepEqual(policy.check("top").program?.steps[0].pipeline.stages[0].argv, ["top", "-b", "-d", "5", "-n", "2"]);
    assert.deepEqual(policy.check("top -bn1").program?.steps[0].pipeline.stages[0].argv, ["top", "-bn1"]);
    assert.equal(policy.check("top -bn1").sampling, undefined);
    assert.deepEqual(policy.check("vmstat 1; iostat -xz 1 | tail -n 20").sampling, { seconds: 10 });
    assert.deepEqual(createCommandPolicy(undefined, { sampleSeconds: 10 }).check("sar -n DEV 2").program?.steps[0].pipeline.stages[0].argv, ["sar", "-n", "DEV", "2", "5"]);
  });

  void it("agrees with a real bash parser (mvdan/sh) on every allowed corpus command", () => {
    let compared = 0;
    for (const c of corpus) {
      const d = policy.check(c.command);
      if (d.decision === "allowed") {
        assert.ok(d.program);
        assert.deepEqual(asWritten(d.program), bashProgram(c.command), c.command);
        compared++;
      }
    }
    assert.ok(compared > 150);
  });
});

void describe("quoteArgv and renderProgram", () => {
  void it("single-quotes every argument", () => {
    assert.equal(quoteArgv(["echo", "it's", "", "$(id)", "a b"]), `'echo' 'it'\\''s' '' '$(id)' 'a b'`);
  });

  void it("renders only | ; && || and the three redirections", () => {
    const program = programOf("ps aux | head -n 5 2>&1 >/dev/null && uptime 2>/dev/null || df -h >/dev/null; free -m");
    assert.equal(renderProgram(program), `'ps' 'aux' | 'head' '-n' '5' 2>&1 >/dev/null && 'uptime' 2>/dev/null || 'df' '-h' >/dev/null ; 'free' '-m'`);
  });

  void it("parses back to the same Program for every allowed corpus command", () => {
    for (const c of corpus) {
      const d = policy.check(c.command);
      if (d.decision !== "allowed" || !d.program) {
        continue;
      }
      // Rendered as it runs: the added words are ordinary words now.
      const rendered = renderProgram(d.program);
      const again = policy.check(rendered);
      assert.equal(again.decision, "allowed", `${c.command} → ${rendered}: ${again.reason}`);
      assert.ok(again.program);
      assert.deepEqual(asRun(again.program), asRun(d.program), rendered);
      assert.deepEqual(bashProgram(rendered), asRun(d.program), `bash reads ${rendered} differently`);
    }
  });
});
