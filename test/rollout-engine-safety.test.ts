import assert from "node:assert/strict";
import { REQUEST_TTL_MS, runRollout } from "../rollout/engine/engine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { RolloutPlan, RolloutState, Weights } from "../rollout/engine/model.ts";
import { StateConflictError } from "../rollout/engine/ports.ts";
import { FakeHooks, operatorRequest, ScriptedAnalyser, TEST_HOLDER } from "./support/rollout-fakes.ts";
import type { FakeRouterOptions } from "./support/rollout-fakes.ts";
import { canaryWeights, harness as rolloutHarness, OLD } from "./support/rollout-harness.ts";

/** 30 s bakes judged every 10 s, 5 s to verify a shift, the default bake limit. */
function harness(options: { plan?: Partial<RolloutPlan>; router?: FakeRouterOptions; id?: string } = {}) {
  const id = options.id ?? "r1";
  return rolloutHarness({ plan: { ...DEFAULT_PLAN, bakeMs: 30_000, intervalMs: 10_000, verifyTimeoutMs: 5_000, ...options.plan }, router: options.router, id, holder: { ...TEST_HOLDER, id } });
}

describe("rollout engine safety (issue 11)", () => {
  describe("operator requests", () => {
    it("never applies a request made for another rollout: an old promote does not promote the next rollout", async () => {
      const h = harness({ id: "r2" });
      await h.store.request("dev", operatorRequest("promote", "r1", h.clock.now(), "old-operator"));
      const final = await h.run();
      assert.equal(final.phase, "promoted");
      // All three steps ran with their analyses: the stale promote skipped nothing.
      assert.deepEqual(canaryWeights(h.router), [0, 10, 50, 100, 0]);
      assert.ok(h.logs().some((line) => /discarded promote from old-operator: it was made for rollout r1, not r2/.test(line)), h.logs().join("\n"));
      assert.equal(final.requestLog, undefined, "nothing is answered in another rollout's state");
    });

    it("answers each request in the state: acted, refused with the reason, or expired", async () => {
      const h = harness();
      const start = h.clock.now();
      h.clock.at(start + 15_000, () => {
        void h.store.request("dev", operatorRequest("resume", "r1", h.clock.now(), "carol"));
        void h.store.request("dev", operatorRequest("promote", "r1", h.clock.now() - REQUEST_TTL_MS - 1, "dave"));
      });
      h.clock.at(start + 25_000, () => void h.store.request("dev", operatorRequest("promote", "r1", h.clock.now(), "bob")));
      const final = await h.run();
      assert.equal(final.phase, "promoted");
      const answers = (final.requestLog ?? []).map((record) => [record.by, record.kind, record.outcome, record.note]);
      assert.deepEqual(answers, [
        ["dave", "promote", "refused", "expired before the rollout read it"],
        ["carol", "resume", "refused", "nothing to resume while baking"],
        ["bob", "promote", "acted", "promote accepted while baking"],
      ]);
      assert.deepEqual(canaryWeights(h.router), [0, 10, 100, 0]);
    });

    it("an abort wins over other requests read at the same time, which are refused as superseded", async () => {
      const h = harness();
      h.clock.at(h.clock.now() + 15_000, () => {
        void h.store.request("dev", operatorRequest("promote", "r1", h.clock.now(), "bob"));
        void h.store.request("dev", operatorRequest("abort", "r1", h.clock.now(), "alice", "wrong image"));
      });
      const final = await h.run();
      assert.equal(final.phase, "aborted");
      assert.deepEqual(
        (final.requestLog ?? []).map((record) => [record.by, record.outcome]),
        [
          ["bob", "refused"],
          ["alice", "acted"],
        ],
      );
      assert.match(final.requestLog?.[0]?.note ?? "", /superseded by abort from alice/);
    });

    it("refuses requests that arrive while it can no longer act (promoting), instead of leaving them for the next rollout", async () => {
      const h = harness();
      // Promote takes a request at the promotion itself: queue it while the deployer promotes.
      const promote = h.deployer.promote.bind(h.deployer);
      h.deployer.promote = async (image: string) => {
        await h.store.request("dev", operatorRequest("abort", "r1", h.clock.now(), "late"));
        return promote(image);
      };
      const final = await h.run();
      assert.equal(final.phase, "promoted");
      assert.deepEqual(
        (final.requestLog ?? []).map((record) => [record.by, record.outcome, record.note]),
        [["late", "refused", "the rollout is promoted"]],
      );
      assert.deepEqual(await h.store.takeRequests("dev"), [], "nothing is left queued");
    });
  });

  describe("router state", () => {
    it("writes the intended weights before every change (write-ahead)", async () => {
      const h = harness();
      const intendedAtChange: (Weights | undefined)[] = [];
      const setWeights = h.router.setWeights.bind(h.router);
      h.router.setWeights = async (weights: Weights) => {
        intendedAtChange.push(h.store.states.get("dev")?.intendedWeights);
        return setWeights(weights);
      };
      await h.run();
      assert.deepEqual(intendedAtChange, h.router.requested);
    });

    it("takes a conditional save whose answer was lost and whose retry then conflicts as done, when the store holds exactly its state", async () => {
      const h = harness();
      const save = h.store.save.bind(h.store);
      let lost = 0;
      h.store.save = async (state: RolloutState, ifVersion?: string) => {
        const version = await save(state, ifVersion);
        if (ifVersion !== undefined && state.phase === "baking" && lost === 0) {
          lost += 1;
          // What S3 answers the SDK's retry of a PUT with If-Match that had landed: the ETag moved on.
          throw new StateConflictError("precondition failed on the retry");
        }
        return version;
      };
      const final = await h.run();
      assert.equal(lost, 1);
      assert.equal(final.phase, "promoted");
      assert.deepEqual(canaryWeights(h.router), [0, 10, 50, 100, 0]);
    });

    it("rolls back when a conditional save conflicts with a write that is not a takeover, naming the conflict", async () => {
      const h = harness();
      const save = h.store.save.bind(h.store);
      h.store.save = async (state: RolloutState, ifVersion?: string) => {
        // Someone writes the rollout's state without claiming it, between the engine's read and its save.
        if (ifVersion !== undefined && state.phase === "baking" && !h.store.saves.some((saved) => saved.reason === "written by hand")) await save({ ...state, phase: "shifting", reason: "written by hand" });
        return save(state, ifVersion);
      };
      const final = await h.run();
      assert.equal(final.phase, "rolled-back");
      assert.match(final.reason ?? "", /changed since version/);
      assert.equal(canaryWeights(h.router).at(-1), 0);
    });

    it("does not give the canary more traffic when its intention cannot be recorded first", async () => {
      const h = harness();
      const save = h.store.save.bind(h.store);
      h.store.save = async (state: RolloutState) => {
        if (state.intendedWeights?.canary === 10) throw new Error("disk full");
        return save(state);
      };
      const final = await h.run();
      assert.equal(final.phase, "rolled-back");
      assert.match(final.reason ?? "", /disk full/);
      assert.deepEqual(canaryWeights(h.router), [0, 0], "never 10");
    });

    it("resumes from what the router shows after a kill mid-shift, not from the state", async () => {
      const h = harness();
      const started = h.clock.now();
      // Killed while shifting 10 -> 50: the state verified 10, intended 50; the router already applied 50.
      h.router.drift({ stable: 50, canary: 50 });
      const killed: RolloutState = { ...h.initial, phase: "shifting", stepIndex: 1, weights: { stable: 90, canary: 10 }, intendedWeights: { stable: 50, canary: 50 }, bakeStartedAt: started, transitions: [] };
      const aborted = await h.run(killed, { retryFailedRollback: undefined, signal: AbortSignal.abort("SIGTERM") });
      assert.equal(aborted.phase, "aborted");
      assert.ok(h.logs().some((line) => /router shows stable 50 \/ canary 50, the state last verified stable 90 \/ canary 10 \(intended stable 50 \/ canary 50\)/.test(line)), h.logs().join("\n"));
      const seen = aborted.weightHistory.map((record) => [record.weights.canary, record.verified]);
      assert.deepEqual(seen, [
        [50, true],
        [0, true],
      ]);
    });

    it("puts the canary at weight 0, verified, before deploying it, whatever the router had", async () => {
      const h = harness();
      h.router.drift({ stable: 70, canary: 30 });
      const deployedAt: Weights[] = [];
      const deploy = h.deployer.deployCanary.bind(h.deployer);
      h.deployer.deployCanary = async (image: string) => {
        deployedAt.push(await h.router.readWeights());
        return deploy(image);
      };
      const final = await h.run();
      assert.equal(final.phase, "promoted");
      assert.deepEqual(deployedAt, [{ stable: 100, canary: 0 }]);
    });

    it("rolls back on drift (someone changed the weights) by default, and says so", async () => {
      const h = harness();
      h.clock.at(h.clock.now() + 15_000, () => h.router.drift({ stable: 40, canary: 60 }));
      const final = await h.run();
      assert.equal(final.phase, "rolled-back");
      assert.match(final.reason ?? "", /drift: the router shows stable 40 \/ canary 60, the plan says stable 90 \/ canary 10 at step 1.*drift policy rollback/);
      assert.deepEqual(h.router.weights, { stable: 100, canary: 0 });
    });

    it("pauses on drift with --on-drift pause, and a resume puts the step's weights back", async () => {
      const h = harness({ plan: { driftPolicy: "pause" } });
      h.clock.at(h.clock.now() + 15_000, () => h.router.drift({ stable: 40, canary: 60 }));
      const paused = await h.run();
      assert.equal(paused.phase, "paused");
      assert.match(paused.reason ?? "", /drift: the router shows stable 40 \/ canary 60.*drift policy pause/);
      assert.deepEqual(h.router.weights, { stable: 40, canary: 60 }, "a pause leaves traffic where it is");
      const final = await h.run(paused, { approved: true });
      assert.equal(final.phase, "promoted");
      assert.deepEqual(canaryWeights(h.router), [0, 10, 10, 50, 100, 0]);
    });

    it("rolls back when the router cannot be read during a bake; a lost router ends in rollback-failed, never a success", async () => {
      const h = harness();
      h.clock.at(h.clock.now() + 15_000, () => h.router.lose());
      const final = await h.run();
      assert.equal(final.phase, "rollback-failed");
      assert.match(final.reason ?? "", /the router cannot be read at step 1: router unreachable \(drift policy rollback\).*ROLLBACK NOT VERIFIED/);
    });
  });

  describe("canary health on the router", () => {
    it("gives no weight to a canary the router does not see healthy", async () => {
      const h = harness({ router: { health: { canary: "unhealthy" } } });
      const final = await h.run();
      assert.equal(final.phase, "rolled-back");
      assert.match(final.reason ?? "", /canary is not healthy on the router before a shift to canary 10%: fake canary unhealthy/);
      assert.deepEqual(canaryWeights(h.router), [0, 0]);
    });

    it("refuses to promote (and rolls back) a canary that is no longer healthy on the router", async () => {
      const h = harness({ plan: { inconclusivePolicy: "pause" } });
      // Paused and exited; then the canary dies; then an operator promotes.
      const analyser = new ScriptedAnalyser([], "inconclusive");
      assert.ok((await h.store.acquireLock("dev", h.initial.holder)).ok);
      const paused = await runRollout({ router: h.router, deployer: h.deployer, hooks: new FakeHooks(), store: h.store, analysers: [analyser], clock: h.clock, reporter: h.reporter }, h.initial, { pauseMode: "exit" });
      assert.equal(paused.phase, "paused");
      h.router.health.canary = "unhealthy";
      await h.store.request("dev", operatorRequest("promote", "r1", h.clock.now(), "erin"));
      const final = await h.run(paused, { approved: true });
      assert.equal(final.phase, "rolled-back");
      assert.match(final.reason ?? "", /canary is not healthy on the router before a promotion shifts all traffic to it/);
      assert.equal(h.deployer.stable, OLD, "stable never took the canary's image");
      assert.deepEqual(h.router.weights, { stable: 100, canary: 0 });
    });

    it("says once that a router without a health view leaves readiness to the analysis", async () => {
      const h = harness({ router: { health: "none" } });
      const final = await h.run();
      assert.equal(final.phase, "promoted");
      assert.equal(h.logs().filter((line) => /cannot report canary health/.test(line)).length, 1);
    });
  });

  describe("rollback-failed", () => {
    it("an abort finishes a rollback that could not be verified once the router answers again", async () => {
      const h = harness();
      h.clock.at(h.clock.now() + 15_000, () => h.router.lose());
      const failed = await h.run();
      assert.equal(failed.phase, "rollback-failed");
      assert.equal((await h.run(failed)).phase, "rollback-failed", "without the abort nothing happens");
      const recovered = harness();
      recovered.router.drift(h.router.weights);
      const final = await recovered.run(failed, { retryFailedRollback: "abort by ops: finishing the rollback" });
      assert.equal(final.phase, "aborted");
      assert.deepEqual(recovered.router.weights, { stable: 100, canary: 0 });
      assert.equal(final.finishedAt, final.transitions.at(-1)?.at);
      assert.deepEqual(
        final.transitions.slice(-2).map((t) => [t.from, t.to]),
        [
          ["rollback-failed", "rolling-back"],
          ["rolling-back", "aborted"],
        ],
      );
    });
  });
});
