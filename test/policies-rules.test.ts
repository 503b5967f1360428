import assert from "node:assert/strict";
import * as policyProxy from "@pulumi/policy/proxy.js";
import { readinessRules } from "../policies/rules/catalog.ts";
import { parseExemption } from "../policies/rules/exemption.ts";
import { offlinePolicies, type Environment, type ReadinessRule } from "../policies/rules/rule.ts";
import { runPolicies, type AnalyzedResource, type PackConfig } from "../gate/policy-harness.ts";

/** The sentinel the host's deserializer puts where a preview value is unknown (marked @internal in the typings). */
const { unknownStringValue } = policyProxy as unknown as { unknownStringValue: string };

let seq = 0;
function res(type: string, name: string, inputs: Record<string, unknown>, state: Record<string, unknown> = {}): AnalyzedResource {
  return { urn: `urn:pulumi:test::p::${type}::${name}#${++seq}`, type, name, inputs, outputs: { ...inputs, ...state } };
}
const using = (r: AnalyzedResource, ...on: AnalyzedResource[]): AnalyzedResource => ({ ...r, dependencies: [...(r.dependencies ?? []), ...on.map((o) => o.urn)] });
const rule = (name: string): ReadinessRule => {
  const found = readinessRules.find((r) => r.name === name);
  assert.ok(found, `rule ${name} exists`);
  return found;
};
const envConfig = (name: string, environment: Environment, extra: Record<string, unknown> = {}): PackConfig =>
  ({ [name]: { enforcementLevel: "mandatory", environment, ...extra } });

async function violationsOf(name: string, resources: AnalyzedResource[], environment: Environment = "production", extra: Record<string, unknown> = {}) {
  const { findings } = await runPolicies([rule(name)], resources, { config: envConfig(name, environment, extra) });
  return findings;
}

const DIGEST = `sha256:${"a".repeat(64)}`;
type Env = Array<{ name: string; value: string }>;
const djangoEnv = (overrides: Record<string, string> = {}): Env => Object.entries({
  DJANGO_SETTINGS_MODULE: "config.settings.production", DEBUG: "False", ALLOWED_HOSTS: "app.example.com",
  CORS_ALLOWED_ORIGINS: "https://app.example.com", RATE_LIMIT_ENABLED: "true", DATABASE_HOST: "db", ...overrides,
}).map(([name, value]) => ({ name, value }));
const task = (environment: Env, image = `repo@${DIGEST}`) => res("aws:ecs/taskDefinition:TaskDefinition", "task", {
  containerDefinitions: JSON.stringify([{ name: "web", image, environment, secrets: [{ name: "SECRET_KEY", valueFrom: "arn:aws:secretsmanager:us-east-1:1:secret:k" }] }]),
});
const alb = (inputs: Record<string, unknown> = {}) => res("aws:lb/loadBalancer:LoadBalancer", "alb", {
  loadBalancerType: "application", internal: false, dropInvalidHeaderFields: true, accessLogs: { bucket: "logs", enabled: true }, ...inputs,
}, { arn: "arn:lb/app/alb/1", arnSuffix: "app/alb/1" });
const wafRule = (name: string, statement: Record<string, unknown>, action: Record<string, unknown> = { action: { block: {} } }) => ({ name, statement, ...action });
const goodWaf = () => [
  wafRule("admin", { andStatement: { statements: [
    { byteMatchStatement: { searchString: "/admin", fieldToMatch: { uriPath: {} } } },
    { notStatement: { statement: { ipSetReferenceStatement: { arn: "arn:ipset" } } } },
  ] } }),
  wafRule("common", { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } }, { overrideAction: { none: {} } }),
  wafRule("rate", { rateBasedStatement: { limit: 1000, aggregateKeyType: "IP" } }),
];
const webAcl = (rules: unknown[]) => res("aws:wafv2/webAcl:WebAcl", "acl", { scope: "REGIONAL", rules });
const alarm = (metricName: string, lb = "app/alb/1") => res("aws:cloudwatch/metricAlarm:MetricAlarm", `alarm-${metricName}`, { metricName, dimensions: { LoadBalancer: lb } });
const subnet = (name: string, az: string, inputs: Record<string, unknown> = {}) => res("aws:ec2/subnet:Subnet", name, { availabilityZone: az, ...inputs }, { id: `subnet-${name}` });
const nat = (name: string, subnetName: string) => res("aws:ec2/natGateway:NatGateway", name, { subnetId: `subnet-${subnetName}` });
const ecsService = (subnets: string[], extra: Record<string, unknown> = {}) => res("aws:ecs/service:Service", "svc", { networkConfiguration: { subnets: subnets.map((s) => `subnet-${s}`), assignPublicIp: false }, ...extra });
const sg = (name: string, ingress: Array<Record<string, unknown>>) => res("aws:ec2/securityGroup:SecurityGroup", name, { ingress }, { id: `sg-${name}` });
const webIngress = [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }];
const rdsInstance = (inputs: Record<string, unknown> = {}) => res("aws:rds/instance:Instance", "db", {
  engine: "postgres", storageEncrypted: true, publiclyAccessible: false, deletionProtection: true, backupRetentionPeriod: 14, multiAz: true, ...inputs,
});
const ec2 = (inputs: Record<string, unknown> = {}) => res("aws:ec2/instance:Instance", "app", {
  metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: true }, associatePublicIpAddress: false, ...inputs,
});
const accessLogs = { destinationArn: "arn:aws:logs:us-east-1:1:log-group:api", format: "$context.requestId" };
const restStage = (inputs: Record<string, unknown> = {}) => res("aws:apigateway/stage:Stage", "prod", { restApi: "api-1", stageName: "prod", accessLogSettings: accessLogs, ...inputs }, { arn: "arn:stage/prod" });
const httpStage = (inputs: Record<string, unknown> = {}) => res("aws:apigatewayv2/stage:Stage", "http", {
  apiId: "a", name: "$default", accessLogSettings: accessLogs, defaultRouteSettings: { throttlingRateLimit: 100, throttlingBurstLimit: 50 }, ...inputs,
});
const table = (inputs: Record<string, unknown> = {}) => res("aws:dynamodb/table:Table", "sessions", { pointInTimeRecovery: { enabled: true }, serverSideEncryption: { enabled: true }, ...inputs });
const bucket = () => res("aws:s3/bucket:Bucket", "media", {}, { id: "media-bucket", bucket: "media-bucket" });
const pab = (flags: Partial<Record<string, boolean>> = {}) => res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "media-pab", {
  bucket: "media-bucket", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...flags,
});
const policyDoc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

/** For every rule: resources that comply, and each way of violating it (with the environment it applies in). */
const cases: Record<string, { environment?: Environment; compliant: () => AnalyzedResource[]; violations: Record<string, () => AnalyzedResource[]> }> = {
  "security-group-no-world-ingress": {
    compliant: () => {
      const lbGroup = sg("alb", []);
      const byId = sg("alb2", webIngress);
      return [
        lbGroup, using(res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "https", { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }), lbGroup),
        using(alb(), lbGroup), byId, alb({ securityGroups: ["sg-alb2"] }),
        sg("app", [{ protocol: "tcp", fromPort: 8000, toPort: 8000, cidrBlocks: ["10.0.0.0/16"] }]),
      ];
    },
    violations: {
      "443 from anywhere on an instance's group": () => [sg("web-instance", webIngress), using(ec2(), sg("other", []))],
      "443 from anywhere through a rule on a group no load balancer uses": () => {
        const group = sg("app", []);
        return [group, using(res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "https", { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }), group)];
      },
      "ssh from anywhere (inline)": () => [res("aws:ec2/securityGroup:SecurityGroup", "sg", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] })],
      "all protocols from ::/0 (rule resource)": () => [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", { ipProtocol: "-1", cidrIpv6: "::/0" })],
      "port range including 443 (legacy rule)": () => [res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "ingress", protocol: "tcp", fromPort: 0, toPort: 1024, cidrBlocks: ["0.0.0.0/0"] })],
    },
  },
  "nat-gateway-per-az": {
    compliant: () => {
      const vpc = res("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "OnePerAz" } });
      return [subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), nat("nat-a", "a"), nat("nat-b", "b"), ecsService(["a", "b"]), vpc, using(res("aws:ecs/service:Service", "x", {}), vpc),
        // Private subnets that hold only a database, in an AZ without a NAT gateway.
        subnet("db-c", "us-east-1c"), res("aws:rds/instance:Instance", "db", { dbSubnetGroupName: "db" })];
    },
    violations: {
      "one NAT for two AZs with compute in both": () => [subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), nat("nat-a", "a"), ecsService(["a", "b"])],
      "Lambda in a VPC in an AZ without NAT": () => [subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), nat("nat-a", "a"), res("aws:lambda/function:Function", "fn", { vpcConfig: { subnetIds: ["subnet-b"] } })],
      "awsx single NAT strategy used by a service": () => {
        const vpc = res("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "Single" } });
        return [vpc, using(res("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: false } }), vpc)];
      },
    },
  },
  "alb-http-redirects-to-https": {
    compliant: () => [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443" } }] })],
    violations: {
      "forwards plain HTTP": () => [res("aws:alb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] })],
      "redirects to HTTP": () => [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTP" } }] })],
      "no protocol (HTTP by default) forwarding": () => [res("aws:lb/listener:Listener", "l", { port: 8080, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] })],
    },
  },
  "alb-https-tls12": {
    compliant: () => [res("aws:lb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" })],
    violations: {
      "default policy": () => [res("aws:lb/listener:Listener", "https", { protocol: "HTTPS" })],
      "TLS 1.0 policy": () => [res("aws:alb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08" })],
    },
  },
  "alb-access-logs-enabled": {
    compliant: () => [alb()],
    violations: { "no access logs": () => [alb({ accessLogs: undefined })], "disabled": () => [alb({ accessLogs: { bucket: "logs", enabled: false } })] },
  },
  "alb-drop-invalid-headers": {
    compliant: () => [alb(), res("aws:alb/loadBalancer:LoadBalancer", "nlb", { loadBalancerType: "network" })],
    violations: { "not dropped": () => [alb({ dropInvalidHeaderFields: false })], "alias type, unset": () => [res("aws:alb/loadBalancer:LoadBalancer", "a", {})] },
  },
  "alb-waf-associated": {
    compliant: () => [alb(), res("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc", { resourceArn: "arn:lb/app/alb/1", webAclArn: "acl" }), alb({ internal: true })],
    violations: { "no association": () => [alb()], "association with another ALB": () => [alb(), res("aws:wafv2/webAclAssociation:WebAclAssociation", "a", { resourceArn: "arn:other" })] },
  },
  "waf-common-and-rate-rules": {
    compliant: () => [webAcl(goodWaf())],
    violations: {
      "no common rule set": () => [webAcl(goodWaf().filter((r) => r.name !== "common"))],
      "common rule set in count mode": () => [webAcl(goodWaf().map((r) => r.name === "common" ? { ...r, overrideAction: { count: {} } } : r))],
      "no rate rule": () => [webAcl(goodWaf().filter((r) => r.name !== "rate"))],
    },
  },
  "waf-admin-allow-list": {
    compliant: () => [
      webAcl(goodWaf()),
      // The same guard, written other ways: statements swapped and nested, CONTAINS instead of STARTS_WITH.
      webAcl([wafRule("admin", { andStatement: { statements: [
        { notStatement: { statement: { ipSetReferenceStatement: { arn: "arn:ipset" } } } },
        { andStatement: { statements: [{ byteMatchStatement: { searchString: "/ADMIN/", positionalConstraint: "CONTAINS", fieldToMatch: { uriPath: {} } } }] } },
      ] } })]),
      // Allow the IP set on the admin path first, then block the admin path.
      webAcl([
        { ...wafRule("admin-allow", { andStatement: { statements: [{ ipSetReferenceStatement: { arn: "arn:ipset" } }, { byteMatchStatement: { searchString: "/admin" } }] } }, { action: { allow: {} } }), priority: 0 },
        { ...wafRule("admin-block", { byteMatchStatement: { searchString: "/admin", positionalConstraint: "STARTS_WITH" } }), priority: 1 },
      ]),
    ],
    violations: {
      "no admin rule": () => [webAcl(goodWaf().filter((r) => r.name !== "admin"))],
      "admin rule only counts": () => [webAcl(goodWaf().map((r) => r.name === "admin" ? { ...r, action: { count: {} } } : r))],
      "blocks the allow-list instead of everyone else": () => [webAcl([wafRule("admin", { andStatement: { statements: [
        { byteMatchStatement: { searchString: "/admin" } }, { ipSetReferenceStatement: { arn: "arn:ipset" } },
      ] } })])],
      "the block rule runs before the allow rule": () => [webAcl([
        { ...wafRule("admin-allow", { andStatement: { statements: [{ ipSetReferenceStatement: { arn: "arn:ipset" } }, { byteMatchStatement: { searchString: "/admin" } }] } }, { action: { allow: {} } }), priority: 2 },
        { ...wafRule("admin-block", { byteMatchStatement: { searchString: "/admin" } }), priority: 1 },
      ])],
    },
  },
  "ecs-no-debug-in-production": {
    compliant: () => [task(djangoEnv())],
    violations: {
      "DEBUG=True": () => [task(djangoEnv({ DEBUG: "True" }))],
      "local settings": () => [task(djangoEnv({ DJANGO_SETTINGS_MODULE: "config.settings.local" }))],
      "DJANGO_DEBUG=1 (cookiecutter-django)": () => [task(djangoEnv({ DJANGO_DEBUG: "1" }))],
      "django-configurations Dev class": () => [task(djangoEnv({ DJANGO_CONFIGURATION: "Dev" }))],
      "Django on Lambda with DJANGO_DEBUG": () => [res("aws:lambda/function:Function", "api", { environment: { variables: { DJANGO_SETTINGS_MODULE: "app.settings", DJANGO_DEBUG: "true" } } })],
    },
  },
  "no-literal-secret-env": {
    compliant: () => [
      task(djangoEnv({
        SECRET_KEY_ARN: "arn:x", AWS_S3_KEY_PREFIX: "media/", DATABASE_URL: "postgres://app@db.internal:5432/app", REDIS_URL: "rediss://cache:6379/0",
        DJANGO_SECRET_KEY: "arn:aws:secretsmanager:us-east-1:1:secret:django-key", API_TOKEN_PARAMETER: "/app/prod/api-token",
      })),
      res("aws:lambda/function:Function", "fn", { environment: { variables: { QUEUE_URL: "https://q", DB_PASSWORD: "arn:aws:ssm:us-east-1:1:parameter/app/db-password" } } }),
    ],
    violations: {
      "task DJANGO_SECRET_KEY literal": () => [task(djangoEnv({ DJANGO_SECRET_KEY: "django-insecure-abc" }))],
      "REDIS_URL with a password": () => [task(djangoEnv({ REDIS_URL: "rediss://:s3cret@cache:6379/0" }))],
      "a URL with a password under any name": () => [res("aws:lambda/function:Function", "fn", { environment: { variables: { DB_CONN: "mysql://app:hunter2@db/app" } } })],
      "task SECRET_KEY literal": () => [task(djangoEnv({ SECRET_KEY: "abc" }))],
      "task DATABASE_URL literal": () => [task(djangoEnv({ DATABASE_URL: "postgres://u:p@h/db" }))],
      "lambda API_TOKEN literal": () => [res("aws:lambda/function:Function", "fn", { environment: { variables: { API_TOKEN: "t" } } })],
      "lambda SENTRY_DSN literal": () => [res("aws:lambda/function:Function", "fn", { environment: { variables: { SENTRY_DSN: "https://k@s/1" } } })],
      "task DB_PASSWORD literal": () => [task(djangoEnv({ DB_PASSWORD: "hunter2" }))],
    },
  },
  "allowed-hosts-restricted": {
    compliant: () => [task(djangoEnv()), res("aws:lambda/function:Function", "api", { environment: { variables: { DJANGO_SETTINGS_MODULE: "app.settings.production", DJANGO_ALLOWED_HOSTS: "api.example.com" } } }),
      res("aws:lambda/function:Function", "worker", { environment: { variables: { QUEUE_URL: "https://q" } } })],
    violations: {
      "wildcard": () => [task(djangoEnv({ ALLOWED_HOSTS: "app.example.com,*" }))],
      "missing": () => [task(djangoEnv({ ALLOWED_HOSTS: "" }))],
      "DJANGO_ALLOWED_HOSTS wildcard": () => [task(djangoEnv({ ALLOWED_HOSTS: "", DJANGO_ALLOWED_HOSTS: "*" }))],
      "Django on Lambda without ALLOWED_HOSTS": () => [res("aws:lambda/function:Function", "api", { environment: { variables: { DJANGO_SETTINGS_MODULE: "app.settings.production" } } })],
    },
  },
  "cors-not-wildcard": {
    compliant: () => [task(djangoEnv()), res("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "cors", { corsRules: [{ allowedOrigins: ["https://app.example.com"] }] })],
    violations: {
      "S3 CORS *": () => [res("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "cors", { corsRules: [{ allowedOrigins: ["*"] }] })],
      "container CORS_ALLOWED_ORIGINS *": () => [task(djangoEnv({ CORS_ALLOWED_ORIGINS: "*" }))],
      "container CORS_ALLOW_ALL_ORIGINS": () => [task(djangoEnv({ CORS_ALLOW_ALL_ORIGINS: "True" }))],
    },
  },
  "rate-limiting-enabled": {
    compliant: () => [task(djangoEnv())],
    violations: { "disabled": () => [task(djangoEnv({ RATE_LIMIT_ENABLED: "false" }))], "RATELIMIT_ENABLE off": () => [task(djangoEnv({ RATELIMIT_ENABLE: "0" }))] },
  },
  "image-pinned-by-digest": {
    compliant: () => [task(djangoEnv())],
    violations: { "tag": () => [task(djangoEnv(), "repo:latest")], "short digest": () => [task(djangoEnv(), "repo@sha256:abc")] },
  },
  "ecs-service-no-public-ip": {
    compliant: () => [res("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: false } })],
    violations: { "public ip": () => [res("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: true } })] },
  },
  "ecs-service-circuit-breaker-rollback": {
    compliant: () => [res("aws:ecs/service:Service", "svc", { deploymentCircuitBreaker: { enable: true, rollback: true } }), res("aws:ecs/service:Service", "cd", { deploymentController: { type: "CODE_DEPLOY" } })],
    violations: { "missing": () => [res("aws:ecs/service:Service", "svc", {})], "no rollback": () => [res("aws:ecs/service:Service", "svc", { deploymentCircuitBreaker: { enable: true, rollback: false } })] },
  },
  "aurora-encrypted": {
    compliant: () => [res("aws:rds/cluster:Cluster", "db", { storageEncrypted: true })],
    violations: { "unencrypted": () => [res("aws:rds/cluster:Cluster", "db", {})] },
  },
  "aurora-not-public": {
    compliant: () => [res("aws:rds/clusterInstance:ClusterInstance", "db-1", { publiclyAccessible: false })],
    violations: { "public": () => [res("aws:rds/clusterInstance:ClusterInstance", "db-1", { publiclyAccessible: true })] },
  },
  "aurora-deletion-protection": {
    compliant: () => [res("aws:rds/cluster:Cluster", "db", { deletionProtection: true })],
    violations: { "off": () => [res("aws:rds/cluster:Cluster", "db", { deletionProtection: false })] },
  },
  "aurora-backup-retention": {
    compliant: () => [res("aws:rds/cluster:Cluster", "db", { backupRetentionPeriod: 14 })],
    violations: { "7 days in production": () => [res("aws:rds/cluster:Cluster", "db", { backupRetentionPeriod: 7 })], "AWS default (1 day)": () => [res("aws:rds/cluster:Cluster", "db", {})] },
  },
  "elasticache-encrypted": {
    compliant: () => [res("aws:elasticache/replicationGroup:ReplicationGroup", "c", { transitEncryptionEnabled: true, atRestEncryptionEnabled: true })],
    violations: { "no transit": () => [res("aws:elasticache/replicationGroup:ReplicationGroup", "c", { atRestEncryptionEnabled: true })], "no at-rest": () => [res("aws:elasticache/replicationGroup:ReplicationGroup", "c", { transitEncryptionEnabled: true, atRestEncryptionEnabled: "false" })] },
  },
  "lambda-xray-active": {
    compliant: () => [res("aws:lambda/function:Function", "fn", { tracingConfig: { mode: "Active" } })],
    violations: { "pass-through": () => [res("aws:lambda/function:Function", "fn", { tracingConfig: { mode: "PassThrough" } })], "unset": () => [res("aws:lambda/function:Function", "fn", {})] },
  },
  "secret-uses-kms-key": {
    compliant: () => [res("aws:secretsmanager/secret:Secret", "s", { kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" })],
    violations: { "aws-managed key": () => [res("aws:secretsmanager/secret:Secret", "s", {})] },
  },
  "s3-public-access-blocked": {
    compliant: () => [bucket(), pab()],
    violations: { "no block": () => [bucket()], "a flag off": () => [bucket(), pab({ restrictPublicBuckets: false })] },
  },
  "s3-encrypted": {
    compliant: () => [bucket(), res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", { bucket: "media-bucket", rules: [] })],
    violations: { "no SSE configuration (SSE-S3 by default)": () => [bucket()] },
  },
  "log-group-retention": {
    compliant: () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 30 })],
    violations: { "forever": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", {})] },
  },
  "alb-5xx-and-latency-alarms": {
    compliant: () => [alb(), alarm("TargetResponseTime"), res("aws:cloudwatch/metricAlarm:MetricAlarm", "math", { metricQueries: [{ id: "e", metric: { metricName: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: "app/alb/1" } } }] })],
    violations: { "no 5xx alarm": () => [alb(), alarm("TargetResponseTime")], "latency alarm on another ALB": () => [alb(), alarm("HTTPCode_Target_5XX_Count"), alarm("TargetResponseTime", "app/other/2")] },
  },
  "rds-instance-encrypted": {
    compliant: () => [rdsInstance()],
    violations: { "unencrypted (the API default)": () => [rdsInstance({ storageEncrypted: undefined })] },
  },
  "rds-instance-not-public": {
    compliant: () => [rdsInstance()],
    violations: { "public": () => [rdsInstance({ publiclyAccessible: true })] },
  },
  "rds-instance-deletion-protection": {
    compliant: () => [rdsInstance()],
    violations: { "no deletion protection": () => [rdsInstance({ deletionProtection: false })], "skips the final snapshot": () => [rdsInstance({ skipFinalSnapshot: true })] },
  },
  "rds-instance-backup-retention": {
    compliant: () => [rdsInstance(), rdsInstance({ backupRetentionPeriod: 0, replicateSourceDb: "arn:aws:rds:us-east-1:1:db:primary" })],
    violations: { "backups off": () => [rdsInstance({ backupRetentionPeriod: 0 })], "AWS default (1 day)": () => [rdsInstance({ backupRetentionPeriod: undefined })] },
  },
  "rds-instance-multi-az": {
    compliant: () => [rdsInstance()],
    violations: { "single AZ": () => [rdsInstance({ multiAz: false })] },
  },
  "dynamodb-point-in-time-recovery": {
    compliant: () => [table()],
    violations: { "no PITR": () => [table({ pointInTimeRecovery: undefined })] },
  },
  "dynamodb-kms-encryption": {
    compliant: () => [table()],
    violations: { "AWS-owned key": () => [table({ serverSideEncryption: undefined })] },
  },
  "ec2-imdsv2-required": {
    compliant: () => [ec2(), ec2({ metadataOptions: { httpEndpoint: "disabled" } })],
    violations: { "IMDSv1 allowed": () => [ec2({ metadataOptions: { httpTokens: "optional" } })], "not set": () => [ec2({ metadataOptions: undefined })] },
  },
  "ec2-root-volume-encrypted": {
    compliant: () => [ec2({ ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }] })],
    violations: { "root unencrypted": () => [ec2({ rootBlockDevice: undefined })], "data volume unencrypted": () => [ec2({ ebsBlockDevices: [{ deviceName: "/dev/sdf" }] })] },
  },
  "ec2-no-public-ip": {
    compliant: () => {
      const pub = subnet("pub", "us-east-1a", { mapPublicIpOnLaunch: true });
      return [ec2(), pub, using(ec2({ associatePublicIpAddress: false }), pub),
        using(ec2({ associatePublicIpAddress: true, tags: { "readiness:exempt:ec2-no-public-ip": "SSH bastion for the on-call team expires=2999-01-01" } }), pub)];
    },
    violations: {
      "public IP": () => [ec2({ associatePublicIpAddress: true })],
      "unset in a subnet that maps public IPs": () => { const pub = subnet("pub", "us-east-1a", { mapPublicIpOnLaunch: true }); return [pub, using(ec2({ associatePublicIpAddress: undefined }), pub)]; },
    },
  },
  "apigateway-access-logs": {
    compliant: () => [restStage(), httpStage()],
    violations: { "REST stage without": () => [restStage({ accessLogSettings: undefined })], "HTTP stage without format": () => [httpStage({ accessLogSettings: { destinationArn: "arn:x" } })] },
  },
  "apigateway-throttling": {
    compliant: () => {
      const stage = restStage();
      const api = res("aws:apigateway/restApi:RestApi", "api", {});
      return [httpStage(), stage, using(res("aws:apigateway/methodSettings:MethodSettings", "ms", { restApi: "api-1", stageName: "prod", methodPath: "*/*", settings: { throttlingRateLimit: 100, throttlingBurstLimit: 50 } }), stage),
        restStage({ stageName: "v2" }), res("aws:apigateway/usagePlan:UsagePlan", "plan", { apiStages: [{ apiId: "api-1", stage: "v2" }], throttleSettings: { rateLimit: 10, burstLimit: 5 } }),
        // Method settings naming the stage literally, tied to the stage's REST API by dependency (its id unknown in a preview).
        api, using(restStage({ stageName: "v3", restApi: unknownStringValue }), api), using(res("aws:apigateway/methodSettings:MethodSettings", "ms3", { restApi: unknownStringValue, stageName: "v3", settings: { throttlingRateLimit: 5, throttlingBurstLimit: 5 } }), api)];
    },
    violations: {
      "HTTP stage without route throttling": () => [httpStage({ defaultRouteSettings: undefined })],
      "REST stage without method settings": () => [restStage()],
      "REST method settings without limits": () => { const stage = restStage(); return [stage, using(res("aws:apigateway/methodSettings:MethodSettings", "ms", { settings: { metricsEnabled: true } }), stage)]; },
    },
  },
  "apigateway-rest-waf-associated": {
    compliant: () => { const stage = restStage(); return [stage, using(res("aws:wafv2/webAclAssociation:WebAclAssociation", "waf", { resourceArn: "unknown" }), stage), httpStage()]; },
    violations: { "REST stage without a WebACL": () => [restStage()] },
  },
  "iam-no-service-wildcard": {
    compliant: () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }) }), res("aws:iam/policy:Policy", "scoped", { policy: policyDoc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::media/*" }) })],
    violations: {
      "s3:* on *": () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["logs:CreateLogStream", "s3:*"], Resource: ["*"] }) })],
      "logs:* on * in a role's inline policy": () => [res("aws:iam/role:Role", "r", { inlinePolicies: [{ name: "logs", policy: policyDoc({ Effect: "Allow", Action: "logs:*", Resource: "*" }) }] })],
    },
  },
  "iam-no-star-on-star": {
    compliant: () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }) }), res("aws:iam/policy:Policy", "deny", { policy: policyDoc({ Effect: "Deny", Action: "*", Resource: "*" }) })],
    violations: { "admin role policy": () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: "*", Resource: "*" }) })], "admin managed policy (list form)": () => [res("aws:iam/policy:Policy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["*"], Resource: ["*"] }) })],
      "admin in a role's inline policy": () => [res("aws:iam/role:Role", "r", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "admin", policy: policyDoc({ Effect: "Allow", Action: "*", Resource: "*" }) }] })] },
  },
  "exemption-valid": {
    compliant: () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold expires=2999-01-01" } })],
    violations: {
      "expired": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold expires=2001-01-01" } })],
      "reason too short": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "legal expires=2999-01-01" } })],
      "no expiry": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold" } })],
      "unknown rule": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:no-such-rule": "kept for the legal hold expires=2999-01-01" } })],
    },
  },
  "exemptions-listed": {
    compliant: () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 30 })],
    violations: { "a valid exemption is listed": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold expires=2999-01-01" } })] },
  },
};

describe("readiness rules: compliant and violating cases", () => {
  it("every rule has a compliant case and at least one violation case", () => {
    const missing = readinessRules.map((r) => r.name).filter((n) => !cases[n] || Object.keys(cases[n].violations).length === 0);
    assert.deepEqual(missing, []);
  });
  for (const [name, c] of Object.entries(cases)) {
    describe(name, () => {
      it("passes a compliant resource set", async () => {
        assert.deepEqual((await violationsOf(name, c.compliant(), c.environment)).map((f) => f.message), []);
      });
      for (const [label, build] of Object.entries(c.violations)) {
        it(`reports: ${label}`, async () => {
          const found = await violationsOf(name, build(), c.environment);
          assert.ok(found.length > 0, `${name} did not report "${label}"`);
          assert.ok(found.every((f) => f.policyName === name && !f.unknownDuringPreview));
        });
      }
    });
  }
});

describe("readiness rules: metadata", () => {
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

