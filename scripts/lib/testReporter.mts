// A node:test reporter for scripts/lib/nodeTests.ts: one JSON line per test that starts or ends,
// written synchronously to the runner's channel (file descriptor ATL_TEST_EVENTS_FD) as it
// happens, so the runner counts exactly (a test cancelled by its parent or a timeout is a failure)
// and knows which tests were still running when it had to kill a file. It yields nothing itself:
// the human-readable spec report goes to stdout beside it. ESM (.mts) because node imports a
// reporter's default export.
import { writeSync } from "node:fs";

/** One line of this reporter's output. */
export type ReporterLine =
  | { event: "start"; name: string; nesting: number; file: string | null }
  | {
      event: "pass" | "fail";
      name: string;
      nesting: number;
      /** The test file (several share a process in the unit layer). */
      file: string | null;
      /** describe()/suite(): not a test of its own (node's summary does not count suites either). */
      suite: boolean;
      skip: boolean;
      todo: boolean;
      /** node:test's reason for a failure: testCodeFailure, cancelledByParent, testTimeoutFailure, hookFailed… */
      failureType: string | null;
      message: string | null;
    };

interface TestEventData {
  name: string;
  nesting: number;
  file?: string;
  skip?: unknown;
  todo?: unknown;
  details?: { type?: string; error?: { failureType?: string; cause?: unknown; message?: string } };
}

function failureMessage(data: TestEventData): string | null {
  const error = data.details?.error;
  if (!error) {
    return null;
  }
  const cause = error.cause;
  const text = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : (error.message ?? "");
  return text.split("\n").slice(0, 3).join("\n");
}

const fd = Number(process.env.ATL_TEST_EVENTS_FD);

/** Writes a whole line now (the process may be killed any moment after). */
function send(line: ReporterLine): void {
  const bytes = Buffer.from(JSON.stringify(line) + "\n");
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      // The runner's end is a non-blocking socket: a full buffer empties as it reads.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") {
        throw error;
      }
    }
  }
}

export default async function* reporter(source: AsyncIterable<{ type: string; data: unknown }>): AsyncGenerator<string> {
  if (!Number.isInteger(fd) || fd < 3) {
    throw new Error("testReporter.mts: ATL_TEST_EVENTS_FD is not set (scripts/lib/nodeTests.ts sets it)");
  }
  for await (const { type, data } of source) {
    const test = data as TestEventData;
    if (type === "test:dequeue") {
      send({ event: "start", name: test.name, nesting: test.nesting, file: test.file ?? null });
    } else if (type === "test:pass" || type === "test:fail") {
      const line: ReporterLine = {
        event: type === "test:pass" ? "pass" : "fail",
        name: test.name,
        nesting: test.nesting,
        file: test.file ?? null,
        suite: test.details?.type === "suite",
        skip: test.skip !== undefined && test.skip !== false,
        todo: test.todo !== undefined && test.todo !== false,
        failureType: test.details?.error?.failureType ?? null,
        message: type === "test:fail" ? failureMessage(test) : null,
      };
      send(line);
    }
  }
  // A generator reporter must yield to be one; this one has nothing for its destination.
  yield "";
}
