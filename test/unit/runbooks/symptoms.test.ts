// What a sentence or an alarm is understood to be about: resources from English and Korean words
// (stems, synonyms, particles attached, several at once), a broad sweep for vague trouble, and the
// numbers, paths and names in the text taken whole and only when safe.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Resource } from "../../../src/graph/diagnosis";
import { readSymptoms, metricWords } from "../../../src/graph/runbooks/symptoms";
import { pathFromText, pidFromText, portFromText, resourcesForMetric, targetForAlarm, targetForText } from "../../../src/graph/runbooks/target";
import { alarm, metric } from "./support";

/** The first resource (what the sentence is mainly about) and whether others may follow. */
function about(text: string): Resource[] {
  return readSymptoms(text).resources;
}

function expectFirst(cases: [string, Resource][]): void {
  for (const [text, resource] of cases) {
    assert.equal(about(text)[0], resource, `${text} → ${about(text).join(",") || "(none)"}`);
  }
}

void describe("symptoms in English", () => {
  void it("names the resource from stems and synonyms, whatever the inflection", () => {
    expectFirst([
      ["the processor is maxed out on web-3", "cpu"],
      ["load avg went to 37", "cpu"],
      ["java heap keeps growing", "memory"],
      ["we are swapping like crazy", "swap"],
      ["the volume under /var/lib/mysql filled up", "disk-space"],
      ["ENOSPC when writing the upload", "disk-space"],
      ["ran out of inodes on the cache partition", "inodes"],
      ["iowait is through the roof", "disk-io"],
      ["fsync latency on the database volume", "disk-io"],
      ["forking fails with EAGAIN", "processes"],
      ["thousands of worker processes", "processes"],
      ["defunct children everywhere", "zombies"],
      ["nginx: accept4() failed (24: Too many open files)", "file-descriptors"],
      ["the service hits its ulimit on descriptors", "file-descriptors"],
      ["sockets stuck in CLOSE_WAIT", "connections"],
      ["somebody opened a huge number of connections to redis", "connections"],
      ["rx drops climbing on ens5", "network"],
      ["retransmits are high to the db subnet", "network"],
      ["the clock drifted by 3 minutes", "time"],
      ["NTP lost sync", "time"],
      ["nslookup times out for internal names", "dns"],
      ["could not resolve host: api.internal.example", "dns"],
      ["instance went down at 3am and came back", "reboot"],
      ["kernel panic in the console log", "kernel"],
    ]);
  });

  void it("reads several resources at once, in the order they are mentioned", () => {
    assert.deepEqual(about("memory is short and the disk is full").slice(0, 2), ["memory", "disk-space"]);
    assert.deepEqual(about("too many open files and CPU at 100%").slice(0, 2), ["file-descriptors", "cpu"]);
  });

  void it("takes 'X is fine' as not about X, but 'is X fine?' as a question about it", () => {
    assert.deepEqual(about("cpu looks fine, but memory is climbing"), ["memory"]);
    assert.ok(about("is the cpu ok?").includes("cpu"));
  });

  void it("'disk slow' is I/O, 'disk full' is space, 'No space left' with space to spare is inodes", () => {
    assert.deepEqual(about("the disk is slow"), ["disk-io"]);
    assert.equal(about("disk full")[0], "disk-space");
    assert.ok(about("No space left on device, yet plenty of free space").includes("inodes"));
    assert.ok(about("No space left on device").includes("inodes"), "ENOSPC has two causes: both are looked at");
    assert.ok(about("cannot create files in /data even though it is not full").includes("inodes"));
  });

  void it("does not take 'load balancer' for CPU load or 'response time' for the clock", () => {
    assert.ok(!about("the load balancer marks the target unhealthy").includes("cpu"));
    assert.ok(!about("response time doubled").includes("time"));
    assert.ok(!about("lots of TIME_WAIT").includes("time"));
  });

  void it("vague trouble is a broad sweep; a hang is flagged so blocked tasks come first", () => {
    for (const text of ["things feel sluggish today", "everything is crawling", "the box is acting weird", "latency spiked"]) {
      const s = readSymptoms(text);
      assert.deepEqual(s.resources, [], text);
      assert.ok(s.broad, text);
    }
    assert.ok(readSymptoms("the deploy is stuck and nothing moves").hang);
    assert.ok(about("a process that ignores kill -9").includes("disk-io"), "unkillable means state D");
  });

  void it("a process that died sends the kernel log along (the OOM killer is a usual suspect)", () => {
    assert.ok(about("the importer crashed overnight").includes("kernel"));
    assert.ok(about("the job just says Killed").includes("kernel"));
  });

  void it("returns nothing for text with no problem and no request", () => {
    assert.deepEqual(readSymptoms("hello there"), { resources: [], broad: false, cues: [], vague: false, hang: false, cpuIdle: false });
  });
});

void describe("symptoms in Korean (particles and endings attached)", () => {
  void it("names the resource whatever particle follows the noun", () => {
    expectFirst([
      ["씨피유가 계속 100이에요", "cpu"],
      ["부하가 너무 높아요", "cpu"],
      ["메모리를 다 써버렸어요", "memory"],
      ["램이 부족합니다", "memory"],
      ["스왑이 계속 늘어나요", "swap"],
      ["/data 파티션이 가득 찼습니다", "disk-space"],
      ["아이노드가 바닥났어요", "inodes"],
      ["디스크 읽기가 느립니다", "disk-io"],
      ["프로세스 수가 한도에 가까워요", "processes"],
      ["좀비가 많이 생겼어요", "zombies"],
      ["파일 핸들이 모자라요", "file-descriptors"],
      ["소켓이 엄청 쌓여 있어요", "connections"],
      ["패킷 유실이 있어요", "network"],
      ["시계가 5분 빨라요", "time"],
      ["도메인을 찾을 수 없다고 나와요", "dns"],
      ["인스턴스가 재부팅됐어요", "reboot"],
    ]);
  });

  void it("does not read a one-syllable stem inside another word ('프로그램' is not RAM)", () => {
    assert.ok(!about("프로그램이 이상해요").includes("memory"));
    assert.ok(!about("파일 디스크립터가 부족해요").includes("disk-space"), "디스크립터 is not 디스크");
  });

  void it("vague complaints are a broad sweep", () => {
    for (const text of ["서버가 좀 느려진 것 같아요", "전체적으로 먹통이에요", "웹이 버벅거려요", "응답이 없습니다"]) {
      assert.ok(readSymptoms(text).broad, text);
    }
  });

  void it("'X는 괜찮은데 Y' is about Y", () => {
    assert.deepEqual(about("메모리는 정상인데 디스크가 꽉 찼어요"), ["disk-space"]);
  });
});

void describe("numbers, paths and names in the text", () => {
  void it("takes ports whole, in every common spelling, and never a time of day", () => {
    assert.equal(portFromText("connections pile up on port 37637"), 37637);
    assert.equal(portFromText("포트 37637에서 연결이 쌓여요"), 37637);
    assert.equal(portFromText("37637번 포트"), 37637);
    assert.equal(portFromText("nothing answers on :8443 anymore"), 8443);
    assert.equal(portFromText("listening on 9000?"), 9000);
    assert.equal(portFromText("api.internal:5432 refuses"), 5432);
    assert.equal(portFromText("8080/tcp is closed"), 8080);
    assert.equal(portFromText("since 12:30 it is slow"), undefined);
    assert.equal(portFromText("port 99999"), undefined);
  });

  void it("takes pids and paths whole", () => {
    assert.equal(pidFromText("pid 1234567 is stuck"), 1234567);
    assert.equal(pidFromText("PID: 42 uses all RAM"), 42);
    assert.equal(pathFromText("the disk under /var/lib/mysql is full"), "/var/lib/mysql");
    assert.equal(pathFromText("/var/log/../../etc is full"), undefined);
  });

  void it("a process is named by a name, not by the noun after 'process'", () => {
    assert.equal(targetForText("process count is way up on db-2").process, undefined);
    assert.equal(targetForText("the process table is almost full").process, undefined);
    assert.equal(targetForText("process id 77 is hung").process, undefined);
    assert.equal(targetForText("the process celery-beat keeps restarting").process, "celery-beat");
    assert.equal(targetForText("the worker process uwsgi-3 died").process, "uwsgi-3");
  });

  void it("a path alone is about its space; a DNS question keeps the name to look up", () => {
    const t = targetForText("/srv/uploads is huge");
    assert.deepEqual(t.resources, ["disk-space"]);
    assert.equal(targetForText("can't resolve db.prod.internal from here").lookup, "db.prod.internal");
  });

  void it("a daemon named in passing in a vague complaint is context, not the subject", () => {
    const passing = targetForText("everything is slow, even ssh logins take ages");
    assert.ok(!passing.resources.includes("services"), passing.resources.join(","));
    assert.equal(passing.service, "ssh");
    assert.ok(targetForText("nginx is down").resources.includes("services"));
  });

  void it("never throws and keeps hostile text out of ports, paths and names", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const t = targetForText(text);
        assert.ok(t.port === undefined || (Number.isInteger(t.port) && t.port >= 1 && t.port <= 65535));
        assert.ok(t.path === undefined || (/^\/[A-Za-z0-9._@+/-]*$/.test(t.path) && !t.path.split("/").includes("..")));
        assert.ok(t.service === undefined || /^[A-Za-z0-9][A-Za-z0-9@._+-]*$/.test(t.service));
      }),
      { numRuns: 300 },
    );
  });
});

void describe("alarms", () => {
  void it("maps AWS metrics the words cannot read", () => {
    assert.deepEqual(resourcesForMetric("AWS/ApplicationELB", "UnHealthyHostCount").resources, ["services", "connections"]);
    assert.ok(resourcesForMetric("AWS/ApplicationELB", "TargetResponseTime").broad);
    assert.deepEqual(resourcesForMetric("AWS/EBS", "VolumeQueueLength").resources, ["disk-io"]);
    assert.deepEqual(resourcesForMetric("CWAgent", "processes_zombies").resources, ["zombies", "processes"]);
    assert.deepEqual(resourcesForMetric("CWAgent", "disk_inodes_free", "LessThanThreshold").resources, ["inodes"]);
    assert.deepEqual(resourcesForMetric("CWAgent", "netstat_tcp_time_wait").resources, ["connections"]);
    assert.deepEqual(resourcesForMetric("CWAgent", "procstat_lookup_pid_count", "LessThanThreshold").resources, ["services"]);
  });

  void it("reads custom metric names as words", () => {
    assert.equal(metricWords("OpenFileDescriptorCount"), "open file descriptor count");
    assert.deepEqual(resourcesForMetric("MyApp", "OpenFileDescriptorCount").resources, ["file-descriptors"]);
    assert.deepEqual(resourcesForMetric("Custom/Net", "ClosedWaitSockets").resources, ["connections"]);
    assert.deepEqual(resourcesForMetric("Custom/Host", "ZombieProcs").resources, ["zombies"]);
    assert.equal(resourcesForMetric("Custom/Host", "Widgets").resources.length, 0);
  });

  void it("finds a port in the alarm's description when the dimensions have none", () => {
    const a = alarm("web-tg UnHealthyHostCount", metric("AWS/ApplicationELB", "UnHealthyHostCount", { TargetGroup: "targetgroup/web/1" }), { description: "health check on :8081 failing" });
    assert.equal(targetForAlarm(a).port, 8081);
  });

  void it("an alarm nothing explains is a broad sweep", () => {
    const t = targetForAlarm(alarm("mystery", metric("Custom/X", "Widgets")));
    assert.deepEqual(t.resources, []);
    assert.ok(t.broad);
  });
});
