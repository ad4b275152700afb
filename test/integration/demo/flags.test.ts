// The demo's command line as a user meets it: --help, mistakes in flags (exit 2, one line naming
// the flag and pointing at --help), and a busy --port refused with its fix before anything starts.
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { describe, it } from "node:test";
import { runTs, type Finished } from "../../helpers/process";

function demo(args: string[]): Promise<Finished> {
  return runTs("scripts/demo.ts", args);
}

void describe("npm run demo -- flags", { timeout: 300_000 }, () => {
  void it("--help lists every flag and the LLM variables", async () => {
    const r = await demo(["--help"]);
    assert.equal(r.code, 0, r.stderr);
    for (const text of ["--no-browser", "--services-only", "--port N", "--workspace DIR", "OPENAI_API_KEY", "ATL_LLM_BASE_URL", "ATL_LLM_MODEL"]) {
      assert.ok(r.stdout.includes(text), text);
    }
  });

  void it("a mistake in the flags is one line with the fix, exit 2, nothing started", async () => {
    for (const [args, message] of [
      [["--port", "http"], /--port http is not a port number/],
      [["--port", "70000"], /--port 70000 is not a port number/],
      [["--port"], /--port needs a value/],
      [["--services-only", "--port", "8080"], /--services-only starts no editor/],
      [["--open-browser"], /Unknown flag --open-browser/],
    ] as const) {
      const r = await demo([...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /npm run demo -- --help/);
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.equal(r.stdout, "", "nothing started");
    }
  });

  void it("a busy --port is refused with its fix before anything starts", async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await demo(["--no-browser", "--port", String(port)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is in use\\. Choose another with --port, or leave --port out`));
      assert.doesNotMatch(r.stdout, /starting the|ATL demo is ready/, "no part was started");
    } finally {
      busy.close();
    }
  });
});
