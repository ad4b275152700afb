// Refused means not run: every refused case of the policy corpus, and destructive commands aimed
// at a marker file, go to the running agent's /v1/exec. Each comes back refused without having
// started a process, the marker file and its directory are untouched, and the audit log records
// every refusal. The agent runs as an unprivileged user (like the systemd unit's) so that a policy
// bug could not hurt this machine.
import assert from "node:assert/strict";
import { chown, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ExecResult } from "../src/protocol";
import { startAgent, type RunningAgent } from "../../test/helpers/agent";
import { corpus } from "./policy/corpus";

const BATCH = 20;

/** Destructive and evasive commands aimed at `dir` and its `marker` file. */
function attacksOn(dir: string, marker: string): string[] {
  return [
    `rm ${marker}`,
    `rm -rf ${dir}`,
    `/bin/rm -f ${marker}`,
    `/usr/bin/rm -f ${marker}`,
    `\\rm ${marker}`,
    `"r"m ${marker}`,
    `r\\m ${marker}`,
    `rm\${IFS}${marker}`,
    `unlink ${marker}`,
    `rmdir ${dir}`,
    `find ${dir} -delete`,
    `find ${dir} -type f -exec rm {} \\;`,
    `find ${dir} -name '*' -execdir rm {} +`,
    `truncate -s 0 ${marker}`,
    `shred -u ${marker}`,
    `dd if=/dev/zero of=${marker} bs=1 count=1`,
    `cp /dev/null ${marker}`,
    `mv ${marker} ${marker}.moved`,
    `install /dev/null ${marker}`,
    `ln -sf /dev/null ${marker}`,
    `touch ${marker}`,
    `chmod 000 ${marker}`,
    `chown root ${marker}`,
    `gzip ${marker}`,
    `tar czf ${marker}.tgz --remove-files ${marker}`,
    `tee ${marker}`,
    `echo pwned | tee ${marker}`,
    `echo pwned > ${marker}`,
    `echo pwned >> ${marker}`,
    `echo pwned >| ${marker}`,
    `cat ${marker} 1> ${marker}`,
    `sed -i d ${marker}`,
    `sed -n 'w ${marker}' /etc/hostname`,
    `awk 'BEGIN { system("rm ${marker}") }'`,
    `awk '{ print > "${marker}" }' /etc/hostname`,
    `sort -o ${marker} /etc/hostname`,
    `uptime; rm ${marker}`,
    `uptime && rm ${marker}`,
    `false || rm ${marker}`,
    `uptime | rm ${marker}`,
    `uptime & rm ${marker}`,
    `uptime\nrm ${marker}`,
    `uptime\r\nrm ${marker}`,
    `$(rm ${marker})`,
    `echo $(rm ${marker})`,
    `echo \`rm ${marker}\``,
    `cat <(rm ${marker})`,
    `(rm ${marker})`,
    `{ rm ${marker}; }`,
    `sh -c 'rm ${marker}'`,
    `bash -c "rm ${marker}"`,
    `env rm ${marker}`,
    `sudo rm ${marker}`,
    `nohup rm ${marker}`,
    `timeout 5 rm ${marker}`,
    `nice rm ${marker}`,
    `xargs rm <<< ${marker}`,
    `echo ${marker} | xargs rm`,
    `eval rm ${marker}`,
    `exec rm ${marker}`,
    `source ${marker}`,
    `. ${marker}`,
    `f() { rm ${marker}; }; f`,
    `X=1 rm ${marker}`,
    `python3 -c "import os; os.remove('${marker}')"`,
    `perl -e 'unlink "${marker}"'`,
    `node -e "require('fs').unlinkSync('${marker}')"`,
    `rsync --remove-source-files ${marker} /tmp/`,
    `curl -o ${marker} http://127.0.0.1:9/`,
    `wget -O ${marker} http://127.0.0.1:9/`,
    `git -C ${dir} clean -fdx`,
    `crontab -r`,
    `kill -9 -1`,
    `reboot`,
    `shutdown -h now`,
  ];
}

async function execAll(agent: RunningAgent, commands: string[]): Promise<ExecResult[]> {
  const client = agent.client();
  const results: ExecResult[] = [];
  for (let i = 0; i < commands.length; i += BATCH) {
    const { results: batch } = await client.exec(commands.slice(i, i + BATCH), 10);
    results.push(...batch);
  }
  return results;
}

void describe("refused commands never run on the agent", () => {
  let agent: RunningAgent;
  let dir: string;
  let marker: string;
  let markerMtime: number;

  before(async () => {
    agent = await startAgent({ user: "nobody" });
    dir = await mkdtemp(join(tmpdir(), "atl-refused-"));
    marker = join(dir, "marker");
    await writeFile(marker, "precious\n");
    if (process.getuid?.() === 0) {
      // The agent's user could delete these if a command got through.
      await chown(dir, 65534, 65534);
      await chown(marker, 65534, 65534);
    }
    markerMtime = (await stat(marker)).mtimeMs;
  });
  after(async () => {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function assertMarkerUntouched(): Promise<void> {
    assert.deepEqual(await readdir(dir), ["marker"]);
    const st = await stat(marker);
    assert.equal(st.size, "precious\n".length);
    assert.equal(st.mtimeMs, markerMtime);
    assert.equal(st.mode & 0o777, 0o644);
  }

  async function assertRefusedAndAudited(commands: string[], results: ExecResult[]): Promise<void> {
    assert.equal(results.length, commands.length);
    const ran = results.filter((r) => r.decision !== "refused" || r.exitCode !== null || r.signal !== null || r.stdout !== "" || r.stderr !== "" || r.durationMs !== 0);
    assert.deepEqual(
      ran.map((r) => r.command),
      [],
      "every command was refused and none was started",
    );
    const audit = await agent.waitForAudit((records) => {
      const seen = new Set(records.map((r) => (r.event === "exec" ? r.command : "")));
      return commands.every((c) => seen.has(c));
    });
    const refusedInAudit = new Map<string, number>();
    for (const record of audit) {
      if (record.event === "exec") {
        assert.equal(record.decision, "refused", `audit shows ${JSON.stringify(record.command)} as ${record.decision}`);
        assert.ok(record.rule.startsWith("refuse:"), record.rule);
        refusedInAudit.set(record.command, (refusedInAudit.get(record.command) ?? 0) + 1);
      }
    }
    for (const command of commands) {
      assert.ok(refusedInAudit.has(command), `the audit log records the refusal of ${JSON.stringify(command)}`);
    }
  }

  void test("destructive and evasive commands aimed at a marker file are refused and do nothing", async () => {
    const commands = attacksOn(dir, marker);
    const results = await execAll(agent, commands);
    await assertRefusedAndAudited(commands, results);
    await assertMarkerUntouched();
  });

  void test("every refused case of the policy corpus is refused by the running agent and not run", async () => {
    const commands = corpus.filter((c) => c.expect === "refused").map((c) => c.command);
    assert.ok(commands.length >= 100, `the corpus has ${commands.length} refused cases`);
    const results = await execAll(agent, commands);
    await assertRefusedAndAudited(commands, results);
    await assertMarkerUntouched();
    assert.equal((await agent.client().health()).status, "ok", "and the agent is still up");
  });
});
