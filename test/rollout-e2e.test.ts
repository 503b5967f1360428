import assert from "node:assert/strict";
import type { CliRun, Rehearsal } from "../rollout/targets/local/rehearsal.ts";
import { waitFor } from "../rollout/shared/processes.ts";
import { LocalTrafficRouter } from "../rollout/targets/local/router.ts";
import { runtimeCommand } from "../rollout/targets/local/runtime-api.ts";
import { slotFiles } from "../rollout/targets/local/slots.ts";
import { useE2eFixture } from "./support/e2e-fixture.ts";

const STABLE = "sample-app:1.0.0";
/** 200 req/s: at 10 % the canary gets ~20 requests per 1 s window, above the default minimum of 5. */
const LOAD_RATE = 200;
const CLI_TIMEOUT_MS = 45_000;

/** Short bakes so that each rollout takes seconds; the plan's other defaults are the CLI's. */
function startArgs(environment: string, image: string, overrides: Record<string, string> = {}): string[] {
  // At 200 req/s the 10 % step sees 20 req/s; 0 failures in ~270 requests is what shows a rate under 1 % at
  // 95 %, so a healthy canary needs ~14 s there: --max-bake gives the step that long (docs/rollout.md, Statistics).
  const flags: Record<string, string> = { "--steps": "10,50,100", "--bake": "2s", "--interval": "1s", "--max-bake": "20s", ...overrides };
  return ["start", "--target", "local", "--env", environment, "--image", image, "--non-interactive", ...Object.entries(flags).flat()];
}

describe("rollout end to end on loopback (real HAProxy, real processes, CLI as a child process)", function () {
  this.timeout(60_000);
  const e2e = useE2eFixture({ prefix: "e2e", titleLength: 30, cliTimeoutMs: CLI_TIMEOUT_MS });
  const startBench = (): Promise<Rehearsal> => e2e.rehearse({ stableImage: STABLE, ratePerSecond: LOAD_RATE, maxDurationS: 50 });

  /** Everything a finished rollout must leave true, whatever its outcome. */
  async function assertTrafficOnStableOnly(run: CliRun, expectedStable: string): Promise<void> {
    const current = e2e.rehearsal as Rehearsal;
    assert.deepEqual(await new LocalTrafficRouter(current.site.adminSocketPath).readWeights(), { stable: 100, canary: 0 }, run.stdout + run.stderr);
    assert.equal(slotFiles(current.dir).read("stable")?.image, expectedStable);
    assert.equal(slotFiles(current.dir).read("canary"), undefined, "the canary was reset");
    const answer = (await (await fetch(`http://127.0.0.1:${current.site.trafficPort}/`)).json()) as { version: string };
    assert.equal(`sample-app:${answer.version}`, expectedStable.split("?")[0]);
  }

  async function assertRolledBack(image: string, reason: RegExp, overrides: Record<string, string> = {}): Promise<void> {
    await startBench();
    const run = await e2e.cli(startArgs(e2e.environment, image, overrides)).done;
    const state = await e2e.state();
    assert.equal(state.phase, "rolled-back", `${state.reason}\n${run.stdout}${run.stderr}`);
    assert.equal(run.code, 1);
    assert.match(state.reason ?? "", reason);
    await assertTrafficOnStableOnly(run, STABLE);
  }

  it("promotes a healthy version with zero failed requests", async () => {
    const current = await startBench();
    const run = await e2e.cli(startArgs(e2e.environment, "sample-app:2.0.0")).done;
    const state = await e2e.state();
    assert.equal(state.phase, "promoted", `${state.reason}\n${run.stdout}${run.stderr}`);
    assert.equal(run.code, 0);
    assert.deepEqual(state.weightHistory.filter((record) => record.verified).map((record) => record.weights.canary), [0, 10, 50, 100, 0]);
    await assertTrafficOnStableOnly(run, "sample-app:2.0.0");
    const load = await current.stop();
    assert.ok(load.requests > 1_000, `load ran (${load.requests} requests)`);
    assert.equal(load.failed, 0, JSON.stringify(load.statusCounts));
  });

  it("rolls back a canary answering 5xx", () => assertRolledBack("sample-app:3.0.0?error-rate=0.5", /5xx rate/));

  it("rolls back a slow canary", () => assertRolledBack("sample-app:3.0.0?latency-ms=700", /p95/));

  it("rolls back a canary that crashes", () => assertRolledBack("sample-app:3.0.0?crash-after-s=1.5", /unhealthy|no response/));

  it("rolls back a canary that never gets ready, before it receives any traffic", async () => {
    await assertRolledBack("sample-app:3.0.0?readiness-fails=true", /haproxy's health check \(GET \/health\/ready\)/);
    assert.ok((await e2e.state()).weightHistory.every((record) => record.weights.canary === 0), "the canary never got traffic");
  });

  it("rolls back a canary without HSTS and with a wildcard CORS header", () => assertRolledBack("sample-app:3.0.0?headers=insecure", /Strict-Transport-Security missing.*Access-Control-Allow-Origin is the wildcard/));

  it("rolls back before any traffic moves when a pre-traffic hook fails on the canary", async () => {
    // Exit 3 only once the hook has reached the canary through ROLLOUT_CANARY_URL: a smoke test that fails.
    const hook = `smoke=node -e "fetch(process.env.ROLLOUT_CANARY_URL + '/health').then((r) => process.exit(r.ok ? 3 : 1))"`;
    await assertRolledBack("sample-app:2.0.0", /smoke/, { "--hook": hook });
    const state = await e2e.state();
    assert.ok(state.weightHistory.every((record) => record.weights.canary === 0), "the canary never got traffic");
    assert.equal(state.hookOutcomes[0]?.exitCode, 3);
  });

  it("rolls back a canary whose error burst lifts its rate over the rollout above the limit, although each failure is within --failure-limit", async () => {
    await startBench();
    const image = "sample-app:2.1.0?error-rate=1&error-burst-s=0.8";
    const run = await e2e.cli(startArgs(e2e.environment, image, { "--failure-limit": "2" })).done;
    const state = await e2e.state();
    assert.equal(state.phase, "rolled-back", `${state.reason}\n${run.stdout}${run.stderr}`);
    // The burst is over after 0.8 s, but the failed requests stay in the rollout's evidence.
    assert.match(state.reason ?? "", /5xx rate .* window\(s\) so far.*lower bound above the limit/);
    assert.equal(run.code, 1);
    await assertTrafficOnStableOnly(run, STABLE);
  });

  it("rolls back when the metrics source is down for more than the consecutive-error limit", async () => {
    const current = await startBench();
    const running = e2e.cli(startArgs(e2e.environment, "sample-app:2.0.0", { "--bake": "4s", "--consecutive-error-limit": "1" }));
    await waitFor("the first analysis", 20_000, async () => ((await e2e.store.load(e2e.environment))?.analyses.length ?? 0) >= 1 || undefined);
    await runtimeCommand(current.site.adminSocketPath, "shutdown frontend stats");
    const run = await running.done;
    const state = await e2e.state();
    assert.equal(state.phase, "rolled-back", `${state.reason}\n${run.stdout}${run.stderr}`);
    assert.match(state.reason ?? "", /error|could not measure/i);
    const errors = state.analyses.filter((analysis) => analysis.verdict === "error");
    assert.equal(errors.length, 2, "limit 1 tolerates one error, the second rolls back");
    await assertTrafficOnStableOnly(run, STABLE);
  });

  it("rolls back, verified, when the CLI gets SIGTERM mid-bake", async () => {
    await startBench();
    const running = e2e.cli(startArgs(e2e.environment, "sample-app:2.0.0", { "--bake": "5s" }));
    await waitFor("the canary to carry traffic", 20_000, async () => ((await e2e.store.load(e2e.environment))?.phase === "baking" ? true : undefined));
    running.child.kill("SIGTERM");
    const run = await running.done;
    const state = await e2e.state();
    assert.ok(["aborted", "rolled-back"].includes(state.phase), `${state.phase}: ${state.reason}`);
    assert.equal(run.code, 1);
    assert.match(state.reason ?? "", /SIGTERM|signal|interrupt/i);
    await assertTrafficOnStableOnly(run, STABLE);
  });

  it("refuses a second start for the same environment, naming the running one", async () => {
    await startBench();
    const first = e2e.cli(startArgs(e2e.environment, "sample-app:2.0.0", { "--bake": "3s" }));
    const holder = await waitFor("the first rollout's lock", 20_000, async () => (await e2e.store.readLock(e2e.environment))?.holder);
    const second = await e2e.cli(startArgs(e2e.environment, "sample-app:9.9.9")).done;
    assert.equal(second.code, 2, second.stdout + second.stderr);
    assert.match(second.stdout + second.stderr, new RegExp(`${holder.id}|pid ${holder.pid}`));
    const run = await first.done;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    await assertTrafficOnStableOnly(run, "sample-app:2.0.0");
  });

  it("finishes correctly with resume after the CLI was killed with kill -9", async () => {
    const current = await startBench();
    const first = e2e.cli(startArgs(e2e.environment, "sample-app:2.0.0", { "--bake": "3s" }));
    await waitFor("the second step", 20_000, async () => ((await e2e.store.load(e2e.environment))?.stepIndex === 1 ? true : undefined));
    first.child.kill("SIGKILL");
    await first.done;
    assert.equal((await e2e.store.load(e2e.environment))?.finishedAt, undefined, "killed mid-rollout");
    const run = await e2e.cli(["resume", "--target", "local", "--env", e2e.environment, "--non-interactive", "--take-over-stale"]).done;
    const state = await e2e.state();
    assert.equal(state.phase, "promoted", `${state.reason}\n${run.stdout}${run.stderr}`);
    assert.equal(run.code, 0);
    await assertTrafficOnStableOnly(run, "sample-app:2.0.0");
    const load = await current.stop();
    assert.equal(load.failed, 0, JSON.stringify(load.statusCounts));
  });
});
