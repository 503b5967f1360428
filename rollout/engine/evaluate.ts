import type { MetricDeclaration } from "./metrics.ts";
import { METRICS, settingValue } from "./metrics.ts";
import type { AlarmState, AnalysisRecord, AnalysisThresholds, HttpResponseSample, Measurement, MeasurementStatus, MetricEvidence, TimeWindow, Version, VersionEvidence, VersionMetricsSample } from "./model.ts";
import type { Counts } from "./statistics.ts";
import { differenceBounds, wilsonBounds } from "./statistics.ts";

/** What the metrics evaluation judges: both versions over the same window, and the rollout's earlier analyses. */
export interface MetricsInput {
  readonly canary: VersionMetricsSample;
  /** Stable over the same window; undefined when it could not be measured or the baseline is off. */
  readonly stable?: VersionMetricsSample;
  /** Earlier analyses of this rollout (rates accumulate over them). */
  readonly history: readonly AnalysisRecord[];
  readonly thresholds: AnalysisThresholds;
  /** Compare the canary with stable (relative margin plus absolute delta). */
  readonly baseline: boolean;
}

interface Settings {
  readonly limit: number;
  readonly confidence: number;
  readonly failConfidence: number;
  readonly minFailures: number;
  readonly minRequests: number;
  readonly margin: number;
  readonly delta?: number;
}

function settingsOf(metric: MetricDeclaration, thresholds: AnalysisThresholds): Settings {
  return {
    limit: settingValue(thresholds, metric.limit.key),
    confidence: settingValue(thresholds, "confidence"),
    failConfidence: settingValue(thresholds, "failConfidence"),
    minFailures: settingValue(thresholds, "minFailures"),
    minRequests: settingValue(thresholds, "minRequests"),
    margin: settingValue(thresholds, "baselineMargin"),
    ...(metric.baselineDelta ? { delta: settingValue(thresholds, metric.baselineDelta.key) } : {}),
  };
}

/**
 * Judges every declared metric of the canary, against its absolute limit and (with `baseline`) against stable
 * over the same window. A failure both versions share is reported as such (`attribution: both-versions`), not
 * as the canary's, unless the canary is also clearly worse than stable.
 */
export function evaluateMetrics(input: MetricsInput): Measurement[] {
  return METRICS.map((metric) => (metric.kind === "rate" ? evaluateRate(metric, input) : evaluateLevel(metric, input)));
}

/**
 * The analysis's fail rule for the 5xx rate on one window, for judges outside the engine (the watchdog): at
 * least `minFailures` failed requests and the lower bound at the fail confidence above the limit.
 */
export function errorRateShowsAbove(counts: Counts, thresholds: AnalysisThresholds): { readonly above: boolean; readonly lower: number } {
  return showsAbove(counts, thresholds.max5xxRate, settingValue(thresholds, "failConfidence"), settingValue(thresholds, "minFailures"));
}

/** "Shows above" a rate limit: enough failed requests to count, and the lower bound above the limit. */
function showsAbove(counts: Counts, limit: number, failConfidence: number, minFailures: number): { readonly above: boolean; readonly lower: number } {
  const lower = wilsonBounds(counts, failConfidence).lower;
  return { above: counts.failures >= minFailures && lower > limit, lower };
}

function overlaps(a: TimeWindow, b: TimeWindow): boolean {
  return a.start < b.end && b.start < a.end;
}

function add(total: Counts, evidence: VersionEvidence | undefined): Counts {
  return { failures: total.failures + (evidence?.failures ?? 0), trials: total.trials + (evidence?.trials ?? 0) };
}

/**
 * The rollout's rate evidence so far plus this window: sums of counts over windows that do not overlap (a
 * CloudWatch window rounded to whole minutes covers the previous one's minute again; counting it twice would
 * double the evidence).
 */
function accumulate(metricId: string, history: readonly AnalysisRecord[], current: { canary: Counts; stable?: Counts; covers?: TimeWindow }) {
  const counted: TimeWindow[] = [];
  let canary: Counts = { failures: 0, trials: 0 };
  let stable: Counts = { failures: 0, trials: 0 };
  let withStable = current.stable !== undefined;
  let windows = 0;
  const take = (covers: TimeWindow | undefined): boolean => {
    if (covers !== undefined && counted.some((window) => overlaps(window, covers))) return false;
    if (covers !== undefined) counted.push(covers);
    windows += 1;
    return true;
  };
  for (const record of history) {
    const evidence = record.measurements.find((measurement) => measurement.metric === metricId && measurement.version === "canary")?.evidence;
    if (evidence?.canary.trials === undefined || !take(evidence.covers)) continue;
    canary = add(canary, evidence.canary);
    if (evidence.stable?.trials === undefined) withStable = false;
    stable = add(stable, evidence.stable);
  }
  if (take(current.covers)) {
    canary = add(canary, current.canary);
    stable = add(stable, current.stable);
  }
  return { canary, ...(withStable ? { stable } : {}), windows };
}

/** Bounds of a rate: the lower one at the (stricter) fail confidence, the upper one at the pass confidence. */
function rateBounds(counts: Counts, settings: Settings): { lower: number; upper: number } {
  return { lower: wilsonBounds(counts, settings.failConfidence).lower, upper: wilsonBounds(counts, settings.confidence).upper };
}

function rateEvidence(counts: Counts, settings: Settings): VersionEvidence {
  return { ...counts, ...(counts.trials > 0 ? { value: counts.failures / counts.trials } : {}), ...rateBounds(counts, settings) };
}

function readRate(metric: MetricDeclaration, sample: VersionMetricsSample | undefined): Counts | undefined {
  const read = sample === undefined ? undefined : metric.read(sample);
  return typeof read === "object" ? read : undefined;
}

function evaluateRate(metric: MetricDeclaration, input: MetricsInput): Measurement {
  const settings = settingsOf(metric, input.thresholds);
  const { limit, failConfidence, minFailures, margin } = settings;
  const canaryWindow = readRate(metric, input.canary) ?? { failures: 0, trials: 0 };
  const stableWindow = readRate(metric, input.stable);
  const accumulated = accumulate(metric.id, input.history, { canary: canaryWindow, ...(stableWindow ? { stable: stableWindow } : {}), ...(input.canary.covers ? { covers: input.canary.covers } : {}) });
  const pairs = [{ canary: canaryWindow, stable: stableWindow, scope: "this window" }, { canary: accumulated.canary, stable: accumulated.stable, scope: `${accumulated.windows} window(s) so far` }];
  const above = (counts: Counts | undefined) => counts !== undefined && showsAbove(counts, limit, failConfidence, minFailures).above;
  const allowed = (stable: Counts) => Math.max(margin * (stable.trials > 0 ? stable.failures / stable.trials : 0), settings.delta ?? 0);
  const worse = (pair: (typeof pairs)[number]) =>
    input.baseline && pair.stable !== undefined && pair.stable.trials > 0 && pair.canary.failures >= minFailures && differenceBounds(pair.canary, pair.stable, failConfidence).lower > allowed(pair.stable);
  const canaryAbove = pairs.find((pair) => above(pair.canary));
  const stableAbove = pairs.find((pair) => above(pair.stable));
  // Against stable only on the accumulated evidence: a window's few canary requests against stable's many
  // made a canary at half the limit look "worse" in about 1 of 40 simulated rollouts (bench/analysis-model.ts).
  const overall = pairs[1] as (typeof pairs)[number];
  const worseThanStable = worse(overall) ? overall : undefined;

  const accumulatedStable = accumulated.stable;
  const evidence: MetricEvidence = {
    canary: rateEvidence(canaryWindow, settings),
    ...(stableWindow ? { stable: rateEvidence(stableWindow, settings) } : {}),
    accumulated: { canary: rateEvidence(accumulated.canary, settings), ...(accumulatedStable ? { stable: rateEvidence(accumulatedStable, settings) } : {}), windows: accumulated.windows },
    ...(input.canary.covers ? { covers: input.canary.covers } : {}),
    limit,
    confidence: { pass: settings.confidence, fail: failConfidence },
    ...(input.baseline && overall.stable && overall.stable.trials > 0
      ? { baselineLimit: overall.stable.failures / overall.stable.trials + allowed(overall.stable), difference: differenceBounds(overall.canary, overall.stable, failConfidence) }
      : {}),
    rule: "too-little-data",
  };
  const conf = `${round(failConfidence * 100)}%`;
  const describe = (counts: Counts, scope: string) => {
    const bounds = rateBounds(counts, settings);
    return `${metric.format(counts.trials > 0 ? counts.failures / counts.trials : 0)} (${counts.failures}/${counts.trials}, ${scope}; ${conf} lower bound ${metric.format(bounds.lower)}, ${round(settings.confidence * 100)}% upper bound ${metric.format(bounds.upper)})`;
  };
  const stableText = stableWindow ? `; stable ${describe(accumulatedStable ?? stableWindow, "same windows")}` : input.baseline ? "; stable not measured" : "";
  const base = { analyser: "metrics", version: "canary" as const, metric: metric.id, threshold: limit, ...(accumulated.canary.trials > 0 ? { value: accumulated.canary.failures / accumulated.canary.trials } : {}) };

  if (canaryAbove && stableAbove && !worseThanStable) {
    return { ...base, status: "inconclusive", attribution: "both-versions", evidence: { ...evidence, rule: "both-failing" }, message: `both versions fail the ${metric.title} limit ${metric.format(limit)}: canary ${describe(canaryAbove.canary, canaryAbove.scope)}, stable ${describe(stableAbove.stable as Counts, stableAbove.scope)}; not the canary's doing, a person must look` };
  }
  if (canaryAbove) {
    return { ...base, status: "fail", attribution: "canary", evidence: { ...evidence, rule: "above-limit" }, message: `canary ${metric.title} ${describe(canaryAbove.canary, canaryAbove.scope)}: lower bound above the limit ${metric.format(limit)} with ${canaryAbove.canary.failures} >= ${minFailures} failed requests${stableText}` };
  }
  if (worseThanStable) {
    const stable = worseThanStable.stable as Counts;
    const difference = differenceBounds(worseThanStable.canary, stable, failConfidence);
    return { ...base, status: "fail", attribution: "canary", evidence: { ...evidence, rule: "worse-than-stable" }, message: `canary ${metric.title} ${describe(worseThanStable.canary, worseThanStable.scope)} is worse than stable ${describe(stable, "same windows")}: the difference's ${conf} lower bound ${metric.format(difference.lower)} exceeds the allowed ${metric.format(allowed(stable))} (margin ${round(margin * 100)}% of stable, at least ${metric.format(settings.delta ?? 0)})` };
  }
  if (accumulated.canary.trials === 0) {
    return { ...base, status: "inconclusive", evidence: { ...evidence, rule: "no-data" }, message: `canary served no request yet: no evidence about its ${metric.title}` };
  }
  if (wilsonBounds(accumulated.canary, settings.confidence).upper <= limit) {
    return { ...base, status: "pass", evidence: { ...evidence, rule: "below-limit" }, message: `canary ${metric.title} ${describe(accumulated.canary, `${accumulated.windows} window(s) so far`)}: upper bound at or below the limit ${metric.format(limit)}${stableText}` };
  }
  return { ...base, status: "inconclusive", evidence, message: `canary ${metric.title} ${describe(accumulated.canary, `${accumulated.windows} window(s) so far`)}: too little evidence to tell it from the limit ${metric.format(limit)} yet${stableText}` };
}

function evaluateLevel(metric: MetricDeclaration, input: MetricsInput): Measurement {
  const settings = settingsOf(metric, input.thresholds);
  const { limit, margin } = settings;
  const valueOf = (sample: VersionMetricsSample | undefined) => {
    const read = sample === undefined ? undefined : metric.read(sample);
    return typeof read === "number" ? read : undefined;
  };
  const canary = valueOf(input.canary);
  const stable = valueOf(input.stable);
  const enough = (sample: VersionMetricsSample | undefined) => metric.baselineDelta === undefined || (sample !== undefined && sample.requests >= settings.minRequests);
  const stableCounts = stable !== undefined && enough(input.stable);
  const baselineLimit = input.baseline && stableCounts && settings.delta !== undefined ? Math.max(stable * (1 + margin), stable + settings.delta) : undefined;
  const evidence: MetricEvidence = {
    canary: { ...(canary === undefined ? {} : { value: canary }), trials: input.canary.requests },
    ...(input.stable ? { stable: { ...(stable === undefined ? {} : { value: stable }), trials: input.stable.requests } } : {}),
    ...(input.canary.covers ? { covers: input.canary.covers } : {}),
    limit,
    ...(baselineLimit === undefined ? {} : { baselineLimit }),
    rule: "too-little-data",
  };
  const base = { analyser: "metrics", version: "canary" as const, metric: metric.id, threshold: limit, ...(canary === undefined ? {} : { value: canary }) };
  const stableText = stable === undefined ? "" : `; stable ${metric.format(stable)}`;
  const extra = metric.alsoFails?.(input.canary);
  if (canary === undefined) {
    return { ...base, status: "inconclusive", evidence: { ...evidence, rule: "no-data" }, message: `canary ${metric.title} unknown (${input.canary.requests} request(s))` };
  }
  const worse = baselineLimit !== undefined && enough(input.canary) && canary > baselineLimit;
  const failing = canary > limit || extra !== undefined || worse;
  if (failing && metric.confirm && !confirmedBy(input.history.at(-1), metric.id)) {
    return { ...base, status: "inconclusive", evidence: { ...evidence, rule: "unconfirmed" }, message: `canary ${metric.title} ${metric.format(canary)} over ${metric.format(worse && canary <= limit ? (baselineLimit as number) : limit)} in this window only${stableText}; fails if the next window confirms it` };
  }
  if (canary > limit || extra !== undefined) {
    // Stable over the same limit too: a shared cause (a dependency, the load), unless the canary is clearly worse still.
    if (stable !== undefined && stable > limit && stableCounts && !worse && extra === undefined) {
      return { ...base, status: "inconclusive", attribution: "both-versions", evidence: { ...evidence, rule: "both-failing" }, message: `both versions fail the ${metric.title} limit ${metric.format(limit)}: canary ${metric.format(canary)}, stable ${metric.format(stable)}; not the canary's doing, a person must look` };
    }
    return { ...base, status: "fail", attribution: "canary", evidence: { ...evidence, rule: "above-limit" }, message: `canary ${extra ?? `${metric.title} ${metric.format(canary)} > limit ${metric.format(limit)}`}${stableText}` };
  }
  if (worse) {
    return { ...base, status: "fail", attribution: "canary", evidence: { ...evidence, rule: "worse-than-stable" }, message: `canary ${metric.title} ${metric.format(canary)} is worse than stable ${metric.format(stable as number)}: above ${metric.format(baselineLimit)} (margin ${round(margin * 100)}% and at least ${metric.format(settings.delta ?? 0)} over stable), although under the limit ${metric.format(limit)}` };
  }
  if (!enough(input.canary)) {
    return { ...base, status: "inconclusive", evidence, message: `canary ${metric.title} ${metric.format(canary)} on ${input.canary.requests} request(s), fewer than ${settings.minRequests}: no evidence either way` };
  }
  return { ...base, status: "pass", evidence: { ...evidence, rule: "below-limit" }, message: `canary ${metric.title} ${metric.format(canary)} <= ${metric.format(limit)}${baselineLimit === undefined ? "" : ` and <= ${metric.format(baselineLimit)} (stable-relative)`}${stableText}` };
}

/** Did the previous analysis see this metric over a limit (confirmed or not yet)? */
function confirmedBy(previous: AnalysisRecord | undefined, metricId: string): boolean {
  const rule = previous?.measurements.find((measurement) => measurement.metric === metricId && measurement.version === "canary")?.evidence?.rule;
  return rule === "unconfirmed" || rule === "above-limit" || rule === "worse-than-stable" || rule === "both-failing";
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function header(response: HttpResponseSample, name: string): readonly string[] {
  return response.headers[name.toLowerCase()] ?? [];
}

/**
 * Judges one probe of `path` and the security headers of its response. No response at all is a failure of
 * the version (it did not answer), not a measurement error: the probe itself worked.
 */
export function evaluateProbe(path: string, response: HttpResponseSample, version: Version): Measurement[] {
  const base = { analyser: "probes", version } as const;
  const metric = `GET ${path}`;
  if (response.status === undefined) {
    return [{ ...base, metric, status: "fail", message: `${version} ${metric}: no response (${response.error ?? "unknown error"})` }];
  }
  const ok = response.status >= 200 && response.status < 300;
  const snippet = response.body.slice(0, 120).replace(/\s+/g, " ");
  const measurements: Measurement[] = [
    { ...base, metric, status: ok ? "pass" : "fail", value: response.status, threshold: "2xx", message: `${version} ${metric} -> ${response.status} in ${response.durationMs} ms${ok ? "" : `: ${snippet}`}` },
  ];
  if (ok) measurements.push(...evaluateResponseHeaders(path, response, version));
  return measurements;
}

/** HSTS present with a positive max-age; CORS allow-origin neither duplicated nor a wildcard. */
export function evaluateResponseHeaders(path: string, response: HttpResponseSample, version: Version): Measurement[] {
  const base = { analyser: "probes", version } as const;
  const hsts = header(response, "strict-transport-security");
  const maxAge = /max-age=(\d+)/i.exec(hsts[0] ?? "");
  const hstsStatus: MeasurementStatus = hsts.length === 1 && maxAge && Number(maxAge[1]) > 0 ? "pass" : "fail";
  const hstsMessage = hsts.length === 0 ? "missing" : hsts.length > 1 ? `sent ${hsts.length} times` : hstsStatus === "pass" ? hsts[0] as string : `without a positive max-age: ${hsts[0]}`;

  const origins = header(response, "access-control-allow-origin");
  const values = origins.flatMap((value) => value.split(",").map((part) => part.trim()));
  let corsStatus: MeasurementStatus = "pass";
  let corsMessage = origins.length === 0 ? "not sent" : `allows ${values.join(", ")}`;
  if (origins.length > 1 || values.length > 1) {
    corsStatus = "fail";
    corsMessage = `duplicated (${values.join(" | ")}): browsers reject the response`;
  } else if (values.includes("*")) {
    corsStatus = "fail";
    corsMessage = "is the wildcard *: any site may read responses";
  }
  return [
    { ...base, metric: `hsts ${path}`, status: hstsStatus, message: `${version} ${path} Strict-Transport-Security ${hstsMessage}` },
    { ...base, metric: `cors ${path}`, status: corsStatus, message: `${version} ${path} Access-Control-Allow-Origin ${corsMessage}` },
  ];
}

/** An alarm in ALARM fails the analysis; missing data is not an alarm. */
export function evaluateAlarms(alarms: readonly AlarmState[]): Measurement[] {
  if (alarms.length === 0) return [{ analyser: "alarms", metric: "alarms", status: "pass", message: "no alarm configured" }];
  return alarms.map((alarm) => ({
    analyser: "alarms",
    metric: `alarm:${alarm.name}`,
    status: alarm.state === "ALARM" ? "fail" : "pass",
    value: alarm.state,
    threshold: "not ALARM",
    message: `${alarm.name} is ${alarm.state}${alarm.reason ? `: ${alarm.reason}` : ""}`,
  }));
}

/** One verdict for an analysis round: any failure wins, then errors, then lack of evidence. */
export function verdictOf(measurements: readonly Measurement[]): MeasurementStatus {
  if (measurements.length === 0) return "inconclusive";
  for (const status of ["fail", "error", "inconclusive"] as const) {
    if (measurements.some((measurement) => measurement.status === status)) return status;
  }
  return "pass";
}
