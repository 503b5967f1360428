import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { reconcilePackConfig } from "../gate/engine-protocol/pack-config.ts";
import { PACK_CONFIG_DIR } from "../gate/pack-config.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { defaultEnforcement } from "../policies/core/rule.ts";
import { enforcementIn, LEVEL_BY_SEVERITY, MANDATORY_EVERYWHERE, packConfigFor } from "../policies/shared/enforcement.ts";
import { ENVIRONMENTS } from "../policies/shared/environments.ts";
import { runScript } from "./support/scripts.ts";

const root = path.resolve(import.meta.dirname, "..");

describe("policy pack config: generated from severity x environment", () => {
  it("applies each environment's level by severity, and holds the named rules mandatory everywhere", () => {
    const rules = [
      { name: "a-critical", severity: "critical" }, { name: "a-high", severity: "high" },
      { name: "a-medium", severity: "medium" }, { name: "a-low", severity: "low" }, { name: "exemption-valid", severity: "high" },
    ] as const;
    assert.deepEqual(packConfigFor("dev", rules), {
      all: { environment: "dev" }, "a-critical": "mandatory", "a-high": "advisory", "a-medium": "advisory", "a-low": "advisory", "exemption-valid": "mandatory",
    });
    assert.deepEqual(packConfigFor("production", rules), {
      all: { environment: "production" }, "a-critical": "mandatory", "a-high": "mandatory", "a-medium": "advisory", "a-low": "advisory", "exemption-valid": "mandatory",
    });
    assert.deepEqual(packConfigFor("staging", rules, { "a-low": { "legacy-bucket": "read-only archive until the move expires=2099-01-01" } })["a-low"],
      { enforcementLevel: "advisory", exemptions: { "legacy-bucket": "read-only archive until the move expires=2099-01-01" } });
    for (const name of Object.keys(MANDATORY_EVERYWHERE)) {
      assert.ok(readinessRules.some((r) => r.name === name), `${name} is a rule of the pack`);
      for (const env of ENVIRONMENTS) assert.equal(enforcementIn(env, { name, severity: "low" }), "mandatory");
    }
  });

  it("a rule without config gets production's level, so an unconfigured run is as strict as production", () => {
    for (const severity of ["critical", "high", "medium", "low"] as const) assert.equal(defaultEnforcement(severity), LEVEL_BY_SEVERITY.production[severity]);
  });

  for (const env of ENVIRONMENTS) {
    it(`${env}.json is the generated config, and the engine gives every rule environment ${env}`, async () => {
      const file = JSON.parse(await readFile(path.join(PACK_CONFIG_DIR, `${env}.json`), "utf8")) as Record<string, unknown>;
      assert.deepEqual(file, packConfigFor(env, readinessRules));
      const config = reconcilePackConfig(readinessRules, file);
      assert.deepEqual([...config.keys()].sort(), readinessRules.map((r) => r.name).sort());
      for (const [name, entry] of config) assert.equal(entry.properties.environment, env, name);
      if (env === "production") {
        for (const r of readinessRules.filter((x) => x.severity === "critical" || x.severity === "high")) assert.equal(config.get(r.name)?.enforcementLevel, "mandatory", r.name);
      }
      for (const r of readinessRules.filter((x) => x.severity === "critical")) assert.equal(config.get(r.name)?.enforcementLevel, "mandatory", `${env} ${r.name}`);
    });
  }
});

describe("policy pack config: the stale check (`npm run docs:check`)", function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "pack-config-"));
    await cp(PACK_CONFIG_DIR, path.join(dir, "config"), { recursive: true });
    await cp(path.join(root, "docs", "policies.md"), path.join(dir, "policies.md"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const docs = (...args: string[]) => runScript("policy-docs.ts", ["--config-dir", path.join(dir, "config"), "--doc", path.join(dir, "policies.md"), ...args], { timeoutMs: 30_000 });

  it("passes on the committed files, fails naming a hand-edited one, and regenerating fixes it", async () => {
    assert.equal((await docs("--check")).code, 0);
    const staging = path.join(dir, "config", "staging.json");
    const edited = { ...JSON.parse(await readFile(staging, "utf8")), "aurora-encrypted": "advisory" };
    await writeFile(staging, `${JSON.stringify(edited, null, 2)}\n`);
    const stale = await docs("--check");
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /config\/staging\.json is stale: run `npm run docs:policies`/);
    assert.equal((await docs()).code, 0);
    assert.equal(await readFile(staging, "utf8"), await readFile(path.join(PACK_CONFIG_DIR, "staging.json"), "utf8"));
    assert.equal((await docs("--check")).code, 0);
  });
});
