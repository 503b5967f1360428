import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { defineOperatorCommand } from "./operator-request.ts";

export function definePromote(program: Command, cli: CliContext): void {
  defineOperatorCommand(program, cli, "promote", "skip the remaining steps and promote the canary");
}
