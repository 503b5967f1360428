import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSX = import.meta.resolve("tsx");

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(script: string, args: readonly string[], cwd: string): ChildProcess {
  return spawn(process.execPath, ["--import", TSX, path.join(REPO, script), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/** Waits for the process to exit, killing it after `timeoutMs` so that a hung test cannot hang the suite. */
function finished(child: ChildProcess, timeoutMs = 30_000): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const cli = (args: readonly string[], cwd: string) => finished(start("scripts/rollout.ts", args, cwd));

function waitForLine(child: ChildProcess, line: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no "${line}" within ${timeoutMs} ms; got ${seen}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split("\n").includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

describe("rollout CLI", function () {
  this.timeout(60_000);
  let cwd: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    cwd = await fs.mkdtemp(path.join(os.tmpdir(), "rollout-cli-"));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
    await fs.rm(cwd, { recursive: true, force: true });
  });

  it("reports every bad input at once with field, value and fix, exits 2 and changes nothing", async () => {
    const result = await cli(["start", "--steps", "10,5,120", "--bake", "1s", "--interval", "5s", "--max-p95", "fast", "--target", "mars", "--env", "../x", "--colour", "red"], cwd);
    assert.equal(result.code, 2);
    for (const expected of [
      /--colour="--colour" is not an option/,
      /--env="..\/x" is not a plain name/,
      /--target="mars" is not a known target; fix: use one of: .*local/,
      /--steps="10,5,120" has a weight outside 1-100/,
      /--steps="10,5,120" is not strictly increasing/,
      /--steps="10,5,120" does not end at 100/,
      /--bake="1s" is shorter than --interval \(5s\)/,
      /--max-p95="fast" is not a number >= 1; fix: give a number >= 1/,
      /--image="\(missing\)" is required/,
    ]) {
      assert.match(result.stderr, expected);
    }
    assert.match(result.stderr, /nothing was changed/);
    assert.deepEqual(await fs.readdir(cwd), []);
  });

  it("prints the plan with the estimated duration, as text and JSON, without touching anything", async () => {
    const text = await cli(["plan", "--steps", "5,25,100", "--bake", "2m", "--interval", "20s"], cwd);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^\s+2\s+25%\s+75%\s+2m\s+4m$/m);
    assert.match(text.stdout, /estimated duration: 6m \(3 bakes of 2m\)/);
    const json = await cli(["plan", "--json", "--stack", "staging", "--target", "local", "--env", "staging"], cwd);
    assert.equal(json.code, 2, "a stack with the local target is contradictory");
    const parsed = await cli(["plan", "--json"], cwd);
    assert.equal(parsed.code, 0, parsed.stderr);
    const plan = JSON.parse(parsed.stdout) as { estimatedDurationMs: number; plan: { steps: number[] } };
    assert.deepEqual(plan.plan.steps, [10, 50, 100]);
    assert.equal(plan.estimatedDurationMs, 180_000);
    assert.deepEqual(await fs.readdir(cwd), []);
  });

  it("takes every declared metric limit and analysis setting as a flag, and describes the statistics in the plan", async () => {
    const tuned = await cli(["plan", "--json", "--max-error-rate", "2", "--fail-confidence", "99.9", "--baseline-p95-delta", "150", "--no-baseline", "--rollout-failure-limit", "3", "--max-bake", "5m"], cwd);
    assert.equal(tuned.code, 0, tuned.stderr);
    const { plan } = JSON.parse(tuned.stdout) as { plan: { thresholds: Record<string, number>; baseline: boolean; rolloutFailureLimit: number; maxBakeMs: number } };
    assert.deepEqual([plan.thresholds.max5xxRate, plan.thresholds.failConfidence, plan.thresholds.baselineP95DeltaMs, plan.baseline, plan.rolloutFailureLimit, plan.maxBakeMs], [0.02, 0.999, 150, false, 3, 300_000]);
    const text = await cli(["plan"], cwd);
    assert.match(text.stdout, /rates judged by 95% one-sided Wilson bounds over the rollout so far, failing only with >= 5 failed requests; canary vs stable over the same windows/);
    assert.match(text.stdout, /failures tolerated: 0 per step, 0 per rollout, 0 in a row/);
    const bad = await cli(["plan", "--confidence", "100", "--min-failures", "0"], cwd);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--confidence="100" is not a number between 50 and 99\.99/);
    assert.match(bad.stderr, /--min-failures="0" is not an integer >= 1/);
  });

  it("shows status and refuses a second start from other processes, then aborts the running rollout", async () => {
    const runner = start("test/support/rollout-fake-runner.ts", ["cli-env", "60000"], cwd);
    children.push(runner);
    const runnerDone = finished(runner, 45_000);
    await waitForLine(runner, "baking");

    const status = await cli(["status", "--env", "cli-env", "--json"], cwd);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { state: { phase: string; holder: { pid: number } }; lock: { stale: boolean } };
    assert.match(shown.state.phase, /baking|analysing/);
    assert.equal(shown.state.holder.pid, runner.pid);
    assert.equal(shown.lock.stale, false);

    const second = await cli(["start", "--env", "cli-env", "--image", "sample-app:9.9.9"], cwd);
    assert.equal(second.code, 2);
    assert.match(second.stderr, new RegExp(`refused: a rollout of cli-env is already running: fake-${runner.pid} \\(.*pid ${runner.pid}`));

    const abort = await cli(["abort", "--env", "cli-env", "--reason", "test says stop"], cwd);
    assert.equal(abort.code, 0, abort.stderr);
    assert.match(abort.stdout, /abort acknowledged by rollout fake-\d+ .*: rolling back from (baking|analysing)/);

    const result = await runnerDone;
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /final aborted aborted by .*: test says stop/);
    const after = await cli(["status", "--env", "cli-env"], cwd);
    assert.match(after.stdout, /ABORTED/);
    assert.match(after.stdout, /lock: free/);
  });

  it("after kill -9, names the dead holder and takes its lock over only with --take-over-stale", async () => {
    const runner = start("test/support/rollout-fake-runner.ts", ["killed-env", "60000"], cwd);
    children.push(runner);
    const runnerDone = finished(runner, 45_000);
    await waitForLine(runner, "baking");
    runner.kill("SIGKILL");
    await runnerDone;
    for (const command of ["resume", "abort", "promote"]) {
      const refused = await cli([command, "--env", "killed-env"], cwd);
      assert.equal(refused.code, 2, `${command}: ${refused.stderr}`);
      assert.match(refused.stderr, new RegExp(`fake-${runner.pid} .* STALE: that process is gone; add --take-over-stale`));
    }
    const status = await cli(["status", "--env", "killed-env"], cwd);
    assert.match(status.stdout, /BAKING|ANALYSING/);
    assert.match(status.stdout, /STALE/);
  });

  it("refuses a request the running rollout cannot act on (rolling-back, deploying), leaving nothing queued", async () => {
    const runner = start("test/support/rollout-fake-runner.ts", ["busy-env", "60000"], cwd);
    children.push(runner);
    const runnerDone = finished(runner, 45_000);
    await waitForLine(runner, "baking");
    // The live runner holds the lock; pretend it is rolling back by editing its state as it would be.
    const stateFile = path.join(cwd, ".readiness", "rollouts", "busy-env", "state.json");
    const state = JSON.parse(await fs.readFile(stateFile, "utf8")) as Record<string, unknown>;
    runner.kill("SIGSTOP");
    try {
      await fs.writeFile(stateFile, JSON.stringify({ ...state, phase: "rolling-back", reason: "test" }));
      for (const command of ["abort", "promote"]) {
        const refused = await cli([command, "--env", "busy-env"], cwd);
        assert.equal(refused.code, 2, refused.stdout + refused.stderr);
        assert.match(refused.stderr, new RegExp(`refused: rollout fake-${runner.pid} is rolling-back in .* can no longer act on ${command}`));
      }
      // Before traffic moves, a deploy or hook reads no requests: the refusal names the signal that stops it now.
      await fs.writeFile(stateFile, JSON.stringify({ ...state, phase: "deploying" }));
      const early = await cli(["abort", "--env", "busy-env"], cwd);
      assert.equal(early.code, 2, early.stdout + early.stderr);
      assert.match(early.stderr, new RegExp(`is deploying .* To stop it now, send \`kill -TERM ${runner.pid}\`: it rolls back, verified`));
      assert.deepEqual(await fs.readdir(path.join(cwd, ".readiness", "rollouts", "busy-env", "requests")), []);
    } finally {
      runner.kill("SIGCONT");
      runner.kill("SIGKILL");
      await runnerDone;
    }
  });

  it("withdraws a request the running rollout does not answer in time, so it can never act later", async function () {
    this.timeout(40_000);
    const runner = start("test/support/rollout-fake-runner.ts", ["hung-env", "60000"], cwd);
    children.push(runner);
    const runnerDone = finished(runner, 45_000);
    await waitForLine(runner, "baking");
    runner.kill("SIGSTOP");
    try {
      const abort = await cli(["abort", "--env", "hung-env"], cwd);
      assert.equal(abort.code, 3, abort.stdout + abort.stderr);
      assert.match(abort.stderr, /did not answer the abort within 10 s .* the request was withdrawn and will never act/);
      assert.deepEqual(await fs.readdir(path.join(cwd, ".readiness", "rollouts", "hung-env", "requests")), []);
    } finally {
      runner.kill("SIGCONT");
      runner.kill("SIGKILL");
      await runnerDone;
    }
  });

  it("refuses every command on a damaged state with its path, the problem and the recovery command (exit 2, no crash)", async () => {
    const directory = path.join(cwd, ".readiness", "rollouts", "broken");
    await fs.mkdir(directory, { recursive: true });
    await fs.writeFile(path.join(directory, "state.json"), '{"schemaVersion": 1, "id": "r-trunc');
    for (const args of [["status"], ["abort"], ["resume"], ["start", "--image", "sample-app:2.0.0"]]) {
      const result = await cli([...args, "--env", "broken"], cwd);
      assert.equal(result.code, 2, `${args[0]}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, new RegExp(`refused: ${path.join(directory, "state.json").replaceAll("/", "\\/")} is damaged: not valid JSON`));
      assert.match(result.stderr, /Recover with:\n {2}mv '.*state.json' '.*state.json.damaged'/);
    }
    // Nothing was started for the refused start: no loopback site directory, no lock left.
    assert.deepEqual((await fs.readdir(directory)).filter((name) => name !== "requests"), ["state.json"]);
    await assert.rejects(fs.stat(path.join(cwd, ".readiness", "local", "broken")));
  });

  it("refuses operator commands when no rollout is in progress", async () => {
    const result = await cli(["abort", "--env", "quiet"], cwd);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /refused: no rollout in progress for quiet/);
    const status = await cli(["status", "--env", "quiet"], cwd);
    assert.equal(status.code, 2);
    assert.match(status.stdout, /no rollout recorded for quiet/);
  });
});
