import { stackOutputsSchema, type StackOutputs } from "../../../contracts/rollout-outputs.ts";

// The contract is declared once, beside neither side; the rollout's modules keep importing it from here.
export type { StackOutputs };

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
