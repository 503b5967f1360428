import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";
import type { StackIdentity } from "../config/stack-identity.ts";
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from "./iam.ts";

/** Requests carrying this header (with the value below) always go to the canary, whatever the weights. */
export const CANARY_HEADER_NAME = "X-Canary";
export const CANARY_HEADER_VALUE = "always";
/** The container the load balancer routes to, in both task definitions. */
export const WEB_CONTAINER_NAME = "web";
/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** Non-root uid:gid the application image must run as. */
export const APP_USER = "1000:1000";
/** Target-tracking goals: average CPU percent, and requests per target per minute. */
const CPU_TARGET_PERCENT = 60;
const REQUESTS_PER_TARGET = 500;

/** Where the application reaches the data tier (database and cache); the data tier hands these over as they are. */
export interface DataBackends {
  /** RDS Proxy endpoint: the application never connects to the cluster directly. */
  readonly databaseHost: pulumi.Input<string>;
  readonly databaseName: string;
  /** Secrets Manager secret with `username` and `password` keys (the cluster's managed master secret). */
  readonly databaseSecretArn: pulumi.Input<string>;
  readonly cacheHost: pulumi.Input<string>;
  /** Secrets Manager secret holding the cache AUTH token as a plain string. */
  readonly cacheAuthSecretArn: pulumi.Input<string>;
}

/** Every backend the application reaches: the data tier's, and the application tier's own storage and outbox. */
export interface AppBackends extends DataBackends {
  readonly mediaBucketName: pulumi.Input<string>;
  readonly mediaBucketArn: pulumi.Input<string>;
  readonly outboxQueueUrl: pulumi.Input<string>;
  readonly outboxQueueArn: pulumi.Input<string>;
}

/** Secrets the application reads at start, as Secrets Manager ARNs (values never pass through Pulumi). */
export interface AppSecretArns {
  /** Django `SECRET_KEY`. */
  readonly secretKeyArn: pulumi.Input<string>;
  /** Third-party credentials by environment variable name. */
  readonly thirdPartySecretArns: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The application's settings shared by the web and worker containers. */
export interface AppSettings {
  readonly app: PlatformConfig["app"];
  readonly allowedHosts: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly csrfTrustedOrigins: readonly string[];
  readonly region: string;
}

/** One ECS container environment entry or secret reference. */
export interface NameValue { readonly name: string; readonly value: string }
export interface NameValueFrom { readonly name: string; readonly valueFrom: string }

/**
 * The container's plain environment: settings and endpoints only. Every credential goes through
 * `appSecrets` instead, so no secret value is ever part of the task definition.
 */
export function appEnvironment(settings: AppSettings, backends: { databaseHost: string; databaseName: string; cacheHost: string; mediaBucketName: string; outboxQueueUrl: string }): NameValue[] {
  return [
    { name: "DJANGO_SETTINGS_MODULE", value: settings.app.settingsModule },
    { name: "DEBUG", value: settings.app.debug ? "True" : "False" },
    { name: "ALLOWED_HOSTS", value: settings.allowedHosts.join(",") },
    { name: "CSRF_TRUSTED_ORIGINS", value: settings.csrfTrustedOrigins.join(",") },
    { name: "CORS_ALLOWED_ORIGINS", value: settings.corsOrigins.join(",") },
    { name: "RATE_LIMIT_ENABLED", value: String(settings.app.rateLimitEnabled) },
    {
      name: "GUNICORN_CMD_ARGS",
      // Access log to stdout (CloudWatch); the worker heartbeat lives on the writable /tmp volume.
      value: `--bind 0.0.0.0:${settings.app.port} --access-logfile - --error-logfile - --timeout 30 --graceful-timeout 25 --worker-tmp-dir /tmp`,
    },
    { name: "DATABASE_HOST", value: backends.databaseHost },
    { name: "DATABASE_PORT", value: "5432" },
    { name: "DATABASE_NAME", value: backends.databaseName },
    { name: "DATABASE_SSLMODE", value: "require" },
    { name: "REDIS_HOST", value: backends.cacheHost },
    { name: "REDIS_PORT", value: "6379" },
    { name: "REDIS_TLS", value: "true" },
    { name: "AWS_STORAGE_BUCKET_NAME", value: backends.mediaBucketName },
    { name: "AWS_REGION", value: settings.region },
    { name: "OUTBOX_QUEUE_URL", value: backends.outboxQueueUrl },
    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
    { name: "PYTHONUNBUFFERED", value: "1" },
  ];
}

/** Every credential as an ECS secret reference; the execution role may read exactly these ARNs. */
export function appSecrets(arns: { secretKeyArn: string; databaseSecretArn: string; cacheAuthSecretArn: string; thirdParty: Readonly<Record<string, string>> }): NameValueFrom[] {
  return [
    { name: "SECRET_KEY", valueFrom: arns.secretKeyArn },
    { name: "DATABASE_USER", valueFrom: `${arns.databaseSecretArn}:username::` },
    { name: "DATABASE_PASSWORD", valueFrom: `${arns.databaseSecretArn}:password::` },
    { name: "REDIS_PASSWORD", valueFrom: arns.cacheAuthSecretArn },
    ...Object.entries(arns.thirdParty).sort(([a], [b]) => a.localeCompare(b)).map(([name, valueFrom]) => ({ name, valueFrom })),
  ];
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]` -> the repository ARN; undefined elsewhere. */
export function ecrRepositoryArn(image: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(image);
  return match ? `arn:aws:ecr:${match[2]}:${match[1]}:repository/${match[3]}` : undefined;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly port?: number;
  /** Path probed from inside the container; omitted for processes that serve no HTTP. */
  readonly healthPath?: string;
  readonly environment: readonly NameValue[];
  readonly secrets: readonly NameValueFrom[];
  readonly logGroupName: string;
  readonly region: string;
  readonly streamPrefix: string;
}

/** The ECS container definition: non-root, read-only root filesystem with a writable /tmp, awslogs. */
export function containerDefinition(spec: ContainerSpec): Record<string, unknown> {
  return {
    name: spec.name,
    image: spec.image,
    essential: true,
    user: APP_USER,
    readonlyRootFilesystem: true,
    ...(spec.command ? { command: [...spec.command] } : {}),
    ...(spec.port ? { portMappings: [{ containerPort: spec.port, protocol: "tcp" }] } : {}),
    environment: [...spec.environment],
    secrets: [...spec.secrets],
    mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
    ...(spec.healthPath && spec.port ? {
      healthCheck: {
        // The image has Python (it runs Django) but need not have curl.
        command: ["CMD-SHELL", `python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${spec.port}${spec.healthPath}', timeout=3)" || exit 1`],
        interval: 15, timeout: 5, retries: 3, startPeriod: 30,
      },
    } : {}),
    logConfiguration: {
      logDriver: "awslogs",
      options: { "awslogs-group": spec.logGroupName, "awslogs-region": spec.region, "awslogs-stream-prefix": spec.streamPrefix },
    },
  };
}

export interface AppRolesArgs {
  readonly images: readonly string[];
  readonly logGroupArns: readonly pulumi.Input<string>[];
  /** Every secret ARN the containers reference (the execution role reads exactly these). */
  readonly secretArns: readonly pulumi.Input<string>[];
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly mediaBucketArn: pulumi.Input<string>;
  readonly outboxQueueArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The two roles every application task uses. The execution role is ECS's (pull the image, write logs,
 * inject secrets); the task role is the application's (media objects, the outbox queue). Neither can
 * do what the other does.
 */
export class AppRoles extends pulumi.ComponentResource {
  readonly executionRoleArn: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AppRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:AppRoles", name, {}, opts);
    const parent = { parent: this };
    const trust = serviceTrustPolicy("ecs-tasks.amazonaws.com");

    const repositories = [...new Set(args.images.map(ecrRepositoryArn).filter((arn): arn is string => arn !== undefined))];
    const execution = new aws.iam.Role(`${name}-execution`, { assumeRolePolicy: trust, description: "ECS: pull the image, write logs, inject secrets", tags: args.tags }, parent);
    const executionStatements: PolicyStatement[] = [
      ...(repositories.length > 0 ? [
        // GetAuthorizationToken has no resource-level permissions.
        { Sid: "EcrLogin", Effect: "Allow" as const, Action: "ecr:GetAuthorizationToken", Resource: "*" },
        { Sid: "PullImage", Effect: "Allow" as const, Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], Resource: repositories },
      ] : []),
      { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: args.logGroupArns.map((arn) => pulumi.interpolate`${arn}:*`) },
      { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: args.secretArns },
      { Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: args.kmsKeyArn },
    ];
    new aws.iam.RolePolicy(`${name}-execution-policy`, { role: execution.id, policy: policyDocument(executionStatements) }, parent);
    this.executionRoleArn = execution.arn;

    const task = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: trust, description: "The application: media objects and the outbox queue", tags: args.tags }, parent);
    new aws.iam.RolePolicy(`${name}-task-policy`, {
      role: task.id,
      policy: policyDocument([
        { Sid: "MediaObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: pulumi.interpolate`${args.mediaBucketArn}/*` },
        { Sid: "MediaList", Effect: "Allow", Action: "s3:ListBucket", Resource: args.mediaBucketArn },
        { Sid: "Outbox", Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueAttributes"], Resource: args.outboxQueueArn },
        // Media and the outbox are encrypted with the platform key.
        { Sid: "UseKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: args.kmsKeyArn },
      ]),
    }, parent);
    this.taskRoleArn = task.arn;

    this.registerOutputs({ executionRoleArn: this.executionRoleArn, taskRoleArn: this.taskRoleArn });
  }
}

export interface FargateTaskArgs {
  readonly family: string;
  readonly cpu: number;
  readonly memory: number;
  readonly executionRoleArn: pulumi.Input<string>;
  readonly taskRoleArn: pulumi.Input<string>;
  readonly container: pulumi.Input<Record<string, unknown>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** A Fargate task definition (ARM64) with one container and the ephemeral /tmp volume it writes to. */
export function fargateTask(name: string, args: FargateTaskArgs, parent: pulumi.Resource): aws.ecs.TaskDefinition {
  return new aws.ecs.TaskDefinition(name, {
    family: args.family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: String(args.cpu),
    memory: String(args.memory),
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
    executionRoleArn: args.executionRoleArn,
    taskRoleArn: args.taskRoleArn,
    volumes: [{ name: "tmp" }],
    containerDefinitions: pulumi.output(args.container).apply((c) => JSON.stringify([c])),
    tags: args.tags,
  }, { parent });
}

/** Target tracking on a service's desired count between `min` and `max`. */
export function serviceAutoscaling(
  name: string,
  args: { clusterName: pulumi.Input<string>; serviceName: pulumi.Input<string>; min: number; max: number; requestCountResourceLabel?: pulumi.Input<string> },
  parent: pulumi.Resource,
): aws.appautoscaling.Target {
  const target = new aws.appautoscaling.Target(`${name}-scaling`, {
    serviceNamespace: "ecs",
    scalableDimension: "ecs:service:DesiredCount",
    resourceId: pulumi.interpolate`service/${args.clusterName}/${args.serviceName}`,
    minCapacity: args.min,
    maxCapacity: args.max,
  }, { parent });
  const policy = (suffix: string, metric: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification, value: number) =>
    new aws.appautoscaling.Policy(`${name}-scale-${suffix}`, {
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: metric, targetValue: value, scaleInCooldown: 300, scaleOutCooldown: 60,
      },
    }, { parent });
  policy("cpu", { predefinedMetricType: "ECSServiceAverageCPUUtilization" }, CPU_TARGET_PERCENT);
  if (args.requestCountResourceLabel) {
    policy("requests", { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: args.requestCountResourceLabel }, REQUESTS_PER_TARGET);
  }
  return target;
}

/** Listener weights for the stable and canary target groups; they always sum to 100. */
export function listenerWeights(canaryWeight: number): { stable: number; canary: number } {
  if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
    throw new Error(`web.canaryWeight ${canaryWeight}: must be a whole number from 0 to 100`);
  }
  return { stable: 100 - canaryWeight, canary: canaryWeight };
}

export interface WebServiceArgs {
  readonly vpcId: pulumi.Input<string>;
  /** The ALB's subnets. */
  readonly publicSubnetIds: readonly pulumi.Input<string>[];
  /** The tasks' subnets (no public IPs). */
  readonly privateSubnetIds: readonly pulumi.Input<string>[];
  readonly albSecurityGroupId: pulumi.Input<string>;
  readonly appSecurityGroupId: pulumi.Input<string>;
  /** The config refuses a stack without a certificate, so the HTTPS listener always has one. */
  readonly domain: PlatformConfig["domain"];
  /** Which stack this is: it names the task definition families. */
  readonly identity: StackIdentity;
  /** Images, weights, sizes, counts and the idle timeout. */
  readonly web: PlatformConfig["web"];
  readonly settings: AppSettings;
  readonly backends: AppBackends;
  readonly secrets: AppSecretArns;
  readonly roles: { readonly executionRoleArn: pulumi.Input<string>; readonly taskRoleArn: pulumi.Input<string> };
  readonly logGroupName: pulumi.Input<string>;
  /** Bucket for ALB access logs; it must already let ALB log delivery write to `alb/`. */
  readonly accessLogBucketName: pulumi.Input<string>;
  /** Production: deletion protection on the ALB. */
  readonly production: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The web tier: a public ALB (HTTPS only; HTTP redirects) in front of two ECS Fargate services,
 * stable and canary, each behind its own target group. The HTTPS listener splits traffic between
 * them by weight (config `web.canaryWeight`), and a header rule sends probes to the canary only.
 */
export class WebService extends pulumi.ComponentResource {
  readonly clusterName: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly loadBalancerArn: pulumi.Output<string>;
  /** `app/<name>/<id>`: the CloudWatch `LoadBalancer` dimension. */
  readonly loadBalancerFullName: pulumi.Output<string>;
  readonly albDnsName: pulumi.Output<string>;
  readonly httpsListenerArn: pulumi.Output<string>;
  readonly httpListenerArn: pulumi.Output<string>;
  readonly stableTargetGroupArn: pulumi.Output<string>;
  readonly canaryTargetGroupArn: pulumi.Output<string>;
  /** `targetgroup/<name>/<id>`: the CloudWatch `TargetGroup` dimension. */
  readonly stableTargetGroupFullName: pulumi.Output<string>;
  readonly canaryTargetGroupFullName: pulumi.Output<string>;
  readonly stableServiceName: pulumi.Output<string>;
  readonly canaryServiceName: pulumi.Output<string>;
  readonly stableTaskDefinitionArn: pulumi.Output<string>;
  readonly canaryTaskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: WebServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:WebService", name, {}, opts);
    const parent = { parent: this };
    const { web, settings } = args;
    const port = settings.app.port;

    const alb = new aws.lb.LoadBalancer(`${name}-alb`, {
      loadBalancerType: "application",
      internal: false,
      subnets: [...args.publicSubnetIds],
      securityGroups: [args.albSecurityGroupId],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: args.production,
      idleTimeout: web.idleTimeoutSeconds,
      accessLogs: { bucket: args.accessLogBucketName, prefix: "alb", enabled: true },
      tags: args.tags,
    }, parent);
    this.loadBalancerArn = alb.arn;
    this.loadBalancerFullName = alb.arnSuffix;
    this.albDnsName = alb.dnsName;

    const targetGroup = (track: string) => new aws.lb.TargetGroup(`${name}-${track}`, {
      vpcId: args.vpcId,
      targetType: "ip",
      protocol: "HTTP",
      port,
      // Short drain: a rollback moves traffic away in seconds, so old connections need not linger.
      deregistrationDelay: 30,
      healthCheck: {
        path: "/health/ready", matcher: "200", protocol: "HTTP",
        interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3,
      },
      tags: { ...args.tags, Track: track },
    }, parent);
    const stableTg = targetGroup("stable");
    const canaryTg = targetGroup("canary");
    this.stableTargetGroupArn = stableTg.arn;
    this.canaryTargetGroupArn = canaryTg.arn;
    this.stableTargetGroupFullName = stableTg.arnSuffix;
    this.canaryTargetGroupFullName = canaryTg.arnSuffix;

    const http = new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: alb.arn, port: 80, protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags: args.tags,
    }, parent);
    this.httpListenerArn = http.arn;

    const weights = listenerWeights(web.canaryWeight);
    const https = new aws.lb.Listener(`${name}-https`, {
      loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS",
      certificateArn: args.domain.certificateArn,
      sslPolicy: TLS_POLICY,
      defaultActions: [{
        type: "forward",
        forward: {
          targetGroups: [{ arn: stableTg.arn, weight: weights.stable }, { arn: canaryTg.arn, weight: weights.canary }],
          // No stickiness: each request is routed by weight, so the canary's metrics reflect its share.
          stickiness: { enabled: false, duration: 1 },
        },
      }],
      tags: args.tags,
    }, parent);
    this.httpsListenerArn = https.arn;

    new aws.lb.ListenerRule(`${name}-canary-header`, {
      listenerArn: https.arn,
      priority: 10,
      conditions: [{ httpHeader: { httpHeaderName: CANARY_HEADER_NAME, values: [CANARY_HEADER_VALUE] } }],
      actions: [{ type: "forward", targetGroupArn: canaryTg.arn }],
      tags: args.tags,
    }, parent);

    const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
      settings: [{ name: "containerInsights", value: "enabled" }],
      tags: args.tags,
    }, parent);
    this.clusterName = cluster.name;
    this.clusterArn = cluster.arn;

    const { environment, secrets } = appContainerInputs(settings, args.backends, args.secrets);
    const task = (track: "stable" | "canary", image: string) => fargateTask(`${name}-${track}-task`, {
      family: `${args.identity.project}-${args.identity.stack}-web-${track}`,
      cpu: web.cpu, memory: web.memory,
      executionRoleArn: args.roles.executionRoleArn, taskRoleArn: args.roles.taskRoleArn,
      container: pulumi.all([environment, secrets, args.logGroupName]).apply(([env, sec, logGroupName]) => containerDefinition({
        name: WEB_CONTAINER_NAME, image, port, healthPath: "/health/live", environment: env, secrets: sec,
        logGroupName, region: settings.region, streamPrefix: track,
      })),
      tags: { ...args.tags, Track: track },
    }, this);
    const stableTask = task("stable", web.image);
    const canaryTask = task("canary", web.canaryImage);
    this.stableTaskDefinitionArn = stableTask.arn;
    this.canaryTaskDefinitionArn = canaryTask.arn;

    const service = (track: "stable" | "canary", taskDefinition: aws.ecs.TaskDefinition, tg: aws.lb.TargetGroup, desiredCount: number, autoscaled: boolean) =>
      new aws.ecs.Service(`${name}-${track}`, {
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        desiredCount,
        networkConfiguration: { subnets: [...args.privateSubnetIds], securityGroups: [args.appSecurityGroupId], assignPublicIp: false },
        loadBalancers: [{ targetGroupArn: tg.arn, containerName: WEB_CONTAINER_NAME, containerPort: port }],
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        healthCheckGracePeriodSeconds: 60,
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        waitForSteadyState: false,
        tags: { ...args.tags, Track: track },
      }, {
        parent: this,
        // A target group must be attached to a listener before a service can register into it.
        dependsOn: [https],
        // Autoscaling owns the running count; `pulumi up` must not reset it.
        ignoreChanges: autoscaled ? ["desiredCount"] : [],
      });
    const stable = service("stable", stableTask, stableTg, web.desiredCount, true);
    const canary = service("canary", canaryTask, canaryTg, web.canaryDesiredCount, false);
    this.stableServiceName = stable.name;
    this.canaryServiceName = canary.name;

    serviceAutoscaling(`${name}-stable`, {
      clusterName: cluster.name, serviceName: stable.name, min: web.desiredCount, max: web.maxCount,
      requestCountResourceLabel: pulumi.interpolate`${alb.arnSuffix}/${stableTg.arnSuffix}`,
    }, this);

    this.registerOutputs({
      clusterName: this.clusterName, httpsListenerArn: this.httpsListenerArn, albDnsName: this.albDnsName,
      stableServiceName: this.stableServiceName, canaryServiceName: this.canaryServiceName,
    });
  }
}

/** The container environment and secret references once every endpoint and ARN is known; web and worker share them. */
export function appContainerInputs(settings: AppSettings, backends: AppBackends, secrets: AppSecretArns): { environment: pulumi.Output<NameValue[]>; secrets: pulumi.Output<NameValueFrom[]> } {
  const b = backends;
  return {
    environment: pulumi.all([b.databaseHost, b.cacheHost, b.mediaBucketName, b.outboxQueueUrl])
      .apply(([databaseHost, cacheHost, mediaBucketName, outboxQueueUrl]) =>
        appEnvironment(settings, { databaseHost, databaseName: b.databaseName, cacheHost, mediaBucketName, outboxQueueUrl })),
    secrets: pulumi.all([secrets.secretKeyArn, b.databaseSecretArn, b.cacheAuthSecretArn, pulumi.output(secrets.thirdPartySecretArns)])
      .apply(([secretKeyArn, databaseSecretArn, cacheAuthSecretArn, thirdParty]) =>
        appSecrets({ secretKeyArn, databaseSecretArn, cacheAuthSecretArn, thirdParty: thirdParty as Record<string, string> })),
  };
}

/** Every ARN the execution role must be able to read for `appContainerInputs`. */
export function secretArnsToRead(secrets: AppSecretArns, backends: Pick<AppBackends, "databaseSecretArn" | "cacheAuthSecretArn">): pulumi.Input<string>[] {
  return [secrets.secretKeyArn, backends.databaseSecretArn, backends.cacheAuthSecretArn, ...Object.values(secrets.thirdPartySecretArns)];
}
