/** One server line of HAProxy's `show stat` CSV, reduced to what the rollout reads. */
export interface ServerStat {
  readonly backend: string;
  readonly server: string;
  /** `UP`, `DOWN`, `MAINT`, `DRAIN`, `NOLB`, `no check`, or a transition such as `UP 1/2`. */
  readonly status: string;
  readonly weight: number;
  /** Connections currently open to the server: a drain is complete when this reaches 0. */
  readonly currentSessions: number;
  /** Cumulative HTTP responses by class since HAProxy started. */
  readonly responses: { readonly total: number; readonly status5xx: number };
  /** HAProxy's own averages over the last 1024 requests (ms). */
  readonly averageResponseMs: number;
  readonly averageTotalMs: number;
}

export class ShowStatParseError extends Error {}

const REQUIRED_COLUMNS = ["pxname", "svname", "status", "weight", "scur", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "rtime", "ttime"] as const;

/** Parses `show stat` CSV (same text from the runtime API and from the stats page's `;csv`). */
export function parseShowStat(csv: string): ServerStat[] {
  const lines = csv.split("\n").filter((line) => line.trim() !== "");
  const header = lines[0];
  if (header === undefined || !header.startsWith("# ")) {
    throw new ShowStatParseError(`show stat: expected a header line starting with "# pxname", got ${JSON.stringify(header?.slice(0, 60) ?? "")}`);
  }
  const columns = header.slice(2).split(",");
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0) throw new ShowStatParseError(`show stat: missing columns ${missing.join(", ")}`);
  const index = Object.fromEntries(columns.map((name, i) => [name, i]));
  const stats: ServerStat[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    const cell = (name: (typeof REQUIRED_COLUMNS)[number]): string => cells[index[name] as number] ?? "";
    const count = (name: (typeof REQUIRED_COLUMNS)[number]): number => Number(cell(name) || 0);
    const server = cell("svname");
    if (server === "FRONTEND" || server === "BACKEND") continue;
    const classes = ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"] as const;
    stats.push({
      backend: cell("pxname"),
      server,
      status: cell("status"),
      weight: count("weight"),
      currentSessions: count("scur"),
      responses: { total: classes.reduce((sum, name) => sum + count(name), 0), status5xx: count("hrsp_5xx") },
      averageResponseMs: count("rtime"),
      averageTotalMs: count("ttime"),
    });
  }
  return stats;
}

/** HAProxy reports transitions as `UP 1/2` (going down) or `DOWN 1/2` (coming up): only the first word counts. */
export function isServerUp(status: string): boolean {
  const state = status.split(" ")[0];
  return state === "UP" || state === "no" /* "no check" */ || state === "DRAIN";
}

/** Reads the current weight from a `get weight` answer such as `90 (initial 100)`. */
export function parseGetWeight(answer: string): number {
  const match = /^(\d+) \(initial \d+\)/.exec(answer.trim());
  if (match === null) throw new ShowStatParseError(`get weight: unexpected answer ${JSON.stringify(answer.trim())}`);
  return Number(match[1]);
}
