import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, policyDocument } from "./iam.ts";

/** Alarm thresholds; the rollout's analysis uses the same limits per target group. */
export const ALARM_THRESHOLDS = {
  /** Percent of requests answered 5xx (by targets or the ALB itself). */
  http5xxRatePercent: 1,
  /** p95 target response time, seconds. */
  p95LatencySeconds: 0.5,
  /** Percent of the database's connection limit. */
  dbConnectionsPercent: 80,
  dbCpuPercent: 80,
  /** Bytes; below this an instance is about to swap or scale out of memory. */
  dbFreeableMemoryBytes: 256 * 1024 * 1024,
  /** Requests WAF blocks in 5 minutes above which someone is probing or flooding the site. */
  wafBlockedPer5Minutes: 500,
} as const;

/**
 * Aurora PostgreSQL's `max_connections` default is LEAST(memory / 9531392, 5000); Serverless v2
 * sizes it from the maximum capacity (2 GiB per ACU). An estimate, but the alarm only needs the scale.
 */
export function auroraMaxConnections(maxCapacityAcu: number): number {
  return Math.min(Math.floor((maxCapacityAcu * 2 * 1024 ** 3) / 9531392), 5000);
}

export interface MonitoringArgs {
  /** Prefix of alarm and dashboard names, e.g. `readiness-production`: names are stable for the rollout. */
  readonly namePrefix: string;
  readonly region: string;
  /** Where alarms are e-mailed; without it the topic has no subscriber yet. */
  readonly alarmEmail?: string;
  readonly loadBalancerFullName: pulumi.Input<string>;
  readonly targetGroups: Readonly<Record<"stable" | "canary", pulumi.Input<string>>>;
  readonly clusterName: pulumi.Input<string>;
  readonly serviceNames: readonly pulumi.Input<string>[];
  readonly dbClusterIdentifier: pulumi.Input<string>;
  readonly dbMaxCapacityAcu: number;
  readonly webAclName: pulumi.Input<string>;
  readonly lambdaFunctionNames: readonly pulumi.Input<string>[];
  readonly deadLetterQueueName: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The alarm topic (with its own KMS key CloudWatch may use), one alarm per failure the service can
 * have, and a dashboard with the golden signals of every tier.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly alarmTopicArn: pulumi.Output<string>;
  /** The key the topic is encrypted with: whoever publishes to the topic needs kms:GenerateDataKey on it. */
  readonly alarmTopicKeyArn: pulumi.Output<string>;
  readonly alarmNames: pulumi.Output<string>[];
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:Monitoring", name, {}, opts);
    const parent = { parent: this };
    const t = ALARM_THRESHOLDS;

    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, so the topic gets
    // a key whose policy lets CloudWatch use it.
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const key = new aws.kms.Key(`${name}-alarm-key`, {
      description: `Encrypts the ${args.namePrefix} alarm topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: account.apply((id) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${id}:root` }, Action: "kms:*", Resource: "*" },
          { Sid: "CloudWatchPublishes", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" },
        ],
      })),
      tags: args.tags,
    }, parent);
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn, tags: args.tags }, parent);
    new aws.sns.TopicPolicy(`${name}-alarms-policy`, {
      arn: topic.arn,
      policy: policyDocument([
        {
          Sid: "CloudWatchAlarms", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: topic.arn,
          Condition: { StringEquals: { "aws:SourceAccount": account } },
        },
        denyInsecureTransport("sns:Publish", topic.arn),
      ]),
    }, parent);
    this.alarmTopicArn = topic.arn;
    this.alarmTopicKeyArn = key.arn;
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail }, parent);
    }

    const alarm = (suffix: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions" | "okActions" | "tags">) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
        name: `${args.namePrefix}-${suffix}`,
        alarmActions: [topic.arn], okActions: [topic.arn],
        treatMissingData: "notBreaching",
        ...spec,
        tags: args.tags,
      }, parent).name;
    const lb = { LoadBalancer: args.loadBalancerFullName };
    const metric = (namespace: string, metricName: string, dimensions: Record<string, pulumi.Input<string>>, stat = "Sum") =>
      ({ namespace, metricName, dimensions, period: 60, stat });

    const alarms: pulumi.Output<string>[] = [
      alarm("alb-5xx-rate", {
        alarmDescription: `More than ${t.http5xxRatePercent}% of requests answered 5xx`,
        comparisonOperator: "GreaterThanThreshold", threshold: t.http5xxRatePercent, evaluationPeriods: 5, datapointsToAlarm: 3,
        metricQueries: [
          { id: "target5xx", metric: metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb) },
          { id: "elb5xx", metric: metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb) },
          { id: "requests", metric: metric("AWS/ApplicationELB", "RequestCount", lb) },
          { id: "rate", label: "5xx percent", returnData: true, expression: "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / IF(requests > 0, requests, 1)" },
        ],
      }),
      alarm("alb-p95-latency", {
        alarmDescription: `p95 target response time above ${t.p95LatencySeconds * 1000} ms`,
        namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", dimensions: lb, extendedStatistic: "p95", period: 60,
        comparisonOperator: "GreaterThanThreshold", threshold: t.p95LatencySeconds, evaluationPeriods: 5, datapointsToAlarm: 3,
      }),
      ...(["stable", "canary"] as const).map((track) => alarm(`${track}-unhealthy-hosts`, {
        alarmDescription: `A ${track} task fails the load balancer's health check`,
        namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", statistic: "Maximum", period: 60,
        dimensions: { ...lb, TargetGroup: args.targetGroups[track] },
        comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 3, datapointsToAlarm: 2,
      })),
      alarm("db-connections", {
        alarmDescription: `Database connections above ${t.dbConnectionsPercent}% of the limit`,
        namespace: "AWS/RDS", metricName: "DatabaseConnections", statistic: "Maximum", period: 60,
        dimensions: { DBClusterIdentifier: args.dbClusterIdentifier },
        comparisonOperator: "GreaterThanThreshold",
        threshold: Math.floor(auroraMaxConnections(args.dbMaxCapacityAcu) * t.dbConnectionsPercent / 100), evaluationPeriods: 5, datapointsToAlarm: 3,
      }),
      alarm("db-cpu", {
        alarmDescription: `Database CPU above ${t.dbCpuPercent}%`,
        namespace: "AWS/RDS", metricName: "CPUUtilization", statistic: "Average", period: 300,
        dimensions: { DBClusterIdentifier: args.dbClusterIdentifier },
        comparisonOperator: "GreaterThanThreshold", threshold: t.dbCpuPercent, evaluationPeriods: 3,
      }),
      alarm("db-freeable-memory", {
        alarmDescription: "Database freeable memory is nearly exhausted",
        namespace: "AWS/RDS", metricName: "FreeableMemory", statistic: "Minimum", period: 300,
        dimensions: { DBClusterIdentifier: args.dbClusterIdentifier },
        comparisonOperator: "LessThanThreshold", threshold: t.dbFreeableMemoryBytes, evaluationPeriods: 3,
      }),
      alarm("waf-blocked-spike", {
        alarmDescription: `WAF blocked more than ${t.wafBlockedPer5Minutes} requests in 5 minutes`,
        namespace: "AWS/WAFV2", metricName: "BlockedRequests", statistic: "Sum", period: 300,
        dimensions: { WebACL: args.webAclName, Region: args.region, Rule: "ALL" },
        comparisonOperator: "GreaterThanThreshold", threshold: t.wafBlockedPer5Minutes, evaluationPeriods: 1,
      }),
      ...args.lambdaFunctionNames.map((functionName, i) => alarm(`lambda-errors-${i + 1}`, {
        alarmDescription: "A Lambda function invocation failed",
        namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum", period: 300,
        dimensions: { FunctionName: functionName },
        comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1,
      })),
      alarm("dlq-not-empty", {
        alarmDescription: "Outbox events failed every retry and wait in the dead-letter queue",
        namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", statistic: "Maximum", period: 300,
        dimensions: { QueueName: args.deadLetterQueueName },
        comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1,
      }),
    ];
    this.alarmNames = alarms;

    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
      dashboardName: `${args.namePrefix}-service`,
      dashboardBody: pulumi.all([
        args.loadBalancerFullName, args.targetGroups.stable, args.targetGroups.canary, args.clusterName,
        args.dbClusterIdentifier, args.webAclName, args.deadLetterQueueName,
        pulumi.all([pulumi.all([...args.serviceNames]), pulumi.all([...args.lambdaFunctionNames])]),
      ]).apply(([lb, stable, canary, cluster, db, acl, dlq, [services, functions]]) =>
        JSON.stringify(dashboardBody(args.region, { lb, stable, canary, cluster, db, acl, dlq, services, functions }))),
    }, parent);
    this.dashboardName = dashboard.dashboardName;

    this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, alarmNames: this.alarmNames, dashboardName: this.dashboardName });
  }
}

interface DashboardDimensions {
  readonly lb: string; readonly stable: string; readonly canary: string; readonly cluster: string; readonly db: string;
  readonly acl: string; readonly dlq: string; readonly services: readonly string[]; readonly functions: readonly string[];
}

/** The golden signals per tier: traffic and errors, latency, saturation, and the event pipeline. */
export function dashboardBody(region: string, d: DashboardDimensions): { widgets: unknown[] } {
  const widget = (title: string, metrics: unknown[][], extra: Record<string, unknown> = {}) =>
    ({ type: "metric", width: 12, height: 6, properties: { title, region, metrics, period: 60, view: "timeSeries", ...extra } });
  const perTrack = (metricName: string, stat: string) => [
    ["AWS/ApplicationELB", metricName, "TargetGroup", d.stable, "LoadBalancer", d.lb, { stat, label: "stable" }],
    ["AWS/ApplicationELB", metricName, "TargetGroup", d.canary, "LoadBalancer", d.lb, { stat, label: "canary" }],
  ];
  return {
    widgets: [
      widget("Requests and 5xx", [
        ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", d.lb, { stat: "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", d.lb, { stat: "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", d.lb, { stat: "Sum" }],
      ]),
      widget("Response time p95 by track", perTrack("TargetResponseTime", "p95")),
      widget("Requests by track", perTrack("RequestCount", "Sum")),
      widget("Unhealthy hosts by track", perTrack("UnHealthyHostCount", "Maximum")),
      widget("ECS CPU and memory", d.services.flatMap((s) => [
        ["AWS/ECS", "CPUUtilization", "ClusterName", d.cluster, "ServiceName", s, { stat: "Average" }],
        ["AWS/ECS", "MemoryUtilization", "ClusterName", d.cluster, "ServiceName", s, { stat: "Average" }],
      ])),
      widget("Database", [
        ["AWS/RDS", "DatabaseConnections", "DBClusterIdentifier", d.db, { stat: "Maximum" }],
        ["AWS/RDS", "CPUUtilization", "DBClusterIdentifier", d.db, { stat: "Average", yAxis: "right" }],
        ["AWS/RDS", "ServerlessDatabaseCapacity", "DBClusterIdentifier", d.db, { stat: "Average", yAxis: "right" }],
      ]),
      widget("WAF", [
        ["AWS/WAFV2", "AllowedRequests", "WebACL", d.acl, "Region", region, "Rule", "ALL", { stat: "Sum" }],
        ["AWS/WAFV2", "BlockedRequests", "WebACL", d.acl, "Region", region, "Rule", "ALL", { stat: "Sum" }],
      ]),
      widget("Outbox", [
        ...d.functions.flatMap((f) => [
          ["AWS/Lambda", "Invocations", "FunctionName", f, { stat: "Sum" }],
          ["AWS/Lambda", "Errors", "FunctionName", f, { stat: "Sum" }],
        ]),
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", d.dlq, { stat: "Maximum", label: "DLQ depth" }],
      ]),
    ],
  };
}
