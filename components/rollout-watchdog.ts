import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, policyDocument, serviceTrustPolicy } from "./iam.ts";
import { lambdaModuleArchive } from "./lambda-package.ts";
import { ALARM_THRESHOLDS } from "./monitoring.ts";
import { DEFAULT_ABANDONED_AFTER_SECONDS, DEFAULT_HEARTBEAT_STALE_AFTER_SECONDS, ROLLOUT_STATE_PREFIX } from "../lambdas/rollout-watchdog/core.ts";

/** The watchdog's handler; its imports (the shared core, the state machine, the listener helpers) are packaged with it. */
export const ROLLOUT_WATCHDOG_SOURCE = fileURLToPath(new URL("../lambdas/rollout-watchdog/index.ts", import.meta.url));

/** Seconds a ModifyListener + read-back + three S3 writes take at worst, with the SDK's own retries. */
const FUNCTION_TIMEOUT_SECONDS = 60;
/** The schedule that notices a stale heartbeat (no alarm fires when the orchestrator dies quietly). */
export const WATCHDOG_SCHEDULE = "rate(1 minute)";

export interface RolloutWatchdogArgs {
  /** Prefix of alarm names, e.g. `readiness-production`. */
  readonly namePrefix: string;
  /** The rollout environment whose state the watchdog reads: `s3://<bucket>/rollouts/<environment>/` (the CLI's `--stack`). */
  readonly environment: string;
  /** The HTTPS listener that splits traffic between the two target groups. */
  readonly listenerArn: pulumi.Input<string>;
  readonly stableTargetGroupArn: pulumi.Input<string>;
  readonly canaryTargetGroupArn: pulumi.Input<string>;
  /** CloudWatch dimensions of the canary alarms: `app/<name>/<id>` and `targetgroup/<name>/<id>`. */
  readonly loadBalancerFullName: pulumi.Input<string>;
  readonly canaryTargetGroupFullName: pulumi.Input<string>;
  /** The rollout state bucket and the KMS key it is encrypted with. */
  readonly stateBucketName: pulumi.Input<string>;
  readonly stateBucketArn: pulumi.Input<string>;
  /** Encrypts the state bucket, the DLQ and the function's log group. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The alarm topic the watchdog notifies, and the key it is encrypted with (publishing needs it). */
  readonly topicArn: pulumi.Input<string>;
  readonly topicKmsKeyArn: pulumi.Input<string>;
  readonly logRetentionDays: number;
  /** A lock heartbeat older than this means the orchestrator is gone (it renews every 30 s). Default 120. */
  readonly heartbeatStaleAfterSeconds?: number;
  /** A rollout whose orchestrator has been gone this long is rolled back even with a healthy canary. Default 900. */
  readonly abandonedAfterSeconds?: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The safety net that works without the rollout process: alarms on the canary target group (5xx rate, p95,
 * unhealthy hosts) and a one-minute schedule wake a small traced Lambda (reserved concurrency 1, DLQ) that
 * moves the listener to stable 100 / canary 0, verifies it, records the rollback in the rollout state and
 * notifies the alarm topic. See docs/rollout.md ("Watchdog") and docs/adr/0056.
 */
export class RolloutWatchdog extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;
  /** The canary alarms that wake the watchdog. */
  readonly canaryAlarmNames: pulumi.Output<string>[];
  /** Every alarm of the watchdog (canary alarms, its own errors, its DLQ): the rollout's analysis reads them too. */
  readonly alarmNames: pulumi.Output<string>[];
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: RolloutWatchdogArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:RolloutWatchdog", name, {}, opts);
    const parent = { parent: this };
    const t = ALARM_THRESHOLDS;

    const dimensions = { LoadBalancer: args.loadBalancerFullName, TargetGroup: args.canaryTargetGroupFullName };
    const metric = (metricName: string, stat: string) => ({ namespace: "AWS/ApplicationELB", metricName, dimensions, period: 60, stat });
    // Two one-minute periods out of two: faster than the service alarms, because a canary is expendable.
    const canaryAlarm = (suffix: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions" | "okActions" | "tags" | "evaluationPeriods" | "datapointsToAlarm">) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
        name: `${args.namePrefix}-watchdog-${suffix}`,
        alarmActions: [args.topicArn], okActions: [args.topicArn],
        treatMissingData: "notBreaching", evaluationPeriods: 2, datapointsToAlarm: 2,
        ...spec,
        tags: args.tags,
      }, parent);
    const alarms = [
      canaryAlarm("canary-5xx-rate", {
        alarmDescription: `Canary target group: more than ${t.http5xxRatePercent}% of requests answered 5xx`,
        comparisonOperator: "GreaterThanThreshold", threshold: t.http5xxRatePercent,
        metricQueries: [
          { id: "errors", metric: metric("HTTPCode_Target_5XX_Count", "Sum") },
          { id: "requests", metric: metric("RequestCount", "Sum") },
          { id: "rate", label: "canary 5xx percent", returnData: true, expression: "100 * FILL(errors, 0) / IF(requests > 0, requests, 1)" },
        ],
      }),
      canaryAlarm("canary-p95-latency", {
        alarmDescription: `Canary target group: p95 response time above ${t.p95LatencySeconds * 1000} ms`,
        namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", dimensions, extendedStatistic: "p95", period: 60,
        comparisonOperator: "GreaterThanThreshold", threshold: t.p95LatencySeconds,
      }),
      canaryAlarm("canary-unhealthy-hosts", {
        alarmDescription: "Canary target group: a task fails the load balancer's health check",
        namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", statistic: "Maximum", period: 60, dimensions,
        comparisonOperator: "GreaterThanThreshold", threshold: 0,
      }),
    ];
    this.canaryAlarmNames = alarms.map((alarm) => alarm.name);

    const dlq = new aws.sqs.Queue(`${name}-dlq`, {
      kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300, messageRetentionSeconds: 14 * 24 * 3600, tags: args.tags,
    }, parent);
    new aws.sqs.QueuePolicy(`${name}-dlq-tls-only`, {
      queueUrl: dlq.url,
      policy: policyDocument([denyInsecureTransport("sqs:*", dlq.arn)]),
    }, parent);
    this.deadLetterQueueArn = dlq.arn;

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags }, parent);
    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com"), tags: args.tags }, parent);
    this.roleArn = role.arn;
    const stateObjects = pulumi.interpolate`${args.stateBucketArn}/${ROLLOUT_STATE_PREFIX}${args.environment}/*`;
    const rolePolicy = new aws.iam.RolePolicy(`${name}-policy`, {
      role: role.id,
      policy: policyDocument([
        { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroup.arn}:*` },
        // Only this environment's state and lock: read, conditional write, and deleting a dead holder's lock.
        { Sid: "RolloutState", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: stateObjects },
        // Without it S3 answers a missing state.json with 403 instead of 404, and "no rollout yet" would be an error.
        // The bucket holds nothing but rollout state.
        { Sid: "MissingStateIs404", Effect: "Allow", Action: ["s3:ListBucket"], Resource: args.stateBucketArn },
        { Sid: "StateKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: args.kmsKeyArn },
        { Sid: "MoveTraffic", Effect: "Allow", Action: ["elasticloadbalancing:ModifyListener"], Resource: args.listenerArn },
        // elasticloadbalancing:Describe* actions have no resource-level permissions: `*` is the only form.
        { Sid: "ReadListener", Effect: "Allow", Action: ["elasticloadbalancing:DescribeListeners"], Resource: "*" },
        { Sid: "ReadCanaryAlarms", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"], Resource: alarms.map((alarm) => alarm.arn) },
        { Sid: "Notify", Effect: "Allow", Action: ["sns:Publish"], Resource: args.topicArn },
        { Sid: "TopicKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: args.topicKmsKeyArn },
        { Sid: "DeadLetters", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: dlq.arn },
        // X-Ray has no resource-level permissions: these two actions only exist on `*`.
        { Sid: "Tracing", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      ]),
    }, parent);

    const code = lambdaModuleArchive(ROLLOUT_WATCHDOG_SOURCE);
    const fn = new aws.lambda.Function(`${name}-function`, {
      description: "Rollout watchdog: moves the listener back to stable when a canary fails with nobody watching",
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ["arm64"],
      handler: code.handler,
      code: code.archive,
      role: role.arn,
      memorySize: 256,
      timeout: FUNCTION_TIMEOUT_SECONDS,
      // One at a time: an alarm event and a scheduled tick never act on the same rollout concurrently.
      reservedConcurrentExecutions: 1,
      tracingConfig: { mode: "Active" },
      deadLetterConfig: { targetArn: dlq.arn },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: {
        variables: {
          STATE_BUCKET: args.stateBucketName,
          STATE_PREFIX: ROLLOUT_STATE_PREFIX,
          ROLLOUT_ENVIRONMENT: args.environment,
          LISTENER_ARN: args.listenerArn,
          STABLE_TARGET_GROUP_ARN: args.stableTargetGroupArn,
          CANARY_TARGET_GROUP_ARN: args.canaryTargetGroupArn,
          CANARY_ALARM_NAMES: pulumi.all(this.canaryAlarmNames).apply((names) => names.join(",")),
          TOPIC_ARN: args.topicArn,
          HEARTBEAT_STALE_AFTER_SECONDS: String(args.heartbeatStaleAfterSeconds ?? DEFAULT_HEARTBEAT_STALE_AFTER_SECONDS),
          ABANDONED_AFTER_SECONDS: String(args.abandonedAfterSeconds ?? DEFAULT_ABANDONED_AFTER_SECONDS),
          NODE_OPTIONS: "--enable-source-maps",
        },
      },
      tags: args.tags,
    }, { parent: this, dependsOn: [rolePolicy] });
    this.functionName = fn.name;
    this.functionArn = fn.arn;

    // A failed invocation (an unverified rollback) is retried twice by Lambda, then parked in the DLQ.
    new aws.lambda.FunctionEventInvokeConfig(`${name}-async`, { functionName: fn.name, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 600 }, parent);

    const trigger = (suffix: string, rule: Pick<aws.cloudwatch.EventRuleArgs, "description" | "eventPattern" | "scheduleExpression">) => {
      const eventRule = new aws.cloudwatch.EventRule(`${name}-${suffix}`, { ...rule, tags: args.tags }, parent);
      new aws.cloudwatch.EventTarget(`${name}-${suffix}-target`, { rule: eventRule.name, arn: fn.arn }, parent);
      new aws.lambda.Permission(`${name}-${suffix}-invoke`, { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: eventRule.arn }, parent);
    };
    trigger("on-alarm", {
      description: "A canary alarm went to ALARM: the rollout watchdog looks at once",
      eventPattern: pulumi.all(alarms.map((alarm) => alarm.arn)).apply((arns) => JSON.stringify({
        source: ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"], resources: arns, detail: { state: { value: ["ALARM"] } },
      })),
    });
    trigger("schedule", { description: "The rollout watchdog checks the rollout lock's heartbeat and the canary alarms", scheduleExpression: WATCHDOG_SCHEDULE });

    const operational = (suffix: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions" | "tags" | "statistic" | "period" | "comparisonOperator" | "threshold" | "evaluationPeriods">) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
        name: `${args.namePrefix}-watchdog-${suffix}`, alarmActions: [args.topicArn], treatMissingData: "notBreaching",
        statistic: "Maximum", period: 60, comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, ...spec, tags: args.tags,
      }, parent).name;
    this.alarmNames = [...this.canaryAlarmNames,
      operational("errors", { alarmDescription: "The rollout watchdog failed (e.g. a rollback it could not verify)", namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: fn.name } }),
      operational("dlq-not-empty", { alarmDescription: "Rollout watchdog invocations failed every retry", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: dlq.name } }),
    ];

    this.registerOutputs({ functionName: this.functionName, canaryAlarmNames: this.canaryAlarmNames, deadLetterQueueArn: this.deadLetterQueueArn });
  }
}
