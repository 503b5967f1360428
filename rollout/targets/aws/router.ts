import type { Action, ElasticLoadBalancingV2Client, Listener } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeListenersCommand, DescribeTargetHealthCommand, ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { RouterHealth, Version, Weights } from "../../engine/model.ts";
import type { Clock, TrafficRouter } from "../../engine/ports.ts";
import type { RetryPolicy } from "./retry.ts";
import { callAws, DEFAULT_RETRY_POLICY } from "./retry.ts";

export interface AlbRouterOptions {
  readonly client: ElasticLoadBalancingV2Client;
  readonly listenerArn: string;
  readonly stableTargetGroupArn: string;
  readonly canaryTargetGroupArn: string;
  readonly clock: Clock;
  readonly retry?: RetryPolicy;
}

/** The listener's forward action with the two target groups at `weights`, every other setting kept. */
export function weightedForwardActions(current: readonly Action[], options: Pick<AlbRouterOptions, "listenerArn" | "stableTargetGroupArn" | "canaryTargetGroupArn">, weights: Weights): Action[] {
  const forward: Action = {
    Type: "forward",
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: options.stableTargetGroupArn, Weight: weights.stable },
        { TargetGroupArn: options.canaryTargetGroupArn, Weight: weights.canary },
      ],
      // Stickiness would pin clients to the canary after a rollback; the app tier never enables it either.
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
  const index = current.findIndex((action) => action.Type === "forward");
  if (index < 0) throw new Error(`listener ${options.listenerArn} has no forward default action: it is not the stable/canary listener the app tier creates`);
  const existing = current[index] as Action;
  return current.map((action, i) => (i === index ? { ...forward, ...(existing.Order === undefined ? {} : { Order: existing.Order }) } : action));
}

/**
 * The weights a listener applies, in percent, from its default forward action. ALB weights are relative
 * (0-999 each); a forward to one target group only sends it everything.
 */
export function weightsFromListener(listener: Listener, options: Pick<AlbRouterOptions, "listenerArn" | "stableTargetGroupArn" | "canaryTargetGroupArn">): Weights {
  const forward = listener.DefaultActions?.find((action) => action.Type === "forward");
  if (!forward) throw new Error(`listener ${options.listenerArn} has no forward default action`);
  const tuples = forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const weightOf = (arn: string): number => tuples.filter((tuple) => tuple.TargetGroupArn === arn).reduce((sum, tuple) => sum + (tuple.Weight ?? 1), 0);
  const stable = weightOf(options.stableTargetGroupArn);
  const canary = weightOf(options.canaryTargetGroupArn);
  const others = tuples.filter((tuple) => tuple.TargetGroupArn !== options.stableTargetGroupArn && tuple.TargetGroupArn !== options.canaryTargetGroupArn);
  if (others.length > 0) throw new Error(`listener ${options.listenerArn} also forwards to ${others.map((tuple) => tuple.TargetGroupArn).join(", ")}: not a stable/canary split this rollout manages`);
  if (stable + canary === 0) throw new Error(`listener ${options.listenerArn} forwards to neither target group with a weight above 0`);
  const canaryPercent = Math.round((canary * 100) / (stable + canary));
  return { stable: 100 - canaryPercent, canary: canaryPercent };
}

/** The ALB's HTTPS listener as the rollout's traffic router. */
export class AlbTrafficRouter implements TrafficRouter {
  private readonly retry: RetryPolicy;

  constructor(private readonly options: AlbRouterOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  private async describeListener(signal?: AbortSignal): Promise<Listener> {
    const { client, listenerArn, clock } = this.options;
    const output = await callAws(
      { operation: "elbv2:DescribeListeners", resource: `listener ${listenerArn}`, send: () => client.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }), { abortSignal: signal }) },
      clock,
      this.retry,
      signal,
    );
    const listener = output.Listeners?.[0];
    if (!listener) throw new Error(`listener ${listenerArn} not found by elbv2:DescribeListeners`);
    return listener;
  }

  async readWeights(signal?: AbortSignal): Promise<Weights> {
    return weightsFromListener(await this.describeListener(signal), this.options);
  }

  /** The ALB's own view of a version: healthy when at least one of its targets passes the ALB's health check. */
  async readHealth(version: Version, signal?: AbortSignal): Promise<RouterHealth> {
    const { client, clock } = this.options;
    const targetGroupArn = version === "stable" ? this.options.stableTargetGroupArn : this.options.canaryTargetGroupArn;
    const output = await callAws(
      { operation: "elbv2:DescribeTargetHealth", resource: `target group ${targetGroupArn}`, send: () => client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), { abortSignal: signal }) },
      clock,
      this.retry,
      signal,
    );
    const states = (output.TargetHealthDescriptions ?? []).map((description) => description.TargetHealth?.State ?? "unknown");
    const healthy = states.filter((state) => state === "healthy").length;
    const detail = `${healthy} of ${states.length} ${version} target(s) healthy on the ALB${states.length > healthy ? ` (${states.filter((state) => state !== "healthy").join(", ")})` : ""}`;
    return { status: healthy > 0 ? "healthy" : "unhealthy", detail };
  }

  /**
   * One ModifyListener (after reading the listener, to keep its other actions). It does not wait for the change
   * to show: the engine reads the listener back (engine/shift.ts), because the ALB publishes no propagation time.
   */
  async setWeights(weights: Weights, signal?: AbortSignal): Promise<void> {
    const { client, listenerArn, clock } = this.options;
    const current = await this.describeListener(signal);
    const actions = weightedForwardActions(current.DefaultActions ?? [], this.options, weights);
    await callAws(
      {
        operation: "elbv2:ModifyListener",
        resource: `listener ${listenerArn} (stable ${weights.stable} / canary ${weights.canary})`,
        send: () => client.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: actions }), { abortSignal: signal }),
      },
      clock,
      this.retry,
      signal,
    );
  }
}
