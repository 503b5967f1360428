import type { TargetFactory, TargetModule } from "../engine/ports.ts";

/**
 * Targets by name, one line each: a target is a folder (rollout/targets/<name>/) holding its adapters and a
 * `target.ts` that exports a TargetModule. Each entry imports its module lazily so that `plan` or `status` on
 * the local target never loads the AWS SDK, and so that a target's heavy dependencies stay out of the others'
 * start-up time. The CLI picks `aws` when `--stack` is given, `local` otherwise.
 */
export const TARGETS: Readonly<Record<string, () => Promise<TargetModule>>> = {
  local: () => import("./local/target.ts"),
  aws: () => import("./aws/target.ts"),
};

export function targetNames(): string[] {
  return Object.keys(TARGETS).sort();
}

export async function loadTargetFactory(name: string): Promise<TargetFactory | undefined> {
  const load = TARGETS[name];
  return load ? (await load()).createTarget : undefined;
}

/** What is wrong with `image` for `target`, checked before the target starts anything (TargetModule.imageProblems). */
export async function imageIssues(target: string, image: string): Promise<readonly { readonly problem: string; readonly fix: string }[]> {
  const load = TARGETS[target];
  return load ? ((await load()).imageProblems?.(image) ?? []) : [];
}
