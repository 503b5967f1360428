import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gateExitCode } from "../gate/exit-code.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { GateLoadError, loadGateInput, runGate } from "../gate/run-gate.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { runScript } from "./support/scripts.ts";

const root = path.resolve(import.meta.dirname, "..");
const insecureDir = path.join(root, "examples", "insecure");

/** Runs the gate CLI as a user would; the process is bounded in time. */
const gateCli = (args: string[]) => runScript("gate.ts", args, { timeoutMs: 90_000 });

describe("gate: the project's own stacks", function () {
  this.timeout(120_000);
  for (const stack of ["dev", "staging", "production"]) {
    it(`${stack} passes with zero mandatory violations`, async () => {
      const report = await runGate({ stack, dir: root });
      const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory");
      assert.deepEqual(mandatory.map((v) => `${v.rule} on ${v.resource?.name}: ${v.message}`), []);
      assert.ok(report.summary.resources > 100, "the whole platform was registered");
      assert.equal(gateExitCode(report), 0);
    });
  }
});

describe("gate: the insecure example", function () {
  this.timeout(120_000);
  it("is rejected, each listed readiness failure caught by its rule", async () => {
    const report = await runGate({ stack: "production", dir: insecureDir });
    const fired = new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.rule));
    const expected = [
      "security-group-no-world-ingress", "nat-gateway-per-az", "alb-http-redirects-to-https", "alb-https-tls12",
      "alb-access-logs-enabled", "alb-drop-invalid-headers", "alb-waf-associated", "waf-common-and-rate-rules",
      "waf-admin-allow-list", "ecs-no-debug-in-production", "no-literal-secret-env", "allowed-hosts-restricted",
      "cors-not-wildcard", "rate-limiting-enabled", "image-pinned-by-digest", "ecs-service-no-public-ip",
      "ecs-service-circuit-breaker-rollback", "aurora-encrypted", "aurora-not-public", "aurora-deletion-protection",
      "aurora-backup-retention", "elasticache-encrypted", "lambda-xray-active", "secret-uses-kms-key",
      "s3-public-access-blocked", "alb-5xx-and-latency-alarms", "iam-no-star-on-star", "exemption-valid",
      "ec2-imdsv2-required", "ec2-root-volume-encrypted", "ec2-no-public-ip", "rds-instance-encrypted", "rds-instance-not-public",
      "rds-instance-deletion-protection", "rds-instance-backup-retention", "rds-instance-multi-az", "dynamodb-point-in-time-recovery",
    ];
    assert.deepEqual(expected.filter((r) => !fired.has(r)), []);
    const advisory = new Set(report.violations.filter((v) => v.enforcementLevel === "advisory").map((v) => v.rule));
    assert.deepEqual(["s3-encrypted", "dynamodb-kms-encryption"].filter((r) => !advisory.has(r)), [], "AWS encrypts by default: advisory only");
    assert.ok(report.violations.some((v) => v.rule === "security-group-no-world-ingress" && v.resource?.name === "vm" && /no load balancer uses/.test(v.message)));
    assert.equal(gateExitCode(report), 1);
  });
  it("lists its exemptions: the valid one silences its rule, the expired one does not", async () => {
    const report = await runGate({ stack: "production", dir: insecureDir });
    assert.deepEqual(report.exemptions.map((e) => [e.resource, e.rule, e.valid]), [["app", "log-group-retention", true], ["api-token", "secret-uses-kms-key", false]]);
    assert.ok(!report.violations.some((v) => v.rule === "log-group-retention"));
    assert.ok(report.violations.some((v) => v.rule === "secret-uses-kms-key" && v.resource?.name === "api-token"));
  });
});

describe("gate: programs or config that cannot be loaded", function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gate-"));
    await writeFile(path.join(dir, "Pulumi.yaml"), `name: readiness\nruntime: nodejs\nmain: ${path.join(root, "index.ts")}\n`);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("names the missing stack file", async () => {
    await assert.rejects(runGate({ stack: "production", dir }), (err: Error) => err instanceof GateLoadError && err.message.includes("Pulumi.production.yaml"));
  });
  it("lists every config problem the program's ConfigError found", async () => {
    await writeFile(path.join(dir, "Pulumi.production.yaml"), [
      "config:", "  aws:region: us-east-1", "  readiness:alarmEmail: not-an-address", "  readiness:corsOrigins: ['*']", "  readiness:web:", "    image: repo:latest", "",
    ].join("\n"));
    await assert.rejects(runGate({ stack: "production", dir }), (err: Error) => {
      assert.ok(err instanceof GateLoadError);
      assert.match(err.message, /invalid stack config/);
      for (const key of ["readiness:alarmEmail", "readiness:corsOrigins", "readiness:web.image"]) assert.ok(err.message.includes(key), `${key} in ${err.message}`);
      return true;
    });
  });
  it("applies the environment the stack declares in its config, as the program does, else the stack's name", async () => {
    await writeFile(path.join(dir, "Pulumi.yaml"), `name: esm-program\nruntime: nodejs\nmain: ${path.join(root, "test", "fixtures", "programs", "esm-program", "index.ts")}\n`);
    await writeFile(path.join(dir, "Pulumi.eu-prod.yaml"), "config:\n  aws:region: eu-west-1\n  esm-program:environment: staging\n");
    const input = await loadGateInput({ stack: "eu-prod", dir });
    assert.equal(input.environment, "staging");
    assert.deepEqual(input.packConfig, await loadPackConfig("staging", readinessRules));
    await writeFile(path.join(dir, "Pulumi.eu-prod.yaml"), "config:\n  aws:region: eu-west-1\n");
    await assert.rejects(loadGateInput({ stack: "eu-prod", dir }), (err: Error) => err instanceof GateLoadError && /eu-prod\.json/.test(err.message));
  });
  it("refuses an environment with no policy config", async () => {
    await assert.rejects(runGate({ stack: "production", dir: root, environment: "qa" }), (err: Error) => err instanceof GateLoadError && /qa\.json/.test(err.message));
  });
});

describe("gate CLI", function () {
  this.timeout(180_000);
  let out: string;
  before(async () => { out = await mkdtemp(path.join(os.tmpdir(), "gate-cli-")); });
  after(() => rm(out, { recursive: true, force: true }));

  it("exits 1 on the insecure example and writes the requested SARIF file", async () => {
    const file = path.join(out, "gate.sarif");
    const result = await gateCli(["--stack", "production", "--dir", "examples/insecure", "--format", "sarif", "--out", file]);
    assert.equal(result.code, 1, result.stderr);
    const sarif = JSON.parse(await readFile(file, "utf8")) as { version: string; runs: Array<{ results: unknown[] }> };
    assert.equal(sarif.version, "2.1.0");
    assert.ok(sarif.runs[0].results.length > 20);
  });
  it("exits 0 on the production stack", async () => {
    const result = await gateCli(["--stack", "production", "--format", "junit"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /<testsuites name="readiness-gate"[^>]* failures="0"/);
  });
  it("exits 2 with a clear message when the stack file is missing", async () => {
    const result = await gateCli(["--stack", "nosuchstack"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot load.*\n.*nosuchstack/);
  });
});
