import { origin, reportedUrn, type StackResource } from "../../core/awsx.ts";
import { items, num, text, type Props } from "../../core/inputs.ts";
import { ofTypes, relatedTo } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

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
