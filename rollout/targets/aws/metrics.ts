import type { CloudWatchClient, MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { AlarmState, AlarmStateValue, TimeWindow, Version, VersionMetricsSample } from "../../engine/model.ts";
import type { AlarmSource, AnalysisContext, Clock, MetricsSource } from "../../engine/ports.ts";
import type { RetryPolicy } from "./retry.ts";
import { callAws, DEFAULT_RETRY_POLICY } from "./retry.ts";

const MINUTE_MS = 60_000;

export interface CloudWatchWindow {
  readonly start: Date;
  readonly end: Date;
  /** One period spanning the whole window, so each query returns a single datapoint (or none). */
  readonly periodSeconds: number;
}

/**
 * The CloudWatch window for an analysis window. ALB metrics have one-minute resolution and arrive about a
 * minute late, so the window is whole minutes, at least one, ending `publishLagMs` before the analysis
 * ended: a minute still being filled would read as "no traffic" and stall every analysis as inconclusive.
 */
export function cloudWatchWindow(window: TimeWindow, publishLagMs: number): CloudWatchWindow {
  const end = Math.floor((window.end - publishLagMs) / MINUTE_MS) * MINUTE_MS;
  const span = Math.max(MINUTE_MS, Math.ceil((window.end - window.start) / MINUTE_MS) * MINUTE_MS);
  return { start: new Date(end - span), end: new Date(end), periodSeconds: span / 1_000 };
}

export interface TargetGroupMetricsOptions {
  readonly client: CloudWatchClient;
  /** `app/<name>/<id>`: the CloudWatch `LoadBalancer` dimension. */
  readonly loadBalancerFullName: string;
  /** `targetgroup/<name>/<id>` per version: the CloudWatch `TargetGroup` dimension. */
  readonly targetGroupFullNames: Readonly<Record<Version, string>>;
  readonly clock: Clock;
  readonly publishLagMs?: number;
  readonly retry?: RetryPolicy;
}

type QueryId = "requests" | "errors5xx" | "p95" | "unhealthy" | "healthy";

const QUERIES: readonly { id: QueryId; metric: string; stat: string }[] = [
  { id: "requests", metric: "RequestCount", stat: "Sum" },
  { id: "errors5xx", metric: "HTTPCode_Target_5XX_Count", stat: "Sum" },
  { id: "p95", metric: "TargetResponseTime", stat: "p95" },
  { id: "unhealthy", metric: "UnHealthyHostCount", stat: "Maximum" },
  { id: "healthy", metric: "HealthyHostCount", stat: "Minimum" },
];

export function targetGroupQueries(loadBalancerFullName: string, targetGroupFullName: string, periodSeconds: number): MetricDataQuery[] {
  return QUERIES.map((query) => ({
    Id: query.id,
    MetricStat: {
      Metric: {
        Namespace: "AWS/ApplicationELB",
        MetricName: query.metric,
        Dimensions: [
          { Name: "LoadBalancer", Value: loadBalancerFullName },
          { Name: "TargetGroup", Value: targetGroupFullName },
        ],
      },
      Period: periodSeconds,
      Stat: query.stat,
    },
    ReturnData: true,
  }));
}

/**
 * Raw facts from GetMetricData results. The ALB publishes RequestCount and the HTTPCode counts only for
 * minutes with requests, so their absence means zero; latency and host counts are always published while
 * there is traffic, so their absence then means the measurement failed (late data, wrong dimensions) and
 * is an error, never a pass. Without traffic there is nothing to judge: the engine calls that inconclusive.
 */
export function sampleFromResults(results: readonly MetricDataResult[], describe: string): VersionMetricsSample {
  const values = (id: QueryId): number[] => results.filter((result) => result.Id === id).flatMap((result) => result.Values ?? []);
  // One period spans the window, so each list has at most one value; should CloudWatch split it anyway,
  // the combination is the cautious one (all requests, the worst latency and host counts).
  const sum = (id: QueryId): number => values(id).reduce((total, each) => total + each, 0);
  const worst = (id: QueryId, pick: (...each: number[]) => number): number | undefined => (values(id).length === 0 ? undefined : pick(...values(id)));
  const requests = sum("requests");
  const errors5xx = sum("errors5xx");
  const p95Seconds = worst("p95", Math.max);
  const unhealthy = worst("unhealthy", Math.max);
  const healthy = worst("healthy", Math.min);
  if (requests > 0) {
    const missing = [
      ...(p95Seconds === undefined ? ["TargetResponseTime p95"] : []),
      ...(unhealthy === undefined ? ["UnHealthyHostCount"] : []),
      ...(healthy === undefined ? ["HealthyHostCount"] : []),
    ];
    if (missing.length > 0) throw new Error(`CloudWatch has no ${missing.join(", ")} for ${describe} although it served ${requests} request(s): data late or dimensions wrong`);
  }
  return {
    requests,
    errors5xx,
    ...(p95Seconds === undefined ? {} : { p95Ms: Math.round(p95Seconds * 1_000) }),
    ...(unhealthy === undefined ? {} : { unhealthyTargets: unhealthy }),
    ...(healthy === undefined ? {} : { healthyTargets: healthy }),
  };
}

/** Per-version ALB target-group metrics from CloudWatch. */
export class TargetGroupMetricsSource implements MetricsSource {
  readonly name: string;
  private readonly publishLagMs: number;

  constructor(private readonly options: TargetGroupMetricsOptions) {
    this.name = `CloudWatch AWS/ApplicationELB ${options.loadBalancerFullName}`;
    this.publishLagMs = options.publishLagMs ?? MINUTE_MS;
  }

  async sample(context: AnalysisContext): Promise<VersionMetricsSample> {
    const targetGroup = this.options.targetGroupFullNames[context.version];
    const window = cloudWatchWindow(context.window, this.publishLagMs);
    const queries = targetGroupQueries(this.options.loadBalancerFullName, targetGroup, window.periodSeconds);
    const results: MetricDataResult[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await callAws(
        {
          operation: "cloudwatch:GetMetricData",
          resource: `${context.version} target group ${targetGroup}`,
          send: () =>
            this.options.client.send(
              new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: window.start, EndTime: window.end, ScanBy: "TimestampDescending", ...(token ? { NextToken: token } : {}) }),
              { abortSignal: context.signal },
            ),
        },
        this.options.clock,
        this.options.retry ?? DEFAULT_RETRY_POLICY,
        context.signal,
      );
      results.push(...(output.MetricDataResults ?? []));
      nextToken = output.NextToken;
    } while (nextToken);
    const sample = sampleFromResults(results, `${context.version} target group ${targetGroup} from ${window.start.toISOString()} to ${window.end.toISOString()}`);
    // Consecutive analysis windows map to overlapping whole minutes: say which, so evidence is counted once.
    return { ...sample, covers: { start: window.start.getTime(), end: window.end.getTime() } };
  }
}

export interface StackAlarmsOptions {
  readonly client: CloudWatchClient;
  readonly alarmNames: readonly string[];
  readonly clock: Clock;
  readonly retry?: RetryPolicy;
}

/** DescribeAlarms accepts at most 100 names per call. */
const ALARM_NAMES_PER_CALL = 100;

/** The stack's CloudWatch alarms (metric and composite). An alarm the stack names but AWS does not know is an error. */
export class StackAlarmSource implements AlarmSource {
  readonly name: string;

  constructor(private readonly options: StackAlarmsOptions) {
    this.name = `CloudWatch alarms (${options.alarmNames.length})`;
  }

  async alarms(context: AnalysisContext): Promise<readonly AlarmState[]> {
    const found: AlarmState[] = [];
    for (let i = 0; i < this.options.alarmNames.length; i += ALARM_NAMES_PER_CALL) {
      const names = this.options.alarmNames.slice(i, i + ALARM_NAMES_PER_CALL);
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const output = await callAws(
          {
            operation: "cloudwatch:DescribeAlarms",
            resource: `alarms ${names.join(", ")}`,
            send: () =>
              this.options.client.send(
                new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], ...(token ? { NextToken: token } : {}) }),
                { abortSignal: context.signal },
              ),
          },
          this.options.clock,
          this.options.retry ?? DEFAULT_RETRY_POLICY,
          context.signal,
        );
        for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
          found.push({ name: alarm.AlarmName ?? "?", state: (alarm.StateValue ?? "INSUFFICIENT_DATA") as AlarmStateValue, ...(alarm.StateReason ? { reason: alarm.StateReason } : {}) });
        }
        nextToken = output.NextToken;
      } while (nextToken);
    }
    const missing = this.options.alarmNames.filter((name) => !found.some((alarm) => alarm.name === name));
    if (missing.length > 0) throw new Error(`cloudwatch:DescribeAlarms does not know the stack's alarm(s) ${missing.join(", ")}: run \`pulumi up\` or check the region`);
    return found;
  }
}
