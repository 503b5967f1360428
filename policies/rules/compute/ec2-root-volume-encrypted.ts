import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

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
