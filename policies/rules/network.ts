import type { PolicyResource } from "@pulumi/policy";
import { items, num, ofTypes, resourceRule, stackRule, text, type Props } from "./rule.ts";
import { T } from "./types.ts";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);
/** Only a load balancer's listeners may face the whole internet. */
const WORLD_PORTS = new Set([80, 443]);

interface IngressSpec { readonly cidrs: string[]; readonly protocol: string; readonly from: number; readonly to: number }

function worldOpenProblem(spec: IngressSpec): string | undefined {
  const world = spec.cidrs.filter((c) => WORLD.has(c));
  if (world.length === 0) return undefined;
  const protocol = spec.protocol.toLowerCase();
  const allProtocols = protocol === "-1" || protocol === "all";
  const ports = spec.from === spec.to ? String(spec.from) : `${spec.from}-${spec.to}`;
  if (!allProtocols && protocol === "tcp" && spec.from === spec.to && WORLD_PORTS.has(spec.from)) return undefined;
  return `ingress from ${world.join(", ")} on ${allProtocols ? "every port" : `${protocol} ${ports}`}`;
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

export const securityGroupNoWorldIngress = resourceRule({
  name: "security-group-no-world-ingress",
  area: "network",
  severity: "critical",
  types: [...T.securityGroup, ...T.ingressRule, ...T.securityGroupRule],
  description: "No security group accepts traffic from 0.0.0.0/0 or ::/0 except TCP 80 and 443 (the load balancer's listeners).",
  why: "Databases, caches, tasks and SSH open to the internet are found by scanners within minutes.",
  remediationSteps: "Reference the source security group (`referencedSecurityGroupId`) instead of a CIDR; only the ALB's security group takes 80/443 from the internet.",
  check: (props, ctx) => ingressSpecs(props, ctx.type).map(worldOpenProblem).filter((p): p is string => p !== undefined),
});

function natGatewayAzProblems(resources: readonly PolicyResource[]): Array<{ message: string; urn?: string }> {
  const subnets = ofTypes(resources, T.subnet);
  const azOfUrn = new Map<string, string>();
  for (const s of subnets) {
    const az = s.props.availabilityZone ?? s.props.availabilityZoneId;
    if (typeof az === "string") azOfUrn.set(s.urn, az);
  }
  const allAzs = new Set(azOfUrn.values());
  const nats = ofTypes(resources, T.natGateway).filter((n) => n.props.connectivityType !== "private");
  if (nats.length === 0 && subnets.length === 0) return [];
  // A NAT gateway's subnet by dependency first: its subnetId (and the subnets' ids) are unknown in a preview of a new stack.
  let azOfId: Map<unknown, string> | undefined;
  const byId = () => (azOfId ??= new Map(subnets.filter((s) => azOfUrn.has(s.urn)).flatMap((s) => [[s.props.id, azOfUrn.get(s.urn)!], [s.props.arn, azOfUrn.get(s.urn)!]])));
  const natAz = (n: PolicyResource) => n.dependencies.map((d) => azOfUrn.get(d.urn)).find((az) => az !== undefined) ?? byId().get(n.props.subnetId);
  const natAzs = new Set(nats.map(natAz).filter((az): az is string => az !== undefined));
  const missing = [...allAzs].filter((az) => !natAzs.has(az)).sort();
  if (missing.length === 0) return [];
  return [{ message: `availability zones ${missing.join(", ")} have subnets but no NAT gateway (${nats.length} NAT gateway(s) for ${allAzs.size} AZs)`, urn: nats[0]?.urn ?? subnets[0]?.urn }];
}

export const natGatewayPerAz = stackRule({
  name: "nat-gateway-per-az",
  area: "network",
  severity: "high",
  environments: ["production"],
  description: "Production has one NAT gateway in every availability zone it has subnets in (raw NAT gateways, and `natGateways.strategy: OnePerAz` on awsx VPCs).",
  why: "With a single NAT gateway, losing its AZ cuts every private task off from AWS APIs and the internet, and cross-AZ traffic is billed.",
  remediationSteps: "Create a NAT gateway in a public subnet of each AZ and route each private subnet to the one in its AZ (awsx: `natGateways: { strategy: \"OnePerAz\" }`).",
  check: (resources) => [
    ...natGatewayAzProblems(resources),
    ...ofTypes(resources, T.awsxVpc)
      .filter((vpc) => (vpc.props.natGateways?.strategy ?? "OnePerAz") !== "OnePerAz")
      .map((vpc) => ({ message: `awsx VPC ${vpc.name} uses natGateways.strategy ${vpc.props.natGateways.strategy}`, urn: vpc.urn })),
  ],
});
