import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatJunit, formatSarif } from "../gate/formats.ts";
import { keyLineFinder, STACK_CONFIG_RULE } from "../gate/input-problems.ts";
import { GateLoadError, runGate } from "../gate/run-gate.ts";

describe("gate: a report of the input problems when nothing could be checked", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-input-"));
  const stackFile = path.join(dir, "Pulumi.production.yaml");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: shop\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
  fs.writeFileSync(stackFile, [
    "# a comment",
    "config:",
    "  aws:region: us-east-1",
    "  shop:database:",
    "    instances: 1",
    "  corsOrigins:",
    "    - '*'",
    "",
  ].join("\n"));

  it("finds the line of a key, nested or without the project prefix; an unset key falls back to its parent or config:", () => {
    const lineOf = keyLineFinder(stackFile);
    assert.equal(lineOf("shop:database.instances"), 5);
    assert.equal(lineOf("shop:database"), 4);
    assert.equal(lineOf("shop:corsOrigins[0]"), 6);
    assert.equal(lineOf("shop:database.backupRetentionDays"), 4);
    assert.equal(lineOf("shop:alarmEmail"), 2);
    assert.equal(keyLineFinder(path.join(dir, "missing.yaml"))("shop:x"), 1);
  });

  it("a stack that has no stack file: one result at that file, in every format, from the GateLoadError", async () => {
    const error = await runGate({ stack: "staging", dir }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof GateLoadError, String(error));
    const report = error.report;
    assert.ok(report, "the error carries a report");
    assert.deepEqual(report.rules.map((r) => r.name), [STACK_CONFIG_RULE.name]);
    assert.equal(report.violations.length, 1);
    assert.match(report.violations[0].message, /Pulumi\.staging\.yaml/);
    assert.match(report.violations[0].location?.file ?? "", /Pulumi\.staging\.yaml$/);
    const sarif = JSON.parse(formatSarif(report)) as { runs: [{ results: { ruleId: string; level: string }[] }] };
    assert.deepEqual(sarif.runs[0].results.map((r) => [r.ruleId, r.level]), [[STACK_CONFIG_RULE.name, "error"]]);
    assert.match(formatJunit(report), /failures="1"/);
  });
});
