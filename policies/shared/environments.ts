/**
 * The environments every stack belongs to, declared once for the program (config/), the gate and the policy
 * pack. It lives inside policies/ because the pack is published on its own (`pulumi policy publish` uploads
 * policies/ only), and it imports nothing, so the pack takes no Pulumi-program dependency with it (ADR 0080).
 */
export const ENVIRONMENTS = ["dev", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(value: unknown): value is Environment {
  return (ENVIRONMENTS as readonly unknown[]).includes(value);
}
