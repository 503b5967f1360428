import type { Command } from "commander";
import { estimatedDurationMs } from "../../engine/plan.ts";
import type { CliContext } from "../context.ts";
import { ROLLOUT_EXIT } from "../exit-codes.ts";
import { commonIssues, environmentOf, targetOf, withCommon, type CommonOptions } from "../options.ts";
import { planFromFlags, withPlanFlags } from "../plan-flags.ts";
import { planLines } from "../render.ts";

/** `plan`: the steps and the estimated duration; changes nothing. */
export function definePlan(program: Command, cli: CliContext): void {
  withPlanFlags(withCommon(program.command("plan").description("print the steps and the estimated duration; changes nothing"))).action(
    cli.action(async (options: CommonOptions, command: Command) => {
      const result = planFromFlags(options as Readonly<Record<string, unknown>>);
      if (cli.refuse("plan", [...commonIssues(options, command), ...(result.ok ? [] : result.issues)]) || !result.ok) return ROLLOUT_EXIT.refused;
      if (options.json) cli.print(JSON.stringify({ target: targetOf(options), environment: environmentOf(options), plan: result.plan, estimatedDurationMs: estimatedDurationMs(result.plan) }, null, 2));
      else cli.print([`plan for ${environmentOf(options)} on the ${targetOf(options)} target:`, ...planLines(result.plan)].join("\n"));
      return ROLLOUT_EXIT.ok;
    }),
  );
}
