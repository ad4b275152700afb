// `npm run eval`: how often the offline diagnosis names the culprit of a real host fault.
//
//   npm run eval [-- --only cpu-hog,zombies] [--lang alarm,en,ko] [--record] [--no-healthy]
//   npm run eval -- --replay [--only …]          re-analyse the recorded fixtures, no staging
//   npm run eval -- --list
//
// Live (the default; root, Linux): each scenario's fault is staged on this machine under random
// names (test/helpers/faults.ts), and every question — the alarm body, three English and three
// Korean wordings — goes through the real diagnosis service and the real agent process, approving
// read-only commands. Then the scenario's healthy twin (no fault) gets the same questions.
// --record writes every command output to eval/fixtures/<scenario>.json; --replay runs the current
// analysis over those recordings, deterministically and in seconds.
//
// Prints the table per scenario and language, and writes eval/results/<live|replay>.json (with
// --only, the other scenarios' results are kept from the previous file).
import { readFile, rename, writeFile, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createCommandPolicy } from "../agent/src/policy/index";
import { commitInfo, machineInfo } from "../bench/report";
import { HostDirectory } from "../src/hosts/directory";
import type { AgentHostEntry } from "../src/hosts/model";
import { silentLogger } from "../src/shared/log";
import type { Analysis, CommandRun } from "../src/graph/diagnosis";
import { startAgent, type RunningAgent } from "../test/helpers/agent";
import { acquireStagingLock, installCleanupHandlers, randomHex, sweepLeftovers } from "../test/helpers/faults";
import { EVAL_ALARM_CONTEXT, snsAlarmBody } from "./alarms";
import { diagnoseQuestion, type Question } from "./diagnose";
import { readFixtures, RecordingTransport, ReplayTransport, writeFixture, type RecordedAsk, type RecordedCondition, type ScenarioFixture } from "./fixtures";
import { RESULT_SCHEMA, renderMarkdown, renderText, type EvalRun, type QuestionResult, type ScenarioStatus } from "./report";
import { SCENARIOS, unavailable, type AskLanguage, type ExpectedCulprit, type Facts, type Scenario, type StagedCondition } from "./scenarios";
import { scoreFault, scoreHealthy, type Score } from "./score";
import { toMarkdown } from "../src/shared/richText";

export const EVAL_DIR = resolve(import.meta.dirname);
export const FIXTURES_DIR = join(EVAL_DIR, "fixtures");
export const RESULTS_DIR = join(EVAL_DIR, "results");
const REPO = resolve(EVAL_DIR, "..");

const LANGUAGES: AskLanguage[] = ["alarm", "en", "ko"];

export interface EvalFlags {
  only: string[] | null;
  langs: AskLanguage[];
  replay: boolean;
  record: boolean;
  healthy: boolean;
  fixtures: string;
  write: boolean;
  agentUser: string | null;
  list: boolean;
  quiet: boolean;
  updateDocs: boolean;
}

export class UsageError extends Error {}

export function parseFlags(argv: string[]): EvalFlags {
  const flags: EvalFlags = { only: null, langs: LANGUAGES, replay: false, record: false, healthy: true, fixtures: FIXTURES_DIR, write: true, agentUser: null, list: false, quiet: false, updateDocs: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) {
        throw new UsageError(`${arg} needs a value`);
      }
      return v;
    };
    const list = (): string[] =>
      value()
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean);
    switch (arg) {
      case "--only": {
        const ids = list();
        const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
        if (unknown.length > 0 || ids.length === 0) {
          throw new UsageError(`unknown scenario ${unknown.join(", ") || "(none given)"}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
        }
        flags.only = ids;
        break;
      }
      case "--lang": {
        const langs = list();
        const bad = langs.filter((l) => !LANGUAGES.includes(l as AskLanguage));
        if (bad.length > 0 || langs.length === 0) {
          throw new UsageError(`unknown language ${bad.join(", ") || "(none given)"}; known: ${LANGUAGES.join(", ")}`);
        }
        flags.langs = langs as AskLanguage[];
        break;
      }
      case "--replay":
        flags.replay = true;
        break;
      case "--record":
        flags.record = true;
        break;
      case "--no-healthy":
        flags.healthy = false;
        break;
      case "--fixtures":
        flags.fixtures = resolve(value());
        break;
      case "--no-write":
        flags.write = false;
        break;
      case "--agent-user":
        flags.agentUser = value();
        break;
      case "--list":
        flags.list = true;
        break;
      case "--quiet":
        flags.quiet = true;
        break;
      case "--update-docs":
        flags.updateDocs = true;
        break;
      case "--help":
      case "-h":
        throw new UsageError("");
      default:
        throw new UsageError(`unknown flag ${arg}`);
    }
  }
  if (flags.replay && flags.record) {
    throw new UsageError("--record records a live run; it cannot be combined with --replay");
  }
  return flags;
}

const USAGE = `usage: npm run eval [-- --only ID,…] [--lang alarm,en,ko] [--record] [--no-healthy] [--agent-user USER]
       npm run eval -- --replay [--only ID,…] [--lang …] [--fixtures DIR]
  --only ID,…       these scenarios (${SCENARIOS.map((s) => s.id).join(", ")})
  --lang L,…        these kinds of question (alarm, en, ko; default all)
  --replay          re-analyse the recorded fixtures (no staging, no root, seconds)
  --record          live run that also writes eval/fixtures/<scenario>.json
  --no-healthy      skip the healthy twins (no fault, the same questions)
  --agent-user U    run the agent as this user, as its systemd unit does (default: root)
  --fixtures DIR    read/write fixtures there (default eval/fixtures)
  --no-write        do not write eval/results/<mode>.json
  --update-docs     put the table (of the whole record) into docs/diagnosis.md's Evaluation section
  --list            list the scenarios and their questions`;

// ---- questions ------------------------------------------------------------------------------

export interface HostIdentity {
  hostName: string;
  instanceId: string;
}

function questionsOf(scenario: Scenario, facts: Facts, langs: AskLanguage[]): Question[] {
  const questions: Question[] = [];
  if (langs.includes("alarm")) {
    questions.push({ id: "alarm", lang: "alarm", text: null, alarmBody: snsAlarmBody(scenario.alarm(facts), { ...EVAL_ALARM_CONTEXT, now: new Date() }) });
  }
  for (const lang of ["en", "ko"] as const) {
    if (langs.includes(lang)) {
      scenario[lang].forEach((word, i) => questions.push({ id: `${lang}-${i + 1}`, lang, text: word(facts), alarmBody: null }));
    }
  }
  return questions;
}

function questionLabel(q: Pick<Question, "text" | "alarmBody">): string {
  if (q.alarmBody !== null) {
    try {
      const envelope = JSON.parse(q.alarmBody) as { Message?: string };
      return `alarm: ${(JSON.parse(envelope.Message ?? "{}") as { AlarmName?: string }).AlarmName ?? "?"}`;
    } catch {
      return "alarm";
    }
  }
  return q.text ?? "";
}

// ---- what the outputs show about processes ------------------------------------------------------

/** Process names and the pids using ≥ 50 % of a core, from every ps/top table in the outputs. */
export function processesIn(runs: Pick<CommandRun, "stdout">[]): { names: Set<string>; busy: { pids: Set<number>; names: Set<string> } } {
  const names = new Set<string>();
  const busy = { pids: new Set<number>(), names: new Set<string>() };
  for (const run of runs) {
    const lines = run.stdout.split("\n");
    const headerAt = lines.findIndex((l) => /^\s*PID\s/.test(l) && /\b(COMMAND|CMD|COMM)\b/.test(l));
    if (headerAt < 0) {
      continue;
    }
    const header = (lines[headerAt] ?? "").trim().split(/\s+/);
    const pidCol = header.indexOf("PID");
    const cpuCol = header.findIndex((h) => h === "%CPU" || h === "PCPU");
    for (const line of lines.slice(headerAt + 1)) {
      const cells = line.trim().split(/\s+/);
      if (cells.length < header.length) {
        continue;
      }
      const command = cells.slice(header.length - 1).join(" ");
      names.add(command);
      const pid = Number(cells[pidCol]);
      const cpu = cpuCol >= 0 ? Number(cells[cpuCol]) : 0;
      if (cpu >= 50) {
        busy.pids.add(pid);
        busy.names.add(command);
      }
    }
  }
  return { names, busy };
}

function scoreOf(scenario: Scenario, condition: "fault" | "healthy", culprit: ExpectedCulprit | null, runs: CommandRun[], analysis: Analysis | null): Score {
  if (!analysis) {
    return { outcome: condition === "fault" ? "missed" : "clean", verdict: null, why: "no analysis (the diagnosis did not finish)", understood: null };
  }
  const seen = processesIn(runs);
  return condition === "fault" && culprit
    ? scoreFault(analysis, culprit, scenario.resources, seen.names)
    : scoreHealthy(analysis, scenario.resources, scenario.resources.includes("cpu"), seen.busy, seen.names);
}

// ---- live ---------------------------------------------------------------------------------

function hostEntry(agent: RunningAgent, identity: HostIdentity): AgentHostEntry {
  return { id: identity.hostName, name: identity.hostName, aliases: [identity.instanceId], transport: "agent", url: agent.url, keyId: agent.keyId, secretFile: agent.secretFile };
}

function say(flags: EvalFlags, line: string): void {
  if (!flags.quiet) {
    process.stderr.write(`${line}\n`);
  }
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

async function runLive(flags: EvalFlags): Promise<{ statuses: ScenarioStatus[]; results: QuestionResult[] }> {
  if (process.getuid?.() !== 0) {
    say(flags, "eval: not root — faults that need mounts, cgroups or namespaces will be reported as not staged.");
  }
  installCleanupHandlers((signal) => process.stderr.write(`\neval: ${signal}: removing the staged fault…\n`));
  const unlock = await acquireStagingLock((holder) => say(flags, `eval: waiting for another run staging faults on this machine (${holder})`));
  process.once("exit", unlock);
  for (const line of sweepLeftovers()) {
    say(flags, `eval: removed a leftover of an earlier run: ${line}`);
  }
  const policy = createCommandPolicy();
  const identity: HostIdentity = { hostName: `prod-${["api", "web", "batch", "app"][Math.floor(Math.random() * 4)]}-${String(Math.floor(Math.random() * 90) + 10)}`, instanceId: `i-0${randomHex(8)}` };
  const root = process.getuid?.() === 0;
  const env = { programRoot: root ? "/opt" : undefined, dataRoot: root ? "/srv" : undefined };
  const agentOptions = flags.agentUser ? { user: flags.agentUser } : {};
  const hostAgent = await startAgent({ ...agentOptions, limits: { maxTimeoutSec: 120 } });
  const statuses: ScenarioStatus[] = [];
  const results: QuestionResult[] = [];
  try {
    for (const scenario of SCENARIOS.filter((s) => !flags.only || flags.only.includes(s.id))) {
      const fixture: ScenarioFixture = {
        schema: 1,
        scenario: scenario.id,
        title: scenario.title,
        fault: scenario.fault,
        recordedAt: new Date().toISOString(),
        machine: `${machineInfo().os}, Linux ${machineInfo().kernel}, ${machineInfo().cores} cores`,
        commit: commitInfo(REPO).sha,
        agentUser: flags.agentUser ?? "root",
        conditions: [],
      };
      let status: ScenarioStatus = { id: scenario.id, title: scenario.title, fault: scenario.fault, staged: true, reason: null };
      const order = flags.healthy ? (scenario.healthyFirst ? (["healthy", "fault"] as const) : (["fault", "healthy"] as const)) : (["fault"] as const);
      for (const condition of order) {
        say(flags, `eval: ${scenario.id}: staging ${condition === "fault" ? scenario.fault : "its healthy twin"}`);
        let staged: StagedCondition;
        try {
          const made = condition === "fault" ? await scenario.stage(env) : await scenario.healthy(env);
          if (unavailable(made)) {
            if (condition === "fault") {
              status = { ...status, staged: false, reason: made.reason };
            }
            say(flags, `eval: ${scenario.id}: not staged: ${made.reason}`);
            break;
          }
          staged = made;
        } catch (error) {
          status = { ...status, staged: false, reason: (error as Error).message.split("\n")[0] ?? "failed" };
          say(flags, `eval: ${scenario.id}: staging failed: ${(error as Error).message}`);
          break;
        }
        let agent: RunningAgent | null = null;
        try {
          // An agent entering namespaces starts as root (--agent-user does not apply to it).
          agent = staged.agent ? await startAgent({ ...staged.agent, limits: { maxTimeoutSec: 120 } }) : hostAgent;
          const entry = hostEntry(agent, identity);
          const directory = new HostDirectory([entry], { get: () => Promise.resolve(undefined) }, { policy, logger: silentLogger });
          if (staged.settleSec) {
            await new Promise((r) => setTimeout(r, staged.settleSec! * 1000));
          }
          const facts: Facts = { ...identity, ...staged.facts };
          const recorded: RecordedCondition = { condition, culprit: staged.culprit, facts, asks: [] };
          for (const question of questionsOf(scenario, facts, flags.langs)) {
            // The graph asks for a transport on every round: one recording per question keeps them all.
            let recorder: RecordingTransport | null = null;
            const at = new Date().toISOString();
            const outcome = await diagnoseQuestion({
              question,
              hosts: [entry],
              hostId: entry.id,
              policy,
              transport: async (host) => (recorder ??= new RecordingTransport(await directory.transport(host))),
            });
            const score = scoreOf(scenario, condition, staged.culprit, outcome.runs, outcome.analysis);
            const result = resultOf(scenario.id, condition, question, outcome, score, []);
            results.push(result);
            recorded.asks.push({ ...question, at, results: (recorder as RecordingTransport | null)?.results ?? [] });
            say(flags, `eval: ${scenario.id} ${condition} ${question.id.padEnd(5)} ${score.outcome.padEnd(15)} ${oneLine(result.summary)}`);
          }
          fixture.conditions.push(recorded);
          directory.dispose();
        } finally {
          if (agent && agent !== hostAgent) {
            await agent.stop();
          }
          await staged.stop();
        }
      }
      statuses.push(status);
      if (flags.record && status.staged && fixture.conditions.length > 0) {
        say(flags, `eval: recorded ${await writeFixture(flags.fixtures, fixture)}`);
      }
    }
  } finally {
    await hostAgent.stop();
    unlock();
  }
  return { statuses, results };
}

function resultOf(
  scenario: string,
  condition: "fault" | "healthy",
  question: Question,
  outcome: Awaited<ReturnType<typeof diagnoseQuestion>>,
  score: Score,
  notRecorded: string[],
): QuestionResult {
  return {
    scenario,
    condition,
    ask: question.id,
    lang: question.lang,
    question: questionLabel(question),
    outcome: score.outcome,
    verdict: score.verdict,
    why: score.why,
    understood: score.understood,
    summary: outcome.analysis ? toMarkdown(outcome.analysis.summary) : "",
    severity: outcome.analysis?.severity ?? null,
    status: outcome.status,
    commands: outcome.runs.length,
    notRecorded,
    errors: outcome.errors,
    durationMs: outcome.durationMs,
  };
}

// ---- replay -------------------------------------------------------------------------------

/** Re-analyses recorded fixtures with the current code. Used by the runner, the tests and the bench. */
export async function runReplay(options: { fixtures: string; only: string[] | null; langs: AskLanguage[]; healthy: boolean; onResult?: (r: QuestionResult) => void }): Promise<{ statuses: ScenarioStatus[]; results: QuestionResult[]; fixtures: ScenarioFixture[] }> {
  const fixtures = await readFixtures(options.fixtures, options.only);
  const policy = createCommandPolicy();
  const statuses: ScenarioStatus[] = [];
  const results: QuestionResult[] = [];
  const order = (id: string): number => SCENARIOS.findIndex((s) => s.id === id);
  for (const fixture of [...fixtures].sort((a, b) => order(a.scenario) - order(b.scenario))) {
    const scenario = SCENARIOS.find((s) => s.id === fixture.scenario);
    if (!scenario) {
      throw new Error(`${fixture.scenario}.json in ${options.fixtures} is not a scenario of eval/scenarios.ts (remove it, or record it again)`);
    }
    statuses.push({ id: fixture.scenario, title: fixture.title, fault: fixture.fault, staged: true, reason: null });
    for (const condition of fixture.conditions.filter((c) => options.healthy || c.condition === "fault")) {
      const identity = { hostName: String(condition.facts.hostName ?? "eval-host"), instanceId: String(condition.facts.instanceId ?? "i-0000000000000000") };
      const entry: AgentHostEntry = { id: identity.hostName, name: identity.hostName, aliases: [identity.instanceId], transport: "agent", url: "http://127.0.0.1:9", keyId: "replay", secretFile: "/dev/null" };
      const pool = condition.asks.flatMap((a) => a.results);
      for (const ask of condition.asks.filter((a: RecordedAsk) => options.langs.includes(a.lang))) {
        const replay = new ReplayTransport(ask.results, pool);
        const outcome = await diagnoseQuestion({ question: ask, hosts: [entry], hostId: entry.id, policy, transport: () => Promise.resolve(replay), clock: () => new Date(ask.at) });
        const score = scoreOf(scenario, condition.condition, condition.culprit, outcome.runs, outcome.analysis);
        const result = resultOf(fixture.scenario, condition.condition, ask, outcome, score, [...new Set(replay.missing)]);
        results.push(result);
        options.onResult?.(result);
      }
    }
  }
  return { statuses, results, fixtures };
}

// ---- the record ---------------------------------------------------------------------------

export function resultsFile(mode: "live" | "replay"): string {
  return join(RESULTS_DIR, `${mode}.json`);
}

export async function readRun(file: string): Promise<EvalRun | null> {
  try {
    const run = JSON.parse(await readFile(file, "utf8")) as EvalRun;
    return run.schema === RESULT_SCHEMA ? run : null;
  } catch {
    return null;
  }
}

/** This run's scenarios replace theirs in the previous record; the others are kept. */
function merge(run: EvalRun, previous: EvalRun | null): EvalRun {
  if (!previous) {
    return run;
  }
  const mine = new Set(run.scenarios.map((s) => s.id));
  const order = (id: string): number => SCENARIOS.findIndex((s) => s.id === id);
  return {
    ...run,
    scenarios: [...previous.scenarios.filter((s) => !mine.has(s.id)), ...run.scenarios].sort((a, b) => order(a.id) - order(b.id)),
    results: [...previous.results.filter((r) => !mine.has(r.scenario)), ...run.results].sort((a, b) => order(a.scenario) - order(b.scenario)),
  };
}

async function main(argv: string[]): Promise<number> {
  let flags: EvalFlags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message ? `eval: ${error.message}\n` : ""}${USAGE}\n`);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  if (flags.list) {
    const facts: Facts = { hostName: "prod-api-07", instanceId: "i-0123456789abcdef0", name: "NAME", port: 41234, mount: "/srv/MOUNT", app: "APP", nameserver: "127.x.y.z", role: "ROLE", unit: "UNIT" };
    for (const s of SCENARIOS) {
      process.stdout.write(`${s.id}: ${s.title} — ${s.fault}\n`);
      for (const q of questionsOf(s, facts, LANGUAGES)) {
        process.stdout.write(`  ${q.id.padEnd(6)} ${questionLabel(q)}\n`);
      }
    }
    return 0;
  }
  const started = new Date();
  const machine = machineInfo();
  const commit = commitInfo(REPO);
  let statuses: ScenarioStatus[];
  let results: QuestionResult[];
  let recorded: EvalRun["recorded"] = null;
  let agentUser = flags.agentUser ?? "root";
  if (flags.replay) {
    const replay = await runReplay({
      fixtures: flags.fixtures,
      only: flags.only,
      langs: flags.langs,
      healthy: flags.healthy,
      onResult: (r) => say(flags, `eval: ${r.scenario} ${r.condition} ${r.ask.padEnd(5)} ${r.outcome.padEnd(15)} ${oneLine(r.summary)}`),
    });
    if (replay.fixtures.length === 0) {
      process.stderr.write(`eval: no fixtures in ${flags.fixtures}: record them with npm run eval -- --record (as root)\n`);
      return 1;
    }
    statuses = replay.statuses;
    results = replay.results;
    const times = replay.fixtures.map((f) => f.recordedAt).sort();
    recorded = { oldest: times[0], newest: times[times.length - 1] };
    agentUser = [...new Set(replay.fixtures.map((f) => f.agentUser))].join(", ");
  } else {
    ({ statuses, results } = await runLive(flags));
  }
  const mode = flags.replay ? "replay" : "live";
  const run: EvalRun = {
    schema: RESULT_SCHEMA,
    mode,
    date: started.toISOString(),
    command: `npm run eval${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
    durationSec: Math.round((Date.now() - started.getTime()) / 1000),
    machine,
    commit,
    agentUser,
    recorded,
    scenarios: statuses,
    results,
  };
  process.stdout.write(`${renderText(run)}\n`);
  if (flags.write) {
    const file = resultsFile(mode);
    // A partial run (--only, --lang, --no-healthy) updates its scenarios in the record.
    const merged = flags.only ? merge(run, await readRun(file)) : run;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, `${JSON.stringify(merged, null, 1)}\n`);
    await rename(`${file}.tmp`, file);
    process.stderr.write(`eval: wrote ${file}\n`);
    if (flags.updateDocs) {
      await updateDocs(merged);
      process.stderr.write(`eval: updated the table in ${DOCS_FILE}\n`);
    }
  }
  return 0;
}

const DOCS_FILE = join(REPO, "docs", "diagnosis.md");
const TABLE_START = "<!-- eval:table:start -->";
const TABLE_END = "<!-- eval:table:end -->";

/** The table between the markers of docs/diagnosis.md, with where its figures come from. */
export function docsTable(run: EvalRun): string {
  const day = (iso: string): string => iso.slice(0, 10);
  const source =
    run.mode === "replay" && run.recorded
      ? `Replay of the fixtures recorded ${day(run.recorded.oldest)}${run.recorded.newest.slice(0, 10) !== run.recorded.oldest.slice(0, 10) ? `–${day(run.recorded.newest)}` : ""} (agent as ${run.agentUser}), analysed on ${day(run.date)} by commit \`${(run.commit.sha ?? "unknown").slice(0, 12)}\` (\`${run.command}\`).`
      : `Live run of ${day(run.date)}, commit \`${(run.commit.sha ?? "unknown").slice(0, 12)}\`, agent as ${run.agentUser}, ${run.machine.os}, ${run.machine.cores} cores (\`${run.command}\`, ${Math.round(run.durationSec / 60)} min).`;
  return `${source} Cells: named/questions, then P partial, M missed, W confident-wrong.\n\n${renderMarkdown(run)}`;
}

async function updateDocs(run: EvalRun): Promise<void> {
  const text = await readFile(DOCS_FILE, "utf8");
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`${DOCS_FILE} has no ${TABLE_START} … ${TABLE_END} markers`);
  }
  await writeFile(DOCS_FILE, `${text.slice(0, start + TABLE_START.length)}\n${docsTable(run)}\n${text.slice(end)}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`eval: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
