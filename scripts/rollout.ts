import { runCli } from "../rollout/cli/program.ts";

/** Exit code for a crash of the tool itself: never 0 or 1, which mean promoted and rolled back. */
const INTERNAL_ERROR = 4;

try {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    interactive: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    signals: process,
  });
  process.exit(code);
} catch (error) {
  // The message names the failing call and resource; the stack only helps when debugging the tool itself.
  const detail = error instanceof Error ? (process.env.READINESS_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`rollout: ${detail}\n(set READINESS_DEBUG=1 for a stack trace)\n`);
  process.exit(INTERNAL_ERROR);
}
