import { res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("exemptions", {
  "exemption-valid": {
    compliant: () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold expires=2999-01-01" } })],
    noncompliant: {
      "expired": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold expires=2001-01-01" } })],
      "reason too short": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "legal expires=2999-01-01" } })],
      "no expiry": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold" } })],
      "unknown rule": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:no-such-rule": "kept for the legal hold expires=2999-01-01" } })],
    },
  },
  "exemptions-listed": {
    compliant: () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 30 })],
    noncompliant: { "a valid exemption is listed": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { tags: { "readiness:exempt:log-group-retention": "kept for the legal hold expires=2999-01-01" } })] },
  },
});
