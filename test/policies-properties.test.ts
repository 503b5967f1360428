import assert from "node:assert/strict";
import fc from "fast-check";
import * as policyProxy from "@pulumi/policy/proxy.js";
import { looksLikeSecretName } from "../policies/core/app-settings.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { MIN_REASON_LENGTH, parseExemption } from "../policies/core/exemption.ts";
import { T } from "../policies/core/resource-types.ts";
import { runPolicies, type AnalyzedResource } from "../gate/policy-harness.ts";

/** The host's sentinels for values unknown during preview (typed @internal in @pulumi/policy). */
const sentinels = policyProxy as unknown as Record<string, string>;
const UNKNOWNS = ["unknownStringValue", "unknownNumberValue", "unknownBooleanValue", "unknownArrayValue", "unknownObjectValue"].map((k) => sentinels[k]);

/** Input names the rules read, so generated resources hit the rules' code paths rather than only unknown keys. */
const KEYS = [
  "protocol", "port", "defaultActions", "sslPolicy", "loadBalancerType", "internal", "accessLogs", "dropInvalidHeaderFields",
  "rules", "containerDefinitions", "networkConfiguration", "deploymentCircuitBreaker", "deploymentController", "storageEncrypted",
  "publiclyAccessible", "deletionProtection", "backupRetentionPeriod", "transitEncryptionEnabled", "atRestEncryptionEnabled",
  "tracingConfig", "environment", "kmsKeyId", "bucket", "corsRules", "retentionInDays", "metricName", "dimensions", "metricQueries",
  "policy", "ingress", "cidrIpv4", "ipProtocol", "fromPort", "toPort", "type", "cidrBlocks", "subnetId", "availabilityZone",
  "natGateways", "tags", "arn", "arnSuffix", "resourceArn", "id", "blockPublicAcls",
];
const leaf = fc.oneof(fc.constantFrom(...UNKNOWNS), fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom("*", "0.0.0.0/0", "HTTP", "HTTPS", "[{\"name\":\"w\"}]", "{}"));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), tie("node"), { maxKeys: 4 })),
})).node;
const allTypes = Object.values(T).flat();

describe("readiness rules: properties", () => {
  it("never crash on any input shape, unknown preview values included (they only yield advisory findings)", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ type: fc.constantFrom(...allTypes), inputs: fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 8 }) }), { minLength: 1, maxLength: 6 }),
      async (generated) => {
        const resources: AnalyzedResource[] = generated.map((g, i) => ({ urn: `urn:${i}`, type: g.type, name: `r${i}`, inputs: g.inputs, outputs: g.inputs }));
        const { findings } = await runPolicies([...readinessRules], resources);
        for (const f of findings.filter((x) => x.unknownDuringPreview)) assert.equal(f.enforcementLevel, "advisory");
      },
    ), { numRuns: 300 });
  });

  it("an exemption is valid exactly when its reason is long enough and its expiry has not passed", () => {
    const day = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true });
    fc.assert(fc.property(fc.string({ maxLength: 30 }).filter((s) => !s.includes("expires=")), day, day, (reason, expires, now) => {
      const expiry = expires.toISOString().slice(0, 10);
      const e = parseExemption("rule", `${reason} expires=${expiry}`, now);
      const expected = reason.trim().replace(/[\s;]+$/, "").length >= MIN_REASON_LENGTH && expiry >= now.toISOString().slice(0, 10);
      assert.equal(e.valid, expected, JSON.stringify(e));
    }));
  });

  it("any name made of a secret word stays secret-looking whatever surrounds it, unless it names an ARN/ID", () => {
    const word = fc.constantFrom("SECRET", "KEY", "TOKEN", "PASSWORD", "DSN");
    const part = fc.stringMatching(/^[A-Z][A-Z0-9]{0,6}$/).filter((p) => !["SECRET", "KEY", "TOKEN", "PASSWORD", "PASSWD", "PASS", "DSN", "CREDENTIALS", "APIKEY"].includes(p));
    fc.assert(fc.property(fc.array(part, { maxLength: 2 }), word, fc.array(part, { maxLength: 2 }), (before, secret, after) => {
      const name = [...before, secret, ...after].join("_");
      const namesAnId = ["_ARN", "_ID", "_NAME", "_PATH", "_PREFIX", "_HEADER"].some((s) => name.endsWith(s));
      assert.equal(looksLikeSecretName(name), !namesAnId, name);
    }));
  });
});
