// Korean particles after names the runbooks cannot know in advance (process, unit, path, figure):
// the form follows the name's last sound — Hangul by its final consonant, digits as they are read,
// acronyms letter by letter, Latin words by endings whose reading is certain — and the "이(가)"
// form stays where the reading cannot be told.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeRuns } from "../../../src/graph/runbooks/index";
import { josa, particle } from "../../../src/graph/runbooks/lang";
import { numbered, run, TOP_COMMAND, topFrame, topRow } from "./support";

void describe("Korean particles", () => {
  void it("follow a Hangul word's final consonant, ㄹ apart for (으)로", () => {
    assert.deepEqual([josa("서비스", "이"), josa("서비스", "은"), josa("서비스", "을"), josa("서비스", "과"), josa("서비스", "으로")], ["서비스가", "서비스는", "서비스를", "서비스와", "서비스로"]);
    assert.deepEqual([josa("디렉터리 목록", "이"), josa("파일", "을"), josa("파일", "으로"), josa("경로", "으로")], ["디렉터리 목록이", "파일을", "파일로", "경로로"]);
    assert.equal(josa("커널 로그", "은"), "커널 로그는");
    assert.equal(josa("메모리 cgroup", "으로"), "메모리 cgroup(으)로");
  });

  void it("read digits as Korean does: 1 일, 2 이, 3 삼, 10 십", () => {
    assert.deepEqual([1, 2, 3, 6, 7, 9, 10, 100, 2024].map((n) => particle(n, "이")), ["이", "가", "이", "이", "이", "가", "이", "이", "가"]);
    assert.deepEqual([josa(7, "으로"), josa(3, "으로"), josa(5, "으로")], ["7로", "3으로", "5로"]);
    assert.equal(josa("python3", "이"), "python3이");
    assert.equal(josa("50%", "이"), "50%가");
  });

  void it("read acronyms letter by letter and Latin words by endings whose reading is sure", () => {
    assert.deepEqual(["DNS", "OOM", "CPU", "URL"].map((w) => josa(w, "이")), ["DNS가", "OOM이", "CPU가", "URL이"]);
    assert.deepEqual(["nginx", "java", "docker", "redis-server", "mysqld", "stock-sync.service", "/var/log"].map((w) => particle(w, "은")), ["는", "는", "는", "는", "는", "는", "는"]);
    assert.deepEqual(["chromium", "engine", "ping", "cron"].map((w) => particle(w, "을")), ["을", "을", "을", "을"]);
    assert.deepEqual([josa("syslog", "으로"), josa("kernel", "으로"), josa("table", "이")], ["syslog로", "kernel로", "table이"]);
  });

  void it("keep both forms where the reading cannot be told", () => {
    assert.deepEqual(["kubelet", "app.tmp", "1.5 GiB", "worker_job", "ffmpeg", "—"].map((w) => particle(w, "이")), ["이(가)", "이(가)", "이(가)", "이(가)", "이(가)", "이(가)"]);
    assert.equal(particle("sync", "으로"), "(으)로");
  });

  void it("after a name with its pid in parentheses, follow the name", () => {
    assert.equal(josa("`nginx` (pid 812)", "이"), "`nginx` (pid 812)가");
    assert.equal(josa("`chromium` (pid 8963)", "은"), "`chromium` (pid 8963)은");
  });

  void it("a Korean summary names the culprit with the right particle", () => {
    const top = topFrame([topRow(4242, 190, "encoder"), topRow(900, 2, "sshd", "S")]);
    const runs = numbered([run("nproc", "2\n"), run(TOP_COMMAND, top)]);
    const analysis = analyzeRuns(runs, { alarm: null, question: "CPU 100%예요. 뭐가 먹고 있어요?", language: "ko" });
    assert.match(analysis.summary, /`encoder` \(pid 4242\)가 CPU 190% 사용/, analysis.summary);
  });
});
