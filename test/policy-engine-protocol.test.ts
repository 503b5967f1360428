// The readiness pack as the Pulumi engine runs it: started exactly like the CLI's nodejs language host starts a
// policy pack, spoken to over gRPC with the stubs @pulumi/pulumi ships, and held side by side with the offline
// gate on the same resources. No Pulumi CLI is involved (none can be installed here).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc.js";
import { launchPack, startSession, type RunningPack } from "../gate/engine-protocol/client.ts";
import { engineResources, type EngineDiagnostic, type EngineResource, type StackContext } from "../gate/engine-protocol/encode.ts";
import { EnginePackConfigError } from "../gate/engine-protocol/pack-config.ts";
import { analyzedResources, READINESS_PACK } from "../gate/judge-stack.ts";
import { loadPackConfig, PACK_CONFIG_DIR } from "../gate/pack-config.ts";
import { runPolicies, type AnalyzedResource, type PackConfig, type PolicyFinding } from "../gate/policy-harness.ts";
import { GateLoadError, loadGateInput, runGate, type GateInput, type GateOptions } from "../gate/run-gate.ts";
import { readinessRules } from "../policies/rules/catalog.ts";

const root = path.resolve(import.meta.dirname, "..");
const packDir = path.join(root, "policies");
const insecureDir = path.join(root, "examples", "insecure");
const run = promisify(execFile);

/** Each program runs once under mocks per options (runs are sequential and take seconds). */
const inputs = new Map<string, Promise<GateInput>>();
function gateInput(options: GateOptions): Promise<GateInput> {
  const key = JSON.stringify({ ...options, environment: options.environment ?? options.stack });
  if (!inputs.has(key)) inputs.set(key, loadGateInput(options));
  return inputs.get(key)!;
}

function stackContext(project: string, stack: string): StackContext {
  return { organization: "readiness-org", project, stack, dryRun: true, config: { "aws:region": "us-east-1" } };
}

/** One comparable line per finding: policy, resource, level, message (without the server's description prefix). */
function engineLines(ds: readonly EngineDiagnostic[]): string[] {
  const byName = new Map(readinessRules.map((r) => [r.name, r]));
  return ds.map((d) => {
    const prefix = `${byName.get(d.policyName)?.description}\n`;
    assert.ok(d.message.startsWith(prefix) || d.message.startsWith("can't run"), `the server prefixes ${d.policyName}'s message with its description: ${d.message}`);
    const message = d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message;
    return `${d.policyName} | ${d.urn ?? "(stack)"} | ${d.enforcementLevel} | ${message}`;
  }).sort();
}

function gateLines(findings: readonly PolicyFinding[]): string[] {
  return findings.map((f) => `${f.policyName} | ${f.urn ?? "(stack)"} | ${f.enforcementLevel} | ${f.message}`).sort();
}

/** What the gate's harness says about resources. */
async function gateSays(resources: readonly AnalyzedResource[], config: PackConfig): Promise<string[]> {
  const { findings } = await runPolicies([...readinessRules], resources, { config, recordNotApplicable: false, pack: READINESS_PACK });
  return gateLines(findings);
}

/** What the pack says under the engine protocol: Analyze per resource, then AnalyzeStack once. */
async function engineSays(pack: RunningPack, ctx: StackContext, config: PackConfig, resources: readonly EngineResource[]): Promise<string[]> {
  const session = await startSession(pack, ctx, config);
  const perResource = [];
  for (const r of resources) perResource.push(...await session.analyze(r));
  return engineLines([...perResource, ...await session.analyzeStack(resources)]);
}

describe("policy pack under the engine protocol (started as the Pulumi CLI starts it)", function () {
  this.timeout(120_000);
  let pack: RunningPack | undefined;

  before(async () => {
    // PulumiPolicy.yaml declares no nodeargs, so the CLI passes none.
    pack = await launchPack({ packDir, stack: stackContext("readiness", "production") });
  });
  after(async () => {
    await pack?.stop();
  });

  it("serves: port on stdout, GetAnalyzerInfo lists every rule with its schema, GetPluginInfo has a version", async () => {
    const session = await startSession(pack!, stackContext("readiness", "production"), {});
    assert.equal(session.info.getName(), "readiness");
    assert.deepEqual(session.info.getPoliciesList().map((p) => p.getName()), readinessRules.map((r) => r.name));
    assert.ok(session.info.getPoliciesList().every((p) => p.getConfigschema()?.getProperties()?.toJavaScript().environment !== undefined));
    assert.match(session.pluginInfo.getVersion(), /^\d+\.\d+\.\d+/);
  });

  it("what `pulumi policy publish` uploads (`npm pack` of policies/) holds everything the pack needs to start", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "readiness-pack-"));
    let packed: RunningPack | undefined;
    try {
      const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: packDir, timeout: 60_000 });
      const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
      await run("tar", ["-xzf", path.join(dir, filename), "-C", dir], { timeout: 60_000 });
      // The service installs the pack's dependencies; the lockfile's install in policies/ stands in for that.
      await symlink(path.join(packDir, "node_modules"), path.join(dir, "package", "node_modules"), "dir");
      packed = await launchPack({ packDir: path.join(dir, "package"), stack: stackContext("readiness", "production") });
      const session = await startSession(packed, stackContext("readiness", "production"), {});
      assert.equal(session.info.getPoliciesList().length, readinessRules.length);
    } finally {
      await packed?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const environment of ["dev", "staging", "production"]) {
    it(`examples/insecure under the ${environment} pack config: the engine's diagnostics equal the gate's findings`, async () => {
      const input = await gateInput({ stack: "production", dir: insecureDir, environment });
      const analyzed = analyzedResources(input.resources);
      const expected = await gateSays(analyzed, input.packConfig);
      const actual = await engineSays(pack!, stackContext(input.project, input.stack), input.packConfig, engineResources(input.resources, analyzed));
      assert.ok(expected.some((l) => l.includes("| mandatory |")), "the insecure example has mandatory findings");
      assert.deepEqual(actual, expected);
    });
  }

  for (const stack of ["dev", "staging", "production"]) {
    it(`the project's ${stack} stack: the engine's diagnostics equal the gate's findings`, async () => {
      const input = await gateInput({ stack, dir: root });
      const analyzed = analyzedResources(input.resources);
      const expected = await gateSays(analyzed, input.packConfig);
      const actual = await engineSays(pack!, stackContext(input.project, stack), input.packConfig, engineResources(input.resources, analyzed));
      assert.ok(input.resources.length > 100);
      assert.deepEqual(actual, expected);
    });
  }

  describe("a preview of a new stack (provider-computed outputs unknown)", () => {
    for (const [title, dir, stack] of [["examples/insecure", insecureDir, "production"], ["the project's production stack", root, "production"]] as const) {
      it(`${title}: the engine's diagnostics equal the gate's; stack findings stay mandatory; only rules documented as preview-advisory give up`, async () => {
        const full = await gateInput({ stack, dir });
        const input = await gateInput({ stack, dir, previewNewStack: true });
        const analyzed = analyzedResources(input.resources);
        const expected = await gateSays(analyzed, input.packConfig);
        const actual = await engineSays(pack!, stackContext(input.project, stack), input.packConfig, engineResources(input.resources, analyzed));
        assert.deepEqual(actual, expected);
        assert.ok(analyzed.some((r) => JSON.stringify(r.outputs).includes(unknownValue)), "provider-computed outputs are unknown");
        const gaveUp = new Set(actual.filter((l) => l.includes("| advisory | can't run")).map((l) => l.split(" | ")[0]));
        const undocumented = [...gaveUp].filter((name) => !readinessRules.find((r) => r.name === name)?.inPreview);
        assert.deepEqual(undocumented, [], "every rule that cannot judge a preview says so in docs/policies.md (inPreview)");
        const stackRules = new Set(readinessRules.filter((r) => r.kind === "stack").map((r) => r.name));
        const mandatoryStack = (lines: string[]) => lines.filter((l) => stackRules.has(l.split(" | ")[0]) && l.includes("| mandatory |"));
        const fullAnalyzed = analyzedResources(full.resources);
        assert.deepEqual(mandatoryStack(actual), mandatoryStack(await gateSays(fullAnalyzed, full.packConfig)));
      });
    }
  });

  it("the gate CLI's --preview-new-stack: advisory \"can't run\" findings, the stack findings still mandatory, exit 1", async () => {
    const gate = path.join(root, "scripts", "gate.ts");
    const result = await run(process.execPath, ["--import", "tsx", gate, "--stack", "production", "--dir", insecureDir, "--format", "json", "--preview-new-stack"], { cwd: root, timeout: 90_000 })
      .then(({ stdout }) => ({ code: 0, stdout }), (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }));
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as { violations: Array<{ rule: string; enforcementLevel: string; unknownDuringPreview: boolean; message: string }> };
    assert.ok(report.violations.some((v) => v.unknownDuringPreview && v.enforcementLevel === "advisory" && v.message.includes("from policy pack 'readiness@v")));
    assert.ok(report.violations.some((v) => v.rule === "alb-waf-associated" && v.enforcementLevel === "mandatory"));
  });

  it("every rule over one type carries it as the server's fast-path tag; only alias and every-type rules do not", () => {
    for (const rule of readinessRules) {
      if (rule.kind !== "resource") continue;
      const tag = (rule.validateResource as { __pulumiType?: string }).__pulumiType;
      assert.equal(tag, rule.types !== "*" && rule.types.length === 1 ? rule.types[0] : undefined, rule.name);
    }
  });

  describe("single resources", () => {
    const cluster = (inputs: Record<string, unknown>, secretPaths: string[] = []): EngineResource & AnalyzedResource => ({
      urn: "urn:pulumi:production::readiness::aws:rds/cluster:Cluster::db", type: "aws:rds/cluster:Cluster", name: "db",
      inputs, outputs: inputs, secretPaths,
    });
    const base = { storageEncrypted: true, deletionProtection: true, backupRetentionPeriod: 14, masterPassword: "hunter22", tags: {} as Record<string, string> };
    let config: PackConfig;
    before(async () => {
      config = await loadPackConfig("production", readinessRules);
    });

    it("an unknown value a rule reads is an advisory \"can't run during preview\", as in the gate", async () => {
      const r = cluster({ ...base, storageEncrypted: unknownValue });
      const actual = await engineSays(pack!, stackContext("readiness", "production"), config, [r]);
      assert.deepEqual(actual, await gateSays([r], config));
      assert.ok(actual.some((l) => l.startsWith("aurora-encrypted |") && l.includes("| advisory | can't run policy 'aurora-encrypted'")), actual.join("\n"));
    });

    it("a secret is decoded before the rules see it (a secret value still counts)", async () => {
      const r = cluster({ ...base, deletionProtection: false }, ["deletionProtection", "masterPassword"]);
      const actual = await engineSays(pack!, stackContext("readiness", "production"), config, [r]);
      assert.deepEqual(actual, await gateSays([r], config));
      assert.ok(actual.some((l) => l.startsWith("aurora-deletion-protection |") && l.includes("| mandatory |")));
    });

    it("the generated pack configs reach every rule through `all`, in the engine and in the gate alike", async () => {
      const containerDefinitions = JSON.stringify([{ name: "web", image: "repo@sha256:" + "a".repeat(64), environment: [{ name: "DEBUG", value: "True" }] }]);
      const task: EngineResource & AnalyzedResource = {
        urn: "urn:pulumi:dev::readiness::aws:ecs/taskDefinition:TaskDefinition::web", type: "aws:ecs/taskDefinition:TaskDefinition", name: "web",
        inputs: { family: "web", containerDefinitions }, outputs: { family: "web", containerDefinitions }, secretPaths: [],
      };
      for (const environment of ["dev", "production"] as const) {
        const packConfig = await loadPackConfig(environment, readinessRules, PACK_CONFIG_DIR);
        assert.deepEqual(Object.keys(packConfig)[0], "all");
        const actual = await engineSays(pack!, stackContext("readiness", environment), packConfig, [task]);
        assert.deepEqual(actual, await gateSays([task], packConfig), environment);
        // ecs-no-debug-in-production applies in production only: dev must reach it as `all.environment`.
        assert.equal(actual.some((l) => l.startsWith("ecs-no-debug-in-production | ") && l.includes("| mandatory |")), environment === "production", `${environment}:\n${actual.join("\n")}`);
      }
    });

    it("a valid exemption tag silences its rule and is listed; an expired one does not", async () => {
      const exempt = cluster({ ...base, deletionProtection: false, tags: { "readiness:exempt:aurora-deletion-protection": "restored nightly from prod backups expires=2099-01-01" } });
      const expired = cluster({ ...base, deletionProtection: false, tags: { "readiness:exempt:aurora-deletion-protection": "restored nightly from prod backups expires=2020-01-01" } });
      const ctx = stackContext("readiness", "production");
      const exemptLines = await engineSays(pack!, ctx, config, [exempt]);
      assert.deepEqual(exemptLines, await gateSays([exempt], config));
      assert.ok(!exemptLines.some((l) => l.startsWith("aurora-deletion-protection |")));
      assert.ok(exemptLines.some((l) => l.startsWith("exemptions-listed |")));
      const expiredLines = await engineSays(pack!, ctx, config, [expired]);
      assert.deepEqual(expiredLines, await gateSays([expired], config));
      assert.ok(expiredLines.some((l) => l.startsWith("aurora-deletion-protection |") && l.includes("exemption ignored: expired on 2020-01-01")));
    });
  });

  describe("bad pack configs are rejected as the engine rejects them, by the gate too", () => {
    const cases: Array<{ title: string; config: Record<string, unknown>; problem: string }> = [
      { title: "a value of the wrong type", config: { "aurora-encrypted": { environment: 3 } }, problem: "aurora-encrypted: environment: Invalid type. Expected: string, given: integer" },
      { title: "a value outside its enum", config: { "aurora-encrypted": { environment: "prod" } }, problem: 'aurora-encrypted: environment: environment must be one of the following: "dev", "staging", "production"' },
      { title: "an exemption of the wrong type", config: { "aurora-encrypted": { exemptions: { db: 42 } } }, problem: "aurora-encrypted: exemptions.db: Invalid type. Expected: string, given: integer" },
      { title: "a bad enforcement level", config: { all: "strict" }, problem: 'enforcementLevel: enforcementLevel must be one of the following: "advisory", "mandatory", "remediate", "disabled"' },
      { title: "a policy the pack does not have", config: { "aurora-encryption": "mandatory" }, problem: "aurora-encryption: no policy of this name in the pack" },
    ];
    for (const c of cases) {
      it(c.title, async () => {
        await assert.rejects(startSession(pack!, stackContext("readiness", "production"), c.config), (err: unknown) => {
          assert.ok(err instanceof EnginePackConfigError);
          assert.match(err.message, /^validating policy config: /);
          assert.ok(err.problems.some((p) => p.includes(c.problem)), err.problems.join("\n"));
          return true;
        });
        const dir = await mkdtemp(path.join(os.tmpdir(), "readiness-packconfig-"));
        try {
          await writeFile(path.join(dir, "production.json"), JSON.stringify(c.config));
          await assert.rejects(runGate({ stack: "production", dir: insecureDir, packConfigDir: dir }), (err: unknown) => {
            assert.ok(err instanceof GateLoadError);
            assert.ok(err.message.includes(c.problem), err.message);
            return true;
          });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    }

    it("the shipped pack configs pass the engine's validation", async () => {
      for (const environment of ["dev", "staging", "production"]) {
        await startSession(pack!, stackContext("readiness", environment), await loadPackConfig(environment, readinessRules, PACK_CONFIG_DIR));
      }
    });
  });
});
