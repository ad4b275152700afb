// `atl parse FILE|-`: prints the normalized alarm of one SQS message body as JSON (exit 0), or one
// line on stderr and exit 2 when the body is malformed, not an alarm, or cannot be read.
import { readFile } from "node:fs/promises";
import { parseAlarmMessage } from "../alarms/parse";
import { errnoCode } from "../shared/errors";

const USAGE = "usage: atl parse FILE|-   (- reads the message body from stdin)";

export async function parseCommand(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0] === "--help" || args[0] === "-h") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const [source] = args;
  let body: string;
  try {
    body = source === "-" ? await readStdin() : await readFile(source, "utf8");
  } catch (error) {
    const reason = errnoCode(error) === "ENOENT" ? "no such file" : (error as Error).message;
    process.stderr.write(`atl parse: cannot read ${source}: ${reason}\n`);
    return 2;
  }
  const result = parseAlarmMessage(body);
  if (!result.ok) {
    process.stderr.write(`atl parse: ${result.kind}: ${result.error}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(result.alarm, null, 2)}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
