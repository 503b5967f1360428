import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readLoopbackSite } from "../rollout/targets/local/site.ts";
import { isProcessAlive, waitFor } from "../rollout/shared/processes.ts";
import { slotFiles } from "../rollout/targets/local/slots.ts";
import { sweepE2eDirectories } from "./support/cleanup-hooks.ts";
import { E2E_PREFIXES } from "./support/e2e-fixture.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const LOCAL = path.join(ROOT, ".readiness", "local");
const MOCHA = path.join(ROOT, "node_modules", ".bin", "mocha");

function e2eDirs(): string[] {
  return fs.existsSync(LOCAL) ? fs.readdirSync(LOCAL).filter((n) => n.startsWith("e2e-")) : [];
}

/** Every process an e2e environment records in its pid files (haproxy, stable and canary app, the watchdog). */
function recordedPids(dir: string): number[] {
  const slots = slotFiles(dir);
  const environment = readLoopbackSite(dir);
  return [environment.haproxyPid, slots.read("stable")?.pid, slots.read("canary")?.pid, environment.watchdogPid].filter((p): p is number => p !== undefined);
}

/** `npm test`'s runner (mocha with .mocharc.json) on one e2e test, as a developer runs it. */
function runOneE2eTest() {
  const child = spawn(MOCHA, ["test/rollout-e2e.test.ts", "-g", "promotes a healthy version"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

/** Waits until the test's environment runs a canary (the rollout is mid-way) and returns its directory. */
async function rolloutInProgress(before: readonly string[], output: () => string): Promise<{ dir: string; pids: number[] }> {
  return waitFor(`an e2e rollout to be under way\n${output()}`, 40_000, () => {
    const name = e2eDirs().find((n) => !before.includes(n));
    if (name === undefined) return undefined;
    const dir = path.join(LOCAL, name);
    if (slotFiles(dir).read("canary") === undefined) return undefined;
    return { dir, pids: recordedPids(dir) };
  }, 100);
}

describe("an interrupted test run leaves nothing behind", function () {
  this.timeout(120_000);

  it("SIGINT during an end-to-end test stops HAProxy and the apps and removes .readiness/local/e2e-*", async () => {
    const before = e2eDirs();
    const run = runOneE2eTest();
    const { dir, pids } = await rolloutInProgress(before, run.output);
    assert.ok(pids.length >= 3, "haproxy, stable and canary (and the watchdog) are running");
    run.child.kill("SIGINT");
    await run.exited;
    // mocha's wrapper forwards Ctrl-C to its test process as SIGINT and at once SIGTERM; which of the two the
    // test process handles first is up to the kernel and libuv, and the cleanup runs once, for the first.
    assert.match(run.output(), /SIG(?:INT|TERM): cleaned up \([1-9]\d* e2e director(?:y|ies) removed\)/);
    assert.deepEqual(pids.filter(isProcessAlive), [], `no process left:\n${run.output()}`);
    assert.equal(fs.existsSync(dir), false, `${dir} was removed`);
    assert.equal(fs.existsSync(path.join(ROOT, ".readiness", "rollouts", path.basename(dir))), false);
  });

  it("a rerun stops and removes what a run killed with SIGKILL left behind", async () => {
    const before = e2eDirs();
    const killed = runOneE2eTest();
    const { dir, pids } = await rolloutInProgress(before, killed.output);
    // The test process is the one named in the directory (mocha runs the tests in a child of its own).
    const testPid = Number(/^e2e-(\d+)-/.exec(path.basename(dir))?.[1]);
    process.kill(testPid, "SIGKILL");
    await killed.exited;
    assert.ok(pids.some(isProcessAlive), "SIGKILL left the detached processes running (what the rerun must clean)");

    const rerun = spawn(MOCHA, ["test/rollout-local-adapters.test.ts", "-g", "parses"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    rerun.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    rerun.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    await new Promise((resolve) => rerun.on("close", resolve));
    assert.match(output, /cleaned up after an earlier test run that was killed/);
    assert.deepEqual(pids.filter(isProcessAlive), [], output);
    assert.equal(fs.existsSync(dir), false);
  });
});

describe("the sweep of end-to-end directories", function () {
  it("removes every end-to-end file's directories its owner left (e2e-, faults-, wd-), and nothing else", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "sweep-"));
    try {
      const dead = 2 ** 22 + 17;
      const names = [...E2E_PREFIXES.map((p) => `${p}-${dead}-a-test`), `e2e-${process.pid}-mine`, "demo", `other-${dead}-x`];
      for (const name of names) fs.mkdirSync(path.join(root, ".readiness", "local", name), { recursive: true });
      const removed = await sweepE2eDirectories((owner) => owner === dead, root);
      assert.deepEqual(removed.map((d) => path.basename(d)).sort(), E2E_PREFIXES.map((p) => `${p}-${dead}-a-test`).sort());
      assert.deepEqual(fs.readdirSync(path.join(root, ".readiness", "local")).sort(), [`e2e-${process.pid}-mine`, "demo", `other-${dead}-x`].sort());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
