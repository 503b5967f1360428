import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { PulumiCli, PulumiCommandError } from "../rollout/targets/aws/pulumi-cli.ts";
import { PulumiDeployer } from "../rollout/targets/aws/pulumi-deployer.ts";
import type { TargetOptions } from "../rollout/engine/ports.ts";
import { loadTargetFactory } from "../rollout/targets/index.ts";
import { FakeEcs, PulumiStandIn, restoreAwsMocks, sampleOutputs } from "./rollout-aws-fakes.ts";
import { FakeClock } from "./support/rollout-fakes.ts";

const NEW_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:bbbb";
const OLD_IMAGE = sampleOutputs().stableImage;

describe("rollout on AWS: Pulumi CLI (stand-in `pulumi` on PATH)", () => {
  after(restoreAwsMocks);
  const standIns: PulumiStandIn[] = [];
  after(() => standIns.forEach((standIn) => standIn.remove()));

  function setUp(extra?: ConstructorParameters<typeof PulumiStandIn>[2]) {
    const standIn = new PulumiStandIn("production", sampleOutputs(), extra);
    standIns.push(standIn);
    const cli = new PulumiCli({ stack: "production", cwd: standIn.dir, env: standIn.env });
    const ecs = new FakeEcs(3);
    const deployer = new PulumiDeployer({ cli, ecs: ecs.client, clock: new FakeClock() });
    return { standIn, cli, ecs, deployer };
  }

  it("reads the stack outputs with `pulumi stack output --json -s <stack>`", async () => {
    const { standIn, deployer } = setUp();
    assert.deepEqual(await deployer.outputs(), sampleOutputs());
    assert.deepEqual(standIn.calls(), [["stack", "output", "--json", "-s", "production"]]);
  });

  it("deploys the canary through config and `pulumi up`, sized like stable", async () => {
    const { standIn, deployer, ecs } = setUp();
    await deployer.deployCanary(NEW_IMAGE);
    assert.deepEqual(standIn.calls().slice(1), [
      ["config", "set", "--path", "web.canaryImage", NEW_IMAGE, "-s", "production", "--non-interactive"],
      ["config", "set", "--path", "web.canaryDesiredCount", "3", "-s", "production", "--non-interactive"],
      ["up", "--yes", "--skip-preview", "--non-interactive", "-s", "production"],
    ]);
    assert.deepEqual(ecs.mock.commandCalls(DescribeServicesCommand)[0]?.args[0].input, { cluster: "readiness-production", services: ["web-stable"] });
    assert.deepEqual(await deployer.images(), { stable: OLD_IMAGE, canary: NEW_IMAGE });
  });

  it("promotes (stable takes the canary image) and resets the canary to stable, scaled to zero", async () => {
    const { standIn, deployer } = setUp();
    await deployer.deployCanary(NEW_IMAGE);
    await deployer.promote(NEW_IMAGE);
    await deployer.resetCanary();
    assert.deepEqual(standIn.state().config, { "web.canaryImage": NEW_IMAGE, "web.canaryDesiredCount": "0", "web.image": NEW_IMAGE });
    assert.deepEqual(await deployer.images(), { stable: NEW_IMAGE, canary: NEW_IMAGE });
    assert.equal(standIn.state().ups, 3);
  });

  it("records each weight as web.canaryWeight so a `pulumi up` mid-rollout keeps it", async () => {
    const { standIn, deployer, cli } = setUp();
    await deployer.recordWeights({ stable: 50, canary: 50 });
    await cli.up();
    assert.equal(standIn.state().outputs.canaryWeight, 50);
    assert.deepEqual(standIn.calls()[0], ["config", "set", "--path", "web.canaryWeight", "50", "-s", "production", "--non-interactive"]);
  });

  it("refuses the deploy before `pulumi up` when the policy pack reports mandatory violations", async () => {
    const { standIn, cli, ecs } = setUp({ policyViolations: ["rds-encrypted", "alb-https-only"] });
    const deployer = new PulumiDeployer({ cli, ecs: ecs.client, clock: new FakeClock(), policyCheck: { kind: "policy-pack", directory: "policies" } });
    await assert.rejects(deployer.deployCanary(NEW_IMAGE), (error: Error) => /policy check refused the deploy/.test(error.message) && /mandatory: \[rds-encrypted\]/.test(error.message));
    const commands = standIn.calls().map((args) => args[0]);
    assert.deepEqual(commands.slice(-1), ["preview"]);
    assert.ok(!commands.includes("up"));
    assert.deepEqual(standIn.calls().at(-1), ["preview", "--policy-pack", "policies", "--non-interactive", "-s", "production"]);
  });

  it("passes a clean policy check and deploys", async () => {
    const { standIn, cli, ecs } = setUp();
    const deployer = new PulumiDeployer({ cli, ecs: ecs.client, clock: new FakeClock(), policyCheck: { kind: "policy-pack", directory: "policies" } });
    await deployer.deployCanary(NEW_IMAGE);
    assert.deepEqual(standIn.calls().map((args) => args[0]).slice(-2), ["preview", "up"]);
  });

  it("reports a failing `pulumi up` with its exit code and output", async () => {
    const { deployer } = setUp({ failures: { up: { exitCode: 255, message: "update failed: ECS service web-canary did not stabilize" } } });
    await assert.rejects(deployer.deployCanary(NEW_IMAGE), (error: Error) => error instanceof PulumiCommandError && error.exitCode === 255 && /did not stabilize/.test(error.message) && /^`pulumi up --yes/.test(error.message));
  });

  it("names the stack when it does not exist", async () => {
    const { standIn } = setUp();
    const cli = new PulumiCli({ stack: "prod", cwd: standIn.dir, env: standIn.env });
    await assert.rejects(cli.stackOutputs(), /no stack named 'prod' found/);
  });

  describe("the aws target factory (`--stack`)", () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    });

    async function open(standIn: PulumiStandIn, options: Partial<TargetOptions> = {}) {
      Object.assign(process.env, standIn.env);
      const factory = await loadTargetFactory("aws");
      assert.ok(factory, "the aws target is registered");
      const logs: string[] = [];
      const target = await factory({ environment: "production", stack: "production", cwd: standIn.dir, purpose: "status", log: (line) => void logs.push(line), ...options });
      return { target, logs };
    }

    it("wires the adapters from the stack's outputs without calling AWS", async () => {
      const { standIn } = setUp();
      const { target, logs } = await open(standIn);
      try {
        assert.equal(target.name, "aws");
        assert.match(target.describe(), /listener arn:aws:elasticloadbalancing:.*listener\/app\/web-alb/);
        assert.match(target.store.describe(), /^s3:\/\/readiness-production-rollout-state\/rollouts\/$/);
        assert.deepEqual(logs, ["aws: stack production in eu-west-1, state in s3://readiness-production-rollout-state"]);
        assert.deepEqual(standIn.calls(), [["stack", "output", "--json", "-s", "production"]]);
      } finally {
        await target.close();
      }
    });

    it("refuses a stack whose outputs break the contract, and a missing --stack or unknown policy check", async () => {
      const { standIn } = setUp();
      const { rolloutStateBucket: _dropped, ...outputs } = sampleOutputs();
      const broken = new PulumiStandIn("production", { ...outputs, canaryWeight: 0 } as ReturnType<typeof sampleOutputs>);
      standIns.push(broken);
      await assert.rejects(open(broken), (error: Error) => error.name === "StackOutputsError" && /output rolloutStateBucket is missing/.test(error.message));
      await assert.rejects(open(standIn, { stack: undefined }), /--stack: the aws target needs the Pulumi stack/);
      process.env.READINESS_POLICY_GATE = "strict";
      await assert.rejects(open(standIn), /READINESS_POLICY_GATE="strict": expected policy-pack, offline or none/);
    });

    it("gates the stack it rolls out (`--env prod --stack production` gates production, not prod)", async () => {
      const { standIn } = setUp();
      new FakeEcs(2);
      // The project's `npm run gate` stands in: it records its arguments and refuses, so nothing is deployed.
      const argsFile = path.join(standIn.dir, "gate-args.json");
      fs.writeFileSync(path.join(standIn.dir, "package.json"), JSON.stringify({
        name: "gate-stand-in", private: true,
        scripts: { gate: `node -e "require('fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2))); process.exit(1)" ${JSON.stringify(argsFile)}` },
      }));
      process.env.READINESS_POLICY_GATE = "offline";
      const { target } = await open(standIn, { environment: "prod", stack: "production" });
      try {
        await assert.rejects(target.deployer.deployCanary(NEW_IMAGE), /policy check refused the deploy.*`npm run gate -- --stack production` exited 1/s);
        assert.deepEqual(JSON.parse(fs.readFileSync(argsFile, "utf8")), ["--stack", "production"]);
        assert.ok(!standIn.calls().some((call) => call[0] === "up"), "a refused policy check deploys nothing");
      } finally {
        await target.close();
      }
    });
  });
});
