import { origin, reportedUrn, type StackResource } from "../../core/awsx.ts";
import { ofTypes, relatedTo } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { stackRule } from "../../core/rule.ts";

/** Compute that reaches the internet through a NAT gateway (no public IP of its own), with a lazy reader of its subnet ids. */
function privateCompute(resources: readonly StackResource[]): Array<{ resource: StackResource; subnets: () => unknown[] }> {
  return [
    ...ofTypes(resources, T.ecsService).filter((s) => s.props.networkConfiguration?.assignPublicIp !== true)
      .map((s) => ({ resource: s, subnets: () => asArray(s.props.networkConfiguration?.subnets) })),
    ...ofTypes(resources, T.lambdaFunction).filter((f) => f.props.vpcConfig !== undefined)
      .map((f) => ({ resource: f, subnets: () => asArray(f.props.vpcConfig?.subnetIds) })),
    ...ofTypes(resources, T.ec2Instance).filter((i) => i.props.associatePublicIpAddress !== true)
      .map((i) => ({ resource: i, subnets: () => [i.props.subnetId] })),
  ];
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function natGatewayAzProblems(resources: readonly StackResource[]): Array<{ message: string; urn?: string }> {
  // Private subnets that hold only databases and caches send nothing through a NAT gateway.
  const compute = privateCompute(resources);
  if (compute.length === 0) return [];
  const subnets = ofTypes(resources, T.subnet);
  const azOf = new Map<StackResource, string>();
  for (const s of subnets) {
    const az = s.props.availabilityZone ?? s.props.availabilityZoneId;
    if (typeof az === "string") azOf.set(s, az);
  }
  // Related by dependency first: subnet ids are unknown in a preview of a new stack.
  const bySubnetId = (id: unknown) => (s: StackResource) => typeof id === "string" && id !== "" && (s.props.id === id || s.props.arn === id);
  const nats = ofTypes(resources, T.natGateway).filter((n) => n.props.connectivityType !== "private");
  const natAzs = new Set(nats.flatMap((n) => relatedTo(n, subnets, (s) => bySubnetId(n.props.subnetId)(s)).map((s) => azOf.get(s))).filter((az): az is string => az !== undefined));
  const placed = new Set(compute.flatMap((c) => relatedTo(c.resource, subnets, (s) => c.subnets().some((id) => bySubnetId(id)(s)))));
  // Compute in a public subnet goes out through the internet gateway; compute that cannot be placed (its subnets
  // are not in the stack) may run in any private subnet.
  const used = [...(placed.size > 0 ? placed : subnets)].filter((s) => s.props.mapPublicIpOnLaunch !== true);
  const needed = new Set(used.map((s) => azOf.get(s)).filter((az): az is string => az !== undefined));
  const missing = [...needed].filter((az) => !natAzs.has(az)).sort();
  if (missing.length === 0) return [];
  const at = nats[0] ?? used[0];
  return [{
    message: `availability zones ${missing.join(", ")} run private compute but have no NAT gateway (${nats.length} NAT gateway(s) for ${needed.size} AZs)${origin(at)}`,
    urn: reportedUrn(at),
  }];
}

export const natGatewayPerAz = stackRule({
  name: "nat-gateway-per-az",
  area: "network",
  severity: "high",
  environments: ["production"],
  types: [...T.subnet, ...T.natGateway, ...T.ecsService, ...T.lambdaFunction, ...T.ec2Instance],
  description: "In production every availability zone where private compute (ECS services without public IPs, Lambda functions in a VPC, EC2 instances) runs has its own NAT gateway; awsx VPCs are judged by `natGateways.strategy`. Subnets that hold only databases need none.",
  why: "With a single NAT gateway, losing its AZ cuts every private task off from AWS APIs and the internet, and cross-AZ traffic is billed; databases in isolated subnets never use a NAT, so they do not need one per AZ.",
  remediationSteps: "Create a NAT gateway in a public subnet of each AZ your private compute runs in and route each private subnet to the one in its AZ (awsx: `natGateways: { strategy: \"OnePerAz\" }`).",
  check: natGatewayAzProblems,
});
