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

/**
 * What is wrong with `image` for `target`, checked before the target starts anything: the local target runs
 * only the sample app (`sample-app:<version>[?faults]`); the AWS stack's config validation judges its images.
 */
export async function imageIssues(target: string, image: string): Promise<{ readonly problem: string; readonly fix: string }[]> {
  if (target !== "local") return [];
  const { parseLocalImage } = await import("../adapters/local/image.ts");
  const parsed = parseLocalImage(image);
  return parsed.ok ? [] : parsed.problems.map((problem) => ({ problem: problem.replace(/^image="[^"]*": /, ""), fix: "faults and versions: docs/rollout-local.md" }));
}
