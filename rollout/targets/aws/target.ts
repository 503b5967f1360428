import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { S3Client } from "@aws-sdk/client-s3";
import { $, which } from "zx";
import { UsageError } from "../../../cli/exit-codes.ts";
import { AlbProbeSource } from "./alb-probes.ts";
import { EcsHookRunner } from "./ecs-hooks.ts";
import { StackAlarmSource, TargetGroupMetricsSource } from "./metrics.ts";
import { PulumiCli } from "./pulumi-cli.ts";
import type { PolicyCheck } from "./pulumi-deployer.ts";
import { PulumiDeployer } from "./pulumi-deployer.ts";
import type { RetryPolicy } from "./retry.ts";
import { S3StateStore } from "./s3-store.ts";
import type { StackOutputs } from "./stack-outputs.ts";
import { parseStackOutputs, probeOrigin } from "./stack-outputs.ts";
import { AlbTrafficRouter } from "./router.ts";
import { systemClock } from "../../engine/clock.ts";
import type { Clock, Target, TargetFactory, TargetOptions } from "../../engine/ports.ts";

export interface AwsClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ecs: ECSClient;
  readonly s3: S3Client;
}

export interface AwsTargetParts {
  readonly environment: string;
  readonly outputs: StackOutputs;
  readonly cli: PulumiCli;
  readonly clients: AwsClients;
  readonly clock: Clock;
  readonly policyCheck?: PolicyCheck;
  readonly retry?: RetryPolicy;
  /** Overrides for tests (fast polling, a fake HTTP probe). */
  readonly tuning?: { readonly hookPollIntervalMs?: number; readonly publishLagMs?: number; readonly heartbeatEveryMs?: number };
  readonly probe?: ConstructorParameters<typeof AlbProbeSource>[0]["probe"];
}

/** Wires the AWS adapters for one stack from its outputs. Pure wiring: no call is made until the engine runs. */
export function buildAwsTarget(parts: AwsTargetParts): Target {
  const { outputs, clients, clock, retry } = parts;
  const retryOption = retry ? { retry } : {};
  const deployer = new PulumiDeployer({ cli: parts.cli, ecs: clients.ecs, clock, ...(parts.policyCheck ? { policyCheck: parts.policyCheck } : {}), ...retryOption });
  const router = new AlbTrafficRouter({
    client: clients.elbv2,
    listenerArn: outputs.httpsListenerArn,
    stableTargetGroupArn: outputs.stableTargetGroupArn,
    canaryTargetGroupArn: outputs.canaryTargetGroupArn,
    clock,
    ...retryOption,
  });
  const origin = probeOrigin(outputs);
  const store = new S3StateStore({ client: clients.s3, bucket: outputs.rolloutStateBucket, clock, ...retryOption, ...(parts.tuning?.heartbeatEveryMs === undefined ? {} : { heartbeatEveryMs: parts.tuning.heartbeatEveryMs }) });
  return {
    name: "aws",
    describe: () =>
      [
        `aws: stack ${parts.cli.stack} (${outputs.region}), listener ${outputs.httpsListenerArn}: ${outputs.stableTargetGroupFullName} / ${outputs.canaryTargetGroupFullName}`,
        `metrics: CloudWatch AWS/ApplicationELB ${outputs.loadBalancerFullName}; alarms: ${outputs.alarmNames.length}; probes: ${origin} with ${outputs.canaryHeaderName}`,
        `deploys: pulumi config set + pulumi up -s ${parts.cli.stack}; state and lock: s3://${outputs.rolloutStateBucket}/rollouts/${parts.environment}/`,
      ].join("\n"),
    router,
    deployer,
    hooks: new EcsHookRunner({
      client: clients.ecs,
      region: outputs.region,
      clusterName: outputs.clusterName,
      taskDefinitionArn: outputs.canaryTaskDefinitionArn,
      containerName: outputs.webContainerName,
      subnetIds: outputs.taskSubnetIds,
      securityGroupIds: outputs.taskSecurityGroupIds,
      logGroupName: outputs.webLogGroupName,
      // The app tier names each track's log streams after the track (components/web-service.ts).
      logStreamPrefix: "canary",
      clock,
      ...(parts.tuning?.hookPollIntervalMs === undefined ? {} : { pollIntervalMs: parts.tuning.hookPollIntervalMs }),
      ...retryOption,
    }),
    store,
    metrics: new TargetGroupMetricsSource({
      client: clients.cloudwatch,
      loadBalancerFullName: outputs.loadBalancerFullName,
      targetGroupFullNames: { stable: outputs.stableTargetGroupFullName, canary: outputs.canaryTargetGroupFullName },
      clock,
      ...(parts.tuning?.publishLagMs === undefined ? {} : { publishLagMs: parts.tuning.publishLagMs }),
      ...retryOption,
    }),
    probes: new AlbProbeSource({ origin, canaryHeaderName: outputs.canaryHeaderName, canaryHeaderValue: outputs.canaryHeaderValue, ...(parts.probe ? { probe: parts.probe } : {}) }),
    alarms: new StackAlarmSource({ client: clients.cloudwatch, alarmNames: outputs.alarmNames, clock, ...retryOption }),
    clock,
    async close() {
      store.close();
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/**
 * The policy check before a canary deploy, from `READINESS_POLICY_GATE`: `policy-pack` (`pulumi preview --policy-pack policies`), `offline`
 * (`npm run gate -- --stack <stack>`, no cloud credentials needed) or `none` (the default). The check judges the
 * stack being rolled out, under that stack's own environment (config/stack-identity.ts), whatever `--env` says.
 */
export function policyCheckFromEnvironment(value: string | undefined, options: Pick<TargetOptions, "cwd"> & { readonly stack: string }): PolicyCheck {
  switch (value ?? "none") {
    case "none":
      return { kind: "none" };
    case "policy-pack":
      return { kind: "policy-pack", directory: "policies" };
    case "offline":
      return {
        kind: "command",
        run: async (signal) => {
          const output = await $({ cwd: options.cwd, nothrow: true, quiet: true, ...(signal ? { signal } : {}) })`npm run --silent gate -- --stack ${options.stack}`;
          if (output.exitCode !== 0) throw new Error(`\`npm run gate -- --stack ${options.stack}\` exited ${output.exitCode}:\n${output.stdall.trimEnd().split("\n").slice(-30).join("\n")}`);
        },
      };
    default:
      throw new Error(`READINESS_POLICY_GATE=${JSON.stringify(value)}: expected policy-pack, offline or none`);
  }
}

/**
 * The `aws` target (CLI `--stack <stack>`): everything comes from `pulumi stack output --json` of that stack.
 * The SDK's own retries are off (maxAttempts 1) so that retries happen in one visible place with the
 * rollout's clock and budget (rollout/targets/aws/retry.ts), not up to 3 x 6 times.
 */
export const createTarget: TargetFactory = async (options: TargetOptions): Promise<Target> => {
  if (!options.stack) throw new Error("--stack: the aws target needs the Pulumi stack to roll out, e.g. --stack production");
  const policyCheck = policyCheckFromEnvironment(process.env.READINESS_POLICY_GATE, { cwd: options.cwd, stack: options.stack });
  // Bad environment, not a failed rollout: say so before any call, with how to get the CLI (exit 2).
  if ((await which("pulumi", { nothrow: true })) === null) {
    throw new UsageError(`the aws target deploys and reads stack outputs through the Pulumi CLI, and \`pulumi\` is not on PATH. Install it (https://www.pulumi.com/docs/iac/download-install/, e.g. \`curl -fsSL https://get.pulumi.com | sh\`), log in with \`pulumi login\`, then run this again; nothing was changed`);
  }
  const cli = new PulumiCli({ stack: options.stack, cwd: options.cwd });
  const outputs = parseStackOutputs(options.stack, await cli.stackOutputs(options.signal));
  const config = { region: outputs.region, maxAttempts: 1 };
  const clients: AwsClients = {
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    ecs: new ECSClient(config),
    s3: new S3Client(config),
  };
  options.log(`aws: stack ${options.stack} in ${outputs.region}, state in s3://${outputs.rolloutStateBucket}`);
  return buildAwsTarget({ environment: options.environment, outputs, cli, clients, clock: systemClock, policyCheck });
};
