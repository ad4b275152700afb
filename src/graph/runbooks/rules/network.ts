// Network: interface errors and drops (ip -s link) and TCP retransmissions (/proc/net/snmp). The
// culprit is the interface that drops; counters are since boot, so the next step is a second read.
// Nothing is said about interfaces unless `ip -s link` ran.
import type { CommandRun, Severity } from "../../diagnosis";
import { displayName } from "../parse/common";
import { evidence, finding, output, type RuleContext, type RuleOutput } from "./common";

export function networkRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const interfaces = (facts.links?.value ?? []).filter((i) => i.name !== "lo" && i.up);
  let erring = 0;
  for (const iface of interfaces) {
    const rxBad = (iface.rx.errors ?? 0) + (iface.rx.dropped ?? 0) + (iface.rx.missed ?? 0) + (iface.rx.overrun ?? 0);
    const txBad = (iface.tx.errors ?? 0) + (iface.tx.dropped ?? 0) + (iface.tx.carrier ?? 0);
    const packets = (iface.rx.packets ?? 0) + (iface.tx.packets ?? 0);
    if (rxBad + txBad === 0 || packets === 0 || !facts.links) {
      continue;
    }
    const ratio = ((rxBad + txBad) / packets) * 100;
    const sev: Severity = ratio >= 1 ? "high" : ratio >= 0.1 ? "medium" : "low";
    const shown = ratio < 0.01 ? "<0.01" : ratio.toFixed(2);
    erring++;
    const culprit = sev === "low" ? null : { resource: "network" as const, kind: "interface" as const, name: iface.name, pid: null, detail: say(`${shown}% of packets dropped or in error since boot`, `부팅 후 패킷의 ${shown}%가 드롭 또는 오류`) };
    out.findings.push(
      finding(
        "network",
        say(
          `${displayName(iface.name)}: ${rxBad} receive and ${txBad} transmit errors/drops since boot (${shown}% of packets)`,
          `${displayName(iface.name)}: 부팅 후 수신 오류/드롭 ${rxBad}, 송신 ${txBad} (패킷의 ${shown}%)`,
        ),
        say("Counters since boot: compare with a second run to see whether they grow now.", "부팅 후 누적 값입니다: 한 번 더 실행해 지금도 늘어나는지 비교하세요."),
        sev,
        [evidence(facts.links.run, iface.lines)],
        culprit,
      ),
    );
    if (culprit) {
      const text = say(`${displayName(iface.name)} drops or errors ${ratio.toFixed(2)}% of packets`, `${displayName(iface.name)} 패킷의 ${ratio.toFixed(2)}%가 드롭 또는 오류`);
      out.headlines.push({ resource: "network", severity: sev, text });
      out.candidates.push({ culprit, strength: "strong", severity: sev, priority: 1, text });
      out.nextSteps.push({
        resource: "network",
        text: say(
          `Watch whether the drops grow (\`ip -s link show ${displayName(iface.name)}\` twice, a minute apart) and compare with the instance's network allowance (\`ethtool -S ${displayName(iface.name)} | grep allowance\`).`,
          `드롭이 늘어나는지 1분 간격으로 두 번 확인하고 (\`ip -s link show ${displayName(iface.name)}\`), 인스턴스 네트워크 허용량과 비교하세요 (\`ethtool -S ${displayName(iface.name)} | grep allowance\`).`,
        ),
      });
    }
  }
  const counter = (name: string): { run: CommandRun; value: number; lines: string[] } | null => {
    for (const c of facts.counters) {
      const hit = c.value.get(name);
      if (hit) {
        return { run: c.run, value: hit.value, lines: hit.lines };
      }
    }
    return null;
  };
  const retrans = counter("TcpRetransSegs");
  const sent = counter("TcpOutSegs");
  let retransText: string | null = null;
  if (retrans && sent && sent.value > 1000) {
    const ratio = (retrans.value / sent.value) * 100;
    retransText = say(`${ratio.toFixed(2)}% of TCP segments retransmitted since boot`, `부팅 후 TCP 세그먼트 ${ratio.toFixed(2)}% 재전송`);
    if (ratio >= 1) {
      const sev: Severity = ratio >= 5 ? "high" : "medium";
      out.findings.push(
        finding(
          "network",
          say(`${ratio.toFixed(1)}% of TCP segments were retransmitted since boot`, `부팅 후 TCP 세그먼트의 ${ratio.toFixed(1)}%가 재전송됨`),
          say("Packets are lost or delayed on the path (or the peer is overloaded).", "경로에서 패킷이 유실되거나 지연됩니다 (또는 상대가 과부하)."),
          sev,
          [evidence(retrans.run, retrans.lines, 4, 4000)],
        ),
      );
      out.headlines.push({ resource: "network", severity: sev, text: retransText });
    }
  }
  if (!out.headlines.some((h) => h.resource === "network")) {
    const parts = [
      facts.links
        ? erring === 0
          ? say(`no errors or drops on ${interfaces.length} interface${interfaces.length === 1 ? "" : "s"}`, `인터페이스 ${interfaces.length}개에 오류·드롭 없음`)
          : say(`errors and drops below 0.1% of packets on ${erring} interface${erring === 1 ? "" : "s"}`, `인터페이스 ${erring}개에 패킷의 0.1% 미만 오류·드롭`)
        : null,
      retransText,
    ].filter((p): p is string => p !== null);
    if (parts.length > 0) {
      out.headlines.push({ resource: "network", severity: "info", text: parts.join("; ") });
    }
  }
  return out;
}
