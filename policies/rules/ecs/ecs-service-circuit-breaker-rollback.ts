import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const ecsServiceCircuitBreakerRollback = resourceRule({
  name: "ecs-service-circuit-breaker-rollback",
  area: "ecs",
  severity: "high",
  types: T.ecsService,
  description: "ECS services using the ECS deployment controller have the deployment circuit breaker on with rollback.",
  why: "Without it, a task that never becomes healthy keeps a deployment retrying for hours instead of rolling back.",
  remediationSteps: "Set `deploymentCircuitBreaker: { enable: true, rollback: true }`.",
  check: (props) => {
    const controller = props.deploymentController?.type ?? "ECS";
    if (controller !== "ECS") return [];
    const breaker = props.deploymentCircuitBreaker;
    return breaker?.enable === true && breaker?.rollback === true ? [] : ["the deployment circuit breaker with rollback is not enabled"];
  },
});
