import type { ECSClient } from "@aws-sdk/client-ecs";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import type { DeployedImages, Weights } from "../../engine/model.ts";
import type { Clock, Deployer } from "../../engine/ports.ts";
import type { PulumiCli } from "./pulumi-cli.ts";
import type { RetryPolicy } from "./retry.ts";
import { callAws, DEFAULT_RETRY_POLICY } from "./retry.ts";
import type { StackOutputs } from "./stack-outputs.ts";
import { parseStackOutputs } from "./stack-outputs.ts";
import { errorMessage } from "../../shared/errors.ts";

/**
 * The policy check that runs before the canary's `pulumi up` (`READINESS_POLICY_GATE`): the real engine's
 * preview with the pack, a command (the offline gate), or none. A failure stops the deploy before anything changes.
 */
export type PolicyCheck = { readonly kind: "none" } | { readonly kind: "policy-pack"; readonly directory: string } | { readonly kind: "command"; readonly run: (signal?: AbortSignal) => Promise<void> };

export interface PulumiDeployerOptions {
  readonly cli: PulumiCli;
  readonly ecs: ECSClient;
  readonly clock: Clock;
  readonly policyCheck?: PolicyCheck;
  readonly retry?: RetryPolicy;
}

/**
 * Deploys through the stack's config and `pulumi up`, never around it: after every call the config says
 * what runs, so the next `pulumi up` (by a person or CI) changes nothing and reverts nothing.
 */
export class PulumiDeployer implements Deployer {
  constructor(private readonly options: PulumiDeployerOptions) {}

  async outputs(signal?: AbortSignal): Promise<StackOutputs> {
    return parseStackOutputs(this.options.cli.stack, await this.options.cli.stackOutputs(signal));
  }

  async images(signal?: AbortSignal): Promise<DeployedImages> {
    const outputs = await this.outputs(signal);
    return { stable: outputs.stableImage, canary: outputs.canaryImage };
  }

  /** The canary runs as many tasks as stable, so that at 100 % it carries the load stable carried. */
  private async stableDesiredCount(outputs: StackOutputs, signal?: AbortSignal): Promise<number> {
    const service = `${outputs.stableServiceName} in cluster ${outputs.clusterName}`;
    const described = await callAws(
      {
        operation: "ecs:DescribeServices",
        resource: `service ${service}`,
        send: () => this.options.ecs.send(new DescribeServicesCommand({ cluster: outputs.clusterName, services: [outputs.stableServiceName] }), { abortSignal: signal }),
      },
      this.options.clock,
      this.options.retry ?? DEFAULT_RETRY_POLICY,
      signal,
    );
    const found = described.services?.find((each) => each.serviceName === outputs.stableServiceName);
    if (!found) throw new Error(`ecs:DescribeServices does not know the stable service ${service}: ${described.failures?.map((failure) => failure.reason).join(", ") || "not returned"}`);
    return Math.max(1, found.desiredCount ?? 1);
  }

  private async checkPolicies(signal?: AbortSignal): Promise<void> {
    const check = this.options.policyCheck ?? { kind: "none" };
    try {
      if (check.kind === "policy-pack") await this.options.cli.previewWithPolicyPack(check.directory, signal);
      if (check.kind === "command") await check.run(signal);
    } catch (error) {
      throw new Error(`policy check refused the deploy (mandatory violations; nothing was deployed): ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Config first, then the policy check (so `pulumi preview` judges the new config), then `pulumi up`. Only a
   * new image is checked: promote and reset return to versions that already passed, and a rollback must never
   * be blocked by a policy. A refused check leaves the new config unapplied; the engine's rollback resets it.
   */
  private async apply(settings: Readonly<Record<string, string | number>>, options: { readonly checkPolicies: boolean }, signal?: AbortSignal): Promise<void> {
    for (const [path, value] of Object.entries(settings)) await this.options.cli.setConfig(path, value, signal);
    if (options.checkPolicies) await this.checkPolicies(signal);
    await this.options.cli.up(signal);
  }

  async deployCanary(image: string, signal?: AbortSignal): Promise<void> {
    const tasks = await this.stableDesiredCount(await this.outputs(signal), signal);
    await this.apply({ "web.canaryImage": image, "web.canaryDesiredCount": tasks }, { checkPolicies: true }, signal);
  }

  async promote(image: string, signal?: AbortSignal): Promise<void> {
    await this.apply({ "web.image": image }, { checkPolicies: false }, signal);
  }

  async resetCanary(signal?: AbortSignal): Promise<void> {
    const outputs = await this.outputs(signal);
    // Back to what stable runs, scaled to zero: the canary service exists between rollouts but costs nothing.
    await this.apply({ "web.canaryImage": outputs.stableImage, "web.canaryDesiredCount": 0 }, { checkPolicies: false }, signal);
  }

  /** Records the weights the engine verified on the listener, so a `pulumi up` mid-rollout keeps them (ADR 0051). */
  async recordWeights(weights: Weights, signal?: AbortSignal): Promise<void> {
    await this.options.cli.setConfig("web.canaryWeight", weights.canary, signal);
  }
}
