import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { faultProfileFromEnvironment, faultProfileToEnvironment } from "../rollout/shared/fault-profile.ts";
import { createSampleApp, listen } from "../examples/app/server.ts";
import { httpProbe } from "../rollout/shared/http-probe.ts";
import { renderHaproxyConfig } from "../rollout/targets/local/haproxy-config.ts";
import { parseLocalImage } from "../rollout/targets/local/image.ts";
import { parseRequestLog, percentile, windowMetrics } from "../rollout/targets/local/metrics.ts";
import { isServerUp, parseGetWeight, parseShowStat } from "../rollout/targets/local/show-stat.ts";
import type { ServerStat } from "../rollout/targets/local/show-stat.ts";

const HEADER =
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,";
// Lines captured from HAProxy 2.6 (`show stat`), cut after `ttime`.
const SHOW_STAT = `${HEADER}
traffic,FRONTEND,,,2,2,9984,2,411,852,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,2,0,2,,,,0,3,0,0,0,0,,3,3,3,,,0,0,0,0,,,,,,,
app,stable,0,0,3,1,,3,411,852,,0,,0,0,0,0,UP,90,1,0,0,0,0,0,,1,3,1,,3,,2,3,,3,L7OK,200,1,0,180,0,2,7,1,,,,3,0,0,,,,,0,,,0,0,4,12,
app,canary,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN 1/2,10,1,0,0,1,0,0,,1,3,2,,0,,2,0,,0,L7STS,503,,0,12,0,0,8,0,,,,0,0,0,,,,,-1,,,0,0,21,30,
app,BACKEND,0,0,0,1,999,3,411,852,0,0,,0,0,0,0,UP,110,2,0,,0,0,0,,1,3,0,,3,,1,3,,3,,,,0,3,0,0,0,0,,,,3,0,0,0,0,0,0,0,,,0,0,1,2,
`;

function stat(overrides: Partial<ServerStat> & { total: number; status5xx: number }): ServerStat {
  return {
    backend: "app", server: "canary", status: "UP", weight: 10, currentSessions: 0, averageResponseMs: 5, averageTotalMs: 6,
    responses: { total: overrides.total, status5xx: overrides.status5xx }, ...overrides,
  };
}

describe("local target: HAProxy config and show stat", () => {
  it("renders a config that haproxy itself accepts, with stable at 100 and canary at 0", () => {
    const config = renderHaproxyConfig({ trafficPort: 18001, statsPort: 18002, adminSocketPath: "/tmp/x/admin.sock", stablePort: 18003, canaryPort: 18004 });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-cfg-")), "haproxy.cfg");
    fs.writeFileSync(file, config);
    // Throws (and fails the test) when haproxy rejects the file.
    execFileSync("haproxy", ["-c", "-q", "-f", file]);
    assert.match(config, /server stable 127\.0\.0\.1:18003 weight 100 check/);
    assert.match(config, /server canary 127\.0\.0\.1:18004 weight 0 check/);
    assert.match(config, /option httpchk GET \/health\/ready/);
    assert.match(config, /bind 127\.0\.0\.1:18001/);
  });

  it("parses server lines of show stat and skips FRONTEND/BACKEND", () => {
    const stats = parseShowStat(SHOW_STAT);
    assert.deepEqual(stats.map((s) => s.server), ["stable", "canary"]);
    const [stable, canary] = stats as [ServerStat, ServerStat];
    assert.deepEqual(stable.responses, { total: 190, status5xx: 7 });
    assert.equal(stable.weight, 90);
    assert.equal(stable.currentSessions, 3);
    assert.equal(stable.averageResponseMs, 4);
    assert.equal(canary.status, "DOWN 1/2");
    assert.equal(isServerUp(canary.status), false);
    assert.equal(isServerUp(stable.status), true);
    assert.equal(isServerUp("UP 1/2"), true);
  });

  it("refuses CSV without the columns it needs, naming them", () => {
    assert.throws(() => parseShowStat("# pxname,svname,status\napp,stable,UP\n"), /missing columns weight, scur, hrsp_1xx/);
    assert.throws(() => parseShowStat("<html>"), /expected a header line/);
  });

  it("reads get weight answers and refuses anything else", () => {
    assert.equal(parseGetWeight("10 (initial 0)\n\n"), 10);
    assert.throws(() => parseGetWeight("No such server.\n"), /unexpected answer "No such server\."/);
  });
});

describe("local target: metrics windows", () => {
  it("computes 5xx rate as the delta between two readings", () => {
    const metrics = windowMetrics(stat({ total: 100, status5xx: 1 }), stat({ total: 150, status5xx: 11 }), []);
    assert.equal(metrics.requests, 50);
    assert.equal(metrics.status5xx, 10);
    assert.equal(metrics.errorRate, 0.2);
  });

  it("has no window before a baseline, and restarts the window when counters go down", () => {
    assert.equal(windowMetrics(undefined, stat({ total: 150, status5xx: 11 }), []).requests, 0);
    assert.equal(windowMetrics(undefined, stat({ total: 150, status5xx: 11 }), []).errorRate, undefined);
    const restarted = windowMetrics(stat({ total: 500, status5xx: 3 }), stat({ total: 20, status5xx: 2 }), []);
    assert.deepEqual([restarted.requests, restarted.status5xx], [20, 2]);
  });

  it("takes the p95 from the request log lines of that server only", () => {
    const samples = parseRequestLog(
      ["canary 200 10", "stable 200 900", "[WARNING]  (1) : Server app/canary is UP", "canary 500 30", "canary 200 -1", "canary 200 20", ""].join("\n"),
    );
    assert.equal(samples.length, 4);
    assert.equal(windowMetrics(stat({ total: 0, status5xx: 0 }), stat({ total: 3, status5xx: 1 }), samples).p95Ms, 30);
  });

  it("nearest-rank percentile is a member of the list with at least p% of values at or below it", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const result = percentile(values, p) as number;
        assert.ok(values.includes(result));
        assert.ok(values.filter((v) => v <= result).length >= (p / 100) * values.length);
        assert.ok(values.filter((v) => v < result).length < (p / 100) * values.length);
      }),
    );
    assert.equal(percentile([], 95), undefined);
  });
});

describe("local target: images", () => {
  it("names a version and a fault profile", () => {
    const parsed = parseLocalImage("sample-app:2.1.0?error-rate=0.3&latency-ms=800&readiness-fails=true");
    assert.ok(parsed.ok);
    assert.equal(parsed.image.version, "2.1.0");
    assert.equal(parsed.image.faults.errorRate, 0.3);
    assert.equal(parsed.image.faults.latencyMs, 800);
    assert.equal(parsed.image.faults.readinessFails, true);
    const healthy = parseLocalImage("sample-app:1.0.0");
    assert.ok(healthy.ok);
    assert.deepEqual(healthy.image.faults, { errorRate: 0, latencyMs: 0, readinessFails: false, headers: "secure" });
  });

  it("reports every problem at once, naming the image, the fault and the value", () => {
    const parsed = parseLocalImage("sample-app:2?error-rate=2&latnecy-ms=5&headers=open");
    assert.ok(!parsed.ok);
    assert.equal(parsed.problems.length, 3);
    assert.match(parsed.problems.join("\n"), /unknown fault "latnecy-ms"; known: error-rate/);
    assert.match(parsed.problems.join("\n"), /fault error-rate="2"/);
    assert.match(parsed.problems.join("\n"), /fault headers="open"/);
    const foreign = parseLocalImage("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc");
    assert.ok(!foreign.ok);
    assert.match(foreign.problems[0] as string, /use sample-app:2\.0\.0/);
  });

  it("round-trips a fault profile through environment variables", () => {
    fc.assert(
      fc.property(
        fc.record({
          errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
          latencyMs: fc.integer({ min: 0, max: 60_000 }),
          readinessFails: fc.boolean(),
          headers: fc.constantFrom("secure" as const, "insecure" as const),
          crashAfterS: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
          errorBurstS: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
          errorAfterS: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        }),
        (profile) => {
          const parsed = faultProfileFromEnvironment(faultProfileToEnvironment(profile));
          assert.ok(parsed.ok);
          assert.deepEqual(parsed.profile, JSON.parse(JSON.stringify(profile)));
        },
      ),
    );
    const bad = faultProfileFromEnvironment({ FAULT_ERROR_RATE: "lots", FAULT_LATENCY_MS: "-1" });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.problems.map((p) => p.split("=")[0]), ["FAULT_ERROR_RATE", "FAULT_LATENCY_MS"]);
  });
});

describe("sample app", () => {
  const started: http.Server[] = [];
  after(() =>
    started.forEach((server) => {
      server.closeAllConnections();
      server.close();
    }),
  );

  async function start(options: Partial<Parameters<typeof createSampleApp>[0]> = {}) {
    const app = createSampleApp({ version: "9.9.9", faults: { errorRate: 0, latencyMs: 0, readinessFails: false, headers: "secure" }, allowedOrigins: ["https://app.example.com"], ...options });
    started.push(app.server);
    const port = await listen(app, "127.0.0.1", 0);
    return { app, url: (p: string) => `http://127.0.0.1:${port}${p}` };
  }

  it("error-after-s: answers well at first and fails only from N seconds after its first request (a canary that fails later)", async () => {
    const { url } = await start({ faults: { errorRate: 1, errorAfterS: 0.4, latencyMs: 0, readinessFails: false, headers: "secure" } });
    assert.equal((await httpProbe({ url: url("/") })).status, 200);
    assert.equal((await httpProbe({ url: url("/") })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 450));
    assert.equal((await httpProbe({ url: url("/") })).status, 500);
    assert.equal((await httpProbe({ url: url("/health/ready") })).status, 200, "health checks keep passing: only traffic shows the failure");
  });

  it("answers health endpoints with HSTS and CORS only for allowed origins", async () => {
    const { url } = await start();
    for (const endpoint of ["/health", "/health/ready", "/health/live"]) assert.equal((await httpProbe({ url: url(endpoint) })).status, 200);
    const allowed = await httpProbe({ url: url("/"), headers: { origin: "https://app.example.com" } });
    assert.deepEqual(allowed.headers["strict-transport-security"], ["max-age=31536000; includeSubDomains"]);
    assert.deepEqual(allowed.headers["access-control-allow-origin"], ["https://app.example.com"]);
    assert.deepEqual(allowed.headers["x-app-version"], ["9.9.9"]);
    const other = await httpProbe({ url: url("/"), headers: { origin: "https://evil.example.com" } });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
  });

  it("fails the share of requests set by error-rate, and readiness when told to", async () => {
    let n = 0;
    const { url } = await start({ faults: { errorRate: 0.25, latencyMs: 0, readinessFails: true, headers: "insecure" }, random: () => (n++ % 4) / 4 });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await httpProbe({ url: url("/") })).status);
    assert.deepEqual(statuses.filter((s) => s === 500).length, 2);
    assert.equal((await httpProbe({ url: url("/health/ready") })).status, 503);
    assert.equal((await httpProbe({ url: url("/health/live") })).status, 200);
    const insecure = await httpProbe({ url: url("/") });
    assert.equal(insecure.headers["strict-transport-security"], undefined);
    assert.deepEqual(insecure.headers["access-control-allow-origin"], ["*"]);
  });

  it("fails the same requests for the same seed, and flaps in alternate periods with error-flap-s", async () => {
    const statuses = async (faults: Parameters<typeof createSampleApp>[0]["faults"], count: number, gapMs = 0) => {
      const { url } = await start({ faults });
      const seen: number[] = [];
      for (let i = 0; i < count; i++) {
        seen.push((await httpProbe({ url: url("/") })).status ?? 0);
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      return seen;
    };
    const base = { latencyMs: 0, readinessFails: false, headers: "secure" as const };
    const first = await statuses({ ...base, errorRate: 0.3, seed: 42 }, 40);
    assert.deepEqual(await statuses({ ...base, errorRate: 0.3, seed: 42 }, 40), first);
    assert.ok(first.includes(500) && first.includes(200));
    // 100 % errors in the 1st, 3rd, ... 0.3 s period: failing at first, then healthy, then failing again.
    const flapping = await statuses({ ...base, errorRate: 1, errorFlapS: 0.3 }, 9, 100);
    assert.equal(flapping[0], 500);
    assert.ok(flapping.includes(200), flapping.join(","));
    assert.equal(flapping.lastIndexOf(500) > flapping.indexOf(200), true, flapping.join(","));
    assert.deepEqual(parseLocalImage("sample-app:2.6.0?error-rate=1&error-flap-s=1&seed=3").ok, true);
  });

  it("refuses invalid flags and variables at start, naming every one, and exits 2", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "examples/app/server.ts", "--error-rate", "3", "--port", "x"], {
      env: { ...process.env, FAULT_LATENCY_MS: "-5" },
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /FAULT_LATENCY_MS="-5"/);
    assert.match(result.stderr, /--error-rate="3": Too big/);
    assert.match(result.stderr, /--port=x: expected 0-65535/);
  });

  it("finishes in-flight requests on shutdown, then refuses connections", async () => {
    const { app, url } = await start({ faults: { errorRate: 0, latencyMs: 300, readinessFails: false, headers: "secure" } });
    const inFlight = httpProbe({ url: url("/") });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = app.shutdown(5_000);
    assert.equal((await inFlight).status, 200);
    await stopped;
    assert.ok((await httpProbe({ url: url("/health/ready") })).error, "a stopped app refuses connections");
  });
});

describe("HTTP probe", () => {
  it("keeps duplicated headers and sends extra request headers", async () => {
    const server = http.createServer((request, response) => {
      response.setHeader("access-control-allow-origin", ["https://a.example.com", "https://b.example.com"]);
      response.end(request.headers["x-canary"] ?? "none");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await httpProbe({ url: `http://127.0.0.1:${port}/`, headers: { "X-Canary": "always" } });
      assert.deepEqual(response.headers["access-control-allow-origin"], ["https://a.example.com", "https://b.example.com"]);
      assert.equal(response.body, "always");
    } finally {
      server.close();
    }
  });

  it("returns an error instead of throwing when nothing answers in time", async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as { port: number };
      const response = await httpProbe({ url: `http://127.0.0.1:${port}/health`, timeoutMs: 200 });
      assert.equal(response.status, undefined);
      assert.match(response.error ?? "", /no response within 200 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    assert.match((await httpProbe({ url: "not a url" })).error ?? "", /invalid URL/);
  });
});
