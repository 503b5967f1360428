import type { Props } from "./inputs.ts";

/** An application load balancer that faces the internet (the provider's defaults: application type, not internal). */
export function isInternetFacingAlb(props: Props): boolean {
  return (props.loadBalancerType ?? "application") === "application" && props.internal !== true;
}
