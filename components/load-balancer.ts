// The web tier's public entry: the ALB, the stable and canary target groups, and the listeners that split
// traffic between them (the rollout moves the HTTPS listener's weights).
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";

/** Requests carrying this header (with the value below) always go to the canary, whatever the weights. */
export const CANARY_HEADER_NAME = "X-Canary";
export const CANARY_HEADER_VALUE = "always";
/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** Listener weights for the stable and canary target groups; they always sum to 100. */
export function listenerWeights(canaryWeight: number): { stable: number; canary: number } {
  if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
    throw new Error(`web.canaryWeight ${canaryWeight}: must be a whole number from 0 to 100`);
  }
  return { stable: 100 - canaryWeight, canary: canaryWeight };
}

export interface WebLoadBalancerArgs {
  readonly vpcId: pulumi.Input<string>;
  /** The ALB's subnets. */
  readonly publicSubnetIds: readonly pulumi.Input<string>[];
  readonly securityGroupId: pulumi.Input<string>;
  /** ACM certificate of the HTTPS listener. */
  readonly certificateArn: pulumi.Input<string>;
  /** The port the application container listens on (the target groups' port). */
  readonly port: number;
  /** The `web` settings the load balancer reads: the canary's share of HTTPS traffic and the idle timeout. */
  readonly web: Pick<PlatformConfig["web"], "canaryWeight" | "idleTimeoutSeconds">;
  /** Bucket for access logs; it must already let ALB log delivery write to `alb/`. */
  readonly accessLogBucketName: pulumi.Input<string>;
  /** Production: deletion protection on. */
  readonly deletionProtection: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** What `createWebLoadBalancer` creates. */
export interface WebLoadBalancer {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly stableTargetGroup: aws.lb.TargetGroup;
  readonly canaryTargetGroup: aws.lb.TargetGroup;
  /** Port 80: only redirects to HTTPS. */
  readonly httpListener: aws.lb.Listener;
  /** Port 443: forwards to both target groups by weight. */
  readonly httpsListener: aws.lb.Listener;
  /** Sends requests with the canary header to the canary target group only. */
  readonly canaryHeaderRule: aws.lb.ListenerRule;
}

/**
 * A public ALB (HTTPS only; HTTP redirects) in front of a stable and a canary target group. The HTTPS listener
 * splits traffic by weight, and a header rule sends probes to the canary only. Children are named `${name}-suffix`.
 */
export function createWebLoadBalancer(name: string, args: WebLoadBalancerArgs, parent?: pulumi.Resource): WebLoadBalancer {
  const opts = { parent };
  const loadBalancer = new aws.lb.LoadBalancer(`${name}-alb`, {
    loadBalancerType: "application",
    internal: false,
    subnets: [...args.publicSubnetIds],
    securityGroups: [args.securityGroupId],
    dropInvalidHeaderFields: true,
    enableDeletionProtection: args.deletionProtection,
    idleTimeout: args.web.idleTimeoutSeconds,
    accessLogs: { bucket: args.accessLogBucketName, prefix: "alb", enabled: true },
    tags: args.tags,
  }, opts);

  const targetGroup = (track: string) => new aws.lb.TargetGroup(`${name}-${track}`, {
    vpcId: args.vpcId,
    targetType: "ip",
    protocol: "HTTP",
    port: args.port,
    // Short drain: a rollback moves traffic away in seconds, so old connections need not linger.
    deregistrationDelay: 30,
    healthCheck: {
      path: "/health/ready", matcher: "200", protocol: "HTTP",
      interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3,
    },
    tags: { ...args.tags, Track: track },
  }, opts);
  const stableTargetGroup = targetGroup("stable");
  const canaryTargetGroup = targetGroup("canary");

  const httpListener = new aws.lb.Listener(`${name}-http`, {
    loadBalancerArn: loadBalancer.arn, port: 80, protocol: "HTTP",
    defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
    tags: args.tags,
  }, opts);

  const weights = listenerWeights(args.web.canaryWeight);
  const httpsListener = new aws.lb.Listener(`${name}-https`, {
    loadBalancerArn: loadBalancer.arn, port: 443, protocol: "HTTPS",
    certificateArn: args.certificateArn,
    sslPolicy: TLS_POLICY,
    defaultActions: [{
      type: "forward",
      forward: {
        targetGroups: [{ arn: stableTargetGroup.arn, weight: weights.stable }, { arn: canaryTargetGroup.arn, weight: weights.canary }],
        // No stickiness: each request is routed by weight, so the canary's metrics reflect its share.
        stickiness: { enabled: false, duration: 1 },
      },
    }],
    tags: args.tags,
  }, opts);

  const canaryHeaderRule = new aws.lb.ListenerRule(`${name}-canary-header`, {
    listenerArn: httpsListener.arn,
    priority: 10,
    conditions: [{ httpHeader: { httpHeaderName: CANARY_HEADER_NAME, values: [CANARY_HEADER_VALUE] } }],
    actions: [{ type: "forward", targetGroupArn: canaryTargetGroup.arn }],
    tags: args.tags,
  }, opts);

  return { loadBalancer, stableTargetGroup, canaryTargetGroup, httpListener, httpsListener, canaryHeaderRule };
}
