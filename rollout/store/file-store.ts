import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LockHolder, LockInfo, LockResult, OperatorRequest, RolloutState } from "../engine/model.ts";
import { StateConflictError, type StateStore, type VersionedState } from "../engine/ports.ts";
import { isProcessAlive } from "../shared/processes.ts";
import { checkLock, checkState, parseRequest, StoreDamageError } from "./damage.ts";

import { ENVIRONMENT_NAME } from "../../config/stack-identity.ts";

export interface FileStateStoreOptions {
  /** Directory holding one sub-directory per environment, e.g. `<repo>/.readiness/rollouts`. */
  readonly root: string;
  /** A lock from another host is stale when its heartbeat is older than this (pid liveness cannot be checked there). */
  readonly foreignStaleAfterMs?: number;
  readonly hostname?: string;
  /** A state write's mutex older than this is abandoned whoever holds it (default 10 s; a write takes milliseconds). */
  readonly writingStaleAfterMs?: number;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A state file's version: a hash of its bytes (mtime and size can repeat within a clock tick). */
function versionOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A complete temporary sibling of `file`, flushed to disk: the only way our JSON files come into being. */
async function writeTemporary(file: string, text: string): Promise<string> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await fs.open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temporary;
}

/** Write to a temporary sibling and rename: readers in other processes never see a half-written file. */
async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await fs.rename(await writeTemporary(file, jsonText(value)), file);
}

/** Temporary files (`<file>.<pid>.<uuid>.tmp` or `.broken`) of processes that died mid-write: nobody will rename them. */
async function removeOrphanedTemporaries(directory: string): Promise<void> {
  for (const name of await fs.readdir(directory)) {
    const pid = /\.(\d+)\.[0-9a-f-]{36}\.(?:tmp|broken)$/.exec(name)?.[1];
    if (pid !== undefined && !isProcessAlive(Number(pid))) await fs.rm(path.join(directory, name), { force: true });
  }
}

/**
 * A state write holds its mutex for milliseconds. A mutex older than `writingStaleAfterMs` is abandoned whoever
 * holds it (that bounds a mutex left by a pid reused after a crash, or by the rare give-back below); a writer waits
 * up to WRITING_TIMEOUT_MS, polling at WRITING_POLL_MS.
 */
const WRITING_STALE_MS = 10_000;
const WRITING_TIMEOUT_MS = 15_000;
const WRITING_POLL_MS = 5;

/** Who holds a write mutex: `<pid> <host> <uuid>`, unique to one hold. */
interface Writer {
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly ageMs: number;
}

async function writerOf(mutex: string): Promise<Writer | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(mutex, "r");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  // Token and age from one open file: by path they could come from two holds.
  try {
    const [token, stat] = await Promise.all([handle.readFile("utf8"), handle.stat()]);
    const [pid, host] = token.split(" ");
    return { token, pid: Number(pid), host: host ?? "", ageMs: Date.now() - stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

/**
 * Removes an abandoned mutex. It is moved aside and read again: when it is no longer the abandoned holder's (a
 * live writer took the mutex between our read and the move) it is given back, so that two waiters breaking the
 * same abandoned mutex never both enter. A give-back that comes after that writer released leaves its mutex
 * behind until it is stale; one that loses to a third writer lets two in, within microseconds of a crash.
 */
async function breakAbandoned(mutex: string, abandoned: Writer): Promise<void> {
  const aside = `${mutex}.${process.pid}.${randomUUID()}.broken`;
  try {
    await fs.rename(mutex, aside);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  if ((await readText(aside)) !== abandoned.token) await fs.link(aside, mutex).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

const quote = (file: string): string => `'${file.replaceAll("'", "'\\''")}'`;

/**
 * The local target's StateStore: `<root>/<environment>/state.json` (the previous version kept as
 * `state.prev.json`), `lock.json` created by hard-linking a complete temporary file (so two processes can never
 * both hold it, and a crash can never leave a half-written lock) and `requests/*.json` for operator requests
 * from other shells. Damaged files are reported with the way out (StoreDamageError), never used.
 */
export class FileStateStore implements StateStore {
  private readonly hostname: string;
  private readonly foreignStaleAfterMs: number;
  private readonly writingStaleAfterMs: number;

  constructor(private readonly options: FileStateStoreOptions) {
    this.hostname = options.hostname ?? os.hostname();
    this.foreignStaleAfterMs = options.foreignStaleAfterMs ?? 5 * 60_000;
    this.writingStaleAfterMs = options.writingStaleAfterMs ?? WRITING_STALE_MS;
  }

  describe(): string {
    return `files under ${this.options.root}`;
  }

  private directory(environment: string): string {
    if (!ENVIRONMENT_NAME.test(environment)) {
      throw new RangeError(`environment=${JSON.stringify(environment)}: expected letters, digits, '-' or '_' (it names a directory)`);
    }
    return path.join(this.options.root, environment);
  }

  private async ensureDirectory(environment: string): Promise<string> {
    const directory = this.directory(environment);
    await fs.mkdir(path.join(directory, "requests"), { recursive: true, mode: 0o700 });
    return directory;
  }

  async load(environment: string): Promise<RolloutState | undefined> {
    return (await this.loadVersioned(environment))?.state;
  }

  async loadVersioned(environment: string): Promise<VersionedState | undefined> {
    const file = path.join(this.directory(environment), "state.json");
    const text = await readText(file);
    if (text === undefined) return undefined;
    const checked = checkState(text);
    if (checked.ok) return { state: checked.state, version: versionOf(text) };
    throw new StoreDamageError(file, checked.problem, await this.stateRecovery(environment, file));
  }

  private async stateRecovery(environment: string, file: string): Promise<string[]> {
    const previous = path.join(path.dirname(file), "state.prev.json");
    const text = await readText(previous);
    const checked = text === undefined ? undefined : checkState(text);
    const then = `then: npm run rollout -- status --env ${environment}   (resume/abort read the router before acting)`;
    if (checked?.ok) {
      const { state } = checked;
      return [`cp ${quote(previous)} ${quote(file)}`, `(the previous good copy: rollout ${state.id}, ${state.phase}, saved ${new Date(state.updatedAt).toISOString()})`, then];
    }
    return [
      `mv ${quote(file)} ${quote(`${file}.damaged`)}`,
      "(no good previous copy; the environment then has no recorded rollout, and `start` reads the router and refuses unless it shows stable 100 / canary 0)",
      then,
    ];
  }

  /**
   * Every save holds `state.json.writing` (created by link, so only one process has it) from its compare to its
   * rename: a conditional save cannot lose to a write that lands between the two.
   */
  async save(state: RolloutState, ifVersion?: string): Promise<string> {
    const directory = await this.ensureDirectory(state.environment);
    const file = path.join(directory, "state.json");
    const text = jsonText(state);
    const temporary = await writeTemporary(file, text);
    try {
      await this.whileWriting(file, async () => {
        if (ifVersion !== undefined) {
          const stored = await readText(file);
          if (stored === undefined || versionOf(stored) !== ifVersion) throw new StateConflictError(`${file} changed since it was read (someone else wrote the rollout's state)`);
        }
        // The copy being replaced becomes state.prev.json (a hard link: no copying of a growing file).
        const previous = path.join(directory, "state.prev.json");
        await fs.rm(previous, { force: true });
        await fs.link(file, previous).catch((error: unknown) => {
          if (!isMissing(error)) throw error;
        });
        await fs.rename(temporary, file);
      });
    } finally {
      await fs.rm(temporary, { force: true });
    }
    return versionOf(text);
  }

  /** A writer killed mid-save on this host (its pid is gone), or any writer holding for far longer than a write takes. */
  private isAbandoned(writer: Writer): boolean {
    return writer.ageMs > this.writingStaleAfterMs || (writer.host === this.hostname && !isProcessAlive(writer.pid));
  }

  /** Runs `write` while holding `<file>.writing`, and releases it only if it is still this hold's. */
  private async whileWriting<T>(file: string, write: () => Promise<T>): Promise<T> {
    const mutex = `${file}.writing`;
    const token = `${process.pid} ${this.hostname} ${randomUUID()}`;
    const mine = await writeTemporary(mutex, token);
    try {
      for (const started = Date.now(); ; ) {
        try {
          // The hold's age counts from this attempt, not from when the file was written before the wait.
          const now = new Date();
          await fs.utimes(mine, now, now);
          await fs.link(mine, mutex);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const holder = await writerOf(mutex);
        if (holder !== undefined && this.isAbandoned(holder)) {
          await breakAbandoned(mutex, holder);
          continue;
        }
        if (Date.now() - started > WRITING_TIMEOUT_MS) throw new Error(`${mutex} is held by ${holder ? `pid ${holder.pid} on ${holder.host}` : "a writer"} for over ${WRITING_TIMEOUT_MS} ms; if no rollout or watchdog of this environment runs, remove it`);
        await new Promise((resolve) => setTimeout(resolve, WRITING_POLL_MS));
      }
    } finally {
      await fs.rm(mine, { force: true });
    }
    try {
      return await write();
    } finally {
      if ((await readText(mutex)) === token) await fs.rm(mutex, { force: true });
    }
  }

  private async readHolder(environment: string): Promise<LockHolder | undefined> {
    const file = path.join(this.directory(environment), "lock.json");
    const text = await readText(file);
    if (text === undefined) return undefined;
    const checked = checkLock(text);
    if (checked.ok) return checked.holder;
    throw new StoreDamageError(file, checked.problem, [
      `pgrep -af 'rollout.*${environment}'   # make sure no rollout of ${environment} runs, then:`,
      `rm ${quote(file)}`,
      `then: npm run rollout -- status --env ${environment}`,
    ]);
  }

  private isStale(holder: LockHolder, now: number): boolean {
    if (holder.host === this.hostname) return !isProcessAlive(holder.pid);
    return now - (holder.heartbeatAt ?? holder.startedAt) > this.foreignStaleAfterMs;
  }

  async readLock(environment: string): Promise<LockInfo | undefined> {
    const holder = await this.readHolder(environment);
    return holder && { holder, stale: this.isStale(holder, Date.now()) };
  }

  async acquireLock(environment: string, holder: LockHolder, options?: { readonly takeOverStale?: boolean }): Promise<LockResult> {
    const directory = await this.ensureDirectory(environment);
    const lockFile = path.join(directory, "lock.json");
    const stamped: LockHolder = { ...holder, heartbeatAt: Date.now() };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      // link() fails with EEXIST when the lock exists: atomic like O_EXCL, but the lock is complete when it appears.
      const temporary = await writeTemporary(lockFile, jsonText(stamped));
      try {
        await fs.link(temporary, lockFile);
        await removeOrphanedTemporaries(directory);
        return { ok: true, holder: stamped };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      } finally {
        await fs.rm(temporary, { force: true });
      }
      const current = await this.readLock(environment);
      // Released between our create and our read: try again.
      if (!current) continue;
      if (!current.stale || !options?.takeOverStale) return { ok: false, heldBy: current.holder, stale: current.stale };
      // Renaming is atomic: of two processes taking over the same stale lock, only one rename succeeds and
      // the other goes round the loop and finds the winner's fresh lock.
      try {
        await fs.rename(lockFile, path.join(directory, `lock.stale-${current.holder.id}.json`));
      } catch (error) {
        if (!isMissing(error)) throw error;
        continue;
      }
      const created = await this.acquireLock(environment, holder);
      return created.ok ? { ...created, tookOverFrom: current.holder } : created;
    }
    const current = await this.readLock(environment);
    if (current) return { ok: false, heldBy: current.holder, stale: current.stale };
    throw new Error(`could not create ${lockFile}: it kept appearing and disappearing`);
  }

  async renewLock(environment: string, holder: LockHolder): Promise<void> {
    const lockFile = path.join(this.directory(environment), "lock.json");
    const current = await this.readHolder(environment);
    if (current?.id !== holder.id) {
      throw new Error(`lock for ${environment} is no longer held by ${holder.id}${current ? ` (now ${current.id} on ${current.host}, pid ${current.pid})` : " (released)"}`);
    }
    await writeJsonAtomically(lockFile, { ...current, heartbeatAt: Date.now() });
  }

  async releaseLock(environment: string, holder: LockHolder): Promise<void> {
    const lockFile = path.join(this.directory(environment), "lock.json");
    const current = await this.readHolder(environment);
    if (current?.id === holder.id) await fs.rm(lockFile, { force: true });
  }

  async request(environment: string, request: OperatorRequest): Promise<void> {
    const directory = await this.ensureDirectory(environment);
    // Time-ordered names so that takeRequests returns requests in the order they were made.
    const name = `${String(request.at).padStart(15, "0")}-${request.id}.json`;
    await writeJsonAtomically(path.join(directory, "requests", name), request);
  }

  /**
   * Taking and withdrawing both claim a request file by renaming it: of the rollout taking it and the
   * requester withdrawing it, exactly one wins, so a withdrawn request can never act afterwards.
   */
  private async claim(file: string, as: "taken" | "withdrawn"): Promise<string | undefined> {
    const claimed = `${file}.${as}-${process.pid}`;
    try {
      await fs.rename(file, claimed);
      return claimed;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async withdrawRequest(environment: string, id: string): Promise<boolean> {
    const directory = path.join(this.directory(environment), "requests");
    const names = await fs.readdir(directory).catch((error: unknown) => (isMissing(error) ? [] : Promise.reject(error)));
    const name = names.find((candidate) => candidate.endsWith(`-${id}.json`));
    const claimed = name === undefined ? undefined : await this.claim(path.join(directory, name), "withdrawn");
    if (claimed !== undefined) await fs.rm(claimed, { force: true });
    return claimed !== undefined;
  }

  async takeRequests(environment: string): Promise<readonly OperatorRequest[]> {
    const directory = path.join(this.directory(environment), "requests");
    let names: string[];
    try {
      names = (await fs.readdir(directory)).filter((name) => name.endsWith(".json")).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const requests: OperatorRequest[] = [];
    for (const name of names) {
      const claimed = await this.claim(path.join(directory, name), "taken");
      if (claimed === undefined) continue;
      const request = parseRequest((await readText(claimed)) ?? "");
      await fs.rm(claimed, { force: true });
      if (request) requests.push(request);
    }
    return requests;
  }
}
