// A culprit whose comm is a thread name (`MainThread` for a Node process started from an editor,
// `pool-1-thread-1` for a Java executor) is named by the program its command line runs: the first
// round asks for that command line, and once it is there every rule names the program. Also the
// ps parser's split of `comm,args` when the comm holds spaces.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PS_COLUMNS } from "../../../src/graph/runbooks/catalog";
import { analyzeRuns } from "../../../src/graph/runbooks/index";
import { isThreadName, parsePs, programFromArgs } from "../../../src/graph/runbooks/parse/system";
import { numbered, run, TOP_COMMAND, topFrame, topRow } from "./support";

const PS = `ps -eo ${PS_COLUMNS} --sort=-pcpu | head -n 3000`;

const PS_HEADER = "    PID    PPID USER     STAT ELAPSED NLWP %CPU %MEM   RSS COMMAND";
const psLine = (pid: number, cpu: number, comm: string): string => `${String(pid).padStart(7)}       1 dev      Rl       900   12 ${cpu.toFixed(1).padStart(4)}  1.9 310000 ${comm}`;

/** `ps -o …,comm,args -p PID` as procps prints it: the comm padded to 15 columns, then the command line. */
function psArgs(pid: number, comm: string, args: string): string {
  return [`${PS_HEADER}         COMMAND`, `${psLine(pid, 188, comm.padEnd(15))} ${args}`].join("\n");
}

void describe("thread names", () => {
  void it("tells thread names from program names", () => {
    for (const name of ["MainThread", "main", "Thread-12", "worker", "Worker-3", "pool-3-thread-1", "tokio-runtime-w", "ForkJoinPool.co", "CrBrowserMain", "GC Thread#0", "JSThread"]) {
      assert.ok(isThreadName(name), name);
    }
    for (const name of ["node", "java", "nginx", "postgres", "mainframe-sync", "worker-billing", "threadsafe-cache", "kworker/0:1", "npm ci"]) {
      assert.ok(!isThreadName(name), name);
    }
  });

  void it("names the program a command line runs, and the script an interpreter runs", () => {
    assert.equal(programFromArgs("/usr/local/bin/node --max-old-space-size=4096 /home/dev/.vscode-server/bin/abc/out/bootstrap-fork.js --type=extensionHost"), "node bootstrap-fork.js");
    assert.equal(programFromArgs("/usr/bin/java -Xmx2g -cp /opt/app/lib/* -jar /opt/app/billing-api.jar --port 8080"), "java billing-api.jar");
    assert.equal(programFromArgs("python3 -u -m celery worker -A proj"), "python3 -m celery");
    assert.equal(programFromArgs("/usr/bin/python3 -c import time; time.sleep(9)"), "python3");
    assert.equal(programFromArgs("/opt/bin/ingestd --config /etc/ingestd.yaml"), "ingestd");
    assert.equal(programFromArgs("deno run --allow-net server.ts"), "deno server.ts");
    assert.equal(programFromArgs("-bash"), "bash");
    assert.equal(programFromArgs("[kworker/0:1-events]"), "kworker/0:1-events");
  });

  void it("splits comm and args by the comm column's width, spaces in the comm included", () => {
    const table = parsePs([`${PS_HEADER}         COMMAND`, `${psLine(41, 12, "npm ci         ")} npm ci`, `${psLine(42, 3, "MainThread     ")} /usr/bin/node /srv/app/main.js`].join("\n"));
    assert.deepEqual(
      table?.processes.map((p) => [p.pid, p.name, p.args]),
      [
        [41, "npm ci", "npm ci"],
        [42, "MainThread", "/usr/bin/node /srv/app/main.js"],
      ],
    );
  });

  void it("a busy process known only as MainThread: the first round asks for its command line", () => {
    const runs = numbered([run("nproc", "2\n"), run(TOP_COMMAND, topFrame([topRow(5120, 188, "MainThread"), topRow(900, 4, "sshd")])), run(PS, [PS_HEADER, psLine(5120, 188, "MainThread"), psLine(900, 4, "sshd")].join("\n"))]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "cpu is pegged, what is eating it?" });
    assert.equal(analysis.culprit?.pid, 5120, analysis.summary);
    const next = analysis.furtherCommands.map((c) => c.command);
    assert.ok(next.includes(`ps -o ${PS_COLUMNS},args -p 5120`), JSON.stringify(next));
  });

  void it("with the command line, the verdict names the program, not the thread", () => {
    const args = "/home/dev/.nvm/versions/node/v20.11.0/bin/node /home/dev/.vscode-server/extensions/acme.linter-2.1.0/dist/server.js --stdio";
    const runs = numbered([
      run("nproc", "2\n"),
      run(TOP_COMMAND, topFrame([topRow(5120, 188, "MainThread"), topRow(900, 4, "sshd")])),
      run(PS, [PS_HEADER, psLine(5120, 188, "MainThread"), psLine(900, 4, "sshd")].join("\n")),
      run(`ps -o ${PS_COLUMNS},args -p 5120`, psArgs(5120, "MainThread", args)),
    ]);
    for (const [question, language] of [
      ["cpu is pegged, what is eating it?", "en"],
      ["CPU 100%인데 뭐가 먹고 있어요?", "ko"],
    ] as const) {
      const analysis = analyzeRuns(runs, { alarm: null, question, language });
      assert.deepEqual([analysis.culprit?.name, analysis.culprit?.pid], ["node server.js", 5120], analysis.summary);
      assert.match(analysis.summary, /`node server\.js` \(pid 5120\)/);
      assert.doesNotMatch(analysis.summary, /MainThread/);
      assert.deepEqual(analysis.furtherCommands, []);
    }
  });

  void it("a program that names itself keeps its name", () => {
    const runs = numbered([
      run("nproc", "2\n"),
      run(TOP_COMMAND, topFrame([topRow(6100, 190, "ffmpeg")])),
      run(PS, [PS_HEADER, psLine(6100, 190, "ffmpeg")].join("\n")),
      run(`ps -o ${PS_COLUMNS},args -p 6100`, psArgs(6100, "ffmpeg", "/usr/bin/ffmpeg -i in.mp4 out.webm")),
    ]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "what is eating the cpu?" });
    assert.equal(analysis.culprit?.name, "ffmpeg", analysis.summary);
  });
});
