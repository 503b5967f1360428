import { runCli } from "../rollout/cli/program.ts";
import { ROLLOUT_EXIT } from "../rollout/cli/exit-codes.ts";
import { processCancellation } from "../rollout/cli/signals.ts";

try {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    interactive: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    signals: processCancellation(),
  });
  process.exit(code);
} catch (error) {
  // The message names the failing call and resource; the stack only helps when debugging the tool itself.
  const detail = error instanceof Error ? (process.env.READINESS_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`rollout: ${detail}\n(set READINESS_DEBUG=1 for a stack trace)\n`);
  // A crash of the tool itself: never 0 or 1 (promoted, rolled back); nothing is known to be safe.
  process.exit(ROLLOUT_EXIT.unsafe);
}
