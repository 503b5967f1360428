import autocannon from "autocannon";

export interface LoadOptions {
  readonly url: string;
  /** Requests per second over all connections: steady, so that each analysis window sees comparable traffic. */
  readonly ratePerSecond: number;
  readonly connections?: number;
  /** Hard upper bound: the load stops by itself after this long even if nobody calls `stop()`. */
  readonly maxDurationS: number;
}

export interface LoadSummary {
  readonly requests: number;
  /** 5xx responses plus requests that got no response (refused, reset, timed out). */
  readonly failed: number;
  /** When each failure happened (ms since epoch), to relate failures to rollout events. */
  readonly failureTimes: readonly number[];
  readonly statusCounts: Readonly<Record<string, number>>;
}

export interface RunningLoad {
  /** Counts so far, without stopping. */
  snapshot(): LoadSummary;
  stop(): Promise<LoadSummary>;
}

/** Steady HTTP traffic with autocannon, counting every failed request. */
export function startLoad(options: LoadOptions): RunningLoad {
  let requests = 0;
  const failureTimes: number[] = [];
  const statusCounts: Record<string, number> = {};
  const connections = options.connections ?? 4;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  // The callback form returns the event-emitting instance (the promise form does not).
  const instance = autocannon(
    { url: options.url, connections, overallRate: options.ratePerSecond, duration: options.maxDurationS, timeout: 5 },
    () => finished(),
  );
  instance.on("response", (_client, statusCode) => {
    requests += 1;
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    if (statusCode >= 500) failureTimes.push(Date.now());
  });
  instance.on("reqError", () => {
    requests += 1;
    statusCounts.error = (statusCounts.error ?? 0) + 1;
    failureTimes.push(Date.now());
  });
  const snapshot = (): LoadSummary => ({ requests, failed: failureTimes.length, failureTimes: [...failureTimes], statusCounts: { ...statusCounts } });
  return {
    snapshot,
    async stop() {
      instance.stop();
      await done;
      return snapshot();
    },
  };
}
