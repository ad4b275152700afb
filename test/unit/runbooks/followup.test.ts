// Second looks and how the analysis reads them: a listing of / that could not enter a full mount
// (du -x, find -xdev) or that timed out gives way to the follow-up listing of that mount; the
// follow-up a first round asks for is the one that names the directory and the file; a question
// that names no path lists nothing on the first round (a listing of a large root outlasts the time
// limit), and the listings go one level down into the largest directory per round. Outputs are
// hand-made in the shapes of GNU du/find/df on other hosts than the evaluation's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeRuns, planFromText } from "../../../src/graph/runbooks/index";
import { numbered, run } from "./support";

const DF = `Filesystem      Size  Used Avail Use% Mounted on
/dev/xvda1       30G   11G   20G  35% /
/dev/xvdf        50G   49G  1.0G  98% /var/lib/docker
tmpfs           3.9G     0  3.9G   0% /dev/shm
`;

const DU_ROOT = `11G\t/
6.1G\t/usr
3.2G\t/var
2.9G\t/var/log
1.1G\t/home
`;

const FIND_ROOT = `1073741824 /var/log/journal/system@0001.journal
524288000 /home/ops/core.1234
`;

const DU_MOUNT = `49G\t/var/lib/docker
47G\t/var/lib/docker/volumes
46G\t/var/lib/docker/volumes/metrics-db
1.8G\t/var/lib/docker/overlay2
`;

const FIND_MOUNT = `48318382080 /var/lib/docker/volumes/metrics-db/_data/wal-000117.log
104857600 /var/lib/docker/overlay2/abc/diff/usr/lib/libx.so
`;

const du = (path: string): string => `du -xh --max-depth=1 ${path} 2>/dev/null | head -n 1000`;
const find = (path: string): string => `find ${path} -xdev -maxdepth 3 -type f -size +10M -printf '%s %p\\n' 2>/dev/null | sort -rn | head -n 15`;
const duRoot = du("/");
const findRoot = find("/");
const duMount = du("/var/lib/docker");
const findMount = find("/var/lib/docker");

void describe("follow-up listings of a full mount", () => {
  void it("asks to list the full mount when the first listing of / could not enter it", () => {
    const analysis = analyzeRuns(numbered([run("df -hP", DF), run(duRoot, DU_ROOT), run(findRoot, FIND_ROOT)]), { alarm: null, question: "disk is full, what filled it?" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.ok(analysis.furtherCommands.some((c) => c.command === duMount), JSON.stringify(analysis.furtherCommands));
    assert.ok(analysis.furtherCommands.some((c) => c.command === findMount));
  });

  void it("the follow-up listing of the mount names the directory and the file, though / was listed first", () => {
    const runs = numbered([run("df -hP", DF), run(duRoot, DU_ROOT), run(findRoot, FIND_ROOT), run(duMount, DU_MOUNT), run(findMount, FIND_MOUNT)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "disk is full, what filled it?" });
    assert.match(analysis.summary, /\/var\/lib\/docker\/volumes\/metrics-db/, analysis.summary);
    assert.equal(analysis.culprit?.resource, "disk-space");
    assert.match(analysis.culprit?.name ?? "", /^\/var\/lib\/docker\/volumes\/metrics-db/);
    assert.doesNotMatch(analysis.summary, /\/var\/log|core\.1234/, "the listing of / is not the answer");
    assert.deepEqual(analysis.furtherCommands, []);
  });

  void it("a listing of / that timed out gives way to one that printed", () => {
    const runs = numbered([
      run("df -hP", DF),
      run(duRoot, "", { status: "timeout", exitCode: null, stderr: "timed out after 30 s; killed" }),
      run(duMount, DU_MOUNT),
      run(findMount, FIND_MOUNT),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "No space left on device" });
    assert.match(analysis.summary, /metrics-db/, analysis.summary);
  });

  void it("a mount that is not full is not blamed, whatever its listing shows", () => {
    const calm = DF.replace("49G  1.0G  98%", "20G   30G  40%");
    const runs = numbered([run("df -hP", calm), run(duRoot, DU_ROOT), run(duMount, DU_MOUNT), run(findMount, FIND_MOUNT)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "disk is full, what filled it?" });
    assert.equal(analysis.culprit, null, analysis.summary);
    assert.match(analysis.summary, /^No evidence of a full filesystem/, analysis.summary);
  });
});

void describe("a full root, one level at a time", () => {
  const df = `Filesystem      Size  Used Avail Use% Mounted on
/dev/nvme0n1p1   48G   45G  3.0G  94% /
tmpfs           3.9G     0  3.9G   0% /dev/shm
`;
  const level1 = "1.2G\t/usr\n40G\t/var\n2.1G\t/home\n512M\t/opt\n45G\t/\n";
  const level2 = "600M\t/var/log\n39G\t/var/lib\n300M\t/var/cache\n40G\t/var\n";
  const level3 = "38G\t/var/lib/mysql\n700M\t/var/lib/apt\n39G\t/var/lib\n";
  const question = "No space left on device, what filled the disk?";

  void it("a question that names no path lists no directory on the first round, only the top levels' large files", () => {
    const commands = planFromText(question)?.commands.map((c) => c.command) ?? [];
    assert.ok(!commands.some((c) => c.startsWith("du ")), commands.join("\n"));
    assert.ok(commands.includes(findRoot), commands.join("\n"));
  });

  void it("lists the full mount, then goes down into the largest directory, then names it", () => {
    const first = analyzeRuns(numbered([run("df -hP", df), run(findRoot, "")]), { alarm: null, question });
    assert.equal(first.culprit, null, first.summary);
    assert.deepEqual(first.furtherCommands.map((c) => c.command), [duRoot], "the find of / already ran");
    const second = analyzeRuns(numbered([run("df -hP", df), run(findRoot, ""), run(duRoot, level1)]), { alarm: null, question });
    assert.match(second.culprit?.name ?? "", /^\/var$/, second.summary);
    assert.deepEqual(second.furtherCommands.map((c) => c.command), [du("/var"), find("/var")]);
    const third = analyzeRuns(numbered([run("df -hP", df), run(findRoot, ""), run(duRoot, level1), run(du("/var"), level2), run(find("/var"), "")]), { alarm: null, question });
    assert.deepEqual(third.furtherCommands.map((c) => c.command), [du("/var/lib"), find("/var/lib")]);
    const runs = numbered([run("df -hP", df), run(findRoot, ""), run(duRoot, level1), run(du("/var"), level2), run(find("/var"), ""), run(du("/var/lib"), level3), run(find("/var/lib"), "")]);
    for (const language of ["en", "ko"] as const) {
      const last = analyzeRuns(runs, { alarm: null, question, language });
      assert.deepEqual([last.culprit?.kind, last.culprit?.name], ["path", "/var/lib/mysql"], last.summary);
      assert.match(last.summary, /\/var\/lib\/mysql/);
    }
    // Every line quoted comes from the listing that printed it.
    const last = analyzeRuns(runs, { alarm: null, question });
    for (const f of last.findings) {
      for (const e of f.evidence) {
        const source = runs.find((r) => r.id === e.commandId);
        for (const line of e.excerpt.split("\n")) {
          assert.ok(source?.stdout.includes(line), `${line} is not in ${e.command}`);
        }
      }
    }
  });

  void it("a listing cut short by the time limit: the directories it finished count, the rest is not guessed", () => {
    const partial = { status: "timeout" as const, exitCode: null, stderr: "timed out after 30 s; killed" };
    const spread = analyzeRuns(numbered([run("df -hP", df), run(duRoot, "1.2G\t/usr\n2.1G\t/home\n", partial)]), { alarm: null, question });
    assert.equal(spread.culprit, null, spread.summary);
    assert.ok(spread.findings.some((f) => /cut short/.test(f.detail)), JSON.stringify(spread.findings.map((f) => f.detail)));
    const found = analyzeRuns(numbered([run("df -hP", df), run(duRoot, "1.2G\t/usr\n40G\t/var\n", partial)]), { alarm: null, question });
    assert.equal(found.culprit?.name, "/var", found.summary);
  });
});
