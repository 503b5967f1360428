import assert from "node:assert/strict";
import type { Weights } from "../rollout/engine/model.ts";
import { shiftVerified } from "../rollout/engine/shift.ts";
import { FakeClock, FakeDeployer, FakeRouter } from "./support/rollout-fakes.ts";
import { harness } from "./support/rollout-harness.ts";

/** A deployer that keeps weights the way the AWS one keeps them in stack config; `failures` records fail first. */
class RecordingDeployer extends FakeDeployer {
  readonly recorded: Weights[] = [];

  constructor(private failures = 0) {
    super("app:1");
  }

  async recordWeights(weights: Weights): Promise<void> {
    if (this.failures === Number.POSITIVE_INFINITY || this.failures-- > 0) throw new Error("pulumi config set failed");
    this.recorded.push(weights);
  }
}

describe("rollout: setting and verifying weights (one loop for the engine and the watchdog)", () => {
  const settings = { timeoutMs: 5_000, retryMs: 500 };

  it("sets once, reads back until the router shows the weights, then records them once", async () => {
    const router = new FakeRouter({ lagReads: 3 });
    const recorded: Weights[] = [];
    const result = await shiftVerified(router, { stable: 90, canary: 10 }, new FakeClock(), { ...settings, record: async (weights) => void recorded.push(weights) });
    assert.deepEqual(result, { verified: true, detail: "router shows stable 90 / canary 10" });
    assert.deepEqual(router.requested, [{ stable: 90, canary: 10 }], "set once: a lagging read-back is no reason to set again");
    assert.deepEqual(recorded, [{ stable: 90, canary: 10 }]);
  });

  it("retries a failed record without setting the weights again; past the deadline the shift is unverified", async () => {
    const router = new FakeRouter();
    const clock = new FakeClock();
    const started = clock.now();
    const result = await shiftVerified(router, { stable: 50, canary: 50 }, clock, {
      ...settings,
      record: async () => {
        throw new Error("pulumi config set failed");
      },
    });
    assert.equal(result.verified, false);
    assert.equal(result.detail, "router shows stable 50 / canary 50 but recording it failed: pulumi config set failed");
    assert.deepEqual(router.requested, [{ stable: 50, canary: 50 }]);
    assert.ok(clock.now() - started >= settings.timeoutMs, "tried until the deadline");
  });

  it("never records weights the router did not show", async () => {
    const router = new FakeRouter({ broken: true });
    let records = 0;
    const result = await shiftVerified(router, { stable: 100, canary: 0 }, new FakeClock(), { ...settings, record: async () => void (records += 1) });
    assert.deepEqual(result, { verified: false, detail: "router error: router unreachable" });
    assert.equal(records, 0);
  });

  async function rollout(deployer: RecordingDeployer) {
    return harness({ plan: { bakeMs: 20_000, maxBakeMs: 40_000, verifyTimeoutMs: 3_000 }, router: { lagReads: 1 }, deployer }).run();
  }

  it("the engine has the deployer record every weight it verified, in order, after a record that failed once", async () => {
    const deployer = new RecordingDeployer(1);
    const final = await rollout(deployer);
    assert.equal(final.phase, "promoted", final.reason);
    assert.deepEqual(deployer.recorded.map((weights) => weights.canary), [0, 10, 50, 100, 0]);
  });

  it("a deployer that can never record the weights leaves the rollout rollback-failed: an unrecorded weight would be reverted", async () => {
    const final = await rollout(new RecordingDeployer(Number.POSITIVE_INFINITY));
    assert.equal(final.phase, "rollback-failed", final.reason);
    assert.match(final.reason ?? "", /could not put the canary at weight 0 before deploying it: .*recording it failed: pulumi config set failed/);
    assert.match(final.reason ?? "", /ROLLBACK NOT VERIFIED/);
  });
});
