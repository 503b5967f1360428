import { res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

const policyDoc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

ruleCases("iam", {
  "iam-no-service-wildcard": {
    compliant: () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }) }), res("aws:iam/policy:Policy", "scoped", { policy: policyDoc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::media/*" }) })],
    noncompliant: {
      "s3:* on *": () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["logs:CreateLogStream", "s3:*"], Resource: ["*"] }) })],
      "logs:* on * in a role's inline policy": () => [res("aws:iam/role:Role", "r", { inlinePolicies: [{ name: "logs", policy: policyDoc({ Effect: "Allow", Action: "logs:*", Resource: "*" }) }] })],
    },
  },
  "iam-no-star-on-star": {
    compliant: () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }) }), res("aws:iam/policy:Policy", "deny", { policy: policyDoc({ Effect: "Deny", Action: "*", Resource: "*" }) })],
    noncompliant: { "admin role policy": () => [res("aws:iam/rolePolicy:RolePolicy", "p", { policy: policyDoc({ Effect: "Allow", Action: "*", Resource: "*" }) })], "admin managed policy (list form)": () => [res("aws:iam/policy:Policy", "p", { policy: policyDoc({ Effect: "Allow", Action: ["*"], Resource: ["*"] }) })],
      "admin in a role's inline policy": () => [res("aws:iam/role:Role", "r", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "admin", policy: policyDoc({ Effect: "Allow", Action: "*", Resource: "*" }) }] })] },
  },
});
