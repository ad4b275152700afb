// Headless entry (`node dist/cli.js …`): the same core as the extension, without the editor.
// Subcommands live in src/cli/; this file only dispatches and maps errors to exit codes.
import { AtlError } from "./shared/errors";

type Subcommand = (args: string[]) => Promise<number>;

const USAGE = `Usage: atl <command> [options]

Commands:
  parse FILE|-                          Print the normalized alarm of an SQS message body as JSON.
  check "COMMAND"                       Print the command policy's decision as JSON.
  diagnose (--alarm FILE | --host ID --ask "TEXT") --hosts FILE
           [--approve none|read-only|all] [--llm-base-url URL --llm-model M]
                                        Run a diagnosis and print the Markdown report.
  mcp --hosts FILE [--store DIR] [--policy FILE]
                                        An MCP server on stdio (tools for Claude Code, Cursor, …).
  watch --queue-url URL --hosts FILE [--endpoint URL] [--region R] [--profile P]
        [--auto read-only] [--rules FILE] [--out DIR] [--max-concurrent N]
                                        Consume the alarm queue and triage every ALARM:
                                        DIR/<id>.md, DIR/<id>.json, one JSON line each.
  help                                  Show this help.
`;

const subcommands: Record<string, () => Promise<Subcommand>> = {
  parse: async () => (await import("./cli/parse")).parseCommand,
  check: async () => (await import("./cli/check")).checkCommand,
  diagnose: async () => (await import("./cli/diagnose")).diagnoseCommand,
  mcp: async () => (await import("./cli/mcp")).mcpCommand,
  watch: async () => (await import("./cli/watch")).watchCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = subcommands[name];
  if (!load) {
    process.stderr.write(`atl: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  const run = await load();
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof AtlError ? error.userMessage : error instanceof Error ? error.message : String(error);
    process.stderr.write(`atl: ${message.split("\n")[0]}\n`);
    process.exitCode = 1;
  },
);
