import { EXIT } from "../cli/exit-codes.ts";
import type { GateReport } from "./judge-stack.ts";

/** 1 when any mandatory violation remains, 0 otherwise (2, "cannot load", is decided before a report exists). */
export function gateExitCode(report: GateReport): 0 | 1 {
  return report.summary.mandatory > 0 ? EXIT.failed : EXIT.ok;
}
