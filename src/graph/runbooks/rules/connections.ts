// Connections: TCP sockets grouped by local port, by client and by process (ss -tanp), listen
// queues (ss -l Recv-Q against the backlog, ListenOverflows), CLOSE-WAIT and TIME-WAIT piles. The
// culprit is who holds the connections: the client address, or — when the client runs on this host
// — its process; a listener that does not accept or close; a process with a pile of outgoing ones.
import type { Culprit, Severity } from "../../diagnosis";
import { displayName } from "../parse/common";
import { evidence, finding, headerOf, output, proc, type RuleContext, type RuleOutput } from "./common";
import { josa } from "../lang";

/** A client must hold this many connections, and this share more than the next one, to be named. */
const MIN_CONNECTIONS = 50;
const DOMINANCE = 3;

const LOOPBACK = /^(127\.|::1$|localhost$)/;

function group<T>(items: T[], key: (item: T) => string): [string, T[]][] {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return [...map.entries()].sort((a, b) => b[1].length - a[1].length);
}

export function connectionRules(ctx: RuleContext): RuleOutput {
  const { facts, target, say } = ctx;
  const out = output();
  const sockets = facts.sockets?.value ?? [];
  const listeners = facts.listeners?.value ?? [];
  const listening = new Set<number>([...listeners.filter((l) => l.proto.startsWith("tcp")).map((l) => l.port), ...sockets.filter((s) => s.state === "LISTEN").map((s) => s.local.port)]);
  const localAddresses = new Set(sockets.map((s) => s.local.address));
  const isLocal = (address: string): boolean => LOOPBACK.test(address) || localAddresses.has(address);
  const conns = sockets.filter((s) => s.state !== "LISTEN" && s.peer !== null);
  const serverSide = conns.filter((s) => listening.has(s.local.port));
  const byPort = group(serverSide, (s) => String(s.local.port));
  const summary = facts.socketSummary?.value.tcp ?? null;

  // Which port: the one asked about, else the listening port holding the most connections.
  const busiestPort = byPort[0] && byPort[0][1].length >= MIN_CONNECTIONS ? Number(byPort[0][0]) : undefined;
  const port = target.port ?? busiestPort;
  const run = facts.sockets?.run;
  if (run && port !== undefined) {
    const onPort = serverSide.filter((s) => s.local.port === port);
    const byPeer = group(onPort, (s) => s.peer!.address);
    const [topPeer, nextPeer] = byPeer;
    const listener = listeners.find((l) => l.port === port);
    const owner = listener?.processes[0] ?? sockets.find((s) => s.state === "LISTEN" && s.local.port === port)?.processes[0];
    const states = group(onPort, (s) => s.state)
      .map(([state, list]) => `${list.length} ${state}`)
      .join(", ");
    const portText = say(`${onPort.length} connections on port ${port}${owner ? ` (${proc(owner)})` : ""}${states ? `: ${states}` : ""}`, `포트 ${port}${owner ? ` (${proc(owner)})` : ""}의 연결 ${onPort.length}개${states ? `: ${states}` : ""}`);
    if (onPort.length > 0 && topPeer) {
      const [address, fromPeer] = topPeer;
      const dominant = fromPeer.length >= MIN_CONNECTIONS && (!nextPeer || fromPeer.length >= nextPeer[1].length * DOMINANCE || fromPeer.length >= onPort.length * 0.6);
      let culprit: Culprit | null = null;
      let clientLines: string[] = [];
      let who = displayName(address);
      if (dominant && isLocal(address)) {
        // The client runs here: its own sockets have the listener as their peer.
        const clientSide = conns.filter((s) => s.peer!.port === port && s.local.address === address && !listening.has(s.local.port));
        const byProcess = group(
          clientSide.filter((s) => s.processes.length > 0),
          (s) => `${s.processes[0].name}\u0000${s.processes[0].pid}`,
        );
        const [topClient, nextClient] = byProcess;
        if (topClient && topClient[1].length >= MIN_CONNECTIONS && (!nextClient || topClient[1].length >= nextClient[1].length * DOMINANCE)) {
          const p = topClient[1][0].processes[0];
          who = proc(p);
          clientLines = topClient[1].slice(0, 3).map((s) => s.line);
          culprit = {
            resource: "connections",
            kind: "client",
            name: p.name,
            pid: p.pid,
            detail: say(`${topClient[1].length} connections to port ${port} from ${address} (a process on this host)`, `${address}에서 포트 ${josa(port, "으로")} 연결 ${topClient[1].length}개 (이 호스트의 프로세스)`),
          };
        } else if (byProcess.length === 0) {
          culprit = { resource: "connections", kind: "client", name: address, pid: null, detail: say(`${fromPeer.length} of ${onPort.length} connections to port ${port} (a local client; run ss with -p as root to see its process)`, `포트 ${port} 연결 ${onPort.length}개 중 ${fromPeer.length}개 (로컬 클라이언트; 프로세스는 root로 ss -p를 실행해야 보임)`) };
        }
      } else if (dominant) {
        culprit = { resource: "connections", kind: "client", name: address, pid: null, detail: say(`${fromPeer.length} of ${onPort.length} connections to port ${port}`, `포트 ${port} 연결 ${onPort.length}개 중 ${fromPeer.length}개`) };
      }
      const text = culprit
        ? say(`${who} holds ${fromPeer.length} of the ${onPort.length} connections to port ${port}${owner ? ` (${proc(owner)})` : ""}`, `${josa(who, "이")} 포트 ${port}${owner ? ` (${proc(owner)})` : ""} 연결 ${onPort.length}개 중 ${fromPeer.length}개를 쥐고 있음`)
        : portText;
      const severity: Severity = fromPeer.length >= 1000 ? "high" : fromPeer.length >= MIN_CONNECTIONS && culprit ? "medium" : "info";
      out.findings.push(
        finding(
          "connections",
          text,
          say(
            `${portText}. By client: ${byPeer
              .slice(0, 4)
              .map(([a, list]) => `${displayName(a)} ${list.length}`)
              .join(", ")}.`,
            `${portText}. 클라이언트별: ${byPeer
              .slice(0, 4)
              .map(([a, list]) => `${displayName(a)} ${list.length}`)
              .join(", ")}.`,
          ),
          severity,
          [evidence(run, [headerOf(run), ...fromPeer.slice(0, 3).map((s) => s.line), ...clientLines])],
          culprit,
        ),
      );
      out.headlines.push({
        resource: "connections",
        severity,
        text,
        figure: say(`${onPort.length} connections on port ${port}, at most ${fromPeer.length} from one client`, `포트 ${port}의 연결 ${onPort.length}개, 한 클라이언트당 최다 ${fromPeer.length}개`),
      });
      if (culprit) {
        out.candidates.push({ culprit, strength: fromPeer.length >= 500 || severity !== "info" ? "strong" : "weak", severity, priority: 2, text });
        out.nextSteps.push({
          resource: "connections",
          text: say(
            `Ask the owner of ${who} why it holds ${fromPeer.length} connections (a pool without a cap, connections never closed); limit it per client at the listener or the load balancer, or block it if it is abusive.`,
            `${who}의 담당자에게 왜 연결 ${fromPeer.length}개를 쥐고 있는지 확인하세요 (상한 없는 풀, 닫지 않는 연결). 리스너나 로드 밸런서에서 클라이언트별로 제한하거나, 악의적이면 차단하세요.`,
          ),
        });
      }
      const closeWait = onPort.filter((s) => s.state === "CLOSE-WAIT");
      if (closeWait.length >= MIN_CONNECTIONS && owner) {
        const c: Culprit = { resource: "connections", kind: "listener", name: owner.name, pid: owner.pid, detail: say(`${closeWait.length} connections in CLOSE-WAIT`, `CLOSE-WAIT 연결 ${closeWait.length}개`) };
        const t = say(`${proc(owner)} does not close its connections: ${closeWait.length} in CLOSE-WAIT on port ${port}`, `${josa(proc(owner), "이")} 연결을 닫지 않음: 포트 ${port}에 CLOSE-WAIT ${closeWait.length}개`);
        out.findings.push(
          finding("connections", t, say("The clients hung up but the server never closed its side: a leak in the server (or it is stuck).", "클라이언트는 끊었지만 서버가 자기 쪽을 닫지 않았습니다: 서버의 누수(또는 멈춤)."), closeWait.length >= 500 ? "high" : "medium", [evidence(run, [headerOf(run), ...closeWait.slice(0, 3).map((s) => s.line)])], c),
        );
        out.candidates.push({ culprit: c, strength: "strong", severity: closeWait.length >= 500 ? "high" : "medium", priority: 3, text: t });
      }
    } else if (listener || owner) {
      out.headlines.push({ resource: "connections", severity: "info", text: portText, figure: say(`port ${port} is open, with no connections`, `포트 ${port} 열림, 연결 없음`) });
    } else if (facts.listeners || sockets.length > 0) {
      out.headlines.push({ resource: "connections", severity: "medium", text: say(`nothing listens on port ${port}`, `포트 ${port}에서 대기 중인 것이 없음`) });
    }
  }

  // Listen queues: a Recv-Q at the backlog means the service does not accept fast enough now.
  for (const l of listeners) {
    if (l.recvQ !== null && l.sendQ !== null && l.sendQ > 0 && l.recvQ >= l.sendQ && facts.listeners) {
      const owner = l.processes[0];
      const c: Culprit | null = owner ? { resource: "connections", kind: "listener", name: owner.name, pid: owner.pid, detail: say(`accept queue full on port ${l.port} (${l.recvQ} of ${l.sendQ})`, `포트 ${l.port}의 accept 큐가 가득 참 (${l.sendQ} 중 ${l.recvQ})`) } : null;
      const t = say(
        `The accept queue of port ${l.port}${owner ? ` (${proc(owner)})` : ""} is full (${l.recvQ} waiting, backlog ${l.sendQ})`,
        `포트 ${l.port}${owner ? ` (${proc(owner)})` : ""}의 accept 큐가 가득 참 (대기 ${l.recvQ}, backlog ${l.sendQ})`,
      );
      out.findings.push(finding("connections", t, say("New connections are dropped or delayed: the process does not call accept() fast enough (busy, blocked, or too few workers).", "새 연결이 버려지거나 지연됩니다: 프로세스가 accept()를 충분히 빨리 호출하지 못합니다 (바쁨, 막힘, 워커 부족)."), "high", [evidence(facts.listeners.run, [headerOf(facts.listeners.run), l.line])], c));
      out.headlines.push({ resource: "connections", severity: "high", text: t, figure: say(`the accept queue of port ${l.port} is full`, `포트 ${l.port}의 accept 큐가 가득 참`) });
      if (c) {
        out.candidates.push({ culprit: c, strength: "strong", severity: "high", priority: 1, text: t });
      }
    }
  }
  const counter = (name: string): { run: typeof facts.counters[number]["run"]; value: number; lines: string[] } | null => {
    for (const c of facts.counters) {
      const hit = c.value.get(name);
      if (hit) {
        return { run: c.run, value: hit.value, lines: hit.lines };
      }
    }
    return null;
  };
  const overflows = counter("TcpExtListenOverflows");
  const drops = counter("TcpExtListenDrops");
  const dropped = Math.max(overflows?.value ?? 0, drops?.value ?? 0);
  if (dropped > 0) {
    const source = (overflows ?? drops)!;
    out.findings.push(
      finding(
        "connections",
        say(`The kernel dropped ${dropped} incoming connections since boot: an accept queue was full`, `부팅 후 커널이 들어오는 연결 ${dropped}개를 버림: accept 큐가 가득 참`),
        say("A service does not accept connections fast enough, or its listen backlog is too small (a count since boot: compare with a second read to see whether it grows now).", "서비스가 연결을 충분히 빨리 받지 못하거나 listen backlog가 너무 작습니다 (부팅 후 누적 값: 지금도 느는지 한 번 더 읽어 비교하세요)."),
        // A count since boot says nothing about now: it is context, not a finding that leads a summary.
        "low",
        [evidence(source.run, [...new Set([...(overflows?.lines ?? []), ...(drops?.lines ?? [])])], 4, 4000)],
      ),
    );
    out.headlines.push({ resource: "connections", severity: "low", text: say(`${dropped} connections were dropped at a full accept queue since boot`, `부팅 후 가득 찬 accept 큐에서 연결 ${dropped}개가 버려짐`) });
  }

  // Outgoing piles: one local process holding many connections to elsewhere (a leaking pool).
  if (run) {
    const outgoing = conns.filter((s) => !listening.has(s.local.port) && s.processes.length > 0 && s.state === "ESTAB");
    const byProcess = group(outgoing, (s) => `${s.processes[0].name}\u0000${s.processes[0].pid}`);
    const [first, second] = byProcess;
    const named = out.candidates.some((c) => c.culprit.kind === "client" && first && c.culprit.pid === first[1][0].processes[0].pid);
    if (first && !named && first[1].length >= 500 && (!second || first[1].length >= second[1].length * DOMINANCE)) {
      const p = first[1][0].processes[0];
      const peers = group(first[1], (s) => `${s.peer!.address}:${s.peer!.port}`);
      const c: Culprit = { resource: "connections", kind: "process", name: p.name, pid: p.pid, detail: say(`${first[1].length} outgoing connections, most to ${peers[0][0]}`, `나가는 연결 ${first[1].length}개, 대부분 ${peers[0][0]}로`) };
      const t = say(`${proc(p)} holds ${first[1].length} outgoing connections (most to ${displayName(peers[0][0])})`, `${josa(proc(p), "이")} 나가는 연결 ${first[1].length}개를 쥐고 있음 (대부분 ${josa(displayName(peers[0][0]), "으로")})`);
      out.findings.push(finding("connections", t, say("A client-side pile: a connection pool without a cap or connections never closed.", "클라이언트 쪽 누적: 상한 없는 연결 풀이나 닫지 않는 연결."), "medium", [evidence(run, [headerOf(run), ...first[1].slice(0, 3).map((s) => s.line)])], c));
      out.candidates.push({ culprit: c, strength: first[1].length >= 2000 ? "strong" : "weak", severity: "medium", priority: 0, text: t });
    }
    const timeWait = conns.filter((s) => s.state === "TIME-WAIT");
    if (timeWait.length >= 5000) {
      const peers = group(timeWait, (s) => `${s.peer!.address}:${s.peer!.port}`);
      out.findings.push(
        finding(
          "connections",
          say(`${timeWait.length} connections in TIME-WAIT, most with ${displayName(peers[0][0])} (${peers[0][1].length})`, `TIME-WAIT 연결 ${timeWait.length}개, 대부분 ${josa(displayName(peers[0][0]), "과")} (${peers[0][1].length})`),
          say("Connection churn: short connections opened and closed instead of reused (keep-alive, pooling).", "연결 churn: 재사용(keep-alive, 풀링) 대신 짧게 열고 닫는 연결."),
          timeWait.length >= 30000 ? "high" : "medium",
          [evidence(run, [headerOf(run), ...peers[0][1].slice(0, 3).map((s) => s.line)])],
        ),
      );
    }
  }

  if (summary && facts.socketSummary) {
    const sev: Severity = summary.timewait >= 30000 || summary.orphaned >= 5000 ? "high" : summary.timewait >= 10000 || summary.orphaned >= 1000 ? "medium" : "info";
    out.findings.push(
      finding(
        "connections",
        say(`${summary.estab} established TCP connections, ${summary.timewait} in TIME-WAIT, ${summary.orphaned} orphaned`, `TCP 연결 ${summary.estab}개 수립, TIME-WAIT ${summary.timewait}개, orphan ${summary.orphaned}개`),
        sev === "info"
          ? say("Socket counts look normal.", "소켓 수는 정상으로 보입니다.")
          : say("Many short-lived or abandoned connections: connection churn or clients not reusing connections.", "짧게 쓰고 버리는 연결이 많습니다: 연결 churn 또는 클라이언트가 연결을 재사용하지 않음."),
        sev,
        [evidence(facts.socketSummary.run, [facts.socketSummary.value.line ?? ""])],
      ),
    );
    if (!out.headlines.some((h) => h.resource === "connections")) {
      out.headlines.push({ resource: "connections", severity: sev, text: say(`${summary.estab} established TCP connections, ${summary.timewait} in TIME-WAIT`, `TCP 연결 ${summary.estab}개, TIME-WAIT ${summary.timewait}개`) });
    }
  } else if (run && !out.headlines.some((h) => h.resource === "connections")) {
    const established = conns.filter((s) => s.state === "ESTAB").length;
    const top = byPort[0];
    out.headlines.push({
      resource: "connections",
      severity: "info",
      text: say(
        `${established} established TCP connections${top ? `, the most on port ${top[0]} (${top[1].length})` : ""}; no client stands out`,
        `수립된 TCP 연결 ${established}개${top ? `, 최다는 포트 ${top[0]} (${top[1].length})` : ""}; 두드러진 클라이언트 없음`,
      ),
    });
  }
  return out;
}
