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
  process.stderr.write(`rollout: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(INTERNAL_ERROR);
}
