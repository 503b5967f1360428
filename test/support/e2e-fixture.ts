import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { RolloutState } from "../../rollout/engine/model.ts";
import { FileStateStore } from "../../rollout/store/file-store.ts";
import { processesOf } from "../../rollout/targets/local/processes.ts";
import type { Rehearsal, RolloutEntry, RunningCli } from "../../rollout/targets/local/rehearsal.ts";
import { spawnRolloutCli, startRehearsal } from "../../rollout/targets/local/rehearsal.ts";
import { loopbackSiteDir, stopLoopbackSite } from "../../rollout/targets/local/site.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** The end-to-end files' name prefixes; the cleanup hooks sweep every one of them after an interrupted run. */
export const E2E_PREFIXES = ["e2e", "faults", "wd"] as const;

export interface E2eFixtureOptions {
  /** Each test's environment is `<prefix>-<pid>-<its title>`, so parallel runs and earlier runs never collide. */
  readonly prefix: (typeof E2E_PREFIXES)[number];
  /** How much of the test title goes into the name. */
  readonly titleLength: number;
  /** Default bound of a CLI process; it is killed with SIGKILL after it. */
  readonly cliTimeoutMs: number;
}

/**
 * The per-test fixture of the end-to-end rollout tests on the loopback site: an environment named after the
 * test, its rehearsal (site under load), the CLIs the test spawned, and the state store. The teardown leaves
 * nothing behind, also after a test that failed half-way or whose rollout started the site itself: the CLIs are
 * killed, the rehearsal stopped, then whatever is left of the site is stopped (its processes found by their
 * marker, READINESS_LOCAL_DIR) and its files and rollout state removed.
 */
export class E2eFixture {
  readonly store = new FileStateStore({ root: path.join(ROOT, ".readiness", "rollouts") });
  /** The current test's environment (`--env`). */
  environment = "";
  /** Its loopback site's directory. */
  dir = "";
  /** The rehearsal the current test started, if any. */
  rehearsal: Rehearsal | undefined;
  private readonly clis: RunningCli[] = [];

  constructor(private readonly options: E2eFixtureOptions) {}

  begin(title: string): void {
    this.environment = `${this.options.prefix}-${process.pid}-${title.replace(/[^a-z0-9]+/gi, "-").slice(0, this.options.titleLength)}`;
    this.dir = loopbackSiteDir(ROOT, this.environment);
  }

  async end(): Promise<void> {
    for (const cli of this.clis.splice(0)) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
    await this.rehearsal?.stop();
    this.rehearsal = undefined;
    await stopLoopbackSite(this.dir);
    for (const pid of processesOf(this.dir)) process.kill(pid, "SIGKILL");
    fs.rmSync(path.join(ROOT, ".readiness", "rollouts", this.environment), { recursive: true, force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Starts the test's loopback site under load (stopped by the teardown if the test does not stop it). */
  async rehearse(options: Omit<Parameters<typeof startRehearsal>[0], "environmentName">): Promise<Rehearsal> {
    this.rehearsal = await startRehearsal({ environmentName: this.environment, ...options });
    return this.rehearsal;
  }

  /** The rollout CLI as its own process (killed by the teardown if still running). */
  cli(args: readonly string[], options: { readonly entry?: RolloutEntry; readonly timeoutMs?: number } = {}): RunningCli {
    const running = spawnRolloutCli(args, { timeoutMs: options.timeoutMs ?? this.options.cliTimeoutMs, ...(options.entry ? { entry: options.entry } : {}) });
    this.clis.push(running);
    return running;
  }

  /** The stored state of the test's rollout, which must exist. */
  async state(): Promise<RolloutState> {
    const loaded = await this.store.load(this.environment);
    assert.ok(loaded, "the rollout left its state in the store");
    return loaded;
  }
}

/** An E2eFixture with mocha's beforeEach/afterEach registered in the calling `describe`. */
export function useE2eFixture(options: E2eFixtureOptions): E2eFixture {
  const fixture = new E2eFixture(options);
  beforeEach(function () {
    fixture.begin(this.currentTest?.title ?? "t");
  });
  afterEach(() => fixture.end());
  return fixture;
}
