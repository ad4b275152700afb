// The host itself: its clock (timedatectl, chrony), name resolution (resolv.conf, nsswitch,
// getent) and reboots (uptime, the journal's boots and what the previous boot logged last).
import type { Culprit, Severity } from "../../diagnosis";
import { displayName } from "../parse/common";
import { duration, evidence, finding, output, type RuleContext, type RuleOutput } from "./common";
import { josa, particle } from "../lang";

/** Addresses of this host a nameserver line can name (loopback), and the addresses a listener on every interface shows. */
const LOCAL_ADDRESS = /^(127\.|::1$)/;
const WILDCARD = new Set(["0.0.0.0", "*", "::", "[::]"]);

/** A failed lookup slower than this waited for a nameserver that never answered. */
const SILENT_RESOLVER_MS = 1500;

const TIME_DAEMONS = ["chronyd", "systemd-timesyncd", "ntpd", "openntpd", "timesyncd"];

export function timeRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const clock = facts.clock;
  const chrony = facts.chrony;
  const offset = chrony?.value.offsetSec ?? null;
  const unsynced = clock?.value.synchronized === false || (chrony?.value.leapStatus ?? "").toLowerCase().includes("not synchronised");
  const bigOffset = offset !== null && Math.abs(offset) >= 0.5;
  if (!clock && !chrony) {
    return out;
  }
  const running = (facts.processes?.value.processes ?? []).filter((p) => TIME_DAEMONS.includes(p.name));
  const ev = [...(clock ? [evidence(clock.run, clock.value.lines)] : []), ...(chrony ? [evidence(chrony.run, chrony.value.lines)] : [])];
  if (unsynced || bigOffset) {
    const sev: Severity = bigOffset && Math.abs(offset ?? 0) >= 5 ? "high" : "medium";
    const inactive = clock?.value.ntpService === "inactive";
    const failedTime = (facts.failedUnits?.value ?? []).find((u) => TIME_DAEMONS.some((d) => u.unit.startsWith(d)));
    let culprit: Culprit | null = null;
    if (failedTime) {
      culprit = { resource: "time", kind: "unit", name: failedTime.unit.replace(/\.service$/, ""), pid: null, detail: say("the time service has failed", "시간 동기화 서비스가 실패함") };
    } else if (inactive && running.length === 0) {
      culprit = { resource: "time", kind: "other", name: "NTP service", pid: null, detail: say("no NTP client is running (timedatectl: NTP service inactive)", "실행 중인 NTP 클라이언트가 없음 (timedatectl: NTP service inactive)") };
    }
    const text = say(
      `The clock is not synchronised${offset !== null ? ` (${offset.toFixed(3)} s off)` : ""}${inactive ? "; no NTP service is active" : ""}`,
      `시계가 동기화되지 않음${offset !== null ? ` (${offset.toFixed(3)}초 차이)` : ""}${inactive ? "; 활성화된 NTP 서비스 없음" : ""}`,
    );
    out.findings.push(finding("time", text, say("Skewed clocks break TLS, token expiry, log ordering and distributed locks.", "시계가 어긋나면 TLS, 토큰 만료, 로그 순서, 분산 락이 깨집니다."), sev, ev, culprit));
    out.headlines.push({ resource: "time", severity: sev, text });
    if (culprit) {
      out.candidates.push({ culprit, strength: "strong", severity: sev, priority: 1, text });
    }
    out.nextSteps.push({
      resource: "time",
      text: say(
        "Turn time synchronisation on (`timedatectl set-ntp true`, or start chronyd) and point it at the Amazon Time Sync Service (169.254.169.123); then confirm with `chronyc tracking`.",
        "시간 동기화를 켜고 (`timedatectl set-ntp true` 또는 chronyd 시작) Amazon Time Sync Service(169.254.169.123)를 쓰게 하세요. 그다음 `chronyc tracking`으로 확인하세요.",
      ),
    });
  } else {
    out.findings.push(finding("time", say("The clock is synchronised", "시계가 동기화됨"), offset !== null ? say(`Offset ${offset.toFixed(6)} s.`, `오차 ${offset.toFixed(6)}초.`) : "", "info", ev));
    out.headlines.push({ resource: "time", severity: "info", text: say(`the clock is synchronised${offset !== null ? ` (${offset.toFixed(3)} s off)` : ""}`, `시계가 동기화됨${offset !== null ? ` (${offset.toFixed(3)}초 차이)` : ""}`) });
  }
  return out;
}

export function dnsRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const resolver = facts.resolver;
  const failed = facts.lookups.filter((l) => l.value.addresses.length === 0);
  const resolved = facts.lookups.filter((l) => l.value.addresses.length > 0);
  if (resolver && resolver.value.nameservers.length === 0) {
    const culprit: Culprit = { resource: "dns", kind: "path", name: "/etc/resolv.conf", pid: null, detail: say("lists no nameserver", "nameserver가 없음") };
    const text = say("/etc/resolv.conf lists no nameserver", "/etc/resolv.conf에 nameserver가 없음");
    out.findings.push(finding("dns", text, say("Without a nameserver line every DNS lookup fails.", "nameserver 줄이 없으면 모든 DNS 조회가 실패합니다."), "high", [evidence(resolver.run, resolver.value.lines.length > 0 ? resolver.value.lines : ["(empty)"])], culprit));
    out.headlines.push({ resource: "dns", severity: "high", text });
    out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 2, text });
    return out;
  }
  const servers = resolver?.value.nameservers ?? [];
  // A nameserver on this host (a stub: dnsmasq, systemd-resolved, unbound) that nothing listens
  // for is down, whatever a lookup says: its clients fail at once ("connection refused"), as fast
  // as an answer "no such name" would come, so the lookup's speed cannot tell them apart.
  const dead = resolver && facts.listeners ? servers.find((s) => LOCAL_ADDRESS.test(s.address) && !facts.listeners!.value.some((l) => l.port === 53 && (l.address === s.address || WILDCARD.has(l.address)))) : undefined;
  if (dead && resolver && facts.listeners) {
    const culprit: Culprit = { resource: "dns", kind: "other", name: dead.address, pid: null, detail: say(`nameserver ${dead.address} (in /etc/resolv.conf) is on this host, but nothing listens on port 53 there`, `네임서버 ${dead.address}(/etc/resolv.conf)는 이 호스트에 있는데 그 주소의 53번 포트에서 대기 중인 것이 없음`) };
    const text = say(
      `nameserver ${displayName(dead.address)} from /etc/resolv.conf is on this host, but nothing listens on port 53 there: every lookup fails`,
      `/etc/resolv.conf의 네임서버 ${josa(displayName(dead.address), "은")} 이 호스트에 있는데 53번 포트에서 대기 중인 것이 없음: 모든 조회가 실패함`,
    );
    const lookupLines = failed.flatMap((l) => l.run.stderr.split("\n").filter((x) => x.trim()).slice(0, 1).map((line) => evidence(l.run, [line])));
    out.findings.push(
      finding(
        "dns",
        text,
        say("The local resolver (dnsmasq, systemd-resolved, unbound…) is not running or listens elsewhere.", "로컬 리졸버(dnsmasq, systemd-resolved, unbound…)가 실행 중이 아니거나 다른 곳에서 대기 중입니다."),
        "high",
        [evidence(resolver.run, [dead.line]), evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? ""]), ...lookupLines],
        culprit,
      ),
    );
    out.headlines.push({ resource: "dns", severity: "high", text, figure: say("the local nameserver does not listen", "로컬 네임서버가 대기 중이 아님") });
    out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 3, text });
    out.nextSteps.push({
      resource: "dns",
      text: say(
        `Start the local resolver that should answer on ${displayName(dead.address)} (\`systemctl status systemd-resolved dnsmasq unbound\`), or point /etc/resolv.conf at the VPC resolver (169.254.169.253).`,
        `${displayName(dead.address)}에서 응답해야 할 로컬 리졸버를 시작하거나 (\`systemctl status systemd-resolved dnsmasq unbound\`), /etc/resolv.conf가 VPC 리졸버(169.254.169.253)를 가리키게 하세요.`,
      ),
    });
    return out;
  }
  if (failed.length > 0) {
    const names = failed.map((l) => displayName(l.value.name)).join(", ");
    // A resolver that answers "no such name" does so in milliseconds; one that is down or
    // unreachable makes every lookup wait for its timeout (5 s per try by default). A slow failure
    // points at the nameserver, a quick one at the name.
    const silent = failed.filter((l) => l.value.timedOut === true || l.run.durationMs >= SILENT_RESOLVER_MS);
    const culprit: Culprit | null =
      silent.length > 0 && servers.length > 0 && resolver
        ? {
            resource: "dns",
            kind: "other",
            name: servers[0].address,
            pid: null,
            detail: say(`the nameserver in /etc/resolv.conf does not answer: ${names} failed after ${(silent[0].run.durationMs / 1000).toFixed(1)} s`, `/etc/resolv.conf의 네임서버가 응답하지 않음: ${names} 조회가 ${(silent[0].run.durationMs / 1000).toFixed(1)}초 뒤 실패`),
          }
        : null;
    const text = culprit
      ? say(
          `nameserver ${displayName(servers[0].address)} does not answer: ${names} failed after ${(silent[0].run.durationMs / 1000).toFixed(1)} s`,
          `네임서버 ${josa(displayName(servers[0].address), "이")} 응답하지 않음: ${names} 조회가 ${(silent[0].run.durationMs / 1000).toFixed(1)}초 뒤 실패`,
        )
      : say(`${names} does not resolve, but the resolver answers at once (the name does not exist for it)`, `${names} 조회 실패, 단 리졸버는 즉시 응답함 (이름이 없다는 뜻)`);
    out.findings.push(
      finding(
        "dns",
        text,
        say(
          `\`${failed[0].run.command}\` printed no address (exit ${failed[0].run.exitCode ?? "?"}): the resolver does not answer, or the name does not exist.`,
          `\`${failed[0].run.command}\`${particle(failed[0].run.command, "이")} 주소를 출력하지 않음 (종료 코드 ${failed[0].run.exitCode ?? "?"}): 리졸버가 응답하지 않거나 이름이 없습니다.`,
        ),
        culprit ? "high" : "low",
        [...failed.map((l) => evidence(l.run, l.run.stderr.split("\n").filter((x) => x.trim()).slice(0, 2))), ...(resolver ? [evidence(resolver.run, servers.map((s) => s.line))] : [])],
        culprit,
      ),
    );
    out.headlines.push({ resource: "dns", severity: culprit ? "high" : "low", text });
    if (culprit) {
      out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 1, text });
    }
    out.nextSteps.push({
      resource: "dns",
      text: say(
        `Ask the nameserver directly (\`dig @${servers[0]?.address ?? "169.254.169.253"} ${failed[0].value.name}\`) and a known-good one (\`dig @169.254.169.253 ${failed[0].value.name}\`): a timeout means the server, NXDOMAIN means the name.`,
        `네임서버에 직접 물어보고 (\`dig @${servers[0]?.address ?? "169.254.169.253"} ${failed[0].value.name}\`) 정상 리졸버와 비교하세요 (\`dig @169.254.169.253 ${failed[0].value.name}\`): 타임아웃이면 서버, NXDOMAIN이면 이름 문제입니다.`,
      ),
    });
  } else if (resolved.length > 0) {
    out.headlines.push({ resource: "dns", severity: "info", text: say(`${resolved.map((l) => displayName(l.value.name)).join(", ")} resolves`, `${resolved.map((l) => displayName(l.value.name)).join(", ")} 조회 성공`) });
  } else if (resolver) {
    out.headlines.push({ resource: "dns", severity: "info", text: say(`nameserver ${servers.map((s) => displayName(s.address)).join(", ")}; no name was looked up (say which name fails)`, `nameserver ${servers.map((s) => displayName(s.address)).join(", ")}; 조회한 이름 없음 (실패하는 이름을 알려 주세요)`) });
  }
  if (facts.nsswitchHosts?.value && !/\b(dns|resolve)\b/.test(facts.nsswitchHosts.value)) {
    out.findings.push(finding("dns", say("nsswitch.conf does not use DNS for host names", "nsswitch.conf가 호스트 이름에 DNS를 쓰지 않음"), say("The hosts line has neither dns nor resolve: only /etc/hosts is consulted.", "hosts 줄에 dns도 resolve도 없어 /etc/hosts만 봅니다."), "high", [evidence(facts.nsswitchHosts.run, [facts.nsswitchHosts.value])]));
  }
  return out;
}

export function rebootRules(ctx: RuleContext): RuleOutput {
  const { facts, say } = ctx;
  const out = output();
  const up = facts.load?.value.upSeconds ?? facts.kernelFigures?.value.uptimeSec?.value ?? null;
  const source = facts.kernelFigures?.value.uptimeSec ? { run: facts.kernelFigures.run, line: facts.kernelFigures.value.uptimeSec.line } : facts.load ? { run: facts.load.run, line: facts.load.value.line } : null;
  if (up === null || !source) {
    return out;
  }
  if (up < 3600) {
    const minutes = Math.max(1, Math.round(up / 60));
    const sev: Severity = up < 900 ? "medium" : "low";
    const lastWords = facts.previousBoot?.value.slice(-3) ?? [];
    out.findings.push(
      finding(
        "reboot",
        say(`The host booted ${minutes} min ago`, `호스트가 ${minutes}분 전에 부팅됨`),
        say("A recent reboot: the alarm may come from the restart or from what caused it.", "최근 재부팅: 알람은 재시작 자체나 그 원인 때문일 수 있습니다.") +
          (lastWords.length > 0 ? say(` The previous boot ended with: ${lastWords.map((l) => displayName(l)).join(" / ")}`, ` 이전 부팅의 마지막 기록: ${lastWords.map((l) => displayName(l)).join(" / ")}`) : ""),
        sev,
        [evidence(source.run, [source.line]), ...(facts.previousBoot && lastWords.length > 0 ? [evidence(facts.previousBoot.run, lastWords)] : [])],
      ),
    );
    out.headlines.push({ resource: "reboot", severity: sev, text: say(`the host rebooted ${minutes} min ago`, `호스트가 ${minutes}분 전에 재부팅됨`) });
    out.nextSteps.push({
      resource: "reboot",
      text: say(
        "See why it rebooted: `journalctl -b -1 -n 50 --no-pager` (needs a persistent journal), `last -x reboot shutdown | head`, and the instance's system log in the EC2 console.",
        "재부팅 이유를 확인하세요: `journalctl -b -1 -n 50 --no-pager` (영구 저널 필요), `last -x reboot shutdown | head`, EC2 콘솔의 인스턴스 시스템 로그.",
      ),
    });
  } else {
    out.headlines.push({ resource: "reboot", severity: "info", text: say(`up ${duration(up, say)}, no recent reboot`, `가동 ${duration(up, say)}, 최근 재부팅 없음`) });
  }
  return out;
}
