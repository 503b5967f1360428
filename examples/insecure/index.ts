// Each resource here breaks readiness rules on purpose; the gate test asserts which ones are caught.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const image = config.require("image");

const vpc = new aws.ec2.Vpc("vpc", { cidrBlock: "10.0.0.0/16" });
const publicA = new aws.ec2.Subnet("public-a", { vpcId: vpc.id, cidrBlock: "10.0.0.0/24", availabilityZone: "us-east-1a" });
const publicB = new aws.ec2.Subnet("public-b", { vpcId: vpc.id, cidrBlock: "10.0.1.0/24", availabilityZone: "us-east-1b" });
// Private compute (the Lambda below) runs in AZ b, whose NAT gateway is missing.
const privateB = new aws.ec2.Subnet("private-b", { vpcId: vpc.id, cidrBlock: "10.0.11.0/24", availabilityZone: "us-east-1b" });
const eip = new aws.ec2.Eip("nat", { domain: "vpc" });
new aws.ec2.NatGateway("only-nat", { subnetId: publicA.id, allocationId: eip.id });

const sg = new aws.ec2.SecurityGroup("wide-open", {
  vpcId: vpc.id,
  ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
});
new aws.vpc.SecurityGroupIngressRule("postgres-from-anywhere", { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0" });

const alb = new aws.lb.LoadBalancer("alb", { loadBalancerType: "application", subnets: [publicA.id, publicB.id], securityGroups: [sg.id] });
const tg = new aws.lb.TargetGroup("web", { vpcId: vpc.id, port: 8000, protocol: "HTTP", targetType: "ip" });
new aws.lb.Listener("http", { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: tg.arn }] });
new aws.lb.Listener("https", {
  loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08",
  certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
  defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
});

new aws.wafv2.WebAcl("acl", {
  scope: "REGIONAL", defaultAction: { allow: {} },
  visibilityConfig: { cloudwatchMetricsEnabled: false, metricName: "acl", sampledRequestsEnabled: false },
  rules: [{
    name: "common", priority: 0, overrideAction: { count: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } },
    visibilityConfig: { cloudwatchMetricsEnabled: false, metricName: "common", sampledRequestsEnabled: false },
  }],
});

// A valid exemption (listed in every report) and an expired one (a violation of its own).
const logs = new aws.cloudwatch.LogGroup("app", { tags: { "readiness:exempt:log-group-retention": "kept for the audit legal hold expires=2099-12-31" } });
const task = new aws.ecs.TaskDefinition("web", {
  family: "web", requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc", cpu: "256", memory: "512",
  containerDefinitions: logs.name.apply((logGroup) => JSON.stringify([{
    name: "web", image, essential: true,
    environment: [
      { name: "DEBUG", value: "True" },
      { name: "DJANGO_SETTINGS_MODULE", value: "config.settings.local" },
      { name: "SECRET_KEY", value: "django-insecure-0123456789" },
      { name: "DATABASE_URL", value: "postgres://app:hunter2@db:5432/app" },
      { name: "ALLOWED_HOSTS", value: "*" },
      { name: "CORS_ALLOWED_ORIGINS", value: "*" },
      { name: "RATE_LIMIT_ENABLED", value: "false" },
    ],
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": logGroup, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web" } },
  }])),
});
const cluster = new aws.ecs.Cluster("cluster", {});
new aws.ecs.Service("web", {
  cluster: cluster.arn, taskDefinition: task.arn, launchType: "FARGATE", desiredCount: 1,
  networkConfiguration: { subnets: [publicA.id], securityGroups: [sg.id], assignPublicIp: true },
});

const db = new aws.rds.Cluster("db", {
  engine: "aurora-postgresql", masterUsername: "app", masterPassword: "hunter2hunter2",
  storageEncrypted: false, deletionProtection: false, backupRetentionPeriod: 1, skipFinalSnapshot: true,
});
new aws.rds.ClusterInstance("db-1", { clusterIdentifier: db.id, instanceClass: "db.t4g.medium", engine: "aurora-postgresql", publiclyAccessible: true });

new aws.elasticache.ReplicationGroup("cache", {
  description: "sessions", engine: "redis", nodeType: "cache.t4g.micro", numCacheClusters: 1,
  transitEncryptionEnabled: false, atRestEncryptionEnabled: false,
});

const bucket = new aws.s3.Bucket("uploads", {});
new aws.s3.BucketCorsConfiguration("uploads-cors", { bucket: bucket.id, corsRules: [{ allowedMethods: ["GET", "PUT"], allowedOrigins: ["*"] }] });

new aws.secretsmanager.Secret("api-token", { tags: { "readiness:exempt:secret-uses-kms-key": "legacy secret being migrated expires=2020-01-01" } });

const role = new aws.iam.Role("fn", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }] }) });
new aws.iam.RolePolicy("fn-admin", { role: role.id, policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) });
new aws.lambda.Function("handler", {
  role: role.arn, runtime: "nodejs20.x", handler: "index.handler", vpcConfig: { subnetIds: [privateB.id], securityGroupIds: [sg.id] },
  code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => ({ ok: true });") }),
  environment: { variables: { STRIPE_SECRET_KEY: "sk_live_0123456789", SENTRY_DSN: "https://key@sentry.example.com/1" } },
});

// A Django host on a plain EC2 instance: IMDSv1, unencrypted root volume, a public IP, HTTPS from anywhere on its own group.
const vmGroup = new aws.ec2.SecurityGroup("vm", { vpcId: vpc.id, ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] });
new aws.ec2.Instance("vm", {
  ami: "ami-0123456789abcdef0", instanceType: "t3.small", subnetId: publicA.id, vpcSecurityGroupIds: [vmGroup.id], associatePublicIpAddress: true,
});

// A plain RDS instance: unencrypted, public, no backups, deletable without a final snapshot, single-AZ.
new aws.rds.Instance("legacy-db", {
  engine: "postgres", instanceClass: "db.t4g.micro", allocatedStorage: 20, username: "app", password: "hunter2hunter2",
  publiclyAccessible: true, backupRetentionPeriod: 0, skipFinalSnapshot: true,
});

// Django sessions in DynamoDB without point-in-time recovery.
new aws.dynamodb.Table("sessions", { hashKey: "id", attributes: [{ name: "id", type: "S" }], billingMode: "PAY_PER_REQUEST" });

export const albDnsName = alb.dnsName;
