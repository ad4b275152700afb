// Second looks and how the analysis reads them: a listing of / that could not enter a full mount
// (du -x, find -xdev) or that timed out gives way to the follow-up listing of that mount; the
// follow-up a first round asks for is the one that names the directory and the file. Outputs are
// hand-made in the shapes of GNU du/find/df on other hosts than the evaluation's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeRuns } from "../../../src/graph/runbooks/index";
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

const duRoot = "du -xh --max-depth=3 / 2>/dev/null | sort -rh | head -n 20";
const findRoot = "find / -xdev -type f -size +10M -printf '%s %p\\n' 2>/dev/null | sort -rn | head -n 15";
const duMount = "du -xh --max-depth=3 /var/lib/docker 2>/dev/null | sort -rh | head -n 20";
const findMount = "find /var/lib/docker -xdev -type f -size +10M -printf '%s %p\\n' 2>/dev/null | sort -rn | head -n 15";

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
