import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { S3StateStore } from "../rollout/targets/aws/s3-store.ts";
import { newRolloutState } from "../rollout/engine/engine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import { StoreDamageError } from "../rollout/store/damage.ts";
import { StateConflictError } from "../rollout/engine/ports.ts";
import type { LockHolder } from "../rollout/engine/model.ts";
import { awsError, FakeS3, restoreAwsMocks } from "./rollout-aws-fakes.ts";
import { FakeClock, operatorRequest } from "./support/rollout-fakes.ts";

const BUCKET = "readiness-production-rollout-state";
const LAPTOP: LockHolder = { id: "rollout-laptop", host: "laptop", pid: 101, startedAt: 1_700_000_000_000 };
const CI: LockHolder = { id: "rollout-ci", host: "ci-runner", pid: 202, startedAt: 1_700_000_000_000 };

/** Two machines sharing one bucket: separate store instances, separate host names, one S3. */
function machines(s3: FakeS3, clock: FakeClock) {
  const store = (hostname: string) => new S3StateStore({ client: s3.client, bucket: BUCKET, clock, hostname, staleAfterMs: 60_000 });
  return { laptop: store("laptop"), ci: store("ci-runner") };
}

describe("rollout on AWS: state and lock in S3", () => {
  after(restoreAwsMocks);
  it("creates the lock with If-None-Match so a second machine is refused, naming the holder", async () => {
    const s3 = new FakeS3();
    const clock = new FakeClock();
    const { laptop, ci } = machines(s3, clock);
    const first = await laptop.acquireLock("production", LAPTOP);
    assert.equal(first.ok, true);
    const second = await ci.acquireLock("production", CI);
    assert.deepEqual(second.ok ? undefined : [second.heldBy.id, second.heldBy.host, second.stale], ["rollout-laptop", "laptop", false]);
    const put = s3.mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    assert.equal(put?.Key, "rollouts/production/lock.json");
    assert.equal(put?.IfNoneMatch, "*");
    // Another environment has its own lock.
    assert.equal((await ci.acquireLock("staging", CI)).ok, true);
  });

  it("takes a stale lock over only with the explicit flag, and only one of two racing machines wins", async () => {
    const s3 = new FakeS3();
    const clock = new FakeClock();
    const { laptop, ci } = machines(s3, clock);
    assert.ok((await laptop.acquireLock("production", LAPTOP)).ok);
    clock.at(clock.now() + 61_000, () => undefined);
    await clock.sleep(61_000);
    const refused = await ci.acquireLock("production", CI);
    assert.deepEqual(refused.ok ? undefined : [refused.heldBy.id, refused.stale], ["rollout-laptop", true]);

    const third = new S3StateStore({ client: s3.client, bucket: BUCKET, clock, hostname: "third" });
    const [a, b] = await Promise.all([ci.acquireLock("production", CI, { takeOverStale: true }), third.acquireLock("production", { ...CI, id: "rollout-third", host: "third" }, { takeOverStale: true })]);
    assert.equal([a, b].filter((result) => result.ok).length, 1, JSON.stringify([a, b]));
    const winner = [a, b].find((result) => result.ok);
    assert.equal(winner?.ok && winner.tookOverFrom?.id, "rollout-laptop");
    // The old holder learns it lost the lock when it next renews.
    await assert.rejects(laptop.renewLock("production", LAPTOP), /no longer held by rollout-laptop \(now rollout-(ci|third)/);
  });

  it("renews the heartbeat with If-Match and releases only its own lock", async () => {
    const s3 = new FakeS3();
    const clock = new FakeClock();
    const { laptop, ci } = machines(s3, clock);
    assert.ok((await laptop.acquireLock("production", LAPTOP)).ok);
    await clock.sleep(30_000);
    await laptop.renewLock("production", LAPTOP);
    assert.equal((await ci.readLock("production"))?.holder.heartbeatAt, clock.now());
    const renewal = s3.mock.commandCalls(PutObjectCommand).at(-1)?.args[0].input;
    assert.match(renewal?.IfMatch ?? "", /^"etag-\d+"$/);
    await ci.releaseLock("production", CI);
    assert.equal((await ci.readLock("production"))?.holder.id, "rollout-laptop");
    await laptop.releaseLock("production", LAPTOP);
    assert.equal(await ci.readLock("production"), undefined);
  });

  it("keeps a held lock fresh in the background (a long `pulumi up` must not look abandoned) until released", async () => {
    const s3 = new FakeS3();
    const clock = new FakeClock();
    const holder = new S3StateStore({ client: s3.client, bucket: BUCKET, clock, hostname: "ci-runner", heartbeatEveryMs: 10 });
    const { laptop } = machines(s3, clock);
    try {
      assert.ok((await holder.acquireLock("production", CI)).ok);
      await clock.sleep(10 * 60_000);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const seen = await laptop.readLock("production");
      assert.deepEqual([seen?.holder.heartbeatAt, seen?.stale], [clock.now(), false]);
      await holder.releaseLock("production", CI);
      const putsAfterRelease = s3.mock.commandCalls(PutObjectCommand).length;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(s3.mock.commandCalls(PutObjectCommand).length, putsAfterRelease);
    } finally {
      holder.close();
    }
  });

  it("shares state and operator requests between machines, oldest request first, each taken once", async () => {
    const s3 = new FakeS3();
    const clock = new FakeClock();
    const { laptop, ci } = machines(s3, clock);
    await laptop.request("production", operatorRequest("resume", "rollout-laptop", 2_000, "alice@laptop"));
    await laptop.request("production", operatorRequest("abort", "rollout-laptop", 1_000, "bob@laptop", "bad deploy"));
    assert.deepEqual((await ci.takeRequests("production")).map((request) => request.by), ["bob@laptop", "alice@laptop"]);
    assert.deepEqual(await ci.takeRequests("production"), []);
    assert.equal(await ci.load("production"), undefined);
  });

  it("lets exactly one of taking and withdrawing a request win (conditional deletes)", async () => {
    const s3 = new FakeS3();
    const clock = new FakeClock();
    const { laptop, ci } = machines(s3, clock);
    const withdrawn = operatorRequest("promote", "rollout-ci", 1_000, "alice@laptop");
    const taken = operatorRequest("abort", "rollout-ci", 2_000, "bob@laptop");
    await laptop.request("production", withdrawn);
    await laptop.request("production", taken);
    assert.equal(await laptop.withdrawRequest("production", withdrawn.id), true);
    assert.deepEqual((await ci.takeRequests("production")).map((request) => request.id), [taken.id]);
    assert.equal(await laptop.withdrawRequest("production", taken.id), false);
    assert.equal(s3.objects.size, 0);
  });

  it("saves the state with If-Match on the ETag read when asked: a write by another machine in between is a StateConflictError", async () => {
    const s3 = new FakeS3();
    const { laptop, ci } = machines(s3, new FakeClock());
    const state = newRolloutState({ id: "r1", environment: "production", target: "aws", image: "app:2", plan: DEFAULT_PLAN, holder: LAPTOP, now: 1 });
    const first = await laptop.save(state);
    const read = await ci.loadVersioned("production");
    assert.equal(read?.version, first, "the version is the object's ETag");
    const second = await laptop.save({ ...state, phase: "shifting" }, first);
    await assert.rejects(ci.save({ ...state, phase: "rolling-back" }, first), (error: Error) => error instanceof StateConflictError && error.message.includes(`s3://${BUCKET}/rollouts/production/state.json changed since it was read`));
    assert.equal((await ci.load("production"))?.phase, "shifting", "the laptop's write stands");
    s3.objects.delete("rollouts/production/state.json");
    await assert.rejects(laptop.save(state, second), StateConflictError, "a state deleted since the read is a change too");
    assert.deepEqual(s3.mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.IfMatch), [undefined, first, first, second]);
  });

  it("refuses a damaged state or lock in S3, naming the key, the problem and how to restore a previous version", async () => {
    const s3 = new FakeS3();
    const { laptop } = machines(s3, new FakeClock());
    const state = newRolloutState({ id: "r1", environment: "production", target: "aws", image: "app:2", plan: DEFAULT_PLAN, holder: LAPTOP, now: 1 });
    await laptop.save(state);
    for (const [body, problem] of [
      ["", /the file is empty/],
      ['{"schemaVersion":1,"id":', /not valid JSON/],
      [JSON.stringify({ ...state, schemaVersion: 3 }), /schemaVersion is 3/],
    ] as const) {
      s3.objects.set("rollouts/production/state.json", { body, etag: '"damaged"' });
      await assert.rejects(
        laptop.load("production"),
        (error: unknown) =>
          error instanceof StoreDamageError &&
          error.location === `s3://${BUCKET}/rollouts/production/state.json` &&
          problem.test(error.problem) &&
          error.recovery.some((line) => line.includes(`aws s3api copy-object --bucket ${BUCKET} --key rollouts/production/state.json`)),
      );
    }
    s3.objects.set("rollouts/production/lock.json", { body: "garbage", etag: '"damaged"' });
    await assert.rejects(laptop.acquireLock("production", LAPTOP), (error: unknown) => error instanceof StoreDamageError && error.recovery.includes(`aws s3 rm s3://${BUCKET}/rollouts/production/lock.json`));
  });

  it("fails fast on AccessDenied naming the bucket and key", async () => {
    const s3 = new FakeS3();
    let calls = 0;
    s3.mock.on(PutObjectCommand).callsFake(() => {
      calls += 1;
      throw awsError("AccessDenied", 403, "Access Denied");
    });
    const { laptop } = machines(s3, new FakeClock());
    await assert.rejects(laptop.acquireLock("production", LAPTOP), /s3:PutObject on s3:\/\/readiness-production-rollout-state\/rollouts\/production\/lock.json failed: AccessDenied: Access Denied/);
    assert.equal(calls, 1);
  });

  it("refuses environment names that would escape their key prefix", async () => {
    const { laptop } = machines(new FakeS3(), new FakeClock());
    await assert.rejects(laptop.load("../production"), /environment="..\/production"/);
  });
});
