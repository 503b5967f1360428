import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { stopLoopbackSite } from "../rollout/targets/local/site.ts";
import type { Rehearsal, RolloutEntry, RunningCli } from "../rollout/targets/local/rehearsal.ts";
import { spawnRolloutCli, startRehearsal } from "../rollout/targets/local/rehearsal.ts";
import { isProcessAlive, waitFor } from "../rollout/shared/processes.ts";
import { processesOf } from "../rollout/targets/local/processes.ts";
import { LocalTrafficRouter } from "../rollout/targets/local/router.ts";
import { slotFiles } from "../rollout/targets/local/slots.ts";
import { newRolloutState } from "../rollout/engine/engine.ts";
import { transition } from "../rollout/engine/machine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { RolloutState } from "../rollout/engine/model.ts";
import { FileStateStore } from "../rollout/store/file-store.ts";
import { attachLoopbackSite, loopbackSiteDir } from "../rollout/targets/local/site.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const STABLE = "sample-app:1.0.0";
const CLI_TIMEOUT_MS = 45_000;

function startArgs(environment: string, image: string, extra: readonly string[] = []): string[] {
  return ["start", "--target", "local", "--env", environment, "--image", image, "--steps", "10,50,100", "--bake", "2s", "--interval", "1s", ...extra];
}

/**
 * Faults an SRE injects on the local target (issue 11): cancellation through the documented entry points,
 * two simultaneous starts, a pause, a canary that dies at start. Real HAProxy, real processes.
 */
describe("rollout faults end to end on loopback (issue 11)", function () {
  this.timeout(90_000);
  const store = new FileStateStore({ root: path.join(ROOT, ".readiness", "rollouts") });
  let bench: Rehearsal | undefined;
  const clis: RunningCli[] = [];
  let environment = "";
  let dir = "";

  beforeEach(function () {
    environment = `faults-${process.pid}-${(this.currentTest?.title ?? "t").replace(/[^a-z0-9]+/gi, "-").slice(0, 24)}`;
    dir = loopbackSiteDir(ROOT, environment);
  });

  afterEach(async () => {
    for (const cli of clis.splice(0)) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
    await bench?.stop();
    bench = undefined;
    // Whatever a failed test left: the environment's processes are found by their marker and stopped.
    await stopLoopbackSite(dir);
    for (const pid of processesOf(dir)) process.kill(pid, "SIGKILL");
    fs.rmSync(path.join(ROOT, ".readiness", "rollouts", environment), { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function cli(args: string[], entry: RolloutEntry = "node"): RunningCli {
    const running = spawnRolloutCli(args, { timeoutMs: CLI_TIMEOUT_MS, entry });
    clis.push(running);
    return running;
  }

  async function state(): Promise<RolloutState> {
    const loaded = await store.load(environment);
    assert.ok(loaded, "the rollout left its state");
    return loaded;
  }

  for (const entry of ["npm", "bin"] as const) {
    it(`SIGTERM to the top process of ${entry === "npm" ? "`npm run rollout`" : "`./bin/rollout.mjs`"} ends in a verified rollback`, async () => {
      bench = await startRehearsal({ environmentName: environment, stableImage: STABLE, ratePerSecond: 100, maxDurationS: 60 });
      const running = cli(startArgs(environment, "sample-app:2.0.0", ["--non-interactive", "--bake", "20s"]), entry);
      await waitFor("the canary to carry traffic", 30_000, async () => ((await store.load(environment))?.phase === "baking" ? true : undefined));
      running.child.kill("SIGTERM");
      await running.done;
      // npm exits at once; the rollout it started notices and rolls back: wait for the verified end.
      const final = await waitFor("the rollout to end", 15_000, async () => {
        const current = await store.load(environment);
        return current?.finishedAt !== undefined ? current : undefined;
      });
      assert.equal(final.phase, "aborted", final.reason);
      assert.match(final.reason ?? "", /interrupted: SIGTERM/);
      assert.deepEqual(final.weightHistory.at(-1)?.weights, { stable: 100, canary: 0 });
      assert.equal(final.weightHistory.at(-1)?.verified, true);
      assert.deepEqual(await new LocalTrafficRouter(bench.site.adminSocketPath).readWeights(), { stable: 100, canary: 0 });
      await waitFor("the lock to be released", 10_000, async () => ((await store.readLock(environment)) === undefined ? true : undefined));
    });
  }

  it("two simultaneous starts with nothing running: exactly one rollout, the other changes nothing, no orphaned process", async () => {
    const args = startArgs(environment, "sample-app:2.0.0", ["--non-interactive"]);
    const [first, second] = [cli(args), cli(args)];
    const runs = await Promise.all([first.done, second.done]);
    // The winner's verdict depends on the evidence its own 100 req/s gives in a short bake (promoted or rolled
    // back); what matters here is that exactly one rollout ran and finished, and the other changed nothing.
    const codes = runs.map((run) => run.code).sort();
    assert.ok(codes[1] === 2 && (codes[0] === 0 || codes[0] === 1), runs.map((run) => run.stdout + run.stderr).join("\n----\n"));
    const loser = runs.find((run) => run.code === 2);
    assert.match(loser?.stderr ?? "", /refused: a rollout of .* is already running/);
    assert.doesNotMatch(loser?.stderr ?? "", /starting HAProxy/, "the loser started nothing");
    const final = await state();
    assert.ok(final.phase === "promoted" || final.phase === "rolled-back", `${final.phase}: ${final.reason}`);
    assert.deepEqual(processesOf(dir), [], "every process of the environment is gone");
  });

  it("a paused rollout keeps the environment it started serving, canary included; abort then rolls back", async () => {
    // No request can be enough evidence: the first analysis is inconclusive and pauses (not a terminal: exit 3).
    const paused = await cli(startArgs(environment, "sample-app:2.0.0", ["--min-requests", "1000000"])).done;
    assert.equal(paused.code, 3, paused.stdout + paused.stderr);
    const running = attachLoopbackSite(dir);
    assert.ok(running, "HAProxy still runs after the paused process exited");
    const canary = slotFiles(dir).read("canary");
    assert.ok(canary && isProcessAlive(canary.pid), "the canary keeps serving");
    assert.deepEqual(await new LocalTrafficRouter(running.adminSocketPath).readWeights(), { stable: 90, canary: 10 });
    const response = await fetch(`http://127.0.0.1:${running.trafficPort}/`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    const abort = await cli(["abort", "--target", "local", "--env", environment]).done;
    assert.equal(abort.code, 1, abort.stdout + abort.stderr);
    assert.equal((await state()).phase, "aborted");
    assert.deepEqual(await new LocalTrafficRouter(running.adminSocketPath).readWeights(), { stable: 100, canary: 0 });
  });

  it("after rollback-failed: status shows intended and verified, start refuses naming abort, abort finishes the rollback", async () => {
    bench = await startRehearsal({ environmentName: environment, stableImage: STABLE, ratePerSecond: 50, maxDurationS: 60 });
    const router = new LocalTrafficRouter(bench.site.adminSocketPath);
    // What a rollback that could not be verified leaves: the router still split, the state terminal.
    await router.setWeights({ stable: 90, canary: 10 });
    const dead = { id: "dead-rollout", host: "elsewhere", pid: 1, startedAt: Date.now() - 60_000 };
    let failed = newRolloutState({ id: "dead-rollout", environment, target: "local", image: "sample-app:2.0.0", stableImage: STABLE, plan: DEFAULT_PLAN, holder: dead, now: Date.now() - 60_000 });
    failed = { ...failed, stepIndex: 1, weights: { stable: 90, canary: 10 }, intendedWeights: { stable: 100, canary: 0 } };
    for (const [to, reason] of [["deploying"], ["pre-traffic-hooks"], ["shifting"], ["rolling-back", "analysis failed"], ["rollback-failed", "ROLLBACK NOT VERIFIED"]] as const) failed = transition(failed, to, Date.now(), reason);
    await store.save(failed);

    const status = await cli(["status", "--target", "local", "--env", environment]).done;
    assert.match(status.stdout, /weights: last verified stable 90 \/ canary 10, INTENDED stable 100 \/ canary 0/);
    const refused = await cli(startArgs(environment, "sample-app:3.0.0", ["--non-interactive"])).done;
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /the router of .* shows stable 90 \/ canary 10, not stable 100 \/ canary 0.*rollback-failed; finish it with `npm run rollout -- abort --env/);
    assert.equal((await state()).id, "dead-rollout", "the refused start wrote nothing");

    const abort = await cli(["abort", "--target", "local", "--env", environment, "--reason", "finish it"]).done;
    assert.equal(abort.code, 1, abort.stdout + abort.stderr);
    const final = await state();
    assert.equal(final.phase, "aborted", final.reason);
    assert.deepEqual(final.transitions.slice(-2).map((t) => t.to), ["rolling-back", "aborted"]);
    assert.deepEqual(await router.readWeights(), { stable: 100, canary: 0 });
  });

  it("rolls back, saying so, when someone changes the weights on HAProxy mid-bake (drift)", async () => {
    bench = await startRehearsal({ environmentName: environment, stableImage: STABLE, ratePerSecond: 100, maxDurationS: 60 });
    const running = cli(startArgs(environment, "sample-app:2.0.0", ["--non-interactive", "--bake", "10s"]));
    await waitFor("the canary to carry traffic", 30_000, async () => ((await store.load(environment))?.phase === "baking" ? true : undefined));
    await new LocalTrafficRouter(bench.site.adminSocketPath).setWeights({ stable: 30, canary: 70 });
    const run = await running.done;
    const final = await state();
    assert.equal(final.phase, "rolled-back", run.stdout + run.stderr);
    assert.match(final.reason ?? "", /drift: the router shows stable 30 \/ canary 70, the plan says stable 90 \/ canary 10 at step 1 .*\(drift policy rollback\)/);
    assert.deepEqual(await new LocalTrafficRouter(bench.site.adminSocketPath).readWeights(), { stable: 100, canary: 0 });
  });

  it("a canary that exits during start fails the deploy at once, before any traffic", async () => {
    bench = await startRehearsal({ environmentName: environment, stableImage: STABLE, ratePerSecond: 50, maxDurationS: 60 });
    const run = await cli(startArgs(environment, "sample-app:3.0.0?crash-after-s=0.001", ["--non-interactive"])).done;
    const final = await state();
    assert.equal(final.phase, "rolled-back", run.stdout + run.stderr);
    assert.match(final.reason ?? "", /exited during start/);
    const deploying = final.transitions.find((t) => t.to === "deploying");
    const rollingBack = final.transitions.find((t) => t.to === "rolling-back");
    // The start wait is 15 s; a dead process must not be waited for.
    assert.ok(deploying && rollingBack && rollingBack.at - deploying.at < 10_000, `deploy failed after ${rollingBack && deploying ? rollingBack.at - deploying.at : "?"} ms`);
    assert.ok(final.weightHistory.every((record) => record.weights.canary === 0), "the canary never got traffic");
  });
});
