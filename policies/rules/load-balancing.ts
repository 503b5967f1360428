import { items, num, resourceRule, text, type Props } from "./rule.ts";
import { T } from "./types.ts";

export const httpListenerRedirects = resourceRule({
  name: "alb-http-redirects-to-https",
  area: "load-balancing",
  severity: "high",
  types: T.listener,
  description: "Plain HTTP listeners (a listener without `protocol` is HTTP) only redirect to HTTPS; they never forward to targets.",
  why: "Forwarded HTTP traffic carries session cookies and credentials in cleartext.",
  remediationSteps: "Give the port 80 listener a single default action `{ type: \"redirect\", redirect: { protocol: \"HTTPS\", port: \"443\", statusCode: \"HTTP_301\" } }`.",
  check: (props) => {
    // The provider's default protocol for an application load balancer's listener is HTTP.
    if ((props.protocol ?? "HTTP") !== "HTTP") return [];
    const actions = items(props.defaultActions);
    const ok = actions.length > 0 && actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
    return ok ? [] : [`HTTP listener on port ${num(props.port)} does ${actions.map((a) => text(a.type)).join(", ") || "nothing"} instead of redirecting to HTTPS`];
  },
});

/** ELB policies that refuse TLS 1.0/1.1 (names from the ELB documentation). */
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-|TLS13-1-2-Res-)/;

export const httpsListenerTls12 = resourceRule({
  name: "alb-https-tls12",
  area: "load-balancing",
  severity: "high",
  types: T.listener,
  description: "HTTPS and TLS listeners use a security policy that refuses anything older than TLS 1.2.",
  why: "The default ELB policy still accepts TLS 1.0/1.1, which have known downgrade attacks and fail PCI DSS.",
  remediationSteps: "Set `sslPolicy: \"ELBSecurityPolicy-TLS13-1-2-2021-06\"` (or another TLS13-1-2/TLS-1-2 policy).",
  check: (props) => {
    if (props.protocol !== "HTTPS" && props.protocol !== "TLS") return [];
    const policy = text(props.sslPolicy);
    return TLS12_POLICY.test(policy) ? [] : [`${props.protocol} listener uses ${policy || "the default policy"}, which allows TLS older than 1.2`];
  },
});

export function isInternetFacingAlb(props: Props): boolean {
  return (props.loadBalancerType ?? "application") === "application" && props.internal !== true;
}

export const albAccessLogs = resourceRule({
  name: "alb-access-logs-enabled",
  area: "load-balancing",
  severity: "high",
  types: T.loadBalancer,
  description: "Application load balancers write access logs to S3.",
  why: "Without access logs there is no record of who sent which request when investigating an incident or a 5xx spike.",
  remediationSteps: "Set `accessLogs: { bucket: <log bucket>, enabled: true }` (the bucket policy must allow the ELB log delivery service).",
  check: (props) => props.loadBalancerType === "network" || (props.accessLogs?.enabled === true && typeof props.accessLogs?.bucket === "string" && props.accessLogs.bucket !== "")
    ? [] : ["access logs are not enabled"],
});

export const albDropInvalidHeaders = resourceRule({
  name: "alb-drop-invalid-headers",
  area: "load-balancing",
  severity: "high",
  types: T.loadBalancer,
  description: "Application load balancers drop HTTP headers with invalid names.",
  why: "Malformed headers are the raw material of request smuggling and header-injection attacks against the app behind the ALB.",
  remediationSteps: "Set `dropInvalidHeaderFields: true`.",
  check: (props) => (props.loadBalancerType ?? "application") !== "application" || props.dropInvalidHeaderFields === true
    ? [] : ["dropInvalidHeaderFields is not true"],
});
