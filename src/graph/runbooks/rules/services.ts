// Services: systemd units (failed, restarting, missing), the named process and its port. The
// culprit is the unit that failed, the service that is not running, or — for a port nobody
// listens on — the service that should own it. Without systemd (containers) it says so and judges
// by processes and ports alone.
import type { Culprit, Severity } from "../../diagnosis";
import { displayName } from "../parse/common";
import type { ProcessSample } from "../parse/system";
import type { Say } from "../lang";
import { josa } from "../lang";
import { code, duration, evidence, finding, joinAnd, output, proc, worst, type RuleContext, type RuleOutput } from "./common";

const rankOf: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export function serviceRules(ctx: RuleContext): RuleOutput {
  const { facts, target, say } = ctx;
  const out = output();
  const service = target.service;
  const port = target.port;
  const phrases: { severity: Severity; text: string; port?: boolean; figure?: string }[] = [];

  // A name from a process metric (procstat's exe) or from the user ("the recon service") is a
  // program, a unit or a family of both: when something of that name runs, a unit or process of
  // exactly that name missing is a fact about naming, not a problem.
  const alive = (name: string): string | null => runningAs(name, facts.byName, facts.unitStatus.map((u) => u.value), facts.processes?.value.processes ?? [], say);
  for (const { run, value: unit } of facts.unitsMissing) {
    const runs = alive(unit) !== null;
    out.findings.push(
      finding(
        "services",
        say(`No unit named ${code(unit)} on this host`, `이 호스트에 ${code(unit)} 유닛이 없음`),
        runs
          ? say("A process of that name runs: it is started some other way, or by a unit of another name.", "그 이름의 프로세스는 실행 중입니다: 다른 방법이나 다른 이름의 유닛으로 시작됐습니다.")
          : say("systemd does not know this service name: check the spelling (`systemctl list-units --type=service`).", "systemd가 이 서비스 이름을 모릅니다: 철자를 확인하세요 (`systemctl list-units --type=service`)."),
        runs ? "info" : "medium",
        [evidence(run, [run.stderr.split("\n")[0] ?? ""])],
      ),
    );
    if (!runs) {
      phrases.push({ severity: "medium", text: say(`there is no unit named ${code(unit)}`, `${code(unit)} 유닛이 없음`) });
    }
  }
  for (const { run, value: status } of facts.unitStatus) {
    // The cause (emerg/error/denied…) usually comes before systemd's own "Failed …" lines: quote it first.
    const causes = status.logLines.filter((l) => /emerg|error|denied|refused|fatal|cannot|unable|in use/i.test(l));
    const failures = status.logLines.filter((l) => !causes.includes(l) && /fail/i.test(l));
    const ev = evidence(run, [status.activeLine, ...status.exitLines, ...[...causes.slice(0, 3), ...failures].slice(0, 4)]);
    if (status.state === "active") {
      const state = displayName(status.activeText.split(" since")[0] ?? "active");
      out.findings.push(
        finding(
        "services",
          say(`${code(status.unit)} is ${state}${status.mainPid ? `, main PID ${status.mainPid}` : ""}`, `${code(status.unit)} 상태 ${state}${status.mainPid ? `, 메인 PID ${status.mainPid}` : ""}`),
          say("systemd reports the service as running.", "systemd가 서비스를 실행 중으로 보고합니다."),
          "info",
          [ev],
        ),
      );
      phrases.push({ severity: "info", text: say(`${code(status.unit)} is active`, `${code(status.unit)} 실행 중`), figure: say(`${displayName(status.unit)} is active`, `${displayName(status.unit)} 실행 중`) });
    } else {
      const restarting = /auto-restart/.test(status.activeText);
      const sev: Severity = "high";
      out.findings.push(
        finding(
        "services",
          restarting
            ? say(`${code(status.unit)} keeps restarting`, `${josa(code(status.unit), "이")} 계속 재시작됨`)
            : say(
                `${code(status.unit)} is ${status.state === "failed" ? "failed" : displayName(status.activeText.split(" since")[0] ?? status.state)}`,
                `${code(status.unit)} 상태 ${status.state === "failed" ? "failed (실패)" : displayName(status.activeText.split(" since")[0] ?? status.state)}`,
              ),
          `${displayName(status.activeText)}.` + (status.exitLines.length > 0 ? say(" The last run ended with an error status.", " 마지막 실행이 오류 상태로 끝났습니다.") : ""),
          sev,
          [ev],
        ),
      );
      phrases.push({
        severity: sev,
        text: restarting ? say(`${code(status.unit)} keeps restarting`, `${josa(code(status.unit), "이")} 계속 재시작됨`) : say(`${code(status.unit)} is ${status.state}`, `${code(status.unit)} 상태 ${status.state}`),
      });
      const name = status.unit.replace(/\.service$/, "");
      const culprit: Culprit = { resource: "services", kind: "unit", name, pid: status.mainPid, detail: displayName(status.activeText) };
      out.findings[out.findings.length - 1].culprit = culprit;
      out.candidates.push({
        culprit,
        strength: "strong",
        severity: sev,
        priority: 3,
        text: restarting ? say(`${code(status.unit)} keeps restarting`, `${josa(code(status.unit), "이")} 계속 재시작됨`) : say(`${code(status.unit)} is ${status.state}`, `${code(status.unit)} 상태 ${status.state}`),
      });
      out.nextSteps.push({ resource: "services", text: say(
          `Read why ${code(status.unit)} stopped: \`journalctl -u ${displayName(name)} -b --no-pager | tail -50\`; fix the cause, then \`systemctl restart ${displayName(name)}\` (ATL asks before running it).`,
          `${josa(code(status.unit), "이")} 멈춘 이유를 읽으세요: \`journalctl -u ${displayName(name)} -b --no-pager | tail -50\`. 원인을 고친 뒤 \`systemctl restart ${displayName(name)}\` (실행 전에 ATL이 승인을 받습니다).`,
        ),
      });
    }
  }
  for (const { run, value } of facts.unitJournal) {
    if (value.errors.length > 0) {
      out.findings.push(
        finding(
        "services",
          say(`${value.errors.length} error line${value.errors.length > 1 ? "s" : ""} in the log of ${code(value.unit)}`, `${code(value.unit)} 로그에 오류 ${value.errors.length}줄`),
          say("The latest ones are quoted.", "최근 것을 인용합니다."),
          "medium",
          [evidence(run, value.errors.slice(-5))],
        ),
      );
    }
  }
  if (facts.failedUnits && facts.failedUnits.value.length > 0) {
    const units = facts.failedUnits.value;
    const listed = units.slice(0, 5).map((u) => code(u.unit)).join(", ");
    out.findings.push(
      finding(
        "services",
        say(`${units.length} failed unit${units.length > 1 ? "s" : ""}: ${listed}`, `실패한 유닛 ${units.length}개: ${listed}`),
        say("systemd lists these units as failed.", "systemd가 이 유닛들을 실패로 표시합니다."),
        "high",
        [evidence(facts.failedUnits.run, units.map((u) => u.line))],
      ),
    );
    const few = units.slice(0, 3).map((u) => code(u.unit)).join(", ");
    // One failed unit is the answer to "what failed"; among several, only the one asked about is.
    const asked = units.find((u) => service && u.unit.replace(/\.service$/, "") === service);
    const only = units.length === 1 ? units[0] : asked;
    if (only && !out.candidates.some((c) => c.culprit.kind === "unit" && c.culprit.name === only.unit.replace(/\.service$/, ""))) {
      const culprit: Culprit = { resource: "services", kind: "unit", name: only.unit.replace(/\.service$/, ""), pid: null, detail: say(`${only.active} (${only.sub})`, `${only.active} (${only.sub})`) };
      out.findings[out.findings.length - 1].culprit = culprit;
      out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 2, text: say(`${code(only.unit)} has failed`, `${code(only.unit)} 실패`) });
    }
    phrases.push({ severity: "high", text: say(`failed unit${units.length > 1 ? "s" : ""} ${few}`, `실패한 유닛 ${few}`) });
    out.nextSteps.push({ resource: "services", text: say(
        `Look at each failed unit: \`systemctl status ${displayName(units[0].unit)} --no-pager -l\` and its journal.`,
        `실패한 유닛마다 확인하세요: \`systemctl status ${displayName(units[0].unit)} --no-pager -l\`와 그 저널.`,
      ),
    });
  }
  if (facts.systemdMissing && (service || facts.failedUnits === undefined)) {
    out.findings.push(
      finding(
        "services",
        say("systemd is not running on this host", "이 호스트에는 systemd가 실행 중이 아님"),
        say(
          "PID 1 is not systemd (a container or a minimal VM): service state comes from processes and ports only.",
          "PID 1이 systemd가 아닙니다 (컨테이너나 최소 VM): 서비스 상태는 프로세스와 포트로만 판단합니다.",
        ),
        "info",
        [
        evidence(facts.systemdMissing, [facts.systemdMissing.stderr.split("\n")[0] ?? ""]),
      ]),
    );
  }
  let running: ProcessSample[] | null = null;
  for (const { run, value } of facts.byName) {
    const procs = (value.table?.processes ?? []).filter((p) => !p.state?.startsWith("Z"));
    const other = procs.length === 0 ? alive(value.name) : null;
    if (procs.length === 0 && other !== null) {
      out.findings.push(
        finding(
          "services",
          say(`No process is named exactly ${code(value.name)}, but ${other} runs`, `이름이 정확히 ${code(value.name)}인 프로세스는 없지만 ${other} 실행 중`),
          say("The service runs under another program name (its unit's main process, or one of its family).", "서비스가 다른 프로그램 이름으로 실행 중입니다 (유닛의 메인 프로세스 또는 같은 이름으로 시작하는 프로세스)."),
          "info",
          [evidence(run, [value.table?.header ?? run.stdout.split("\n")[0] ?? ""])],
        ),
      );
      phrases.push({ severity: "info", text: say(`${other} runs`, `${other} 실행 중`), figure: say("the service is running", "서비스 실행 중") });
    } else if (procs.length === 0) {
      running = running ?? [];
      out.findings.push(
        finding(
        "services",
          say(`No process named ${code(value.name)} is running`, `${code(value.name)} 프로세스가 실행 중이 아님`),
          say("ps finds no process with that name.", "ps에서 그 이름의 프로세스를 찾지 못했습니다."),
          "high",
          [evidence(run, [value.table?.header ?? run.stdout.split("\n")[0] ?? ""])],
        ),
      );
      phrases.push({ severity: "high", text: say(`${code(value.name)} is not running`, `${josa(code(value.name), "이")} 실행 중이 아님`) });
      const culprit: Culprit = { resource: "services", kind: "unit", name: value.name, pid: null, detail: say("not running", "실행 중이 아님") };
      out.findings[out.findings.length - 1].culprit = culprit;
      out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 1, text: say(`${code(value.name)} is not running`, `${josa(code(value.name), "이")} 실행 중이 아님`) });
    } else {
      running = procs;
      const first = procs[0];
      const young = first.elapsedSec !== null && first.elapsedSec < 300;
      out.findings.push(
        finding(
        "services",
          young
            ? say(`${proc(first)} started ${duration(first.elapsedSec ?? 0, say)} ago`, `${josa(proc(first), "이")} ${duration(first.elapsedSec ?? 0, say)} 전에 시작됨`)
            : say(
                `${proc(first)} is running${first.elapsedSec !== null ? ` (up ${duration(first.elapsedSec, say)})` : ""}`,
                `${proc(first)} 실행 중${first.elapsedSec !== null ? ` (${duration(first.elapsedSec, say)}째)` : ""}`,
              ),
          (procs.length > 1 ? say(`${procs.length} processes with that name. `, `같은 이름의 프로세스 ${procs.length}개. `) : "") +
            (young
              ? say("A very young process: it may have just restarted or be crash-looping.", "아주 최근에 시작된 프로세스입니다: 방금 재시작했거나 크래시 루프일 수 있습니다.")
              : say("The process exists.", "프로세스가 있습니다.")),
          young ? "medium" : "info",
          [evidence(run, [value.table?.header ?? "", ...procs.slice(0, 5).map((p) => p.line)])],
        ),
      );
      phrases.push({
        severity: young ? "medium" : "info",
        figure: young ? say(`the service started only ${duration(first.elapsedSec ?? 0, say)} ago`, `서비스가 ${duration(first.elapsedSec ?? 0, say)} 전에야 시작됨`) : say("the service is running", "서비스 실행 중"),
        text: young
          ? say(`${proc(first)} started only ${duration(first.elapsedSec ?? 0, say)} ago (it may be restarting)`, `${josa(proc(first), "이")} ${duration(first.elapsedSec ?? 0, say)} 전에야 시작됨 (재시작 중일 수 있음)`)
          : say(`${proc(first)} is running`, `${proc(first)} 실행 중`),
      });
    }
  }
  if (facts.listeners) {
    const listeners = facts.listeners.value;
    if (port !== undefined) {
      const hits = listeners.filter((l) => l.port === port);
      if (hits.length === 0) {
        out.findings.push(
          finding(
        "services",
            say(`Nothing listens on port ${port}`, `포트 ${port}에서 대기 중인 것이 없음`),
            say(`No socket is bound to port ${port}: clients get "connection refused".`, `포트 ${port}에 바인딩된 소켓이 없습니다: 클라이언트는 "connection refused"를 받습니다.`),
            "high",
            [evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? "", ...listeners.slice(0, 6).map((l) => l.line)])],
          ),
        );
        phrases.push({ severity: "high", text: say(`nothing listens on port ${port}`, `포트 ${port}에서 대기 중인 것이 없음`) });
        // The listener that should be there: the service asked about, else the port itself.
        const alive = running?.[0];
        const culprit: Culprit = { resource: "services", kind: "listener", name: service ?? `:${port}`, pid: alive?.pid ?? null, detail: say(`nothing listens on port ${port}`, `포트 ${port}에서 대기 중인 것이 없음`) };
        out.findings[out.findings.length - 1].culprit = culprit;
        out.candidates.push({ culprit, strength: "strong", severity: "high", priority: 0, text: "" });
        out.nextSteps.push({ resource: "services", text: say(
            `Start the service that should own port ${port} and confirm with \`ss -ltnp 'sport = :${port}'\`; if it fails to bind, look for "address already in use" in its log.`,
            `포트 ${josa(port, "을")} 써야 할 서비스를 시작하고 \`ss -ltnp 'sport = :${port}'\`로 확인하세요. 바인딩에 실패하면 로그에서 "address already in use"를 찾으세요.`,
          ),
        });
      } else {
        const owner = hits.flatMap((h) => h.processes)[0];
        out.findings.push(
          finding(
        "services",
            say(
              `Port ${port} is open${owner ? ` (${code(owner.name)}, pid ${owner.pid})` : ""} on ${hits.map((h) => displayName(h.address)).join(", ")}`,
              `포트 ${port} 열림${owner ? ` (${code(owner.name)}, pid ${owner.pid})` : ""}: ${hits.map((h) => displayName(h.address)).join(", ")}`,
            ),
            owner && service && owner.name !== service
              ? say(`The port is held by ${code(owner.name)}, not ${code(service)}.`, `이 포트는 ${josa(code(service), "이")} 아니라 ${josa(code(owner.name), "이")} 쓰고 있습니다.`)
              : say(
                  "The port accepts connections locally; if clients still fail, look at firewalls, security groups or the load balancer.",
                  "포트가 로컬에서 연결을 받습니다. 클라이언트가 여전히 실패하면 방화벽, 보안 그룹, 로드 밸런서를 확인하세요.",
                ),
            owner && service && owner.name !== service ? "medium" : "info",
            [evidence(facts.listeners.run, [facts.listeners.run.stdout.split("\n")[0] ?? "", ...hits.map((h) => h.line)])],
          ),
        );
        phrases.push({ severity: "info", port: true, text: say(`port ${port} is open${owner ? ` (${code(owner.name)})` : ""}`, `포트 ${port} 열림${owner ? ` (${code(owner.name)})` : ""}`), figure: say(`port ${port} is open`, `포트 ${port} 열림`) });
      }
    } else if (service) {
      const hits = listeners.filter((l) => l.processes.some((p) => p.name === service));
      if (hits.length > 0) {
        const where = hits.map((h) => `${displayName(h.address)}:${h.port}`).join(", ");
        out.findings.push(
          finding("services", say(`${code(service)} listens on ${where}`, `${josa(code(service), "이")} ${where}에서 대기 중`), say("Its sockets are open.", "소켓이 열려 있습니다."), "info", [
            evidence(facts.listeners.run, hits.map((h) => h.line)),
          ]),
        );
      }
    }
  }
  if (service && running !== null && running.length === 0) {
    out.nextSteps.push({ resource: "services", text: say(
        `Start ${code(service)} (\`systemctl start ${displayName(service)}\`, or its init script) and read its log for the reason it stopped.`,
        `${josa(code(service), "을")} 시작하고 (\`systemctl start ${displayName(service)}\` 또는 init 스크립트) 로그에서 멈춘 이유를 확인하세요.`,
      ),
    });
  }
  // One sentence: the worst facts first ("`x` is not running and nothing listens on port 8080").
  const sorted = phrases.sort((a, b) => rankOf[b.severity] - rankOf[a.severity]);
  const bad = sorted.filter((p) => rankOf[p.severity] >= rankOf.medium);
  // Problems first; the state of the port asked about is part of the answer either way.
  const portState = sorted.filter((p) => rankOf[p.severity] < rankOf.medium && p.port === true);
  const chosen = (bad.length > 0 ? [...bad, ...portState] : sorted).slice(0, 3);
  if (chosen.length > 0) {
    const text = joinAnd(chosen.map((p) => p.text), say);
    out.headlines.push({ resource: "services", severity: worst(chosen.map((p) => p.severity)), text, figure: joinAnd(chosen.map((p) => p.figure ?? p.text), say) });
    // The culprit's sentence is the whole state: "`x` is not running and nothing listens on port 8080".
    for (const c of out.candidates) {
      c.text = text;
    }
  }
  return out;
}


/** How a program counts as one of a name's family: "recon" → recon, recon-sync, recon_worker, recond. */
function ofFamily(process: string, name: string): boolean {
  return process === name || (name.length >= 3 && new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:[-_.@:]|d$)`).test(process));
}

/**
 * What runs under a service name that no process has exactly: the main process of an active unit
 * of that name, or a process of its family in the full listing; null when nothing does.
 */
function runningAs(
  name: string,
  byName: { value: { name: string; table: { processes: ProcessSample[] } | null } }[],
  units: { unit: string; state: string; mainPid: number | null }[],
  all: ProcessSample[],
  say: Say,
): string | null {
  const unit = units.find((u) => u.unit.replace(/\.service$/, "") === name && u.state === "active");
  if (unit) {
    const main = unit.mainPid !== null ? all.find((p) => p.pid === unit.mainPid) : undefined;
    return main ? proc(main) : unit.mainPid !== null ? `${code(unit.unit)} (pid ${unit.mainPid})` : code(unit.unit);
  }
  const exact = byName.find((b) => b.value.name === name)?.value.table?.processes.find((p) => !p.state?.startsWith("Z"));
  if (exact) {
    return proc(exact);
  }
  const family = all.filter((p) => !p.state?.startsWith("Z") && ofFamily(p.name, name));
  return family.length > 0 ? joinAnd(family.slice(0, 2).map((p) => proc(p)), say) : null;
}
