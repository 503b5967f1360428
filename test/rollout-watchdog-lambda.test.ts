import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeListenersCommand, ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import type { EventBridgeEvent } from "aws-lambda";
import { lambdaModules } from "../components/lambda-package.ts";
import type { WatchdogEnvironment } from "../lambdas/rollout-watchdog/index.ts";
import { handler, watchdog, watchdogEnvironment } from "../lambdas/rollout-watchdog/index.ts";
import { S3StateStore } from "../rollout/targets/aws/s3-store.ts";
import { systemClock } from "../rollout/engine/clock.ts";
import { newRolloutState } from "../rollout/engine/engine.ts";
import { transition } from "../rollout/engine/machine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { LockHolder, RolloutState } from "../rollout/engine/model.ts";
import { awsError, CANARY_TG_ARN, FakeAlb, FakeCloudWatch, FakeS3, LISTENER_ARN, restoreAwsMocks, STABLE_TG_ARN } from "./rollout-aws-fakes.ts";

const BUCKET = "readiness-production-rollout-state";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:readiness-production-alarms";
const ALARMS = ["readiness-production-watchdog-canary-5xx-rate", "readiness-production-watchdog-canary-p95-latency", "readiness-production-watchdog-canary-unhealthy-hosts"];
const CONFIG: WatchdogEnvironment = {
  bucket: BUCKET, prefix: "rollouts/", environment: "production", listenerArn: LISTENER_ARN, stableTargetGroupArn: STABLE_TG_ARN, canaryTargetGroupArn: CANARY_TG_ARN,
  canaryAlarmNames: ALARMS, topicArn: TOPIC, settings: { heartbeatStaleAfterMs: 120_000, abandonedAfterMs: 900_000 },
};
const ROOT = path.resolve(import.meta.dirname, "..");

const alarmEvent: EventBridgeEvent<"CloudWatch Alarm State Change", unknown> = {
  version: "0", id: "e1", "detail-type": "CloudWatch Alarm State Change", source: "aws.cloudwatch", account: "123456789012", time: "2026-11-30T20:00:00Z", region: "eu-west-1",
  resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${ALARMS[0]}`], detail: { alarmName: ALARMS[0], state: { value: "ALARM" } },
};

describe("rollout watchdog Lambda (aws-sdk-client-mock: S3, ELBv2, CloudWatch, SNS)", () => {
  let s3: FakeS3;
  let alb: FakeAlb;
  let cloudwatch: FakeCloudWatch;
  const sns = mockClient(SNSClient);
  const published: { Subject?: string; Message?: string; TopicArn?: string }[] = [];
  let log: string[] = [];

  /** What the orchestrator on a CI runner wrote before it was killed: a rollout baking at 10 % and its lock. */
  async function orchestratorWasKilled(options: { heartbeatAgeMs: number; phase?: "baking" | "paused" | "promoted" } = { heartbeatAgeMs: 10 * 60_000 }): Promise<{ store: S3StateStore; holder: LockHolder; state: RolloutState }> {
    s3.objects.clear();
    const store = new S3StateStore({ client: s3.client, bucket: BUCKET, clock: { ...systemClock, now: () => Date.now() - options.heartbeatAgeMs }, hostname: "ci-runner-7", heartbeatEveryMs: 3_600_000 });
    const holder: LockHolder = { id: "production-20261130T200000Z-abc123", host: "ci-runner-7", pid: 4242, startedAt: Date.now() - 20 * 60_000 };
    const lock = await store.acquireLock("production", holder);
    assert.ok(lock.ok);
    store.close();
    let state = newRolloutState({ id: holder.id, environment: "production", target: "aws", image: "web@sha256:new", stableImage: "web@sha256:old", plan: { ...DEFAULT_PLAN, verifyTimeoutMs: 400, verifyRetryMs: 20 }, holder: lock.holder, now: Date.now() - 20 * 60_000 });
    for (const phase of ["deploying", "pre-traffic-hooks", "shifting", "baking"] as const) state = transition({ ...state, stepIndex: 0 }, phase, Date.now() - 15 * 60_000);
    state = { ...state, weights: { stable: 90, canary: 10 } };
    if (options.phase === "paused") state = transition(transition(state, "analysing", Date.now()), "paused", Date.now(), "inconclusive");
    if (options.phase === "promoted") state = transition(transition(state, "promoting", Date.now()), "promoted", Date.now());
    await store.save(state);
    await alb.client.send(new ModifyListenerCommand({ ListenerArn: LISTENER_ARN, DefaultActions: FakeAlb.forward(90, 10) }));
    await alb.client.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }));
    alb.modifications.length = 0;
    alb.describeCalls = 0;
    s3.mock.resetHistory();
    return { store, holder: lock.holder, state };
  }

  const clients = () => ({ s3: s3.client, elbv2: alb.client, cloudwatch: cloudwatch.client, sns: new SNSClient({ region: "eu-west-1" }) });
  const run = () => watchdog(CONFIG, clients(), (line) => void log.push(JSON.stringify(line)));
  const statePuts = () => s3.mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input).filter((input) => input.Key === "rollouts/production/state.json");

  beforeEach(() => {
    restoreAwsMocks();
    s3 = new FakeS3();
    alb = new FakeAlb(1);
    cloudwatch = new FakeCloudWatch();
    cloudwatch.alarmStates = Object.fromEntries(ALARMS.map((name) => [name, "OK"]));
    sns.reset();
    published.length = 0;
    sns.on(PublishCommand).callsFake((input: (typeof published)[number]) => {
      published.push(input);
      return { MessageId: `m${published.length}` };
    });
    log = [];
  });
  after(() => {
    restoreAwsMocks();
    sns.restore();
  });

  it("alarm in, orchestrator gone: ModifyListener to stable 100 / canary 0, DescribeListeners verifies, the state records the rollback (conditional writes), SNS is notified", async () => {
    const { store, holder } = await orchestratorWasKilled();
    cloudwatch.alarmStates[ALARMS[0] as string] = "ALARM";
    const outcome = await run();

    assert.equal(outcome.result, "rolled-back");
    assert.deepEqual(alb.canaryWeights(), [0]);
    // Every other field of the forward action is kept (Order, stickiness off), and the stable group gets everything.
    assert.deepEqual(alb.modifications[0], FakeAlb.forward(100, 0));
    assert.ok(alb.describeCalls >= 3, "read back until the listener showed the change (it lags one read)");

    const puts = statePuts();
    assert.equal(puts.length, 2, "claim (rolling-back), then the verified end");
    assert.ok(puts.every((input) => typeof input.IfMatch === "string" && input.IfMatch.startsWith('"etag-')), "every state write is conditional on the ETag read");
    // Read back with the orchestrator's own store: the same format `status` and `resume` read.
    const state = await store.load("production");
    assert.equal(state?.phase, "rolled-back");
    assert.match(state?.reason ?? "", /^rolled back by the rollout watchdog: the canary is failing \(alarm readiness-production-watchdog-canary-5xx-rate in ALARM: Threshold Crossed.*\) and the orchestrator is gone: its heartbeat is \d+ s old \(stale after 120 s\)/);
    assert.deepEqual(state?.weights, { stable: 100, canary: 0 });
    assert.deepEqual(state?.weightHistory.at(-1)?.verified, true);
    assert.deepEqual(state?.transitions.slice(-2).map((t) => t.to), ["rolling-back", "rolled-back"]);
    assert.equal(await store.readLock("production"), undefined, `the dead holder's lock (${holder.id}) was released`);

    assert.equal(published.length, 1);
    assert.equal(published[0]?.TopicArn, TOPIC);
    assert.match(published[0]?.Subject ?? "", /^production: rollout production-20261130T200000Z-abc123 rolled back by the watchdog$/);
    assert.match(published[0]?.Message ?? "", /stable 100 \/ canary 0, verified at/);
  });

  it("is idempotent: a second invocation (retry, the next scheduled tick) changes nothing and notifies nobody", async () => {
    await orchestratorWasKilled();
    cloudwatch.alarmStates[ALARMS[2] as string] = "ALARM";
    assert.equal((await run()).result, "rolled-back");
    const before = { modifications: alb.modifications.length, puts: statePuts().length, state: s3.objects.get("rollouts/production/state.json")?.etag };
    const second = await run();
    assert.equal(second.result, "no-op");
    assert.match(second.result === "no-op" ? second.why : "", /is rolled-back: no rollout in progress/);
    assert.deepEqual({ modifications: alb.modifications.length, puts: statePuts().length, state: s3.objects.get("rollouts/production/state.json")?.etag }, before);
    assert.equal(published.length, 1);
  });

  it("does nothing when no rollout is in progress: one GetObject, no alarm or listener call", async () => {
    assert.deepEqual(await run(), { result: "no-op", why: "no rollout recorded" });
    await orchestratorWasKilled({ heartbeatAgeMs: 10 * 60_000, phase: "promoted" });
    s3.mock.resetHistory();
    cloudwatch.mock.resetHistory();
    alb.mock.resetHistory();
    const outcome = await run();
    assert.equal(outcome.result, "no-op");
    assert.equal(s3.mock.commandCalls(GetObjectCommand).length, 1);
    assert.equal(cloudwatch.mock.commandCalls(DescribeAlarmsCommand).length, 0);
    assert.equal(alb.mock.commandCalls(DescribeListenersCommand).length + alb.mock.commandCalls(ModifyListenerCommand).length, 0);
    assert.equal(statePuts().length, 0);
    assert.equal(published.length, 0);
  });

  it("leaves a live orchestrator to roll back its own failing canary, and takes over once it has not within its grace", async () => {
    await orchestratorWasKilled({ heartbeatAgeMs: 10_000 });
    const alarmsSince = (ageMs: number) =>
      cloudwatch.mock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ALARMS[1], StateValue: "ALARM", StateReason: "p95 1.2 s", StateUpdatedTimestamp: new Date(Date.now() - ageMs) }], CompositeAlarms: [] });
    alarmsSince(5_000);
    const deferred = await run();
    assert.equal(deferred.result, "no-op");
    assert.match(deferred.result === "no-op" ? deferred.why : "", /the live orchestrator production-20261130T200000Z-abc123 acts on it \(watchdog acts after \d+ s more\)/);
    assert.equal(alb.modifications.length, 0);
    // DEFAULT_PLAN: (failure limit 0 + 2) x 10 s interval + 0.4 s verify: an alarm older than that is not being acted on.
    alarmsSince(5 * 60_000);
    const outcome = await run();
    assert.equal(outcome.result, "rolled-back");
    assert.match(outcome.result === "rolled-back" ? outcome.reason : "", /has not rolled back within 20 s/);
    assert.ok(s3.objects.has("rollouts/production/lock.json"), "a live holder's lock is never removed");
  });

  it("rolls back an abandoned rollout with a healthy canary only after the abandon deadline, and never a paused one", async () => {
    await orchestratorWasKilled({ heartbeatAgeMs: 5 * 60_000 });
    const early = await run();
    assert.match(early.result === "no-op" ? early.why : "", /rolled back in 600 s unless resumed/);
    await orchestratorWasKilled({ heartbeatAgeMs: 16 * 60_000 });
    const late = await run();
    assert.match(late.result === "rolled-back" ? late.reason : "", /nothing has analysed the canary for 960 s \(deadline 900 s\)/);
    // A rollout paused by a CI job that exited 3 released its lock on purpose: it waits for a person.
    await orchestratorWasKilled({ heartbeatAgeMs: 16 * 60_000, phase: "paused" });
    s3.objects.delete("rollouts/production/lock.json");
    assert.equal((await run()).result, "no-op");
  });

  it("a rollback it cannot verify stays rolling-back with the reason, is notified, and fails the invocation so Lambda retries (then the DLQ)", async () => {
    const { store } = await orchestratorWasKilled();
    cloudwatch.alarmStates[ALARMS[0] as string] = "ALARM";
    alb.failures.modify.push(...Array.from({ length: 1_000 }, () => awsError("ValidationError", 400, "listener is being modified")));
    // The router's error names the call and the listener (the Lambda uses the orchestrator's AlbTrafficRouter).
    await assert.rejects(run(), /could not verify stable 100 \/ canary 0 within 400 ms \(router error: elbv2:ModifyListener on listener arn:\S+ \(stable 100 \/ canary 0\) failed: ValidationError: listener is being modified\)/);
    const state = await store.load("production");
    assert.equal(state?.phase, "rolling-back");
    assert.match(state?.reason ?? "", /watchdog could not verify stable 100 \/ canary 0 within 400 ms/);
    assert.equal(state?.weightHistory.at(-1)?.verified, false);
    assert.match(published[0]?.Subject ?? "", /ROLLBACK NOT VERIFIED$/);

    // The listener recovers; the retry (or the next tick) finishes the interrupted rollback.
    alb.failures.modify.length = 0;
    const retried = await run();
    assert.equal(retried.result, "rolled-back");
    assert.equal((await store.load("production"))?.phase, "rolled-back");
    assert.match((await store.load("production"))?.reason ?? "", /finished the interrupted rollback/);
  });

  it("moves no traffic when the state changed between its read and its claim (someone else acts on the rollout)", async () => {
    await orchestratorWasKilled();
    cloudwatch.alarmStates[ALARMS[0] as string] = "ALARM";
    // A `resume --take-over-stale` writes the state while the watchdog reads the alarms; or someone deletes it.
    for (const change of [(key: string, current: { body: string; etag: string }) => s3.objects.set(key, { ...current, etag: '"etag-resumed"' }), (key: string) => s3.objects.delete(key)]) {
      const key = "rollouts/production/state.json";
      const before = s3.objects.get(key);
      cloudwatch.mock.on(DescribeAlarmsCommand).callsFake(async () => {
        const current = s3.objects.get(key);
        if (current) change(key, current);
        return { MetricAlarms: [{ AlarmName: ALARMS[0], StateValue: "ALARM", StateUpdatedTimestamp: new Date() }] };
      });
      const outcome = await run();
      assert.equal(outcome.result, "conflict");
      assert.equal(alb.modifications.length, 0);
      assert.equal(published.length, 0);
      if (before) s3.objects.set(key, before);
    }
  });

  it("handler: refuses a misconfigured function naming every missing variable", async () => {
    assert.throws(() => watchdogEnvironment({ STATE_BUCKET: BUCKET, ABANDONED_AFTER_SECONDS: "soon" }), (error: Error) =>
      ["ROLLOUT_ENVIRONMENT is not set", "LISTENER_ARN is not set", "CANARY_ALARM_NAMES is not set", "TOPIC_ARN is not set", 'ABANDONED_AFTER_SECONDS="soon" is not a positive number of seconds'].every((part) => error.message.includes(part)));
    await assert.rejects(handler(alarmEvent), /rollout watchdog misconfigured/);
  });

  it("is packaged with exactly the modules it imports, as plain ES modules that load under Node without tsx", async () => {
    const modules = lambdaModules(path.join(ROOT, "lambdas/rollout-watchdog/index.ts"));
    assert.deepEqual(modules.map((module) => module.archivePath), [
      "lambdas/rollout-watchdog/core.js", "lambdas/rollout-watchdog/index.js", "rollout/engine/clock.js", "rollout/engine/evaluate.js", "rollout/engine/machine.js", "rollout/engine/metrics.js", "rollout/engine/model.js", "rollout/engine/ports.js",
      "rollout/engine/shift.js", "rollout/engine/statistics.js", "rollout/shared/errors.js", "rollout/targets/aws/retry.js", "rollout/targets/aws/router.js",
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "watchdog-package-"));
    try {
      for (const module of modules) {
        fs.mkdirSync(path.dirname(path.join(dir, module.archivePath)), { recursive: true });
        fs.writeFileSync(path.join(dir, module.archivePath), module.code);
        assert.doesNotMatch(module.code, /from "[^"]+\.ts"/, `${module.archivePath} imports no .ts file`);
      }
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
      // The runtime provides the AWS SDK; here the repository's node_modules stand in for it.
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      const script = `const m = await import(${JSON.stringify(path.join(dir, "lambdas/rollout-watchdog/index.js"))}); await m.handler({ "detail-type": "Scheduled Event" }).catch((e) => console.log(e.message));`;
      const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "" }, timeout: 30_000 });
      assert.match(stdout, /rollout watchdog misconfigured: STATE_BUCKET is not set/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to package a handler that imports a library the Lambda runtime does not have", () => {
    assert.throws(() => lambdaModules(path.join(ROOT, "rollout/targets/local/watchdog.ts")), /imports zod, which the Lambda runtime does not provide/);
  });
});
