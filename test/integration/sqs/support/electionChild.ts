// Another VS Code window taking part in the poller election, as a separate process:
// `node --import tsx electionChild.ts DIR ID` prints `leader` / `follower` on each change and
// gives the lock up on SIGTERM (a window closing); SIGKILL simulates a crash.
import { PollerElection } from "../../../../src/sqs/pollerElection";

const [dir, id] = process.argv.slice(2);
const election = new PollerElection({ dir, id, heartbeatMs: 100, staleMs: 1500 });
election.onDidChangeLeadership((leader) => process.stdout.write(`${leader ? "leader" : "follower"}\n`));
election.start().then(
  () => {
    process.stdout.write(`started ${election.isPoller ? "leader" : "follower"}\n`);
    // Keep the process alive like a window.
    const keepAlive = setInterval(() => undefined, 1000);
    process.on("SIGTERM", () => {
      election.dispose();
      clearInterval(keepAlive);
    });
  },
  (error: unknown) => {
    process.stderr.write(`electionChild: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
