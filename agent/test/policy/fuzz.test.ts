// Property tests: mutate allowed commands at the syntax level (insert substitutions, redirections,
// separators, newlines, wrappers, assignments, backgrounding, quoting tricks) and check that the
// policy never allows a line that bash would read as anything but the allowed subset, and that
// what it allows is exactly what bash would run (mvdan/sh as the second parser).
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createCommandPolicy, renderProgram, type PolicyDecision, type Program, type Stage } from "../../src/policy";
import { READ_ONLY_PROGRAMS } from "../../src/policy/programs/rules";
import { corpus } from "./corpus";
import { asWritten, bashProgram } from "./oracle";
import { INSERTS, mutate, programTokens, quoteStyles } from "./mutations";

const policy = createCommandPolicy();
const allowedPrograms = corpus
  .filter((c) => c.expect === "allowed")
  .map((c) => policy.check(c.command).program)
  .filter((p): p is Program => p !== null);

/** What must hold for every decision, whatever the input. */
function assertSound(command: string, d: PolicyDecision): void {
  assert.equal(d.command, command);
  if (d.decision === "refused") {
    assert.equal(d.program, null);
    assert.match(d.rule, /^refuse:/);
    return;
  }
  assert.ok(d.program, command);
  const bash = bashProgram(command);
  assert.ok(bash, `allowed, but bash reads constructs outside the subset in ${JSON.stringify(command)}`);
  const written = asWritten(d.program);
  assert.ok(isDeepStrictEqual(bash, written), `allowed, but bash would run something else for ${JSON.stringify(command)}:\n${JSON.stringify(bash)}\n${JSON.stringify(written)}`);
  for (const stage of d.program.steps.flatMap((s) => s.pipeline.stages)) {
    const name = stage.argv[0].slice(stage.argv[0].lastIndexOf("/") + 1);
    assert.ok(Object.hasOwn(READ_ONLY_PROGRAMS, name), `allowed a program outside the profile: ${name} in ${JSON.stringify(command)}`);
  }
}

const insertion = fc.record({
  program: fc.constantFrom(...allowedPrograms),
  style: fc.constantFrom(...quoteStyles),
  inserts: fc.array(
    fc.record({ text: fc.constantFrom(...INSERTS), at: fc.nat(), mode: fc.constantFrom("token", "glued-before", "glued-after", "inside") }),
    { minLength: 1, maxLength: 3 },
  ),
});

void describe("policy properties", () => {
  void it("renders every allowed corpus Program in any quoting style back to the same Program", () => {
    fc.assert(
      fc.property(fc.constantFrom(...allowedPrograms), fc.constantFrom(...quoteStyles), (program, style) => {
        const line = programTokens(program, style).join(" ");
        const d = policy.check(line);
        assert.equal(d.decision, "allowed", `${line}: ${d.reason}`);
        assert.deepEqual(d.program, program, line);
      }),
      { numRuns: 500 },
    );
  });

  void it("never allows a mutated command that bash would read as more than the allowed subset", () => {
    let allowed = 0;
    fc.assert(
      fc.property(insertion, (input) => {
        const line = mutate(input);
        let d: PolicyDecision;
        try {
          d = policy.check(line);
        } catch (error) {
          assert.fail(`check threw on ${JSON.stringify(line)}: ${String(error)}`);
        }
        assertSound(line, d);
        allowed += d.decision === "allowed" ? 1 : 0;
      }),
      { numRuns: 4000 },
    );
    // Some insertions are harmless (inside quotes, or plain words): the property is not vacuous.
    assert.ok(allowed > 0);
  });

  void it("refuses a wrapper, interpreter or assignment put in front of any allowed command", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...allowedPrograms),
        fc.constantFrom("sudo", "su -c", "env", "env -i", "nice", "ionice -c3", "timeout 5", "nohup", "watch", "xargs", "strace", "sh -c", "bash -c", "python3", "perl -e", "FOO=1", "LD_PRELOAD=/tmp/x.so", "exec", "eval", "command", "busybox", "stdbuf -oL", "setsid", "chroot /", "time"),
        (program, prefix) => {
          const line = `${prefix} ${renderProgram(program)}`;
          assert.equal(policy.check(line).decision, "refused", line);
        },
      ),
      { numRuns: 500 },
    );
  });

  void it("refuses any allowed command given a secret file to read, however the path is spelled", () => {
    const secrets = ["/etc/shadow", "/etc//shadow", "/var/../etc/shadow", "/etc/./gshadow", "/root/.ssh/id_rsa", "/home/u/.ssh/id_ed25519", ".ssh/id_rsa", "/proc/1/environ", "/proc/self/environ", ".aws/credentials", "/root/.aws/credentials", "/home/u/.bash_history", "/srv/app/.env", "/etc/ssl/private/site.key", "/etc/ssh/ssh_host_ed25519_key", "--file=/etc/shadow"];
    const candidates = allowedPrograms.filter((p) => p.steps.some((s) => s.pipeline.stages.some((st) => !READ_ONLY_PROGRAMS[st.argv[0].slice(st.argv[0].lastIndexOf("/") + 1)]?.paths)));
    fc.assert(
      fc.property(fc.constantFrom(...candidates), fc.constantFrom(...secrets), fc.nat(), (program, secret, pick) => {
        const stages = program.steps.flatMap((s) => s.pipeline.stages).filter((st) => !READ_ONLY_PROGRAMS[st.argv[0].slice(st.argv[0].lastIndexOf("/") + 1)]?.paths);
        const target = stages[pick % stages.length];
        const mutated: Program = structuredClone(program);
        const stage = mutated.steps.flatMap((s) => s.pipeline.stages).find((st) => isDeepStrictEqual(st, target));
        assert.ok(stage);
        stage.argv.push(secret);
        const line = renderProgram(mutated);
        const d = policy.check(line);
        assert.equal(d.decision, "refused", line);
      }),
      { numRuns: 1000 },
    );
  });

  void it("refuses any allowed command followed by a newline and another command", () => {
    fc.assert(
      fc.property(fc.constantFrom(...allowedPrograms), fc.constantFrom("\n", "\r", "\r\n", "\n\n", "\\\n"), fc.constantFrom("id", "uptime", "rm -f /tmp/x"), (program, newline, next) => {
        const line = renderProgram(program) + newline + next;
        assert.equal(policy.check(line).decision, "refused", JSON.stringify(line));
      }),
      { numRuns: 300 },
    );
  });

  void it("is sound on random shell-ish text after an allowed program name", () => {
    const alphabet = fc.constantFrom(..."abcxyz019 -_./=:,+%@'\"\\$`|&;<>(){}[]*?~#!\n\t^".split(""), "2>/dev/null", ">/dev/null", "2>&1", "$(", "${", "&&", "||");
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(READ_ONLY_PROGRAMS)), fc.array(alphabet, { maxLength: 30 }), (program, chars) => {
        const line = `${program} ${chars.join("")}`;
        assertSound(line, policy.check(line));
      }),
      { numRuns: 4000 },
    );
  });

  void it("never throws and stays consistent on arbitrary Unicode input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (line) => {
        const d = policy.check(line);
        assert.ok(d.decision === "allowed" || d.decision === "refused");
        if (d.decision === "allowed") {
          assertSound(line, d);
        } else {
          assert.equal(d.program, null);
        }
      }),
      { numRuns: 3000 },
    );
  });

  void it("round-trips any argv through renderProgram (echo takes any printable argument)", () => {
    const printable = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constantFrom("é", "한", "ü", "€", "\t")), maxLength: 20 });
    const stage = fc.record({
      argv: fc.array(printable, { maxLength: 5 }).map((args) => ["echo", ...args]),
      stdoutToNull: fc.boolean(),
      stderrToNull: fc.boolean(),
      stderrToStdout: fc.boolean(),
    }).map((s): Stage => ({ ...s, stderrToNull: s.stderrToNull && !s.stderrToStdout }));
    const program = fc.array(fc.record({ op: fc.constantFrom(";" as const, "&&" as const, "||" as const), stages: fc.array(stage, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }).map(
      (steps): Program => ({ steps: steps.map((s, k) => ({ op: k === 0 ? null : s.op, pipeline: { stages: s.stages } })) }),
    );
    fc.assert(
      fc.property(program, (p) => {
        const line = renderProgram(p);
        const d = policy.check(line);
        if (line.length > 4096) {
          assert.equal(d.decision, "refused");
          return;
        }
        assert.equal(d.decision, "allowed", `${line}: ${d.reason}`);
        assert.deepEqual(d.program, p);
        assert.deepEqual(bashProgram(line), p);
      }),
      { numRuns: 1000 },
    );
  });
});
