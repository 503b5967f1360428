import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ModuleKind } from "./program-entry.ts";
import type { ProgramRun } from "./program-runner.ts";
import type { StackConfig } from "./stack-config.ts";

/** What the gate asks program-host.ts to run. */
export interface HostRequest {
  readonly project: string;
  readonly stack: string;
  readonly organization: string;
  readonly region: string;
  readonly config: StackConfig;
  /** The entry module and how the language host loads it. */
  readonly entry: string;
  readonly kind: ModuleKind;
  /** The program's directory (Pulumi.yaml): its working directory. Its @pulumi/pulumi is resolved from the entry's directory. */
  readonly root: string;
}

export interface ProgramFailure {
  /** The error's class name (`ConfigError`, `TypeError`, ...), when it had one. */
  readonly name?: string;
  readonly message: string;
  /** Structured problems the error listed (this project's ConfigError lists every invalid key). */
  readonly issues?: readonly unknown[];
  /** `file:line:column` in the program (relative to its directory), when the error's stack names one. */
  readonly location?: string;
}

export type HostReply = { ok: true; run: ProgramRun } | { ok: false; failure: ProgramFailure };

/** The program failed (or could not be run): there is no inventory to judge. */
export class ProgramError extends Error {
  override readonly name = "ProgramError";
  readonly failure: ProgramFailure;
  constructor(failure: ProgramFailure) {
    super(failure.location ? `${failure.location}: ${failure.message}` : failure.message);
    this.failure = failure;
  }
}

/** A program that has not finished by then is treated as broken (a preview would not finish either). */
const DEFAULT_TIMEOUT_MS = 120_000;
const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), "program-host.ts");

/**
 * Runs a program in a child process (program-host.ts) and returns what it registered, or throws a
 * ProgramError with the cause and the program's file and line. A child per program is what the language
 * host does: the program gets its own directory, module system and @pulumi/pulumi, and nothing it leaves
 * behind (globals, module caches, pending timers) reaches the next program.
 */
export async function runProgramInProcess(request: HostRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ProgramRun> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", HOST], {
    cwd: request.root,
    // Node's compile cache (from the first module on) saves about a fifth of loading @pulumi/pulumi and @pulumi/aws.
    env: { NODE_COMPILE_CACHE: path.join(os.tmpdir(), "readiness-gate-compile-cache"), ...process.env, READINESS_GATE_PROGRAM: JSON.stringify(request) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return new Promise<ProgramRun>((resolve, reject) => {
    let reply: HostReply | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("message", (message) => { reply = message as HostReply; });
    child.on("error", (err) => reject(new ProgramError({ message: `cannot start the program host: ${err.message}` })));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok) return resolve(reply.run);
      if (reply) return reject(new ProgramError(reply.failure));
      const why = signal === "SIGKILL" ? `did not finish within ${timeoutMs / 1000} s` : `stopped (exit ${code ?? signal}) without a result`;
      reject(new ProgramError({ message: `the program ${why}${output.trim() ? `; its last output:\n${output.trim()}` : ""}` }));
    });
  });
}

/** The error's message and the first stack frame in the program's own files (not its node_modules). */
export function failureOf(err: unknown, root: string): ProgramFailure {
  const e = err as { name?: unknown; message?: unknown; stack?: unknown; issues?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  const stack = typeof e?.stack === "string" ? e.stack : "";
  const about = { ...(typeof e?.name === "string" ? { name: e.name } : {}), ...(Array.isArray(e?.issues) ? { issues: e.issues } : {}) };
  // Stack frames first; a compile error names its place in the message (`/dir/index.ts:5:0: ERROR: ...`).
  const places = [...stack.matchAll(/(?:\(|at )(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)\)?$/gm), ...message.matchAll(/(\/[^\s():]+):(\d+):(\d+):/g)];
  for (const match of places) {
    const file = match[1];
    const relative = path.relative(root, file);
    if (relative.startsWith("..") || relative.split(path.sep).includes("node_modules")) continue;
    return { ...about, message, location: `${relative.split(path.sep).join("/")}:${match[2]}:${match[3]}` };
  }
  return { ...about, message };
}
