import type { AlarmState, AnalysisThresholds, HttpResponseSample, Measurement, MeasurementStatus, Version, VersionMetricsSample } from "./ports.ts";

/**
 * Pure judgements of raw facts. Evidence is asymmetric on purpose: too few requests cannot prove a version
 * healthy (inconclusive), but a threshold already exceeded on few requests is still a failure, so a canary
 * that crashes (and therefore serves little) is caught instead of waiting for volume it will never get.
 */
export function evaluateMetrics(sample: VersionMetricsSample, thresholds: AnalysisThresholds, version: Version): Measurement[] {
  const base = { analyser: "metrics", version } as const;
  const enough = sample.requests >= thresholds.minRequests;
  const measurements: Measurement[] = [];

  const rate = sample.requests > 0 ? sample.errors5xx / sample.requests : undefined;
  const maxPercent = `${round(thresholds.max5xxRate * 100)}%`;
  if (rate !== undefined && rate > thresholds.max5xxRate) {
    measurements.push({ ...base, metric: "5xx-rate", status: "fail", value: rate, threshold: thresholds.max5xxRate, message: `${version} 5xx rate ${round(rate * 100)}% (${sample.errors5xx}/${sample.requests}) > ${maxPercent}` });
  } else if (!enough || rate === undefined) {
    measurements.push({ ...base, metric: "5xx-rate", status: "inconclusive", ...(rate === undefined ? {} : { value: rate }), threshold: thresholds.max5xxRate, message: `${version} served ${sample.requests} request(s), fewer than ${thresholds.minRequests}: no evidence either way` });
  } else {
    measurements.push({ ...base, metric: "5xx-rate", status: "pass", value: rate, threshold: thresholds.max5xxRate, message: `${version} 5xx rate ${round(rate * 100)}% (${sample.errors5xx}/${sample.requests}) <= ${maxPercent}` });
  }

  if (sample.p95Ms !== undefined && sample.p95Ms > thresholds.maxP95Ms) {
    measurements.push({ ...base, metric: "p95-ms", status: "fail", value: sample.p95Ms, threshold: thresholds.maxP95Ms, message: `${version} p95 ${round(sample.p95Ms)} ms > ${thresholds.maxP95Ms} ms` });
  } else if (sample.p95Ms === undefined || !enough) {
    measurements.push({ ...base, metric: "p95-ms", status: "inconclusive", ...(sample.p95Ms === undefined ? {} : { value: sample.p95Ms }), threshold: thresholds.maxP95Ms, message: `${version} p95 latency unknown or on too few requests (${sample.requests})` });
  } else {
    measurements.push({ ...base, metric: "p95-ms", status: "pass", value: sample.p95Ms, threshold: thresholds.maxP95Ms, message: `${version} p95 ${round(sample.p95Ms)} ms <= ${thresholds.maxP95Ms} ms` });
  }

  measurements.push(evaluateTargetHealth(sample, thresholds, version));
  return measurements;
}

function evaluateTargetHealth(sample: VersionMetricsSample, thresholds: AnalysisThresholds, version: Version): Measurement {
  const base = { analyser: "metrics", version, metric: "unhealthy-targets", threshold: thresholds.maxUnhealthyTargets } as const;
  if (sample.unhealthyTargets === undefined) return { ...base, status: "inconclusive", message: `${version} target health unknown` };
  if (sample.unhealthyTargets > thresholds.maxUnhealthyTargets) {
    return { ...base, status: "fail", value: sample.unhealthyTargets, message: `${version} has ${sample.unhealthyTargets} unhealthy target(s) > ${thresholds.maxUnhealthyTargets}` };
  }
  if (sample.healthyTargets === 0) return { ...base, status: "fail", value: sample.unhealthyTargets, message: `${version} has no healthy target` };
  return { ...base, status: "pass", value: sample.unhealthyTargets, message: `${version} has ${sample.unhealthyTargets} unhealthy target(s) <= ${thresholds.maxUnhealthyTargets}` };
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
