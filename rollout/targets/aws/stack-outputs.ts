import { z } from "zod";

const text = z.string().min(1);
const arn = z.string().regex(/^arn:aws[\w-]*:/, "expected an ARN (arn:aws:...)");

/**
 * The outputs of the application tier the AWS rollout reads (`pulumi stack output --json`). The shape is a
 * contract with index.ts; validating it up front turns a stack that was never brought up to date into one
 * clear message instead of an `undefined` deep inside an AWS request.
 */
export const stackOutputsSchema = z.object({
  region: text,
  clusterName: text,
  stableServiceName: text,
  canaryServiceName: text,
  httpsListenerArn: arn,
  stableTargetGroupArn: arn,
  canaryTargetGroupArn: arn,
  stableTargetGroupFullName: z.string().regex(/^targetgroup\/[^/]+\/[^/]+$/, "expected the ARN suffix targetgroup/<name>/<id>"),
  canaryTargetGroupFullName: z.string().regex(/^targetgroup\/[^/]+\/[^/]+$/, "expected the ARN suffix targetgroup/<name>/<id>"),
  loadBalancerFullName: z.string().regex(/^app\/[^/]+\/[^/]+$/, "expected the ARN suffix app/<name>/<id>"),
  albDnsName: text,
  healthUrl: z.url({ protocol: /^https?$/ }),
  canaryHeaderName: text,
  canaryHeaderValue: text,
  alarmNames: z.array(text),
  stableImage: text,
  canaryImage: text,
  canaryWeight: z.coerce.number().int().min(0).max(100),
  taskSubnetIds: z.array(text).min(1),
  taskSecurityGroupIds: z.array(text).min(1),
  webContainerName: text,
  canaryTaskDefinitionArn: arn,
  webLogGroupName: text,
  rolloutStateBucket: text,
});

export type StackOutputs = z.infer<typeof stackOutputsSchema>;

export class StackOutputsError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: readonly string[],
  ) {
    super(
      `stack ${stackName}: its outputs are not what the rollout needs (${problems.length} problem(s)):\n` +
        problems.map((problem) => `  - ${problem}`).join("\n") +
        `\nfix: run \`pulumi up -s ${stackName}\` with this version of the program so that index.ts exports them`,
    );
    this.name = "StackOutputsError";
  }
}

/** Validates `pulumi stack output --json` of `stack`; every missing or malformed output is named at once. */
export function parseStackOutputs(stack: string, json: unknown): StackOutputs {
  const result = stackOutputsSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join(".") || "(root)";
    const value = issue.path.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), json);
    return value === undefined ? `output ${field} is missing` : `output ${field}=${JSON.stringify(value)}: ${issue.message}`;
  });
  throw new StackOutputsError(stack, problems);
}

/** Where the canary and stable are probed: the public origin of `healthUrl` (the domain, or the ALB's name). */
export function probeOrigin(outputs: Pick<StackOutputs, "healthUrl">): string {
  return new URL(outputs.healthUrl).origin;
}
