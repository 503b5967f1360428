import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, readinessRules } from "./rules/catalog.ts";

new PolicyPack(PACK_NAME, {
  description: "Production-readiness rules for the readiness platform (see docs/policies.md).",
  policies: [...readinessRules],
});
