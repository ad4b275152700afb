// Recorded command outputs, so a change to the analysis can be measured again without staging:
// a live run records every command's result as the agent returned it (RecordingTransport); a
// replay answers the same diagnosis from the recording (ReplayTransport) — the plan is made
// again by the current code, and a command the recording does not have is answered as "not
// recorded" (exit 127) and listed, so a stale fixture shows instead of passing silently.
//
// One file per scenario: eval/fixtures/<scenario>.json.gz (gzip: `ss` and `ps` outputs of a busy
// host compress about tenfold), holding the fault and its healthy twin; plain .json is read too.
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { ExecOptions, ExecResult, HostHealth, Transport } from "../src/transports/transport";
import type { AskLanguage, ExpectedCulprit, Facts } from "./scenarios";

export const FIXTURE_SCHEMA = 1;

export interface RecordedAsk {
  id: string;
  lang: AskLanguage;
  /** The engineer's words (null for an alarm). */
  text: string | null;
  /** The SQS body of the alarm (null for words). */
  alarmBody: string | null;
  /** When it was asked (the replay's clock). */
  at: string;
  /** Every command result in the order the agent returned them. */
  results: ExecResult[];
}

export interface RecordedCondition {
  condition: "fault" | "healthy";
  culprit: ExpectedCulprit | null;
  facts: Facts;
  asks: RecordedAsk[];
}

export interface ScenarioFixture {
  schema: typeof FIXTURE_SCHEMA;
  scenario: string;
  title: string;
  fault: string;
  recordedAt: string;
  machine: string;
  commit: string | null;
  /** Who the agent ran as. */
  agentUser: string;
  conditions: RecordedCondition[];
}

export function fixtureFile(dir: string, scenario: string): string {
  return join(dir, `${scenario}.json.gz`);
}

export async function readFixtures(dir: string, only: string[] | null): Promise<ScenarioFixture[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith(".json") || f.endsWith(".json.gz")).sort();
  } catch {
    return [];
  }
  const fixtures: ScenarioFixture[] = [];
  for (const file of files) {
    const raw = await readFile(join(dir, file));
    const fixture = JSON.parse((file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8")) as ScenarioFixture;
    const schema: unknown = fixture.schema;
    if (schema !== FIXTURE_SCHEMA) {
      throw new Error(`${join(dir, file)} has fixture schema ${String(schema)}, expected ${FIXTURE_SCHEMA}: record it again (npm run eval -- --record --only ${fixture.scenario})`);
    }
    if (!only || only.includes(fixture.scenario)) {
      fixtures.push(fixture);
    }
  }
  return fixtures;
}

export async function writeFixture(dir: string, fixture: ScenarioFixture): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = fixtureFile(dir, fixture.scenario);
  await writeFile(`${file}.tmp`, gzipSync(`${JSON.stringify(fixture, null, 1)}\n`, { level: 9 }));
  await rename(`${file}.tmp`, file);
  // An uncompressed fixture of the same scenario (older runs) would be read twice.
  await rm(join(dir, `${fixture.scenario}.json`), { force: true });
  return file;
}

/** Passes every call to the real transport and keeps each result. */
export class RecordingTransport implements Transport {
  readonly kind: Transport["kind"];
  readonly results: ExecResult[] = [];

  constructor(private readonly inner: Transport) {
    this.kind = inner.kind;
  }

  async exec(commands: string[], options: ExecOptions): Promise<ExecResult[]> {
    const results = await this.inner.exec(commands, options);
    this.results.push(...results);
    return results;
  }

  health(signal?: AbortSignal): Promise<HostHealth> {
    return this.inner.health(signal);
  }

  dispose(): void {
    // The host directory owns the real transport.
  }
}

/** The stderr of a command the recording does not have. */
export const NOT_RECORDED = "atl-eval: this command was not run when the fixture was recorded";

/**
 * Answers commands from a recording: the ask's own results first (in order, so a command run
 * twice gets its two outputs), then the same command from other asks of the same condition.
 */
export class ReplayTransport implements Transport {
  readonly kind = "agent" as const;
  /** Commands that were asked for but not recorded. */
  readonly missing: string[] = [];
  private readonly own: ExecResult[];

  constructor(
    own: ExecResult[],
    private readonly pool: ExecResult[],
  ) {
    this.own = [...own];
  }

  exec(commands: string[], options: ExecOptions): Promise<ExecResult[]> {
    const results = commands.map((command, index) => {
      const ownIndex = this.own.findIndex((r) => r.command === command);
      const found = ownIndex >= 0 ? this.own.splice(ownIndex, 1)[0] : this.pool.find((r) => r.command === command);
      const result: ExecResult = found
        ? { ...found }
        : { command, decision: "allowed", reason: "", exitCode: 127, signal: null, stdout: "", stderr: NOT_RECORDED, durationMs: 0, truncated: false };
      if (!found) {
        this.missing.push(command);
      }
      options.onResult?.(result, index);
      return result;
    });
    return Promise.resolve(results);
  }

  health(): Promise<HostHealth> {
    return Promise.resolve({ reachable: true, latencyMs: 0, version: "replay", error: null });
  }

  dispose(): void {
    // Nothing to release.
  }
}
