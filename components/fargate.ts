// Fargate pieces the web service and the worker share: the container definition, the task definition, the
// service and its target-tracking autoscaling.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NameValue, NameValueFrom } from "./app-environment.ts";

/** Non-root uid:gid the application image must run as. */
export const APP_USER = "1000:1000";
/** Target-tracking goals: average CPU percent, and requests per target per minute. */
const CPU_TARGET_PERCENT = 60;
const REQUESTS_PER_TARGET = 500;

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

export interface FargateServiceArgs {
  readonly clusterArn: pulumi.Input<string>;
  readonly taskDefinitionArn: pulumi.Input<string>;
  readonly desiredCount: number;
  /** Private subnets: tasks never get a public IP. */
  readonly subnetIds: readonly pulumi.Input<string>[];
  readonly securityGroupId: pulumi.Input<string>;
  /** The target group the service registers its container's port into, for a service behind a load balancer. */
  readonly loadBalancer?: { readonly targetGroupArn: pulumi.Input<string>; readonly containerName: string; readonly containerPort: number };
  /** Autoscaling owns the running count: `pulumi up` must not reset it. */
  readonly autoscaled: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** An ECS service on Fargate in private subnets, rolled back by the deployment circuit breaker. */
export function fargateService(name: string, args: FargateServiceArgs, opts: { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Resource>[] }): aws.ecs.Service {
  return new aws.ecs.Service(name, {
    cluster: args.clusterArn,
    taskDefinition: args.taskDefinitionArn,
    launchType: "FARGATE",
    platformVersion: "LATEST",
    desiredCount: args.desiredCount,
    networkConfiguration: { subnets: [...args.subnetIds], securityGroups: [args.securityGroupId], assignPublicIp: false },
    ...(args.loadBalancer ? {
      loadBalancers: [args.loadBalancer],
      healthCheckGracePeriodSeconds: 60,
    } : {}),
    deploymentCircuitBreaker: { enable: true, rollback: true },
    deploymentMinimumHealthyPercent: 100,
    deploymentMaximumPercent: 200,
    propagateTags: "SERVICE",
    enableEcsManagedTags: true,
    waitForSteadyState: false,
    tags: args.tags,
  }, { ...opts, ignoreChanges: args.autoscaled ? ["desiredCount"] : [] });
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
