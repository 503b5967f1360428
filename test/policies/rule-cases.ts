// The per-area rule tests (cdk-nag style): under each rule's name, a compliant resource set and every way of
// violating the rule, run through the same harness the gate uses.
import assert from "node:assert/strict";
import type { Area, Environment, ReadinessRule } from "../../policies/core/rule.ts";
import { readinessRules } from "../../policies/rules/catalog.ts";
import { runPolicies, type AnalyzedResource, type PackConfig } from "../../gate/policy-harness.ts";

export const rule = (name: string): ReadinessRule => {
  const found = readinessRules.find((r) => r.name === name);
  assert.ok(found, `rule ${name} exists`);
  return found;
};

export const envConfig = (name: string, environment: Environment, extra: Record<string, unknown> = {}): PackConfig =>
  ({ [name]: { enforcementLevel: "mandatory", environment, ...extra } });

export async function violationsOf(name: string, resources: AnalyzedResource[], environment: Environment = "production", extra: Record<string, unknown> = {}) {
  const { findings } = await runPolicies([rule(name)], resources, { config: envConfig(name, environment, extra) });
  return findings;
}

/** One rule's cases: resources that comply, and each way of violating it (in the environment it applies in). */
export interface RuleCases {
  readonly environment?: Environment;
  readonly compliant: () => AnalyzedResource[];
  readonly noncompliant: Record<string, () => AnalyzedResource[]>;
}

/** Registers the cases of every rule of `area`; each rule of the area must have them, and no other rule may. */
export function ruleCases(area: Area, cases: Record<string, RuleCases>): void {
  describe(`rules of area ${area}`, () => {
    it("every rule of the area has a compliant case and at least one noncompliant case, and no other rule is here", () => {
      const inArea = readinessRules.filter((r) => r.area === area).map((r) => r.name);
      assert.deepEqual(inArea.filter((n) => !cases[n] || Object.keys(cases[n].noncompliant).length === 0), []);
      assert.deepEqual(Object.keys(cases).filter((n) => !inArea.includes(n)), []);
    });
    for (const [name, c] of Object.entries(cases)) {
      describe(name, () => {
        describe("compliant", () => {
          it("passes a compliant resource set", async () => {
            assert.deepEqual((await violationsOf(name, c.compliant(), c.environment)).map((f) => f.message), []);
          });
        });
        describe("noncompliant", () => {
          for (const [label, build] of Object.entries(c.noncompliant)) {
            it(`reports: ${label}`, async () => {
              const found = await violationsOf(name, build(), c.environment);
              assert.ok(found.length > 0, `${name} did not report "${label}"`);
              assert.ok(found.every((f) => f.policyName === name && !f.unknownDuringPreview));
            });
          }
        });
      });
    }
  });
}
