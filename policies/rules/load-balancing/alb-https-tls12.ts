import { text } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

/** ELB policies that refuse TLS 1.0/1.1 (names from the ELB documentation). */
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-|TLS13-1-2-Res-)/;

export const albHttpsTls12 = resourceRule({
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
