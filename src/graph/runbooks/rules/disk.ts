// Disk space and inodes: the mount asked about (or the fullest), and what fills it — the file, the
// directory, or a process holding deleted files open; for inodes, the directory with the most
// files. When the directory listing did not cover the full mount, the next commands say where to look.
import type { Evidence, Severity } from "../../diagnosis";
import type { Listed, Listing } from "../facts";
import { displayName, formatBytes, formatPercent } from "../parse/common";
import { isNoiseMount, mountFor, type MountUsage, type SizedPath } from "../parse/disk";
import { code, evidence, finding, headerOf, output, rank, type RuleContext, type RuleOutput } from "./common";
import { josa, particle } from "../lang";

function usageSeverity(percent: number | null): Severity {
  if (percent === null) {
    return "info";
  }
  return percent >= 95 ? "critical" : percent >= 90 ? "high" : percent >= 80 ? "medium" : "info";
}

/** The deepest directory holding at least half of the root's size (or count). */
function hotSpot(entries: SizedPath[], root: SizedPath): SizedPath | null {
  let best: SizedPath | null = null;
  for (const e of entries) {
    if (e.bytes >= root.bytes * 0.5 && (e.path === root.path || e.path.startsWith(`${root.path.replace(/\/$/, "")}/`))) {
      if (!best || e.path.split("/").length > best.path.split("/").length) {
        best = e;
      }
    }
  }
  return best;
}

function within(path: string, mount: MountUsage, mounts: MountUsage[]): boolean {
  return mountFor(mounts, path)?.mountedOn === mount.mountedOn;
}

/** The directory directly above `path` ("/" above "/var"). */
function parentOf(path: string): string {
  const cut = path.replace(/\/+$/, "").lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/**
 * The top of what the listings saw inside `mount`: the highest directory a listing was asked about,
 * with its total. A listing cut short by the time limit has no total for its root; when that root
 * is the mount point, the mount's used figure stands in for it (`used`), otherwise there is none.
 */
function listingRoot(listing: Listing, entries: Listed[], mount: MountUsage, mounts: MountUsage[], used: number | null): SizedPath | null {
  const roots = listing.roots.filter((r) => within(r.path, mount, mounts)).sort((a, b) => a.path.length - b.path.length);
  for (const r of roots) {
    const entry = entries.find((e) => e.path === r.path);
    if (entry) {
      return entry;
    }
    if (r.path === mount.mountedOn && used !== null) {
      return { path: r.path, bytes: used, size: String(used), line: "" };
    }
  }
  return null;
}

/**
 * Where to look next inside a full mount: from the top of the listings, down through every directory
 * that holds a large part of its parent, to the first one nobody listed inside yet. Null when the
 * listings already reach the bottom, or the space is spread out.
 */
function drillInto(entries: SizedPath[], root: SizedPath, listed: Set<string>): string | null {
  let current = root;
  for (;;) {
    const children = entries.filter((e) => e.path !== current.path && parentOf(e.path) === current.path);
    const largest = [...children].sort((a, b) => b.bytes - a.bytes)[0];
    if (!largest) {
      return listed.has(current.path) ? null : current.path;
    }
    if (largest.bytes < current.bytes * 0.3) {
      return null;
    }
    current = largest;
  }
}

/** Evidence from merged listings: each line cited from the run that printed it. */
function listingEvidence(entries: Listed[]): Evidence[] {
  const runs = [...new Set(entries.map((e) => e.run))];
  return runs.map((run) => evidence(run, entries.filter((e) => e.run === run && e.line).map((e) => e.line)));
}

/** Inodes used on a mount, from df -i's "IUsed" column. */
function inodesUsed(mount: MountUsage): number | null {
  return /^\d+$/.test(mount.used) ? Number(mount.used) : null;
}

/**
 * Commands to run next: the listing of a full mount the first round did not look inside (a question
 * that named no path lists nothing on the first round; du -x and find -xdev stop at mount points),
 * and one level deeper into the directory that holds most of it.
 */
export function diskFollowUp(ctx: RuleContext): { space: string | null; inodes: string | null } {
  const { facts, target } = ctx;
  const result = { space: null as string | null, inodes: null as string | null };
  const all = facts.df?.value ?? [];
  const mounts = all.filter((m) => !isNoiseMount(m));
  const fullest = [...mounts].sort((a, b) => (b.usePercent ?? 0) - (a.usePercent ?? 0))[0];
  const focus = target.path ? mountFor(all, target.path) : fullest;
  if (focus && (focus.usePercent ?? 0) >= 80) {
    result.space = nextListing(facts.du, focus, all, usedOf(focus), biggestFile(facts.largeFiles, focus, all));
  }
  const allInodes = facts.dfInodes?.value ?? [];
  const inodes = allInodes.filter((m) => !isNoiseMount(m) && m.usePercent !== null);
  const fullestInodes = [...inodes].sort((a, b) => (b.usePercent ?? 0) - (a.usePercent ?? 0))[0];
  if (fullestInodes && (fullestInodes.usePercent ?? 0) >= 80) {
    result.inodes = nextListing(facts.duInodes, fullestInodes, allInodes, inodesUsed(fullestInodes), null);
  }
  return result;
}

function biggestFile(files: Listing | undefined, mount: MountUsage, mounts: MountUsage[]): Listed | null {
  return (files?.entries ?? []).filter((f) => within(f.path, mount, mounts)).sort((a, b) => b.bytes - a.bytes)[0] ?? null;
}

function nextListing(listing: Listing | undefined, mount: MountUsage, mounts: MountUsage[], used: number | null, file: Listed | null): string | null {
  const covered = (listing?.roots ?? []).some((r) => within(r.path, mount, mounts));
  if (!listing || !covered) {
    return mount.mountedOn;
  }
  const entries = listing.entries.filter((e) => within(e.path, mount, mounts));
  const root = listingRoot(listing, entries, mount, mounts, used);
  if (!root) {
    return null;
  }
  const next = drillInto(entries, root, new Set(listing.roots.map((r) => r.path)));
  // A file already found there that holds most of it is the answer: no need to look further.
  if (next === null || (file && file.path.startsWith(`${next.replace(/\/$/, "")}/`) && file.bytes >= (entries.find((e) => e.path === next)?.bytes ?? Infinity) * 0.5)) {
    return null;
  }
  return next;
}

export function diskRules(ctx: RuleContext): RuleOutput {
  const { facts, target, say } = ctx;
  const out = output();
  const all = facts.df?.value ?? [];
  const mounts = all.filter((m) => !isNoiseMount(m));
  const path = target.path ?? facts.du?.roots[0]?.path;
  let focus: MountUsage | null = null;
  if (facts.df && mounts.length > 0) {
    const fullest = [...mounts].sort((a, b) => (b.usePercent ?? 0) - (a.usePercent ?? 0))[0] ?? null;
    const asked = target.path ? mountFor(all, target.path) : null;
    focus = asked ?? fullest;
    const reported = new Set<MountUsage>();
    for (const m of [focus, ...mounts.filter((x) => (x.usePercent ?? 0) >= 90)]) {
      if (!m || reported.has(m)) {
        continue;
      }
      reported.add(m);
      const sev = usageSeverity(m.usePercent);
      out.findings.push(
        finding(
          "disk-space",
          say(`${displayName(m.mountedOn)} is ${m.usePercent ?? "?"}% full (${m.avail} free of ${m.size})`, `${displayName(m.mountedOn)} 사용률 ${m.usePercent ?? "?"}% (${m.size} 중 ${m.avail} 남음)`),
          (m === asked && target.path && target.path !== m.mountedOn
            ? say(`${displayName(target.path)} lives on this filesystem (${displayName(m.filesystem)}). `, `${josa(displayName(target.path), "은")} 이 파일시스템(${displayName(m.filesystem)})에 있습니다. `)
            : say(`Filesystem ${displayName(m.filesystem)}. `, `파일시스템 ${displayName(m.filesystem)}. `)) +
            (sev === "critical"
              ? say("Writes will fail soon or already do (logs, databases, temp files).", "곧 또는 이미 쓰기가 실패합니다 (로그, 데이터베이스, 임시 파일).")
              : sev === "info"
                ? say("Space is not the problem here.", "공간은 문제가 아닙니다.")
                : say("Space is running low.", "공간이 부족해지고 있습니다.")),
          sev,
          [evidence(facts.df.run, [headerOf(facts.df.run), m.line])],
        ),
      );
    }
    if (focus) {
      out.headlines.push({
        resource: "disk-space",
        severity: usageSeverity(focus.usePercent),
        text: say(`${displayName(focus.mountedOn)} is ${focus.usePercent ?? "?"}% full (${focus.avail} free of ${focus.size})`, `${displayName(focus.mountedOn)} 사용률 ${focus.usePercent ?? "?"}% (${focus.size} 중 ${focus.avail} 남음)`),
      });
    }
  }
  const focusSeverity = focus ? usageSeverity(focus.usePercent) : "info";
  const full = rank(focusSeverity) >= rank("medium");
  const inFocus = (p: string): boolean => (focus ? within(p, focus, all) : true);
  const mountLabel = focus ? displayName(focus.mountedOn) : "";

  // What fills it: the directory listings and the largest files, inside the focus mount only.
  const du = (facts.du?.entries ?? []).filter((e) => inFocus(e.path));
  let hot: SizedPath | null = null;
  let root: SizedPath | null = null;
  if (facts.du && du.length > 0) {
    root = focus ? listingRoot(facts.du, du, focus, all, usedOf(focus)) : null;
    hot = root ? hotSpot(du, root) : null;
    const listed = [...du].sort((a, b) => b.bytes - a.bytes).slice(0, 6);
    const top = root?.path ?? mountLabel;
    out.findings.push(
      finding(
        "disk-space",
        root && hot && hot !== root
          ? say(`Most of ${displayName(root.path)} is in ${displayName(hot.path)} (${hot.size} of ${root.size})`, `${displayName(root.path)}의 대부분이 ${displayName(hot.path)}에 있음 (${root.size} 중 ${hot.size})`)
          : say(`Largest directories under ${displayName(top)}`, `${displayName(top)} 아래에서 가장 큰 디렉터리`),
        say("Largest: ", "크기순: ") +
          `${listed
            .filter((e) => e.path !== root?.path)
            .slice(0, 4)
            .map((e) => `${displayName(e.path)} ${e.size}`)
            .join(", ")}.` +
          (facts.du.roots.some((r) => !r.complete && inFocus(r.path)) ? say(" The listing was cut short by the time limit: it shows the directories it finished.", " 시간 제한으로 목록이 중간에 끊겼습니다: 끝낸 디렉터리만 보입니다.") : ""),
        full ? "medium" : "info",
        listingEvidence(listed),
      ),
    );
  }
  const files = (facts.largeFiles?.entries ?? []).filter((f) => inFocus(f.path)).sort((a, b) => b.bytes - a.bytes);
  const biggest = files[0];
  let fileFinding: ReturnType<typeof finding> | null = null;
  if (facts.largeFiles && biggest) {
    fileFinding = finding(
        "disk-space",
        say(`Largest file: ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`, `가장 큰 파일: ${displayName(biggest.path)} (${formatBytes(biggest.bytes)})`),
        files.length > 1
          ? say("Then ", "그다음: ") + `${files.slice(1, 4).map((f) => `${displayName(f.path)} (${formatBytes(f.bytes)})`).join(", ")}.`
          : say("The only file over the size threshold.", "크기 기준을 넘는 유일한 파일입니다."),
        full ? "medium" : "info",
        listingEvidence(files.slice(0, 5)),
      );
    out.findings.push(fileFinding);
  }
  const deleted = facts.deletedOpen?.value ?? [];
  let deletedHolder: { command: string; pid: number; bytes: number } | null = null;
  let deletedTotal = 0;
  if (facts.deletedOpen && deleted.length > 0) {
    deletedTotal = deleted.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0);
    if (deletedTotal >= 10 * 1024 * 1024) {
      const holders = new Map<number, { command: string; bytes: number }>();
      for (const f of deleted) {
        const h = holders.get(f.pid) ?? { command: f.command, bytes: 0 };
        h.bytes += f.sizeBytes ?? 0;
        holders.set(f.pid, h);
      }
      const [pid, holder] = [...holders.entries()].sort((a, b) => b[1].bytes - a[1].bytes)[0];
      deletedHolder = { command: holder.command, pid, bytes: holder.bytes };
      const sev: Severity = deletedTotal >= 1024 ** 3 ? "high" : "medium";
      out.findings.push(
        finding(
          "disk-space",
          say(`Deleted files still held open: ${formatBytes(deletedTotal)}, most by ${code(holder.command)} (pid ${pid})`, `삭제됐지만 열려 있는 파일: ${formatBytes(deletedTotal)}, 대부분 ${code(holder.command)} (pid ${pid})`),
          say("Their space is freed only when the process closes them (a log deleted instead of rotated).", "프로세스가 파일을 닫아야 공간이 풀립니다 (순환 대신 삭제된 로그)."),
          sev,
          [evidence(facts.deletedOpen.run, [headerOf(facts.deletedOpen.run), ...[...deleted].sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0)).slice(0, 5).map((f) => f.line)])],
        ),
      );
      out.headlines.push({
        resource: "disk-space",
        severity: sev,
        text: say(`${formatBytes(deletedTotal)} of deleted files are still held open by ${code(holder.command)} (pid ${pid})`, `삭제된 파일 ${josa(formatBytes(deletedTotal), "을")} ${code(holder.command)} (pid ${pid})${particle(holder.command, "이")} 아직 열고 있음`),
        figure: say(`${formatBytes(deletedTotal)} of deleted files are still held open`, `삭제된 파일 ${josa(formatBytes(deletedTotal), "이")} 아직 열려 있음`),
      });
      out.nextSteps.push({
        resource: "disk-space",
        text: say(
          `Make ${code(holder.command)} (pid ${pid}) reopen its files (reload or restart the service) to free ${formatBytes(deletedTotal)}.`,
          `${code(holder.command)} (pid ${pid})${particle(holder.command, "이")} 파일을 다시 열게 하세요 (서비스 reload 또는 재시작). ${josa(formatBytes(deletedTotal), "이")} 풀립니다.`,
        ),
      });
    }
  }

  // The culprit: a held-open deleted file, one file, or the directory — whichever holds the space.
  // Named only for a filesystem that is filling up: on a roomy one, the largest file is just that.
  if (focus && full) {
    const usedBytes = usedOf(focus);
    const strong = full;
    const base = { resource: "disk-space" as const, pid: null };
    const pct = (bytes: number): string => (usedBytes ? ` (${formatPercent((bytes / usedBytes) * 100)} ${say("of what is used on", "— 사용량 중")} ${mountLabel})` : "");
    if (deletedHolder && usedBytes && deletedTotal >= usedBytes * 0.3) {
      const culprit = { resource: "disk-space" as const, kind: "process" as const, name: deletedHolder.command, pid: deletedHolder.pid, detail: say(`holds ${formatBytes(deletedTotal)} of deleted files open`, `삭제된 파일 ${josa(formatBytes(deletedTotal), "을")} 열고 있음`) };
      out.candidates.push({ culprit, strength: strong ? "strong" : "weak", severity: focusSeverity, priority: 3, text: say(`${mountLabel} is ${focus.usePercent}% full: ${code(deletedHolder.command)} (pid ${deletedHolder.pid}) holds ${formatBytes(deletedTotal)} of deleted files open`, `${mountLabel} 사용률 ${focus.usePercent}%: ${code(deletedHolder.command)} (pid ${deletedHolder.pid})${particle(deletedHolder.command, "이")} 삭제된 파일 ${josa(formatBytes(deletedTotal), "을")} 열고 있음`) });
    }
    const hotBytes = hot && root && hot !== root ? hot.bytes : null;
    const fileDominates = biggest && ((hotBytes !== null && biggest.bytes >= hotBytes * 0.5 && hot && biggest.path.startsWith(`${hot.path}/`)) || (usedBytes !== null && biggest.bytes >= usedBytes * 0.3));
    if (biggest && fileDominates) {
      const culprit = { ...base, kind: "path" as const, name: biggest.path, detail: say(`${formatBytes(biggest.bytes)}${pct(biggest.bytes)}`, `${formatBytes(biggest.bytes)}${pct(biggest.bytes)}`) };
      if (fileFinding) {
        fileFinding.culprit = culprit;
      }
      out.candidates.push({
        culprit,
        strength: strong ? "strong" : "weak",
        severity: focusSeverity,
        priority: 2,
        text: say(
          `${mountLabel} is ${focus.usePercent}% full (${focus.avail} free of ${focus.size}); ${displayName(biggest.path)} holds ${formatBytes(biggest.bytes)}${hot && hot !== root ? `, in ${displayName(hot.path)} (${hot.size})` : ""}`,
          `${mountLabel} 사용률 ${focus.usePercent}% (${focus.size} 중 ${focus.avail} 남음); ${josa(displayName(biggest.path), "이")} ${formatBytes(biggest.bytes)} 차지${hot && hot !== root ? `, ${displayName(hot.path)} (${hot.size}) 안` : ""}`,
        ),
      });
    } else if (hot && root && hot !== root && (usedBytes === null || hot.bytes >= usedBytes * 0.3)) {
      const culprit = { ...base, kind: "path" as const, name: hot.path, detail: say(`${hot.size}${pct(hot.bytes)}`, `${hot.size}${pct(hot.bytes)}`) };
      const index = out.findings.findIndex((f) => f.title.includes(displayName(hot.path)));
      if (index >= 0) {
        out.findings[index].culprit = culprit;
      }
      out.candidates.push({
        culprit,
        strength: strong ? "strong" : "weak",
        severity: focusSeverity,
        priority: 1,
        text: say(`${mountLabel} is ${focus.usePercent}% full (${focus.avail} free of ${focus.size}); most of it is in ${displayName(hot.path)} (${hot.size})`, `${mountLabel} 사용률 ${focus.usePercent}% (${focus.size} 중 ${focus.avail} 남음); 대부분은 ${displayName(hot.path)} (${hot.size})`),
      });
    }
    if (full) {
      out.nextSteps.push({
        resource: "disk-space",
        text: hot
          ? say(
              `Clean up ${displayName(hot.path)}: rotate and compress logs (\`logrotate -f\`), delete old archives or dumps, or move them to another volume.`,
              `${josa(displayName(hot.path), "을")} 정리하세요: 로그 순환·압축(\`logrotate -f\`), 오래된 아카이브나 덤프 삭제, 또는 다른 볼륨으로 이동.`,
            )
          : say(`Find what fills ${mountLabel}: \`du -xh --max-depth=3 ${mountLabel} | sort -rh | head -20\`.`, `${josa(mountLabel, "을")} 채우는 것을 찾으세요: \`du -xh --max-depth=3 ${mountLabel} | sort -rh | head -20\`.`),
      });
      if (rank(focusSeverity) >= rank("high")) {
        out.nextSteps.push({
          resource: "disk-space",
          text: say(
            `If nothing can be deleted, grow the volume behind ${mountLabel} (EBS modify-volume, then \`growpart\` and \`resize2fs\` / \`xfs_growfs\`).`,
            `지울 것이 없다면 ${mountLabel}의 볼륨을 늘리세요 (EBS modify-volume 후 \`growpart\`, \`resize2fs\` / \`xfs_growfs\`).`,
          ),
        });
      }
    }
  }
  if (path && !focus && facts.df) {
    out.headlines.push({ resource: "disk-space", severity: "info", text: say(`no filesystem holds ${displayName(path)}`, `${josa(displayName(path), "을")} 담은 파일시스템이 없음`) });
  }
  inodeRules(ctx, out);
  return out;
}

/** Bytes used on a mount, from df -h's "Used" column. */
function usedOf(mount: MountUsage): number | null {
  const m = /^([\d.,]+)([KMGTPE]?)i?B?$/i.exec(mount.used);
  if (!m) {
    return null;
  }
  const powers: Record<string, number> = { "": 1, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };
  const value = Number(m[1].replace(",", "."));
  // df -h prints powers of 1024 with a suffix; plain numbers are 1 KiB blocks (df -P without -h).
  return m[2] === "" ? value * 1024 : value * 1024 ** (powers[m[2].toUpperCase()] ?? 0);
}

function inodeRules(ctx: RuleContext, out: RuleOutput): void {
  const { facts, target, say } = ctx;
  const inodes = (facts.dfInodes?.value ?? []).filter((m) => !isNoiseMount(m) && m.usePercent !== null);
  if (!facts.dfInodes || inodes.length === 0) {
    return;
  }
  const asked = target.path ? mountFor(inodes, target.path) : null;
  const fullest = [...inodes].sort((a, b) => (b.usePercent ?? 0) - (a.usePercent ?? 0))[0];
  const m = (fullest.usePercent ?? 0) >= 80 ? fullest : (asked ?? fullest);
  const sev = usageSeverity(m.usePercent);
  out.findings.push(
    finding(
      "inodes",
      sev === "info"
        ? say(`Inodes are not the problem (${m.usePercent}% used on ${displayName(m.mountedOn)})`, `아이노드는 문제가 아님 (${displayName(m.mountedOn)} ${m.usePercent}% 사용)`)
        : say(`${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes`, `${displayName(m.mountedOn)} 아이노드 ${m.usePercent}% 사용`),
      sev === "info"
        ? say("The file count is far from the limit.", "파일 수가 한도와 거리가 멉니다.")
        : say(
            "Running out of inodes blocks new files even with free space: usually millions of small files (sessions, caches, mail queues).",
            "아이노드가 바닥나면 공간이 남아도 새 파일을 만들 수 없습니다: 보통 수백만 개의 작은 파일(세션, 캐시, 메일 큐) 때문입니다.",
          ),
      sev,
      [evidence(facts.dfInodes.run, [headerOf(facts.dfInodes.run), m.line])],
    ),
  );
  out.headlines.push({
    resource: "inodes",
    severity: sev,
    text: say(`${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes (${m.used} of ${m.size})`, `${displayName(m.mountedOn)} 아이노드 ${m.usePercent}% 사용 (${m.size} 중 ${m.used})`),
  });
  const counts = (facts.duInodes?.entries ?? []).filter((e) => within(e.path, m, facts.dfInodes?.value ?? []));
  const root = facts.duInodes ? listingRoot(facts.duInodes, counts, m, facts.dfInodes?.value ?? [], inodesUsed(m)) : null;
  if (facts.duInodes && counts.length > 0 && root) {
    const hot = hotSpot(counts, root);
    const listed = [...counts].sort((a, b) => b.bytes - a.bytes).slice(0, 6);
    out.findings.push(
      finding(
        "inodes",
        hot && hot !== root
          ? say(`Most files under ${displayName(root.path)} are in ${displayName(hot.path)} (${hot.bytes} of ${root.bytes})`, `${displayName(root.path)} 아래 파일 대부분이 ${displayName(hot.path)}에 있음 (${root.bytes}개 중 ${hot.bytes}개)`)
          : say(`Directories with the most files under ${displayName(root.path)}`, `${displayName(root.path)} 아래에서 파일이 가장 많은 디렉터리`),
        listed
          .filter((e) => e.path !== root.path)
          .slice(0, 4)
          .map((e) => `${displayName(e.path)} ${e.bytes}`)
          .join(", ") + ".",
        sev === "info" ? "info" : "medium",
        listingEvidence(listed),
      ),
    );
    if (hot && hot !== root && sev !== "info") {
      const culprit = { resource: "inodes" as const, kind: "path" as const, name: hot.path, pid: null, detail: say(`${hot.bytes} files and directories`, `파일·디렉터리 ${hot.bytes}개`) };
      out.findings[out.findings.length - 1].culprit = culprit;
      out.candidates.push({
        culprit,
        strength: "strong",
        severity: sev,
        priority: 1,
        text: say(
          `${displayName(m.mountedOn)} has used ${m.usePercent}% of its inodes; ${displayName(hot.path)} holds ${hot.bytes} of them`,
          `${displayName(m.mountedOn)} 아이노드 ${m.usePercent}% 사용; ${displayName(hot.path)}에 ${hot.bytes}개`,
        ),
      });
    }
  }
  if (sev !== "info") {
    out.nextSteps.push({
      resource: "inodes",
      text: say(
        `Find the directories with the most files: \`du --inodes -x ${displayName(m.mountedOn)} 2>/dev/null | sort -rn | head -20\`, then remove the stale ones (old sessions, cache entries, spooled mail).`,
        `파일이 가장 많은 디렉터리를 찾으세요: \`du --inodes -x ${displayName(m.mountedOn)} 2>/dev/null | sort -rn | head -20\`. 그다음 오래된 것(세션, 캐시 항목, 스풀 메일)을 지우세요.`,
      ),
    });
  }
}
