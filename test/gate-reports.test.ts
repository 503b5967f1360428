import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import path from "node:path";
import type { GateReport } from "../gate/judge-stack.ts";
import { formatJson, formatJunit, formatSarif, formatText } from "../gate/formats.ts";
import { REDACTED, redactSecretLooking, redactSecrets } from "../gate/inventory.ts";
import { runGate } from "../gate/run-gate.ts";
import { SECRET_PLACEHOLDER } from "../gate/stack-config.ts";

const root = path.resolve(import.meta.dirname, "..");

interface Sarif {
  version: string;
  $schema: string;
  runs: Array<{
    tool: { driver: { name: string; rules: Array<{ id: string; help: { text: string }; helpUri: string; shortDescription: { text: string } }> } };
    results: Array<{ ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }>;
  }>;
}

describe("gate reports", function () {
  this.timeout(120_000);
  let insecure: GateReport;
  let production: GateReport;
  before(async () => {
    insecure = await runGate({ stack: "production", dir: path.join(root, "examples", "insecure") });
    production = await runGate({ stack: "production", dir: root });
  });

  it("text: groups by severity (most severe first) and resource, with the fix, and lists exemptions", () => {
    const text = formatText(insecure);
    const critical = text.indexOf("\nCRITICAL");
    const high = text.indexOf("\nHIGH");
    assert.ok(critical > 0 && high > critical);
    assert.match(text, /\n {2}db \(aws:rds\/cluster:Cluster\)\n {4}\[mandatory\] aurora-encrypted: storageEncrypted is not true\n {6}fix: Set `storageEncrypted: true`/);
    assert.match(text, /exemptions \(2\)\n {2}app: log-group-retention via tag until 2099-12-31/);
    assert.match(text, /FAILED/);
    assert.match(formatText(production), /exemptions \(0\)\n {2}none\n\ncoverage\n( {2}.+\n)+\nPASSED/);
  });

  it("every format states the coverage: resource types no rule inspects", () => {
    const { coverage } = production;
    assert.ok(coverage.uninspectedTypes.length > 0 && coverage.uninspectedTypes.every((t) => t.count > 0 && !t.type.startsWith("pulumi:")));
    assert.ok(!coverage.uninspectedTypes.some((t) => production.rules.length > 0 && t.type === "aws:ecs/service:Service"), "a type a rule inspects is not listed");
    assert.deepEqual(coverage.componentsWithoutChildren, [], "the project's own components register their children");
    const line = `not inspected by any rule (${coverage.uninspectedTypes.reduce((n, t) => n + t.count, 0)}): ${coverage.uninspectedTypes[0].type} (${coverage.uninspectedTypes[0].count})`;
    assert.ok(formatText(production).includes(line), line);
    const sarif = JSON.parse(formatSarif(production)) as { runs: Array<{ invocations: Array<{ toolExecutionNotifications: Array<{ message: { text: string } }> }>; properties: { coverage: unknown } }> };
    assert.ok(sarif.runs[0].invocations[0].toolExecutionNotifications.some((n) => n.message.text.startsWith(line)));
    assert.deepEqual(sarif.runs[0].properties.coverage, coverage);
    assert.ok(formatJunit(production).includes(`<system-out>${production.coverage.inspectedResources} of ${production.summary.resources} resources`));
    assert.deepEqual((JSON.parse(formatJson(production)) as GateReport).coverage, coverage);
  });

  it("SARIF 2.1.0: rules with help, results pointing at their rule and the program file", () => {
    const sarif = JSON.parse(formatSarif(insecure)) as Sarif;
    assert.equal(sarif.version, "2.1.0");
    assert.match(sarif.$schema, /sarif-2\.1\.0/);
    const run = sarif.runs[0];
    const ids = run.tool.driver.rules.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, insecure.rules.length);
    for (const r of run.tool.driver.rules) assert.ok(r.help.text && r.helpUri.startsWith("https://") && r.shortDescription.text, r.id);
    assert.equal(run.results.length, insecure.violations.length);
    for (const result of run.results) {
      assert.equal(ids[result.ruleIndex], result.ruleId);
      assert.ok(["error", "warning", "note"].includes(result.level));
      assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, "examples/insecure/index.ts");
    }
    assert.ok(run.results.some((r) => r.level === "error"));
  });

  it("SARIF: each result at the line that declares its resource, in this project's program and in a --dir program", async () => {
    const dev = await runGate({ stack: "dev", dir: root });
    const cases = [...insecure.violations, ...dev.violations].filter((v) => v.resource);
    assert.ok(dev.violations.some((v) => v.location?.file === "components/database.ts"), "this project's own program (a resource inside a component)");
    for (const v of cases) {
      assert.ok(v.location, `${v.rule} ${v.resource?.name} has a location`);
      const line = readFileSync(path.join(root, v.location.file), "utf8").split("\n")[v.location.line - 1] ?? "";
      assert.match(line, /new [\w.]+\(/, `${v.rule} ${v.resource?.name} at ${v.location.file}:${v.location.line}: ${line}`);
    }
    const sarif = JSON.parse(formatSarif(dev)) as Sarif;
    const { region } = sarif.runs[0].results[0].locations[0].physicalLocation;
    assert.equal(region.startLine, dev.violations[0].location?.line);
  });

  it("JUnit: one test case per rule, failures for rules with mandatory violations, XML escaped", () => {
    const xml = formatJunit(insecure);
    const failing = new Set(insecure.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.rule)).size;
    assert.equal((xml.match(/<testcase /g) ?? []).length, insecure.rules.length);
    assert.equal((xml.match(/<failure /g) ?? []).length, failing);
    assert.match(xml, new RegExp(`<testsuites name="readiness-gate" tests="${insecure.rules.length}" failures="${failing}">`));
    const tricky = formatJunit({ ...insecure, violations: [{ ...insecure.violations[0], message: `a <b> & "c"` }] });
    assert.match(tricky, /a &lt;b&gt; &amp; &quot;c&quot;/);
    assert.ok(!tricky.includes("<b>"));
  });

  it("JSON: carries the inventory with type, name, parent and inputs, and no secret value", () => {
    const json = formatJson(production);
    const parsed = JSON.parse(json) as GateReport;
    assert.equal(parsed.inventory.length, production.summary.resources);
    const cluster = parsed.inventory.find((r) => r.type === "aws:rds/cluster:Cluster");
    assert.ok(cluster?.parent?.includes("readiness:data:Database"), "parents are recorded");
    const secretVersions = parsed.inventory.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion");
    assert.ok(secretVersions.length > 0);
    for (const v of secretVersions) assert.equal(v.inputs.secretString, REDACTED);
    assert.ok(!json.includes(SECRET_PLACEHOLDER));
    const leaked = JSON.parse(formatJson(insecure)) as GateReport;
    const text = JSON.stringify(leaked.inventory);
    for (const literal of ["sk_live_0123456789", "django-insecure-0123456789", "hunter2hunter2", "postgres://app:hunter2"]) assert.ok(!text.includes(literal), literal);
  });

  it("redacts secret paths, secret-looking names and {name, value} pairs inside JSON strings", () => {
    assert.deepEqual(redactSecrets({ a: { b: "s", c: "p" }, l: ["x", "y"] }, ["a.b", "l.1"]), { a: { b: REDACTED, c: "p" }, l: ["x", REDACTED] });
    assert.deepEqual(redactSecrets({ a: 1 }, ["$"]), { redacted: REDACTED });
    const defs = JSON.stringify([{ environment: [{ name: "API_TOKEN", value: "t" }, { name: "DEBUG", value: "False" }] }]);
    const redacted = redactSecretLooking({ containerDefinitions: defs, masterPassword: "p", kmsKeyId: "arn:k", tags: { "readiness:exempt:secret-uses-kms-key": "kept" } }) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(redacted.containerDefinitions as string), [{ environment: [{ name: "API_TOKEN", value: REDACTED }, { name: "DEBUG", value: "False" }] }]);
    assert.equal(redacted.masterPassword, REDACTED);
    assert.equal(redacted.kmsKeyId, "arn:k");
    assert.deepEqual(redacted.tags, { "readiness:exempt:secret-uses-kms-key": "kept" });
  });
});
