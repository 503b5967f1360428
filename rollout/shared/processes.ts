import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

/**
 * Process helpers any target may use (the local target's HAProxy and app versions, the state store's stale-lock
 * check): they own no target and no store.
 */

/** True when `pid` names a live process on this host (EPERM: alive but not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A free loopback TCP port (the OS picks it; there is a small race until the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Thrown by a `waitFor` check when waiting longer cannot help (the process being waited for has exited). */
export class GaveUpWaiting extends Error {}

/**
 * Polls `check` until it returns a value other than undefined, or throws with `what` after `timeoutMs`.
 * A check that throws GaveUpWaiting ends the wait at once with that error.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GaveUpWaiting) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Detached processes this process started and has not stopped yet. They outlive it on purpose (see
 * spawnDetached); a test run that is interrupted stops them from here, so nothing is left behind.
 */
const startedHere = new Set<number>();

export function detachedProcessesStartedHere(): number[] {
  return [...startedHere];
}

export interface DetachedProcess {
  readonly pid: number;
  readonly logPath: string;
}

/**
 * Starts a process in its own process group with stdout/stderr appended to `logPath`. It outlives the process
 * that started it on purpose: a rollout killed with `kill -9` leaves the router and the app versions running,
 * and the `resume` that follows finds them again through the pid files.
 */
export function spawnDetached(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; logPath: string }): DetachedProcess {
  const log = fs.openSync(options.logPath, "a");
  try {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", log, log] });
    if (child.pid === undefined) throw new Error(`could not start ${command}: is it installed and on PATH?`);
    // A command that cannot start reports it asynchronously; the caller's liveness checks see the exit.
    child.once("error", () => undefined);
    child.unref();
    startedHere.add(child.pid);
    return { pid: child.pid, logPath: options.logPath };
  } finally {
    fs.closeSync(log);
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. Resolves once it is gone. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  startedHere.delete(pid);
  if (!isProcessAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  try {
    await waitFor(`process ${pid} to exit`, graceMs, () => (isProcessAlive(pid) ? undefined : true), 50);
  } catch {
    if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
    await waitFor(`process ${pid} to die after SIGKILL`, 2_000, () => (isProcessAlive(pid) ? undefined : true), 20);
  }
}

export function tail(path: string, lines = 10): string {
  try {
    return fs.readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
