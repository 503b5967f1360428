import { alb, res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("load-balancing", {
  "alb-http-redirects-to-https": {
    compliant: () => [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443" } }] })],
    noncompliant: {
      "forwards plain HTTP": () => [res("aws:alb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] })],
      "redirects to HTTP": () => [res("aws:lb/listener:Listener", "http", { protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTP" } }] })],
      "no protocol (HTTP by default) forwarding": () => [res("aws:lb/listener:Listener", "l", { port: 8080, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] })],
    },
  },
  "alb-https-tls12": {
    compliant: () => [res("aws:lb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" })],
    noncompliant: {
      "default policy": () => [res("aws:lb/listener:Listener", "https", { protocol: "HTTPS" })],
      "TLS 1.0 policy": () => [res("aws:alb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08" })],
    },
  },
  "alb-access-logs-enabled": {
    compliant: () => [alb()],
    noncompliant: { "no access logs": () => [alb({ accessLogs: undefined })], "disabled": () => [alb({ accessLogs: { bucket: "logs", enabled: false } })] },
  },
  "alb-drop-invalid-headers": {
    compliant: () => [alb(), res("aws:alb/loadBalancer:LoadBalancer", "nlb", { loadBalancerType: "network" })],
    noncompliant: { "not dropped": () => [alb({ dropInvalidHeaderFields: false })], "alias type, unset": () => [res("aws:alb/loadBalancer:LoadBalancer", "a", {})] },
  },
});
