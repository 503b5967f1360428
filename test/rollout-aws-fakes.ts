import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeListenersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { AlarmStateValue } from "../rollout/engine/model.ts";
import type { StackOutputs } from "../rollout/targets/aws/stack-outputs.ts";

/** Every fake stubs `send` on its client class's prototype: all instances answer from it until restored. */
const activeMocks: { restore(): void }[] = [];

function track<T extends { restore(): void }>(mock: T): T {
  activeMocks.push(mock);
  return mock;
}

/** Puts the real clients back, so that other test files never meet these fakes (call in `after`). */
export function restoreAwsMocks(): void {
  for (const mock of activeMocks.splice(0)) mock.restore();
}

/** An error shaped like the ones the AWS SDK v3 throws (name = AWS error code, HTTP status in $metadata). */
export function awsError(code: string, httpStatusCode: number, message = `${code} (test)`): Error {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode } });
}

export const LISTENER_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2";
export const STABLE_TG_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-stable/6d0ecf831eec9f09";
export const CANARY_TG_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-canary/1a2b3c4d5e6f7a8b";

/** A complete, valid set of stack outputs (the contract of index.ts). */
export function sampleOutputs(overrides: Partial<StackOutputs> = {}): StackOutputs {
  return {
    region: "eu-west-1",
    clusterName: "readiness-production",
    stableServiceName: "web-stable",
    canaryServiceName: "web-canary",
    httpsListenerArn: LISTENER_ARN,
    stableTargetGroupArn: STABLE_TG_ARN,
    canaryTargetGroupArn: CANARY_TG_ARN,
    stableTargetGroupFullName: "targetgroup/web-stable/6d0ecf831eec9f09",
    canaryTargetGroupFullName: "targetgroup/web-canary/1a2b3c4d5e6f7a8b",
    loadBalancerFullName: "app/web-alb/50dc6c495c0c9188",
    albDnsName: "web-alb-123.eu-west-1.elb.amazonaws.com",
    healthUrl: "https://app.example.com/health",
    canaryHeaderName: "X-Canary",
    canaryHeaderValue: "always",
    alarmNames: ["web-5xx", "web-p95"],
    stableImage: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:aaaa",
    canaryImage: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:aaaa",
    canaryWeight: 0,
    taskSubnetIds: ["subnet-a", "subnet-b"],
    taskSecurityGroupIds: ["sg-app"],
    webContainerName: "web",
    canaryTaskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web-canary:7",
    webLogGroupName: "/readiness/production/web",
    rolloutStateBucket: "readiness-production-rollout-state",
    ...overrides,
  };
}

/**
 * The HTTPS listener, in memory: ModifyListener takes effect only after `propagationReads` DescribeListeners
 * calls, like an ALB whose change is not visible at once; `failures` are thrown by the next calls first.
 */
export class FakeAlb {
  readonly mock = track(mockClient(ElasticLoadBalancingV2Client));
  readonly client = new ElasticLoadBalancingV2Client({ region: "eu-west-1" });
  readonly modifications: Action[][] = [];
  describeCalls = 0;
  /** Target health states per target group ARN, as DescribeTargetHealth answers them (default: two healthy). */
  readonly targetHealth = new Map<string, string[]>();
  private applied: Action[];
  private pending: { actions: Action[]; readsLeft: number } | undefined;

  constructor(
    private readonly propagationReads = 0,
    readonly failures: { modify: Error[]; describe: Error[] } = { modify: [], describe: [] },
  ) {
    this.applied = FakeAlb.forward(100, 0);
    this.mock.on(DescribeListenersCommand).callsFake(() => {
      this.describeCalls += 1;
      const failure = this.failures.describe.shift();
      if (failure) throw failure;
      if (this.pending && this.pending.readsLeft-- <= 0) {
        this.applied = this.pending.actions;
        this.pending = undefined;
      }
      return { Listeners: [{ ListenerArn: LISTENER_ARN, Port: 443, Protocol: "HTTPS", DefaultActions: this.applied }] };
    });
    this.mock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
      TargetHealthDescriptions: (this.targetHealth.get(input.TargetGroupArn) ?? ["healthy", "healthy"]).map((State, index) => ({ Target: { Id: `10.0.1.${index + 10}`, Port: 8000 }, TargetHealth: { State } })),
    }));
    this.mock.on(ModifyListenerCommand).callsFake((input: { DefaultActions: Action[] }) => {
      const failure = this.failures.modify.shift();
      if (failure) throw failure;
      this.modifications.push(input.DefaultActions);
      this.pending = { actions: input.DefaultActions, readsLeft: this.propagationReads };
      return { Listeners: [] };
    });
  }

  static forward(stable: number, canary: number): Action[] {
    return [{ Type: "forward", Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: STABLE_TG_ARN, Weight: stable }, { TargetGroupArn: CANARY_TG_ARN, Weight: canary }], TargetGroupStickinessConfig: { Enabled: false } } }];
  }

  /** Canary weight of every ModifyListener, in order. */
  canaryWeights(): number[] {
    return this.modifications.map((actions) => actions[0]?.ForwardConfig?.TargetGroups?.find((tuple) => tuple.TargetGroupArn === CANARY_TG_ARN)?.Weight ?? -1);
  }
}

export interface TargetGroupTraffic {
  readonly requests?: number;
  readonly errors5xx?: number;
  readonly p95Seconds?: number;
  readonly unhealthy?: number;
  readonly healthy?: number;
}

/** CloudWatch in memory: per target group, what the ALB would have published (undefined = no datapoint). */
export class FakeCloudWatch {
  readonly mock = track(mockClient(CloudWatchClient));
  readonly client = new CloudWatchClient({ region: "eu-west-1" });
  readonly metricRequests: { queries: MetricDataQuery[]; start: Date; end: Date }[] = [];
  traffic: (targetGroup: string) => TargetGroupTraffic = () => ({ requests: 1_000, errors5xx: 0, p95Seconds: 0.12, unhealthy: 0, healthy: 2 });
  alarmStates: Record<string, AlarmStateValue> = { "web-5xx": "OK", "web-p95": "OK" };
  readonly metricFailures: Error[] = [];

  constructor() {
    this.mock.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[]; StartTime: Date; EndTime: Date }) => {
      const failure = this.metricFailures.shift();
      if (failure) throw failure;
      this.metricRequests.push({ queries: input.MetricDataQueries, start: input.StartTime, end: input.EndTime });
      return {
        MetricDataResults: input.MetricDataQueries.map((query) => {
          const targetGroup = query.MetricStat?.Metric?.Dimensions?.find((dimension) => dimension.Name === "TargetGroup")?.Value ?? "";
          const traffic = this.traffic(targetGroup);
          const value = { requests: traffic.requests, errors5xx: traffic.errors5xx, p95: traffic.p95Seconds, unhealthy: traffic.unhealthy, healthy: traffic.healthy }[query.Id as string];
          return { Id: query.Id, StatusCode: "Complete", Timestamps: value === undefined ? [] : [input.StartTime], Values: value === undefined ? [] : [value] };
        }),
      };
    });
    this.mock.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.filter((name) => name in this.alarmStates).map((name) => ({ AlarmName: name, StateValue: this.alarmStates[name], StateReason: `Threshold Crossed (${name})` })),
      CompositeAlarms: [],
    }));
  }
}

/** ECS in memory: hook tasks stop after `runningPolls` DescribeTasks with `exitCode` (null: never stop). */
export class FakeEcs {
  readonly mock = track(mockClient(ECSClient));
  readonly client = new ECSClient({ region: "eu-west-1" });
  readonly runs: Record<string, unknown>[] = [];
  readonly stops: string[] = [];
  hook: { runningPolls: number; exitCode: number | null } = { runningPolls: 1, exitCode: 0 };
  private polls = 0;

  constructor(stableDesiredCount = 3) {
    this.mock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({ services: input.services.map((serviceName) => ({ serviceName, desiredCount: stableDesiredCount })), failures: [] }));
    this.mock.on(RunTaskCommand).callsFake((input: Record<string, unknown>) => {
      this.runs.push(input);
      this.polls = 0;
      return { tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/readiness-production/task${this.runs.length}`, lastStatus: "PROVISIONING" }], failures: [] };
    });
    this.mock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
      this.polls += 1;
      const stopped = this.hook.exitCode !== null && this.polls > this.hook.runningPolls;
      return {
        tasks: [
          {
            taskArn: input.tasks[0],
            lastStatus: stopped ? "STOPPED" : "RUNNING",
            ...(stopped ? { stoppedReason: "Essential container in task exited", containers: [{ name: "web", exitCode: this.hook.exitCode ?? undefined }] } : {}),
          },
        ],
      };
    });
    this.mock.on(StopTaskCommand).callsFake((input: { task: string }) => {
      this.stops.push(input.task);
      return {};
    });
  }
}

/** S3 in memory with its conditional-write semantics (If-None-Match: *, If-Match: etag) and ETags. */
export class FakeS3 {
  readonly mock = track(mockClient(S3Client));
  readonly client = new S3Client({ region: "eu-west-1" });
  readonly objects = new Map<string, { body: string; etag: string }>();
  private version = 0;

  constructor() {
    const precondition = (): Error => awsError("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold");
    this.mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: string; IfNoneMatch?: string; IfMatch?: string }) => {
      const current = this.objects.get(input.Key);
      if (input.IfNoneMatch === "*" && current) throw precondition();
      if (input.IfMatch !== undefined && current?.etag !== input.IfMatch) throw current ? precondition() : awsError("NoSuchKey", 404);
      this.version += 1;
      const etag = `"etag-${this.version}"`;
      this.objects.set(input.Key, { body: String(input.Body), etag });
      return { ETag: etag };
    });
    this.mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const current = this.objects.get(input.Key);
      if (!current) throw awsError("NoSuchKey", 404, "The specified key does not exist.");
      return { ETag: current.etag, Body: { transformToString: async () => current.body } };
    });
    this.mock.on(DeleteObjectCommand).callsFake((input: { Key: string; IfMatch?: string }) => {
      const current = this.objects.get(input.Key);
      if (input.IfMatch !== undefined && current?.etag !== input.IfMatch) throw precondition();
      this.objects.delete(input.Key);
      return {};
    });
    this.mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...this.objects.keys()].filter((key) => key.startsWith(input.Prefix)).map((Key) => ({ Key })),
      IsTruncated: false,
    }));
  }
}

const FIXTURE_BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "bin");

/** A temporary project directory whose PATH finds the stand-in `pulumi` (test/fixtures/bin/pulumi). */
export class PulumiStandIn {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-standin-"));
  readonly statePath = path.join(this.dir, "standin-state.json");
  readonly logPath = path.join(this.dir, "standin-calls.log");

  constructor(
    readonly stack: string,
    outputs: StackOutputs,
    extra: { failures?: Record<string, { exitCode: number; message: string }>; policyViolations?: string[] } = {},
  ) {
    fs.writeFileSync(this.statePath, JSON.stringify({ stack, outputs, config: {}, ...extra }));
    fs.writeFileSync(this.logPath, "");
  }

  get env(): Record<string, string> {
    return { PATH: `${FIXTURE_BIN}${path.delimiter}${process.env.PATH ?? ""}`, PULUMI_STANDIN_STATE: this.statePath, PULUMI_STANDIN_LOG: this.logPath };
  }

  /** Every command line the stand-in received, in order. */
  calls(): string[][] {
    return fs.readFileSync(this.logPath, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as string[]);
  }

  state(): { config: Record<string, string>; outputs: StackOutputs; ups?: number } {
    return JSON.parse(fs.readFileSync(this.statePath, "utf8")) as { config: Record<string, string>; outputs: StackOutputs; ups?: number };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
