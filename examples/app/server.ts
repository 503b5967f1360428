import http from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import type { FaultProfile } from "../../rollout/shared/fault-profile.ts";
import { faultEnvironmentNames, faultParameterNames, faultParameterOf, parseFaultProfile, rawFaultsFromEnvironment } from "../../rollout/shared/fault-profile.ts";

export interface SampleAppOptions {
  /** Reported by `/` and `/health`, and in the `X-App-Version` header, so a caller knows which version answered. */
  readonly version: string;
  readonly faults: FaultProfile;
  /** Origins allowed by CORS; anything else gets no CORS headers at all. */
  readonly allowedOrigins: readonly string[];
  /** Injected so that tests can make the 5xx fault deterministic. */
  readonly random?: () => number;
}

export interface SampleApp {
  readonly server: http.Server;
  /** Readiness turns 503, new connections are refused, in-flight requests finish; resolves when all are closed. */
  shutdown(graceMs?: number): Promise<void>;
}

const HSTS = "max-age=31536000; includeSubDomains";

function securityHeaders(request: http.IncomingMessage, options: SampleAppOptions): Record<string, string> {
  if (options.faults.headers === "insecure") return { "access-control-allow-origin": "*" };
  const headers: Record<string, string> = { "strict-transport-security": HSTS, "x-content-type-options": "nosniff" };
  const origin = request.headers.origin;
  if (origin !== undefined && options.allowedOrigins.includes(origin)) {
    headers["access-control-allow-origin"] = origin;
    headers.vary = "Origin";
  }
  return headers;
}

/** mulberry32: a small, well-distributed seeded generator (enough to decide which requests fail). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function createSampleApp(options: SampleAppOptions): SampleApp {
  const random = options.random ?? (options.faults.seed === undefined ? Math.random : seededRandom(options.faults.seed));
  let shuttingDown = false;
  let firstTrafficAt: number | undefined;

  const failsThisRequest = (): boolean => {
    const { errorRate, errorBurstS, errorAfterS, errorFlapS } = options.faults;
    if (errorRate === 0) return false;
    firstTrafficAt ??= Date.now();
    const sinceFirst = Date.now() - firstTrafficAt;
    if (errorBurstS !== undefined && sinceFirst > errorBurstS * 1000) return false;
    if (errorAfterS !== undefined && sinceFirst < errorAfterS * 1000) return false;
    if (errorFlapS !== undefined && Math.floor(sinceFirst / (errorFlapS * 1000)) % 2 === 1) return false;
    return random() < errorRate;
  };

  const server = http.createServer((request, response) => {
    const send = (status: number, body: unknown): void => {
      // While shutting down, ask the proxy not to reuse this connection so it is not cut mid-request.
      const connection = shuttingDown ? { connection: "close" } : {};
      response.writeHead(status, {
        "content-type": "application/json",
        "x-app-version": options.version,
        ...securityHeaders(request, options),
        ...connection,
      });
      response.end(JSON.stringify(body));
    };
    const path = (request.url ?? "/").split("?")[0];
    switch (path) {
      case "/health":
        return send(200, { status: "ok", version: options.version });
      case "/health/live":
        return send(200, { status: "live" });
      case "/health/ready":
        if (shuttingDown) return send(503, { status: "shutting down" });
        if (options.faults.readinessFails) return send(503, { status: "not ready", reason: "fault: readiness-fails" });
        return send(200, { status: "ready" });
      case "/": {
        const answer = (): void =>
          failsThisRequest()
            ? send(500, { error: "fault: error-rate", version: options.version })
            : send(200, { message: "hello", version: options.version });
        if (options.faults.latencyMs > 0) setTimeout(answer, options.faults.latencyMs);
        else answer();
        return;
      }
      default:
        return send(404, { error: "not found" });
    }
  });
  // Longer than HAProxy's idle server-connection timeout, so the proxy, not the app, closes idle connections:
  // an app closing a connection the proxy is about to reuse is a classic source of 502s.
  server.keepAliveTimeout = 65_000;

  const shutdown = (graceMs = 10_000): Promise<void> => {
    shuttingDown = true;
    return new Promise((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
  };
  return { server, shutdown };
}

/** Starts listening; resolves with the bound port (pass port 0 for a free one). */
export async function listen(app: SampleApp, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    app.server.once("error", reject);
    app.server.listen(port, host, () => resolve());
  });
  return (app.server.address() as AddressInfo).port;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command("sample-app")
    .description("Sample web app for the local rollout target. Flags override the matching environment variables.")
    .option("--host <host>", "address to listen on", process.env.HOST ?? "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", process.env.PORT ?? "8080")
    .option("--app-version <version>", "version string reported by the app", process.env.APP_VERSION ?? "dev")
    .option("--allowed-origins <list>", "comma-separated CORS origins", process.env.ALLOWED_ORIGINS ?? "");
  for (const flag of Object.keys(faultParameterNames)) program.option(`--${flag} <value>`, `fault: ${flag}`);
  program.parse(argv);
  const flags = program.opts<Record<string, string>>();

  // Variables and flags are validated together, so every bad value is reported in one go, named as given.
  const raw: Record<string, unknown> = rawFaultsFromEnvironment(process.env);
  const fromFlag = new Set<string>();
  // commander camel-cases `--error-rate` into `errorRate`, which is the profile field's name.
  for (const field of Object.values(faultParameterNames)) {
    if (flags[field] === undefined) continue;
    raw[field] = flags[field];
    fromFlag.add(field);
  }
  const sourceOf = (field: string): string => (fromFlag.has(field) ? `--${faultParameterOf(field)}` : (faultEnvironmentNames[field as keyof FaultProfile] ?? field));
  const parsed = parseFaultProfile(raw, sourceOf);
  const port = Number(flags.port);
  const problems = parsed.ok ? [] : parsed.problems;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push(`--port=${flags.port}: expected 0-65535`);
  if (!parsed.ok || problems.length > 0) {
    console.error(`sample-app: invalid settings:\n  ${problems.join("\n  ")}`);
    process.exit(2);
  }

  const app = createSampleApp({
    version: flags.appVersion,
    faults: parsed.profile,
    allowedOrigins: flags.allowedOrigins.split(",").filter((origin) => origin !== ""),
  });
  const boundPort = await listen(app, flags.host, port);
  console.log(JSON.stringify({ event: "listening", host: flags.host, port: boundPort, version: flags.appVersion, faults: parsed.profile }));

  if (parsed.profile.crashAfterS !== undefined) {
    setTimeout(() => {
      console.error(JSON.stringify({ event: "crash", reason: "fault: crash-after-s" }));
      process.exit(70);
    }, parsed.profile.crashAfterS * 1000);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      console.log(JSON.stringify({ event: "shutdown", signal }));
      void app.shutdown().then(() => process.exit(0));
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main(process.argv);
}
