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
 * The loopback site: what the local target runs on 127.0.0.1 in place of an ALB and ECS services. HAProxy in
 * front of the sample app's versions (stable, and the canary once deployed), plus the rollout watchdog process.
 * One site per rollout environment, in `.readiness/local/<environment>/`. Everything a later process needs to
 * find it again is in `<dir>/site.json`, so `status`, `abort` and `resume` from another shell (or after
 * `kill -9`) talk to the same router and app processes.
 */
export const loopbackSiteSchema = z.object({
  dir: z.string(),
  trafficPort: z.number().int(),
  statsPort: z.number().int(),
  adminSocketPath: z.string(),
  requestLogPath: z.string(),
  haproxyPid: z.number().int(),
  /** The rollout watchdog process started with the site (rollout/targets/local/watchdog-main.ts), when one was. */
  watchdogPid: z.number().int().optional(),
});
export type LoopbackSite = z.output<typeof loopbackSiteSchema>;

export const SITE_FILE = "site.json";

export function readLoopbackSite(dir: string): LoopbackSite {
  const file = path.join(dir, SITE_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`loopback site ${file} cannot be read (${(error as Error).message}); start one with \`npm run demo\` or startLoopbackSite()`, { cause: error });
  }
  const parsed = loopbackSiteSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`loopback site ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** `<cwd>/.readiness/local/<environment>`: where the loopback site of that rollout environment keeps its files. */
export function loopbackSiteDir(cwd: string, environment: string): string {
  return path.join(cwd, ".readiness", "local", environment);
}

/** `<cwd>/.readiness/rollouts`: where the local target's rollout state (and its watchdog's) lives. */
export function rolloutStateRoot(cwd: string): string {
  return path.join(cwd, ".readiness", "rollouts");
}

/** The site running in `dir`, or undefined when none is (never started, or its haproxy is gone). */
export function attachLoopbackSite(dir: string): LoopbackSite | undefined {
  if (!fs.existsSync(path.join(dir, SITE_FILE))) return undefined;
  const site = readLoopbackSite(dir);
  return isProcessAlive(site.haproxyPid) ? site : undefined;
}

export interface StartLoopbackSiteArgs {
  /** Directory for the config, sockets, pid/slot files and logs; created if missing. */
  readonly dir: string;
  /** The image the stable server runs at the start, e.g. `sample-app:1.0.0`. */
  readonly stableImage: string;
  /** Starts the rollout watchdog for the rollouts of this site's environment (rollout/targets/local/watchdog.ts) alongside HAProxy. */
  readonly watchdog?: LocalWatchdogArgs;
}

export async function startLoopbackSite(args: StartLoopbackSiteArgs): Promise<LoopbackSite> {
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
  const site: LoopbackSite = { dir, trafficPort, statsPort, adminSocketPath, requestLogPath, haproxyPid: haproxy.pid };
  fs.writeFileSync(path.join(dir, SITE_FILE), `${JSON.stringify(site, null, 2)}\n`);
  try {
    await waitFor("haproxy's runtime API", 5_000, async () => {
      if (!isProcessAlive(haproxy.pid)) throw new GaveUpWaiting(`haproxy exited:\n${tail(requestLogPath)}`);
      return (await runtimeCommand(adminSocketPath, "show info")).includes("Name: HAProxy") ? true : undefined;
    });
    // The canary slot is empty until a rollout deploys one: keep its server out of rotation.
    await runtimeCommand(adminSocketPath, "set server app/canary state maint");
    await waitFor("the stable server to pass haproxy's health check", 5_000, async () => ((await serverStat(adminSocketPath, "stable")).status === "UP" ? true : undefined));
  } catch (error) {
    await stopLoopbackSite(dir);
    throw error;
  }
  if (args.watchdog === undefined) return site;
  try {
    const withWatchdog = { ...site, watchdogPid: startLocalWatchdog(dir, args.watchdog) };
    fs.writeFileSync(path.join(dir, SITE_FILE), `${JSON.stringify(withWatchdog, null, 2)}\n`);
    return withWatchdog;
  } catch (error) {
    // Nobody else knows about this site yet: a site without its watchdog must not outlive the error.
    await stopLoopbackSite(dir);
    throw error;
  }
}

/** Stops every process of the site (watchdog, app versions, then haproxy). Safe to call twice. */
export async function stopLoopbackSite(dir: string): Promise<void> {
  const slots = slotFiles(dir);
  const pids = new Set<number>();
  for (const role of ["canary", "stable"] as const) {
    const slot = slots.read(role);
    if (slot !== undefined) pids.add(slot.pid);
  }
  let site: LoopbackSite | undefined;
  try {
    site = readLoopbackSite(dir);
  } catch {
    await Promise.all([...pids].map((pid) => stopProcess(pid)));
    return;
  }
  // The watchdog first: it must not see the canary vanish and act on a site being torn down.
  if (site.watchdogPid !== undefined) await stopProcess(site.watchdogPid);
  await Promise.all([...pids].map((pid) => stopProcess(pid)));
  await stopProcess(site.haproxyPid);
  fs.rmSync(path.dirname(site.adminSocketPath), { recursive: true, force: true });
}
