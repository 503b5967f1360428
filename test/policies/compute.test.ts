import { ec2, subnet, using } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("compute", {
  "ec2-imdsv2-required": {
    compliant: () => [ec2(), ec2({ metadataOptions: { httpEndpoint: "disabled" } })],
    noncompliant: { "IMDSv1 allowed": () => [ec2({ metadataOptions: { httpTokens: "optional" } })], "not set": () => [ec2({ metadataOptions: undefined })] },
  },
  "ec2-root-volume-encrypted": {
    compliant: () => [ec2({ ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }] })],
    noncompliant: { "root unencrypted": () => [ec2({ rootBlockDevice: undefined })], "data volume unencrypted": () => [ec2({ ebsBlockDevices: [{ deviceName: "/dev/sdf" }] })] },
  },
  "ec2-no-public-ip": {
    compliant: () => {
      const pub = subnet("pub", "us-east-1a", { mapPublicIpOnLaunch: true });
      return [ec2(), pub, using(ec2({ associatePublicIpAddress: false }), pub),
        using(ec2({ associatePublicIpAddress: true, tags: { "readiness:exempt:ec2-no-public-ip": "SSH bastion for the on-call team expires=2999-01-01" } }), pub)];
    },
    noncompliant: {
      "public IP": () => [ec2({ associatePublicIpAddress: true })],
      "unset in a subnet that maps public IPs": () => { const pub = subnet("pub", "us-east-1a", { mapPublicIpOnLaunch: true }); return [pub, using(ec2({ associatePublicIpAddress: undefined }), pub)]; },
    },
  },
});
