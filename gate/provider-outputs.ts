import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/**
 * What the AWS provider computes for a resource (ids, ARNs, endpoints, auto-generated names), per type.
 *
 * This is the one table of provider-computed outputs: the gate's mocks fill them in as the provider would
 * after a create; an output the provider computes that is not listed here is left unknown, as in a preview.
 * A "new stack" preview can use the same table to know which outputs the engine would send as unknowns.
 */

/** The account every mocked ARN belongs to (AWS's documentation account). */
export const MOCK_ACCOUNT_ID = "123456789012";

export type State = Record<string, unknown>;
export type ResourceOutputs = (args: pulumi.runtime.MockResourceArgs, ids: { id: string; arn: string; region: string }) => State;

/** Pulumi's autonaming: the logical name, a dash and 7 random hex digits (here derived from the name, so runs repeat). */
export function autoname(name: string): string {
  return `${name}-${digest(name).slice(0, 7)}`;
}

/**
 * Outputs AWS would report for each resource type beyond `id` and `arn` (endpoints, names, ...).
 * There is no autonaming under mocks, so anything a program reads back must be given here.
 */
const providerComputed: Record<string, ResourceOutputs> = {
  // Network. EC2 ids carry their resource prefix (vpc-, subnet-, sg-, ...), as AWS reports them.
  "aws:ec2/vpc:Vpc": ({ name }) => ({
    id: mockId("vpc", name), defaultSecurityGroupId: mockId("sg", `${name}-default`),
    mainRouteTableId: mockId("rtb", `${name}-main`), defaultNetworkAclId: mockId("acl", name), ownerId: MOCK_ACCOUNT_ID,
  }),
  // availabilityZoneId is left unknown: which zone id an AZ name maps to differs per account.
  "aws:ec2/subnet:Subnet": ({ name }) => ({ id: mockId("subnet", name) }),
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
    const roleName = String(inputs.name ?? autoname(name));
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
    const arn = secretArn(region, String(inputs.name ?? autoname(name)));
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
  "aws:rds/subnetGroup:SubnetGroup": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:subgrp:${n}`),
  "aws:rds/clusterParameterGroup:ClusterParameterGroup": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:cluster-pg:${n}`),
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
    const proxyName = String(inputs.name ?? autoname(name));
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
  "aws:elasticache/subnetGroup:SubnetGroup": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:elasticache:${region}:${MOCK_ACCOUNT_ID}:subnetgroup:${n}`),
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
    const lbName = String(inputs.name ?? autoname(name));
    const suffix = `app/${lbName}/${digest(name).slice(0, 16)}`;
    return {
      id: elbArn(region, `loadbalancer/${suffix}`), arn: elbArn(region, `loadbalancer/${suffix}`), arnSuffix: suffix, name: lbName,
      dnsName: `${lbName}-${parseInt(digest(name).slice(0, 8), 16)}.${region}.elb.amazonaws.com`, zoneId: "Z35SXDOTRQ7X7K",
    };
  },
  "aws:lb/targetGroup:TargetGroup": ({ name, inputs }, { region }) => {
    const suffix = `targetgroup/${String(inputs.name ?? autoname(name))}/${digest(name).slice(0, 16)}`;
    return { id: elbArn(region, suffix), arn: elbArn(region, suffix), arnSuffix: suffix, name: String(inputs.name ?? autoname(name)) };
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
    const n = String(inputs.name ?? autoname(name));
    return { id: `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:cluster/${n}`, arn: `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:cluster/${n}`, name: n };
  },
  "aws:ecs/service:Service": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? autoname(name));
    const cluster = String(inputs.cluster ?? "default").split("/").pop();
    return { id: `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:service/${cluster}/${n}`, name: n };
  },
  "aws:ecs/taskDefinition:TaskDefinition": ({ inputs }, { region }) => {
    const base = `arn:aws:ecs:${region}:${MOCK_ACCOUNT_ID}:task-definition/${String(inputs.family)}`;
    return { id: String(inputs.family), arn: `${base}:1`, arnWithoutRevision: base, revision: 1 };
  },
  "aws:s3/bucket:Bucket": ({ name, inputs }, { region }) => {
    const bucket = String(inputs.bucket ?? (inputs.bucketPrefix ? `${String(inputs.bucketPrefix)}${digest(name).slice(0, 26)}` : autoname(name)));
    return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}`, region, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` };
  },
  "aws:sqs/queue:Queue": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? autoname(name));
    const url = `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT_ID}/${n}`;
    return { id: url, url, name: n, arn: `arn:aws:sqs:${region}:${MOCK_ACCOUNT_ID}:${n}` };
  },
  "aws:cloudwatch/eventBus:EventBus": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:events:${region}:${MOCK_ACCOUNT_ID}:event-bus/${n}`),
  "aws:lambda/function:Function": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? autoname(name));
    const arn = `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${n}`;
    return {
      id: n, name: n, arn, qualifiedArn: `${arn}:$LATEST`, version: "$LATEST",
      invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
    };
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": ({ name }) => ({ id: mockUuid(name), uuid: mockUuid(name) }),
  "aws:wafv2/webAcl:WebAcl": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? autoname(name));
    return { id: mockUuid(name), name: n, arn: `arn:aws:wafv2:${region}:${MOCK_ACCOUNT_ID}:regional/webacl/${n}/${mockUuid(name)}`, capacity: 1400 };
  },
  "aws:wafv2/ipSet:IpSet": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? autoname(name));
    return { id: mockUuid(name), name: n, arn: `arn:aws:wafv2:${region}:${MOCK_ACCOUNT_ID}:regional/ipset/${n}/${mockUuid(name)}` };
  },
  "aws:sns/topic:Topic": ({ name, inputs }, { region }) => {
    const arn = `arn:aws:sns:${region}:${MOCK_ACCOUNT_ID}:${String(inputs.name ?? autoname(name))}`;
    return { id: arn, arn, name: String(inputs.name ?? autoname(name)) };
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:cloudwatch:${region}:${MOCK_ACCOUNT_ID}:alarm:${n}`),
  "aws:cloudwatch/dashboard:Dashboard": ({ name, inputs }) => {
    const n = String(inputs.dashboardName ?? name);
    return { id: n, dashboardName: n, dashboardArn: `arn:aws:cloudwatch::${MOCK_ACCOUNT_ID}:dashboard/${n}` };
  },
  "aws:backup/vault:Vault": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:backup:${region}:${MOCK_ACCOUNT_ID}:backup-vault:${n}`),
  "aws:backup/plan:Plan": ({ name }, { region }) => ({ id: mockUuid(name), arn: `arn:aws:backup:${region}:${MOCK_ACCOUNT_ID}:backup-plan:${mockUuid(name)}`, version: mockCharacters(name, 32) }),
  "aws:ecr/repository:Repository": ({ name, inputs }, { region }) => {
    const n = String(inputs.name ?? autoname(name)).toLowerCase();
    return {
      id: n, name: n, arn: `arn:aws:ecr:${region}:${MOCK_ACCOUNT_ID}:repository/${n}`, registryId: MOCK_ACCOUNT_ID,
      repositoryUrl: `${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/${n}`,
    };
  },
  // Built images: the digest a registry reports for the pushed image (derived from the build inputs here).
  "awsx:ecr:Repository": ({ name, inputs }, { region }) => ({ url: `${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/${String(inputs.name ?? autoname(name)).toLowerCase()}` }),
  "awsx:ecr:Image": ({ inputs }) => ({ imageUri: `${String(inputs.repositoryUrl)}@sha256:${digest(JSON.stringify(inputs))}` }),
  "docker:index/image:Image": ({ inputs }) => {
    const imageName = String(inputs.imageName);
    return { imageName, repoDigest: `${imageName.replace(/:[^:/]+$/, "")}@sha256:${digest(JSON.stringify(inputs))}` };
  },
  "docker-build:index:Image": ({ inputs }) => {
    const sha = `sha256:${digest(JSON.stringify(inputs))}`;
    const tag = String((inputs.tags as string[] | undefined)?.[0] ?? "image");
    return { digest: sha, ref: `${tag.replace(/:[^:/]+$/, "")}@${sha}` };
  },
  "aws:dynamodb/table:Table": ({ name, inputs }, { region }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:dynamodb:${region}:${MOCK_ACCOUNT_ID}:table/${n}`),
  "aws:iam/policy:Policy": ({ name, inputs }) => {
    const n = String(inputs.name ?? autoname(name));
    const arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy${String(inputs.path ?? "/")}${n}`;
    return { id: arn, arn, name: n, policyId: mockId("ANPA", name).toUpperCase() };
  },
  "aws:iam/instanceProfile:InstanceProfile": ({ name, inputs }) => named(inputs.name ?? autoname(name), (n) => `arn:aws:iam::${MOCK_ACCOUNT_ID}:instance-profile/${n}`),
  // An instance's addresses are assigned at launch: the private one is known here, the public one stays unknown.
  "aws:ec2/instance:Instance": ({ name }, { region }) => {
    const id = mockId("i", name);
    return { id, arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:instance/${id}`, privateIp: `10.0.${parseInt(digest(name).slice(0, 2), 16)}.10`, instanceState: "running" };
  },
  "aws:rds/instance:Instance": ({ name, inputs }, { region }) => {
    const id = String(inputs.identifier ?? autoname(name)).toLowerCase();
    return {
      id, identifier: id, arn: `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:db:${id}`, address: `${id}.${RDS_SUFFIX}.${region}.rds.amazonaws.com`,
      endpoint: `${id}.${RDS_SUFFIX}.${region}.rds.amazonaws.com:${String(inputs.port ?? 5432)}`, resourceId: `db-${mockId("", name).slice(1).toUpperCase()}`,
    };
  },
  "aws:apigateway/restApi:RestApi": ({ name }, { region }) => {
    const id = digest(name).slice(0, 10);
    return { id, rootResourceId: digest(`${name}/`).slice(0, 10), executionArn: `arn:aws:execute-api:${region}:${MOCK_ACCOUNT_ID}:${id}`, arn: `arn:aws:apigateway:${region}::/restapis/${id}` };
  },
  "aws:cloudfront/distribution:Distribution": ({ name }) => {
    const id = mockId("E", name).replace("-", "").slice(0, 14).toUpperCase();
    return { id, arn: `arn:aws:cloudfront::${MOCK_ACCOUNT_ID}:distribution/${id}`, domainName: `d${digest(name).slice(0, 13)}.cloudfront.net`, hostedZoneId: "Z2FDTNDATAQYW2" };
  },
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

export function digest(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

export function mockUuid(seed: string): string {
  const h = digest(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An address in AWS's documentation range (TEST-NET-3). */
function mockIp(seed: string): string {
  return `203.0.113.${parseInt(digest(seed).slice(0, 2), 16) % 254 + 1}`;
}

/** `length` letters and digits derived from `seed`. */
export function mockCharacters(seed: string, length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let round = 0; out.length < length; round++) {
    out += [...createHash("sha256").update(`${seed}:${round}`).digest()].map((b) => alphabet[b % alphabet.length]).join("");
  }
  return out.slice(0, length);
}

/** Deterministic, AWS-shaped ids: the same program always gets the same ids, so reports diff cleanly. */
export function mockId(prefix: string, name: string): string {
  return `${prefix}-${digest(name).slice(0, 17)}`;
}

/** `aws:ec2/securityGroup:SecurityGroup` -> service `ec2`, kind `securitygroup`. */
function arnFor(type: string, name: string, region: string): string {
  const [, module = "resource", kind = "resource"] = type.split(/[:/]/);
  return `arn:aws:${module}:${region}:${MOCK_ACCOUNT_ID}:${kind.toLowerCase()}/${name}`;
}

/** Whether the table knows what the provider computes for a type (beyond the generic id and ARN). */
export function hasProviderOutputs(type: string): boolean {
  return type in providerComputed;
}

/**
 * The id and state the provider would report for a resource: its inputs, an id, an ARN and the per-type
 * computed outputs above. Nothing else is invented: an output the table does not know stays unknown in a preview.
 */
export function providerOutputs(args: pulumi.runtime.MockResourceArgs, region: string): { id: string; state: State } {
  const id = args.id || mockId(args.type.split(":").pop()?.toLowerCase().slice(0, 8) ?? "res", args.name);
  const arn = arnFor(args.type, args.name, region);
  const extra = providerComputed[args.type]?.(args, { id, arn, region }) ?? {};
  // A per-type entry may give the id AWS would (vpc-..., a secret's ARN, a cluster identifier).
  const finalId = typeof extra.id === "string" ? extra.id : id;
  return { id: finalId, state: { ...args.inputs, id: finalId, arn, ...extra } };
}

/**
 * The outputs the provider computes for a resource (not given by the program): what the engine sends as
 * unknowns in the preview of a new stack.
 */
export function computedOutputNames(args: pulumi.runtime.MockResourceArgs, region: string): string[] {
  return Object.keys(providerOutputs(args, region).state).filter((key) => !(key in args.inputs)).sort();
}
