import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { renderHaproxyConfig } from "./haproxy-config.ts";
import { freePort, GaveUpWaiting, isProcessAlive, spawnDetached, stopProcess, tail, waitFor } from "../../shared/processes.ts";
import { LOCAL_DIR_VARIABLE } from "./processes.ts";
import { runtimeCommand, serverStat } from "./runtime-api.ts";
import { slotFiles, startAppVersion } from "./slots.ts";
import type { LocalWatchdogArgs } from "./watchdog-process.ts";
import { startLocalWatchdog } from "./watchdog-process.ts";

/**
 * A running local environment: HAProxy on loopback in front of the stable version of the sample app.
 * Everything a later process needs to find it again is in `<dir>/environment.json`, so `status`, `abort`
 * and `resume` from another shell (or after `kill -9`) talk to the same router and app processes.
 */
export const localEnvironmentSchema = z.object({
  dir: z.string(),
  trafficPort: z.number().int(),
  statsPort: z.number().int(),
  adminSocketPath: z.string(),
  requestLogPath: z.string(),
  haproxyPid: z.number().int(),
  /** The rollout watchdog process started with the environment (rollout/targets/local/watchdog-main.ts), when one was. */
  watchdogPid: z.number().int().optional(),
});
export type LocalEnvironment = z.output<typeof localEnvironmentSchema>;

const ENVIRONMENT_FILE = "environment.json";

export function readLocalEnvironment(dir: string): LocalEnvironment {
  const file = path.join(dir, ENVIRONMENT_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`local environment ${file} cannot be read (${(error as Error).message}); start one with \`npm run demo\` or startLocalEnvironment()`, { cause: error });
  }
  const parsed = localEnvironmentSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`local environment ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

export interface StartLocalEnvironmentArgs {
  /** Directory for the config, sockets, pid/slot files and logs; created if missing. */
  readonly dir: string;
  /** The image the stable server runs at the start, e.g. `sample-app:1.0.0`. */
  readonly stableImage: string;
  /** Starts the rollout watchdog for this environment's rollouts (rollout/targets/local/watchdog.ts) alongside HAProxy. */
  readonly watchdog?: LocalWatchdogArgs;
}

export async function startLocalEnvironment(args: StartLocalEnvironmentArgs): Promise<LocalEnvironment> {
  const dir = path.resolve(args.dir);
  fs.mkdirSync(dir, { recursive: true });
  // UNIX socket paths are limited to ~107 bytes: keep the socket short even when `dir` is deep.
  const adminSocketPath = path.join(fs.mkdtempSync("/tmp/readiness-haproxy-"), "admin.sock");
  const [trafficPort, statsPort, canaryPlaceholderPort] = [await freePort(), await freePort(), await freePort()];
  const stable = await startAppVersion(dir, "stable", args.stableImage);
  slotFiles(dir).write("stable", stable);

  const configPath = path.join(dir, "haproxy.cfg");
  fs.writeFileSync(configPath, renderHaproxyConfig({ trafficPort, statsPort, adminSocketPath, stablePort: stable.port, canaryPort: canaryPlaceholderPort }));
  const requestLogPath = path.join(dir, "haproxy.log");
  const haproxy = spawnDetached("haproxy", ["-db", "-f", configPath], { cwd: dir, env: { ...process.env, [LOCAL_DIR_VARIABLE]: dir }, logPath: requestLogPath });
  const environment: LocalEnvironment = { dir, trafficPort, statsPort, adminSocketPath, requestLogPath, haproxyPid: haproxy.pid };
  fs.writeFileSync(path.join(dir, ENVIRONMENT_FILE), `${JSON.stringify(environment, null, 2)}\n`);
  try {
    await waitFor("haproxy's runtime API", 5_000, async () => {
      if (!isProcessAlive(haproxy.pid)) throw new GaveUpWaiting(`haproxy exited:\n${tail(requestLogPath)}`);
      return (await runtimeCommand(adminSocketPath, "show info")).includes("Name: HAProxy") ? true : undefined;
    });
    // The canary slot is empty until a rollout deploys one: keep its server out of rotation.
    await runtimeCommand(adminSocketPath, "set server app/canary state maint");
    await waitFor("the stable server to pass haproxy's health check", 5_000, async () => ((await serverStat(adminSocketPath, "stable")).status === "UP" ? true : undefined));
  } catch (error) {
    await stopLocalEnvironment(dir);
    throw error;
  }
  if (args.watchdog === undefined) return environment;
  try {
    const withWatchdog = { ...environment, watchdogPid: startLocalWatchdog(dir, args.watchdog) };
    fs.writeFileSync(path.join(dir, ENVIRONMENT_FILE), `${JSON.stringify(withWatchdog, null, 2)}\n`);
    return withWatchdog;
  } catch (error) {
    // Nobody else knows about this environment yet: an environment without its watchdog must not outlive the error.
    await stopLocalEnvironment(dir);
    throw error;
  }
}

/** Stops every process of the environment (app versions, then haproxy). Safe to call twice. */
export async function stopLocalEnvironment(dir: string): Promise<void> {
  const slots = slotFiles(dir);
  const pids = new Set<number>();
  for (const role of ["canary", "stable"] as const) {
    const slot = slots.read(role);
    if (slot !== undefined) pids.add(slot.pid);
  }
  let environment: LocalEnvironment | undefined;
  try {
    environment = readLocalEnvironment(dir);
  } catch {
    await Promise.all([...pids].map((pid) => stopProcess(pid)));
    return;
  }
  // The watchdog first: it must not see the canary vanish and act on an environment being torn down.
  if (environment.watchdogPid !== undefined) await stopProcess(environment.watchdogPid);
  await Promise.all([...pids].map((pid) => stopProcess(pid)));
  await stopProcess(environment.haproxyPid);
  fs.rmSync(path.dirname(environment.adminSocketPath), { recursive: true, force: true });
}
