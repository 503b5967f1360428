import type { ECSClient, Task } from "@aws-sdk/client-ecs";
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import type { HookOutcome, PreTrafficHook } from "../../engine/model.ts";
import type { Clock, HookRunner } from "../../engine/ports.ts";
import type { RetryPolicy } from "./retry.ts";
import { callAws, DEFAULT_RETRY_POLICY } from "./retry.ts";

export interface EcsHookRunnerOptions {
  readonly client: ECSClient;
  readonly region: string;
  readonly clusterName: string;
  /** The canary's task definition: the hook runs the exact image and settings about to receive traffic. */
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly logGroupName: string;
  /** The task definition's `awslogs-stream-prefix` (the app tier uses the track name, `canary`). */
  readonly logStreamPrefix: string;
  readonly clock: Clock;
  readonly pollIntervalMs?: number;
  readonly retry?: RetryPolicy;
}

/** The CloudWatch Logs stream the awslogs driver writes a task's container output to. */
export function hookLogLocation(options: Pick<EcsHookRunnerOptions, "region" | "logGroupName" | "logStreamPrefix" | "containerName">, taskArn: string): string {
  const taskId = taskArn.split("/").at(-1) ?? taskArn;
  const stream = `${options.logStreamPrefix}/${options.containerName}/${taskId}`;
  return `cloudwatch logs group ${options.logGroupName} stream ${stream} (aws logs tail ${options.logGroupName} --log-stream-names ${stream} --region ${options.region})`;
}

/**
 * Runs pre-traffic hooks as one-off Fargate tasks of the canary's task definition with the command
 * overridden (`sh -c <command>`, so a hook is written as the operator would type it), in the service's
 * private subnets and security groups, so it reaches the database exactly as the web tasks do.
 */
export class EcsHookRunner implements HookRunner {
  private readonly retry: RetryPolicy;

  constructor(private readonly options: EcsHookRunnerOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** Deliberately not abortable: after a signal the task still has to be seen and stopped. */
  private describe(taskArn: string): Promise<Task | undefined> {
    const { client, clusterName, clock } = this.options;
    return callAws(
      { operation: "ecs:DescribeTasks", resource: `task ${taskArn}`, send: () => client.send(new DescribeTasksCommand({ cluster: clusterName, tasks: [taskArn] })) },
      clock,
      this.retry,
    ).then((output) => output.tasks?.[0]);
  }

  async run(hook: PreTrafficHook, context: { readonly image: string; readonly signal?: AbortSignal }): Promise<HookOutcome> {
    const { client, clusterName, clock, containerName } = this.options;
    const started = clock.now();
    const label = `${hook.name}: \`${hook.command}\``;
    const run = await callAws(
      {
        operation: "ecs:RunTask",
        resource: `task definition ${this.options.taskDefinitionArn} in cluster ${clusterName}`,
        send: () =>
          client.send(
            new RunTaskCommand({
              cluster: clusterName,
              taskDefinition: this.options.taskDefinitionArn,
              launchType: "FARGATE",
              count: 1,
              startedBy: `readiness-hook-${hook.name}`.slice(0, 36),
              networkConfiguration: { awsvpcConfiguration: { subnets: [...this.options.subnetIds], securityGroups: [...this.options.securityGroupIds], assignPublicIp: "DISABLED" } },
              overrides: { containerOverrides: [{ name: containerName, command: ["sh", "-c", hook.command], environment: [{ name: "ROLLOUT_IMAGE", value: context.image }] }] },
            }),
            { abortSignal: context.signal },
          ),
      },
      clock,
      this.retry,
      context.signal,
    );
    const taskArn = run.tasks?.[0]?.taskArn;
    if (!taskArn) {
      const failures = (run.failures ?? []).map((failure) => `${failure.arn ?? ""} ${failure.reason ?? ""} ${failure.detail ?? ""}`.trim()).join("; ");
      return { ok: false, exitCode: null, message: `${label} could not start: ${failures || "RunTask returned no task"}`, durationMs: clock.now() - started };
    }
    const logLocation = hookLogLocation(this.options, taskArn);
    const deadline = started + hook.timeoutMs;
    for (;;) {
      const task = await this.describe(taskArn);
      if (task?.lastStatus === "STOPPED") {
        const container = task.containers?.find((each) => each.name === containerName);
        const exitCode = container?.exitCode ?? null;
        const why = [task.stoppedReason, container?.reason].filter(Boolean).join("; ");
        const verdict = exitCode === null ? `stopped without an exit code${why ? ` (${why})` : ""}` : `exited ${exitCode}${exitCode !== 0 && why ? ` (${why})` : ""}`;
        return { ok: exitCode === 0, exitCode, logLocation, message: `${label} in task ${taskArn} ${verdict}`, durationMs: clock.now() - started };
      }
      if (clock.now() >= deadline || context.signal?.aborted) {
        const cause = context.signal?.aborted ? "interrupted" : `timed out after ${hook.timeoutMs} ms`;
        await this.stop(taskArn, `pre-traffic hook ${hook.name} ${cause}`);
        return { ok: false, exitCode: null, logLocation, message: `${label} in task ${taskArn} ${cause} (last status ${task?.lastStatus ?? "unknown"}); the task was stopped`, durationMs: clock.now() - started };
      }
      await clock.sleep(Math.min(this.options.pollIntervalMs ?? 5_000, Math.max(1, deadline - clock.now())), context.signal);
    }
  }

  /** A hook past its deadline must not go on migrating behind the rollout's back. */
  private async stop(taskArn: string, reason: string): Promise<void> {
    await callAws(
      { operation: "ecs:StopTask", resource: `task ${taskArn}`, send: () => this.options.client.send(new StopTaskCommand({ cluster: this.options.clusterName, task: taskArn, reason: reason.slice(0, 255) })) },
      this.options.clock,
      this.retry,
    );
  }
}
