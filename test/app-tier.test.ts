import assert from "node:assert/strict";
import fc from "fast-check";
import type { ProgramRun, RegisteredResource } from "../gate/program-runner.ts";
import { asList, one, resourcesOfType, runStack, runUnderMocks, statementsOf } from "./support/stacks.ts";
import { ENVIRONMENTS } from "../policies/shared/environments.ts";
import { parsePlatformConfig, type PlatformConfig } from "../config/platform-config.ts";
import { stackOutputsSchema } from "../contracts/rollout-outputs.ts";

const ARN = {
  kms: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-a444-555555555555",
  secretKey: "arn:aws:secretsmanager:us-east-1:123456789012:secret:readiness/t/DJANGO_SECRET_KEY-AbCdEf",
  db: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-1234-GhIjKl",
  cache: "arn:aws:secretsmanager:us-east-1:123456789012:secret:readiness/t/CACHE_AUTH_TOKEN-MnOpQr",
  sentry: "arn:aws:secretsmanager:us-east-1:123456789012:secret:readiness/t/SENTRY_DSN-StUvWx",
  cluster: "arn:aws:rds:us-east-1:123456789012:cluster:readiness-t",
};

/** Names that must only ever reach a container through `secrets`. */
const SECRET_NAME = /SECRET|KEY|TOKEN|PASSWORD|DSN|^DATABASE_URL$/;

interface Container { name: string; image: string; user: string; readonlyRootFilesystem: boolean; environment: { name: string; value: string }[]; secrets: { name: string; valueFrom: string }[]; healthCheck?: { command: string[] }; logConfiguration: { logDriver: string } }
const containers = (r: RegisteredResource): Container[] => JSON.parse(String(r.inputs.containerDefinitions)) as Container[];
const envOf = (c: Container) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

/** The application tier alone, on literal data-tier inputs: what each component creates, tested in isolation. */
async function runAppTier(config: PlatformConfig, runtime: { project: string; stack: string } = config): Promise<ProgramRun> {
  const { ApplicationTier } = await import("../components/app-tier.ts");
  return runUnderMocks(async () => {
    const app = new ApplicationTier("app", { config, data: {
      vpcId: "vpc-0abc", publicSubnetIds: ["subnet-pub1", "subnet-pub2"], privateSubnetIds: ["subnet-prv1", "subnet-prv2"],
      albSecurityGroupId: "sg-alb", appSecurityGroupId: "sg-app", kmsKeyArn: ARN.kms,
      secretKeyArn: ARN.secretKey, thirdPartySecretArns: { SENTRY_DSN: ARN.sentry },
      dbClusterIdentifier: "readiness-t", dbClusterArn: ARN.cluster,
      backends: {
        databaseHost: "readiness-t.proxy-abc.us-east-1.rds.amazonaws.com", databaseName: "app", databaseSecretArn: ARN.db,
        cacheHost: "master.readiness-t.abc.use1.cache.amazonaws.com", cacheAuthSecretArn: ARN.cache,
      },
    } });
    return { ...app.outputs };
  }, { project: runtime.project, stack: runtime.stack, region: config.region });
}

function configFor(environment: "dev" | "production", overrides: Record<string, string> = {}): PlatformConfig {
  const production = environment === "production";
  const result = parsePlatformConfig({
    project: "readiness", stack: environment, region: "us-east-1", secretKeys: ["thirdPartySecrets"],
    values: {
      "domain": JSON.stringify({ name: "app.example.com", certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc-123" }),
      "allowedHosts": JSON.stringify(["app.example.com"]),
      "corsOrigins": JSON.stringify(["https://app.example.com"]),
      "adminAllowCidrs": JSON.stringify(["203.0.113.0/24"]),
      "web": JSON.stringify({ image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a".repeat(64), canaryWeight: 10 }),
      "thirdPartySecrets": JSON.stringify({ SENTRY_DSN: "https://key@sentry.example/1" }),
      ...(production ? { alarmEmail: "oncall@example.com" } : {}),
      ...overrides,
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe("application tier components (literal data-tier inputs)", () => {
  let prod: ProgramRun;
  let dev: ProgramRun;
  before(async () => {
    prod = await runAppTier(configFor("production"));
    dev = await runAppTier(configFor("dev"));
  });

  it("names the task definition families after the config's stack identity, never the runtime's", async () => {
    const run = await runAppTier({ ...configFor("dev"), project: "shop", stack: "eu-dev" }, { project: "runtime-project", stack: "runtime-stack" });
    const families = resourcesOfType(run, "aws:ecs/taskDefinition:TaskDefinition").map((r) => r.inputs.family).sort();
    assert.deepEqual(families, ["shop-eu-dev-web-canary", "shop-eu-dev-web-stable", "shop-eu-dev-worker"]);
  });

  it("the HTTP listener only redirects to HTTPS", () => {
    const http = resourcesOfType(prod, "aws:lb/listener:Listener").find((l) => l.inputs.port === 80);
    assert.ok(http);
    assert.deepEqual(http.inputs.defaultActions, [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]);
  });

  it("the HTTPS listener uses the certificate and TLS 1.3 policy and splits by the configured weight", () => {
    const https = resourcesOfType(prod, "aws:lb/listener:Listener").find((l) => l.inputs.port === 443);
    assert.ok(https);
    assert.equal(https.inputs.certificateArn, "arn:aws:acm:us-east-1:123456789012:certificate/abc-123");
    assert.equal(https.inputs.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    const [action] = https.inputs.defaultActions as { forward: { targetGroups: { arn: string; weight: number }[] } }[];
    const stable = one(prod, "aws:lb/targetGroup:TargetGroup", "-stable");
    const canary = one(prod, "aws:lb/targetGroup:TargetGroup", "-canary");
    assert.deepEqual(action.forward.targetGroups, [{ arn: stable.state.arn, weight: 90 }, { arn: canary.state.arn, weight: 10 }]);
  });

  it("a header rule sends X-Canary: always to the canary target group only", () => {
    const rule = one(prod, "aws:lb/listenerRule:ListenerRule");
    const canary = one(prod, "aws:lb/targetGroup:TargetGroup", "-canary");
    assert.deepEqual(rule.inputs.conditions, [{ httpHeader: { httpHeaderName: "X-Canary", values: ["always"] } }]);
    assert.deepEqual(rule.inputs.actions, [{ type: "forward", targetGroupArn: canary.state.arn }]);
  });

  it("the ALB drops invalid headers, logs to the log bucket and is deletion-protected in production only", () => {
    const albProd = one(prod, "aws:lb/loadBalancer:LoadBalancer");
    const albDev = one(dev, "aws:lb/loadBalancer:LoadBalancer");
    const logBucket = one(prod, "aws:s3/bucket:Bucket", "-alb-logs");
    assert.equal(albProd.inputs.dropInvalidHeaderFields, true);
    assert.equal(albProd.inputs.enableDeletionProtection, true);
    assert.equal(albDev.inputs.enableDeletionProtection, false);
    assert.equal(albProd.inputs.idleTimeout, 60);
    assert.deepEqual(albProd.inputs.accessLogs, { bucket: logBucket.state.bucket, prefix: "alb", enabled: true });
    assert.ok(albProd.dependencies.includes(one(prod, "aws:s3/bucketPolicy:BucketPolicy", "-alb-logs-policy").urn), "the ALB waits for the log bucket policy");
  });

  it("target groups check /health/ready", () => {
    for (const tg of resourcesOfType(prod, "aws:lb/targetGroup:TargetGroup")) {
      assert.equal((tg.inputs.healthCheck as { path: string }).path, "/health/ready");
      assert.equal(tg.inputs.targetType, "ip");
    }
  });

  it("the WebACL is associated with the ALB and has every required rule", () => {
    const alb = one(prod, "aws:lb/loadBalancer:LoadBalancer");
    const acl = one(prod, "aws:wafv2/webAcl:WebAcl");
    const association = one(prod, "aws:wafv2/webAclAssociation:WebAclAssociation");
    assert.equal(association.inputs.resourceArn, alb.state.arn);
    assert.equal(association.inputs.webAclArn, acl.state.arn);
    const rules = acl.inputs.rules as { name: string; statement: Record<string, Record<string, unknown>> }[];
    const managed = rules.map((r) => r.statement.managedRuleGroupStatement?.name).filter(Boolean);
    assert.deepEqual([...managed].sort(), ["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"]);
    const rate = rules.find((r) => r.statement.rateBasedStatement)?.statement.rateBasedStatement;
    assert.deepEqual(rate, { limit: 2000, aggregateKeyType: "IP", evaluationWindowSec: 300 });
  });

  it("the admin rule blocks /admin unless the real source IP is in the allow-list", () => {
    const acl = one(prod, "aws:wafv2/webAcl:WebAcl");
    const ipSet = one(prod, "aws:wafv2/ipSet:IpSet");
    assert.deepEqual(ipSet.inputs.addresses, ["203.0.113.0/24"]);
    const admin = (acl.inputs.rules as { name: string; action: unknown; statement: { andStatement: { statements: Record<string, unknown>[] } } }[])
      .find((r) => r.name === "admin-allow-list");
    assert.ok(admin);
    assert.deepEqual(admin.action, { block: {} });
    const [match, not] = admin.statement.andStatement.statements as [
      { byteMatchStatement: { searchString: string; positionalConstraint: string; fieldToMatch: unknown } },
      { notStatement: { statement: { ipSetReferenceStatement: Record<string, unknown> } } },
    ];
    assert.equal(match.byteMatchStatement.searchString, "/admin");
    assert.equal(match.byteMatchStatement.positionalConstraint, "STARTS_WITH");
    assert.deepEqual(match.byteMatchStatement.fieldToMatch, { uriPath: {} });
    assert.deepEqual(not.notStatement.statement.ipSetReferenceStatement, { arn: ipSet.state.arn }, "no forwardedIpConfig: X-Forwarded-For is not trusted");
  });

  it("WAF logs go to an aws-waf-logs- group with retention, redacting credentials", () => {
    const logging = one(prod, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
    const group = one(prod, "aws:cloudwatch/logGroup:LogGroup", "waf-logs");
    assert.match(String(group.state.name), /^aws-waf-logs-/);
    assert.equal(group.inputs.retentionInDays, 90);
    assert.deepEqual(logging.inputs.logDestinationConfigs, [group.state.arn]);
    assert.deepEqual(logging.inputs.redactedFields, [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }]);
  });

  it("no secret value or secret-named variable is in any container environment", () => {
    const tasks = resourcesOfType(prod, "aws:ecs/taskDefinition:TaskDefinition");
    assert.equal(tasks.length, 3);
    for (const task of tasks) {
      for (const c of containers(task)) {
        const leaked = c.environment.filter((e) => SECRET_NAME.test(e.name));
        assert.deepEqual(leaked, [], `${task.name}: ${leaked.map((e) => e.name).join(", ")} must come from secrets`);
        assert.ok(!JSON.stringify(c.environment).includes("sentry.example"), "the third-party value itself never appears");
        assert.deepEqual(c.secrets.map((s) => s.name), ["SECRET_KEY", "DATABASE_USER", "DATABASE_PASSWORD", "REDIS_PASSWORD", "SENTRY_DSN"]);
        assert.ok(c.secrets.every((s) => s.valueFrom.startsWith("arn:aws:secretsmanager:")));
      }
    }
  });

  it("web containers run the configured images non-root, read-only, with Django's production environment", () => {
    const stable = containers(one(prod, "aws:ecs/taskDefinition:TaskDefinition", "-stable-task"))[0];
    const canary = containers(one(prod, "aws:ecs/taskDefinition:TaskDefinition", "-canary-task"))[0];
    assert.equal(stable.image, `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"a".repeat(64)}`);
    assert.equal(canary.image, stable.image, "canaryImage defaults to image");
    for (const c of [stable, canary]) {
      assert.equal(c.name, "web");
      assert.equal(c.user, "1000:1000");
      assert.equal(c.readonlyRootFilesystem, true);
      assert.match(c.healthCheck?.command.join(" ") ?? "", /\/health\/live/);
      assert.equal(c.logConfiguration.logDriver, "awslogs");
      const env = envOf(c);
      assert.equal(env.DJANGO_SETTINGS_MODULE, "app.settings.production");
      assert.equal(env.DEBUG, "False");
      assert.equal(env.ALLOWED_HOSTS, "app.example.com");
      assert.equal(env.CORS_ALLOWED_ORIGINS, "https://app.example.com");
      assert.equal(env.CSRF_TRUSTED_ORIGINS, "https://app.example.com");
      assert.equal(env.RATE_LIMIT_ENABLED, "true");
      assert.match(env.GUNICORN_CMD_ARGS, /--access-logfile - .*--timeout 30/);
      assert.equal(env.DATABASE_HOST, "readiness-t.proxy-abc.us-east-1.rds.amazonaws.com");
    }
  });

  it("services run in private subnets without public IPs, with circuit breaker rollback; production autoscales", () => {
    const services = resourcesOfType(prod, "aws:ecs/service:Service");
    assert.equal(services.length, 3);
    for (const s of services) {
      assert.deepEqual(s.inputs.networkConfiguration, { subnets: ["subnet-prv1", "subnet-prv2"], securityGroups: ["sg-app"], assignPublicIp: false });
      assert.deepEqual(s.inputs.deploymentCircuitBreaker, { enable: true, rollback: true });
    }
    assert.ok(Number(one(prod, "aws:ecs/service:Service", "-stable").inputs.desiredCount) >= 2);
    assert.equal(one(prod, "aws:ecs/service:Service", "-canary").inputs.desiredCount, 0);
    const policies = resourcesOfType(prod, "aws:appautoscaling/policy:Policy").map((p) =>
      (p.inputs.targetTrackingScalingPolicyConfiguration as { predefinedMetricSpecification: { predefinedMetricType: string } }).predefinedMetricSpecification.predefinedMetricType);
    assert.ok(policies.includes("ECSServiceAverageCPUUtilization"));
    assert.ok(policies.includes("ALBRequestCountPerTarget"));
    const cluster = one(prod, "aws:ecs/cluster:Cluster");
    assert.deepEqual(cluster.inputs.settings, [{ name: "containerInsights", value: "enabled" }]);
  });

  it("no role allows every action on every resource; the execution role reads only the app's secrets", () => {
    for (const policy of resourcesOfType(prod, "aws:iam/rolePolicy:RolePolicy")) {
      for (const s of statementsOf(policy.inputs.policy)) {
        const wildAction = asList(s.Action).some((a) => a === "*" || a.endsWith(":*"));
        assert.ok(!wildAction, `${policy.name}: ${JSON.stringify(s.Action)}`);
      }
    }
    const execution = statementsOf(one(prod, "aws:iam/rolePolicy:RolePolicy", "-execution-policy").inputs.policy);
    const read = execution.find((s) => asList(s.Action).includes("secretsmanager:GetSecretValue"));
    assert.deepEqual([...asList(read?.Resource ?? [])].sort(), [ARN.cache, ARN.db, ARN.secretKey, ARN.sentry].sort());
    const task = statementsOf(one(prod, "aws:iam/rolePolicy:RolePolicy", "-task-policy").inputs.policy);
    assert.ok(task.every((s) => !asList(s.Action).some((a) => a.startsWith("secretsmanager:"))), "the task role cannot read secrets");
  });

  it("every Lambda is traced, has reserved concurrency and reports partial batch failures", () => {
    const functions = resourcesOfType(prod, "aws:lambda/function:Function");
    assert.ok(functions.length >= 1);
    for (const fn of functions) {
      assert.deepEqual(fn.inputs.tracingConfig, { mode: "Active" });
      assert.ok(Number(fn.inputs.reservedConcurrentExecutions) > 0);
    }
    const mapping = one(prod, "aws:lambda/eventSourceMapping:EventSourceMapping");
    assert.deepEqual(mapping.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
    const role = statementsOf(one(prod, "aws:iam/rolePolicy:RolePolicy", "-publisher-policy").inputs.policy);
    assert.ok(role.some((s) => asList(s.Action).includes("xray:PutTraceSegments")));
  });

  it("buckets are private, encrypted (ALB logs with SSE-S3), versioned and TLS-only; CORS lists config origins", () => {
    const buckets = resourcesOfType(prod, "aws:s3/bucket:Bucket");
    assert.equal(buckets.length, 3);
    for (const bucket of buckets) {
      const companion = (type: string) => resourcesOfType(prod, type).filter((r) => r.inputs.bucket === bucket.state.id);
      const [block] = companion("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
      assert.ok(block && ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block.inputs[k] === true), bucket.name);
      const [encryption] = companion("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
      const algorithm = (encryption.inputs.rules as { applyServerSideEncryptionByDefault: { sseAlgorithm: string } }[])[0].applyServerSideEncryptionByDefault.sseAlgorithm;
      assert.equal(algorithm, bucket.name.endsWith("-alb-logs") ? "AES256" : "aws:kms", bucket.name);
      assert.equal(companion("aws:s3/bucketVersioning:BucketVersioning").length, 1);
      const [policy] = companion("aws:s3/bucketPolicy:BucketPolicy");
      assert.ok(statementsOf(policy.inputs.policy).some((s) => s.Effect === "Deny" && JSON.stringify(s).includes('"aws:SecureTransport":"false"')));
    }
    const cors = one(prod, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration");
    assert.deepEqual((cors.inputs.corsRules as { allowedOrigins: string[] }[])[0].allowedOrigins, ["https://app.example.com"]);
  });

  it("alarms cover every failure named in the issue and all notify the alarm topic", () => {
    const topic = one(prod, "aws:sns/topic:Topic");
    const alarms = resourcesOfType(prod, "aws:cloudwatch/metricAlarm:MetricAlarm");
    for (const alarm of alarms) assert.deepEqual(alarm.inputs.alarmActions, [topic.state.arn], alarm.name);
    const metrics = alarms.map((a) => String(a.inputs.metricName ?? "math"));
    for (const m of ["math", "TargetResponseTime", "UnHealthyHostCount", "DatabaseConnections", "CPUUtilization", "FreeableMemory", "BlockedRequests", "Errors", "ApproximateNumberOfMessagesVisible"]) {
      assert.ok(metrics.includes(m), `an alarm on ${m}`);
    }
    assert.equal(resourcesOfType(prod, "aws:cloudwatch/dashboard:Dashboard").length, 1);
    assert.equal(one(prod, "aws:sns/topicSubscription:TopicSubscription").inputs.endpoint, "oncall@example.com");
  });

  it("AWS Backup covers the database and media bucket daily for 35 days in production only", () => {
    const selection = one(prod, "aws:backup/selection:Selection");
    const media = one(prod, "aws:s3/bucket:Bucket", "-media");
    assert.deepEqual(selection.inputs.resources, [ARN.cluster, media.state.arn]);
    const plan = one(prod, "aws:backup/plan:Plan");
    assert.equal((plan.inputs.rules as { lifecycle: { deleteAfter: number } }[])[0].lifecycle.deleteAfter, 35);
    assert.equal(one(prod, "aws:backup/vault:Vault").inputs.kmsKeyArn, ARN.kms);
    assert.equal(resourcesOfType(dev, "aws:backup/plan:Plan").length, 0);
  });
});

describe("application tier config", () => {
  it("refuses a stack without a certificate in every environment, naming the key and the fix", () => {
    for (const stack of ENVIRONMENTS) {
      const result = parsePlatformConfig({
        project: "readiness", stack, region: "us-east-1", secretKeys: [],
        values: { domain: JSON.stringify({ name: "app.example.com" }), web: JSON.stringify({ image: "repo/app@sha256:" + "c".repeat(64) }) },
      });
      assert.equal(result.ok, false);
      const issues = result.ok ? [] : result.issues.filter((i) => i.key === "readiness:domain.certificateArn");
      assert.equal(issues.length, 1, `${stack}: exactly one issue for the certificate`);
      assert.match(issues[0].fix, /pulumi config set .*domain\.certificateArn/);
    }
  });

  it("takes web.canaryDesiredCount from config and runs no canary task at rest by default", () => {
    assert.equal(configFor("production").web.canaryDesiredCount, 0);
    assert.equal(configFor("dev", { web: JSON.stringify({ image: "repo/app:1", canaryDesiredCount: 1 }) }).web.canaryDesiredCount, 1);
  });
});

describe("listener weights", () => {
  it("always sum to 100 and follow web.canaryWeight", async () => {
    const { listenerWeights } = await import("../components/load-balancer.ts");
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), (w) => {
      const weights = listenerWeights(w);
      return weights.canary === w && weights.stable + weights.canary === 100;
    }));
    assert.throws(() => listenerWeights(101), /web.canaryWeight 101/);
  });
});

describe("ecrRepositoryArn", () => {
  it("names the repository for ECR images and nothing else", async () => {
    const { ecrRepositoryArn } = await import("../components/app-roles.ts");
    assert.equal(ecrRepositoryArn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:" + "b".repeat(64)), "arn:aws:ecr:eu-west-1:123456789012:repository/team/app");
    assert.equal(ecrRepositoryArn("ghcr.io/org/app:1.2.3"), undefined);
  });
});

describe("the whole platform per environment (real stack files)", () => {
  const runs = new Map<string, ProgramRun>();
  before(async () => {
    for (const stack of ENVIRONMENTS) runs.set(stack, await runStack(stack));
  });

  for (const stack of ENVIRONMENTS) {
    it(`${stack}: exports the complete rollout contract`, () => {
      const run = runs.get(stack);
      assert.ok(run);
      const o = run.outputs;
      for (const key of ["region", "clusterName", "stableServiceName", "canaryServiceName", "httpsListenerArn", "stableTargetGroupArn",
        "canaryTargetGroupArn", "albDnsName", "canaryTaskDefinitionArn", "webLogGroupName", "rolloutStateBucket", "stableImage", "canaryImage"]) {
        assert.equal(typeof o[key], "string", `${key} is a string`);
        assert.notEqual(o[key], "", key);
      }
      assert.match(String(o.stableTargetGroupFullName), /^targetgroup\/[^/]+\/[0-9a-f]{16}$/);
      assert.match(String(o.canaryTargetGroupFullName), /^targetgroup\/[^/]+\/[0-9a-f]{16}$/);
      assert.match(String(o.loadBalancerFullName), /^app\/[^/]+\/[0-9a-f]{16}$/);
      assert.match(String(o.healthUrl), /^https:\/\/[a-z0-9.-]+\/health$/);
      assert.equal(o.canaryHeaderName, "X-Canary");
      assert.equal(o.canaryHeaderValue, "always");
      assert.equal(o.webContainerName, "web");
      assert.equal(o.canaryWeight, 0);
      for (const list of ["alarmNames", "taskSubnetIds", "taskSecurityGroupIds"]) {
        assert.ok(Array.isArray(o[list]) && (o[list] as unknown[]).length > 0 && (o[list] as unknown[]).every((v) => typeof v === "string"), list);
      }
      const alarmNames = resourcesOfType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.state.name);
      assert.deepEqual([...(o.alarmNames as string[])].sort(), [...alarmNames].sort());
      // The rollout validates a stack's outputs against the same declaration before any AWS call.
      const parsed = stackOutputsSchema.safeParse(o);
      assert.ok(parsed.success, parsed.success ? "" : parsed.error.message);
    });

    it(`${stack}: WAF on the ALB, no plaintext secret in containers, Lambdas traced, HTTP only redirects`, () => {
      const run = runs.get(stack);
      assert.ok(run);
      assert.equal(one(run, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs.resourceArn, one(run, "aws:lb/loadBalancer:LoadBalancer").state.arn);
      for (const task of resourcesOfType(run, "aws:ecs/taskDefinition:TaskDefinition")) {
        for (const c of containers(task)) assert.deepEqual(c.environment.filter((e) => SECRET_NAME.test(e.name)), []);
      }
      for (const fn of resourcesOfType(run, "aws:lambda/function:Function")) assert.deepEqual(fn.inputs.tracingConfig, { mode: "Active" }, fn.name);
      for (const listener of resourcesOfType(run, "aws:lb/listener:Listener").filter((l) => l.inputs.protocol === "HTTP")) {
        assert.deepEqual((listener.inputs.defaultActions as { type: string }[]).map((a) => a.type), ["redirect"]);
      }
      const https = resourcesOfType(run, "aws:lb/listener:Listener").find((l) => l.inputs.protocol === "HTTPS");
      const [forward] = (https?.inputs.defaultActions ?? []) as { forward: { targetGroups: { arn: string; weight: number }[] } }[];
      assert.deepEqual(forward.forward.targetGroups.map((g) => g.weight), [100 - Number(run.outputs.canaryWeight), Number(run.outputs.canaryWeight)]);
      const rule = one(run, "aws:lb/listenerRule:ListenerRule");
      assert.equal(rule.inputs.listenerArn, https?.state.arn);
      assert.deepEqual(rule.inputs.actions, [{ type: "forward", targetGroupArn: run.outputs.canaryTargetGroupArn }]);
      const cors = resourcesOfType(run, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").flatMap((c) => (c.inputs.corsRules as { allowedOrigins: string[] }[]).flatMap((r) => r.allowedOrigins));
      if (stack === "production") assert.ok(cors.length > 0 && cors.every((o) => o.startsWith("https://")), JSON.stringify(cors));
      assert.equal(resourcesOfType(run, "aws:backup/plan:Plan").length, stack === "production" ? 1 : 0);
    });
  }
});
