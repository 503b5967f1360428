import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";
import { policyDocument, serviceTrustPolicy } from "./iam.ts";

/** The three tiers of subnets, from most to least reachable. */
export const SUBNET_TIERS = ["public", "private", "isolated"] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/** Each tier gets this many subnet slots, so a VPC can grow to 4 AZs without renumbering. */
const SLOTS_PER_TIER = 4;

/**
 * Carves one subnet per tier per AZ out of the VPC CIDR: 16 equal blocks (prefix + 4), tier `t` in AZ
 * `a` takes block `t * 4 + a`. Deterministic, so adding an AZ never moves an existing subnet.
 */
export function subnetCidrs(vpcCidr: string, azCount: number): Record<SubnetTier, string[]> {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  const subnetPrefix = prefix + 4;
  if (!Number.isInteger(prefix) || subnetPrefix > 28) throw new Error(`${vpcCidr}: the VPC needs a /24 or larger to hold 16 subnets`);
  if (azCount < 1 || azCount > SLOTS_PER_TIER) throw new Error(`azCount ${azCount}: 1 to ${SLOTS_PER_TIER} AZs fit the subnet plan`);
  const base = (ipToNumber(address) & prefixMask(prefix)) >>> 0;
  const blockSize = 2 ** (32 - subnetPrefix);
  const carve = (tier: number) =>
    Array.from({ length: azCount }, (_, az) => `${numberToIp(base + (tier * SLOTS_PER_TIER + az) * blockSize)}/${subnetPrefix}`);
  return { public: carve(0), private: carve(1), isolated: carve(2) };
}

function ipToNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export interface NetworkArgs {
  /** CIDR, AZ count, NAT strategy and flow-log retention. */
  readonly network: PlatformConfig["network"];
  /** The port the application containers listen on; the only port the ALB may reach them on. */
  readonly appPort: number;
  /** Encrypts the flow-log group; its key policy must let CloudWatch Logs use it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A VPC with public (ALB, NAT), private (app, cache) and isolated (database, no internet route)
 * subnets in each AZ, flow logs, and the least-privilege security groups every tier uses.
 * Raw @pulumi/aws resources (not awsx), so the tests and the readiness gate see every one of them.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: string;
  /** AZ names, in the order the subnets below use them. */
  readonly availabilityZones: pulumi.Output<string[]>;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly isolatedSubnetIds: pulumi.Output<string>[];
  readonly natGatewayIds: pulumi.Output<string>[];
  readonly albSecurityGroupId: pulumi.Output<string>;
  readonly appSecurityGroupId: pulumi.Output<string>;
  readonly dbSecurityGroupId: pulumi.Output<string>;
  readonly dbProxySecurityGroupId: pulumi.Output<string>;
  readonly cacheSecurityGroupId: pulumi.Output<string>;
  readonly lambdaSecurityGroupId: pulumi.Output<string>;
  readonly flowLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:data:Network", name, {}, opts);
    const parent = { parent: this };
    const { cidr, azCount, natGateways, flowLogRetentionDays } = args.network;
    const tagged = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });

    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, parent).names.apply((names) => {
      if (names.length < azCount) throw new Error(`the region has ${names.length} AZs; network.azCount is ${azCount}`);
      return names.slice(0, azCount);
    });
    this.availabilityZones = azs;
    this.vpcCidr = cidr;

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tagged("vpc"),
    }, parent);
    this.vpcId = vpc.id;

    // The default security group allows all traffic between its members; emptying it means nothing
    // can fall back on it by accident.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tagged("default-sg") }, parent);

    const cidrs = subnetCidrs(cidr, azCount);
    const subnets = (tier: SubnetTier) => cidrs[tier].map((block, i) => new aws.ec2.Subnet(`${name}-${tier}-${i + 1}`, {
      vpcId: vpc.id, cidrBlock: block, availabilityZone: azs[i],
      mapPublicIpOnLaunch: false, tags: { ...tagged(`${tier}-${i + 1}`), Tier: tier },
    }, parent));
    const publicSubnets = subnets("public");
    const privateSubnets = subnets("private");
    const isolatedSubnets = subnets("isolated");
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.isolatedSubnetIds = isolatedSubnets.map((s) => s.id);

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tagged("igw") }, parent);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, tags: tagged("public-rt") }, parent);
    new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, parent);
    publicSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-rta-${i + 1}`, { subnetId: s.id, routeTableId: publicRoutes.id }, parent));

    // One NAT per AZ keeps each AZ's private subnets online when another AZ fails; one NAT is cheaper.
    const natCount = natGateways === "one-per-az" ? azCount : 1;
    const nats = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-eip-${i + 1}`, { domain: "vpc", tags: tagged(`nat-eip-${i + 1}`) }, { parent: this, dependsOn: [igw] });
      return new aws.ec2.NatGateway(`${name}-nat-${i + 1}`, {
        allocationId: eip.id, subnetId: publicSubnets[i].id, connectivityType: "public", tags: tagged(`nat-${i + 1}`),
      }, parent);
    });
    this.natGatewayIds = nats.map((n) => n.id);
    privateSubnets.forEach((s, i) => {
      const table = new aws.ec2.RouteTable(`${name}-private-rt-${i + 1}`, { vpcId: vpc.id, tags: tagged(`private-rt-${i + 1}`) }, parent);
      new aws.ec2.Route(`${name}-private-default-${i + 1}`, {
        routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nats[i % natCount].id,
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-private-rta-${i + 1}`, { subnetId: s.id, routeTableId: table.id }, parent);
    });
    // Isolated subnets get a table with only the implicit local route: the database has no way out.
    const isolatedRoutes = new aws.ec2.RouteTable(`${name}-isolated-rt`, { vpcId: vpc.id, tags: tagged("isolated-rt") }, parent);
    isolatedSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-isolated-rta-${i + 1}`, { subnetId: s.id, routeTableId: isolatedRoutes.id }, parent));

    const flowLogGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
      retentionInDays: flowLogRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags,
    }, parent);
    this.flowLogGroupName = flowLogGroup.name;
    const flowLogRole = new aws.iam.Role(`${name}-flow-logs-role`, {
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com"),
      tags: args.tags,
    }, parent);
    new aws.iam.RolePolicy(`${name}-flow-logs-policy`, {
      role: flowLogRole.id,
      policy: policyDocument([{
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [flowLogGroup.arn, pulumi.interpolate`${flowLogGroup.arn}:*`],
      }]),
    }, parent);
    new aws.ec2.FlowLog(`${name}-flow-log`, {
      vpcId: vpc.id, trafficType: "ALL", logDestinationType: "cloud-watch-logs",
      logDestination: flowLogGroup.arn, iamRoleArn: flowLogRole.arn, maxAggregationInterval: 60, tags: args.tags,
    }, parent);

    const group = (suffix: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${suffix}`, { vpcId: vpc.id, description, tags: tagged(suffix) }, parent);
    const alb = group("alb-sg", "Load balancer: HTTP and HTTPS from the internet");
    const app = group("app-sg", "Application tasks: the app port from the load balancer only");
    const lambda = group("lambda-sg", "Lambda functions: no inbound, HTTPS and the database proxy outbound");
    const proxy = group("db-proxy-sg", "RDS Proxy: PostgreSQL from the application and Lambdas");
    const db = group("db-sg", "Aurora PostgreSQL: from the application and the RDS Proxy only");
    const cache = group("cache-sg", "ElastiCache: the cache port from the application only");

    const ingress = (suffix: string, to: aws.ec2.SecurityGroup, port: number, description: string, from: { sg?: aws.ec2.SecurityGroup; cidr?: string }) =>
      new aws.vpc.SecurityGroupIngressRule(`${name}-${suffix}`, {
        securityGroupId: to.id, ipProtocol: "tcp", fromPort: port, toPort: port, description,
        referencedSecurityGroupId: from.sg?.id, cidrIpv4: from.cidr, tags: args.tags,
      }, parent);
    const egress = (suffix: string, from: aws.ec2.SecurityGroup, port: number, description: string, to: { sg?: aws.ec2.SecurityGroup; cidr?: string }) =>
      new aws.vpc.SecurityGroupEgressRule(`${name}-${suffix}`, {
        securityGroupId: from.id, ipProtocol: "tcp", fromPort: port, toPort: port, description,
        referencedSecurityGroupId: to.sg?.id, cidrIpv4: to.cidr, tags: args.tags,
      }, parent);

    ingress("alb-in-http", alb, 80, "HTTP from the internet (redirected to HTTPS)", { cidr: "0.0.0.0/0" });
    ingress("alb-in-https", alb, 443, "HTTPS from the internet", { cidr: "0.0.0.0/0" });
    egress("alb-out-app", alb, args.appPort, "To the application tasks", { sg: app });
    ingress("app-in-alb", app, args.appPort, "From the load balancer", { sg: alb });
    egress("app-out-https", app, 443, "HTTPS to AWS APIs, ECR and third-party services", { cidr: "0.0.0.0/0" });
    egress("app-out-proxy", app, 5432, "PostgreSQL through the RDS Proxy", { sg: proxy });
    egress("app-out-db", app, 5432, "PostgreSQL directly (migrations, IAM auth)", { sg: db });
    egress("app-out-cache", app, 6379, "To the cache", { sg: cache });
    egress("lambda-out-https", lambda, 443, "HTTPS to AWS APIs", { cidr: "0.0.0.0/0" });
    egress("lambda-out-proxy", lambda, 5432, "PostgreSQL through the RDS Proxy", { sg: proxy });
    ingress("proxy-in-app", proxy, 5432, "PostgreSQL from the application", { sg: app });
    ingress("proxy-in-lambda", proxy, 5432, "PostgreSQL from Lambdas", { sg: lambda });
    egress("proxy-out-db", proxy, 5432, "To the database", { sg: db });
    ingress("db-in-app", db, 5432, "PostgreSQL from the application", { sg: app });
    ingress("db-in-proxy", db, 5432, "PostgreSQL from the RDS Proxy", { sg: proxy });
    ingress("cache-in-app", cache, 6379, "Cache from the application", { sg: app });

    this.albSecurityGroupId = alb.id;
    this.appSecurityGroupId = app.id;
    this.lambdaSecurityGroupId = lambda.id;
    this.dbProxySecurityGroupId = proxy.id;
    this.dbSecurityGroupId = db.id;
    this.cacheSecurityGroupId = cache.id;

    this.registerOutputs({
      vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds, albSecurityGroupId: this.albSecurityGroupId,
      appSecurityGroupId: this.appSecurityGroupId,
    });
  }
}
