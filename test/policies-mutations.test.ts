import assert from "node:assert/strict";
import { readinessRules } from "../policies/rules/catalog.ts";
import { judgeStack, type GateReport } from "../gate/judge-stack.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import type { PackConfig } from "../gate/policy-harness.ts";
import type { RegisteredResource } from "../gate/program-runner.ts";
import { runStack } from "./support/stacks.ts";
import { accessLogs, READY_EC2, READY_RDS_INSTANCE } from "./policies/resources.ts";

type Resources = RegisteredResource[];
type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A copy of the stack with one resource's inputs changed (state follows: the engine's outputs include inputs).
 * `type` tells apart resources of different types that share a name (a service and its target group).
 */
function edit(resources: Resources, name: string, change: (inputs: Inputs) => void, type?: string): Resources {
  const selected = (r: RegisteredResource) => r.name === name && (type === undefined || r.type === type);
  assert.equal(resources.filter(selected).length, 1, `the production stack has no single resource named ${name}`);
  return resources.map((r) => {
    if (!selected(r)) return r;
    const inputs = structuredClone(r.inputs) as Inputs;
    change(inputs);
    const state = { ...r.state };
    for (const key of Object.keys(r.inputs)) if (!(key in inputs)) delete state[key];
    return { ...r, inputs, state: { ...state, ...inputs } };
  });
}

function without(resources: Resources, ...names: string[]): Resources {
  for (const name of names) assert.ok(resources.some((r) => r.name === name), `the production stack has no resource named ${name}`);
  return resources.filter((r) => !names.includes(r.name));
}

interface Container { name: string; image: string; environment: Array<{ name: string; value: string }> }
function editWebContainer(resources: Resources, change: (c: Container) => void): Resources {
  return edit(resources, "web-stable-task", (inputs) => {
    const containers = JSON.parse(inputs.containerDefinitions as string) as Container[];
    change(containers[0]);
    inputs.containerDefinitions = JSON.stringify(containers);
  });
}
const setEnv = (name: string, value: string) => (c: Container) => {
  c.environment = [...c.environment.filter((e) => e.name !== name), { name, value }];
};
const tag = (key: string, value: string) => (inputs: Inputs) => {
  inputs.tags = { ...(inputs.tags ?? {}), [key]: value };
};

const ECS_SERVICE = "aws:ecs/service:Service";

/**
 * A copy of the stack with one more resource: for rules about services the platform does not use (RDS instances,
 * EC2, API Gateway, DynamoDB), the change is adding one that is not ready. `uses` names resources it takes inputs from.
 */
function plus(resources: Resources, type: string, name: string, inputs: Inputs, uses: string[] = []): Resources {
  const urnOf = (n: string) => {
    const found = resources.find((r) => r.name === n);
    assert.ok(found, `the production stack has no resource named ${n}`);
    return found.urn;
  };
  return [...resources, {
    urn: `urn:pulumi:production::readiness::${type}::${name}`, type, name, custom: true, inputs, secretPaths: [],
    state: { ...inputs, id: `${name}-id`, arn: `arn:aws:test:${name}` }, dependencies: uses.map(urnOf),
  }];
}
const RDS_INSTANCE = "aws:rds/instance:Instance";
const EC2_INSTANCE = "aws:ec2/instance:Instance";

/** For every rule, one change to the compliant production stack that the rule must catch. */
const mutations: Record<string, (r: Resources) => Resources> = {
  "security-group-no-world-ingress": (r) => edit(r, "network-app-in-alb", (i) => { delete i.referencedSecurityGroupId; i.cidrIpv4 = "0.0.0.0/0"; }),
  "nat-gateway-per-az": (r) => without(r, "network-nat-2", "network-nat-3"),
  "alb-http-redirects-to-https": (r) => edit(r, "web-http", (i) => { i.defaultActions = [{ type: "forward", targetGroupArn: "arn:tg" }]; }),
  "alb-https-tls12": (r) => edit(r, "web-https", (i) => { i.sslPolicy = "ELBSecurityPolicy-2016-08"; }),
  "alb-access-logs-enabled": (r) => edit(r, "web-alb", (i) => { i.accessLogs = { ...i.accessLogs, enabled: false }; }),
  "alb-drop-invalid-headers": (r) => edit(r, "web-alb", (i) => { i.dropInvalidHeaderFields = false; }),
  "alb-waf-associated": (r) => without(r, "waf-alb"),
  "waf-common-and-rate-rules": (r) => edit(r, "waf-acl", (i) => { i.rules = i.rules.filter((x: Inputs) => !x.statement.rateBasedStatement); }),
  "waf-admin-allow-list": (r) => edit(r, "waf-acl", (i) => { i.rules = i.rules.filter((x: Inputs) => x.name !== "admin-allow-list"); }),
  "ecs-no-debug-in-production": (r) => editWebContainer(r, setEnv("DEBUG", "True")),
  "no-literal-secret-env": (r) => editWebContainer(r, setEnv("STRIPE_SECRET_KEY", "sk_live_123")),
  "allowed-hosts-restricted": (r) => editWebContainer(r, setEnv("ALLOWED_HOSTS", "*")),
  "cors-not-wildcard": (r) => edit(r, "storage-media-cors", (i) => { i.corsRules[0].allowedOrigins = ["*"]; }),
  "rate-limiting-enabled": (r) => editWebContainer(r, setEnv("RATE_LIMIT_ENABLED", "false")),
  "image-pinned-by-digest": (r) => editWebContainer(r, (c) => { c.image = c.image.replace(/@sha256:.*/, ":latest"); }),
  "ecs-service-no-public-ip": (r) => edit(r, "web-stable", (i) => { i.networkConfiguration.assignPublicIp = true; }, ECS_SERVICE),
  "ecs-service-circuit-breaker-rollback": (r) => edit(r, "web-canary", (i) => { i.deploymentCircuitBreaker = { enable: true, rollback: false }; }, ECS_SERVICE),
  "aurora-encrypted": (r) => edit(r, "database-cluster", (i) => { i.storageEncrypted = false; }),
  "aurora-not-public": (r) => edit(r, "database-instance-1", (i) => { i.publiclyAccessible = true; }),
  "aurora-deletion-protection": (r) => edit(r, "database-cluster", (i) => { i.deletionProtection = false; }),
  "aurora-backup-retention": (r) => edit(r, "database-cluster", (i) => { i.backupRetentionPeriod = 7; }),
  "elasticache-encrypted": (r) => edit(r, "cache-group", (i) => { i.transitEncryptionEnabled = false; }),
  "lambda-xray-active": (r) => edit(r, "events-publisher", (i) => { i.tracingConfig = { mode: "PassThrough" }; }),
  "secret-uses-kms-key": (r) => edit(r, "secrets-django-secret-key", (i) => { delete i.kmsKeyId; }, "aws:secretsmanager/secret:Secret"),
  "s3-public-access-blocked": (r) => without(r, "storage-media-public-access"),
  "s3-encrypted": (r) => without(r, "storage-media-encryption"),
  "log-group-retention": (r) => edit(r, "app-web-logs", (i) => { delete i.retentionInDays; }),
  "alb-5xx-and-latency-alarms": (r) => without(r, "monitoring-alb-p95-latency"),
  "iam-no-star-on-star": (r) => edit(r, "app-roles-task-policy", (i) => { i.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }); }),
  "rds-instance-encrypted": (r) => plus(r, RDS_INSTANCE, "legacy-db", { ...READY_RDS_INSTANCE, storageEncrypted: false }),
  "rds-instance-not-public": (r) => plus(r, RDS_INSTANCE, "legacy-db", { ...READY_RDS_INSTANCE, publiclyAccessible: true }),
  "rds-instance-deletion-protection": (r) => plus(r, RDS_INSTANCE, "legacy-db", { ...READY_RDS_INSTANCE, skipFinalSnapshot: true }),
  "rds-instance-backup-retention": (r) => plus(r, RDS_INSTANCE, "legacy-db", { ...READY_RDS_INSTANCE, backupRetentionPeriod: 3 }),
  "rds-instance-multi-az": (r) => plus(r, RDS_INSTANCE, "legacy-db", { ...READY_RDS_INSTANCE, multiAz: false }),
  "dynamodb-point-in-time-recovery": (r) => plus(r, "aws:dynamodb/table:Table", "sessions", { serverSideEncryption: { enabled: true } }),
  "dynamodb-kms-encryption": (r) => plus(r, "aws:dynamodb/table:Table", "sessions", { pointInTimeRecovery: { enabled: true } }),
  "ec2-imdsv2-required": (r) => plus(r, EC2_INSTANCE, "worker-vm", { ...READY_EC2, metadataOptions: { httpTokens: "optional" } }),
  "ec2-root-volume-encrypted": (r) => plus(r, EC2_INSTANCE, "worker-vm", { ...READY_EC2, rootBlockDevice: { encrypted: false } }),
  "ec2-no-public-ip": (r) => plus(r, EC2_INSTANCE, "worker-vm", { ...READY_EC2, associatePublicIpAddress: true }),
  "apigateway-access-logs": (r) => plus(r, "aws:apigatewayv2/stage:Stage", "api", { defaultRouteSettings: { throttlingRateLimit: 10, throttlingBurstLimit: 5 } }),
  "apigateway-throttling": (r) => plus(r, "aws:apigatewayv2/stage:Stage", "api", { accessLogSettings: accessLogs }),
  "apigateway-rest-waf-associated": (r) => plus(r, "aws:apigateway/stage:Stage", "api", { accessLogSettings: accessLogs, stageName: "prod", restApi: "api-1" }),
  "iam-no-service-wildcard": (r) => edit(r, "app-roles-task-policy", (i) => { i.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }); }),
  "exemption-valid": (r) => edit(r, "web-alb", tag("readiness:exempt:alb-access-logs-enabled", "temporary expires=2001-01-01")),
  "exemptions-listed": (r) => edit(r, "web-alb", tag("readiness:exempt:alb-access-logs-enabled", "log bucket is being migrated to another account expires=2999-12-31")),
};

describe("mutation suite: every rule catches a change to the compliant production stack", function () {
  let baseline: Resources;
  let packConfig: PackConfig;
  const evaluate = (resources: Resources): Promise<GateReport> => judgeStack(resources, {
    project: "readiness", stack: "production", environment: "production", programFile: "index.ts", stackFile: "Pulumi.production.yaml",
    rules: readinessRules, packConfig,
  });

  before(async function () {
    this.timeout(120_000);
    baseline = [...(await runStack("production")).resources];
    packConfig = await loadPackConfig("production", readinessRules);
  });

  it("every rule has a mutation", () => {
    assert.deepEqual(readinessRules.map((r) => r.name).filter((n) => !mutations[n]), []);
  });

  it("the unmutated production stack has no violation at all", async () => {
    const report = await evaluate(baseline);
    assert.deepEqual(report.violations.map((v) => `${v.rule}: ${v.message}`), []);
  });

  for (const rule of readinessRules) {
    it(`${rule.name} catches its mutation`, async () => {
      const mutate = mutations[rule.name];
      assert.ok(mutate, `no mutation for ${rule.name}`);
      const report = await evaluate(mutate(baseline));
      const caught = report.violations.filter((v) => v.rule === rule.name);
      assert.ok(caught.length > 0, `${rule.name} missed its mutation; rules that fired: ${[...new Set(report.violations.map((v) => v.rule))].join(", ") || "none"}`);
      const expected = rule.severity === "critical" || rule.severity === "high" ? "mandatory" : "advisory";
      assert.ok(caught.every((v) => v.enforcementLevel === expected), `${rule.name} should be ${expected} in production`);
    });
  }
});
