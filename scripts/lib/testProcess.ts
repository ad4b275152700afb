// Loaded (--import) into every test file's process by scripts/lib/nodeTests.ts: a SIGTERM, SIGINT
// or SIGHUP — the runner's deadline, or Ctrl-C — ends the process through process.exit(), so the
// helpers' `exit` hooks (which stop code-server, remove temp folders) still run. Node's default
// for these signals skips `exit` handlers.
const codes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
for (const [signal, code] of Object.entries(codes)) {
  process.once(signal, () => process.exit(code));
}
