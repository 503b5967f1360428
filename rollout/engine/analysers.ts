import { evaluateAlarms, evaluateMetrics, evaluateProbe } from "./evaluate.ts";
import type { AnalysisThresholds, Measurement } from "./model.ts";
import type { AlarmSource, AnalysisContext, Analyser, MetricsSource, ProbeSource, Target } from "./ports.ts";
import { errorMessage } from "../shared/errors.ts";

/** Wraps a raw source: whatever it throws becomes an `error` measurement, never a pass and never a crash. */
async function guarded(analyser: string, metric: string, measure: () => Promise<Measurement[]>): Promise<Measurement[]> {
  try {
    return await measure();
  } catch (error) {
    return [{ analyser, metric, status: "error", message: `could not measure ${metric}: ${errorMessage(error)}` }];
  }
}

/**
 * Samples the canary and, for the baseline comparison, stable over the same window. Stable that cannot be
 * measured only loses the comparison (the canary is still judged on its own); the canary failing to be
 * measured is an error.
 */
export function metricsAnalyser(source: MetricsSource, thresholds: AnalysisThresholds, baseline = true): Analyser {
  return {
    name: `metrics(${source.name})`,
    measure: (context: AnalysisContext) =>
      guarded("metrics", "metrics", async () => {
        const [canary, stable] = await Promise.all([
          source.sample({ ...context, version: "canary" }),
          baseline ? source.sample({ ...context, version: "stable" }).catch(() => undefined) : Promise.resolve(undefined),
        ]);
        return evaluateMetrics({ canary, ...(stable ? { stable } : {}), history: context.history ?? [], thresholds, baseline });
      }),
  };
}

export function probeAnalyser(source: ProbeSource, paths: readonly string[]): Analyser {
  return {
    name: `probes(${source.name})`,
    measure: async (context: AnalysisContext) => {
      const rounds = await Promise.all(paths.map((path) => guarded("probes", `GET ${path}`, async () => evaluateProbe(path, await source.probe(path, context.version, context.signal), context.version))));
      return rounds.flat();
    },
  };
}

export function alarmAnalyser(source: AlarmSource): Analyser {
  return {
    name: `alarms(${source.name})`,
    measure: (context: AnalysisContext) => guarded("alarms", "alarms", async () => evaluateAlarms(await source.alarms(context))),
  };
}

/** The analysers a target's raw sources give, with the plan's thresholds, plus the target's own. */
export function analysersFor(target: Pick<Target, "metrics" | "probes" | "alarms" | "analysers">, thresholds: AnalysisThresholds, probePaths: readonly string[], baseline = true): Analyser[] {
  return [
    ...(target.metrics ? [metricsAnalyser(target.metrics, thresholds, baseline)] : []),
    ...(target.probes && probePaths.length > 0 ? [probeAnalyser(target.probes, probePaths)] : []),
    ...(target.alarms ? [alarmAnalyser(target.alarms)] : []),
    ...(target.analysers ?? []),
  ];
}

/** Runs every analyser on the canary; an analyser that throws anyway is recorded as an error. */
export async function analyse(analysers: readonly Analyser[], context: AnalysisContext): Promise<Measurement[]> {
  const results = await Promise.all(analysers.map((analyser) => guarded(analyser.name, analyser.name, async () => [...(await analyser.measure(context))])));
  return results.flat();
}
