import { items, num, text } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const albHttpRedirectsToHttps = resourceRule({
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
