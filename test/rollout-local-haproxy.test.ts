import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalDeployer } from "../rollout/targets/local/deployer.ts";
import type { LoopbackSite } from "../rollout/targets/local/site.ts";
import { readLoopbackSite, startLoopbackSite, stopLoopbackSite } from "../rollout/targets/local/site.ts";
import { startLoad } from "../rollout/targets/local/load.ts";
import { LocalMetricsReader, MetricsSourceError } from "../rollout/targets/local/metrics.ts";
import { isProcessAlive } from "../rollout/shared/processes.ts";
import { LocalTrafficRouter } from "../rollout/targets/local/router.ts";
import { runtimeCommand } from "../rollout/targets/local/runtime-api.ts";
import { slotFiles } from "../rollout/targets/local/slots.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The local adapters against a real HAProxy on loopback, without the engine. */
describe("local target adapters with a real HAProxy", function () {
  this.timeout(40_000);
  let dir: string;
  let environment: LoopbackSite;
  let router: LocalTrafficRouter;
  let deployer: LocalDeployer;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-local-"));
    environment = await startLoopbackSite({ dir, stableImage: "sample-app:1.0.0" });
    router = new LocalTrafficRouter(environment.adminSocketPath);
    deployer = new LocalDeployer(environment);
  });

  afterEach(async () => {
    await stopLoopbackSite(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records where everything is, and stops every process it started", async () => {
    assert.deepEqual(readLoopbackSite(dir), environment);
    await deployer.deployCanary("sample-app:2.0.0");
    const pids = [environment.haproxyPid, slotFiles(dir).read("stable")?.pid, slotFiles(dir).read("canary")?.pid] as number[];
    assert.ok(pids.every(isProcessAlive));
    await stopLoopbackSite(dir);
    assert.deepEqual(pids.map(isProcessAlive), [false, false, false]);
  });

  it("shifts, promotes and resets under steady load without a single failed request", async () => {
    const load = startLoad({ url: `http://127.0.0.1:${environment.trafficPort}/`, ratePerSecond: 200, maxDurationS: 30 });
    try {
      await deployer.deployCanary("sample-app:2.0.0");
      for (const canary of [10, 50, 100]) {
        await router.setWeights({ stable: 100 - canary, canary });
        assert.deepEqual(await router.readWeights(), { stable: 100 - canary, canary });
        await sleep(400);
      }
      await deployer.promote("sample-app:2.0.0");
      await router.setWeights({ stable: 100, canary: 0 });
      await deployer.resetCanary();
      await sleep(400);
    } finally {
      const summary = await load.stop();
      assert.ok(summary.requests > 200, `load ran (${summary.requests} requests)`);
      assert.equal(summary.failed, 0, JSON.stringify(summary.statusCounts));
    }
    assert.deepEqual(await deployer.images(), { stable: "sample-app:2.0.0", canary: undefined });
    const answer = await fetch(`http://127.0.0.1:${environment.trafficPort}/`);
    assert.equal(((await answer.json()) as { version: string }).version, "2.0.0");
  });

  it("measures the canary's 5xx rate and p95 per window, apart from stable", async () => {
    const metrics = new LocalMetricsReader(environment.statsPort, environment.requestLogPath);
    await deployer.deployCanary("sample-app:2.0.0?error-rate=0.5&latency-ms=120");
    const load = startLoad({ url: `http://127.0.0.1:${environment.trafficPort}/`, ratePerSecond: 100, maxDurationS: 10 });
    try {
      await metrics.read();
      await router.setWeights({ stable: 50, canary: 50 });
      await sleep(1_500);
      const window = await metrics.read();
      assert.ok(window.canary.requests >= 20, `canary got traffic (${window.canary.requests})`);
      assert.ok(window.canary.errorRate !== undefined && window.canary.errorRate > 0.2 && window.canary.errorRate < 0.8, `canary 5xx rate ${window.canary.errorRate}`);
      assert.equal(window.stable.status5xx, 0);
      assert.ok((window.canary.p95Ms ?? 0) >= 120, `canary p95 ${window.canary.p95Ms}`);
      assert.ok((window.stable.p95Ms ?? Infinity) < 100, `stable p95 ${window.stable.p95Ms}`);
    } finally {
      await load.stop();
    }
  });

  it("reports the canary unhealthy when it crashes, and the metrics source as down when the stats page is gone", async () => {
    const metrics = new LocalMetricsReader(environment.statsPort, environment.requestLogPath);
    // Ready first (the deploy waits for HAProxy's check to pass), then it crashes.
    await deployer.deployCanary("sample-app:2.0.0?crash-after-s=2.5");
    await assert.rejects(deployer.deployCanary("sample-app:2.0.1?crash-after-s=0.001"), /exited (during start|after it started)/);
    await deployer.deployCanary("sample-app:2.0.0?crash-after-s=2.5");
    await sleep(3_500);
    assert.equal((await metrics.read()).canary.healthy, false);
    await runtimeCommand(environment.adminSocketPath, "shutdown frontend stats");
    await assert.rejects(metrics.read(), MetricsSourceError);
    // Losing the metrics source does not take away the way back.
    await router.setWeights({ stable: 100, canary: 0 });
    assert.deepEqual(await router.readWeights(), { stable: 100, canary: 0 });
  });
});
