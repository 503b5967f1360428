import { EventEmitter } from "node:events";

/** Where SIGINT/SIGTERM are subscribed: the process, or a test's emitter. */
export type CancelSource = Pick<NodeJS.Process, "on" | "off">;

const CANCEL_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** How often the parent process is checked (see below). */
const PARENT_CHECK_MS = 100;

/**
 * SIGINT/SIGTERM, and the death of the process that started this one. `npm run rollout` does not forward
 * SIGTERM to its script: npm exits and this process is re-parented, still rolling out for a caller that
 * believes it cancelled. So a changed parent counts as SIGTERM (ADR 0060); `bin/rollout.mjs` gets the signal
 * directly.
 */
export function processCancellation(): CancelSource {
  const emitter = new EventEmitter();
  for (const signal of CANCEL_SIGNALS) process.on(signal, () => emitter.emit(signal, signal));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.stderr.write(`the parent process ${parent} is gone (killed with the npm or shell that started this rollout): treating it as SIGTERM\n`);
    emitter.emit("SIGTERM", "SIGTERM");
  }, PARENT_CHECK_MS);
  watch.unref();
  return emitter as unknown as CancelSource;
}

/**
 * While a rollout runs in this process, SIGINT/SIGTERM abort `signal`: the engine rolls back, verified.
 * A second signal only says so; the rollback is not interrupted. `dispose` unsubscribes.
 */
export function cancelOnSignals(source: CancelSource, warn: (text: string) => void): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return warn(`${signal} again: still rolling back, please wait (traffic is being moved to stable and verified)`);
    warn(`${signal} received: rolling back (traffic to stable, verified by reading the router back)`);
    controller.abort(signal);
  };
  for (const name of CANCEL_SIGNALS) source.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of CANCEL_SIGNALS) source.off(name, onSignal);
    },
  };
}
