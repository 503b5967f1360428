import { origin, reportedUrn } from "./awsx.ts";
import { ofTypes, relatedTo, resourceRule } from "./rule.ts";
import { T } from "./types.ts";

export const ec2Imdsv2Required = resourceRule({
  name: "ec2-imdsv2-required",
  area: "compute",
  severity: "high",
  types: T.ec2Instance,
  description: "EC2 instances require IMDSv2 (`metadataOptions.httpTokens: \"required\"`) or switch the metadata endpoint off.",
  why: "With IMDSv1, one server-side request forgery in the app (a URL fetcher, an image proxy) reads the instance role's credentials from 169.254.169.254.",
  remediationSteps: "Set `metadataOptions: { httpTokens: \"required\", httpPutResponseHopLimit: 1 }` (2 if containers on the host need the metadata).",
  check: (props) => props.metadataOptions?.httpTokens === "required" || props.metadataOptions?.httpEndpoint === "disabled"
    ? [] : [`metadataOptions.httpTokens is ${props.metadataOptions?.httpTokens ?? "not set (IMDSv1 allowed unless the AMI requires v2)"}`],
});

export const ec2RootVolumeEncrypted = resourceRule({
  name: "ec2-root-volume-encrypted",
  area: "compute",
  severity: "high",
  types: T.ec2Instance,
  description: "EC2 instances encrypt their root volume and every EBS volume they declare inline.",
  why: "Application code, environment files and temporary uploads on an unencrypted volume are readable from any snapshot of it. An account-wide EBS default encryption is outside the stack and cannot be checked here.",
  remediationSteps: "Set `rootBlockDevice: { encrypted: true, kmsKeyId: <platform key> }` and `encrypted: true` on each `ebsBlockDevices` entry.",
  check: (props) => [
    ...(props.rootBlockDevice?.encrypted === true ? [] : ["rootBlockDevice.encrypted is not true"]),
    ...(Array.isArray(props.ebsBlockDevices) ? props.ebsBlockDevices : [])
      .filter((d: { encrypted?: unknown } | null) => d?.encrypted !== true)
      .map((d: { deviceName?: unknown }) => `EBS volume ${String(d?.deviceName ?? "(unnamed)")} is not encrypted`),
  ],
});

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
