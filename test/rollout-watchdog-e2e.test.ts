import assert from "node:assert/strict";
import type { Rehearsal } from "../rollout/targets/local/rehearsal.ts";
import { isProcessAlive, waitFor } from "../rollout/shared/processes.ts";
import { LocalTrafficRouter } from "../rollout/targets/local/router.ts";
import type { RolloutState } from "../rollout/engine/model.ts";
import { useE2eFixture } from "./support/e2e-fixture.ts";

const LOAD_RATE = 200;
/** Watchdog deadlines for an abandoned rollout in these tests (the default is 60 s); a failing canary is acted on at once. */
const LONG_ABANDON_MS = 40_000;
const SHORT_ABANDON_MS = 4_000;

describe("rollout watchdog end to end (kill -9 of the rollout process, real HAProxy, no human action)", function () {
  this.timeout(90_000);
  const e2e = useE2eFixture({ prefix: "wd", titleLength: 24, cliTimeoutMs: 80_000 });

  /** Starts a rollout with a long bake and kills its process with SIGKILL once the canary carries traffic. */
  async function killMidBake(image: string, abandonedAfterMs: number): Promise<{ current: Rehearsal; killedAt: number; lastHeartbeat: number }> {
    const current = await e2e.rehearse({ stableImage: "sample-app:1.0.0", ratePerSecond: LOAD_RATE, maxDurationS: 80, watchdog: { abandonedAfterMs, pollMs: 250 } });
    const args = ["start", "--target", "local", "--env", e2e.environment, "--image", image, "--non-interactive", "--steps", "10,50,100", "--bake", "60s", "--interval", "1s"];
    const running = e2e.cli(args);
    await waitFor("the canary to carry traffic", 30_000, async () => ((await e2e.store.load(e2e.environment))?.phase === "baking" ? true : undefined), 50);
    running.child.kill("SIGKILL");
    const killedAt = Date.now();
    await running.done;
    const holder = (await e2e.store.readLock(e2e.environment))?.holder;
    assert.ok(holder, "the killed process left its lock");
    return { current, killedAt, lastHeartbeat: holder.heartbeatAt ?? holder.startedAt };
  }

  async function rolledBackByWatchdog(within: number): Promise<RolloutState> {
    return waitFor("the watchdog's verified rollback", within, async () => {
      const state = await e2e.store.load(e2e.environment);
      return state?.phase === "rolled-back" ? state : undefined;
    }, 100);
  }

  // Both canaries pass their start, readiness and first analyses, then fail once the rollout process is gone.
  const failingLater = [
    { how: "answers 5xx", image: "sample-app:3.0.0?error-rate=0.5&error-after-s=3", seen: /5xx rate [\d.]+% over \d+ requests, lower bound [\d.]+% > 1%/ },
    { how: "crashes", image: "sample-app:3.0.0?crash-after-s=4", seen: /canary fails the router's health check/ },
  ];
  for (const { how, image, seen } of failingLater) {
    it(`when the canary ${how} after the rollout process was killed, traffic goes back to stable, verified`, async () => {
      const { current, killedAt } = await killMidBake(image, LONG_ABANDON_MS);
      const killedState = await e2e.store.load(e2e.environment);
      assert.equal(killedState?.phase, "baking", "killed mid-bake, before the canary failed");
      assert.deepEqual(await new LocalTrafficRouter(current.site.adminSocketPath).readWeights(), { stable: 90, canary: 10 }, "the split outlived the killed process");

      const state = await rolledBackByWatchdog(30_000);
      assert.match(state.reason ?? "", /rolled back by the rollout watchdog: the canary is failing \(.+\) and the orchestrator is gone: its process \(pid \d+ .*\) is dead/);
      assert.match(state.reason ?? "", seen);
      assert.match(state.reason ?? "", /verified stable 100 \/ canary 0/);
      const verified = state.weightHistory.at(-1);
      assert.deepEqual(verified && { weights: verified.weights, verified: verified.verified }, { weights: { stable: 100, canary: 0 }, verified: true });
      assert.ok((verified?.at ?? 0) > killedAt);
      assert.deepEqual(state.transitions.slice(-2).map((t) => t.to), ["rolling-back", "rolled-back"]);
      assert.deepEqual(await new LocalTrafficRouter(current.site.adminSocketPath).readWeights(), { stable: 100, canary: 0 });
      assert.equal(await e2e.store.readLock(e2e.environment), undefined, "the dead process's lock was released, so the next start needs no --take-over-stale");
      const answer = (await (await fetch(`http://127.0.0.1:${current.site.trafficPort}/`)).json()) as { version: string };
      assert.equal(answer.version, "1.0.0");

      // Visible in `status` from any shell, and the next rollout can start without human clean-up.
      const status = await e2e.cli(["status", "--target", "local", "--env", e2e.environment], { timeoutMs: 30_000 }).done;
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /ROLLED-BACK/);
      assert.match(status.stdout, /reason: rolled back by the rollout watchdog/);
      assert.match(status.stdout, /lock: free/);

      const watchdogPid = current.site.watchdogPid;
      assert.ok(watchdogPid !== undefined && isProcessAlive(watchdogPid), "the watchdog runs with the loopback site");
      await current.stop();
      assert.equal(isProcessAlive(watchdogPid), false, "stopping the loopback site stops its watchdog");
    });
  }

  it("rolls back a healthy canary left unattended once the abandon deadline passes, and does nothing more afterwards", async () => {
    const { current, lastHeartbeat } = await killMidBake("sample-app:2.0.0", SHORT_ABANDON_MS);
    const state = await rolledBackByWatchdog(SHORT_ABANDON_MS + 15_000);
    assert.match(state.reason ?? "", /nothing has analysed the canary for \d+ s \(deadline 4 s\)/);
    assert.ok((state.finishedAt ?? 0) - lastHeartbeat >= SHORT_ABANDON_MS, "not before the deadline, counted from the last heartbeat");
    assert.deepEqual(await new LocalTrafficRouter(current.site.adminSocketPath).readWeights(), { stable: 100, canary: 0 });
    // Idempotent: later rounds find the rollout terminal and leave the state alone.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.deepEqual(await e2e.store.load(e2e.environment), state);
    const load = await current.stop();
    assert.equal(load.failed, 0, `a healthy canary's rollback costs no request: ${JSON.stringify(load.statusCounts)}`);
  });
});
