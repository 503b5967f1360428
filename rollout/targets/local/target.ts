import fs from "node:fs";
import path from "node:path";
import { httpProbe } from "../../shared/http-probe.ts";
import { LocalDeployer } from "./deployer.ts";
import type { LoopbackSite } from "./site.ts";
import { attachLoopbackSite, loopbackSiteDir, rolloutStateRoot, startLoopbackSite, stopLoopbackSite } from "./site.ts";
import { runLocalHook } from "./hooks.ts";
import type { RunningLoad } from "./load.ts";
import { startLoad } from "./load.ts";
import { LocalMetricsReader, versionSample } from "./metrics.ts";
import { LocalTrafficRouter } from "./router.ts";
import { parseLocalImage } from "./image.ts";
import { slotFiles } from "./slots.ts";
import type { HttpResponseSample, VersionMetricsSample } from "../../engine/model.ts";
import type { Deployer, HookRunner, MetricsSource, ProbeSource, Target, TargetFactory, TargetOptions, TrafficRouter } from "../../engine/ports.ts";
import { isTerminal } from "../../engine/machine.ts";
import { FileStateStore } from "../../store/file-store.ts";

/** Stable version of a loopback site the target starts itself (none was running). */
export const DEFAULT_LOCAL_STABLE_IMAGE = "sample-app:1.0.0";
/** Traffic the target sends through HAProxy when it started the site itself, so metrics are real. */
const STANDALONE_LOAD_RATE = 100;

function metricsSource(site: LoopbackSite): MetricsSource {
  const reader = new LocalMetricsReader(site.statsPort, site.requestLogPath);
  // The baseline: without it the first window would hold every earlier rollout's traffic. If the stats
  // page is down now, the first sample fails instead, which the engine counts as an error.
  const baseline = reader.read().catch(() => undefined);
  return {
    name: `haproxy stats 127.0.0.1:${site.statsPort}`,
    async sample(context): Promise<VersionMetricsSample> {
      await baseline;
      return versionSample((await reader.read([context.version]))[context.version]);
    },
  };
}

function probeSource(site: LoopbackSite): ProbeSource {
  return {
    name: "direct HTTP to each version's process",
    async probe(probePath, version): Promise<HttpResponseSample> {
      // Locally each version is its own process: probing it directly is what `X-Canary: always` does on AWS.
      const slot = slotFiles(site.dir).read(version);
      const url = `http://127.0.0.1:${slot?.port ?? 0}${probePath}`;
      if (slot === undefined) return { url, headers: {}, body: "", durationMs: 0, error: `no ${version} version is deployed` };
      return httpProbe({ url, timeoutMs: 1_000 });
    },
  };
}

function hookRunner(cwd: string, site: LoopbackSite): HookRunner {
  return {
    async run(hook, context) {
      const canaryPort = slotFiles(site.dir).read("canary")?.port;
      const result = await runLocalHook(hook.command, {
        cwd,
        timeoutMs: hook.timeoutMs,
        env: { ROLLOUT_IMAGE: context.image, ROLLOUT_CANARY_URL: canaryPort === undefined ? "" : `http://127.0.0.1:${canaryPort}` },
      });
      const logLocation = path.join(site.dir, `hook-${hook.name}-${Date.now()}.log`);
      fs.writeFileSync(logLocation, result.outputTail);
      const verdict = result.timedOut ? `timed out after ${hook.timeoutMs} ms` : `exited ${result.exitCode}`;
      return { ok: result.exitCode === 0, exitCode: result.timedOut ? null : result.exitCode, logLocation, durationMs: result.durationMs, message: `${hook.name}: \`${hook.command}\` ${verdict}` };
    },
  };
}

/**
 * The rollout of `environment` that is not finished (or whose rollback failed, so traffic may still reach the
 * canary), or undefined. A damaged state counts as unfinished: nobody can tell, so nothing is stopped.
 */
async function rolloutInProgress(store: FileStateStore, environment: string): Promise<string | undefined> {
  try {
    const state = await store.load(environment);
    if (state === undefined) return undefined;
    return state.phase === "rollback-failed" || !isTerminal(state.phase) ? `${state.id} (${state.phase})` : undefined;
  } catch {
    return "(state unreadable)";
  }
}

/** Adapters for commands that must not touch processes (status, abort, promote, plan) when nothing runs. */
function unavailable<T extends object>(what: string, dir: string): T {
  return new Proxy({} as T, {
    get: () => () => Promise.reject(new Error(`${what}: no loopback site is running in ${dir}; \`npm run rollout -- start\` starts one`)),
  });
}

/**
 * The `local` target: HAProxy on loopback in front of two versions of the sample app (examples/app).
 * It attaches to the loopback site running in `.readiness/local/<environment>/` (started by `npm run demo`,
 * the tests, or an earlier `start`). For `start`/`resume` with nothing running it starts one itself, with
 * steady load through HAProxy so that the analysis measures real traffic, and stops it all on `close()`.
 */
export const createTarget: TargetFactory = async (options: TargetOptions): Promise<Target> => {
  const dir = loopbackSiteDir(options.cwd, options.environment);
  const stateRoot = rolloutStateRoot(options.cwd);
  const store = new FileStateStore({ root: stateRoot });
  let site = attachLoopbackSite(dir);
  let load: RunningLoad | undefined;
  let startedHere = site === undefined && (options.purpose === "start" || options.purpose === "resume");
  if (startedHere) {
    options.log(`local: no loopback site running in ${dir}; starting HAProxy and ${DEFAULT_LOCAL_STABLE_IMAGE} on loopback`);
    const watchdog = { stateRoot, environment: options.environment };
    site = await startLoopbackSite({ dir, stableImage: DEFAULT_LOCAL_STABLE_IMAGE, watchdog });
    load = startLoad({ url: `http://127.0.0.1:${site.trafficPort}/`, ratePerSecond: STANDALONE_LOAD_RATE, maxDurationS: 6 * 3600 });
  }

  const running = site;
  return {
    name: "local",
    describe: () =>
      running === undefined
        ? `local: HAProxy on loopback (not running; \`start\` starts it in ${dir})`
        : [
            `local: HAProxy 127.0.0.1:${running.trafficPort} -> servers stable/canary (weights via ${running.adminSocketPath})`,
            `metrics: http://127.0.0.1:${running.statsPort}/stats;csv (5xx, health) + request log ${running.requestLogPath} (p95)`,
          ].join("\n"),
    router: running ? (new LocalTrafficRouter(running.adminSocketPath) satisfies TrafficRouter) : unavailable<TrafficRouter>("router", dir),
    deployer: running ? (new LocalDeployer(running) satisfies Deployer) : unavailable<Deployer>("deployer", dir),
    hooks: running ? hookRunner(options.cwd, running) : unavailable<HookRunner>("hooks", dir),
    store,
    metrics: running ? metricsSource(running) : undefined,
    probes: running ? probeSource(running) : undefined,
    async close() {
      if (load !== undefined) await load.stop();
      load = undefined;
      if (!startedHere) return;
      const unfinished = await rolloutInProgress(store, options.environment);
      if (unfinished === undefined) {
        await stopLoopbackSite(dir);
        startedHere = false;
      } else {
        // The canary keeps serving while a rollout is paused or needs a person: stopping it would leave its
        // traffic with nowhere to go, and a later `resume`/`promote` with nothing real to promote.
        options.log(`local: rollout ${unfinished} is not finished; the loopback site keeps running in ${dir} (\`npm run rollout -- resume|abort --env ${options.environment}\` finishes it)`);
      }
    },
  };
};

/** The local target runs only the sample app (`sample-app:<version>[?faults]`). */
export function imageProblems(image: string): { problem: string; fix: string }[] {
  const parsed = parseLocalImage(image);
  return parsed.ok ? [] : parsed.problems.map((problem) => ({ problem: problem.replace(/^image="[^"]*": /, ""), fix: "faults and versions: docs/rollout-local.md" }));
}
