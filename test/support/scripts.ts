import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
/** `--import tsx` resolves from the working directory; the scripts also run from temporary ones. */
const TSX = pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;

export interface ScriptRun {
  /** The exit code; null when the process was killed (past `timeoutMs`). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, in the order they arrived. */
  readonly out: string;
}

export interface ScriptOptions {
  readonly cwd?: string;
  /** Over this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default 60 s. */
  readonly timeoutMs?: number;
  /** Called with all the output so far each time some arrives. */
  readonly onOutput?: (all: string) => void;
  /** Sends `signal` to the script once its output matches `when` (as Ctrl-C or a CI runner's cancel does). */
  readonly interrupt?: { readonly when: RegExp; readonly signal: NodeJS.Signals };
}

/** The real script `scripts/<script>`, as `npm run <script> -- <args>` runs it (tsx), in `cwd` (default the project root). */
export function runScript(script: string, args: readonly string[], options: ScriptOptions = {}): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, path.join(ROOT, "scripts", script), ...args], {
      cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let out = "";
    let interrupted = false;
    const collect = (chunk: string) => {
      out += chunk;
      options.onOutput?.(out);
      if (options.interrupt && !interrupted && options.interrupt.when.test(out)) {
        interrupted = true;
        child.kill(options.interrupt.signal);
      }
    };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      collect(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      collect(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, out });
    });
  });
}
