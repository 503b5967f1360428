import { $ } from "zx";

export interface HookResult {
  readonly command: string;
  readonly exitCode: number | null;
  /** Last lines of stdout+stderr, for the report; a hook's full output stays on the terminal that ran it. */
  readonly outputTail: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

/**
 * Runs a pre-traffic hook on this machine (the local counterpart of a one-off ECS task such as
 * `manage.py migrate`). The command is a shell line from the operator's own flags, run with `sh -c`;
 * it gets the canary's address in the environment so it can smoke-test the new version before traffic.
 */
export async function runLocalHook(command: string, options: { cwd: string; env?: Record<string, string>; timeoutMs: number }): Promise<HookResult> {
  const started = Date.now();
  const output = await $({ cwd: options.cwd, env: { ...process.env, ...options.env }, nothrow: true, quiet: true, timeout: options.timeoutMs })`sh -c ${command}`;
  const durationMs = Date.now() - started;
  return {
    command,
    exitCode: output.exitCode,
    outputTail: output.stdall.trimEnd().split("\n").slice(-20).join("\n"),
    durationMs,
    // zx kills the shell with SIGTERM at the deadline; the shell then exits 143 rather than reporting a signal.
    timedOut: output.exitCode !== 0 && durationMs >= options.timeoutMs,
  };
}
