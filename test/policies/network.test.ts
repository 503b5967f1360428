import { alb, ec2, ecsService, nat, res, sg, subnet, using, webIngress } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("network", {
  "security-group-no-world-ingress": {
    compliant: () => {
      const lbGroup = sg("alb", []);
      const byId = sg("alb2", webIngress);
      return [
        lbGroup, using(res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "https", { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }), lbGroup),
        using(alb(), lbGroup), byId, alb({ securityGroups: ["sg-alb2"] }),
        sg("app", [{ protocol: "tcp", fromPort: 8000, toPort: 8000, cidrBlocks: ["10.0.0.0/16"] }]),
      ];
    },
    noncompliant: {
      "443 from anywhere on an instance's group": () => [sg("web-instance", webIngress), using(ec2(), sg("other", []))],
      "443 from anywhere through a rule on a group no load balancer uses": () => {
        const group = sg("app", []);
        return [group, using(res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "https", { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }), group)];
      },
      "ssh from anywhere (inline)": () => [res("aws:ec2/securityGroup:SecurityGroup", "sg", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] })],
      "all protocols from ::/0 (rule resource)": () => [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", { ipProtocol: "-1", cidrIpv6: "::/0" })],
      "port range including 443 (legacy rule)": () => [res("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "ingress", protocol: "tcp", fromPort: 0, toPort: 1024, cidrBlocks: ["0.0.0.0/0"] })],
    },
  },
  "nat-gateway-per-az": {
    compliant: () => {
      const vpc = res("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "OnePerAz" } });
      return [subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), nat("nat-a", "a"), nat("nat-b", "b"), ecsService(["a", "b"]), vpc, using(res("aws:ecs/service:Service", "x", {}), vpc),
        // Private subnets that hold only a database, in an AZ without a NAT gateway.
        subnet("db-c", "us-east-1c"), res("aws:rds/instance:Instance", "db", { dbSubnetGroupName: "db" })];
    },
    noncompliant: {
      "one NAT for two AZs with compute in both": () => [subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), nat("nat-a", "a"), ecsService(["a", "b"])],
      "Lambda in a VPC in an AZ without NAT": () => [subnet("a", "us-east-1a"), subnet("b", "us-east-1b"), nat("nat-a", "a"), res("aws:lambda/function:Function", "fn", { vpcConfig: { subnetIds: ["subnet-b"] } })],
      "awsx single NAT strategy used by a service": () => {
        const vpc = res("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "Single" } });
        return [vpc, using(res("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: false } }), vpc)];
      },
    },
  },
});
