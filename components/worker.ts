import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";
import type { StackIdentity } from "../config/stack-identity.ts";
import {
  appContainerInputs, containerDefinition, fargateTask, serviceAutoscaling,
  type AppBackends, type AppSecretArns, type AppSettings,
} from "./web-service.ts";

export const WORKER_CONTAINER_NAME = "worker";

export interface WorkerArgs {
  /** The ECS cluster the web service runs in; the worker shares it. */
  readonly clusterArn: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  /** Which stack this is: it names the task definition family. */
  readonly identity: StackIdentity;
  readonly privateSubnetIds: readonly pulumi.Input<string>[];
  readonly appSecurityGroupId: pulumi.Input<string>;
  /** Command, sizes and counts. */
  readonly worker: PlatformConfig["worker"];
  /** The same image as the stable web service: the worker runs the same code. */
  readonly image: string;
  readonly settings: AppSettings;
  readonly backends: AppBackends;
  readonly secrets: AppSecretArns;
  readonly roles: { readonly executionRoleArn: pulumi.Input<string>; readonly taskRoleArn: pulumi.Input<string> };
  readonly logGroupName: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A Celery-style background worker: the application image with the worker command, the same
 * environment and secrets as the web tier, no load balancer, and CPU-based autoscaling.
 */
export class Worker extends pulumi.ComponentResource {
  readonly serviceName: pulumi.Output<string>;
  readonly taskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:Worker", name, {}, opts);
    const { worker } = args;
    const { environment, secrets } = appContainerInputs(args.settings, args.backends, args.secrets);

    const task = fargateTask(`${name}-task`, {
      family: `${args.identity.project}-${args.identity.stack}-worker`,
      cpu: worker.cpu, memory: worker.memory,
      executionRoleArn: args.roles.executionRoleArn, taskRoleArn: args.roles.taskRoleArn,
      container: pulumi.all([environment, secrets, args.logGroupName]).apply(([env, sec, logGroupName]) => containerDefinition({
        name: WORKER_CONTAINER_NAME, image: args.image, command: worker.command, environment: env, secrets: sec,
        logGroupName, region: args.settings.region, streamPrefix: "worker",
      })),
      tags: args.tags,
    }, this);
    this.taskDefinitionArn = task.arn;

    const service = new aws.ecs.Service(`${name}-service`, {
      cluster: args.clusterArn,
      taskDefinition: task.arn,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      desiredCount: worker.desiredCount,
      networkConfiguration: { subnets: [...args.privateSubnetIds], securityGroups: [args.appSecurityGroupId], assignPublicIp: false },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      waitForSteadyState: false,
      tags: args.tags,
    }, { parent: this, ignoreChanges: ["desiredCount"] });
    this.serviceName = service.name;

    serviceAutoscaling(name, {
      clusterName: args.clusterName, serviceName: service.name,
      min: worker.desiredCount, max: worker.maxCount,
    }, this);

    this.registerOutputs({ serviceName: this.serviceName, taskDefinitionArn: this.taskDefinitionArn });
  }
}
