import type * as pulumi from "@pulumi/pulumi";
import { digest, MOCK_ACCOUNT_ID, mockId, mockUuid, type State } from "./provider-outputs.ts";

/**
 * Answers for the provider functions (data sources) programs call most, typed as the provider returns them.
 * A function not answered here has an unknown result, as an invoke the engine cannot run during a preview:
 * it is never answered with its own inputs.
 */
export type CallResult = (args: pulumi.runtime.MockCallArgs, region: string) => State;

/** `us-east-1` -> `use1`, `ap-southeast-2` -> `apse2`: the prefix of that region's zone ids. */
export function zoneIdPrefix(region: string): string {
  const [area = "us", direction = "east", number = "1"] = region.split("-");
  const short: Record<string, string> = {
    east: "e", west: "w", north: "n", south: "s", central: "c", southeast: "se", northeast: "ne", northwest: "nw", southwest: "sw",
  };
  return `${area}${short[direction] ?? direction.slice(0, 1)}${number}`;
}

/** The account that delivers load balancer access logs, per region (AWS's published list; us-east-1 otherwise). */
const ELB_LOG_ACCOUNTS: Record<string, string> = {
  "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
  "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-central-1": "054676820928", "ap-southeast-2": "783225319266",
};

const DEFAULT_VPC_ID = mockId("vpc", "default");

interface Statement {
  sid?: string; effect?: string; actions?: string[]; notActions?: string[]; resources?: string[]; notResources?: string[];
  principals?: { type: string; identifiers: string[] }[]; notPrincipals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** One value or a list, as the provider renders policy documents. */
function oneOrMany(values: readonly string[]): string | string[] {
  return values.length === 1 ? values[0] : [...values];
}

function principalsOf(list: NonNullable<Statement["principals"]>): unknown {
  if (list.length === 1 && list[0].type === "*" ) return "*";
  return Object.fromEntries(list.map((p) => [p.type, oneOrMany(p.identifiers)]));
}

/** Renders `aws.iam.getPolicyDocument` statements into the IAM JSON the provider returns. */
export function renderPolicyDocument(inputs: Record<string, unknown>): string {
  const statements = (inputs.statements ?? []) as Statement[];
  const rendered = statements.map((s) => {
    const conditions: Record<string, Record<string, string | string[]>> = {};
    for (const c of s.conditions ?? []) (conditions[c.test] ??= {})[c.variable] = oneOrMany(c.values);
    return Object.fromEntries(Object.entries({
      Sid: s.sid, Effect: s.effect ?? "Allow",
      Action: s.actions && oneOrMany(s.actions), NotAction: s.notActions && oneOrMany(s.notActions),
      Resource: s.resources && oneOrMany(s.resources), NotResource: s.notResources && oneOrMany(s.notResources),
      Principal: s.principals && principalsOf(s.principals), NotPrincipal: s.notPrincipals && principalsOf(s.notPrincipals),
      Condition: s.conditions && conditions,
    }).filter(([, v]) => v !== undefined));
  });
  return JSON.stringify({ Version: inputs.version ?? "2012-10-17", ...(inputs.policyId ? { Id: inputs.policyId } : {}), Statement: rendered }, null, 2);
}

const callResults: Record<string, CallResult> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_args, region) => ({
    id: region, names: ["a", "b", "c"].map((z) => `${region}${z}`),
    zoneIds: ["1", "2", "3"].map((z) => `${zoneIdPrefix(region)}-az${z}`), state: "available", groupNames: [region],
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    id: MOCK_ACCOUNT_ID, accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/gate`, userId: "AIDAGATEOFFLINE",
  }),
  "aws:index/getRegion:getRegion": (_args, region) => ({ id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region }),
  "aws:index/getPartition:getPartition": () => ({ id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (args) => {
    const json = renderPolicyDocument(args.inputs);
    return { id: digest(JSON.stringify(args.inputs)).slice(0, 10), json, minifiedJson: JSON.stringify(JSON.parse(json)) };
  },
  "aws:elb/getServiceAccount:getServiceAccount": (_args, region) => {
    const account = ELB_LOG_ACCOUNTS[region] ?? ELB_LOG_ACCOUNTS["us-east-1"];
    return { id: account, arn: `arn:aws:iam::${account}:root`, region };
  },
  "aws:ec2/getVpc:getVpc": (args, region) => {
    const id = String(args.inputs.id ?? DEFAULT_VPC_ID);
    return {
      id, arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:vpc/${id}`, cidrBlock: args.inputs.cidrBlock ?? "172.31.0.0/16",
      default: args.inputs.default ?? id === DEFAULT_VPC_ID, state: "available", ownerId: MOCK_ACCOUNT_ID,
      mainRouteTableId: mockId("rtb", `${id}-main`), enableDnsHostnames: true, enableDnsSupport: true, tags: args.inputs.tags ?? {},
    };
  },
  "aws:ec2/getSubnets:getSubnets": (args, region) => {
    const seed = JSON.stringify(args.inputs);
    return { id: region, ids: ["a", "b", "c"].map((z) => mockId("subnet", `${seed}${z}`)), filters: args.inputs.filters, tags: args.inputs.tags };
  },
  "aws:ec2/getSubnet:getSubnet": (args, region) => {
    const id = String(args.inputs.id ?? mockId("subnet", JSON.stringify(args.inputs)));
    return {
      id, arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:subnet/${id}`, vpcId: args.inputs.vpcId ?? DEFAULT_VPC_ID, cidrBlock: "172.31.0.0/20",
      availabilityZone: args.inputs.availabilityZone ?? `${region}a`, availabilityZoneId: `${zoneIdPrefix(region)}-az1`, mapPublicIpOnLaunch: true,
    };
  },
  "aws:ec2/getSecurityGroup:getSecurityGroup": (args, region) => {
    const id = String(args.inputs.id ?? mockId("sg", JSON.stringify(args.inputs)));
    return { id, arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:security-group/${id}`, name: args.inputs.name ?? "default", vpcId: args.inputs.vpcId ?? DEFAULT_VPC_ID, description: "default VPC security group" };
  },
  // The AMI a real lookup returns changes over time; a stable, well-formed id is what a program can use.
  "aws:ec2/getAmi:getAmi": (args, region) => {
    const id = mockId("ami", JSON.stringify(args.inputs));
    return { id, imageId: id, arn: `arn:aws:ec2:${region}::image/${id}`, architecture: "x86_64", name: "al2023-ami-2023.6-kernel-6.1-x86_64", ownerId: "137112412989", rootDeviceName: "/dev/xvda", state: "available" };
  },
  // The parameter's value lives in the account: the gate gets a placeholder of the right type, secret for a SecureString.
  "aws:ssm/getParameter:getParameter": (args, region) => {
    const name = String(args.inputs.name);
    const arn = `arn:aws:ssm:${region}:${MOCK_ACCOUNT_ID}:parameter/${name.replace(/^\//, "")}`;
    return { id: name, name, arn, type: "String", value: `offline-value-of-${name}`, insecureValue: `offline-value-of-${name}`, version: 1, withDecryption: args.inputs.withDecryption ?? true };
  },
  "aws:organizations/getOrganization:getOrganization": () => {
    const id = `o-${digest("organization").slice(0, 10)}`;
    return {
      id, arn: `arn:aws:organizations::${MOCK_ACCOUNT_ID}:organization/${id}`, masterAccountId: MOCK_ACCOUNT_ID,
      masterAccountArn: `arn:aws:organizations::${MOCK_ACCOUNT_ID}:account/${id}/${MOCK_ACCOUNT_ID}`, masterAccountEmail: "aws@example.com",
      featureSet: "ALL", awsServiceAccessPrincipals: [], enabledPolicyTypes: ["SERVICE_CONTROL_POLICY"],
      accounts: [{ id: MOCK_ACCOUNT_ID, arn: `arn:aws:organizations::${MOCK_ACCOUNT_ID}:account/${id}/${MOCK_ACCOUNT_ID}`, name: "management", email: "aws@example.com", status: "ACTIVE" }],
      nonMasterAccounts: [], roots: [{ id: `r-${digest("root").slice(0, 4)}`, name: "Root", arn: `arn:aws:organizations::${MOCK_ACCOUNT_ID}:root/${id}/r-${digest("root").slice(0, 4)}`, policyTypes: [] }],
    };
  },
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": (args, region) => {
    const registry = `${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`;
    return {
      id: region, userName: "AWS", password: "offline-ecr-token", authorizationToken: Buffer.from("AWS:offline-ecr-token").toString("base64"),
      proxyEndpoint: `https://${registry}`, expiresAt: "2099-01-01T00:00:00Z", registryId: args.inputs.registryId ?? MOCK_ACCOUNT_ID,
    };
  },
  "aws:acm/getCertificate:getCertificate": (args, region) => {
    const arn = `arn:aws:acm:${region}:${MOCK_ACCOUNT_ID}:certificate/${mockUuid(String(args.inputs.domain))}`;
    return { id: arn, arn, domain: args.inputs.domain, status: "ISSUED" };
  },
  "aws:route53/getZone:getZone": (args) => {
    const zoneId = `Z${digest(String(args.inputs.name ?? args.inputs.zoneId)).slice(0, 20).toUpperCase()}`;
    return { id: zoneId, zoneId: args.inputs.zoneId ?? zoneId, name: String(args.inputs.name ?? "example.com").replace(/\.?$/, ""), privateZone: args.inputs.privateZone ?? false, nameServers: ["ns-1.awsdns-00.com"] };
  },
  "aws:kms/getKey:getKey": (args, region) => {
    const keyId = mockUuid(String(args.inputs.keyId));
    return { id: keyId, arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${keyId}`, keyId: args.inputs.keyId, enabled: true, keyManager: "CUSTOMER" };
  },
  "aws:secretsmanager/getSecret:getSecret": (args, region) => {
    const name = String(args.inputs.name ?? args.inputs.arn);
    const arn = String(args.inputs.arn ?? `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:${name}-AbCdEf`);
    return { id: arn, arn, name };
  },
};

/** The answer for a provider function, or undefined when the gate cannot know it offline (the result is unknown). */
export function answerCall(args: pulumi.runtime.MockCallArgs, region: string): State | undefined {
  return callResults[args.token]?.(args, region);
}
