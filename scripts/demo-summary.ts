/** The demo's closing summary (pure: the demo script measures, this lays it out). */

export interface DemoOutcome {
  readonly name: string;
  readonly image: string;
  readonly exitCode: number | null;
  readonly expected: string;
  /** Requests the steady load sent while this rollout ran, and how many of them failed. */
  readonly requests: number;
  readonly failed: number;
  readonly reportDir: string;
}

export interface LoadTotals {
  readonly requests: number;
  readonly failed: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

/**
 * One row per rollout, one for the traffic before, between and after them, and the total, so that the request
 * columns add up to the total; every line fits a 120-column terminal (long image names are cut).
 */
export function demoSummaryLines(outcomes: readonly DemoOutcome[], total: LoadTotals): string[] {
  const outside = {
    requests: total.requests - outcomes.reduce((sum, o) => sum + o.requests, 0),
    failed: total.failed - outcomes.reduce((sum, o) => sum + o.failed, 0),
  };
  const image = (text: string) => (text.length <= 34 ? text.padEnd(34) : `${text.slice(0, 31)}...`);
  const counts = (requests: number, failed: number) => `${String(requests).padStart(7)} requests ${String(failed).padStart(5)} failed`;
  const statuses = Object.entries(total.statusCounts).map(([status, n]) => `${status}: ${n}`).join(", ");
  return [
    "demo summary",
    ...outcomes.map((o) => `  ${o.name.padEnd(8)} ${image(o.image)} ${`exit ${o.exitCode ?? "-"} (${o.expected})`.padEnd(20)} ${counts(o.requests, o.failed)}  ${o.reportDir}/`),
    `  ${"outside the rollouts (start-up, between, after)".padEnd(64)} ${counts(outside.requests, outside.failed)}`,
    `  ${"load in total".padEnd(64)} ${counts(total.requests, total.failed)}  (${statuses})`,
  ];
}
