import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { readinessRules } from "../policies/rules/catalog.ts";
import { parseExemption } from "../policies/core/exemption.ts";
import { offlinePolicies, type ReadinessRule } from "../policies/core/rule.ts";
import { runPolicies, type AnalyzedResource, type PackConfig } from "../gate/policy-harness.ts";
import { alarm, alb, bucket, djangoEnv, ec2, ecsService, nat, res, restStage, sg, subnet, task, unknownStringValue, using, webIngress } from "./policies/resources.ts";
import { envConfig, rule, violationsOf } from "./policies/rule-cases.ts";

// Each rule's compliant and noncompliant cases are in test/policies/<area>.test.ts.
describe("readiness rules: metadata", () => {
  it("each rule lives in policies/rules/<area>/<rule-name>.ts, and each area has its cases in test/policies/<area>.test.ts", async () => {
    for (const r of readinessRules) {
      const source = await readFile(new URL(`../policies/rules/${r.area}/${r.name}.ts`, import.meta.url), "utf8");
      assert.ok(source.includes(`name: "${r.name}"`) && source.includes(`area: "${r.area}"`), `${r.area}/${r.name}.ts declares ${r.name}`);
    }
    for (const area of new Set(readinessRules.map((r) => r.area))) await access(new URL(`policies/${area}.test.ts`, import.meta.url));
  });
  it("has unique kebab-case names and complete metadata", () => {
    const names = readinessRules.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const r of readinessRules) {
      assert.match(r.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(r.description.length > 20 && r.remediationSteps.length > 10 && r.why.length > 20, r.name);
      assert.ok(r.url?.endsWith(`#${r.name}`), r.name);
      assert.ok(["low", "medium", "high", "critical"].includes(r.severity ?? ""), r.name);
    }
  });
});

describe("policy harness: faithful to the @pulumi/policy host", () => {
  it("reports an unknown value as an advisory 'can't run during preview' finding instead of crashing", async () => {
    const { findings } = await runPolicies([rule("alb-https-tls12")], [res("aws:lb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: unknownStringValue })], { config: envConfig("alb-https-tls12", "production") });
    assert.equal(findings.length, 1);
    assert.equal(findings[0].enforcementLevel, "advisory");
    assert.equal(findings[0].unknownDuringPreview, true);
    assert.match(findings[0].message, /can't be known during preview/);
  });
  it("relates resources by dependency, so stack rules still decide when ARNs and ids are unknown during preview", async () => {
    const lb = { ...alb(), outputs: { loadBalancerType: "application", arn: unknownStringValue, arnSuffix: unknownStringValue } };
    const b = { ...bucket(), outputs: { id: unknownStringValue, bucket: unknownStringValue } };
    const dependent = (r: AnalyzedResource, on: AnalyzedResource) => ({ ...r, outputs: { ...r.outputs, [Object.keys(r.outputs ?? {})[0] ?? "x"]: unknownStringValue }, dependencies: [on.urn] });
    const resources = [
      lb, b,
      dependent(res("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc", { resourceArn: unknownStringValue }), lb),
      dependent(res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { bucket: unknownStringValue, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }), b),
      dependent(res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", { bucket: unknownStringValue }), b),
      { ...alarm("HTTPCode_Target_5XX_Count", unknownStringValue), dependencies: [lb.urn] },
      { ...alarm("TargetResponseTime", unknownStringValue), dependencies: [lb.urn] },
    ];
    const names = ["alb-waf-associated", "s3-public-access-blocked", "s3-encrypted", "alb-5xx-and-latency-alarms"];
    const { findings } = await runPolicies(names.map(rule), resources, { config: Object.assign({}, ...names.map((n) => envConfig(n, "production"))) });
    assert.deepEqual(findings.map((f) => `${f.policyName}: ${f.message}`), []);
    const wafConfig = envConfig("alb-waf-associated", "production");
    const { findings: alone } = await runPolicies([rule("alb-waf-associated")], [lb], { config: wafConfig });
    assert.deepEqual(alone.map((f) => [f.enforcementLevel, f.unknownDuringPreview ?? false]), [["mandatory", false]], "no association at all: nothing to compare, a finding");
    const loose = res("aws:wafv2/webAclAssociation:WebAclAssociation", "loose", { resourceArn: unknownStringValue });
    const { findings: unrelated } = await runPolicies([rule("alb-waf-associated")], [lb, loose], { config: wafConfig });
    assert.equal(unrelated.length, 1);
    assert.equal(unrelated[0].unknownDuringPreview, true, "an association tied to no ALB by dependency must be compared by ARN, which is unknown");
  });
  it("the stack parts of the new rules decide by dependency when every id and ARN is unknown (preview of a new stack)", async () => {
    const unknownIds = (r: AnalyzedResource): AnalyzedResource => ({ ...r, outputs: { ...r.outputs, id: unknownStringValue, arn: unknownStringValue } });
    const albGroup = unknownIds(sg("alb", webIngress));
    const lb = using({ ...alb(), outputs: { loadBalancerType: "application", securityGroups: [unknownStringValue], arn: unknownStringValue } }, albGroup);
    const [a, b] = [unknownIds(subnet("a", "us-east-1a")), unknownIds(subnet("b", "us-east-1b", { mapPublicIpOnLaunch: true }))];
    const natA = using({ ...nat("nat-a", "a"), outputs: { subnetId: unknownStringValue } }, a);
    const service = using({ ...ecsService([]), outputs: { networkConfiguration: { subnets: [unknownStringValue], assignPublicIp: false } } }, a);
    const vm = using({ ...ec2({ associatePublicIpAddress: undefined }), outputs: { subnetId: unknownStringValue } }, b);
    const stage = unknownIds(restStage());
    const assoc = using(res("aws:wafv2/webAclAssociation:WebAclAssociation", "waf", { resourceArn: unknownStringValue }), stage);
    const names = ["security-group-no-world-ingress", "nat-gateway-per-az", "ec2-no-public-ip", "apigateway-rest-waf-associated"];
    const { findings } = await runPolicies(names.map(rule), [albGroup, lb, a, b, natA, service, vm, stage, assoc], { config: Object.assign({}, ...names.map((n) => envConfig(n, "production"))) });
    assert.deepEqual(findings.map((f) => `${f.policyName}: ${f.message}`), ["ec2-no-public-ip: launches in subnet b, which maps a public IP on launch"]);
  });
  it("calls notApplicable for other types and for environments a rule does not cover", async () => {
    const run = (policies: ReadinessRule[]) => runPolicies(policies, [res("aws:s3/bucket:Bucket", "b", {}), task(djangoEnv(), "repo:latest")], {
      config: { ...envConfig("aurora-encrypted", "dev"), ...envConfig("image-pinned-by-digest", "dev") },
    });
    const gate = await run(offlinePolicies([rule("aurora-encrypted"), rule("image-pinned-by-digest")]));
    assert.deepEqual(gate.findings, []);
    // In the gate image-pinned-by-digest also judges awsx task definitions in validateStack, which reports not applicable in dev once.
    assert.deepEqual(gate.notApplicable.map((n) => n.policyName).sort(), ["aurora-encrypted", "aurora-encrypted", "image-pinned-by-digest", "image-pinned-by-digest", "image-pinned-by-digest"]);
    // The pack the engine loads has no such stack part (docs/adr/0064).
    const engine = await run([rule("aurora-encrypted"), rule("image-pinned-by-digest")]);
    assert.deepEqual(engine.notApplicable.map((n) => n.policyName).sort(), ["aurora-encrypted", "aurora-encrypted", "image-pinned-by-digest", "image-pinned-by-digest"]);
  });
  it("applies schema defaults: without config a rule behaves as in production", async () => {
    const found = await runPolicies([rule("image-pinned-by-digest")], [task(djangoEnv(), "repo:latest")]);
    assert.equal(found.findings.length, 1);
    assert.equal(found.findings[0].enforcementLevel, "mandatory", "critical/high rules default to mandatory");
  });
  it("takes the enforcement level from the pack config, including `all` and `disabled`", async () => {
    const resources = [res("aws:rds/cluster:Cluster", "db", {})];
    const level = async (config: PackConfig) => (await runPolicies([rule("aurora-encrypted")], resources, { config })).findings.map((f) => f.enforcementLevel);
    assert.deepEqual(await level({ "aurora-encrypted": "advisory" }), ["advisory"]);
    assert.deepEqual(await level({ all: "advisory" }), ["advisory"]);
    assert.deepEqual(await level({ all: "advisory", "aurora-encrypted": { enforcementLevel: "mandatory" } }), ["mandatory"]);
    assert.deepEqual(await level({ "aurora-encrypted": "disabled" }), []);
  });
  it("applies the production minimum only in production (environment from pack config)", async () => {
    const db = () => [res("aws:rds/cluster:Cluster", "db", { backupRetentionPeriod: 7 })];
    assert.equal((await violationsOf("aurora-backup-retention", db(), "staging")).length, 0);
    assert.equal((await violationsOf("aurora-backup-retention", db(), "production")).length, 1);
  });
});

describe("exemptions", () => {
  const exemptLogGroup = (value: string) => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": value } })];
  it("a valid tag exemption silences only the named rule", async () => {
    assert.equal((await violationsOf("log-group-retention", exemptLogGroup("kept for the legal hold expires=2999-01-01"))).length, 0);
  });
  it("an expired or reasonless exemption does not silence the rule", async () => {
    for (const value of ["kept for the legal hold expires=2001-01-01", "hold expires=2999-01-01"]) {
      const found = await violationsOf("log-group-retention", exemptLogGroup(value));
      assert.equal(found.length, 1);
      assert.match(found[0].message, /exemption ignored/);
    }
  });
  it("pack-config exemptions work for resources without tags, and invalid ones are violations", async () => {
    const assoc = [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", defaultActions: [{ type: "forward" }] })];
    assert.equal((await violationsOf("alb-http-redirects-to-https", assoc, "production", { exemptions: { http: "internal health port only expires=2999-01-01" } })).length, 0);
    const invalid = await violationsOf("alb-http-redirects-to-https", assoc, "production", { exemptions: { http: "short expires=2999-01-01" } });
    assert.ok(invalid.some((f) => /pack-config exemption for http is invalid/.test(f.message)));
  });
  it("parses reason and expiry, and the expiry day itself is still valid", () => {
    const e = parseExemption("r", "kept for the legal hold expires=2030-05-01", new Date("2030-05-01T23:00:00Z"));
    assert.deepEqual([e.valid, e.reason, e.expires], [true, "kept for the legal hold", "2030-05-01"]);
    assert.equal(parseExemption("r", "kept for the legal hold expires=2030-05-01", new Date("2030-05-02T00:00:00Z")).valid, false);
  });
});
