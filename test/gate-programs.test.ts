import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatText } from "../gate/formats.ts";
import { UNKNOWN_DISPLAY } from "../gate/inventory.ts";
import { failureOf, ProgramError, runProgramInProcess } from "../gate/program-process.ts";
import { renderPolicyDocument, zoneIdPrefix } from "../gate/invokes.ts";
import { computedOutputNames } from "../gate/provider-outputs.ts";
import { resolveReferences, type ProgramRun, type RegisteredResource } from "../gate/program-runner.ts";
import { GateLoadError, runGate, runProgramOf } from "../gate/run-gate.ts";
import { specialResourceSig, specialSigKey, unknownValue } from "../gate/secret-values.ts";
import { readProjectFile, withProjectConfig } from "../gate/stack-config.ts";
import { runScript } from "./support/scripts.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PROGRAMS = path.join(ROOT, "test", "fixtures", "programs");
const dirOf = (name: string) => path.join(PROGRAMS, name);

/** Each fixture program runs once (a child process each); the tests below read the results. */
const VALID = [
  "resource-as-input", "component-as-input", "invoke-identity", "invoke-network", "invoke-subnets-promise", "invoke-ssm-parameter",
  "invoke-organization", "invoke-policy-document", "invoke-elb-service-account", "invoke-ecr", "invoke-unanswered", "stack-reference",
  "cwd-relative-files", "package-json-main", "pulumi-yaml-main", "config-defaults", "commonjs-javascript", "esm-program",
  "callback-function", "on-object-created", "awsx-service", "awsx-image", "preview-and-organization", "computed-outputs",
];
const runs = new Map<string, ProgramRun>();

function find(run: ProgramRun, type: string, name?: string): RegisteredResource {
  const found = run.resources.find((r) => r.type === type && (name === undefined || r.name === name));
  assert.ok(found, `no ${type} ${name ?? ""} among ${run.resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
  return found;
}

function policyOf(resource: RegisteredResource, field = "policy"): { Statement: Record<string, unknown>[] } {
  return JSON.parse(String(resource.inputs[field])) as { Statement: Record<string, unknown>[] };
}

describe("gate on fixture programs (each in its own process, as a preview)", function () {
  this.timeout(600_000);
  before(async () => {
    for (const name of VALID) runs.set(name, await runProgramOf(dirOf(name), "dev"));
  });
  const run = (name: string) => runs.get(name)!;

  it("every valid fixture program loads", () => {
    assert.deepEqual([...runs.keys()], VALID);
    for (const [name, r] of runs) assert.ok(r.resources.some((x) => x.type !== "pulumi:pulumi:Stack"), `${name} registered no resource`);
  });

  it("a resource passed as an input is its id, as the engine hands it to a policy pack", () => {
    const r = run("resource-as-input");
    const role = find(r, "aws:iam/role:Role");
    const attachment = find(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    assert.equal(attachment.inputs.role, role.state.id);
    assert.match(String(role.state.id), /^lambda-role-[0-9a-f]{7}$/);
    assert.ok(attachment.dependencies.includes(role.urn));
    assert.equal(find(r, "aws:s3/bucketObject:BucketObject").inputs.bucket, find(r, "aws:s3/bucket:Bucket").state.id);
  });

  it("a component passed as an input is its URN", () => {
    const r = run("component-as-input");
    const site = find(r, "acme:web:Site");
    assert.equal((find(r, "aws:ssm/parameter:Parameter").inputs.tags as Record<string, unknown>).Component, site.urn);
  });

  it("identity, region, partition and zones are typed answers for the stack's region", () => {
    const bucket = find(run("invoke-identity"), "aws:s3/bucket:Bucket");
    assert.equal(bucket.inputs.bucket, "audit-123456789012");
    assert.deepEqual(bucket.inputs.tags, { Region: "us-west-2", Partition: "aws", FirstZone: "us-west-2a", FirstZoneId: "usw2-az1" });
  });

  it("the default VPC and its subnets feed security groups and load balancers", () => {
    const r = run("invoke-network");
    const sg = find(r, "aws:ec2/securityGroup:SecurityGroup");
    assert.match(String(sg.inputs.vpcId), /^vpc-[0-9a-f]{17}$/);
    assert.deepEqual((sg.inputs.ingress as { cidrBlocks: string[] }[])[0].cidrBlocks, ["172.31.0.0/16"]);
    const subnets = find(r, "aws:lb/loadBalancer:LoadBalancer").inputs.subnets as string[];
    assert.equal(subnets.length, 3);
    assert.ok(subnets.every((s) => /^subnet-[0-9a-f]{17}$/.test(s)));
  });

  it("awaited data sources in an async program answer too", () => {
    const r = run("invoke-subnets-promise");
    assert.equal(r.outputs.subnetCount, 3);
    assert.equal((find(r, "aws:rds/subnetGroup:SubnetGroup").inputs.subnetIds as string[]).length, 3);
  });

  it("an SSM parameter's value is a placeholder of the right type, not the inputs echoed back", () => {
    const fn = find(run("invoke-ssm-parameter"), "aws:lambda/function:Function");
    assert.deepEqual(fn.inputs.environment, { variables: { RELEASE: "offline-value-of-/app/release" } });
  });

  it("policy documents render as IAM JSON (organization id, ELB log account, service principals)", () => {
    const orgStatement = policyOf(find(run("invoke-organization"), "aws:s3/bucketPolicy:BucketPolicy")).Statement[0];
    assert.deepEqual(orgStatement.Principal, { AWS: "*" });
    assert.match(String((orgStatement.Condition as Record<string, Record<string, string>>).StringEquals["aws:PrincipalOrgID"]), /^o-[0-9a-f]{10}$/);
    assert.match(String(orgStatement.Resource), /^arn:aws:s3:::shared-artifacts-[0-9a-f]{7}\/\*$/);

    const logStatement = policyOf(find(run("invoke-elb-service-account"), "aws:s3/bucketPolicy:BucketPolicy")).Statement[0];
    assert.deepEqual(logStatement.Principal, { AWS: "arn:aws:iam::797873946194:root" });

    const r = run("invoke-policy-document");
    const assume = policyOf(find(r, "aws:iam/role:Role"), "assumeRolePolicy").Statement[0];
    assert.deepEqual(assume, { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "ecs-tasks.amazonaws.com" } });
    assert.deepEqual(policyOf(find(r, "aws:iam/rolePolicy:RolePolicy")).Statement[0].Action, ["s3:GetObject", "s3:ListBucket"]);
  });

  it("a repository URL is filled as ECR computes it, so an image is never '(none)'", () => {
    const task = find(run("invoke-ecr"), "aws:ecs/taskDefinition:TaskDefinition");
    assert.match(JSON.parse(String(task.inputs.containerDefinitions))[0].image, /^123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com\/app-[0-9a-f]{7}:1\.4\.2$/);
    assert.equal((task.inputs.tags as Record<string, string>).Registry, "https://123456789012.dkr.ecr.us-west-2.amazonaws.com");
  });

  it("an image built with awsx is referenced by its digest, as the registry reports it", () => {
    const task = find(run("awsx-image"), "aws:ecs/taskDefinition:TaskDefinition");
    assert.match(JSON.parse(String(task.inputs.containerDefinitions))[0].image, /^123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com\/web-[0-9a-f]{7}@sha256:[0-9a-f]{64}$/);
  });

  it("a function the gate cannot answer is unknown, and the run says which", () => {
    const r = run("invoke-unanswered");
    assert.equal(find(r, "aws:rds/parameterGroup:ParameterGroup").inputs.family, unknownValue);
    assert.deepEqual(r.unansweredCalls, ["aws:rds/getEngineVersion:getEngineVersion"]);
  });

  it("another stack's outputs are unknown offline", () => {
    assert.equal(find(run("stack-reference"), "aws:ec2/securityGroup:SecurityGroup").inputs.vpcId, unknownValue);
  });

  it("provider-computed outputs: auto-generated names filled as the provider would, a zone id left unknown", () => {
    const r = run("computed-outputs");
    assert.match(String(find(r, "aws:ssm/parameter:Parameter", "logs-bucket").inputs.value), /^logs-[0-9a-f]{7}$/);
    assert.equal(find(r, "aws:ssm/parameter:Parameter", "subnet-zone").inputs.value, unknownValue);
    assert.equal(find(r, "aws:ec2/subnet:Subnet").state.availabilityZoneId, undefined);
  });

  it("the program runs in its own directory", () => {
    const r = run("cwd-relative-files");
    assert.deepEqual(r.resources.filter((x) => x.type === "aws:s3/bucketObject:BucketObject").map((x) => x.inputs.key).sort(), ["index.html", "site.css"]);
    assert.ok(Number(r.outputs.policy) > 0);
  });

  it("the entry comes from package.json main, or from Pulumi.yaml main over package.json", () => {
    find(run("package-json-main"), "aws:sqs/queue:Queue", "jobs");
    find(run("pulumi-yaml-main"), "aws:sns/topic:Topic", "alerts");
  });

  it("project-level config defaults apply under the stack's own values", () => {
    const logGroup = find(run("config-defaults"), "aws:cloudwatch/logGroup:LogGroup");
    assert.equal(logGroup.inputs.retentionInDays, 30);
    assert.deepEqual(logGroup.inputs.tags, { Team: "platform", Tier: "api", Env: "dev" });
  });

  it("CommonJS programs are required and ES module programs imported, as the language host does", () => {
    assert.equal(run("commonjs-javascript").outputs.moduleSystem, "commonjs");
    assert.equal(find(run("esm-program"), "aws:kms/key:Key").inputs.description, "data key for 123456789012");
  });

  it("Lambda callbacks serialize their closures, imported modules included", () => {
    const code = JSON.stringify(find(run("callback-function"), "aws:lambda/function:Function").inputs.code);
    assert.match(code, /require\(\\"crypto\\"\)/);
    assert.match(code, /randomUUID/);
    const r = run("on-object-created");
    assert.match(JSON.stringify(find(r, "aws:lambda/function:Function").inputs.code), /basename/);
    find(r, "aws:s3/bucketNotification:BucketNotification");
  });

  it("the runtime says preview, and names the organization, project and stack", () => {
    assert.deepEqual(find(run("preview-and-organization"), "aws:s3/bucket:Bucket").inputs.tags, {
      Organization: "organization", Project: "preview-and-organization", Stack: "dev", DryRun: "true",
    });
  });

  it("awsx components are registered with their inputs", () => {
    const r = run("awsx-service");
    assert.deepEqual(r.resources.filter((x) => x.type.startsWith("awsx:")).map((x) => x.type).sort(),
      ["awsx:ec2:Vpc", "awsx:ecs:FargateService", "awsx:lb:ApplicationLoadBalancer"]);
    const service = find(r, "awsx:ecs:FargateService");
    assert.equal((service.inputs.networkConfiguration as { assignPublicIp: boolean }).assignPublicIp, false);
  });
});

describe("gate on broken programs: exit 2 with the file, line and cause", function () {
  this.timeout(120_000);
  const refusal = async (name: string) => {
    const err = await runGate({ stack: "dev", dir: dirOf(name) }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof GateLoadError, `expected GateLoadError, got ${String(err)}`);
    return err.message;
  };

  it("an error inside an apply, after resources registered, fails the whole run", async () => {
    assert.match(await refusal("throw-in-apply"), /throw-in-apply\/index\.ts:9:\d+: .*refusing to publish arn:aws:s3:::data-/);
  });

  it("missing required config names the key and the line that requires it", async () => {
    assert.match(await refusal("broken-missing-config"), /broken-missing-config\/index\.ts:5:\d+: Missing required configuration variable 'broken-missing-config:databaseUrl'/);
  });

  it("a syntax error names the file and line", async () => {
    assert.match(await refusal("broken-syntax"), /broken-syntax\/index\.ts:5:\d+: Transform failed/);
  });

  it("a missing module is named", async () => {
    assert.match(await refusal("broken-missing-module"), /broken-missing-module\/index\.ts.*Cannot find module '\.\/lib\/naming'/);
  });

  it("a program that never finishes is stopped and named as such", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gate-hang-"));
    writeFileSync(path.join(dir, "index.js"), "module.exports = () => new Promise(() => setInterval(() => {}, 1000));\n");
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    try {
      const request = { project: "hang", stack: "dev", organization: "organization", region: "us-east-1", config: { config: {}, secretKeys: [] }, entry: path.join(dir, "index.js"), kind: "commonjs" as const, root: dir };
      await assert.rejects(runProgramInProcess(request, 5_000), (err: Error) => err instanceof ProgramError && /did not finish within 5 s/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the CLI exits 2, names the location and replaces a stale --out report with this run's problem", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gate-out-"));
    const out = path.join(dir, "report.json");
    writeFileSync(out, "{\"summary\": \"from an earlier run\"}");
    try {
      const result = await runScript("gate.ts", ["--dir", dirOf("throw-in-apply"), "--stack", "dev", "--format", "json", "--out", out], { timeoutMs: 120_000 });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /index\.ts:9:\d+: .*refusing to publish/);
      // Written in every outcome (issue 13): this run's problem at its place, never an earlier run's report.
      const report = JSON.parse(readFileSync(out, "utf8")) as { violations: { rule: string; location?: { file: string; line: number } }[] };
      assert.deepEqual(report.violations.map((v) => [v.rule, v.location?.file.endsWith("throw-in-apply/index.ts"), v.location?.line]), [["stack-config-valid", true, 9]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("gate report on a program that called a function the gate cannot answer", function () {
  this.timeout(120_000);
  it("a report names the functions whose results were unknown", async () => {
    const report = await runGate({ stack: "dev", dir: dirOf("invoke-unanswered") });
    assert.deepEqual(report.unknownFunctions, ["aws:rds/getEngineVersion:getEngineVersion"]);
    assert.match(formatText(report), /not checked: results of aws:rds\/getEngineVersion:getEngineVersion are unknown offline/);
    const group = report.inventory.find((r) => r.type === "aws:rds/parameterGroup:ParameterGroup");
    assert.equal(group?.inputs.family, UNKNOWN_DISPLAY);
  });
});

describe("gate program loading helpers", () => {
  it("resolves resource references as the engine marshals them for a pack", () => {
    const ref = (urn: string, id?: string) => ({ [specialSigKey]: specialResourceSig, urn, ...(id === undefined ? {} : { id }) });
    assert.deepEqual(resolveReferences({ role: ref("urn:r", "role-1"), parts: [ref("urn:c")], pending: ref("urn:p", "") }),
      { role: "role-1", parts: ["urn:c"], pending: unknownValue });
  });

  it("renders policy documents with conditions, NotAction and a wildcard principal", () => {
    const doc = JSON.parse(renderPolicyDocument({
      statements: [{ effect: "Deny", notActions: ["iam:*"], resources: ["*"], principals: [{ type: "*", identifiers: ["*"] }],
        conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] }],
    }));
    assert.deepEqual(doc, { Version: "2012-10-17", Statement: [{ Effect: "Deny", NotAction: "iam:*", Resource: "*", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] });
  });

  it("names the outputs the provider computes, not those the program gave", () => {
    assert.deepEqual(computedOutputNames({ type: "aws:s3/bucket:Bucket", name: "logs", inputs: { forceDestroy: true } }, "us-east-1"),
      ["arn", "bucket", "bucketRegionalDomainName", "id", "region"]);
    assert.deepEqual(computedOutputNames({ type: "aws:s3/bucket:Bucket", name: "logs", inputs: { bucket: "my-logs" } }, "us-east-1"),
      ["arn", "bucketRegionalDomainName", "id", "region"]);
  });

  it("derives zone id prefixes from region names", () => {
    assert.deepEqual(["us-east-1", "eu-central-1", "ap-southeast-2", "us-west-2"].map(zoneIdPrefix), ["use1", "euc1", "apse2", "usw2"]);
  });

  it("locates a failure in the program's own files, not in its node_modules", () => {
    const err = new Error("boom");
    err.stack = "Error: boom\n    at x (/p/node_modules/@pulumi/pulumi/output.js:1:1)\n    at Object.<anonymous> (/p/src/index.ts:12:7)";
    assert.deepEqual(failureOf(err, "/p"), { name: "Error", message: "boom", location: "src/index.ts:12:7" });
    assert.deepEqual(failureOf("plain", "/p"), { message: "plain" });
    assert.deepEqual(failureOf(Object.assign(new Error("bad"), { name: "ConfigError", issues: [1] }), "/p").issues, [1]);
  });

  it("requires every project config key without a default, all at once", async () => {
    const project = await readProjectFile(dirOf("config-defaults"));
    assert.deepEqual(project.config.required, ["config-defaults:env"]);
    assert.throws(() => withProjectConfig(project, "qa", { config: {}, secretKeys: [] }), /stack qa is missing configuration value config-defaults:env/);
  });
});
