import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LockHolder, LockInfo, LockResult, OperatorRequest, RolloutState, StateStore } from "../engine/ports.ts";

const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** True when `pid` names a live process on this host (EPERM: alive but not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface FileStateStoreOptions {
  /** Directory holding one sub-directory per environment, e.g. `<repo>/.readiness/rollouts`. */
  readonly root: string;
  /** A lock from another host is stale when its heartbeat is older than this (pid liveness cannot be checked there). */
  readonly foreignStaleAfterMs?: number;
  readonly hostname?: string;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as T;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Write to a temporary sibling and rename: readers in other processes never see a half-written file. */
async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(temporary, file);
}

/**
 * The local target's StateStore: `<root>/<environment>/state.json`, `lock.json` created with O_EXCL (so two
 * processes can never both hold it) and `requests/*.json` for operator requests from other shells.
 */
export class FileStateStore implements StateStore {
  private readonly hostname: string;
  private readonly foreignStaleAfterMs: number;

  constructor(private readonly options: FileStateStoreOptions) {
    this.hostname = options.hostname ?? os.hostname();
    this.foreignStaleAfterMs = options.foreignStaleAfterMs ?? 5 * 60_000;
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
    return readJson<RolloutState>(path.join(this.directory(environment), "state.json"));
  }

  async save(state: RolloutState): Promise<void> {
    const directory = await this.ensureDirectory(state.environment);
    await writeJsonAtomically(path.join(directory, "state.json"), state);
  }

  private isStale(holder: LockHolder, now: number): boolean {
    if (holder.host === this.hostname) return !isProcessAlive(holder.pid);
    return now - (holder.heartbeatAt ?? holder.startedAt) > this.foreignStaleAfterMs;
  }

  async readLock(environment: string): Promise<LockInfo | undefined> {
    const holder = await readJson<LockHolder>(path.join(this.directory(environment), "lock.json"));
    return holder && { holder, stale: this.isStale(holder, Date.now()) };
  }

  async acquireLock(environment: string, holder: LockHolder, options?: { readonly takeOverStale?: boolean }): Promise<LockResult> {
    const directory = await this.ensureDirectory(environment);
    const lockFile = path.join(directory, "lock.json");
    const stamped: LockHolder = { ...holder, heartbeatAt: Date.now() };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const handle = await fs.open(lockFile, "wx", 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(stamped, null, 2)}\n`);
        } finally {
          await handle.close();
        }
        return { ok: true, holder: stamped };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
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
    const current = await readJson<LockHolder>(lockFile);
    if (current?.id !== holder.id) {
      throw new Error(`lock for ${environment} is no longer held by ${holder.id}${current ? ` (now ${current.id} on ${current.host}, pid ${current.pid})` : " (released)"}`);
    }
    await writeJsonAtomically(lockFile, { ...current, heartbeatAt: Date.now() });
  }

  async releaseLock(environment: string, holder: LockHolder): Promise<void> {
    const lockFile = path.join(this.directory(environment), "lock.json");
    const current = await readJson<LockHolder>(lockFile);
    if (current?.id === holder.id) await fs.rm(lockFile, { force: true });
  }

  async request(environment: string, request: OperatorRequest): Promise<void> {
    const directory = await this.ensureDirectory(environment);
    // Time-ordered names so that takeRequests returns requests in the order they were made.
    const name = `${String(request.at).padStart(15, "0")}-${randomUUID()}.json`;
    await writeJsonAtomically(path.join(directory, "requests", name), request);
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
      const file = path.join(directory, name);
      const request = await readJson<OperatorRequest>(file);
      await fs.rm(file, { force: true });
      if (request) requests.push(request);
    }
    return requests;
  }
}
