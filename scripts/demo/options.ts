// Command-line flags of `npm run demo -- [flags]`.
import { AtlError } from "../../src/shared/errors";

export const USAGE = `Usage: npm run demo -- [--no-browser] [--services-only] [--port N] [--workspace DIR]

Runs ATL end to end on this machine, on 127.0.0.1 only: the SQS/SNS emulator, the ATL agent with a
fresh key, code-server with the freshly built extension, a staged CPU fault and its CloudWatch alarm.
Ctrl-C stops everything and removes what it created.

  --no-browser      do not open a browser; print the URL only (also --headless)
  --services-only   no code-server: start the emulator, agent, fault and alarm, and write the demo
                    settings into --workspace for VS Code desktop ("Run ATL (demo settings)", F5)
  --port N          the editor's port on 127.0.0.1 (default: a free port)
  --workspace DIR   the folder the editor opens (default: a temporary folder; with
                    --services-only: .demo/workspace in this repository)
  --help            this text

Environment: OPENAI_API_KEY (or ATL_LLM_API_KEY) uses OpenAI — or ATL_LLM_BASE_URL, any
OpenAI-compatible server — instead of the built-in runbooks; ATL_LLM_MODEL picks the model
(default gpt-4.1-mini). The key stays in this process: the editor reaches the model through a
relay on 127.0.0.1 that adds it.`;

export interface DemoOptions {
  openBrowser: boolean;
  servicesOnly: boolean;
  port: number | null;
  workspace: string | null;
  help: boolean;
}

function usageError(message: string): AtlError {
  return new AtlError("config", message, { fix: "Run npm run demo -- --help for the flags." });
}

export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  const options: DemoOptions = { openBrowser: true, servicesOnly: false, port: null, workspace: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === "") {
        throw usageError(`${flag} needs a value.`);
      }
      return next;
    };
    switch (flag) {
      case "--no-browser":
      case "--headless":
        options.openBrowser = false;
        break;
      case "--services-only":
        options.servicesOnly = true;
        break;
      case "--port": {
        const text = value();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
          throw usageError(`--port ${text} is not a port number (1–65535).`);
        }
        options.port = port;
        break;
      }
      case "--workspace":
        options.workspace = value();
        break;
      case "--help":
      case "-h":
        options.help = true;
        break;
      default:
        throw usageError(`Unknown flag ${arg}.`);
    }
  }
  if (options.servicesOnly && options.port !== null) {
    throw usageError("--port sets the editor's port, and --services-only starts no editor.");
  }
  return options;
}
