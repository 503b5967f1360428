import { PolicyPack } from "@pulumi/policy";
import { readinessRules } from "./rules/catalog.ts";

new PolicyPack("readiness", {
  description: "Production-readiness rules for the readiness platform (see docs/policies.md).",
  policies: [...readinessRules],
});
