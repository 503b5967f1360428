import type { TargetFactory } from "../engine/ports.ts";

/**
 * Targets by name. Each entry imports its module lazily so that `plan` or `status` on the local target never
 * loads the AWS SDK, and so that a target's heavy dependencies stay out of the others' start-up time.
 * The CLI picks `aws` when `--stack` is given, `local` otherwise.
 */
export const TARGETS: Readonly<Record<string, () => Promise<TargetFactory>>> = {
  local: async () => (await import("./local.ts")).createLocalTarget,
  aws: async () => (await import("./aws.ts")).createAwsTarget,
};

export function targetNames(): string[] {
  return Object.keys(TARGETS).sort();
}

export async function loadTargetFactory(name: string): Promise<TargetFactory | undefined> {
  const load = TARGETS[name];
  return load ? load() : undefined;
}
