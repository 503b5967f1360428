import os from "node:os";
import type { S3Client } from "@aws-sdk/client-s3";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import type { LockHolder, LockInfo, LockResult, OperatorRequest, RolloutState } from "../../engine/model.ts";
import { type Clock, StateConflictError, type StateStore, type VersionedState } from "../../engine/ports.ts";
import { checkLock, checkState, parseRequest, StoreDamageError } from "../../store/damage.ts";
import { isProcessAlive } from "../../shared/processes.ts";
import type { RetryPolicy } from "./retry.ts";
import { AwsCallError, callAws, DEFAULT_RETRY_POLICY, S3_IF_MATCH_LOST } from "./retry.ts";
import { ROLLOUT_STATE_PREFIX } from "../../../lambdas/rollout-watchdog/core.ts";

import { ENVIRONMENT_NAME } from "../../../config/stack-identity.ts";

export interface S3StateStoreOptions {
  readonly client: S3Client;
  /** The stack's `rolloutStateBucket` (versioned, private). */
  readonly bucket: string;
  readonly prefix?: string;
  readonly clock: Clock;
  /** A lock whose heartbeat is older than this is stale (its holder may be on another machine). */
  readonly staleAfterMs?: number;
  readonly hostname?: string;
  readonly retry?: RetryPolicy;
  /**
   * How often a lock this process holds is renewed in the background (wall clock). The engine renews only
   * while it waits, and a `pulumi up` inside a deploy can outlast the stale timeout: without this, a live
   * rollout would look abandoned to another machine during its longest step.
   */
  readonly heartbeatEveryMs?: number;
}

interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

/** S3 answers a failed If-None-Match / If-Match with 412; two writers racing on one key get a 409 to retry. */
function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof AwsCallError && codes.includes(error.code);
}

/**
 * The AWS target's StateStore: `s3://<bucket>/<prefix><environment>/state.json`, `lock.json` and
 * `requests/`. The lock is created with `If-None-Match: *` and changed only with `If-Match: <etag>`, so two
 * machines can never both hold it: S3 itself refuses the second writer, no clock or cooperation needed.
 */
export class S3StateStore implements StateStore {
  private readonly prefix: string;
  private readonly staleAfterMs: number;
  private readonly hostname: string;
  private readonly retry: RetryPolicy;
  private readonly heartbeats = new Map<string, ReturnType<typeof setInterval>>();

  constructor(private readonly options: S3StateStoreOptions) {
    this.prefix = options.prefix ?? ROLLOUT_STATE_PREFIX;
    this.staleAfterMs = options.staleAfterMs ?? 5 * 60_000;
    this.hostname = options.hostname ?? os.hostname();
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  describe(): string {
    return `s3://${this.options.bucket}/${this.prefix}`;
  }

  private key(environment: string, name: string): string {
    if (!ENVIRONMENT_NAME.test(environment)) {
      throw new RangeError(`environment=${JSON.stringify(environment)}: expected letters, digits, '-' or '_' (it names an S3 key prefix)`);
    }
    return `${this.prefix}${environment}/${name}`;
  }

  private send<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    return callAws({ operation, resource: `s3://${this.options.bucket}/${key}`, send }, this.options.clock, this.retry);
  }

  private async getText(key: string): Promise<Versioned<string> | undefined> {
    try {
      const output = await this.send("s3:GetObject", key, () => this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key })));
      return { value: (await output.Body?.transformToString("utf8")) ?? "", etag: output.ETag ?? "" };
    } catch (error) {
      if (isCode(error, "NoSuchKey", "NotFound")) return undefined;
      throw error;
    }
  }

  /** The lock, checked: a damaged one is reported with the way out, never guessed at. */
  private async getLock(key: string, environment: string): Promise<Versioned<LockHolder> | undefined> {
    const object = await this.getText(key);
    if (object === undefined) return undefined;
    const checked = checkLock(object.value);
    if (checked.ok) return { value: checked.holder, etag: object.etag };
    throw new StoreDamageError(`s3://${this.options.bucket}/${key}`, checked.problem, [
      `# make sure no rollout of ${environment} runs (CI jobs, other shells), then:`,
      `aws s3 rm s3://${this.options.bucket}/${key}`,
      `then: npm run rollout -- status --stack <stack> --env ${environment}`,
    ]);
  }

  /** Returns the new object's ETag. */
  private async putJson(key: string, value: unknown, condition: { ifNoneMatch?: "*"; ifMatch?: string } = {}): Promise<string> {
    const output = await this.send("s3:PutObject", key, () =>
      this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: `${JSON.stringify(value, null, 2)}\n`,
          ContentType: "application/json",
          ...(condition.ifNoneMatch ? { IfNoneMatch: condition.ifNoneMatch } : {}),
          ...(condition.ifMatch ? { IfMatch: condition.ifMatch } : {}),
        }),
      ),
    );
    return output.ETag ?? "";
  }

  /** S3 writes are atomic and the bucket is versioned: the previous good copy is the previous object version. */
  async load(environment: string): Promise<RolloutState | undefined> {
    return (await this.loadVersioned(environment))?.state;
  }

  async loadVersioned(environment: string): Promise<VersionedState | undefined> {
    const key = this.key(environment, "state.json");
    const object = await this.getText(key);
    if (object === undefined) return undefined;
    const checked = checkState(object.value);
    if (checked.ok) return { state: checked.state, version: object.etag };
    throw new StoreDamageError(`s3://${this.options.bucket}/${key}`, checked.problem, [
      `aws s3api list-object-versions --bucket ${this.options.bucket} --prefix ${key} --max-items 5   # pick the VersionId before the damaged one, then:`,
      `aws s3api copy-object --bucket ${this.options.bucket} --key ${key} --copy-source '${this.options.bucket}/${key}?versionId=<VersionId>'`,
      `then: npm run rollout -- status --stack <stack> --env ${environment}   (resume/abort read the router before acting)`,
    ]);
  }

  async save(state: RolloutState, ifVersion?: string): Promise<string> {
    const key = this.key(state.environment, "state.json");
    try {
      return await this.putJson(key, state, ifVersion === undefined ? {} : { ifMatch: ifVersion });
    } catch (error) {
      if (ifVersion !== undefined && isCode(error, ...S3_IF_MATCH_LOST)) {
        throw new StateConflictError(`s3://${this.options.bucket}/${key} changed since it was read (someone else wrote the rollout's state)`, { cause: error });
      }
      throw error;
    }
  }

  private isStale(holder: LockHolder): boolean {
    if (holder.host === this.hostname && !isProcessAlive(holder.pid)) return true;
    return this.options.clock.now() - (holder.heartbeatAt ?? holder.startedAt) > this.staleAfterMs;
  }

  async readLock(environment: string): Promise<LockInfo | undefined> {
    const lock = await this.getLock(this.key(environment, "lock.json"), environment);
    return lock && { holder: lock.value, stale: this.isStale(lock.value) };
  }

  async acquireLock(environment: string, holder: LockHolder, options?: { readonly takeOverStale?: boolean }): Promise<LockResult> {
    const key = this.key(environment, "lock.json");
    const stamped: LockHolder = { ...holder, heartbeatAt: this.options.clock.now() };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.putJson(key, stamped, { ifNoneMatch: "*" });
        this.startHeartbeat(environment, stamped);
        return { ok: true, holder: stamped };
      } catch (error) {
        if (!isCode(error, "PreconditionFailed", "ConditionalRequestConflict")) throw error;
      }
      const current = await this.getLock(key, environment);
      // Released between our write and our read: try again.
      if (!current) continue;
      const stale = this.isStale(current.value);
      if (!stale || !options?.takeOverStale) return { ok: false, heldBy: current.value, stale };
      try {
        // Of two machines taking over the same stale lock, only the one whose ETag still matches wins.
        await this.putJson(key, stamped, { ifMatch: current.etag });
        this.startHeartbeat(environment, stamped);
        return { ok: true, holder: stamped, tookOverFrom: current.value };
      } catch (error) {
        if (!isCode(error, ...S3_IF_MATCH_LOST)) throw error;
      }
    }
    const current = await this.readLock(environment);
    if (current) return { ok: false, heldBy: current.holder, stale: current.stale };
    throw new Error(`could not create s3://${this.options.bucket}/${key}: it kept appearing and disappearing`);
  }

  async renewLock(environment: string, holder: LockHolder): Promise<void> {
    const key = this.key(environment, "lock.json");
    const current = await this.getLock(key, environment);
    const lost = (now?: LockHolder): Error =>
      new Error(`lock s3://${this.options.bucket}/${key} is no longer held by ${holder.id}${now ? ` (now ${now.id} on ${now.host}, pid ${now.pid})` : " (released)"}`);
    if (current?.value.id !== holder.id) throw lost(current?.value);
    try {
      await this.putJson(key, { ...current.value, heartbeatAt: this.options.clock.now() }, { ifMatch: current.etag });
    } catch (error) {
      if (isCode(error, "PreconditionFailed", "ConditionalRequestConflict")) throw lost((await this.getLock(key, environment))?.value);
      throw error;
    }
  }

  private startHeartbeat(environment: string, holder: LockHolder): void {
    this.stopHeartbeat(environment);
    const timer = setInterval(() => {
      // A lost lock stops the heartbeat; the engine's next renewLock reports it and ends the run.
      this.renewLock(environment, holder).catch(() => this.stopHeartbeat(environment));
    }, this.options.heartbeatEveryMs ?? 30_000);
    timer.unref();
    this.heartbeats.set(environment, timer);
  }

  private stopHeartbeat(environment: string): void {
    clearInterval(this.heartbeats.get(environment));
    this.heartbeats.delete(environment);
  }

  /** Stops the background heartbeats (the locks stay until released or stale). */
  close(): void {
    for (const environment of [...this.heartbeats.keys()]) this.stopHeartbeat(environment);
  }

  async releaseLock(environment: string, holder: LockHolder): Promise<void> {
    this.stopHeartbeat(environment);
    const key = this.key(environment, "lock.json");
    const current = await this.getLock(key, environment);
    if (current?.value.id !== holder.id) return;
    try {
      await this.send("s3:DeleteObject", key, () => this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key, IfMatch: current.etag })));
    } catch (error) {
      // Taken over meanwhile: the lock is someone else's now and stays.
      if (!isCode(error, "PreconditionFailed", "NoSuchKey")) throw error;
    }
  }

  async request(environment: string, request: OperatorRequest): Promise<void> {
    // Time-ordered names so that takeRequests returns requests in the order they were made.
    await this.putJson(this.key(environment, `requests/${String(request.at).padStart(15, "0")}-${request.id}.json`), request);
  }

  /**
   * Taking and withdrawing both delete the request with If-Match on the ETag read: of the rollout taking it
   * and the requester withdrawing it, exactly one delete succeeds, so a withdrawn request never acts.
   */
  private async claim(key: string): Promise<string | undefined> {
    const object = await this.getText(key);
    if (object === undefined) return undefined;
    try {
      await this.send("s3:DeleteObject", key, () => this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key, IfMatch: object.etag })));
      return object.value;
    } catch (error) {
      if (isCode(error, "PreconditionFailed", "NoSuchKey")) return undefined;
      throw error;
    }
  }

  async withdrawRequest(environment: string, id: string): Promise<boolean> {
    const key = (await this.requestKeys(environment)).find((candidate) => candidate.endsWith(`-${id}.json`));
    return key !== undefined && (await this.claim(key)) !== undefined;
  }

  async takeRequests(environment: string): Promise<readonly OperatorRequest[]> {
    const requests: OperatorRequest[] = [];
    for (const key of await this.requestKeys(environment)) {
      const text = await this.claim(key);
      const request = text === undefined ? undefined : parseRequest(text);
      if (request) requests.push(request);
    }
    return requests;
  }

  private async requestKeys(environment: string): Promise<string[]> {
    const prefix = this.key(environment, "requests/");
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const continuation = token;
      const output = await this.send("s3:ListBucket", prefix, () =>
        this.options.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ...(continuation ? { ContinuationToken: continuation } : {}) })),
      );
      keys.push(...(output.Contents ?? []).flatMap((object) => (object.Key?.endsWith(".json") ? [object.Key] : [])));
      token = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
