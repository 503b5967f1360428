import assert from "node:assert/strict";
import type { ProgramRun } from "../gate/program-runner.ts";
import { asList, one, resourcesOfType, runStack, runUnderMocks, statementsOf } from "./support/stacks.ts";

const ARN = {
  listener: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2",
  stable: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-stable/6d0ecf831eec9f09",
  canary: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-canary/1a2b3c4d5e6f7a8b",
  bucket: "arn:aws:s3:::readiness-production-rollout-state",
  kms: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-a444-555555555555",
  topic: "arn:aws:sns:us-east-1:123456789012:readiness-production-alarms",
  topicKey: "arn:aws:kms:us-east-1:123456789012:key/99999999-2222-4333-a444-555555555555",
};

describe("RolloutWatchdog component (under mocks)", function () {
  this.timeout(120_000);
  let run: ProgramRun;

  before(async () => {
    const { RolloutWatchdog } = await import("../components/rollout-watchdog.ts");
    run = await runUnderMocks(async () => {
      const watchdog = new RolloutWatchdog("rollout-watchdog", {
        namePrefix: "readiness-production", environment: "production",
        listenerArn: ARN.listener, stableTargetGroupArn: ARN.stable, canaryTargetGroupArn: ARN.canary,
        loadBalancerFullName: "app/web/50dc6c495c0c9188", canaryTargetGroupFullName: "targetgroup/web-canary/1a2b3c4d5e6f7a8b",
        stateBucketName: "readiness-production-rollout-state", stateBucketArn: ARN.bucket, kmsKeyArn: ARN.kms,
        topicArn: ARN.topic, topicKmsKeyArn: ARN.topicKey, logRetentionDays: 30, tags: { project: "readiness" },
      });
      return { functionName: watchdog.functionName, alarmNames: watchdog.alarmNames };
    }, { stack: "production" });
  });

  it("alarms on the canary target group: 5xx rate, p95 and unhealthy hosts, two one-minute periods, notifying the topic", () => {
    const alarms = resourcesOfType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => /canary/.test(a.name));
    assert.deepEqual(alarms.map((a) => a.inputs.name).sort(), ["readiness-production-watchdog-canary-5xx-rate", "readiness-production-watchdog-canary-p95-latency", "readiness-production-watchdog-canary-unhealthy-hosts"]);
    for (const alarm of alarms) {
      assert.deepEqual([alarm.inputs.evaluationPeriods, alarm.inputs.datapointsToAlarm], [2, 2], alarm.name);
      assert.deepEqual(alarm.inputs.alarmActions, [ARN.topic]);
      const queries = (alarm.inputs.metricQueries as { metric?: { dimensions: Record<string, string>; period: number } }[] | undefined) ?? [];
      const dimensions = [alarm.inputs.dimensions as Record<string, string> | undefined, ...queries.map((q) => q.metric?.dimensions)].filter((d) => d !== undefined);
      assert.ok(dimensions.length > 0 && dimensions.every((d) => d.TargetGroup === "targetgroup/web-canary/1a2b3c4d5e6f7a8b" && d.LoadBalancer === "app/web/50dc6c495c0c9188"), `${alarm.name} watches the canary target group only`);
    }
    assert.match(String(alarms.find((a) => /5xx/.test(a.name))?.inputs.metricQueries && JSON.stringify(alarms.find((a) => /5xx/.test(a.name))?.inputs.metricQueries)), /HTTPCode_Target_5XX_Count.*RequestCount/);
    assert.equal(alarms.find((a) => /p95/.test(a.name))?.inputs.extendedStatistic, "p95");
  });

  it("the function: X-Ray active, a KMS-encrypted DLQ, retries, one at a time, its whole configuration from the args", () => {
    const fn = one(run, "aws:lambda/function:Function");
    assert.deepEqual(fn.inputs.tracingConfig, { mode: "Active" });
    const dlq = one(run, "aws:sqs/queue:Queue", "-dlq");
    assert.equal(dlq.inputs.kmsMasterKeyId, ARN.kms);
    assert.deepEqual(fn.inputs.deadLetterConfig, { targetArn: dlq.state.arn });
    assert.equal(fn.inputs.reservedConcurrentExecutions, 1);
    assert.equal(fn.inputs.handler, "lambdas/rollout-watchdog/index.handler");
    assert.equal(fn.inputs.runtime, "nodejs22.x");
    const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    assert.deepEqual({ ...variables, CANARY_ALARM_NAMES: variables.CANARY_ALARM_NAMES?.split(",").sort().join(",") }, {
      STATE_BUCKET: "readiness-production-rollout-state", STATE_PREFIX: "rollouts/", ROLLOUT_ENVIRONMENT: "production",
      LISTENER_ARN: ARN.listener, STABLE_TARGET_GROUP_ARN: ARN.stable, CANARY_TARGET_GROUP_ARN: ARN.canary,
      CANARY_ALARM_NAMES: "readiness-production-watchdog-canary-5xx-rate,readiness-production-watchdog-canary-p95-latency,readiness-production-watchdog-canary-unhealthy-hosts",
      TOPIC_ARN: ARN.topic, HEARTBEAT_STALE_AFTER_SECONDS: "120", ABANDONED_AFTER_SECONDS: "900", NODE_OPTIONS: "--enable-source-maps",
    });
    const invoke = one(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    assert.equal(invoke.inputs.maximumRetryAttempts, 2);
    const operational = resourcesOfType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => /watchdog-(errors|dlq-not-empty)$/.test(String(a.inputs.name)));
    assert.equal(operational.length, 2, "its own failures and its DLQ alarm");
  });

  it("least privilege: traffic only on the listener, state only under this environment's prefix, publish only to the topic", () => {
    const statements = statementsOf(one(run, "aws:iam/rolePolicy:RolePolicy", "-policy").inputs.policy);
    const allowed = (action: string): string[] => statements.filter((s) => s.Effect === "Allow" && asList(s.Action).includes(action)).flatMap((s) => asList(s.Resource));
    assert.deepEqual(allowed("elasticloadbalancing:ModifyListener"), [ARN.listener]);
    assert.deepEqual(allowed("s3:PutObject"), [`${ARN.bucket}/rollouts/production/*`]);
    assert.deepEqual(allowed("s3:DeleteObject"), [`${ARN.bucket}/rollouts/production/*`]);
    assert.deepEqual(allowed("s3:ListBucket"), [ARN.bucket], "so that a missing state.json reads as 404, not 403");
    assert.deepEqual(allowed("sns:Publish"), [ARN.topic]);
    assert.deepEqual(allowed("kms:GenerateDataKey").sort(), [ARN.kms, ARN.topicKey].sort());
    const alarmArns = resourcesOfType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => /canary/.test(a.name)).map((a) => a.state.arn).sort();
    assert.deepEqual(allowed("cloudwatch:DescribeAlarms").sort(), alarmArns);
    // `*` only where AWS offers nothing narrower, and never with a wildcard action.
    const starred = statements.filter((s) => asList(s.Resource).includes("*")).flatMap((s) => asList(s.Action)).sort();
    assert.deepEqual(starred, ["elasticloadbalancing:DescribeListeners", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    assert.ok(statements.every((s) => asList(s.Action).every((a) => !a.includes("*"))));
    assert.ok(statements.every((s) => !asList(s.Action).some((a) => /^(iam|ecs|s3:ListAllMyBuckets|elasticloadbalancing:(Create|Delete))/.test(a))), "nothing beyond the rollback");
  });

  it("woken by the canary alarms going to ALARM and by a one-minute schedule, each rule allowed to invoke it", () => {
    const rules = resourcesOfType(run, "aws:cloudwatch/eventRule:EventRule");
    assert.equal(rules.length, 2);
    const onAlarm = rules.find((r) => r.name.endsWith("-on-alarm"));
    const pattern = JSON.parse(String(onAlarm?.inputs.eventPattern)) as { source: string[]; "detail-type": string[]; resources: string[]; detail: unknown };
    const alarmArns = resourcesOfType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => /canary/.test(a.name)).map((a) => a.state.arn);
    assert.deepEqual(pattern.source, ["aws.cloudwatch"]);
    assert.deepEqual(pattern["detail-type"], ["CloudWatch Alarm State Change"]);
    assert.deepEqual([...pattern.resources].sort(), [...alarmArns].sort());
    assert.deepEqual(pattern.detail, { state: { value: ["ALARM"] } });
    assert.equal(rules.find((r) => r.name.endsWith("-schedule"))?.inputs.scheduleExpression, "rate(1 minute)");
    const fnArn = one(run, "aws:lambda/function:Function").state.arn;
    const targets = resourcesOfType(run, "aws:cloudwatch/eventTarget:EventTarget");
    assert.deepEqual(targets.map((t) => t.inputs.arn), [fnArn, fnArn]);
    const permissions = resourcesOfType(run, "aws:lambda/permission:Permission");
    assert.deepEqual(permissions.map((p) => p.inputs.sourceArn).sort(), rules.map((r) => r.state.arn).sort());
    assert.ok(permissions.every((p) => p.inputs.principal === "events.amazonaws.com"));
  });

  it("children are named `${name}-suffix` and parented to the component", () => {
    const component = run.resources.find((r) => r.type === "readiness:app:RolloutWatchdog");
    assert.ok(component);
    for (const child of run.resources.filter((r) => r.custom)) {
      assert.ok(child.name.startsWith("rollout-watchdog-"), child.name);
      assert.equal(child.parent, component.urn, child.name);
    }
  });
});

describe("RolloutWatchdog in the platform", function () {
  this.timeout(180_000);

  it("production: watches the stack's own listener, target groups, state bucket and alarm topic", async () => {
    const run = await runStack("production");
    const fn = resourcesOfType(run, "aws:lambda/function:Function").find((f) => f.name === "rollout-watchdog-function");
    assert.ok(fn, "the app tier creates the watchdog");
    const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const byName = (type: string, name: string) => resourcesOfType(run, type).find((r) => r.name === name)?.state;
    const listeners = resourcesOfType(run, "aws:lb/listener:Listener").filter((l) => l.inputs.port === 443);
    assert.equal(listeners.length, 1);
    assert.equal(variables.LISTENER_ARN, listeners[0]?.state.arn);
    const targetGroups = resourcesOfType(run, "aws:lb/targetGroup:TargetGroup");
    assert.equal(variables.STABLE_TARGET_GROUP_ARN, targetGroups.find((t) => /stable/.test(t.name))?.state.arn);
    assert.equal(variables.CANARY_TARGET_GROUP_ARN, targetGroups.find((t) => /canary/.test(t.name))?.state.arn);
    assert.equal(variables.STATE_BUCKET, byName("aws:s3/bucket:Bucket", "storage-rollout-state")?.bucket);
    assert.equal(variables.TOPIC_ARN, byName("aws:sns/topic:Topic", "monitoring-alarms")?.arn);
    assert.equal(variables.ROLLOUT_ENVIRONMENT, "production");
    const names = run.outputs.alarmNames as string[];
    for (const alarm of variables.CANARY_ALARM_NAMES?.split(",") ?? []) assert.ok(names.includes(alarm), `the rollout's analysis reads ${alarm} too`);
  });
});
