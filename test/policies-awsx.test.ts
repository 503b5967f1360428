import assert from "node:assert/strict";
import { componentChildren } from "../policies/core/awsx.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { offlinePolicies } from "../policies/core/rule.ts";
import { judgeStack, type GateReport } from "../gate/judge-stack.ts";
import { formatText } from "../gate/formats.ts";
import { awsMocks } from "../gate/mocks.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { runPolicies, type AnalyzedResource, type PackConfig } from "../gate/policy-harness.ts";
import { runProgramUnderMocks, type RegisteredResource } from "../gate/program-runner.ts";

const DIGEST = `sha256:${"b".repeat(64)}`;
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";

/** Runs a program under the gate's own mocks, where awsx components register alone, with their inputs. */
async function gateOf(program: () => Promise<void>): Promise<{ report: GateReport; resources: readonly RegisteredResource[] }> {
  const run = await runProgramUnderMocks({ project: "shop", stack: "production", config: { config: { "aws:region": "us-east-1" }, secretKeys: [] } as never, mocks: awsMocks(), program: async () => { await program(); } });
  const packConfig = await loadPackConfig("production", readinessRules);
  const report = await judgeStack(run.resources, {
    project: "shop", stack: "production", environment: "production", programFile: "index.ts", stackFile: "Pulumi.production.yaml", rules: readinessRules, packConfig,
  });
  return { report, resources: run.resources };
}

const on = (report: GateReport, component: string) => report.violations.filter((v) => v.resource?.name === component);
const rulesOn = (report: GateReport, component: string) => [...new Set(on(report, component).map((v) => v.rule))].sort();

describe("awsx components under the gate's mocks: judged from their inputs", function () {
  this.timeout(120_000);
  let insecure: GateReport;
  let ready: GateReport;

  before(async () => {
    ({ report: insecure } = await gateOf(async () => {
      const awsx = await import("@pulumi/awsx");
      const vpc = new awsx.ec2.Vpc("vpc", { natGateways: { strategy: "Single" } });
      // Every default: one HTTP listener that forwards, a security group open on every port, no WAF.
      new awsx.lb.ApplicationLoadBalancer("web", {});
      new awsx.ecs.FargateService("app", {
        assignPublicIp: true,
        taskDefinitionArgs: {
          // awsx creates the task role with these args: an inline policy granting everything.
          taskRole: { args: { inlinePolicies: [{ name: "everything", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }] } },
          container: {
            name: "django", image: "registry.example.com/shop:latest",
            environment: [
              { name: "DJANGO_SETTINGS_MODULE", value: "shop.settings.production" },
              { name: "DJANGO_DEBUG", value: "True" },
              { name: "DJANGO_SECRET_KEY", value: "django-insecure-0123456789" },
              { name: "DATABASE_URL", value: "postgres://shop:hunter2@db.internal:5432/shop" },
              { name: "DJANGO_ALLOWED_HOSTS", value: "*" },
            ],
          },
        },
      });
      new awsx.ecs.FargateService("worker", {
        networkConfiguration: { subnets: vpc.privateSubnetIds, assignPublicIp: false },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        taskDefinitionArgs: { container: { name: "worker", image: `registry.example.com/shop@${DIGEST}` }, logGroup: { args: { retentionInDays: 30 } } },
      });
    }));
    ({ report: ready } = await gateOf(async () => {
      const aws = await import("@pulumi/aws");
      const awsx = await import("@pulumi/awsx");
      const vpc = new awsx.ec2.Vpc("vpc", { natGateways: { strategy: "OnePerAz" } });
      const albGroup = new aws.ec2.SecurityGroup("alb", { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] });
      const web = new awsx.lb.ApplicationLoadBalancer("web", {
        securityGroups: [albGroup.id], dropInvalidHeaderFields: true, accessLogs: { bucket: "shop-alb-logs", enabled: true },
        listeners: [
          { port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] },
          { port: 443, certificateArn: CERT, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
        ],
      });
      new aws.wafv2.WebAclAssociation("web-waf", { resourceArn: web.loadBalancer.arn, webAclArn: "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop/1" });
      for (const metricName of ["HTTPCode_Target_5XX_Count", "TargetResponseTime"]) {
        new aws.cloudwatch.MetricAlarm(`web-${metricName}`, {
          metricName, namespace: "AWS/ApplicationELB", statistic: "Sum", period: 60, evaluationPeriods: 1, threshold: 1, comparisonOperator: "GreaterThanThreshold",
          dimensions: { LoadBalancer: web.loadBalancer.arnSuffix },
        });
      }
      new awsx.ecs.FargateService("app", {
        networkConfiguration: { subnets: vpc.privateSubnetIds, assignPublicIp: false, securityGroups: [albGroup.id] },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        taskDefinitionArgs: {
          logGroup: { args: { retentionInDays: 30 } },
          container: {
            name: "django", image: `registry.example.com/shop@${DIGEST}`,
            environment: [
              { name: "DJANGO_SETTINGS_MODULE", value: "shop.settings.production" }, { name: "DJANGO_ALLOWED_HOSTS", value: "shop.example.com" },
              { name: "DATABASE_URL", value: "postgres://shop@db.internal:5432/shop" },
            ],
            secrets: [{ name: "DJANGO_SECRET_KEY", valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/shop/secret-key" }],
          },
        },
      });
    }));
  });

  it("catches what awsx would create from insecure inputs, under the rules' own names", () => {
    assert.deepEqual(rulesOn(insecure, "web"), [
      "alb-5xx-and-latency-alarms", "alb-access-logs-enabled", "alb-drop-invalid-headers", "alb-http-redirects-to-https", "alb-waf-associated",
      "security-group-no-world-ingress",
    ]);
    assert.deepEqual(rulesOn(insecure, "app"), [
      "allowed-hosts-restricted", "ecs-no-debug-in-production", "ecs-service-circuit-breaker-rollback", "ecs-service-no-public-ip",
      "iam-no-star-on-star", "image-pinned-by-digest", "log-group-retention", "no-literal-secret-env", "security-group-no-world-ingress",
    ]);
    assert.deepEqual(rulesOn(insecure, "vpc"), ["nat-gateway-per-az"], "the worker uses the VPC's private subnets");
    assert.deepEqual(rulesOn(insecure, "worker"), [], "a ready awsx service is not reported");
  });

  it("uses the child rules' messages, saying which child of which component they are about", () => {
    const http = on(insecure, "web").find((v) => v.rule === "alb-http-redirects-to-https")!;
    assert.equal(http.message, "HTTP listener on port 80 does forward instead of redirecting to HTTPS (judged from the inputs of awsx:lb:ApplicationLoadBalancer web, which creates aws:lb/listener:Listener web-0)");
    assert.equal(http.resource?.type, "awsx:lb:ApplicationLoadBalancer");
    const secrets = on(insecure, "app").filter((v) => v.rule === "no-literal-secret-env").map((v) => v.message.replace(/ \(judged.*/, ""));
    assert.deepEqual(secrets.sort(), [
      'container "django" sets DATABASE_URL to a URL with an embedded password; use secrets/valueFrom',
      'container "django" sets DJANGO_SECRET_KEY to a literal value; use secrets/valueFrom',
    ]);
    assert.ok(on(insecure, "app").some((v) => v.rule === "security-group-no-world-ingress" && v.message.startsWith("ingress from 0.0.0.0/0, ::/0 on every port") && v.message.includes("aws:ec2/securityGroup:SecurityGroup app-sg")));
    assert.equal(on(insecure, "app").find((v) => v.rule === "iam-no-star-on-star")?.message, "statement (no Sid) allows * on * (judged from the inputs of awsx:ecs:FargateService app, which creates aws:iam/role:Role app-task)");
    assert.match(on(insecure, "vpc")[0].message, /^availability zones vpc AZ 2, vpc AZ 3 run private compute but have no NAT gateway \(1 NAT gateway\(s\) for 3 AZs\)/);
  });

  it("passes a ready awsx program: no mandatory finding from inputs awsx turns into compliant children", () => {
    assert.deepEqual(ready.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.rule} on ${v.resource?.name}: ${v.message}`), []);
  });

  it("states coverage: the components whose children cannot be seen offline, and that they were judged from inputs", () => {
    assert.deepEqual(insecure.coverage.componentsWithoutChildren.map((c) => [c.type, c.name, c.judgedFromInputs]).sort(), [
      ["awsx:ec2:Vpc", "vpc", true], ["awsx:ecs:FargateService", "app", true], ["awsx:ecs:FargateService", "worker", true], ["awsx:lb:ApplicationLoadBalancer", "web", true],
    ]);
    assert.match(formatText(insecure), /component web \(awsx:lb:ApplicationLoadBalancer\): its children cannot be seen offline; judged from its inputs/);
  });

  it("says so when a remote component is not judged at all, and lists resource types no rule inspects", async () => {
    const { report } = await gateOf(async () => {
      const pulumi = await import("@pulumi/pulumi");
      const aws = await import("@pulumi/aws");
      new pulumi.ComponentResource("eks:index:Cluster", "k8s", {}, {}, true);
      new aws.ec2.Eip("ip", { domain: "vpc" });
    });
    assert.deepEqual(report.coverage.componentsWithoutChildren.map((c) => [c.type, c.judgedFromInputs]), [["eks:index:Cluster", false]]);
    assert.deepEqual(report.coverage.uninspectedTypes, [{ type: "aws:ec2/eip:Eip", count: 1 }]);
    assert.match(formatText(report), /component k8s \(eks:index:Cluster\): its children cannot be seen offline and no rule judges its inputs/);
  });

  it("reports a value the program marks secret in a plain environment (gate only: a real pack sees it unwrapped)", async () => {
    const { report } = await gateOf(async () => {
      const pulumi = await import("@pulumi/pulumi");
      const aws = await import("@pulumi/aws");
      const awsx = await import("@pulumi/awsx");
      const password = pulumi.secret("hunter2");
      new aws.lambda.Function("fn", {
        role: "arn:aws:iam::123456789012:role/fn", runtime: "nodejs20.x", handler: "index.handler", code: new pulumi.asset.AssetArchive({}),
        environment: { variables: { DB_CONN_OPTIONS: password } },
      });
      new awsx.ecs.FargateTaskDefinition("task", { container: { name: "web", image: `repo@${DIGEST}`, environment: [{ name: "UPSTREAM_AUTH", value: password }] } });
    });
    const found = report.violations.filter((v) => v.rule === "no-literal-secret-env").map((v) => [v.resource?.name, v.message.split(" holds")[0], v.enforcementLevel]).sort();
    assert.deepEqual(found, [["fn", "environment", "mandatory"], ["task", "container", "mandatory"]]);
    assert.ok(!JSON.stringify(report).includes("hunter2"), "the report never carries the secret");
  });
});

describe("awsx components under the real engine: each problem reported once", () => {
  const parent = "urn:pulumi:production::shop::awsx:lb:ApplicationLoadBalancer::web";
  const component = (inputs: Record<string, unknown>): AnalyzedResource => ({ urn: parent, type: "awsx:lb:ApplicationLoadBalancer", name: "web", inputs });
  /** The children the awsx provider registers for `new awsx.lb.ApplicationLoadBalancer("web", {})`, parented to the component. */
  const children: AnalyzedResource[] = [
    { urn: `${parent}$aws:ec2/securityGroup:SecurityGroup::web`, type: "aws:ec2/securityGroup:SecurityGroup", name: "web", parent, inputs: {
      ingress: [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }] } },
    { urn: `${parent}$aws:lb/loadBalancer:LoadBalancer::web`, type: "aws:lb/loadBalancer:LoadBalancer", name: "web", parent, inputs: { loadBalancerType: "application" },
      dependencies: [`${parent}$aws:ec2/securityGroup:SecurityGroup::web`] },
    { urn: `${parent}$aws:lb/listener:Listener::web-0`, type: "aws:lb/listener:Listener", name: "web-0", parent, inputs: {
      port: 80, protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }] } },
  ];
  const config: PackConfig = Object.fromEntries(readinessRules.map((r) => [r.name, { enforcementLevel: "mandatory", environment: "production" }]));
  const findings = async (resources: AnalyzedResource[]) =>
    (await runPolicies(offlinePolicies(readinessRules), resources, { config })).findings.map((f) => `${f.policyName} @ ${f.urn}`).sort();

  // The provider registers the component with no inputs; a program-side registration would carry them. Either way.
  for (const [label, inputs] of [["as the provider registers it (no inputs)", {}], ["with the program's inputs", { listener: { port: 80 } }]] as const) {
    it(`a component ${label} next to its children adds no finding of its own`, async () => {
      const withComponent = await findings([component(inputs), ...children]);
      assert.deepEqual(withComponent, await findings(children));
      assert.ok(!withComponent.some((f) => f.endsWith(`@ ${parent}`)), "nothing is reported on the component");
      for (const rule of ["alb-http-redirects-to-https", "security-group-no-world-ingress", "alb-waf-associated", "alb-access-logs-enabled"]) {
        assert.equal(withComponent.filter((f) => f.startsWith(`${rule} @`)).length, 1, `${rule} once`);
      }
    });
  }

  it("an exemption tag on the component (awsx passes its tags to the children) silences the rule for what it creates", async () => {
    const tags = { "readiness:exempt:alb-access-logs-enabled": "log bucket is being migrated to another account expires=2999-12-31" };
    const exempt = await findings([component({ tags })]);
    assert.ok(!exempt.some((f) => f.startsWith("alb-access-logs-enabled @")));
    assert.ok(exempt.some((f) => f.startsWith("alb-drop-invalid-headers @")), "other rules still apply");
  });

  it("the same component without its children (the gate's view) reports the same rules on the component", async () => {
    const alone = await findings([component({})]);
    const onChildren = await findings(children);
    const rules = (list: string[]) => [...new Set(list.map((f) => f.split(" @ ")[0]))].sort();
    assert.deepEqual(rules(alone), rules(onChildren));
    assert.ok(alone.every((f) => f.endsWith(`@ ${parent}`)));
  });
});

describe("awsx derivation: the children awsx 3's provider code creates", () => {
  const derive = (type: string, props: Record<string, unknown>) => componentChildren([{ type, name: "c", urn: `urn:c:${type}`, props, dependencies: [] }])
    .map((c) => ({ type: c.type, name: c.name, props: c.props }));
  const listeners = (props: Record<string, unknown>) => derive("awsx:lb:ApplicationLoadBalancer", props).filter((c) => c.type === "aws:lb/listener:Listener")
    .map((l) => `${l.name} ${String(l.props.protocol)}:${String(l.props.port)}`);

  it("ALB listeners: protocol follows the port (443 means HTTPS), port follows the protocol, HTTP:80 when none", () => {
    assert.deepEqual(listeners({}), ["c-0 HTTP:80"]);
    assert.deepEqual(listeners({ defaultTargetGroupPort: 8080 }), ["c-0 HTTP:8080"]);
    assert.deepEqual(listeners({ listeners: [{ port: 443 }, { protocol: "HTTPS" }, { port: 8443 }] }), ["c-0 HTTPS:443", "c-1 HTTPS:443", "c-2 HTTP:8443"]);
    assert.deepEqual(listeners({ listener: { port: 443, protocol: "HTTPS", sslPolicy: "p" } }), ["c-0 HTTPS:443"]);
  });

  it("ALB security group: awsx's open default unless securityGroups, securityGroupId or skip is given", () => {
    const groups = (props: Record<string, unknown>) => derive("awsx:lb:ApplicationLoadBalancer", props).filter((c) => c.type === "aws:ec2/securityGroup:SecurityGroup").length;
    assert.equal(groups({}), 1);
    assert.equal(groups({ securityGroups: ["sg-1"] }), 0);
    assert.equal(groups({ defaultSecurityGroup: { securityGroupId: "sg-1" } }), 0);
    assert.equal(groups({ defaultSecurityGroup: { skip: true } }), 0);
    const lb = derive("awsx:lb:ApplicationLoadBalancer", { internal: true, subnetIds: ["s"] }).find((c) => c.type === "aws:lb/loadBalancer:LoadBalancer")!;
    assert.deepEqual(lb.props, { internal: true, loadBalancerType: "application" });
  });

  it("services: Fargate's default network configuration (private, open group); EC2Service has none; containers sorted by name", () => {
    const fargate = derive("awsx:ecs:FargateService", { taskDefinitionArgs: { containers: { web: { image: "w" }, api: { image: "a" } } } });
    assert.deepEqual(fargate.map((c) => c.type), ["aws:ec2/securityGroup:SecurityGroup", "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition", "aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role", "aws:iam/role:Role"]);
    assert.deepEqual(fargate[1].props.networkConfiguration, { assignPublicIp: false, securityGroups: ["c-sg"] });
    assert.deepEqual(JSON.parse(fargate[2].props.containerDefinitions as string).map((c: { name: string }) => c.name), ["api", "web"]);
    const ec2 = derive("awsx:ecs:EC2Service", { taskDefinition: "arn:td" });
    assert.deepEqual(ec2.map((c) => c.type), ["aws:ecs/service:Service"]);
    assert.equal(ec2[0].props.networkConfiguration, undefined);
    assert.deepEqual(derive("awsx:ecs:EC2TaskDefinition", { container: { image: "i" }, logGroup: { skip: true } }).map((c) => c.name), ["c", "c-task", "c-execution"]);
  });

  it("task and execution roles: ECS tasks trust them; the program's args over that; none when skipped or given by ARN", () => {
    const roles = (props: Record<string, unknown>) => derive("awsx:ecs:FargateTaskDefinition", { container: { image: "i" }, ...props }).filter((c) => c.type === "aws:iam/role:Role");
    const byDefault = roles({});
    assert.deepEqual(byDefault.map((r) => r.name), ["c-task", "c-execution"]);
    assert.deepEqual(JSON.parse(byDefault[0]!.props.assumeRolePolicy as string).Statement, [{ Action: "sts:AssumeRole", Principal: { Service: "ecs-tasks.amazonaws.com" }, Effect: "Allow", Sid: "" }]);
    const inline = [{ name: "s3", policy: "{}" }];
    const given = roles({ taskRole: { args: { inlinePolicies: inline, policyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"], assumeRolePolicy: { Statement: [] } } }, executionRole: { roleArn: "arn:aws:iam::1:role/x" } });
    assert.deepEqual(given.map((r) => [r.name, r.props]), [["c-task", { inlinePolicies: inline, assumeRolePolicy: '{"Statement":[]}' }]], "policyArns become attachments, not role inputs");
    assert.deepEqual(roles({ taskRole: { skip: true }, executionRole: { skip: true } }), []);
  });

  it("VPC: a public and a private subnet per AZ (3 by default), NAT gateways per strategy", () => {
    const count = (props: Record<string, unknown>, type: string) => derive("awsx:ec2:Vpc", props).filter((c) => c.type === type).length;
    assert.equal(count({}, "aws:ec2/subnet:Subnet"), 6);
    assert.equal(count({}, "aws:ec2/natGateway:NatGateway"), 3);
    assert.equal(count({ natGateways: { strategy: "Single" } }, "aws:ec2/natGateway:NatGateway"), 1);
    assert.equal(count({ natGateways: { strategy: "None" }, subnetSpecs: [{ type: "Public" }, { type: "Isolated" }] }, "aws:ec2/natGateway:NatGateway"), 0);
    assert.equal(count({ availabilityZoneNames: ["us-east-1a", "us-east-1b"] }, "aws:ec2/subnet:Subnet"), 4);
  });

  it("derives nothing for a component whose children are in the stack", () => {
    const urn = "urn:alb";
    const stack = [
      { type: "awsx:lb:ApplicationLoadBalancer", name: "c", urn, props: {}, dependencies: [] },
      { type: "aws:lb/loadBalancer:LoadBalancer", name: "c", urn: `${urn}$lb`, props: {}, dependencies: [], parent: { urn } },
    ];
    assert.deepEqual(componentChildren(stack), []);
  });
});
