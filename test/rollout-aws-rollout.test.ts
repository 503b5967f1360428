import assert from "node:assert/strict";
import { ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { PulumiCli } from "../rollout/targets/aws/pulumi-cli.ts";
import { S3StateStore } from "../rollout/targets/aws/s3-store.ts";
import { analysersFor } from "../rollout/engine/analysers.ts";
import { newRolloutState, runRollout } from "../rollout/engine/engine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { LockHolder, RolloutPlan, RolloutState } from "../rollout/engine/model.ts";
import { buildAwsTarget } from "../rollout/targets/aws/target.ts";
import { CANARY_TG_ARN, FakeAlb, FakeCloudWatch, FakeEcs, FakeS3, PulumiStandIn, restoreAwsMocks, sampleOutputs } from "./rollout-aws-fakes.ts";
import { FakeClock, operatorRequest, RecordingReporter } from "./support/rollout-fakes.ts";

const NEW_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:bbbb";
const OLD_IMAGE = sampleOutputs().stableImage;
const CI: LockHolder = { id: "rollout-ci-1", host: "ci-runner", pid: 4242, startedAt: 1_700_000_000_000 };

const PLAN: RolloutPlan = {
  ...DEFAULT_PLAN,
  // One analysis per step, each over one CloudWatch minute.
  bakeMs: 60_000,
  intervalMs: 60_000,
  probePaths: ["/health", "/health/ready"],
  hooks: [{ name: "migrate", command: "python manage.py migrate --noinput", timeoutMs: 600_000 }],
  inconclusivePolicy: "fail",
};

/** The AWS target on mocked clients and the stand-in Pulumi CLI, with the engine driving it: a rollout without a cloud. */
function simulation() {
  const outputs = sampleOutputs();
  const standIn = new PulumiStandIn("production", outputs);
  const clock = new FakeClock();
  const alb = new FakeAlb(1);
  const cloudwatch = new FakeCloudWatch();
  const ecs = new FakeEcs(2);
  const s3 = new FakeS3();
  const target = buildAwsTarget({
    environment: "production",
    outputs,
    cli: new PulumiCli({ stack: "production", cwd: standIn.dir, env: standIn.env }),
    clients: { elbv2: alb.client, cloudwatch: cloudwatch.client, ecs: ecs.client, s3: s3.client },
    clock,
    tuning: { hookPollIntervalMs: 5_000 },
    probe: async (request) => ({ url: request.url, status: 200, headers: { "strict-transport-security": ["max-age=63072000; includeSubDomains"] }, body: "ok", durationMs: 12 }),
  });
  const reporter = new RecordingReporter();
  const run = async (): Promise<RolloutState> => {
    const lock = await target.store.acquireLock("production", CI);
    assert.ok(lock.ok, "the simulation could not take the lock");
    const initial = newRolloutState({ id: CI.id, environment: "production", target: "aws", image: NEW_IMAGE, stableImage: OLD_IMAGE, plan: PLAN, holder: lock.holder, now: clock.now() });
    await target.store.save(initial);
    const analysers = analysersFor(target, PLAN.thresholds, PLAN.probePaths);
    const final = await runRollout({ router: target.router, deployer: target.deployer, hooks: target.hooks, store: target.store, analysers, clock, reporter }, initial, { pauseMode: "exit" });
    await target.store.releaseLock("production", lock.holder);
    return final;
  };
  /** What another machine sees in the shared bucket. */
  const elsewhere = new S3StateStore({ client: s3.client, bucket: outputs.rolloutStateBucket, clock, hostname: "laptop" });
  return { outputs, standIn, clock, alb, cloudwatch, ecs, s3, target, reporter, run, elsewhere };
}

describe("rollout on AWS: full simulated rollouts (mocked AWS, stand-in pulumi)", () => {
  after(restoreAwsMocks);
  const simulations: ReturnType<typeof simulation>[] = [];
  const start = () => {
    const created = simulation();
    simulations.push(created);
    return created;
  };
  after(async () => {
    for (const each of simulations) {
      await each.target.close();
      each.standIn.remove();
    }
  });

  it("promotes a healthy canary: 10 -> 50 -> 100 on the listener, config in step, stable takes the image", async () => {
    const sim = start();
    const final = await sim.run();
    assert.equal(final.phase, "promoted", final.reason);
    assert.deepEqual(sim.alb.canaryWeights(), [0, 10, 50, 100, 0]);
    assert.deepEqual(sim.standIn.state().config, { "web.canaryImage": NEW_IMAGE, "web.canaryDesiredCount": "0", "web.canaryWeight": "0", "web.image": NEW_IMAGE });
    // Every weight the listener took was recorded in config right after it showed; canary 0 first, before the
    // deploy's `pulumi up`, so a split left in config by an earlier rollout is never re-applied.
    const recordedWeights = sim.standIn.calls().filter((args) => args[3] === "web.canaryWeight").map((args) => args[4]);
    assert.deepEqual(recordedWeights, ["0", "10", "50", "100", "0"]);
    assert.equal(sim.ecs.mock.commandCalls(RunTaskCommand).length, 1);
    // One query per version and analysis: the canary and, for the baseline comparison, stable.
    assert.equal(sim.cloudwatch.metricRequests.length, 6);
    assert.equal((await sim.elsewhere.load("production"))?.phase, "promoted");
    assert.equal(await sim.elsewhere.readLock("production"), undefined);
  });

  it("rolls back on the canary's 5xx rate from CloudWatch, traffic verified on stable, canary reset", async () => {
    const sim = start();
    const canaryTargetGroup = sim.outputs.canaryTargetGroupFullName;
    sim.cloudwatch.traffic = (targetGroup) => (targetGroup === canaryTargetGroup ? { requests: 400, errors5xx: 40, p95Seconds: 0.2, unhealthy: 0, healthy: 2 } : { requests: 3_600, errors5xx: 0, p95Seconds: 0.1, unhealthy: 0, healthy: 2 });
    const final = await sim.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /canary 5xx rate 10\.0% \(40\/400, this window; 99% lower bound 7\.03%, 95% upper bound 12\.7%\): lower bound above the limit 1\.00%.*stable 0% \(0\/3600/);
    assert.deepEqual(sim.alb.canaryWeights(), [0, 10, 0]);
    assert.deepEqual(await sim.target.router.readWeights(), { stable: 100, canary: 0 });
    const config = sim.standIn.state().config;
    assert.equal(config["web.canaryWeight"], "0");
    assert.equal(config["web.canaryImage"], OLD_IMAGE);
    assert.equal(config["web.image"], undefined, "stable must keep its image");
  });

  it("rolls back when one of the stack's alarms is in ALARM", async () => {
    const sim = start();
    sim.cloudwatch.alarmStates = { "web-5xx": "OK", "web-p95": "ALARM" };
    const final = await sim.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /web-p95 is ALARM/);
    assert.deepEqual(sim.alb.canaryWeights(), [0, 10, 0]);
  });

  it("aborts before any traffic moves when a pre-traffic hook exits non-zero, with exit code and log stream", async () => {
    const sim = start();
    sim.ecs.hook = { runningPolls: 2, exitCode: 1 };
    const final = await sim.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /pre-traffic hook migrate failed \(exit code 1\).*log: cloudwatch logs group \/readiness\/production\/web stream canary\/web\/task1/);
    assert.deepEqual(sim.alb.canaryWeights(), [0, 0], "the only listener changes: canary at 0 before the deploy, then the rollback's confirmation of stable");
    assert.equal(sim.cloudwatch.metricRequests.length, 0);
    assert.deepEqual(final.hookOutcomes.map((outcome) => [outcome.hook, outcome.exitCode]), [["migrate", 1]]);
  });

  it("gives no weight to a canary whose targets the ALB does not see healthy (DescribeTargetHealth)", async () => {
    const sim = start();
    sim.alb.targetHealth.set(CANARY_TG_ARN, ["unhealthy", "initial"]);
    const final = await sim.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /canary is not healthy on the router before a shift to canary 10%: 0 of 2 canary target\(s\) healthy on the ALB \(unhealthy, initial\)/);
    assert.deepEqual(sim.alb.canaryWeights(), [0, 0]);
  });

  it("takes an abort from another machine through the shared bucket and rolls back", async () => {
    const sim = start();
    // During the first step's bake (deploy and hooks take no virtual time here).
    sim.clock.at(sim.clock.now() + 30_000, () => void sim.elsewhere.request("production", operatorRequest("abort", CI.id, sim.clock.now(), "alice@laptop", "wrong image")));
    const final = await sim.run();
    assert.equal(final.phase, "aborted");
    assert.match(final.reason ?? "", /aborted by alice@laptop: wrong image/);
    assert.deepEqual(sim.alb.canaryWeights(), [0, 10, 0]);
    assert.equal((await sim.elsewhere.load("production"))?.phase, "aborted");
  });

  it("refuses a second rollout of the environment from another machine while one holds the lock", async () => {
    const sim = start();
    const held = await sim.elsewhere.acquireLock("production", { id: "rollout-laptop", host: "laptop", pid: 77, startedAt: sim.clock.now() });
    assert.ok(held.ok);
    const refused = await sim.target.store.acquireLock("production", CI);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.heldBy.id, "rollout-laptop");
    assert.equal(!refused.ok && refused.stale, false);
    assert.equal(sim.alb.mock.commandCalls(ModifyListenerCommand).length, 0);
    assert.deepEqual(sim.standIn.calls(), []);
  });
});
