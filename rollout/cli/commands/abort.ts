import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { defineOperatorCommand } from "./operator-request.ts";

export function defineAbort(program: Command, cli: CliContext): void {
  defineOperatorCommand(program, cli, "abort", "roll the running (or paused, or orphaned) rollout back");
}
