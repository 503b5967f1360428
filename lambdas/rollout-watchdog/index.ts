import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { EventBridgeEvent } from "aws-lambda";
import { AlbTrafficRouter } from "../../rollout/targets/aws/router.ts";
import { S3_IF_MATCH_LOST } from "../../rollout/targets/aws/retry.ts";
import { systemClock } from "../../rollout/engine/clock.ts";
import type { LockHolder, RolloutState, Weights } from "../../rollout/engine/model.ts";
import { isTerminal } from "../../rollout/engine/machine.ts";
import type { CanaryHealth, WatchdogOutcome, WatchdogPorts, WatchdogSettings } from "./core.ts";
import { DEFAULT_ABANDONED_AFTER_SECONDS, DEFAULT_HEARTBEAT_STALE_AFTER_SECONDS, RollbackNotVerifiedError, ROLLOUT_STATE_PREFIX, runWatchdogOnce } from "./core.ts";
import { StateConflictError } from "../../rollout/engine/ports.ts";

/**
 * The rollout watchdog Lambda: invoked by EventBridge when a canary alarm goes to ALARM and every minute by a
 * schedule (which is how a stale heartbeat is noticed: the S3 lock's `heartbeatAt`, docs/adr/0056). Each
 * invocation reads the facts afresh (state, lock, alarm states) and runs the shared core, so the trigger only
 * decides when it looks, never what it does. Deployed as transpiled modules (components/lambda-package.ts).
 */

export interface WatchdogEnvironment {
  readonly bucket: string;
  readonly prefix: string;
  readonly environment: string;
  readonly listenerArn: string;
  readonly stableTargetGroupArn: string;
  readonly canaryTargetGroupArn: string;
  readonly canaryAlarmNames: readonly string[];
  readonly topicArn: string;
  readonly settings: WatchdogSettings;
}

/** Reads the function's configuration, naming every missing or invalid variable at once. */
export function watchdogEnvironment(env: NodeJS.ProcessEnv): WatchdogEnvironment {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name} is not set`);
    return value ?? "";
  };
  const seconds = (name: string, fallback: number): number => {
    const raw = env[name];
    const value = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name}=${JSON.stringify(raw)} is not a positive number of seconds`);
    return value * 1000;
  };
  const result: WatchdogEnvironment = {
    bucket: required("STATE_BUCKET"),
    prefix: env.STATE_PREFIX || ROLLOUT_STATE_PREFIX,
    environment: required("ROLLOUT_ENVIRONMENT"),
    listenerArn: required("LISTENER_ARN"),
    stableTargetGroupArn: required("STABLE_TARGET_GROUP_ARN"),
    canaryTargetGroupArn: required("CANARY_TARGET_GROUP_ARN"),
    canaryAlarmNames: required("CANARY_ALARM_NAMES").split(",").map((name) => name.trim()).filter((name) => name !== ""),
    topicArn: required("TOPIC_ARN"),
    settings: { heartbeatStaleAfterMs: seconds("HEARTBEAT_STALE_AFTER_SECONDS", DEFAULT_HEARTBEAT_STALE_AFTER_SECONDS), abandonedAfterMs: seconds("ABANDONED_AFTER_SECONDS", DEFAULT_ABANDONED_AFTER_SECONDS) },
  };
  if (problems.length > 0) throw new Error(`rollout watchdog misconfigured: ${problems.join("; ")}`);
  return result;
}

export interface WatchdogClients {
  readonly s3: S3Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const name = (error as { name?: string; Code?: string } | undefined)?.name;
  return name !== undefined && codes.includes(name);
}

/** The canary alarms in ALARM, and since when the oldest of them has been. */
export async function canaryHealthFromAlarms(cloudwatch: CloudWatchClient, alarmNames: readonly string[]): Promise<CanaryHealth> {
  const output = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...alarmNames], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }));
  const alarms = [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])].filter((alarm) => alarm.StateValue === "ALARM");
  const since = alarms.map((alarm) => alarm.StateUpdatedTimestamp?.getTime()).filter((at): at is number => at !== undefined);
  return {
    failing: alarms.map((alarm) => `alarm ${alarm.AlarmName} in ALARM${alarm.StateReason ? `: ${alarm.StateReason}` : ""}`),
    ...(since.length > 0 ? { failingSince: Math.min(...since) } : {}),
  };
}

/** S3 (state with ETag-conditional writes, the lock), the listener, SNS: the ports of the shared core. */
export function awsWatchdogPorts(config: WatchdogEnvironment, clients: WatchdogClients, log: (line: Record<string, unknown>) => void): WatchdogPorts & { readLock(): Promise<LockHolder | undefined> } {
  const key = (name: string): string => `${config.prefix}${config.environment}/${name}`;
  const getJson = async <T>(name: string): Promise<{ value: T; etag: string } | undefined> => {
    try {
      const output = await clients.s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key(name) }));
      return { value: JSON.parse((await output.Body?.transformToString("utf8")) ?? "") as T, etag: output.ETag ?? "" };
    } catch (error) {
      if (isCode(error, "NoSuchKey", "NotFound")) return undefined;
      throw error;
    }
  };
  // The orchestrator's router: the same listener edit, and its retries of throttling and transient errors.
  const router = new AlbTrafficRouter({ client: clients.elbv2, listenerArn: config.listenerArn, stableTargetGroupArn: config.stableTargetGroupArn, canaryTargetGroupArn: config.canaryTargetGroupArn, clock: systemClock });
  return {
    async loadState() {
      const stored = await getJson<RolloutState>("state.json");
      return stored && { state: stored.value, version: stored.etag };
    },
    async saveState(state, version) {
      try {
        const output = await clients.s3.send(
          new PutObjectCommand({ Bucket: config.bucket, Key: key("state.json"), Body: `${JSON.stringify(state, null, 2)}\n`, ContentType: "application/json", IfMatch: version }),
        );
        return output.ETag ?? "";
      } catch (error) {
        if (isCode(error, ...S3_IF_MATCH_LOST)) throw new StateConflictError(`s3://${config.bucket}/${key("state.json")} changed since the watchdog read it`);
        throw error;
      }
    },
    async readLock() {
      return (await getJson<LockHolder>("lock.json"))?.value;
    },
    async releaseLock(holder) {
      const current = await getJson<LockHolder>("lock.json");
      if (current?.value.id !== holder.id) return;
      try {
        await clients.s3.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: key("lock.json"), IfMatch: current.etag }));
      } catch (error) {
        // Taken over meanwhile (a `resume --take-over-stale`): the lock is someone else's now and stays.
        if (!isCode(error, "PreconditionFailed", "NoSuchKey")) throw error;
      }
    },
    setWeights: (weights: Weights) => router.setWeights(weights),
    readWeights: () => router.readWeights(),
    async notify(subject, message) {
      // SNS subjects are at most 100 printable ASCII characters.
      await clients.sns.send(new PublishCommand({ TopicArn: config.topicArn, Subject: subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 100), Message: message }));
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    log,
  };
}

/** One invocation: whatever woke it up, it judges the facts as they are now. */
export async function watchdog(config: WatchdogEnvironment, clients: WatchdogClients, log: (line: Record<string, unknown>) => void): Promise<WatchdogOutcome> {
  const ports = awsWatchdogPorts(config, clients, log);
  const outcome = await runWatchdogOnce(
    ports,
    async (state) => {
      // Without a rollout in progress the lock and alarms are not even read: a quiet environment costs one GetObject.
      if (state === undefined || isTerminal(state.phase)) return { lock: undefined, canary: { failing: [] } };
      const [holder, canary] = await Promise.all([ports.readLock(), canaryHealthFromAlarms(clients.cloudwatch, config.canaryAlarmNames)]);
      return { lock: holder && { holder }, canary };
    },
    config.settings,
  );
  // Failing the invocation makes Lambda retry it (and park it in the DLQ after the last retry, which alarms).
  if (outcome.result === "not-verified") throw new RollbackNotVerifiedError(`rollout ${outcome.rolloutId}: ${outcome.detail}`);
  return outcome;
}

let clients: WatchdogClients | undefined;

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<WatchdogOutcome> {
  const log = (line: Record<string, unknown>): void => console.log(JSON.stringify({ trigger: event["detail-type"], ...line }));
  clients ??= { s3: new S3Client({}), elbv2: new ElasticLoadBalancingV2Client({}), cloudwatch: new CloudWatchClient({}), sns: new SNSClient({}) };
  return watchdog(watchdogEnvironment(process.env), clients, log);
}
