import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { defineOperatorCommand } from "./operator-request.ts";

export function defineResume(program: Command, cli: CliContext): void {
  defineOperatorCommand(program, cli, "resume", "continue a paused rollout, approve the step awaiting approval, or finish one whose process died");
}
