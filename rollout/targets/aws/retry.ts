import type { Clock } from "../../engine/ports.ts";

/**
 * What S3 answers a write with `If-Match` whose object changed since it was read: 412, a 409 to a writer racing
 * another, or NoSuchKey when the object was deleted meanwhile. Repeating the call cannot succeed: re-read.
 */
export const S3_IF_MATCH_LOST = ["PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"] as const;

/**
 * Error codes AWS returns when a call may succeed if repeated: throttling (every service spells it its own
 * way) and server-side hiccups. Anything else (AccessDenied, a resource not found, a validation error) will
 * fail the same way again, so it is reported at once instead of burning the rollout's time budget.
 */
const RETRYABLE_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "SlowDown",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalError",
  "InternalFailure",
  "InternalServerError",
  "ServerException",
  "RequestTimeout",
  "RequestTimeoutException",
  "PriorRequestNotComplete",
  "TimeoutError",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
]);

interface AwsLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

function asAwsError(error: unknown): AwsLikeError {
  return typeof error === "object" && error !== null ? (error as AwsLikeError) : { message: String(error) };
}

/** The AWS error code (`AccessDenied`, `ThrottlingException`, ...) or the Node error code. */
export function awsErrorCode(error: unknown): string {
  const aws = asAwsError(error);
  return aws.code ?? aws.name ?? "Error";
}

export function isRetryableAwsError(error: unknown): boolean {
  const aws = asAwsError(error);
  if (aws.$retryable) return true;
  if (RETRYABLE_CODES.has(awsErrorCode(error))) return true;
  const status = aws.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

/** Thrown when an AWS call fails for good: says what was attempted, on which resource, and what AWS said. */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly resource: string,
    readonly code: string,
    readonly attempts: number,
    awsMessage: string,
  ) {
    super(`${operation} on ${resource} failed${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${code}: ${awsMessage}`);
    this.name = "AwsCallError";
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Delay before retry number `attempt` (1 = first retry): exponential with "equal jitter", so that a laptop
 * and CI throttled at the same moment do not retry in lockstep, yet never wait less than half the step.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface AwsCall<T> {
  /** API name for messages, e.g. `elbv2:ModifyListener`. */
  readonly operation: string;
  /** The resource the call is about (ARN, bucket/key, alarm names). */
  readonly resource: string;
  readonly send: () => Promise<T>;
}

/**
 * Runs one AWS call, retrying throttling and transient errors with backoff on `clock`; permanent errors and
 * exhausted retries become an {@link AwsCallError} naming the resource and quoting AWS's message.
 */
export async function callAws<T>(call: AwsCall<T>, clock: Clock, policy: RetryPolicy = DEFAULT_RETRY_POLICY, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call.send();
    } catch (error) {
      const retry = isRetryableAwsError(error) && attempt < policy.maxAttempts && !signal?.aborted;
      if (!retry) throw new AwsCallError(call.operation, call.resource, awsErrorCode(error), attempt, asAwsError(error).message ?? String(error));
      await clock.sleep(backoffDelayMs(attempt, policy), signal);
    }
  }
}
