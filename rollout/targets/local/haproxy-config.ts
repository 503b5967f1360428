/** Where the local router listens and what it routes to. Every address is on loopback. */
export interface HaproxyLayout {
  /** Port that takes the application traffic (what the load generator and users hit). */
  readonly trafficPort: number;
  /** Port of the read-only stats page; its `;csv` form is the metrics source. */
  readonly statsPort: number;
  /** UNIX socket of the runtime API (admin level): weights, server state. */
  readonly adminSocketPath: string;
  readonly stablePort: number;
  readonly canaryPort: number;
}

/** Names used in the config and in every runtime API command. */
export const BACKEND = "app";
export const STATS_FRONTEND = "stats";
export const SERVERS = { stable: "stable", canary: "canary" } as const;
export type ServerRole = keyof typeof SERVERS;

/**
 * One line per request on stdout, space separated: server, status, total active time (ms).
 * `show stat` only has averages over the last 1024 requests, so the p95 per version comes from these lines.
 */
export const REQUEST_LOG_FORMAT = "%s %ST %Ta";

/** Renders haproxy.cfg. Pure, so the choices below are tested without starting HAProxy. */
export function renderHaproxyConfig(layout: HaproxyLayout): string {
  return `global
  log stdout format raw local0
  stats socket ${layout.adminSocketPath} mode 600 level admin
  # A stopping haproxy must not hang a test or a demo forever.
  hard-stop-after 5s

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 10s
  timeout check 1s
  # A request whose connection to a server failed (server just stopped, or closed an idle connection) is
  # retried on another server: weight changes and drains then cost no failed request. 5xx are never retried,
  # so a failing canary stays visible in the metrics.
  retries 2
  retry-on conn-failure empty-response
  option redispatch 1

frontend traffic
  bind 127.0.0.1:${layout.trafficPort}
  log global
  log-format "${REQUEST_LOG_FORMAT}"
  default_backend ${BACKEND}

backend ${BACKEND}
  # roundrobin is HAProxy's dynamic algorithm: weight changes through the runtime API apply to the next request.
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  server ${SERVERS.stable} 127.0.0.1:${layout.stablePort} weight 100 check
  server ${SERVERS.canary} 127.0.0.1:${layout.canaryPort} weight 0 check

frontend ${STATS_FRONTEND}
  bind 127.0.0.1:${layout.statsPort}
  stats enable
  stats uri /stats
`;
}
