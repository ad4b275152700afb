// Symptoms: what a sentence (English or Korean) or an alarm is about, as the resources of the host
// it concerns (cpu, file-descriptors, connections…), several at once, plus the concrete things it
// names (a port, a pid, a path, a service). Words are read through a lexicon of concepts — stems
// and synonyms in English, stems with any particle or ending attached in Korean — and resources
// follow from combinations of concepts ("process" + "too many" → processes; "disk" + "slow" →
// disk-io), so wordings nobody wrote down still land. Vague trouble ("slow", "hangs", "느려요",
// "응답이 없어요") with no resource named means a broad sweep of every resource.
import type { Resource } from "../diagnosis";

/** The building blocks the lexicon recognises; resources are derived from sets of them. */
type Concept =
  | "cpu"
  | "mem"
  | "swap"
  | "oom"
  | "disk"
  | "space"
  | "full"
  | "inode"
  | "filecount"
  | "io"
  | "rw"
  | "dstate"
  | "proc"
  | "fork"
  | "many"
  | "zombie"
  | "fd"
  | "leak"
  | "conn"
  | "port"
  | "refused"
  | "lb"
  | "net"
  | "service"
  | "down"
  | "kernel"
  | "time"
  | "dns"
  | "reboot"
  | "host"
  | "vague"
  | "hang"
  | "unkillable"
  | "stillfree"
  | "createfail"
  | "idle"
  | "check"
  | "fine";

/**
 * English patterns, matched against lower-case word tokens (letters and digits; `_ - / . '` split
 * words, so "time_wait" is "time wait" and "i/o" is "i o"). `stem*` matches any word starting with
 * stem; a plain word also matches its plural; `~` between words allows one word in between.
 * Longer patterns win over shorter ones on the same words ("load balancer" is not CPU load).
 */
const EN: Record<Concept, string[]> = {
  cpu: ["cpu*", "processor*", "core", "cores", "vcpu*", "load", "load average*", "loadavg", "steal", "busy", "spinning", "spin*", "runaway", "throttl*", "credit*", "run queue", "runqueue", "compute"],
  mem: ["memory", "memories", "outofmemory*", "oome", "mem", "ram", "rss", "heap", "malloc", "cannot allocate", "allocation*", "page cache", "available memory", "mem available", "resident"],
  swap: ["swap*", "paging", "page out*", "pageout*", "thrash*", "kswapd*", "major fault*", "majflt"],
  oom: ["oom*", "outofmemory*", "out of memory", "oom kill*", "oom killer", "killed process", "memory cgroup", "memcg"],
  disk: ["disk*", "drive*", "volume*", "ebs", "storage", "filesystem*", "file system*", "fs", "partition*", "mount*", "nvme*", "xvd*", "sda*", "root fs", "rootfs"],
  space: ["space", "capacity", "enospc", "no space", "no space left", "free space", "disk usage", "du", "df", "quota*", "used percent", "space left", "disk used", "bytes free", "out of space", "free bytes"],
  full: ["full", "fill*", "filled", "filling"],
  inode: ["inode*", "ifree", "iused", "iuse", "inode table"],
  filecount: ["too many files", "number of files", "file count*", "files count", "million* ~ files", "small files", "lots of files", "many files"],
  io: ["io", "i o", "iops", "iowait", "io wait", "await", "disk latency", "queue length", "volume queue*", "burst balance", "throughput", "fsync*", "fdatasync", "flush*", "writeback", "dirty pages", "disk busy", "io bound", "disk bound", "storage latency", "stalled io", "hammer*", "grind*", "thrashing the disk", "pounding", "commit* ~ slow", "commit* take", "sync* writes", "disk activity", "disk ~ busy"],
  rw: ["read", "reads", "reading", "write", "writes", "writing", "wrote", "written"],
  dstate: ["d state", "state d", "uninterruptib*", "blocked for more than", "blocked process*", "processes blocked", "stuck in d", "hung process*", "hung task*"],
  proc: ["process", "proc", "procs", "task*", "pid", "pids", "thread*", "child*", "children", "subprocess*", "worker*", "instances of"],
  fork: [
    "fork*",
    "cannot fork",
    "resource temporarily unavailable",
    "eagain",
    "pid max",
    "pid exhaust*",
    "pid space",
    "pid limit*",
    "pids max",
    "out of pids",
    "pid table",
    "process table",
    "threads max",
    "tasks max",
    "tasksmax",
    "nproc limit",
    "can t create ~ thread*",
    "cannot create ~ thread*",
    "unable to create ~ thread*",
    "native thread*",
    "pthread create",
    "process limit",
    "max user processes",
  ],
  many: [
    "many",
    "too many",
    "lots",
    "lot of",
    "count*",
    "number of",
    "num",
    "pile*",
    "piling",
    "accumulat*",
    "exhaust*",
    "run out",
    "running out",
    "ran out",
    "limit*",
    "max",
    "maxed",
    "thousand*",
    "hundred*",
    "spawn*",
    "explod*",
    "grow*",
    "increas*",
    "surg*",
    "flood*",
    "excess*",
    "overflow*",
    "total",
  ],
  zombie: ["zombie*", "zombi*", "defunct", "reap*", "unreaped"],
  leak: ["leak*"],
  fd: [
    "fd",
    "fds",
    "file descriptor*",
    "descriptor*",
    "filedescriptor*",
    "file handle*",
    "filehandle*",
    "open ~ file*",
    "openfile*",
    "too many open files",
    "emfile",
    "enfile",
    "nofile",
    "ulimit*",
    "rlimit*",
    "file max",
    "file nr",
    "file table",
    "lsof",
    "max open files",
    "num fds",
  ],
  conn: [
    "connection*",
    "conn",
    "conns",
    "connect*",
    "socket*",
    "tcp",
    "established",
    "estab",
    "time wait",
    "timewait",
    "close wait",
    "closewait",
    "syn",
    "syn recv",
    "syn sent",
    "syn flood",
    "fin wait",
    "client*",
    "session*",
    "keepalive",
    "ephemeral ~ port*",
    "conntrack",
    "backlog",
    "accept queue",
    "listen queue",
    "listen overflow*",
    "listen drop*",
    "somaxconn",
    "peer*",
    "upstream*",
  ],
  port: ["port*", "listen*", "listener*", "bind", "bound", "eaddrinuse", "address already in use"],
  refused: [
    "refused",
    "connection refused",
    "econnrefused",
    "can t connect",
    "cannot connect",
    "unable to connect",
    "couldn t connect",
    "reset by peer",
    "econnreset",
    "502",
    "503",
    "504",
    "5xx",
    "bad gateway",
    "gateway timeout",
    "service unavailable",
    "unhealthy",
    "health check*",
    "healthcheck*",
    "not serving",
  ],
  lb: ["load balanc*", "elb", "alb", "nlb", "target group*", "targetgroup*"],
  net: [
    "network*",
    "net",
    "interface*",
    "nic",
    "eth*",
    "ens*",
    "enp*",
    "packet*",
    "dropped",
    "drops",
    "retransmi*",
    "retrans*",
    "bandwidth",
    "traffic",
    "ping",
    "rx",
    "tx",
    "mtu",
    "link down",
    "ethtool",
    "pps",
    "allowance*",
    "packet loss",
    "jitter",
    "route*",
    "routing",
  ],
  service: [
    "service*",
    "unit*",
    "daemon*",
    "systemd",
    "systemctl",
    "journalctl",
    "web server",
    "webserver",
    "restart loop",
    "crash loop*",
    "crashloop*",
    "respawn*",
    "exit code",
    "exited",
  ],
  down: ["down", "dead", "died", "dying", "crash*", "stopped", "not running", "isn t running", "failed", "failing", "gone", "offline", "unavailable", "restart*", "killed"],
  kernel: ["kernel", "panic*", "oops", "call trace", "dmesg", "hung task*", "lockup*", "soft lockup", "rcu stall*", "segfault*", "segmentation fault", "core dump*", "watchdog", "mce", "machine check", "tainted", "kernel bug", "i o error*", "read only file system", "remounted read only", "ext4 fs error"],
  time: [
    "clock*",
    "ntp*",
    "chrony*",
    "timesync*",
    "time sync*",
    "time synchroni*",
    "drift*",
    "skew*",
    "clock offset",
    "time offset",
    "timedatectl",
    "timezone",
    "time zone",
    "wrong time",
    "time ~ wrong",
    "time ~ off",
    "out of sync",
    "unsynchroni*",
    "not synchroni*",
    "leap second*",
    "not yet valid",
    "system time",
    "date ~ wrong",
  ],
  dns: [
    "dns",
    "resolv*",
    "resolution",
    "nameserver*",
    "name server*",
    "nslookup",
    "dig",
    "getaddrinfo",
    "gethostbyname",
    "nxdomain",
    "servfail",
    "unknown host",
    "could not resolve",
    "couldn t resolve",
    "can t resolve",
    "cannot resolve",
    "host not found",
    "name or service not known",
    "name resolution",
    "domain name*",
    "hostname lookup*",
    "host lookup*",
    "dns lookup*",
    "eai again",
    "route53",
    "unbound",
    "dnsmasq",
    "linklocal",
  ],
  reboot: [
    "reboot*",
    "rebooted",
    "uptime",
    "booted",
    "boot time",
    "last boot",
    "came back",
    "went down",
    "power off",
    "power cycle*",
    "power loss",
    "status check*",
    "statuscheck*",
    "unreachable",
    "shutdown",
    "shut down",
    "availability",
    "recycled",
  ],
  host: ["server", "servers", "host", "hosts", "instance*", "machine*", "box", "vm", "ec2", "system"],
  vague: [
    "slow*",
    "slow* down",
    "sluggish",
    "lag*",
    "hang*",
    "hung",
    "freez*",
    "froze",
    "frozen",
    "stuck",
    "unresponsive",
    "not responding",
    "no response",
    "doesn t respond",
    "don t respond",
    "timeout*",
    "timed out",
    "time out",
    "times out",
    "latency",
    "response time*",
    "degrad*",
    "crawl*",
    "struggl*",
    "performance",
    "perf",
    "sick",
    "weird",
    "strange",
    "wrong",
    "problem*",
    "issue*",
    "trouble*",
    "broken",
    "bad",
    "spik*",
    "high",
    "error*",
    "outage",
    "incident",
    "takes forever",
    "taking forever",
    "take* ages",
    "forever",
    "long time",
    "laggy",
    "stall*",
  ],
  hang: ["hang*", "hung", "freez*", "froze", "frozen", "stuck", "wedged", "deadlock*", "unresponsive"],
  unkillable: ["unkillable", "kill 9 does nothing", "kill ~ does nothing", "kill ~ doesn t work", "kill ~ has no effect", "can t kill", "cannot kill", "won t die", "doesn t die", "ignores ~ kill*", "sigkill ~ ignored"],
  stillfree: ["plenty ~ free", "plenty of space", "space left", "still ~ free", "not even full", "isn t ~ full", "is not ~ full", "not full", "free space ~ left", "half empty", "lots of ~ space"],
  createfail: ["can t create ~ file*", "cannot create ~ file*", "unable to create ~ file*", "can t write ~ file*", "failed to create ~ file*", "touch ~ fails", "can t create"],
  idle: ["cpu ~ idle", "idle cpu*", "cpu ~ not busy", "cpu ~ isn t busy", "cpus ~ idle", "cpu ~ low", "cpu ~ doing nothing"],
  check: ["check*", "health*", "diagnos*", "investigat*", "look at", "look into", "inspect*", "what s wrong", "what is wrong", "status", "triage", "examine", "overview", "sweep", "audit"],
  fine: ["fine", "ok", "okay", "normal", "good", "healthy", "not the problem", "no problem", "not an issue", "looks good", "unaffected"],
};

/**
 * Korean patterns: regular expressions over the lower-cased text. Particles and endings attach to
 * nouns and verb stems without a space ("디스크가", "느려요"), so a stem matches inside a word; a
 * one-syllable stem must start a word ((?<![가-힣]) — "램" but not "프로그램"). Spaces are optional.
 */
const KO: Record<Concept, string[]> = {
  cpu: ["씨피유", "프로세서", "코어", "부하", "(?<![가-힣])로드(?!\\s*밸런)", "연산"],
  mem: ["메모리", "(?<![가-힣])램", "(?<![가-힣])힙", "가용\\s*메모리"],
  swap: ["스왑", "스와핑", "페이징", "스래싱", "쓰래싱"],
  oom: ["메모리\\s*부족으로", "킬\\s*당", "강제\\s*종료", "oom\\s*킬"],
  disk: ["디스크(?!립)", "볼륨", "스토리지", "저장\\s*(?:소|장치)", "파일\\s*시스템", "파티션", "마운트"],
  space: ["용량", "공간", "디스크\\s*사용률", "디스크\\s*사용량", "여유\\s*(?:가|가\\s*)?없"],
  full: ["(?<![가-힣])꽉", "가득", "(?<![가-힣])찼", "차\\s*있", "(?<![가-힣])차서", "다\\s*차", "(?<![가-힣])풀(?:이|났)"],
  inode: ["아이노드", "inode"],
  filecount: ["파일\\s*(?:개수|갯수|수가|수도)", "파일이\\s*너무\\s*많", "작은\\s*파일", "파일이\\s*(?:수|몇)\\s*(?:백|천|만)"],
  io: ["입출력", "디스크\\s*대기", "처리량", "아이오", "동기화\\s*쓰기", "플러시", "(?<![가-힣])긁", "디스크를?\\s*(?:계속\\s*)?(?:갈|혹사|두드)", "커밋이?\\s*느"],
  rw: ["(?<![가-힣])읽기", "(?<![가-힣])쓰기", "읽[고는을]", "쓰[고는]\\s", "기록"],
  dstate: ["d\\s*상태", "언인터럽터블", "인터럽트\\s*불가", "블록된\\s*프로세스", "블로킹", "블록\\s*상태", "응답\\s*없는\\s*프로세스"],
  proc: ["프로세스", "스레드", "쓰레드", "태스크", "자식", "워커", "인스턴스가?\\s*여러"],
  fork: ["포크", "pid\\s*(?:가|를|이)?\\s*(?:고갈|부족|바닥|한도|다\\s*(?:썼|씀|차)|소진)", "프로세스를?\\s*(?:더\\s*)?(?:생성|만들|띄울)\\s*수\\s*없", "스레드를?\\s*(?:더\\s*)?(?:생성|만들)\\s*수\\s*없", "프로세스\\s*(?:수\\s*)?(?:한도|한계|제한)"],
  many: ["(?<![가-힣])많", "쌓[이여였인일]", "늘[어었고]", "증가", "급증", "폭증", "고갈", "바닥", "한도", "한계", "초과", "(?<![가-힣])넘[어었쳐치]", "수\\s*(?:천|백|만)\\s*개", "(?<![가-힣])수[천백만]", "부족", "폭주", "제한", "엄청"],
  zombie: ["좀비", "디펑트", "회수되지\\s*않", "회수\\s*안"],
  leak: ["누수", "새[는고]\\s", "새어"],
  fd: ["파일\\s*디스크립터", "디스크립터", "파일\\s*핸들", "(?<![가-힣])핸들", "열린\\s*파일", "열려\\s*있는\\s*파일", "오픈\\s*파일", "오픈된\\s*파일", "파일을?\\s*(?:더\\s*)?(?:열|오픈할)\\s*수\\s*없", "열\\s*수\\s*있는\\s*파일"],
  conn: ["연결", "커넥션", "소켓", "(?<![가-힣])접속(?!\\s*(?:이|이\\s*)?\\s*안|\\s*불가|할\\s*수\\s*없)", "세션", "클라이언트", "백로그", "수립된", "동시\\s*접속"],
  port: ["포트", "리슨", "리스닝", "리스너", "바인드", "바인딩"],
  refused: ["연결\\s*(?:이|을)?\\s*거부", "접속\\s*(?:이|이\\s*)?\\s*안", "접속\\s*불가", "접속할\\s*수\\s*없", "연결할\\s*수\\s*없", "연결이\\s*안", "헬스\\s*체크", "비정상", "거부"],
  lb: ["로드\\s*밸런서", "로드밸런서", "타겟\\s*그룹", "대상\\s*그룹"],
  net: ["네트워크", "인터페이스", "랜\\s*카드", "패킷", "드롭", "재전송", "대역폭", "트래픽", "(?<![가-힣])핑", "유실", "손실", "지터", "라우팅"],
  service: ["서비스", "유닛", "데몬", "웹\\s*서버", "기동"],
  down: ["(?<![가-힣])죽[었어은음는]", "다운", "꺼[졌져짐]", "중단", "(?<![가-힣])멈[췄춰춤]", "재시작", "실패", "내려[갔가]", "안\\s*(?:떠|뜨)", "뻗[었어]"],
  kernel: ["커널", "패닉", "세그\\s*폴트", "코어\\s*덤프", "워치독", "읽기\\s*전용"],
  time: [
    "시계",
    "시간\\s*동기화",
    "시각\\s*동기화",
    "타임\\s*존",
    "시간대",
    "(?:시간|시각)\\s*(?:이|가)?\\s*(?:안\\s*맞|틀|이상|맞지\\s*않|어긋|밀[렸려리]|늦|빠르|달라)",
    "(?:시간|시각)\\s*(?:차이|오차)",
    "동기화\\s*(?:가|이)?\\s*(?:안|깨|실패)",
    "크로니",
  ],
  dns: ["도메인", "네임\\s*서버", "이름\\s*(?:해석|풀이|조회)", "리졸[브버빙]", "호스트\\s*(?:이름|명)?\\s*(?:을|를)?\\s*찾을\\s*수\\s*없", "주소를?\\s*찾을\\s*수\\s*없", "룩업", "조회\\s*(?:가|이)?\\s*(?:안|실패)"],
  reboot: ["재부팅", "리부팅", "리부트", "(?<![가-힣])부팅", "재기동", "상태\\s*검사", "상태\\s*확인\\s*실패", "전원", "가동\\s*시간", "재시작\\s*(?:됐|되었|된)"],
  host: ["서버", "호스트", "인스턴스", "머신", "장비", "(?<![가-힣])박스", "시스템"],
  vague: [
    "느[려리립린림]",
    "지연",
    "(?<![가-힣])[렉랙]",
    "버벅",
    "먹통",
    "(?<![가-힣])멈[춰췄추춤]",
    "응답\\s*(?:이|을|도)?\\s*(?:없|안|느|오지|하지|늦)",
    "응답\\s*시간",
    "반응\\s*(?:이|도)?\\s*(?:없|안|느)",
    "타임\\s*아웃",
    "시간\\s*초과",
    "이상(?:해|하|한|함|합)",
    "문제",
    "답답",
    "굼[뜨떠]",
    "무거[워운]",
    "안\\s*돼",
    "장애",
    "에러",
    "오류",
    "끊[겨기김]",
    "성능",
    "오래\\s*걸",
    "튀[어었]",
  ],
  hang: ["(?<![가-힣])멈[춰췄추춤]", "먹통", "걸[려렸린]", "얼[어었]", "프리징", "(?<![a-z])hang"],
  unkillable: ["kill\\s*(?:도|이|을|해도)?\\s*안\\s*(?:먹|돼|되|됨|통)", "(?:죽|종료)\\s*(?:이|가)?\\s*안\\s*(?:돼|되|됨)", "안\\s*죽어", "죽지\\s*않", "kill\\s*(?:이|가)?\\s*(?:무시|소용)"],
  stillfree: ["(?:공간|용량)\\s*(?:은|이|도)?\\s*(?:남|여유|충분)", "꽉\\s*(?:차지|찬\\s*것도)\\s*않", "다\\s*차지\\s*않"],
  createfail: ["파일\\s*(?:을|이)?\\s*(?:생성|만들)[^\\n]{0,6}(?:안|없|실패|못)", "파일\\s*생성\\s*(?:이|을)?\\s*(?:안|실패|불가)", "touch\\s*(?:가|도)?\\s*안"],
  idle: ["(?:cpu|씨피유|코어)\\s*(?:사용률|사용량|점유율|사용|usage)?\\s*(?:는|은|가|이|도)?\\s*(?:놀|한가|여유|idle|낮|거의\\s*안|안\\s*바쁘|바쁘지\\s*않)"],
  check: ["점검", "진단", "(?<![가-힣])확인", "(?<![가-힣])상태", "살펴", "봐\\s*(?:줘|주)", "체크", "헬스", "조사"],
  fine: ["괜찮", "정상", "문제\\s*(?:는\\s*)?없", "이상\\s*(?:은\\s*)?없", "멀쩡", "양호"],
};

/** Concepts that say something is wrong: a clause with one of them is never "fine". */
const TROUBLE: ReadonlySet<Concept> = new Set<Concept>(["many", "full", "space", "vague", "hang", "down", "oom", "fork", "refused", "zombie", "dstate", "unkillable", "createfail"]);

/** Resources that name a problem on their own, most specific first (the tie-break of the order). */
const SPECIFICITY: Resource[] = [
  "zombies",
  "file-descriptors",
  "inodes",
  "processes",
  "dns",
  "time",
  "swap",
  "disk-io",
  "disk-space",
  "connections",
  "memory",
  "cpu",
  "network",
  "services",
  "kernel",
  "reboot",
];

/** Resources that frame rather than pinpoint a problem: listed after the specific ones. */
const GENERAL: ReadonlySet<Resource> = new Set<Resource>(["services", "kernel", "reboot"]);

export interface Symptom {
  /** What the words are about, in the order they were mentioned (then most specific first). */
  resources: Resource[];
  /** Trouble with no resource named ("slow", "응답이 없어요") or a plain request to check: sweep every resource. */
  broad: boolean;
  /** The words that decided it, as written (for the plan's rationale). */
  cues: string[];
  /** Trouble words were used ("slow", "not responding"): a service asked about may be slow for a host-wide reason. */
  vague: boolean;
  /** Things hang or are stuck rather than slow: blocked (D-state) tasks come first in a sweep. */
  hang: boolean;
  /** The words say the CPU is idle ("load is high but the CPU is idle"): what is asked about is not CPU use. */
  cpuIdle: boolean;
}

interface Hit {
  concept: Concept;
  /** Where in the text (character offset), for the order of mention. */
  at: number;
  /** The words as written. */
  text: string;
}

// ---- English ------------------------------------------------------------------------------

interface Token {
  word: string;
  start: number;
  end: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/[a-z0-9]+/g)) {
    tokens.push({ word: m[0], start: m.index, end: m.index + m[0].length });
  }
  return tokens;
}

interface Pattern {
  concept: Concept;
  words: { stem: string; prefix: boolean; gapBefore: boolean }[];
}

const EN_PATTERNS: Pattern[] = (Object.entries(EN) as [Concept, string[]][]).flatMap(([concept, list]) =>
  list.map((source) => {
    const words: Pattern["words"] = [];
    let gap = false;
    for (const part of source.split(/\s+/)) {
      if (part === "~") {
        gap = true;
        continue;
      }
      const prefix = part.endsWith("*");
      words.push({ stem: prefix ? part.slice(0, -1) : part, prefix, gapBefore: gap });
      gap = false;
    }
    return { concept, words };
  }),
);

function wordMatches(pattern: { stem: string; prefix: boolean }, word: string): boolean {
  if (pattern.prefix) {
    return word.startsWith(pattern.stem);
  }
  const stem = pattern.stem;
  return word === stem || word === `${stem}s` || word === `${stem}es` || (stem.endsWith("y") && word === `${stem.slice(0, -1)}ies`);
}

/** Every pattern match as a token span; longer spans first take their words, shorter overlapping ones are dropped. */
function englishHits(text: string): Hit[] {
  const tokens = tokenize(text);
  const found: { concept: Concept; from: number; to: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (const pattern of EN_PATTERNS) {
      let t = i;
      let ok = true;
      for (let w = 0; w < pattern.words.length; w++) {
        const want = pattern.words[w];
        // Up to two words may sit in between ("can't create new native thread").
        for (let skip = 0; w > 0 && want.gapBefore && skip < 2 && t < tokens.length && !wordMatches(want, tokens[t].word); skip++) {
          t++;
        }
        if (t >= tokens.length || !wordMatches(want, tokens[t].word)) {
          ok = false;
          break;
        }
        t++;
      }
      if (ok) {
        found.push({ concept: pattern.concept, from: i, to: t });
      }
    }
  }
  found.sort((a, b) => b.to - b.from - (a.to - a.from) || a.from - b.from);
  // A word belongs to the longest span that covers it; several concepts may share one span ("oom").
  const owner = new Map<number, string>();
  const hits: Hit[] = [];
  for (const f of found) {
    const key = `${f.from}:${f.to}`;
    const span = Array.from({ length: f.to - f.from }, (_, k) => f.from + k);
    if (span.some((k) => owner.has(k) && owner.get(k) !== key)) {
      continue;
    }
    span.forEach((k) => owner.set(k, key));
    hits.push({ concept: f.concept, at: tokens[f.from].start, text: text.slice(tokens[f.from].start, tokens[f.to - 1].end) });
  }
  return hits;
}

// ---- Korean -------------------------------------------------------------------------------

const KO_PATTERNS: { concept: Concept; re: RegExp }[] = (Object.entries(KO) as [Concept, string[]][]).flatMap(([concept, list]) =>
  list.map((source) => ({ concept, re: new RegExp(source.replace(/ /g, "\\s*"), "g") })),
);

function koreanHits(text: string): Hit[] {
  if (!/[가-힣]/.test(text)) {
    return [];
  }
  const hits: Hit[] = [];
  for (const { concept, re } of KO_PATTERNS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      hits.push({ concept, at: m.index, text: m[0] });
    }
  }
  return hits;
}

// ---- concepts → resources -----------------------------------------------------------------

/** Clauses split at punctuation and contrast words ("but", "지만", "는데"), for "CPU is fine, but …". */
function clauses(text: string): { start: number; end: number; question: boolean }[] {
  const spans: { start: number; end: number; question: boolean }[] = [];
  let start = 0;
  for (const m of text.matchAll(/[,.;!?\n]|\bbut\b|\bhowever\b|\bwhile\b|\balthough\b|지만|는데|은데|인데|한데|고요|으나/g)) {
    spans.push({ start, end: m.index, question: m[0] === "?" });
    start = m.index + m[0].length;
  }
  spans.push({ start, end: text.length, question: false });
  return spans;
}

/** Concepts of the text, without those of clauses that call their subject fine ("memory is ok"). */
function conceptsOf(text: string): Hit[] {
  const hits = [...englishHits(text), ...koreanHits(text)];
  const kept: Hit[] = [];
  for (const clause of clauses(text)) {
    const inside = hits.filter((h) => h.at >= clause.start && h.at < clause.end);
    // "Is the load balancer healthy?" asks; "memory is ok" tells.
    const asks = clause.question || /(?:나요|까요|인가|는지|니까|습니까|ㄴ가)\s*$/.test(text.slice(clause.start, clause.end).trim());
    const fine = !asks && inside.some((h) => h.concept === "fine") && !inside.some((h) => TROUBLE.has(h.concept));
    if (!fine) {
      kept.push(...inside);
    }
  }
  return kept.sort((a, b) => a.at - b.at);
}

/** Resources from a set of concepts; each resource with the hits that gave it. */
function derive(hits: Hit[], named: { service: boolean; port: boolean }): Map<Resource, Hit[]> {
  const by = new Map<Concept, Hit[]>();
  for (const h of hits) {
    by.set(h.concept, [...(by.get(h.concept) ?? []), h]);
  }
  const has = (c: Concept): boolean => by.has(c);
  const of = (...concepts: Concept[]): Hit[] => concepts.flatMap((c) => by.get(c) ?? []);
  const out = new Map<Resource, Hit[]>();
  const add = (resource: Resource, when: boolean, ...concepts: Concept[]): void => {
    if (when) {
      out.set(resource, [...(out.get(resource) ?? []), ...of(...concepts)]);
    }
  };
  // "Load is high but the CPU is idle": the load counts tasks blocked in D, so look there first.
  add("disk-io", has("idle"), "idle");
  add("cpu", has("cpu") || has("idle"), "cpu", "idle");
  // A leak is of whatever it is said of ("connection leak", "fd 누수"); alone, of memory.
  const leakOf = has("conn") || has("fd") || has("proc") || has("disk") || has("zombie");
  add("memory", has("mem") || has("oom") || (has("leak") && !leakOf), "mem", "oom", "leak");
  add("swap", has("swap"), "swap");
  add("file-descriptors", has("fd"), "fd");
  // "No space left" with space to spare, or files that cannot be created: the inode table (ENOSPC has two causes).
  const enospc = has("space") && (by.get("space") ?? []).some((h) => /no space|enospc|out of space|space left|용량\s*부족/.test(h.text));
  add("inodes", has("inode") || (has("filecount") && !has("fd")) || has("createfail") || (enospc && has("stillfree")), "inode", "filecount", "createfail", "stillfree");
  add("zombies", has("zombie"), "zombie");
  add("processes", has("fork") || (has("proc") && has("many") && !has("zombie") && !has("fd") && !has("conn") && !has("inode") && !has("filecount")), "fork", "proc", "many");
  const io = has("io") || has("dstate") || has("unkillable") || (has("disk") && (has("vague") || has("rw"))) || (has("rw") && has("vague") && !has("net") && !has("conn"));
  add("disk-io", io, "io", "dstate", "disk", "rw");
  const space = (has("space") && !(has("stillfree") && !has("disk"))) || (has("disk") && has("full")) || (has("disk") && !io && !has("inode") && !has("down") && !has("createfail"));
  add("disk-space", space || (enospc && has("stillfree")), "space", "disk", "full");
  // ENOSPC may just as well be the inode table: look at both.
  add("inodes", enospc, "space");
  add("connections", has("conn") || (has("port") && has("many")) || has("lb"), "conn", "port", "lb");
  add("network", has("net"), "net");
  add("dns", has("dns"), "dns");
  add("time", has("time"), "time");
  // A process that died or cannot be killed: the kernel log says whether the OOM killer or a hung task is behind it.
  const processDied = has("down") && !has("host") && !has("disk");
  add("kernel", has("kernel") || has("oom") || (has("disk") && has("down")) || has("unkillable") || processDied, "kernel", "oom", "down", "unkillable");
  // "The server is down": the host itself; "the app is down" or a bare "down": a service.
  add("reboot", has("reboot") || (has("host") && has("down")), "reboot", "host", "down");
  const soloDown = has("down") && !has("host") && [...out.keys()].every((r) => r === "kernel");
  const portOnly = named.port && [...out.keys()].every((r) => r === "kernel");
  add("services", has("service") || has("refused") || has("lb") || named.service || soloDown || portOnly || (named.port && (has("vague") || has("down"))) || (has("host") && has("down")), "service", "refused", "lb", "down", "port");
  add("connections", portOnly, "port");
  // "too full" with nothing else named: a file system.
  add("disk-space", out.size === 0 && has("full"), "full");
  add("inodes", out.size === 0 && has("stillfree") && has("full"), "stillfree");
  return out;
}

/**
 * Reads a sentence: the resources it is about and whether it asks for a broad sweep. `named`
 * says whether a service or a port was found in it (target.ts extracts those).
 */
export function readSymptoms(text: string, named: { service?: boolean; port?: boolean } = {}): Symptom {
  const normalized = text.normalize("NFKC").toLowerCase();
  const hits = conceptsOf(normalized);
  const derived = derive(hits, { service: named.service === true, port: named.port === true });
  const firstAt = (r: Resource): number => Math.min(...(derived.get(r) ?? []).map((h) => h.at), Number.MAX_SAFE_INTEGER);
  // Specific resources in the order they were mentioned, then the broad ones (services, kernel, reboot).
  const tier = (r: Resource): number => (GENERAL.has(r) ? 1 : 0);
  const resources = [...derived.keys()].sort((a, b) => tier(a) - tier(b) || firstAt(a) - firstAt(b) || SPECIFICITY.indexOf(a) - SPECIFICITY.indexOf(b));
  if (hits.some((h) => h.concept === "idle") && resources.includes("disk-io")) {
    resources.splice(resources.indexOf("disk-io"), 1);
    resources.unshift("disk-io");
  }
  // "No space left" is first about space; the inode table is the second suspect unless named.
  const inodeWords = hits.some((h) => ["inode", "filecount", "createfail", "stillfree"].includes(h.concept));
  if (!inodeWords && resources.includes("inodes") && resources.includes("disk-space")) {
    resources.splice(resources.indexOf("inodes"), 1);
    resources.splice(resources.indexOf("disk-space") + 1, 0, "inodes");
  }
  const vague = hits.some((h) => h.concept === "vague" || h.concept === "check" || h.concept === "host" || h.concept === "hang");
  const cues = [...new Set([...derived.values()].flat().map((h) => h.text.trim()))];
  if (resources.length === 0 && vague) {
    cues.push(...hits.filter((h) => h.concept === "vague" || h.concept === "check" || h.concept === "hang").map((h) => h.text.trim()));
  }
  return {
    resources,
    broad: resources.length === 0 && vague,
    cues: [...new Set(cues)].slice(0, 6),
    vague: hits.some((h) => h.concept === "vague" || h.concept === "hang"),
    hang: hits.some((h) => h.concept === "hang" || h.concept === "unkillable"),
    cpuIdle: hits.some((h) => h.concept === "idle"),
  };
}

/** Splits a metric name into words: "CPUUtilization" → "cpu utilization", "mem_used_percent" → "mem used percent". */
export function metricWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/[_.:/%-]+/g, " ")
    .toLowerCase()
    .trim();
}

export { SPECIFICITY as RESOURCE_SPECIFICITY };
