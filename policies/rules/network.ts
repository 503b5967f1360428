import { origin, reportedUrn, type StackResource } from "./awsx.ts";
import { items, num, ofTypes, relatedTo, resourceRule, stackRule, text, type Props } from "./rule.ts";
import { T } from "./types.ts";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);
/** Only a load balancer's listeners may face the whole internet. */
const WORLD_PORTS = new Set([80, 443]);

interface IngressSpec { readonly cidrs: string[]; readonly protocol: string; readonly from: number; readonly to: number }

/** The world-open part of an ingress spec: every CIDR that is the whole internet, and whether only 80/443 are open. */
function worldOpen(spec: IngressSpec): { problem: string; webPortOnly: boolean } | undefined {
  const world = spec.cidrs.filter((c) => WORLD.has(c));
  if (world.length === 0) return undefined;
  const protocol = spec.protocol.toLowerCase();
  const allProtocols = protocol === "-1" || protocol === "all";
  const ports = spec.from === spec.to ? String(spec.from) : `${spec.from}-${spec.to}`;
  const webPortOnly = !allProtocols && protocol === "tcp" && spec.from === spec.to && WORLD_PORTS.has(spec.from);
  return { problem: `ingress from ${world.join(", ")} on ${allProtocols ? "every port" : `${protocol} ${ports}`}`, webPortOnly };
}

function ingressSpecs(props: Props, type: string): IngressSpec[] {
  if (T.securityGroup.includes(type as never)) {
    return items(props.ingress).map((r) => ({
      cidrs: [...strings(r.cidrBlocks), ...strings(r.ipv6CidrBlocks)],
      protocol: text(r.protocol), from: num(r.fromPort), to: num(r.toPort),
    }));
  }
  if (T.securityGroupRule.includes(type as never)) {
    if (props.type !== "ingress") return [];
    return [{ cidrs: [...strings(props.cidrBlocks), ...strings(props.ipv6CidrBlocks)], protocol: text(props.protocol), from: num(props.fromPort), to: num(props.toPort) }];
  }
  return [{
    cidrs: [props.cidrIpv4, props.cidrIpv6].filter((c): c is string => typeof c === "string"),
    protocol: text(props.ipProtocol), from: num(props.fromPort ?? -1), to: num(props.toPort ?? -1),
  }];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

const INGRESS_TYPES = [...T.securityGroup, ...T.ingressRule, ...T.securityGroupRule];

/** The security group an ingress resource opens: itself, or the group a rule resource depends on or names. */
function groupOf(resource: StackResource, groups: readonly StackResource[]): StackResource | undefined {
  if (T.securityGroup.includes(resource.type as never)) return resource;
  return relatedTo(resource, groups, (g) => typeof resource.props.securityGroupId === "string" && resource.props.securityGroupId === g.props.id)[0];
}

/** The groups load balancers use (by dependency first: during a preview of a new stack their ids are unknown). */
function loadBalancerGroups(resources: readonly StackResource[], groups: readonly StackResource[]): Set<StackResource> {
  return new Set(ofTypes(resources, T.loadBalancer).flatMap((lb) =>
    relatedTo(lb, groups, (g) => Array.isArray(lb.props.securityGroups) && lb.props.securityGroups.includes(g.props.id))));
}

export const securityGroupNoWorldIngress = resourceRule({
  name: "security-group-no-world-ingress",
  area: "network",
  severity: "critical",
  types: INGRESS_TYPES,
  description: "No security group accepts traffic from 0.0.0.0/0 or ::/0, except TCP 80 and 443 on a group a load balancer uses.",
  why: "Databases, caches, tasks, instances and SSH open to the internet are found by scanners within minutes; only a load balancer's listeners face the internet.",
  remediationSteps: "Reference the source security group (`referencedSecurityGroupId`) instead of a CIDR; only the load balancer's security group takes 80/443 from the internet (an instance serving the web goes behind an ALB).",
  check: (props, ctx) => ingressSpecs(props, ctx.type).map(worldOpen)
    .filter((o): o is NonNullable<typeof o> => o !== undefined && !o.webPortOnly).map((o) => o.problem),
  // 80/443 from the world is only allowed where a load balancer listens: that needs the whole stack.
  checkStack: (resources) => {
    const groups = ofTypes(resources, T.securityGroup);
    let lbGroups: Set<StackResource> | undefined;
    return ofTypes(resources, INGRESS_TYPES).flatMap((r) => {
      const web = ingressSpecs(r.props, r.type).map(worldOpen).filter((o) => o?.webPortOnly === true);
      const group = web.length > 0 ? groupOf(r, groups) : undefined;
      // A rule whose group is not in the stack cannot be placed; the per-resource check already judged its ports.
      if (group === undefined || (lbGroups ??= loadBalancerGroups(resources, groups)).has(group)) return [];
      return web.map((o) => ({ message: `${o!.problem}, but no load balancer uses security group ${group.name}${origin(r)}`, urn: reportedUrn(r) }));
    });
  },
});

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
