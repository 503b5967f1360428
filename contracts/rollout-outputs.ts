import { z } from "zod";

const text = z.string().min(1);
const arn = z.string().regex(/^arn:aws[\w-]*:/, "expected an ARN (arn:aws:...)");

/**
 * The stack outputs the AWS rollout reads (`pulumi stack output --json`): the one declaration of the contract
 * between the program and the rollout. The application tier's outputs `satisfy` it (components/app-tier.ts) and
 * the rollout validates a stack's outputs against it before any AWS call (rollout/targets/aws/stack-outputs.ts).
 * All plain values: names, ARNs, CloudWatch dimensions and images, never a secret. It depends on nothing but zod,
 * so both sides import it without importing each other.
 */
export const stackOutputsSchema = z.object({
  region: text,
  clusterName: text,
  stableServiceName: text,
  canaryServiceName: text,
  httpsListenerArn: arn,
  stableTargetGroupArn: arn,
  canaryTargetGroupArn: arn,
  /** `targetgroup/<name>/<id>`: the CloudWatch `TargetGroup` dimension. */
  stableTargetGroupFullName: z.string().regex(/^targetgroup\/[^/]+\/[^/]+$/, "expected the ARN suffix targetgroup/<name>/<id>"),
  canaryTargetGroupFullName: z.string().regex(/^targetgroup\/[^/]+\/[^/]+$/, "expected the ARN suffix targetgroup/<name>/<id>"),
  /** `app/<name>/<id>`: the CloudWatch `LoadBalancer` dimension. */
  loadBalancerFullName: z.string().regex(/^app\/[^/]+\/[^/]+$/, "expected the ARN suffix app/<name>/<id>"),
  albDnsName: text,
  /** `https://<domain>/health`, or the ALB's own name where a stack has no domain. */
  healthUrl: z.url({ protocol: /^https?$/ }),
  canaryHeaderName: text,
  canaryHeaderValue: text,
  alarmNames: z.array(text),
  stableImage: text,
  canaryImage: text,
  /** Percent of traffic the HTTPS listener sends to the canary (config `web.canaryWeight`). */
  canaryWeight: z.coerce.number().int().min(0).max(100),
  taskSubnetIds: z.array(text).min(1),
  taskSecurityGroupIds: z.array(text).min(1),
  webContainerName: text,
  canaryTaskDefinitionArn: arn,
  webLogGroupName: text,
  /** Versioned, private bucket where the rollout keeps its state and lock. */
  rolloutStateBucket: text,
});

export type StackOutputs = z.infer<typeof stackOutputsSchema>;
