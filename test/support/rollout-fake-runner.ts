/**
 * A rollout process for CLI tests: the real engine and the real file store under `<cwd>/.readiness/rollouts`,
 * with in-memory router/deployer (no HAProxy), so that `status`, `abort`, `promote` and a second `start` can be
 * exercised from other processes. Usage: rollout-fake-runner.ts <environment> <bake ms>. Exits like the CLI.
 */
import os from "node:os";
import path from "node:path";
import { systemClock } from "../../rollout/engine/clock.ts";
import { newRolloutState, runRollout } from "../../rollout/engine/engine.ts";
import { exitCodeForPhase } from "../../rollout/cli/exit-codes.ts";
import { DEFAULT_PLAN } from "../../rollout/engine/plan.ts";
import { FileStateStore } from "../../rollout/store/file-store.ts";
import { FakeDeployer, FakeHooks, FakeRouter, ScriptedAnalyser } from "./rollout-fakes.ts";

const [environment = "cli-test", bake = "30000"] = process.argv.slice(2);
const store = new FileStateStore({ root: path.join(process.cwd(), ".readiness", "rollouts") });
const holder = { id: `fake-${process.pid}`, host: os.hostname(), pid: process.pid, startedAt: Date.now(), command: "rollout-fake-runner" };
const lock = await store.acquireLock(environment, holder);
if (!lock.ok) {
  process.stdout.write(`refused ${lock.heldBy.id}\n`);
  process.exit(2);
}
const plan = { ...DEFAULT_PLAN, bakeMs: Number(bake), intervalMs: 100, verifyTimeoutMs: 1_000 };
const state = newRolloutState({ id: holder.id, environment, target: "fake", image: "app:2", stableImage: "app:1", plan, holder, now: Date.now() });
await store.save(state);
const controller = new AbortController();
process.on("SIGTERM", () => controller.abort("SIGTERM"));
const final = await runRollout(
  {
    router: new FakeRouter(),
    deployer: new FakeDeployer("app:1"),
    hooks: new FakeHooks(),
    store,
    analysers: [new ScriptedAnalyser([])],
    clock: systemClock,
    reporter: { emit: (event) => event.type === "phase" && event.transition.to === "baking" && event.transition.from === "shifting" && process.stdout.write("baking\n") },
  },
  state,
  { pauseMode: "exit", signal: controller.signal, requestPollMs: 50 },
);
await store.releaseLock(environment, holder);
process.stdout.write(`final ${final.phase} ${final.reason ?? ""}\n`);
process.exit(exitCodeForPhase(final.phase));
