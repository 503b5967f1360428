// The functions under the web tier's components, called directly (no component around them), as pulumi-eks
// tests its create* functions: each creates exactly its children, named `${name}-suffix`.
import assert from "node:assert/strict";
import type { ProgramRun } from "../gate/program-runner.ts";
import { resourcesOfType, runStack, runUnderMocks } from "./support/stacks.ts";

const ECR_IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app@sha256:${"a".repeat(64)}`;

async function underMocks(program: () => Promise<void>): Promise<ProgramRun> {
  return runUnderMocks(async () => {
    await program();
    return {};
  }, { stack: "t" });
}

const names = (run: ProgramRun) => run.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`).sort();

describe("createWebLoadBalancer (components/load-balancer.ts)", () => {
  let run: ProgramRun;
  before(async () => {
    const { createWebLoadBalancer } = await import("../components/load-balancer.ts");
    run = await underMocks(async () => {
      createWebLoadBalancer("edge", {
        vpcId: "vpc-1", publicSubnetIds: ["subnet-a", "subnet-b"], securityGroupId: "sg-alb",
        certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/c", port: 8000, web: { canaryWeight: 25, idleTimeoutSeconds: 30 },
        accessLogBucketName: "logs", deletionProtection: false, tags: { team: "web" },
      });
    });
  });

  it("creates the ALB, two target groups, two listeners and the header rule, named after it", () => {
    assert.deepEqual(names(run), [
      "aws:lb/listener:Listener edge-http", "aws:lb/listener:Listener edge-https", "aws:lb/listenerRule:ListenerRule edge-canary-header",
      "aws:lb/loadBalancer:LoadBalancer edge-alb", "aws:lb/targetGroup:TargetGroup edge-canary", "aws:lb/targetGroup:TargetGroup edge-stable",
    ]);
  });

  it("splits HTTPS traffic by the canary weight, and the target groups use the container port", () => {
    const https = run.resources.find((r) => r.name === "edge-https");
    const [action] = https?.inputs.defaultActions as { forward: { targetGroups: { weight: number }[] } }[];
    assert.deepEqual(action.forward.targetGroups.map((t) => t.weight), [75, 25]);
    assert.deepEqual(resourcesOfType(run, "aws:lb/targetGroup:TargetGroup").map((tg) => tg.inputs.port), [8000, 8000]);
  });

  it("refuses a weight outside 0-100, naming the key", async () => {
    const { createWebLoadBalancer } = await import("../components/load-balancer.ts");
    await assert.rejects(underMocks(async () => {
      createWebLoadBalancer("edge", {
        vpcId: "vpc-1", publicSubnetIds: [], securityGroupId: "sg", certificateArn: "arn:c", port: 8000, web: { canaryWeight: 150, idleTimeoutSeconds: 30 },
        accessLogBucketName: "logs", deletionProtection: false, tags: {},
      });
    }), /web.canaryWeight 150/);
  });
});

describe("createAppRoles (components/app-roles.ts)", () => {
  const statements = (run: ProgramRun, name: string) =>
    (JSON.parse(String(run.resources.find((r) => r.name === name)?.inputs.policy)) as { Statement: { Sid: string; Resource: unknown }[] }).Statement;
  const roles = async (images: string[]) => {
    const { createAppRoles } = await import("../components/app-roles.ts");
    return underMocks(async () => {
      createAppRoles("app", {
        images, logGroupArns: ["arn:aws:logs:us-east-1:123456789012:log-group:web"], secretArns: ["arn:aws:secretsmanager:us-east-1:123456789012:secret:k"],
        kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k", mediaBucketArn: "arn:aws:s3:::media", outboxQueueArn: "arn:aws:sqs:us-east-1:123456789012:outbox", tags: {},
      });
    });
  };

  it("creates the execution and task roles with one policy each, named after it", async () => {
    assert.deepEqual(names(await roles([ECR_IMAGE])), [
      "aws:iam/role:Role app-execution", "aws:iam/role:Role app-task", "aws:iam/rolePolicy:RolePolicy app-execution-policy", "aws:iam/rolePolicy:RolePolicy app-task-policy",
    ]);
  });

  it("pulls only from the images' ECR repositories, and logs in to ECR only when an image is there", async () => {
    const ecr = statements(await roles([ECR_IMAGE, ECR_IMAGE]), "app-execution-policy");
    assert.deepEqual(ecr.find((s) => s.Sid === "PullImage")?.Resource, ["arn:aws:ecr:us-east-1:123456789012:repository/team/app"]);
    const elsewhere = statements(await roles(["ghcr.io/org/app:1.2.3"]), "app-execution-policy");
    assert.deepEqual(elsewhere.map((s) => s.Sid), ["WriteLogs", "ReadSecrets", "DecryptSecrets"]);
  });
});

describe("the web tier's URNs (a changed URN makes `pulumi up` replace the resource)", () => {
  it("production: the web service, worker and app roles keep every child's type, parent and name", async () => {
    const run = await runStack("production");
    const urns = run.resources.map((r) => r.urn.replace("urn:pulumi:production::readiness::", ""))
      .filter((u) => /readiness:app:(WebService|Worker|AppRoles)\b/.test(u)).sort();
    assert.deepEqual(urns, [
      "readiness:app:ApplicationTier$readiness:app:AppRoles::app-roles",
      "readiness:app:ApplicationTier$readiness:app:WebService::web",
      "readiness:app:ApplicationTier$readiness:app:Worker::worker",
      "readiness:app:AppRoles$aws:iam/role:Role::app-roles-execution",
      "readiness:app:AppRoles$aws:iam/role:Role::app-roles-task",
      "readiness:app:AppRoles$aws:iam/rolePolicy:RolePolicy::app-roles-execution-policy",
      "readiness:app:AppRoles$aws:iam/rolePolicy:RolePolicy::app-roles-task-policy",
      "readiness:app:WebService$aws:appautoscaling/policy:Policy::web-stable-scale-cpu",
      "readiness:app:WebService$aws:appautoscaling/policy:Policy::web-stable-scale-requests",
      "readiness:app:WebService$aws:appautoscaling/target:Target::web-stable-scaling",
      "readiness:app:WebService$aws:ecs/cluster:Cluster::web-cluster",
      "readiness:app:WebService$aws:ecs/service:Service::web-canary",
      "readiness:app:WebService$aws:ecs/service:Service::web-stable",
      "readiness:app:WebService$aws:ecs/taskDefinition:TaskDefinition::web-canary-task",
      "readiness:app:WebService$aws:ecs/taskDefinition:TaskDefinition::web-stable-task",
      "readiness:app:WebService$aws:lb/listener:Listener::web-http",
      "readiness:app:WebService$aws:lb/listener:Listener::web-https",
      "readiness:app:WebService$aws:lb/listenerRule:ListenerRule::web-canary-header",
      "readiness:app:WebService$aws:lb/loadBalancer:LoadBalancer::web-alb",
      "readiness:app:WebService$aws:lb/targetGroup:TargetGroup::web-canary",
      "readiness:app:WebService$aws:lb/targetGroup:TargetGroup::web-stable",
      "readiness:app:Worker$aws:appautoscaling/policy:Policy::worker-scale-cpu",
      "readiness:app:Worker$aws:appautoscaling/target:Target::worker-scaling",
      "readiness:app:Worker$aws:ecs/service:Service::worker-service",
      "readiness:app:Worker$aws:ecs/taskDefinition:TaskDefinition::worker-task",
    ].sort());
  });
});
