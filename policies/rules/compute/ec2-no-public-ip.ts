import { origin, reportedUrn } from "../../core/awsx.ts";
import { ofTypes, relatedTo } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const ec2NoPublicIp = resourceRule({
  name: "ec2-no-public-ip",
  area: "compute",
  severity: "high",
  types: T.ec2Instance,
  description: "EC2 instances have no public IP address (neither `associatePublicIpAddress` nor a subnet that maps public IPs on launch), unless exempted as a deliberate bastion.",
  why: "An instance with a public address is reachable around the load balancer and the WAF; one open port or weak SSH key is enough. A bastion is the deliberate exception and must carry an exemption with its reason.",
  remediationSteps: "Run the instance in a private subnet behind a load balancer and reach it with SSM Session Manager; for a deliberate bastion tag it `readiness:exempt:ec2-no-public-ip` = `<why> expires=YYYY-MM-DD`.",
  check: (props) => props.associatePublicIpAddress === true ? ["associatePublicIpAddress is true"] : [],
  // An instance without the setting takes its subnet's `mapPublicIpOnLaunch`: only the stack shows which subnet.
  checkStack: (resources) => {
    const subnets = ofTypes(resources, T.subnet);
    return ofTypes(resources, T.ec2Instance)
      .filter((i) => i.props.associatePublicIpAddress === undefined)
      .flatMap((i) => relatedTo(i, subnets, (s) => typeof i.props.subnetId === "string" && i.props.subnetId === s.props.id)
        .filter((s) => s.props.mapPublicIpOnLaunch === true).slice(0, 1)
        .map((s) => ({ message: `launches in subnet ${s.name}, which maps a public IP on launch${origin(i)}`, urn: reportedUrn(i) })));
  },
});
