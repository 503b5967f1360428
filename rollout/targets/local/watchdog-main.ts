/**
 * Entry point of the local watchdog process (started by startLoopbackSite):
 * `watchdog-main.ts <state root> <environment> <site dir> [abandoned after ms] [poll ms]`. Logs JSON lines.
 */
import { EXIT } from "../../../cli/exit-codes.ts";
import { LOCAL_WATCHDOG_DEFAULTS, LOCAL_WATCHDOG_POLL_MS, runLocalWatchdog } from "./watchdog.ts";

const [stateRoot, environment, siteDir, abandonedAfter, poll] = process.argv.slice(2);
if (!stateRoot || !environment || !siteDir) {
  process.stderr.write("usage: rollout/targets/local/watchdog-main.ts <state root> <environment> <site dir> [abandoned after ms] [poll ms]\n");
  process.exit(EXIT.badInput);
}
const numbers = { "abandoned after ms": abandonedAfter, "poll ms": poll };
const invalid = Object.entries(numbers).filter(([, value]) => value !== undefined && value !== "" && !(Number(value) > 0));
if (invalid.length > 0) {
  process.stderr.write(`rollout watchdog: ${invalid.map(([name, value]) => `${name}=${JSON.stringify(value)} is not a positive number`).join("; ")}\n`);
  process.exit(EXIT.badInput);
}
const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => controller.abort(signal));
await runLocalWatchdog(
  {
    stateRoot,
    environment,
    siteDir,
    settings: { ...LOCAL_WATCHDOG_DEFAULTS, ...(abandonedAfter ? { abandonedAfterMs: Number(abandonedAfter) } : {}) },
    pollMs: poll ? Number(poll) : LOCAL_WATCHDOG_POLL_MS,
    log: (line) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...line })}\n`),
  },
  controller.signal,
);
