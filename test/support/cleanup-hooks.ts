// Mocha root hook plugin (loaded by .mocharc.json `require`): an interrupted test run leaves nothing behind.
//
// The loopback sites the end-to-end tests start are detached on purpose (they must survive a `kill -9` of
// the rollout CLI), so neither Ctrl-C nor the end of the mocha process stops them. This module stops, on
// SIGINT/SIGTERM, every detached process this test process started, the rollout CLIs it spawned, and the
// environments in `.readiness/local/<prefix>-<pid>-*`; and at the start of a run it stops and removes what an
// earlier run that was killed outright (SIGKILL, a closed terminal) left there.
import fs from "node:fs";
import path from "node:path";
import { stopLoopbackSite } from "../../rollout/targets/local/site.ts";
import { rolloutClisRunning } from "../../rollout/targets/local/rehearsal.ts";
import { detachedProcessesStartedHere, isProcessAlive, waitFor } from "../../rollout/shared/processes.ts";
import { E2E_PREFIXES } from "./e2e-fixture.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** End-to-end environments are named `<prefix>-<pid of the test process>-<test>`: the pid says who owns them. */
const E2E_NAME = new RegExp(`^(?:${E2E_PREFIXES.join("|")})-(\\d+)-`);

/** The process `pid` is a live test run (pids are reused: an unrelated process with that pid owns nothing). */
function isLiveTestRun(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    return /mocha|tsx/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return true;
  }
}

/** Stops the processes recorded in each owned e2e directory (pid files) and removes the directories. */
export async function sweepE2eDirectories(owned: (ownerPid: number) => boolean, root = ROOT): Promise<string[]> {
  const removed: string[] = [];
  for (const parent of [path.join(root, ".readiness", "local"), path.join(root, ".readiness", "rollouts")]) {
    const names = fs.existsSync(parent) ? fs.readdirSync(parent) : [];
    for (const name of names) {
      const owner = E2E_NAME.exec(name);
      if (owner === null || !owned(Number(owner[1]))) continue;
      const dir = path.join(parent, name);
      await stopLoopbackSite(dir).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

async function killGroup(pid: number): Promise<void> {
  try {
    // Detached processes lead their own process group: the group takes anything they started, too.
    process.kill(-pid, "SIGKILL");
  } catch {
    return;
  }
  await waitFor(`process group ${pid} to die`, 2_000, () => (isProcessAlive(pid) ? undefined : true), 20).catch(() => undefined);
}

let interrupted = false;

async function cleanUpAndExit(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\n${signal}: stopping the HAProxy and sample-app processes and the e2e environments this test run started\n`);
  for (const cli of rolloutClisRunning()) cli.kill("SIGKILL");
  await Promise.all(detachedProcessesStartedHere().map(killGroup));
  const removed = await sweepE2eDirectories((owner) => owner === process.pid || !isLiveTestRun(owner));
  process.stderr.write(`${signal}: cleaned up (${removed.length} e2e director${removed.length === 1 ? "y" : "ies"} removed)\n`);
  process.exit(signal === "SIGINT" ? 130 : 143);
}

process.on("SIGINT", (signal) => void cleanUpAndExit(signal));
process.on("SIGTERM", (signal) => void cleanUpAndExit(signal));

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    const removed = await sweepE2eDirectories((owner) => owner !== process.pid && !isLiveTestRun(owner));
    if (removed.length > 0) process.stderr.write(`cleaned up after an earlier test run that was killed: ${removed.map((d) => path.relative(ROOT, d)).join(", ")}\n`);
  },
};
