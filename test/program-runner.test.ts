import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { awsMocks } from "../gate/mocks.ts";
import { runProgramUnderMocks } from "../gate/program-runner.ts";
import { unwrapSecrets } from "../gate/secret-values.ts";

class Pair extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Pair", name, {}, {});
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: "10.0.0.0/16" }, { parent: this });
    new aws.ec2.Subnet(`${name}-subnet`, {
      vpcId: vpc.id, cidrBlock: "10.0.1.0/24", tags: { token: pulumi.secret("s3cr3t") },
    }, { parent: this });
    this.registerOutputs({});
  }
}

describe("runProgramUnderMocks", () => {
  const run = (stack: string) => runProgramUnderMocks({
    project: "p", stack, mocks: awsMocks(),
    config: { config: { "p:greeting": `hello ${stack}`, "p:password": "pw" }, secretKeys: ["p:password"] },
    program: async () => {
      new Pair("pair");
      const config = new pulumi.Config();
      return { greeting: config.require("greeting"), password: config.requireSecret("password") };
    },
  });

  it("records type, inputs, parent and dependencies of every resource", async () => {
    const result = await run("one");
    const types = result.resources.map((r) => r.type);
    assert.deepEqual(types, ["pulumi:pulumi:Stack", "test:index:Pair", "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"]);
    const pair = result.resources[1];
    const vpc = result.resources[2];
    const subnet = result.resources[3];
    assert.equal(vpc.parent, pair.urn);
    assert.equal(subnet.parent, pair.urn);
    assert.deepEqual(subnet.dependencies, [vpc.urn]);
    assert.equal(subnet.inputs.vpcId, vpc.state.id);
    assert.match(String(vpc.state.arn), /^arn:aws:ec2:us-east-1:123456789012:vpc\/pair-vpc$/);
  });

  it("unwraps secrets but says where they were", async () => {
    const result = await run("two");
    const subnet = result.resources.find((r) => r.type === "aws:ec2/subnet:Subnet");
    assert.ok(subnet);
    assert.deepEqual(subnet.inputs.tags, { token: "s3cr3t" });
    assert.deepEqual(subnet.secretPaths, ["tags.token"]);
    assert.deepEqual(result.outputs, { greeting: "hello two", password: "pw" });
  });

  it("runs several stacks in one process without mixing them", async () => {
    const a = await run("a");
    const b = await run("b");
    assert.equal(a.outputs.greeting, "hello a");
    assert.equal(b.outputs.greeting, "hello b");
    assert.ok(b.resources.every((r) => r.urn.startsWith("urn:pulumi:b::p::")));
    assert.equal(b.resources.length, a.resources.length);
  });

  it("rejects with the program's own error and registers nothing after it", async () => {
    await assert.rejects(
      runProgramUnderMocks({
        project: "p", stack: "bad", mocks: awsMocks(), config: { config: {}, secretKeys: [] },
        program: async () => { throw new Error("config is invalid"); },
      }),
      /config is invalid/,
    );
  });
});

describe("unwrapSecrets", () => {
  it("leaves plain values alone", () => {
    assert.deepEqual(unwrapSecrets({ a: [1, { b: "x" }] }), { value: { a: [1, { b: "x" }] }, secretPaths: [] });
  });
});
