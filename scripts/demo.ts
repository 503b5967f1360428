// npm run demo: a real canary rollout on this machine. HAProxy and the sample app on loopback, steady load,
// one healthy version promoted and one failing version rolled back, both through the rollout CLI.
import path from "node:path";
import type { LocalRolloutBench, RunningCli } from "../rollout/adapters/local/harness.ts";
import { spawnRolloutCli, startLocalRolloutBench } from "../rollout/adapters/local/harness.ts";

const ENVIRONMENT = "demo";
const STABLE = "sample-app:1.0.0";
const RATE = 200;
const ROLLOUTS = [
  { name: "healthy", image: "sample-app:2.0.0", expect: "promoted", exitCode: 0 },
  { name: "failing", image: "sample-app:3.0.0?error-rate=0.3", expect: "rolled back", exitCode: 1 },
] as const;
/** Short bakes so that the demo finishes in about a minute; a real rollout bakes minutes per step. */
// --max-bake: at 20 req/s the 10 % step needs ~14 s of clean traffic to show the canary under the 1 % limit.
const PLAN_FLAGS = ["--steps", "10,50,100", "--bake", "6s", "--interval", "2s", "--max-bake", "30s", "--non-interactive"];

let bench: LocalRolloutBench | undefined;
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
    void stopEverything().then(() => process.exit(130));
  });
}

const outcomes: string[] = [];
let asExpected = true;
try {
  console.log(`demo: starting HAProxy and ${STABLE} on loopback, ${RATE} req/s of steady load`);
  bench = await startLocalRolloutBench({ environmentName: ENVIRONMENT, stableImage: STABLE, ratePerSecond: RATE, maxDurationS: 600 });
  console.log(`demo: traffic on http://127.0.0.1:${bench.environment.trafficPort}/ (files in ${path.relative(process.cwd(), bench.dir)})\n`);
  for (const rollout of ROLLOUTS) {
    const before = bench.load.snapshot();
    const reportDir = path.join("reports", "demo", rollout.name);
    console.log(`demo: rollout of ${rollout.image}, expected: ${rollout.expect} (exit ${rollout.exitCode})`);
    current = spawnRolloutCli(["start", "--target", "local", "--env", ENVIRONMENT, "--image", rollout.image, "--report-dir", reportDir, ...PLAN_FLAGS], { timeoutMs: 180_000, showOutput: true });
    const run = await current.done;
    current = undefined;
    asExpected &&= run.code === rollout.exitCode;
    const after = bench.load.snapshot();
    const line = `${rollout.name}: ${rollout.image} -> exit ${run.code}; load during it: ${after.requests - before.requests} requests, ${after.failed - before.failed} failed; reports in ${reportDir}/`;
    outcomes.push(line);
    console.log(`\ndemo: ${line}\n`);
    if (stopping) break;
  }
} finally {
  if (!stopping) {
    const load = await bench?.stop();
    console.log("demo summary");
    for (const line of outcomes) console.log(`  ${line}`);
    if (load) console.log(`  load in total: ${load.requests} requests, ${load.failed} failed (${JSON.stringify(load.statusCounts)})`);
    console.log("  everything the demo started is stopped");
    if (!asExpected) {
      console.error("demo: an outcome differed from what was expected (see above)");
      process.exitCode = 1;
    }
  }
}
