// npm run demo: a real canary rollout on this machine. HAProxy and the sample app on loopback, steady load,
// one healthy version promoted and one failing version rolled back, both through the rollout CLI.
import path from "node:path";
import { Command } from "commander";
import { EXIT, parseOrExit } from "../cli/exit-codes.ts";
import type { Rehearsal, RunningCli } from "../rollout/targets/local/rehearsal.ts";
import { spawnRolloutCli, startRehearsal } from "../rollout/targets/local/rehearsal.ts";
import { demoSummaryLines, type DemoOutcome } from "./demo-summary.ts";

// Exit codes (docs/cli.md): 0 every outcome as expected, 1 one differed (or Ctrl-C rolled back what ran),
// 2 bad input or environment (nothing started), 4 what the demo started could not be stopped.
parseOrExit(new Command("demo").description("a real canary rollout on this machine: one version promoted, one rolled back").allowExcessArguments(false));

const ENVIRONMENT = "demo";
const STABLE = "sample-app:1.0.0";
const RATE = 200;
const ROLLOUTS = [
  { name: "healthy", image: "sample-app:2.0.0", expect: "promoted", exitCode: EXIT.ok },
  { name: "failing", image: "sample-app:3.0.0?error-rate=0.3", expect: "rolled back", exitCode: EXIT.failed },
] as const;
/** Short bakes so that the demo finishes in about a minute; a real rollout bakes minutes per step. */
// --max-bake: at 20 req/s the 10 % step needs ~14 s of clean traffic to show the canary under the 1 % limit.
const PLAN_FLAGS = ["--steps", "10,50,100", "--bake", "6s", "--interval", "2s", "--max-bake", "30s", "--non-interactive"];

let bench: Rehearsal | undefined;
let current: RunningCli | undefined;
let stopping = false;

async function stopEverything(): Promise<void> {
  // SIGTERM makes a running rollout roll back (verified) before it exits.
  current?.child.kill("SIGTERM");
  await current?.done;
  await bench?.stop();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: rolling back what runs and stopping everything the demo started`);
    // Interrupted: what ran was rolled back (1); if stopping failed, nothing is known to be safe (4).
    void stopEverything().then(() => process.exit(EXIT.failed), () => process.exit(EXIT.unsafe));
  });
}

const outcomes: DemoOutcome[] = [];
let asExpected = true;
console.log(`demo: starting HAProxy and ${STABLE} on loopback, ${RATE} req/s of steady load`);
try {
  bench = await startRehearsal({ environmentName: ENVIRONMENT, stableImage: STABLE, ratePerSecond: RATE, maxDurationS: 600 });
} catch (error) {
  console.error(`demo: could not start the loopback site: ${(error as Error).message}\nnothing is running; see docs/rollout-local.md`);
  process.exit(EXIT.badInput);
}
try {
  console.log(`demo: traffic on http://127.0.0.1:${bench.site.trafficPort}/ (files in ${path.relative(process.cwd(), bench.dir)})\n`);
  for (const rollout of ROLLOUTS) {
    const before = bench.load.snapshot();
    const reportDir = path.join("reports", "demo", rollout.name);
    console.log(`demo: rollout of ${rollout.image}, expected: ${rollout.expect} (exit ${rollout.exitCode})`);
    current = spawnRolloutCli(["start", "--target", "local", "--env", ENVIRONMENT, "--image", rollout.image, "--report-dir", reportDir, ...PLAN_FLAGS], { timeoutMs: 180_000, showOutput: true });
    const run = await current.done;
    current = undefined;
    asExpected &&= run.code === rollout.exitCode;
    const after = bench.load.snapshot();
    const outcome = { name: rollout.name, image: rollout.image, exitCode: run.code, expected: rollout.expect, requests: after.requests - before.requests, failed: after.failed - before.failed, reportDir };
    outcomes.push(outcome);
    console.log(`\ndemo: ${rollout.name} -> exit ${run.code}; load during it: ${outcome.requests} requests, ${outcome.failed} failed\n`);
    if (stopping) break;
  }
} finally {
  if (!stopping) {
    const load = await bench?.stop();
    if (load) for (const line of demoSummaryLines(outcomes, load)) console.log(line);
    console.log("  everything the demo started is stopped");
    if (!asExpected) {
      console.error("demo: an outcome differed from what was expected (see above)");
      process.exitCode = EXIT.failed;
    }
  }
}
