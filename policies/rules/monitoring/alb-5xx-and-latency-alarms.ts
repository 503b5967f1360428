import { origin, reportedUrn, type StackResource } from "../../core/awsx.ts";
import { items, text, type Props } from "../../core/inputs.ts";
import { isInternetFacingAlb } from "../../core/load-balancer.ts";
import { ofTypes } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { stackRule } from "../../core/rule.ts";

/**
 * The metrics an alarm watches (metric math included), each with a reader for its LoadBalancer dimension:
 * read only when needed, because during a preview the dimension (an ALB's ARN suffix) is unknown.
 */
function alarmMetrics(alarm: Props): Array<{ metricName: string; loadBalancer: () => string }> {
  const direct = { metricName: text(alarm.metricName), dimensions: alarm.dimensions, loadBalancer: () => text(alarm.dimensions?.LoadBalancer) };
  const queried = items(alarm.metricQueries).map((q) => ({ metricName: text(q.metric?.metricName), dimensions: q.metric?.dimensions, loadBalancer: () => text(q.metric?.dimensions?.LoadBalancer) }));
  // A metric of one target group (the canary's, say) does not watch the rest of the load balancer's traffic.
  return [direct, ...queried].filter((m) => m.metricName !== "" && !hasDimension(m.dimensions, "TargetGroup"));
}

function hasDimension(dimensions: unknown, name: string): boolean {
  return typeof dimensions === "object" && dimensions !== null && name in dimensions;
}

const ALARM_KINDS = [
  { kind: "5xx", matches: (metric: string) => /5XX/i.test(metric) },
  { kind: "latency", matches: (metric: string) => metric === "TargetResponseTime" },
];

export const alb5xxAndLatencyAlarms = stackRule({
  name: "alb-5xx-and-latency-alarms",
  area: "monitoring",
  severity: "high",
  environments: ["production"],
  types: [...T.loadBalancer, ...T.metricAlarm],
  description: "In production every internet-facing ALB has a 5xx alarm and a latency alarm on its LoadBalancer dimension.",
  why: "Users notice errors and slowness first when nothing alarms; the canary rollout also reads these alarms.",
  remediationSteps: "Create CloudWatch alarms on HTTPCode_Target_5XX_Count/HTTPCode_ELB_5XX_Count and TargetResponseTime with `dimensions: { LoadBalancer: alb.arnSuffix }` (the monitoring component does).",
  check: (resources) => {
    // "<load balancer URN or LoadBalancer dimension>|<kind>" for every alarm: one pass, so large stacks stay linear.
    // An alarm that depends on a load balancer watches it; only other alarms need their dimension read.
    // A load balancer derived from an awsx component is watched through the component's outputs.
    const albs = ofTypes(resources, T.loadBalancer);
    const albKey = new Map(albs.flatMap((lb) => [[lb.urn, lb.urn], ...(lb.component ? [[lb.component.urn, lb.urn] as const] : [])]));
    let byDimension = false;
    const watched = new Set(ofTypes(resources, T.metricAlarm).flatMap((alarm) => {
      const watchedAlbs = alarm.dependencies.map((d) => albKey.get(d.urn)).filter((u): u is string => u !== undefined);
      byDimension ||= watchedAlbs.length === 0;
      return alarmMetrics(alarm.props).flatMap((m) => ALARM_KINDS.filter(({ matches }) => matches(m.metricName))
        .flatMap(({ kind }) => (watchedAlbs.length > 0 ? watchedAlbs : [m.loadBalancer()]).map((key) => `${key}|${kind}`)));
    }));
    // An ALB's arnSuffix is unknown in a preview of a new stack: read it only for alarms tied to no ALB by dependency.
    const isWatched = (lb: StackResource, kind: string) => watched.has(`${lb.urn}|${kind}`) || (byDimension && watched.has(`${text(lb.props.arnSuffix)}|${kind}`));
    return albs.filter((lb) => isInternetFacingAlb(lb.props)).flatMap((lb) =>
      ALARM_KINDS.filter(({ kind }) => !isWatched(lb, kind))
        .map(({ kind }) => ({ message: `load balancer ${lb.name} has no ${kind} alarm${origin(lb)}`, urn: reportedUrn(lb) })));
  },
});
