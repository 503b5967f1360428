import fs from "node:fs";
import type { VersionMetricsSample } from "../../engine/model.ts";
import { httpProbe } from "../../shared/http-probe.ts";
import type { ServerRole } from "./haproxy-config.ts";
import { BACKEND, SERVERS } from "./haproxy-config.ts";
import type { ServerStat } from "./show-stat.ts";
import { isServerUp, parseShowStat } from "./show-stat.ts";

/** What one version (HAProxy server) did during one measurement window. */
export interface VersionWindowMetrics {
  /** Responses counted by HAProxy in the window (`show stat` hrsp_* deltas). */
  readonly requests: number;
  readonly status5xx: number;
  /** `status5xx / requests`, or undefined when there was no request: no traffic is no evidence. */
  readonly errorRate: number | undefined;
  /** p95 of the per-request total active time (HAProxy `%Ta`) logged in the window; undefined without samples. */
  readonly p95Ms: number | undefined;
  /** HAProxy's average response time over its last 1024 requests, for display. */
  readonly averageResponseMs: number;
  /** HAProxy health-check status of the server (`UP`, `DOWN`, `MAINT`, ...). */
  readonly status: string;
  readonly healthy: boolean;
}

/**
 * The engine's sample of one version from HAProxy's window: the one mapping the local target's metrics source
 * and its watchdog both use, so a metric the local target measures is added here and in the reader only.
 */
export function versionSample(metrics: VersionWindowMetrics): VersionMetricsSample {
  return {
    requests: metrics.requests,
    errors5xx: metrics.status5xx,
    p95Ms: metrics.p95Ms,
    healthyTargets: metrics.healthy ? 1 : 0,
    unhealthyTargets: metrics.healthy ? 0 : 1,
  };
}

export interface RequestSample {
  readonly server: string;
  readonly status: number;
  readonly totalMs: number;
}

const LOG_LINE = /^(\S+) (-?\d+) (-?\d+)$/;

/** Parses the request lines written with `REQUEST_LOG_FORMAT`; HAProxy's own notices are skipped. */
export function parseRequestLog(text: string): RequestSample[] {
  const samples: RequestSample[] = [];
  for (const line of text.split("\n")) {
    const match = LOG_LINE.exec(line.trim());
    if (match === null) continue;
    const [, server, status, totalMs] = match as unknown as [string, string, string, string];
    // -1 means the request never completed (aborted); it has no duration to rank.
    if (Number(totalMs) >= 0) samples.push({ server, status: Number(status), totalMs: Number(totalMs) });
  }
  return samples;
}

/** Nearest-rank percentile (p in 0..100) of `values`; undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Window metrics of one server from two consecutive `show stat` readings and the requests logged between them.
 * Without a previous reading there is no window yet (the counters hold every earlier rollout's traffic).
 */
export function windowMetrics(previous: ServerStat | undefined, current: ServerStat, samples: readonly RequestSample[]): VersionWindowMetrics {
  // Counters only go down when haproxy restarted: the window then starts at zero.
  const base = previous === undefined ? current : current.responses.total < previous.responses.total ? undefined : previous;
  const requests = current.responses.total - (base?.responses.total ?? 0);
  const status5xx = current.responses.status5xx - (base?.responses.status5xx ?? 0);
  const inWindow = previous === undefined ? [] : samples.filter((sample) => sample.server === current.server);
  return {
    requests,
    status5xx,
    errorRate: requests > 0 ? status5xx / requests : undefined,
    p95Ms: percentile(inWindow.map((sample) => sample.totalMs), 95),
    averageResponseMs: current.averageResponseMs,
    status: current.status,
    healthy: isServerUp(current.status),
  };
}

export class MetricsSourceError extends Error {}

/** Samples kept per server between two readings; beyond this only the newest count (bounded memory). */
const MAX_PENDING_SAMPLES = 20_000;

/**
 * Reads per-version metrics from HAProxy's stats page (`/stats;csv`, the same CSV as `show stat`) and the
 * request log. Each version's window runs from the previous reading of that version to now, so with one
 * reading per analysis interval the window is the interval, whatever order the versions are read in.
 * The stats page, not the admin socket, is the metrics source so that losing the metrics (the page is down)
 * does not take the ability to roll back with it. Call `read()` once up front to set the baseline.
 */
export class LocalMetricsReader {
  private readonly previous = new Map<string, ServerStat>();
  private readonly pending = new Map<string, RequestSample[]>();
  private logOffset: number;
  private partialLine = "";

  constructor(
    private readonly statsPort: number,
    private readonly requestLogPath: string,
  ) {
    this.logOffset = fs.existsSync(requestLogPath) ? fs.statSync(requestLogPath).size : 0;
  }

  /** Reads every version; versions not listed in `only` keep their window open. */
  async read(only: readonly ServerRole[] = ["stable", "canary"]): Promise<Record<ServerRole, VersionWindowMetrics>> {
    const url = `http://127.0.0.1:${this.statsPort}/stats;csv`;
    const response = await httpProbe({ url, timeoutMs: 1_000, maxBodyBytes: 1_000_000 });
    if (response.status !== 200) throw new MetricsSourceError(`metrics source ${url} unavailable: ${response.error ?? `HTTP ${response.status}`}`);
    const stats = new Map(parseShowStat(response.body).filter((s) => s.backend === BACKEND).map((s) => [s.server, s]));
    for (const sample of this.readNewLogLines()) {
      const list = this.pending.get(sample.server) ?? [];
      list.push(sample);
      this.pending.set(sample.server, list.length > MAX_PENDING_SAMPLES ? list.slice(-MAX_PENDING_SAMPLES) : list);
    }
    const metricsOf = (role: ServerRole): VersionWindowMetrics => {
      const server = SERVERS[role];
      const current = stats.get(server);
      if (current === undefined) throw new MetricsSourceError(`metrics source ${url}: no server ${BACKEND}/${server}`);
      const metrics = windowMetrics(this.previous.get(server), current, this.pending.get(server) ?? []);
      if (only.includes(role)) {
        this.previous.set(server, current);
        this.pending.set(server, []);
      }
      return metrics;
    };
    return { stable: metricsOf("stable"), canary: metricsOf("canary") };
  }

  private readNewLogLines(): RequestSample[] {
    const size = fs.statSync(this.requestLogPath).size;
    if (size < this.logOffset) this.logOffset = 0;
    if (size === this.logOffset) return [];
    const buffer = Buffer.alloc(size - this.logOffset);
    const fd = fs.openSync(this.requestLogPath, "r");
    try {
      fs.readSync(fd, buffer, 0, buffer.length, this.logOffset);
    } finally {
      fs.closeSync(fd);
    }
    this.logOffset = size;
    const text = this.partialLine + buffer.toString("utf8");
    const lastNewline = text.lastIndexOf("\n");
    this.partialLine = text.slice(lastNewline + 1);
    return parseRequestLog(text.slice(0, lastNewline + 1));
  }
}
