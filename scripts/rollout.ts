import { EventEmitter } from "node:events";
import { runCli } from "../rollout/cli/program.ts";

/** Exit code for a crash of the tool itself: never 0 or 1, which mean promoted and rolled back. */
const INTERNAL_ERROR = 4;
/** How often the parent process is checked (see below). */
const PARENT_CHECK_MS = 100;

/**
 * SIGINT/SIGTERM, and the death of the process that started this one. `npm run rollout` does not forward
 * SIGTERM to its script: npm exits and this process is re-parented, still rolling out for a caller that
 * believes it cancelled. So a changed parent counts as SIGTERM (ADR 0060); `bin/rollout.mjs` gets the signal
 * directly.
 */
function cancellation(): EventEmitter {
  const emitter = new EventEmitter();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => emitter.emit(signal, signal));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.stderr.write(`the parent process ${parent} is gone (killed with the npm or shell that started this rollout): treating it as SIGTERM\n`);
    emitter.emit("SIGTERM", "SIGTERM");
  }, PARENT_CHECK_MS);
  watch.unref();
  return emitter;
}

try {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    interactive: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    signals: cancellation() as unknown as Pick<NodeJS.Process, "on" | "off">,
  });
  process.exit(code);
} catch (error) {
  // The message names the failing call and resource; the stack only helps when debugging the tool itself.
  const detail = error instanceof Error ? (process.env.READINESS_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`rollout: ${detail}\n(set READINESS_DEBUG=1 for a stack trace)\n`);
  process.exit(INTERNAL_ERROR);
}
