import assert from "node:assert/strict";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb.js";
import * as server from "@pulumi/policy/server.js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb.js";
import path from "node:path";
import { launchPack, startSession, type RunningPack } from "../gate/engine-protocol/client.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { offlinePolicies } from "../policies/core/rule.ts";

/**
 * The awsx once-not-twice property held against @pulumi/policy 1.21's own Analyze and AnalyzeStack handlers,
 * fed the protobuf messages the engine sends (the gRPC transport around them is exercised by the engine-protocol
 * suite). Under `pulumi preview` the awsx provider registers the component and then its children, each parented
 * to it; the pack must report each problem once, on the child.
 */
interface Registered { urn: string; type: string; name: string; props: Record<string, unknown>; parent?: string; dependencies?: string[] }

type Handler = (call: { request: unknown }, callback: (err: unknown, response?: analyzer.AnalyzeResponse) => void) => void;
/** The handlers `serve` registers for the Analyze and AnalyzeStack RPCs (exported by server.js, marked internal in its typings). */
const { makeAnalyzeRpcFun, makeAnalyzeStackRpcFun } = server as unknown as Record<"makeAnalyzeRpcFun" | "makeAnalyzeStackRpcFun", (...args: unknown[]) => Handler>;
/** The host's handlers over a policy list: the pack the engine loads, or the gate's (offlinePolicies). */
const handlers = (policies: readonly unknown[]) => ({
  analyze: makeAnalyzeRpcFun("readiness", "0.1.0", "advisory", [...policies]),
  analyzeStack: makeAnalyzeStackRpcFun("readiness", "0.1.0", "advisory", [...policies]),
});
const enginePack = handlers(readinessRules);
const gatePack = handlers(offlinePolicies(readinessRules));

function options(parent?: string): analyzer.AnalyzerResourceOptions {
  const opts = new analyzer.AnalyzerResourceOptions();
  if (parent) opts.setParent(parent);
  return opts;
}

function call(handler: Handler, request: unknown): Promise<analyzer.AnalyzeDiagnostic[]> {
  return new Promise((resolve, reject) => handler({ request }, (err, response) => err ? reject(err as Error) : resolve(response!.getDiagnosticsList())));
}

/** The fields an AnalyzeRequest and a stack's AnalyzerResource share, filled from a registration. */
function fill<M extends analyzer.AnalyzeRequest | analyzer.AnalyzerResource>(message: M, r: Registered): M {
  message.setType(r.type);
  message.setName(r.name);
  message.setUrn(r.urn);
  message.setProperties(Struct.fromJavaScript(r.props as never));
  message.setOptions(options(r.parent));
  return message;
}

/** Every diagnostic as `policy @ urn: message`, from one Analyze per resource and one AnalyzeStack, as a preview does. */
async function preview(resources: readonly Registered[], { analyze, analyzeStack } = enginePack): Promise<string[]> {
  const found: string[] = [];
  for (const r of resources) {
    for (const d of await call(analyze, fill(new analyzer.AnalyzeRequest(), r))) found.push(`${d.getPolicyname()} @ ${d.getUrn() || r.urn}: ${d.getMessage()}`);
  }
  const stack = new analyzer.AnalyzeStackRequest();
  stack.setResourcesList(resources.map((r) => {
    const resource = fill(new analyzer.AnalyzerResource(), r);
    if (r.parent) resource.setParent(r.parent);
    resource.setDependenciesList(r.dependencies ?? []);
    return resource;
  }));
  for (const d of await call(analyzeStack, stack)) found.push(`${d.getPolicyname()} @ ${d.getUrn()}: ${d.getMessage()}`);
  return found.sort();
}

const STACK = "urn:pulumi:production::shop::pulumi:pulumi:Stack::shop-production";
const ALB = "urn:pulumi:production::shop::awsx:lb:ApplicationLoadBalancer::web";
const SVC = "urn:pulumi:production::shop::awsx:ecs:FargateService::app";
const childUrn = (parent: string, type: string, name: string) => `${parent.replace(/::[^:]+$/, "")}$${type}::${name}`;
/** The FargateService's own FargateTaskDefinition component (awsx/ecs/fargateService.ts), parent of the task definition, its log group and roles. */
const TDC = childUrn(SVC, "awsx:ecs:FargateTaskDefinition", "app");
const EVERYTHING = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
const ECS_TASKS_TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Action: "sts:AssumeRole", Principal: { Service: "ecs-tasks.amazonaws.com" }, Effect: "Allow", Sid: "" }] });

/**
 * What `new awsx.lb.ApplicationLoadBalancer("web", {})` and a FargateService with a `:latest` image and a task role
 * allowed everything register in a preview, nested as awsx 3's provider code nests them.
 */
const awsxInputs = {
  web: {},
  app: {
    assignPublicIp: true,
    taskDefinitionArgs: {
      taskRole: { args: { inlinePolicies: [{ name: "everything", policy: EVERYTHING }] } },
      container: { name: "web", image: "shop:latest", environment: [{ name: "DJANGO_SECRET_KEY", value: "django-insecure-x" }] },
    },
  },
};
const children: Registered[] = [
  { urn: childUrn(ALB, "aws:ec2/securityGroup:SecurityGroup", "web"), type: "aws:ec2/securityGroup:SecurityGroup", name: "web", parent: ALB,
    props: { ingress: [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }] } },
  { urn: childUrn(ALB, "aws:lb/loadBalancer:LoadBalancer", "web"), type: "aws:lb/loadBalancer:LoadBalancer", name: "web", parent: ALB,
    props: { loadBalancerType: "application" }, dependencies: [childUrn(ALB, "aws:ec2/securityGroup:SecurityGroup", "web")] },
  { urn: childUrn(ALB, "aws:lb/listener:Listener", "web-0"), type: "aws:lb/listener:Listener", name: "web-0", parent: ALB,
    props: { port: 80, protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }] } },
  { urn: childUrn(SVC, "aws:ec2/securityGroup:SecurityGroup", "app-sg"), type: "aws:ec2/securityGroup:SecurityGroup", name: "app-sg", parent: SVC,
    props: { ingress: [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }] } },
  // awsx's component classes register with no inputs (super(type, name, {}, opts)).
  { urn: TDC, type: "awsx:ecs:FargateTaskDefinition", name: "app", parent: SVC, props: {} },
  { urn: childUrn(TDC, "aws:cloudwatch/logGroup:LogGroup", "app"), type: "aws:cloudwatch/logGroup:LogGroup", name: "app", parent: TDC, props: {} },
  { urn: childUrn(TDC, "aws:iam/role:Role", "app-task"), type: "aws:iam/role:Role", name: "app-task", parent: TDC,
    props: { assumeRolePolicy: ECS_TASKS_TRUST, inlinePolicies: [{ name: "everything", policy: EVERYTHING }] } },
  { urn: childUrn(TDC, "aws:iam/role:Role", "app-execution"), type: "aws:iam/role:Role", name: "app-execution", parent: TDC, props: { assumeRolePolicy: ECS_TASKS_TRUST } },
  // `${name}-${sha1hash(policyArn)}` (awsx/role.ts, awsx/utils.ts: the first 8 hex digits of the SHA-1).
  { urn: childUrn(TDC, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-execution-9a42f520"), type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "app-execution-9a42f520", parent: TDC,
    props: { role: "app-execution", policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" } },
  { urn: childUrn(TDC, "aws:ecs/taskDefinition:TaskDefinition", "app"), type: "aws:ecs/taskDefinition:TaskDefinition", name: "app", parent: TDC,
    props: { containerDefinitions: JSON.stringify([{ name: "web", image: "shop:latest", environment: [{ name: "DJANGO_SECRET_KEY", value: "django-insecure-x" }] }]) } },
  { urn: childUrn(SVC, "aws:ecs/service:Service", "app"), type: "aws:ecs/service:Service", name: "app", parent: SVC,
    props: { desiredCount: 1, networkConfiguration: { assignPublicIp: true, subnets: ["subnet-1"] } } },
];
const component = (urn: string, type: string, name: string, props: Record<string, unknown>): Registered => ({ urn, type, name, props, parent: STACK });
const stackResource: Registered = { urn: STACK, type: "pulumi:pulumi:Stack", name: "shop-production", props: {} };

describe("awsx under the real policy host (@pulumi/policy's Analyze/AnalyzeStack handlers)", function () {
  this.timeout(60_000);
  const perRule = (found: string[]) => found.reduce((m, f) => m.set(f, (m.get(f) ?? 0) + 1), new Map<string, number>());

  for (const [label, withInputs] of [["registered by the provider with no inputs", false], ["registered with the program's inputs", true]] as const) {
    it(`components ${label}, next to their children: every problem once, on the child`, async () => {
      const components = [
        component(ALB, "awsx:lb:ApplicationLoadBalancer", "web", withInputs ? awsxInputs.web : {}),
        component(SVC, "awsx:ecs:FargateService", "app", withInputs ? awsxInputs.app : {}),
      ];
      const found = await preview([stackResource, ...components, ...children]);
      assert.ok(!found.some((f) => f.includes(`@ ${ALB}:`) || f.includes(`@ ${SVC}:`)), found.join("\n"));
      assert.deepEqual([...perRule(found)].filter(([, n]) => n > 1), [], "no rule fires twice on one resource");
      for (const expected of [
        `alb-http-redirects-to-https @ ${childUrn(ALB, "aws:lb/listener:Listener", "web-0")}`,
        `security-group-no-world-ingress @ ${childUrn(ALB, "aws:ec2/securityGroup:SecurityGroup", "web")}`,
        `alb-waf-associated @ ${childUrn(ALB, "aws:lb/loadBalancer:LoadBalancer", "web")}`,
        `ecs-service-no-public-ip @ ${childUrn(SVC, "aws:ecs/service:Service", "app")}`,
        `image-pinned-by-digest @ ${childUrn(TDC, "aws:ecs/taskDefinition:TaskDefinition", "app")}`,
        `no-literal-secret-env @ ${childUrn(TDC, "aws:ecs/taskDefinition:TaskDefinition", "app")}`,
        `iam-no-star-on-star @ ${childUrn(TDC, "aws:iam/role:Role", "app-task")}`,
      ]) assert.ok(found.some((f) => f.startsWith(`${expected}:`)), `missing ${expected}`);
    });
  }

  it("the same components without children (the gate's view): the same rules, once each, on the components", async () => {
    const alone = await preview([stackResource, component(ALB, "awsx:lb:ApplicationLoadBalancer", "web", awsxInputs.web), component(SVC, "awsx:ecs:FargateService", "app", awsxInputs.app)], gatePack);
    const beside = await preview([stackResource, component(ALB, "awsx:lb:ApplicationLoadBalancer", "web", {}), component(SVC, "awsx:ecs:FargateService", "app", {}), ...children]);
    const rules = (found: string[]) => [...new Set(found.map((f) => f.split(" @ ")[0]))].sort();
    assert.deepEqual(rules(alone), rules(beside));
    assert.ok(alone.every((f) => f.includes(`@ ${ALB}:`) || f.includes(`@ ${SVC}:`)), alone.join("\n"));
  });
});

describe("the pack the engine loads beside the gate's policies (docs/adr/0064)", function () {
  it("next to their children, judging components' inputs finds nothing: the engine's pack and the gate's policies report the same", async () => {
    for (const withInputs of [false, true]) {
      const resources = [
        stackResource,
        component(ALB, "awsx:lb:ApplicationLoadBalancer", "web", withInputs ? awsxInputs.web : {}),
        component(SVC, "awsx:ecs:FargateService", "app", withInputs ? awsxInputs.app : {}),
        ...children,
      ];
      const found = await preview(resources);
      assert.ok(found.length > 5, found.join("\n"));
      assert.deepEqual(found, await preview(resources, gatePack));
    }
  });

  it("the engine's pack has a stack part only where a rule relates resources; the gate adds one per rule that judges awsx inputs", () => {
    const stackParts = (policies: readonly { validateStack?: unknown }[]) => policies.filter((p) => typeof p.validateStack === "function").length;
    const judgingInputs = readinessRules.filter((r) => r.kind === "resource" && r.componentTypes.length > 0 && r.validateStack === undefined).length;
    assert.ok(judgingInputs >= 10, `${judgingInputs}`);
    assert.equal(stackParts(offlinePolicies(readinessRules)), stackParts(readinessRules) + judgingInputs);
  });
});

describe("awsx over gRPC: the pack started as the Pulumi CLI starts it (engine-protocol client)", function () {
  this.timeout(120_000);
  const ctx = { organization: "readiness-org", project: "shop", stack: "production", dryRun: true, config: { "aws:region": "us-east-1" } };
  let pack: RunningPack | undefined;
  before(async () => {
    pack = await launchPack({ packDir: path.resolve(import.meta.dirname, "..", "policies"), stack: ctx });
  });
  after(async () => {
    await pack?.stop();
  });

  it("components registered with the program's inputs, next to their children: the same findings as the host handlers, each once, on the child", async () => {
    const resources = [
      stackResource,
      component(ALB, "awsx:lb:ApplicationLoadBalancer", "web", awsxInputs.web),
      component(SVC, "awsx:ecs:FargateService", "app", awsxInputs.app),
      ...children,
    ];
    const engine = resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: r.props, parent: r.parent, dependencies: r.dependencies }));
    const session = await startSession(pack!, ctx, { all: "mandatory" });
    const found: string[] = [];
    for (const r of engine) for (const d of await session.analyze(r)) found.push(`${d.policyName} @ ${d.urn || r.urn}: ${d.message}`);
    for (const d of await session.analyzeStack(engine)) found.push(`${d.policyName} @ ${d.urn}: ${d.message}`);
    assert.ok(!found.some((f) => f.includes(`@ ${ALB}:`) || f.includes(`@ ${SVC}:`)), found.join("\n"));
    assert.equal(new Set(found).size, found.length, `no finding twice:\n${found.sort().join("\n")}`);
    assert.deepEqual(found.sort(), await preview(resources));
  });
});
