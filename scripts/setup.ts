// `npm run setup [-- --force]`: everything `npm test` and `npm run demo` need on this machine (the
// Debian packages of .ci/apt-packages.txt, the agent's dependencies, Node 24 and code-server).
// Both run it themselves; run it alone to install ahead of time. Idempotent.
import { setup, setupFailure } from "./lib/setup";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== "--force");
  if (unknown.length > 0) {
    process.stderr.write(`setup: unknown argument ${unknown[0]}. Usage: npm run setup [-- --force]\n`);
    return 2;
  }
  const started = Date.now();
  try {
    await setup({ codeServer: true, force: args.includes("--force") });
  } catch (error) {
    process.stderr.write(setupFailure(error));
    return 1;
  }
  process.stdout.write(`setup: ready (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  return 0;
}

void main().then((code) => {
  process.exitCode = code;
});
