import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const rdsInstanceMultiAz = resourceRule({
  name: "rds-instance-multi-az",
  area: "database",
  severity: "high",
  environments: ["production"],
  types: T.rdsInstance,
  description: "Production RDS DB instances are Multi-AZ (a synchronous standby in another availability zone).",
  why: "A single-AZ instance is down for the whole of an AZ outage or a host failure, and every maintenance reboot is an outage.",
  remediationSteps: "Set `multiAz: true` (a Multi-AZ DB cluster or Aurora also satisfies the need).",
  check: (props) => props.multiAz === true ? [] : ["multiAz is not true"],
});
