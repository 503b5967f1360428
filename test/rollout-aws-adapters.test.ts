import assert from "node:assert/strict";
import { DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import fc from "fast-check";
import { AlbProbeSource } from "../rollout/targets/aws/alb-probes.ts";
import { EcsHookRunner } from "../rollout/targets/aws/ecs-hooks.ts";
import { cloudWatchWindow, StackAlarmSource, TargetGroupMetricsSource } from "../rollout/targets/aws/metrics.ts";
import { backoffDelayMs, callAws, DEFAULT_RETRY_POLICY } from "../rollout/targets/aws/retry.ts";
import { AlbTrafficRouter, weightsFromListener } from "../rollout/targets/aws/router.ts";
import { parseStackOutputs, StackOutputsError } from "../rollout/targets/aws/stack-outputs.ts";
import type { Weights } from "../rollout/engine/model.ts";
import type { ShiftResult } from "../rollout/engine/shift.ts";
import { shiftVerified } from "../rollout/engine/shift.ts";
import type { AnalysisContext } from "../rollout/engine/ports.ts";
import { awsError, CANARY_TG_ARN, FakeAlb, FakeCloudWatch, FakeEcs, LISTENER_ARN, restoreAwsMocks, sampleOutputs, STABLE_TG_ARN } from "./rollout-aws-fakes.ts";
import { FakeClock } from "./support/rollout-fakes.ts";

const ANALYSIS_END = Date.UTC(2026, 10, 22, 14, 5, 30);

function context(version: "stable" | "canary", windowMs = 60_000): AnalysisContext {
  return { version, window: { start: ANALYSIS_END - windowMs, end: ANALYSIS_END }, step: 0, canaryWeight: 10 };
}

function router(alb: FakeAlb, clock: FakeClock): AlbTrafficRouter {
  return new AlbTrafficRouter({ client: alb.client, listenerArn: LISTENER_ARN, stableTargetGroupArn: STABLE_TG_ARN, canaryTargetGroupArn: CANARY_TG_ARN, clock });
}

/** The engine's verify loop (set once, read back, then record) over the ALB router, as a rollout runs it. */
function verifiedShift(alb: FakeAlb, clock: FakeClock, weights: Weights, recorded: Weights[]): Promise<ShiftResult> {
  return shiftVerified(router(alb, clock), weights, clock, { timeoutMs: 5_000, retryMs: 500, record: async (shown) => void recorded.push(shown) });
}

describe("rollout on AWS: adapters", () => {
  after(restoreAwsMocks);
  describe("stack outputs", () => {
    it("accepts the outputs contract of the application tier", () => {
      assert.deepEqual(parseStackOutputs("production", sampleOutputs()), sampleOutputs());
    });

    it("names every missing or malformed output at once, with the fix", () => {
      const { httpsListenerArn: _missing, alarmNames: _alsoMissing, ...rest } = sampleOutputs();
      const error = (() => {
        try {
          parseStackOutputs("production", { ...rest, canaryTargetGroupFullName: "web-canary", canaryWeight: 150 });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      assert.ok(error instanceof StackOutputsError);
      assert.equal(error.problems.length, 4, error.message);
      assert.match(error.message, /output httpsListenerArn is missing/);
      assert.match(error.message, /output alarmNames is missing/);
      assert.match(error.message, /output canaryTargetGroupFullName="web-canary": expected the ARN suffix targetgroup\/<name>\/<id>/);
      assert.match(error.message, /output canaryWeight=150/);
      assert.match(error.message, /pulumi up -s production/);
    });
  });

  describe("retry", () => {
    it("retries throttling with growing backoff, then succeeds", async () => {
      const clock = new FakeClock();
      const started = clock.now();
      let calls = 0;
      const result = await callAws({ operation: "test:Call", resource: "thing", send: async () => (++calls < 4 ? Promise.reject(awsError("ThrottlingException", 400, "Rate exceeded")) : "done") }, clock);
      assert.equal(result, "done");
      assert.equal(calls, 4);
      // Three backoffs of at least half of 200, 400, 800 ms.
      assert.ok(clock.now() - started >= 700, `waited ${clock.now() - started} ms`);
    });

    it("fails fast on AccessDenied, naming the operation, the resource and AWS's message", async () => {
      const clock = new FakeClock();
      let calls = 0;
      await assert.rejects(
        callAws({ operation: "elbv2:ModifyListener", resource: `listener ${LISTENER_ARN}`, send: async () => (++calls, Promise.reject(awsError("AccessDenied", 403, "User: arn:aws:sts::1:assumed-role/ci is not authorized to perform: elasticloadbalancing:ModifyListener"))) }, clock),
        (error: Error) => /^elbv2:ModifyListener on listener arn:aws:elasticloadbalancing:.* failed: AccessDenied: User: .* not authorized/.test(error.message),
      );
      assert.equal(calls, 1);
    });

    it("gives up after the attempt budget on a persistent 5xx", async () => {
      let calls = 0;
      await assert.rejects(callAws({ operation: "x:Y", resource: "r", send: async () => (++calls, Promise.reject(awsError("InternalError", 500))) }, new FakeClock()), /after 6 attempts: InternalError/);
      assert.equal(calls, DEFAULT_RETRY_POLICY.maxAttempts);
    });

    it("keeps every backoff between half and all of the capped exponential step", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
          const ceiling = Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (attempt - 1));
          const delay = backoffDelayMs(attempt, DEFAULT_RETRY_POLICY, () => random);
          return delay >= Math.floor(ceiling / 2) && delay <= ceiling;
        }),
      );
    });
  });

  describe("router (ALB listener)", () => {
    it("sends the weighted forward with both target groups and no stickiness, then reads it back until it shows", async () => {
      const alb = new FakeAlb(3);
      const clock = new FakeClock();
      const recorded: Weights[] = [];
      assert.equal((await verifiedShift(alb, clock, { stable: 90, canary: 10 }, recorded)).verified, true);
      const call = alb.mock.commandCalls(ModifyListenerCommand)[0]?.args[0].input;
      assert.deepEqual(call, {
        ListenerArn: LISTENER_ARN,
        DefaultActions: [{ Type: "forward", Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE_TG_ARN, Weight: 90 }, { TargetGroupArn: CANARY_TG_ARN, Weight: 10 }], TargetGroupStickinessConfig: { Enabled: false } } }],
      });
      // One describe before the change, then reads until the change shows (after 3 stale reads).
      assert.equal(alb.describeCalls, 1 + 4);
      assert.deepEqual(recorded, [{ stable: 90, canary: 10 }]);
      assert.deepEqual(await router(alb, clock).readWeights(), { stable: 90, canary: 10 });
    });

    it("fails the shift when the listener never shows the weights within the deadline, without recording them", async () => {
      const alb = new FakeAlb(1_000);
      const recorded: Weights[] = [];
      const shift = await verifiedShift(alb, new FakeClock(), { stable: 50, canary: 50 }, recorded);
      assert.equal(shift.verified, false);
      // The listener still shows stable 100 / canary 0 after ModifyListener to stable 50 / canary 50.
      assert.match(shift.detail, /router shows stable 100 \/ canary 0/);
      assert.equal(alb.canaryWeights().at(-1), 50, "ModifyListener asked for canary 50");
      assert.deepEqual(recorded, []);
    });

    it("retries a throttled ModifyListener and fails fast on AccessDenied", async () => {
      const throttled = new FakeAlb(0, { modify: [awsError("Throttling", 400, "Rate exceeded"), awsError("Throttling", 400, "Rate exceeded")], describe: [] });
      await router(throttled, new FakeClock()).setWeights({ stable: 50, canary: 50 });
      assert.equal(throttled.mock.commandCalls(ModifyListenerCommand).length, 3);

      const denied = new FakeAlb(0, { modify: [awsError("AccessDenied", 403, "not authorized to perform: elasticloadbalancing:ModifyListener")], describe: [] });
      await assert.rejects(router(denied, new FakeClock()).setWeights({ stable: 50, canary: 50 }), new RegExp(`ModifyListener on listener ${LISTENER_ARN.replace(/[/]/g, "\\/")} \\(stable 50 / canary 50\\) failed: AccessDenied`));
      assert.equal(denied.mock.commandCalls(ModifyListenerCommand).length, 1);
    });

    it("reads relative ALB weights as percentages and refuses a listener it does not manage", () => {
      const options = { listenerArn: LISTENER_ARN, stableTargetGroupArn: STABLE_TG_ARN, canaryTargetGroupArn: CANARY_TG_ARN };
      assert.deepEqual(weightsFromListener({ DefaultActions: FakeAlb.forward(3, 1) }, options), { stable: 75, canary: 25 });
      assert.deepEqual(weightsFromListener({ DefaultActions: [{ Type: "forward", TargetGroupArn: STABLE_TG_ARN }] }, options), { stable: 100, canary: 0 });
      assert.throws(() => weightsFromListener({ DefaultActions: [{ Type: "fixed-response" }] }, options), /no forward default action/);
      assert.throws(() => weightsFromListener({ DefaultActions: FakeAlb.forward(0, 0) }, options), /neither target group/);
    });
  });

  describe("metrics (CloudWatch GetMetricData)", () => {
    it("asks for the five ALB metrics of the version's target group with both dimensions over whole minutes", async () => {
      const cloudwatch = new FakeCloudWatch();
      const source = new TargetGroupMetricsSource({ client: cloudwatch.client, loadBalancerFullName: "app/web-alb/50dc6c495c0c9188", targetGroupFullNames: { stable: "targetgroup/web-stable/1", canary: "targetgroup/web-canary/2" }, clock: new FakeClock() });
      const sample = await source.sample(context("canary", 90_000));
      const covers = { start: Date.parse("2026-11-22T14:02:00.000Z"), end: Date.parse("2026-11-22T14:04:00.000Z") };
      assert.deepEqual(sample, { requests: 1_000, errors5xx: 0, p95Ms: 120, unhealthyTargets: 0, healthyTargets: 2, covers });
      const input = cloudwatch.mock.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
      // Analysis ended 14:05:30; minus the one-minute publish lag, the last whole minute ends 14:04; 90 s -> 2 minutes.
      assert.equal(input?.StartTime?.toISOString(), "2026-11-22T14:02:00.000Z");
      assert.equal(input?.EndTime?.toISOString(), "2026-11-22T14:04:00.000Z");
      assert.deepEqual(
        input?.MetricDataQueries?.map((query) => [query.Id, query.MetricStat?.Metric?.MetricName, query.MetricStat?.Stat, query.MetricStat?.Period]),
        [
          ["requests", "RequestCount", "Sum", 120],
          ["errors5xx", "HTTPCode_Target_5XX_Count", "Sum", 120],
          ["p95", "TargetResponseTime", "p95", 120],
          ["unhealthy", "UnHealthyHostCount", "Maximum", 120],
          ["healthy", "HealthyHostCount", "Minimum", 120],
        ],
      );
      for (const query of input?.MetricDataQueries ?? []) {
        assert.equal(query.MetricStat?.Metric?.Namespace, "AWS/ApplicationELB");
        assert.deepEqual(query.MetricStat?.Metric?.Dimensions, [
          { Name: "LoadBalancer", Value: "app/web-alb/50dc6c495c0c9188" },
          { Name: "TargetGroup", Value: "targetgroup/web-canary/2" },
        ]);
      }
    });

    it("always asks for at least one whole, already published minute", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), fc.integer({ min: 1, max: 3_600_000 }), fc.integer({ min: 0, max: 300_000 }), (end, length, lag) => {
          const window = cloudWatchWindow({ start: end - length, end }, lag);
          const span = window.end.getTime() - window.start.getTime();
          return window.end.getTime() % 60_000 === 0 && window.end.getTime() <= end - lag && span >= 60_000 && span >= length && span === window.periodSeconds * 1_000 && window.periodSeconds % 60 === 0;
        }),
      );
    });

    it("treats absent 5xx counts as zero but absent latency with traffic as an error; no traffic is no evidence", async () => {
      const cloudwatch = new FakeCloudWatch();
      const source = new TargetGroupMetricsSource({ client: cloudwatch.client, loadBalancerFullName: "app/a/1", targetGroupFullNames: { stable: "targetgroup/s/1", canary: "targetgroup/c/2" }, clock: new FakeClock() });
      cloudwatch.traffic = () => ({ requests: 200, p95Seconds: 0.3, unhealthy: 0, healthy: 1 });
      const { covers, ...counts } = await source.sample(context("canary"));
      assert.ok(covers && covers.end - covers.start >= 60_000, "the sample says which whole minutes it covers");
      assert.deepEqual(counts, { requests: 200, errors5xx: 0, p95Ms: 300, unhealthyTargets: 0, healthyTargets: 1 });

      cloudwatch.traffic = () => ({ requests: 200, errors5xx: 3, healthy: 1 });
      await assert.rejects(source.sample(context("canary")), /no TargetResponseTime p95, UnHealthyHostCount for canary target group targetgroup\/c\/2 .* although it served 200 request/);

      cloudwatch.traffic = () => ({});
      const { covers: _quiet, ...none } = await source.sample(context("canary"));
      assert.deepEqual(none, { requests: 0, errors5xx: 0 });
    });

    it("retries a throttled GetMetricData and fails fast on AccessDenied naming the target group", async () => {
      const cloudwatch = new FakeCloudWatch();
      const source = new TargetGroupMetricsSource({ client: cloudwatch.client, loadBalancerFullName: "app/a/1", targetGroupFullNames: { stable: "targetgroup/s/1", canary: "targetgroup/c/2" }, clock: new FakeClock() });
      cloudwatch.metricFailures.push(awsError("Throttling", 400, "Rate exceeded"));
      assert.equal((await source.sample(context("stable"))).requests, 1_000);
      assert.equal(cloudwatch.mock.commandCalls(GetMetricDataCommand).length, 2);
      cloudwatch.metricFailures.push(awsError("AccessDenied", 403, "not authorized to perform: cloudwatch:GetMetricData"));
      await assert.rejects(source.sample(context("stable")), /cloudwatch:GetMetricData on stable target group targetgroup\/s\/1 failed: AccessDenied: not authorized/);
      assert.equal(cloudwatch.mock.commandCalls(GetMetricDataCommand).length, 3);
    });
  });

  describe("alarms (CloudWatch DescribeAlarms)", () => {
    it("reads the stack's alarms by name, metric and composite, with their states", async () => {
      const cloudwatch = new FakeCloudWatch();
      cloudwatch.alarmStates = { "web-5xx": "ALARM", "web-p95": "OK" };
      const alarms = await new StackAlarmSource({ client: cloudwatch.client, alarmNames: ["web-5xx", "web-p95"], clock: new FakeClock() }).alarms(context("canary"));
      assert.deepEqual(alarms.map((alarm) => [alarm.name, alarm.state]), [["web-5xx", "ALARM"], ["web-p95", "OK"]]);
      assert.deepEqual(cloudwatch.mock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input, { AlarmNames: ["web-5xx", "web-p95"], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] });
    });

    it("is an error when an alarm of the stack does not exist", async () => {
      const cloudwatch = new FakeCloudWatch();
      await assert.rejects(new StackAlarmSource({ client: cloudwatch.client, alarmNames: ["web-5xx", "gone"], clock: new FakeClock() }).alarms(context("canary")), /does not know the stack's alarm\(s\) gone/);
    });
  });

  describe("pre-traffic hooks (ECS RunTask)", () => {
    const outputs = sampleOutputs();
    function runner(ecs: FakeEcs, clock: FakeClock): EcsHookRunner {
      return new EcsHookRunner({
        client: ecs.client,
        region: outputs.region,
        clusterName: outputs.clusterName,
        taskDefinitionArn: outputs.canaryTaskDefinitionArn,
        containerName: "web",
        subnetIds: outputs.taskSubnetIds,
        securityGroupIds: outputs.taskSecurityGroupIds,
        logGroupName: outputs.webLogGroupName,
        logStreamPrefix: "canary",
        clock,
        pollIntervalMs: 1_000,
      });
    }

    it("runs the canary task definition with the command override in the task subnets and waits for exit 0", async () => {
      const ecs = new FakeEcs();
      ecs.hook = { runningPolls: 2, exitCode: 0 };
      const outcome = await runner(ecs, new FakeClock()).run({ name: "migrate", command: "python manage.py migrate --noinput", timeoutMs: 60_000 }, { image: "web@sha256:bbbb" });
      assert.equal(outcome.ok, true, outcome.message);
      assert.equal(outcome.exitCode, 0);
      assert.deepEqual(ecs.mock.commandCalls(RunTaskCommand)[0]?.args[0].input, {
        cluster: "readiness-production",
        taskDefinition: outputs.canaryTaskDefinitionArn,
        launchType: "FARGATE",
        count: 1,
        startedBy: "readiness-hook-migrate",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-app"], assignPublicIp: "DISABLED" } },
        overrides: { containerOverrides: [{ name: "web", command: ["sh", "-c", "python manage.py migrate --noinput"], environment: [{ name: "ROLLOUT_IMAGE", value: "web@sha256:bbbb" }] }] },
      });
    });

    it("reports a non-zero exit with the exit code and the CloudWatch log stream", async () => {
      const ecs = new FakeEcs();
      ecs.hook = { runningPolls: 0, exitCode: 3 };
      const outcome = await runner(ecs, new FakeClock()).run({ name: "check", command: "python manage.py check --deploy", timeoutMs: 60_000 }, { image: "img" });
      assert.equal(outcome.ok, false);
      assert.equal(outcome.exitCode, 3);
      assert.match(outcome.logLocation ?? "", /group \/readiness\/production\/web stream canary\/web\/task1/);
      assert.match(outcome.message, /check: `python manage.py check --deploy` in task .*task1 exited 3/);
    });

    it("stops a task that outlives its timeout and reports no exit code", async () => {
      const ecs = new FakeEcs();
      ecs.hook = { runningPolls: 0, exitCode: null };
      const clock = new FakeClock();
      const started = clock.now();
      const outcome = await runner(ecs, clock).run({ name: "migrate", command: "sleep 3600", timeoutMs: 10_000 }, { image: "img" });
      assert.equal(outcome.ok, false);
      assert.equal(outcome.exitCode, null);
      assert.match(outcome.message, /timed out after 10000 ms .* the task was stopped/);
      assert.deepEqual(ecs.stops, ["arn:aws:ecs:eu-west-1:123456789012:task/readiness-production/task1"]);
      assert.ok(clock.now() - started >= 10_000 && clock.now() - started < 12_000);
    });
  });

  describe("probes (through the ALB)", () => {
    it("sends the canary header to the canary only, to the public origin", async () => {
      const requests: { url: string; headers?: Readonly<Record<string, string>> }[] = [];
      const source = new AlbProbeSource({ origin: "https://app.example.com", canaryHeaderName: "X-Canary", canaryHeaderValue: "always", probe: async (request) => (requests.push(request), { url: request.url, status: 200, headers: {}, body: "", durationMs: 1 }) });
      await source.probe("/health/ready", "canary");
      await source.probe("/health", "stable");
      assert.deepEqual(requests.map((request) => [request.url, request.headers]), [
        ["https://app.example.com/health/ready", { "X-Canary": "always" }],
        ["https://app.example.com/health", undefined],
      ]);
    });
  });
});
