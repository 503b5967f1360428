import { ENVIRONMENTS, isEnvironment, type Environment } from "../policies/shared/environments.ts";

/**
 * Which stack this is and whose rules it follows. Resolved here, once, from the stack's name and its
 * `<project>:environment` config: the program's config, the gate's pack config and the rollout all take it
 * from here instead of deriving it again.
 */
export interface StackIdentity {
  readonly project: string;
  readonly stack: string;
  readonly environment: Environment;
}

/**
 * The environment a stack declares: its `<project>:environment` config when set, else the stack's own name
 * (a stack called `production` is production). Not yet checked against the known environments.
 */
export function declaredEnvironment(stack: string, configured: unknown): string {
  return typeof configured === "string" ? configured : stack;
}

/** What is wrong with a stack's environment, as the config refusal reports it. */
export interface IdentityProblem {
  readonly value: unknown;
  readonly problem: string;
  readonly fix: string;
}

/** The stack's identity, or why it has none: a stack must name an environment, by its name or its config. */
export function resolveStackIdentity(
  project: string, stack: string, configured: unknown,
): { readonly ok: true; readonly identity: StackIdentity } | { readonly ok: false; readonly problem: IdentityProblem } {
  const environment = declaredEnvironment(stack, configured);
  if (isEnvironment(environment)) return { ok: true, identity: { project, stack, environment } };
  return {
    ok: false,
    problem: {
      value: configured,
      problem: `stack "${stack}" is not named after an environment and sets none`,
      fix: `pulumi config set environment <${ENVIRONMENTS.join("|")}> -s ${stack}`,
    },
  };
}

/**
 * A rollout's environment (the key its state and lock live under): `--env`, else the stack's name, else
 * `local` for the local target. The rollout CLI asks here rather than deriving it itself.
 */
export function rolloutEnvironment(env: string | undefined, stack: string | undefined): string {
  return env ?? (stack === undefined ? "local" : stack);
}

/** What a rollout environment may be called: it names a directory (local state) and an S3 key prefix. */
export const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
