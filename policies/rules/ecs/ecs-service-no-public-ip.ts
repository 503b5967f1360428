import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const ecsServiceNoPublicIp = resourceRule({
  name: "ecs-service-no-public-ip",
  area: "ecs",
  severity: "high",
  types: T.ecsService,
  description: "ECS services run in private subnets without public IP addresses.",
  why: "A public IP puts each task on the internet, bypassing the load balancer, the WAF and the security groups meant for it.",
  remediationSteps: "Set `networkConfiguration.assignPublicIp: false` and place tasks in private subnets with NAT egress.",
  check: (props) => props.networkConfiguration?.assignPublicIp === true ? ["assignPublicIp is true"] : [],
});
