import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/** The account every mocked ARN belongs to (AWS's documentation account). */
export const MOCK_ACCOUNT_ID = "123456789012";

type State = Record<string, unknown>;
type ResourceOutputs = (args: pulumi.runtime.MockResourceArgs, ids: { id: string; arn: string; region: string }) => State;
type CallResult = (args: pulumi.runtime.MockCallArgs, region: string) => State;

/**
 * Outputs AWS would report for each resource type beyond `id` and `arn` (endpoints, names, ...).
 * There is no autonaming under mocks, so anything a program reads back must be given here.
 */
const resourceOutputs: Record<string, ResourceOutputs> = {
  // Network. EC2 ids carry their resource prefix (vpc-, subnet-, sg-, ...), as AWS reports them.
  "aws:ec2/vpc:Vpc": ({ name }) => ({
    id: mockId("vpc", name), defaultSecurityGroupId: mockId("sg", `${name}-default`),
    mainRouteTableId: mockId("rtb", `${name}-main`), defaultNetworkAclId: mockId("acl", name), ownerId: MOCK_ACCOUNT_ID,
  }),
  "aws:ec2/subnet:Subnet": ({ name, inputs }) => ({ id: mockId("subnet", name), availabilityZoneId: `use1-az${String(inputs.availabilityZone ?? "a").slice(-1)}` }),
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ({ name }) => ({ id: mockId("sg", name) }),
  "aws:ec2/securityGroup:SecurityGroup": ({ name }) => ({ id: mockId("sg", name), ownerId: MOCK_ACCOUNT_ID }),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ({ name }) => ({ id: mockId("sgr", name), securityGroupRuleId: mockId("sgr", name) }),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ({ name }) => ({ id: mockId("sgr", name), securityGroupRuleId: mockId("sgr", name) }),
  "aws:ec2/internetGateway:InternetGateway": ({ name }) => ({ id: mockId("igw", name) }),
  "aws:ec2/eip:Eip": ({ name }) => ({ id: mockId("eipalloc", name), allocationId: mockId("eipalloc", name), publicIp: mockIp(name) }),
  "aws:ec2/natGateway:NatGateway": ({ name }) => ({ id: mockId("nat", name), publicIp: mockIp(name) }),
  "aws:ec2/routeTable:RouteTable": ({ name }) => ({ id: mockId("rtb", name) }),
  "aws:ec2/route:Route": ({ name }) => ({ id: mockId("r-rtb", name) }),
  "aws:ec2/routeTableAssociation:RouteTableAssociation": ({ name }) => ({ id: mockId("rtbassoc", name) }),
  "aws:ec2/flowLog:FlowLog": ({ name }) => ({ id: mockId("fl", name) }),
  "aws:cloudwatch/logGroup:LogGroup": ({ name, inputs }, { region }) => {
    const groupName = String(inputs.name ?? (inputs.namePrefix ? `${String(inputs.namePrefix)}${digest(name).slice(0, 26)}` : `/aws/readiness/${name}`));
    return { id: groupName, name: groupName, arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${groupName}` };
  },
  "aws:iam/role:Role": ({ name, inputs }) => {
    const roleName = String(inputs.name ?? name);
    return { id: roleName, name: roleName, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${roleName}`, uniqueId: mockId("AROA", name).toUpperCase() };
  },
  "aws:iam/rolePolicy:RolePolicy": ({ name, inputs }) => ({ id: `${String(inputs.role)}:${name}` }),

  // Keys and secrets. A Secrets Manager secret's id is its ARN, which ends in 6 random characters.
  "aws:kms/key:Key": ({ name }, { region }) => {
    const keyId = mockUuid(name);
    return { id: keyId, keyId, arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${keyId}` };
  },
  "aws:kms/alias:Alias": ({ inputs }, { region }) => ({ id: String(inputs.name), arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:${String(inputs.name)}` }),
  "aws:secretsmanager/secret:Secret": ({ name, inputs }, { region }) => {
    const arn = secretArn(region, String(inputs.name ?? name));
    return { id: arn, arn };
  },
  "aws:secretsmanager/secretVersion:SecretVersion": ({ name, inputs }) => {
    const versionId = mockUuid(name);
    return { id: `${String(inputs.secretId)}|${versionId}`, versionId, arn: String(inputs.secretId), versionStages: ["AWSCURRENT"] };
  },
  // Deterministic stand-in of the requested length, so length checks see what the program asked for.
  "random:index/randomPassword:RandomPassword": ({ name, inputs }) => ({
    id: "none", result: mockCharacters(name, Number(inputs.length ?? 16)), bcryptHash: "$2a$10$mock",
  }),

  // Database. Endpoints follow RDS's `<id>.<cluster|proxy|instance>-<random>.<region>.rds.amazonaws.com`.
  "aws:rds/subnetGroup:SubnetGroup": ({ name, inputs }, { region }) => named(inputs.name ?? name, (n) => `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:subgrp:${n}`),
  "aws:rds/clusterParameterGroup:ClusterParameterGroup": ({ name, inputs }, { region }) => named(inputs.name ?? name, (n) => `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:cluster-pg:${n}`),
  "aws:rds/cluster:Cluster": ({ name, inputs }, { region }) => {
    const id = String(inputs.clusterIdentifier ?? name);
    const managed = inputs.manageMasterUserPassword === true;
    return {
      id, clusterIdentifier: id, arn: `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:cluster:${id}`,
      endpoint: `${id}.cluster-${RDS_SUFFIX}.${region}.rds.amazonaws.com`,
      readerEndpoint: `${id}.cluster-ro-${RDS_SUFFIX}.${region}.rds.amazonaws.com`,
      port: inputs.port ?? 5432, clusterResourceId: `cluster-${mockId("", name).slice(1).toUpperCase()}`, hostedZoneId: "Z2R2ITUGPM61AM",
      masterUserSecrets: managed
        ? [{ secretArn: secretArn(region, `rds!cluster-${mockUuid(name)}`), kmsKeyId: inputs.masterUserSecretKmsKeyId, secretStatus: "active" }]
        : [],
    };
  },
  "aws:rds/clusterInstance:ClusterInstance": ({ name, inputs }, { region }) => {
    const id = String(inputs.identifier ?? name);
    return {
      id, identifier: id, arn: `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:db:${id}`,
      endpoint: `${id}.${RDS_SUFFIX}.${region}.rds.amazonaws.com`, port: 5432, dbiResourceId: `db-${mockId("", name).slice(1).toUpperCase()}`,
    };
  },
  "aws:rds/proxy:Proxy": ({ name, inputs }, { region }) => {
    const proxyName = String(inputs.name ?? name);
    return {
      id: proxyName, name: proxyName, arn: `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:db-proxy:${mockId("prx", name)}`,
      endpoint: `${proxyName}.proxy-${RDS_SUFFIX}.${region}.rds.amazonaws.com`,
    };
  },
  "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": ({ name, inputs }, { region }) => ({
    id: String(inputs.dbProxyName), name: "default", arn: `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:target-group:${mockId("prx-tg", name)}`,
  }),
  "aws:rds/proxyTarget:ProxyTarget": ({ inputs }) => ({
    id: `${String(inputs.dbProxyName)},default,TRACKED_CLUSTER,${String(inputs.dbClusterIdentifier)}`,
    type: "TRACKED_CLUSTER", trackedClusterId: inputs.dbClusterIdentifier, rdsResourceId: inputs.dbClusterIdentifier,
  }),

  // Cache.
  "aws:elasticache/subnetGroup:SubnetGroup": ({ name, inputs }, { region }) => named(inputs.name ?? name, (n) => `arn:aws:elasticache:${region}:${MOCK_ACCOUNT_ID}:subnetgroup:${n}`),
  "aws:elasticache/replicationGroup:ReplicationGroup": ({ name, inputs }, { region }) => {
    const id = String(inputs.replicationGroupId ?? name);
    const nodes = Number(inputs.numCacheClusters ?? 1);
    const host = `${id}.${ELASTICACHE_SUFFIX}.use1.cache.amazonaws.com`;
    return {
      id, replicationGroupId: id, arn: `arn:aws:elasticache:${region}:${MOCK_ACCOUNT_ID}:replicationgroup:${id}`,
      primaryEndpointAddress: `master.${host}`, readerEndpointAddress: `replica.${host}`, port: inputs.port ?? 6379,
      memberClusters: Array.from({ length: nodes }, (_, i) => `${id}-${String(i + 1).padStart(3, "0")}`), clusterEnabled: false,
    };
  },

  // Application tier. Load balancing ARNs end in `<kind>/<name>/<16 hex>`; that tail is the CloudWatch dimension.
  "aws:lb/loadBalancer:LoadBalancer": ({ name, inputs }, { region }) => {
    const lbName = String(inputs.name ?? name);
    const suffix = `app/${lbName}/${digest(name).slice(0, 16)}`;
    return {
      id: elbArn(region, `loadbalancer/${suffix}`), arn: elbArn(region, `loadbalancer/${suffix}`), arnSuffix: suffix, name: lbName,
      dnsName: `${lbName}-${parseInt(digest(name).slice(0, 8), 16)}.${region}.elb.amazonaws.com`, zoneId: "Z35SXDOTRQ7X7K",
    };
  },
  "aws:lb/targetGroup:TargetGroup": ({ name, inputs }, { region }) => {
    const suffix = `targetgroup/${String(inputs.name ?? name)}/${digest(name).slice(0, 16)}`;
    return { id: elbArn(region, suffix), arn: elbArn(region, suffix), arnSuffix: suffix, name: String(inputs.name ?? name) };
  },
  "aws:lb/listener:Listener": ({ name, inputs }) => {
    const arn = `${String(inputs.loadBalancerArn).replace(":loadbalancer/", ":listener/")}/${digest(name).slice(0, 16)}`;
    return { id: arn, arn };
  },
  "aws:lb/listenerRule:ListenerRule": ({ name, inputs }) => {
    const arn = `${String(inputs.listenerArn).replace(":listener/", ":listener-rule/")}/${digest(name).slice(0, 16)}`;
    return { id: arn, arn };
  },
  "aws:ecs/cluster:Cluster": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? name);
    return { id: `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:cluster/${n}`, arn: `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:cluster/${n}`, name: n };
  },
  "aws:ecs/service:Service": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? name);
    const cluster = String(inputs.cluster ?? "default").split("/").pop();
    return { id: `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:service/${cluster}/${n}`, name: n };
  },
  "aws:ecs/taskDefinition:TaskDefinition": ({ inputs }, { region }) => {
    const base = `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:task-definition/${String(inputs.family)}`;
    return { id: String(inputs.family), arn: `${base}:1`, arnWithoutRevision: base, revision: 1 };
  },
  "aws:s3/bucket:Bucket": ({ name, inputs }, { region }) => {
    const bucket = String(inputs.bucket ?? `${name}-${digest(name).slice(0, 7)}`);
    return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}`, region, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` };
  },
  "aws:sqs/queue:Queue": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? name);
    const url = `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT_ID}/${n}`;
    return { id: url, url, name: n, arn: `arn:aws:sqs:${region}:${MOCK_ACCOUNT_ID}:${n}` };
  },
  "aws:cloudwatch/eventBus:EventBus": ({ name, inputs }, { region }) => named(inputs.name ?? name, (n) => `arn:aws:events:${region}:${MOCK_ACCOUNT_ID}:event-bus/${n}`),
  "aws:lambda/function:Function": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? name);
    const arn = `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${n}`;
    return {
      id: n, name: n, arn, qualifiedArn: `${arn}:$LATEST`, version: "$LATEST",
      invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
    };
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": ({ name }) => ({ id: mockUuid(name), uuid: mockUuid(name) }),
  "aws:wafv2/webAcl:WebAcl": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? name);
    return { id: mockUuid(name), name: n, arn: `arn:aws:wafv2:${region}:${MOCK_ACCOUNT_ID}:regional/webacl/${n}/${mockUuid(name)}`, capacity: 1400 };
  },
  "aws:wafv2/ipSet:IpSet": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? name);
    return { id: mockUuid(name), name: n, arn: `arn:aws:wafv2:${region}:${MOCK_ACCOUNT_ID}:regional/ipset/${n}/${mockUuid(name)}` };
  },
  "aws:sns/topic:Topic": ({ name, inputs }, { region }) => {
    const arn = `arn:aws:sns:${region}:${MOCK_ACCOUNT_ID}:${String(inputs.name ?? name)}`;
    return { id: arn, arn, name: String(inputs.name ?? name) };
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": ({ name, inputs }, { region }) => named(inputs.name ?? name, (n) => `arn:aws:cloudwatch:${region}:${MOCK_ACCOUNT_ID}:alarm:${n}`),
  "aws:cloudwatch/dashboard:Dashboard": ({ name, inputs }) => {
    const n = String(inputs.dashboardName ?? name);
    return { id: n, dashboardName: n, dashboardArn: `arn:aws:cloudwatch::${MOCK_ACCOUNT_ID}:dashboard/${n}` };
  },
  "aws:backup/vault:Vault": ({ name, inputs }, { region }) => named(inputs.name ?? name, (n) => `arn:aws:backup:${region}:${MOCK_ACCOUNT_ID}:backup-vault:${n}`),
  "aws:backup/plan:Plan": ({ name }, { region }) => ({ id: mockUuid(name), arn: `arn:aws:backup:${region}:${MOCK_ACCOUNT_ID}:backup-plan:${mockUuid(name)}`, version: mockCharacters(name, 32) }),
};

/** The random part of RDS and ElastiCache endpoints is per account and region; one fixed value will do. */
const RDS_SUFFIX = "c9akciq32xyz";
const ELASTICACHE_SUFFIX = "x1y2z3";

function elbArn(region: string, resource: string): string {
  return `arn:aws:elasticloadbalancing:${region}:${MOCK_ACCOUNT_ID}:${resource}`;
}

function named(value: unknown, arn: (name: string) => string): State {
  const n = String(value);
  return { id: n, name: n, arn: arn(n) };
}

function secretArn(region: string, secretName: string): string {
  return `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:${secretName}-${mockCharacters(secretName, 6)}`;
}

function digest(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

function mockUuid(seed: string): string {
  const h = digest(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An address in AWS's documentation range (TEST-NET-3). */
function mockIp(seed: string): string {
  return `203.0.113.${parseInt(digest(seed).slice(0, 2), 16) % 254 + 1}`;
}

/** `length` letters and digits derived from `seed`. */
function mockCharacters(seed: string, length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let round = 0; out.length < length; round++) {
    out += [...createHash("sha256").update(`${seed}:${round}`).digest()].map((b) => alphabet[b % alphabet.length]).join("");
  }
  return out.slice(0, length);
}

/** Answers for provider functions (data sources) the programs call. */
const callResults: Record<string, CallResult> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_args, region) => ({
    names: ["a", "b", "c"].map((z) => `${region}${z}`),
    zoneIds: ["1", "2", "3"].map((z) => `use1-az${z}`),
    state: "available",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/gate`, userId: "AIDAGATE",
  }),
  "aws:index/getRegion:getRegion": (_args, region) => ({ name: region, region, id: region }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (args) => ({ json: JSON.stringify(args.inputs) }),
  // The account ALB log delivery writes as in us-east-1; the bucket policy only needs its shape.
  "aws:elb/getServiceAccount:getServiceAccount": () => ({ id: "127311923021", arn: "arn:aws:iam::127311923021:root" }),
};

/** Registers realistic outputs for one resource type (used by the modules that create that type). */
export function defineMockOutputs(type: string, outputs: ResourceOutputs): void {
  resourceOutputs[type] = outputs;
}

/** Whether a resource type has realistic per-type outputs (beyond the generic id and ARN). */
export function hasMockOutputs(type: string): boolean {
  return type in resourceOutputs;
}

/** Registers the answer for one provider function. */
export function defineMockCall(token: string, result: CallResult): void {
  callResults[token] = result;
}

/** Deterministic, AWS-shaped ids: the same program always gets the same ids, so reports diff cleanly. */
export function mockId(prefix: string, name: string): string {
  return `${prefix}-${createHash("sha256").update(name).digest("hex").slice(0, 17)}`;
}

/** `aws:ec2/securityGroup:SecurityGroup` -> service `ec2`, kind `securitygroup`. */
function arnFor(type: string, name: string, region: string): string {
  const [, module = "resource", kind = "resource"] = type.split(/[:/]/);
  return `arn:aws:${module}:${region}:${MOCK_ACCOUNT_ID}:${kind.toLowerCase()}/${name}`;
}

/** Mocks for any AWS program: every resource gets an id, an ARN and the per-type outputs above. */
export function awsMocks(region = "us-east-1"): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const id = args.id || mockId(args.type.split(":").pop()?.toLowerCase().slice(0, 8) ?? "res", args.name);
      const arn = arnFor(args.type, args.name, region);
      const extra = resourceOutputs[args.type]?.(args, { id, arn, region }) ?? {};
      // A per-type entry may give the id AWS would (vpc-..., a secret's ARN, a cluster identifier).
      const finalId = typeof extra.id === "string" ? extra.id : id;
      return { id: finalId, state: { ...args.inputs, id: finalId, arn, name: args.inputs.name ?? args.name, ...extra } };
    },
    call(args) {
      const answer = callResults[args.token];
      return answer ? answer(args, region) : args.inputs;
    },
  };
}
