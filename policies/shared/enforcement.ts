import type { EnforcementLevel } from "@pulumi/policy";
import type { Severity } from "../rules/rule.ts";
import { ENVIRONMENTS, type Environment } from "./environments.ts";

/**
 * How strictly each environment enforces a rule of each severity: the one place the enforcement of the pack is
 * decided (as a cdk-nag pack applies its rules at a level). `policies/config/<env>.json` is generated from it
 * (`npm run docs:policies`; `npm run docs:check` fails when a file is stale), and a rule without config gets
 * production's level, so an unconfigured run is as strict as production (ADR 0023, ADR 0080).
 */
export const LEVEL_BY_SEVERITY: Readonly<Record<Environment, Readonly<Record<Severity, EnforcementLevel>>>> = {
  // Dev accepts what it deliberately trades for cost (1-day backups, one NAT gateway) without being blocked.
  dev: { critical: "mandatory", high: "advisory", medium: "advisory", low: "advisory" },
  staging: { critical: "mandatory", high: "mandatory", medium: "advisory", low: "advisory" },
  production: { critical: "mandatory", high: "mandatory", medium: "advisory", low: "advisory" },
};

/** Rules held mandatory in every environment although their severity would relax them, each with the reason. */
export const MANDATORY_EVERYWHERE: Readonly<Record<string, string>> = {
  "exemption-valid": "an exemption switches a rule off; a reasonless or expired one must never pass, in dev either (ADR 0021)",
  "ec2-imdsv2-required": "a dev instance's role holds real AWS credentials, and IMDSv1 hands them to one server-side request forgery",
};

/**
 * Exemptions for resources that cannot carry tags, per environment and rule: resource name ->
 * `"<reason, 10+ characters> expires=YYYY-MM-DD"` (ADR 0021). They land in that rule's entry of the generated file.
 */
export const PACK_CONFIG_EXEMPTIONS: Readonly<Partial<Record<Environment, Readonly<Record<string, Readonly<Record<string, string>>>>>>> = {};

type PackConfigEntry = EnforcementLevel | { readonly enforcementLevel: EnforcementLevel; readonly exemptions: Readonly<Record<string, string>> };

/** The level a rule gets in an environment. */
export function enforcementIn(environment: Environment, rule: { readonly name: string; readonly severity: Severity }): EnforcementLevel {
  return rule.name in MANDATORY_EVERYWHERE ? "mandatory" : LEVEL_BY_SEVERITY[environment][rule.severity];
}

/**
 * One environment's pack config in the engine's shape (`--policy-pack-config`): `all` first, carrying the
 * environment every rule reads, then each rule's level. The engine applies `all` before each policy's entry.
 */
export function packConfigFor(
  environment: Environment, rules: readonly { readonly name: string; readonly severity: Severity }[],
  exemptions: Readonly<Record<string, Readonly<Record<string, string>>>> = PACK_CONFIG_EXEMPTIONS[environment] ?? {},
): Record<string, PackConfigEntry | { readonly environment: Environment }> {
  const entry = (rule: { readonly name: string; readonly severity: Severity }): PackConfigEntry => {
    const level = enforcementIn(environment, rule);
    return exemptions[rule.name] === undefined ? level : { enforcementLevel: level, exemptions: exemptions[rule.name] };
  };
  return { all: { environment }, ...Object.fromEntries(rules.map((rule) => [rule.name, entry(rule)])) };
}

/** Every environment's pack config, as the files under policies/config/ hold them. */
export function packConfigs(rules: readonly { readonly name: string; readonly severity: Severity }[]): Record<Environment, ReturnType<typeof packConfigFor>> {
  return Object.fromEntries(ENVIRONMENTS.map((environment) => [environment, packConfigFor(environment, rules)])) as Record<Environment, ReturnType<typeof packConfigFor>>;
}
