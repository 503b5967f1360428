import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, policyDocument, serviceTrustPolicy } from "./iam.ts";
import { transpileForLambda } from "./lambda-package.ts";

/** The outbox publisher's source: one self-contained TypeScript file (only the AWS SDK, which the runtime has). */
export const OUTBOX_PUBLISHER_SOURCE = fileURLToPath(new URL("../lambdas/outbox-publisher/index.ts", import.meta.url));

/** A failing message is retried this many times before it is parked in the DLQ. */
export const OUTBOX_MAX_RECEIVE_COUNT = 5;
const FUNCTION_TIMEOUT_SECONDS = 30;

export interface EventsArgs {
  /** Encrypts the queues and the function's log group. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly logRetentionDays: number;
  /** EventBridge `source` of every published event, e.g. `readiness.production`. */
  readonly eventSource: string;
  /** Upper bound on concurrent publishers, so a backlog cannot starve the account's other functions. */
  readonly reservedConcurrency: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The transactional outbox: an SQS queue (with a DLQ) the application writes events to, and a traced
 * Lambda that forwards them to the platform's EventBridge bus, reporting per-message failures.
 */
export class Events extends pulumi.ComponentResource {
  readonly eventBusName: pulumi.Output<string>;
  readonly eventBusArn: pulumi.Output<string>;
  readonly outboxQueueUrl: pulumi.Output<string>;
  readonly outboxQueueArn: pulumi.Output<string>;
  readonly deadLetterQueueName: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly publisherFunctionName: pulumi.Output<string>;
  readonly publisherLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: EventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:Events", name, {}, opts);
    const parent = { parent: this };

    const bus = new aws.cloudwatch.EventBus(`${name}-bus`, { tags: args.tags }, parent);
    this.eventBusName = bus.name;
    this.eventBusArn = bus.arn;

    const dlq = new aws.sqs.Queue(`${name}-outbox-dlq`, {
      kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 14 * 24 * 3600, tags: args.tags,
    }, parent);
    const queue = new aws.sqs.Queue(`${name}-outbox`, {
      kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300,
      // Six times the function timeout, as Lambda recommends, so a slow batch is not delivered twice.
      visibilityTimeoutSeconds: 6 * FUNCTION_TIMEOUT_SECONDS,
      messageRetentionSeconds: 4 * 24 * 3600,
      redrivePolicy: dlq.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: OUTBOX_MAX_RECEIVE_COUNT })),
      tags: args.tags,
    }, parent);
    for (const [suffix, q] of [["outbox", queue], ["outbox-dlq", dlq]] as const) {
      new aws.sqs.QueuePolicy(`${name}-${suffix}-tls-only`, {
        queueUrl: q.url,
        policy: policyDocument([denyInsecureTransport("sqs:*", q.arn)]),
      }, parent);
    }
    this.outboxQueueUrl = queue.url;
    this.outboxQueueArn = queue.arn;
    this.deadLetterQueueName = dlq.name;
    this.deadLetterQueueArn = dlq.arn;

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-publisher-logs`, {
      retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags,
    }, parent);
    this.publisherLogGroupName = logGroup.name;

    const role = new aws.iam.Role(`${name}-publisher-role`, { assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com"), tags: args.tags }, parent);
    const rolePolicy = new aws.iam.RolePolicy(`${name}-publisher-policy`, {
      role: role.id,
      policy: policyDocument([
        { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroup.arn}:*` },
        { Sid: "ReadOutbox", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], Resource: queue.arn },
        { Sid: "DecryptOutbox", Effect: "Allow", Action: ["kms:Decrypt"], Resource: args.kmsKeyArn },
        { Sid: "Publish", Effect: "Allow", Action: ["events:PutEvents"], Resource: bus.arn },
        // X-Ray has no resource-level permissions: these two actions only exist on `*`.
        { Sid: "Tracing", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      ]),
    }, parent);

    const fn = new aws.lambda.Function(`${name}-publisher`, {
      description: "Forwards outbox events from SQS to EventBridge",
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ["arm64"],
      handler: "index.handler",
      code: lambdaCode(OUTBOX_PUBLISHER_SOURCE),
      role: role.arn,
      memorySize: 256,
      timeout: FUNCTION_TIMEOUT_SECONDS,
      reservedConcurrentExecutions: args.reservedConcurrency,
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: { variables: { EVENT_BUS_NAME: bus.name, EVENT_SOURCE: args.eventSource, NODE_OPTIONS: "--enable-source-maps" } },
      tags: args.tags,
    }, { parent: this, dependsOn: [rolePolicy] });
    this.publisherFunctionName = fn.name;

    new aws.lambda.EventSourceMapping(`${name}-publisher-source`, {
      eventSourceArn: queue.arn,
      functionName: fn.arn,
      batchSize: 10,
      maximumBatchingWindowInSeconds: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: Math.max(2, args.reservedConcurrency) },
      tags: args.tags,
    }, parent);

    this.registerOutputs({
      eventBusName: this.eventBusName, outboxQueueUrl: this.outboxQueueUrl,
      deadLetterQueueName: this.deadLetterQueueName, publisherFunctionName: this.publisherFunctionName,
    });
  }
}

/**
 * Packages a single-file TypeScript handler as `index.mjs`. Type annotations are all it removes
 * (no bundling), so what runs in Lambda is the code the unit tests exercise.
 */
export function lambdaCode(sourceFile: string): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(transpileForLambda(sourceFile)) });
}
