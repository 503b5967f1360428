import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { newRolloutState } from "../rollout/engine/engine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { LockHolder } from "../rollout/engine/ports.ts";
import { FileStateStore } from "../rollout/store/file-store.ts";
import { operatorRequest } from "./support/rollout-fakes.ts";

const holder = (id: string, pid = process.pid): LockHolder => ({ id, host: os.hostname(), pid, startedAt: Date.now() });

/** A pid that is certainly dead: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid as number;
}

describe("file state store", () => {
  let root: string;
  let store: FileStateStore;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "rollout-store-"));
    store = new FileStateStore({ root });
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("saves and loads state atomically under <root>/<env>/state.json", async () => {
    const state = newRolloutState({ id: "r1", environment: "dev", target: "local", image: "app:2", plan: DEFAULT_PLAN, holder: holder("r1"), now: 1 });
    await store.save(state);
    assert.deepEqual(await store.load("dev"), state);
    assert.equal(await store.load("staging"), undefined);
    const files = await fs.readdir(path.join(root, "dev"));
    assert.ok(!files.some((file) => file.endsWith(".tmp")));
  });

  it("lets exactly one of many concurrent acquirers hold the lock", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.acquireLock("dev", holder(`h${i}`))));
    const winners = results.filter((result) => result.ok);
    assert.equal(winners.length, 1);
    for (const result of results) if (!result.ok) assert.equal(result.heldBy.id, winners[0]?.holder.id);
  });

  it("refuses a live holder, names it, and releases only for the holder", async () => {
    assert.ok((await store.acquireLock("dev", holder("first"))).ok);
    const refused = await store.acquireLock("dev", holder("second"), { takeOverStale: true });
    assert.ok(!refused.ok);
    assert.equal(refused.heldBy.id, "first");
    assert.equal(refused.stale, false);
    await store.releaseLock("dev", holder("second"));
    assert.equal((await store.readLock("dev"))?.holder.id, "first");
    await store.releaseLock("dev", holder("first"));
    assert.equal(await store.readLock("dev"), undefined);
  });

  it("takes a stale lock (dead pid) over only with the explicit flag", async () => {
    assert.ok((await store.acquireLock("dev", holder("dead", await deadPid()))).ok);
    const refused = await store.acquireLock("dev", holder("next"));
    assert.ok(!refused.ok && refused.stale);
    const taken = await store.acquireLock("dev", holder("next"), { takeOverStale: true });
    assert.ok(taken.ok);
    assert.equal(taken.tookOverFrom?.id, "dead");
    await assert.rejects(store.renewLock("dev", holder("dead")), /no longer held by dead \(now next/);
    await store.renewLock("dev", holder("next"));
  });

  it("hands operator requests over in order, once", async () => {
    await store.request("dev", operatorRequest("promote", "r1", 2, "b"));
    await store.request("dev", operatorRequest("abort", "r1", 1, "a"));
    assert.deepEqual((await store.takeRequests("dev")).map((request) => request.by), ["a", "b"]);
    assert.deepEqual(await store.takeRequests("dev"), []);
  });

  it("refuses environment names that are not a plain directory name", async () => {
    await assert.rejects(store.load("../etc"), /environment="..\/etc": expected letters, digits/);
  });
});
