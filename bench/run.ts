// `npm run bench`: runs the benchmark modules one after another (each against its baseline in the
// same run), prints the table, and writes bench/results.json and BENCHMARKS.md.
//
//   npm run bench [-- --only agent,policy] [--quick] [--out DIR] [--no-write] [--no-code-server] [--strict] [--list]
//
// Modules load lazily, so `--only policy` does not pay for LangChain or Playwright.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import {
  commitInfo,
  keptAnalysis,
  loadAverage,
  machineInfo,
  mergeRun,
  parseRun,
  renderMarkdown,
  renderTable,
  tally,
  type BenchResult,
  type BenchRun,
  type SuiteNotes,
  type SuiteRecord,
} from "./report";

const root = resolve(import.meta.dirname, "..");

type Options = Record<string, number | boolean | string>;

interface Suite {
  name: string;
  title: string;
  /** What the figures mean and how to read them (BENCHMARKS.md). */
  about: string;
  options(quick: boolean, flags: Flags): Options;
  run(options: Options): Promise<BenchResult[]>;
}

const num = (o: Options, key: string): number => Number(o[key]);

export const SUITES: Suite[] = [
  {
    name: "agent",
    title: "Agent execution",
    about: `\`uptime\` run through the real agent process (\`agent/dist/atl-agent.js\`, signed requests over
keep-alive HTTP on 127.0.0.1) against \`child_process.spawn("uptime")\` from the benchmark process, samples
interleaved. The agent cannot be faster than the spawn it performs, so a ratio near 1× means the
protocol, signing, policy check and output capture cost little next to starting a process; the
target is p50 ≤ 1.2×. \`/v1/check\` is the fixed cost of a request without a process. Throughput: 16
callers, each with its own keep-alive client (like 16 editor windows), against 16 concurrent spawns;
target ≥ 0.9× spawn. The agent writes its audit record and the request's nonce to disk (O_DSYNC)
before each command starts, as deployed. Memory: the agent's peak RSS (VmHWM) while every request
slot the default limits allow (16) runs the most commands (20), each printing 1 MiB of binary stdout
and 1 MiB of NULs on stderr, against the same agent idle; target ≤ 256 MB, a quarter of the unit's
MemoryMax=1G (the rest is for the commands).`,
    options: (quick) =>
      quick ? { iterations: 10, clients: 4, memoryRequests: 4, memoryCommands: 5 } : { iterations: 200, clients: 16, memoryRequests: 16, memoryCommands: 20 },
    run: async (o) =>
      (await import("./agent")).benchAgent({
        iterations: num(o, "iterations"),
        clients: num(o, "clients"),
        memoryRequests: num(o, "memoryRequests"),
        memoryCommands: num(o, "memoryCommands"),
      }),
  },
  {
    name: "ssh",
    title: "SSH execution",
    about: `The same \`uptime\` through \`SshTransport\` (node-ssh) to a private sshd on 127.0.0.1, over one reused
connection with TCP no-delay, against \`spawn("uptime")\`. sshd itself forks a session and a shell per
command, so the ratio shows the price of agentless hosts. "Without no-delay" shows why no-delay is
on (Nagle's algorithm delays the small packets of a request); "new connection" is the first command
to a host (key exchange, login), paid once per host and idle period. No target in the issue.`,
    options: (quick) => ({ iterations: quick ? 10 : 150 }),
    run: async (o) => (await import("./ssh")).benchSsh({ iterations: num(o, "iterations") }),
  },
  {
    name: "policy",
    title: "Policy check",
    about: `Every command of the policy corpus (\`agent/test/policy/corpus.ts\`: what engineers and LLMs propose,
allowed and refused) checked repeatedly by \`createCommandPolicy()\` bundled with esbuild, in a fresh
Node process. Target ≥ 50,000 checks/s wall clock. "Per CPU second" divides by the CPU time the
loop got, so it stays comparable on a busy machine; per-check percentiles are over corpus commands
(each the mean of 20 back-to-back checks). Both the extension (to label risk before approval) and
the agent (to enforce it) run this check once per proposed command.`,
    options: (quick) => ({ rounds: quick ? 3 : 200 }),
    run: async (o) => (await import("./policy")).benchPolicy({ rounds: num(o, "rounds") }),
  },
  {
    name: "ingestion",
    title: "Alarm ingestion",
    about: `CloudWatch-shaped alarms published to SNS in the fauxqs emulator, delivered to SQS, long-polled by the
real \`SqsAlarmConsumer\` into the \`AlarmStore\` in a separate, bundled process (so its memory is its
own). Latency: SNS Publish → the store's change event (what the Alarms view listens to), alarms sent
one at a time; target ≤ 100 ms. Storm: 10,000 messages already queued (flapping alarms, 5 %
re-sent duplicates, 0.1 % malformed) drained, deduplicated, grouped into incidents and saved; the
benchmark checks the grouping is exact before it reports a time. Targets ≤ 10 s and peak RSS < 80 MB.`,
    // Quick storms stay above ~1,100 messages: with fewer, one alarm's successive state changes sit
    // in adjacent batches that the consumer's parallel receivers may take out of order, and the
    // benchmark's exact flap count no longer holds.
    options: (quick) => (quick ? { storm: 1500, samples: 5 } : { storm: 10_000, samples: 60 }),
    run: async (o) => (await import("./ingestion")).benchIngestion({ storm: num(o, "storm"), samples: num(o, "samples") }),
  },
  {
    name: "graph",
    title: "Diagnosis graph overhead",
    about: `Alarm → proposal ready and approval → report through the real \`DiagnosisService\` (LangGraph graph,
file checkpointer, policy, prompts, output parsers) with a scripted OpenAI-compatible server on
127.0.0.1 that answers at once and a transport that returns canned output at once, so what remains is
ATL's own code. Each step makes one LLM call; a bare structured call to the same server, made in the
same iteration, is subtracted to give "ATL's own time" (target ≤ 20 ms). The "no LLM" rows use the
built-in runbooks. The totals show the bare LLM call as baseline.`,
    options: (quick) => ({ iterations: quick ? 2 : 30 }),
    run: async (o) => (await import("./graph")).benchGraph({ iterations: num(o, "iterations") }),
  },
  {
    name: "triage",
    title: "Proactive triage (alarm → report)",
    about: `An alarm published to SNS in fauxqs reaches \`atl watch\` (\`dist/cli.js\` built from this commit, no LLM,
\`--auto read-only\`) through SQS; the coordinator starts its triage, the built-in runbook plans, the
real agent process on 127.0.0.1 runs the read-only commands, and the time stops when the report is
written (the stdout line that announces DIR/<id>.md). One alarm at a time, a new alarm each sample,
after two warm-up alarms. Baseline, measured in the same process and interleaved: the commands that
triage ran (from DIR/<id>.json), sent straight through the agent transport to the same agent. The
runbook's own commands (\`vmstat 1 5\`, \`top\` over an interval: they sample for seconds) dominate both;
the ratio and "ATL's own time" are what the queue, store, coordinator, graph and report files add.
No target in the issue.`,
    options: (quick) => ({ samples: quick ? 3 : 15 }),
    run: async (o) => (await import("./triage")).benchTriage({ samples: num(o, "samples") }),
  },
  {
    name: "eval",
    title: "Diagnosis accuracy (evaluation)",
    about: `How often the offline diagnosis names the culprit of a real host fault (issue 12; \`npm run eval\`, see
docs/diagnosis.md#evaluation for the table per scenario). **Replay** rows: every recorded fixture
(\`eval/fixtures/\`: command outputs of faults staged under random names on this machine, asked through
the alarm body and three English and three Korean wordings, plus a healthy twin of each) re-analysed
by the current code through the real diagnosis service; deterministic, no host needed. **Last live
run** rows: \`eval/results/live.json\`, written by the last \`npm run eval\` that staged the faults and
diagnosed them through the real agent process. Named: the verdict names the staged culprit;
confident-wrong: it names something else (on a healthy twin: anything, except a process that really
was using ≥ 50 % of a core on a CPU question, counted apart). Targets ≥ 90 % named, 0 confident-wrong.`,
    // Quick: two scenarios' fixtures (the full replay takes about a minute on a busy machine).
    options: (quick): Options => (quick ? { only: "zombies,dead-listener" } : {}),
    run: async (o) => (await import("./eval")).benchEval(typeof o.only === "string" ? { only: o.only.split(",") } : {}),
  },
  {
    name: "activation",
    title: "Activation",
    about: `Bundle sizes as \`npm run bench\` builds them (\`node esbuild.mjs\`; extension.js is always minified, graph.js
is minified only in the VSIX). Require time: \`require()\` of each bundle in a fresh Node ${process.versions.node.split(".")[0]} process
with a stubbed \`vscode\` module, median of fresh processes; target ≤ 60 ms for extension.js, which
the editor loads at activation (graph.js loads on the first diagnosis only). CPU time is what the
require costs without other processes' load. In code-server: a fresh VS Code 1.139.1 with this
checkout as the development extension, ATL activated by opening its side bar. "activate()" is ATL's
own \`ATL activated in N ms\` line, which starts after the bundle is loaded; "extension host starts
ATL → ATL activated" runs from the extension host's \`_doActivateExtension atl-team.atl\` log line to
ATL's line (both timestamped by the extension host), so it adds loading extension.js — and waiting
for the extensions VS Code activates at the same moment in the same single-threaded host (JSON,
TypeScript and Git in this profile).`,
    options: (quick, flags) => ({ processes: quick ? 2 : 10, codeServerRuns: flags.codeServer ? (quick ? 1 : 3) : 0 }),
    run: async (o) => (await import("./activation")).benchActivation({ processes: num(o, "processes"), codeServerRuns: num(o, "codeServerRuns") }),
  },
  {
    name: "tokens",
    title: "Token budget",
    about: `The analysis prompt ATL actually sent (recorded by the scripted LLM server, from the real graph) for a
host whose \`ps aux\` lists 3,000 processes and whose log command returns 5 MB, counted with
gpt-tokenizer (o200k), against the naive prompt that sends every output whole. Target ≤ 6,000 tokens.
ATL keeps the head and tail of each output within a per-command budget, after parsers have pulled
the findings out; the full output stays in the report.`,
    options: () => ({}),
    run: async () => (await import("./tokens")).benchTokens(),
  },
];

export interface Flags {
  only: string[] | null;
  quick: boolean;
  out: string | null;
  write: boolean;
  codeServer: boolean;
  strict: boolean;
  list: boolean;
}

export class UsageError extends Error {}

export function parseFlags(argv: string[]): Flags {
  const flags: Flags = { only: null, quick: false, out: null, write: true, codeServer: true, strict: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) {
        throw new UsageError(`${arg} needs a value`);
      }
      return v;
    };
    switch (arg) {
      case "--only": {
        const names = value()
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean);
        const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
        if (unknown.length > 0 || names.length === 0) {
          throw new UsageError(`unknown benchmark ${unknown.join(", ") || "(none given)"}; known: ${SUITES.map((s) => s.name).join(", ")}`);
        }
        flags.only = names;
        break;
      }
      case "--quick":
        flags.quick = true;
        break;
      case "--out":
        flags.out = resolve(value());
        break;
      case "--no-write":
        flags.write = false;
        break;
      case "--no-code-server":
        flags.codeServer = false;
        break;
      case "--strict":
        flags.strict = true;
        break;
      case "--list":
        flags.list = true;
        break;
      case "--help":
      case "-h":
        throw new UsageError("");
      default:
        throw new UsageError(`unknown flag ${arg}`);
    }
  }
  return flags;
}

const USAGE = `usage: npm run bench [-- --only NAME,…] [--quick] [--out DIR] [--no-write] [--no-code-server] [--strict] [--list]
  --only NAME,…      run these benchmarks (${SUITES.map((s) => s.name).join(", ")}); the others keep their last figures
  --quick            tiny sizes (a smoke run); writes nothing unless --out is given
  --out DIR          write results.json and BENCHMARKS.md into DIR instead of bench/ and the repository root
  --no-write         print the table only
  --no-code-server   skip the activation figure measured inside code-server
  --strict           exit 1 when a target is missed (a benchmark that fails to run always exits 1)
  --list             list the benchmarks and what they measure
`;

/** Per-benchmark time limit: a hung emulator or browser must not hold the run forever. */
const SUITE_TIMEOUT_MS = { full: 20 * 60_000, quick: 10 * 60_000 };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 60_000)} min`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").slice(0, 6).join(" ").slice(0, 600);
}

function commandLine(argv: string[]): string {
  const args = argv.join(" ");
  return process.env.npm_lifecycle_event === "bench" ? `npm run bench${args ? ` -- ${args}` : ""}` : `node --import tsx bench/run.ts${args ? ` ${args}` : ""}`;
}

function describeOptions(options: Options): string {
  return Object.entries(options)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ");
}

async function atomicWrite(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

function readIfExists(file: string): string | null {
  return existsSync(file) ? readFileSync(file, "utf8") : null;
}

export async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(error.message ? `bench: ${error.message}\n${USAGE}` : USAGE);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  if (flags.list) {
    for (const s of SUITES) {
      process.stdout.write(`${s.name.padEnd(11)} ${s.title} — full: ${describeOptions(s.options(false, flags)) || "fixed size"}; quick: ${describeOptions(s.options(true, flags)) || "fixed size"}\n`);
    }
    return 0;
  }

  const started = new Date();
  const t0 = performance.now();
  const machine = machineInfo();
  const commit = commitInfo(root);
  const selected = SUITES.filter((s) => !flags.only || flags.only.includes(s.name));
  process.stderr.write(
    `ATL benchmarks${flags.quick ? " (quick)" : ""}: ${selected.map((s) => s.name).join(", ")}\n` +
      `${machine.cpuModel}, ${machine.cores} cores, load average ${machine.loadAverageAtStart.join(" / ")}, Node ${process.version}\n`,
  );

  const measured: SuiteRecord[] = [];
  for (const [i, suite] of selected.entries()) {
    const options = suite.options(flags.quick, flags);
    const suiteStart = new Date();
    const suiteLoad = loadAverage();
    const s0 = performance.now();
    process.stderr.write(`\n[${i + 1}/${selected.length}] ${suite.name} — ${suite.title}${Object.keys(options).length ? ` (${describeOptions(options)})` : ""}, load ${suiteLoad[0]} …\n`);
    let results: BenchResult[] = [];
    let error: string | null = null;
    try {
      results = await withTimeout(suite.run(options), flags.quick ? SUITE_TIMEOUT_MS.quick : SUITE_TIMEOUT_MS.full, `the ${suite.name} benchmark`);
    } catch (e) {
      error = errorText(e);
    }
    const record: SuiteRecord = {
      suite: suite.name,
      title: suite.title,
      options,
      startedAt: suiteStart.toISOString(),
      durationSec: Math.round((performance.now() - s0) / 100) / 10,
      loadAverageAtStart: suiteLoad,
      commit: commit.sha,
      quick: flags.quick,
      status: error === null ? "ok" : "failed",
      error,
      results,
    };
    measured.push(record);
    const t = tally([record]);
    process.stderr.write(
      error === null
        ? `    done in ${record.durationSec} s: ${t.rows} figures${t.met + t.missed > 0 ? `, ${t.met} of ${t.met + t.missed} targets met` : ""}\n`
        : `    FAILED after ${record.durationSec} s: ${error}\n`,
    );
  }

  process.stdout.write(renderTable(measured));
  const t = tally(measured);
  process.stdout.write(`\n${t.rows} figures; targets: ${t.met} met, ${t.missed} missed${t.failedSuites > 0 ? `; ${t.failedSuites} benchmark(s) FAILED to run` : ""}\n`);

  const writeTo = flags.out ?? (flags.quick ? null : root);
  if (!flags.write || writeTo === null) {
    process.stdout.write(flags.write ? "quick run: nothing written (add --out DIR to write results.json and BENCHMARKS.md)\n" : "");
  } else {
    const resultsFile = flags.out ? join(flags.out, "results.json") : join(root, "bench", "results.json");
    const markdownFile = join(writeTo, "BENCHMARKS.md");
    const run: BenchRun = mergeRun(
      {
        schema: 1,
        date: started.toISOString(),
        command: commandLine(argv),
        quick: flags.quick,
        machine,
        node: process.version,
        commit,
        durationSec: Math.round((performance.now() - t0) / 1000),
        loadAverageAtEnd: loadAverage(),
      },
      measured,
      parseRun(readIfExists(resultsFile) ?? ""),
      SUITES.map((s) => s.name),
    );
    const notes: SuiteNotes = Object.fromEntries(SUITES.map((s) => [s.name, s.about]));
    const markdown = renderMarkdown(run, notes, keptAnalysis(readIfExists(markdownFile)), relative(dirname(markdownFile), resultsFile));
    await atomicWrite(resultsFile, `${JSON.stringify(run, null, 2)}\n`);
    await atomicWrite(markdownFile, markdown);
    process.stdout.write(`wrote ${relative(process.cwd(), resultsFile) || resultsFile} and ${relative(process.cwd(), markdownFile) || markdownFile}\n`);
  }
  return t.failedSuites > 0 || (flags.strict && t.missed > 0) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Exit explicitly: a benchmark that timed out may still hold servers or timers open.
      process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
