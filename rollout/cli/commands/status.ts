import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { ROLLOUT_EXIT } from "../exit-codes.ts";
import { commonIssues, environmentOf, withCommon, type CommonOptions } from "../options.ts";
import { formatStatus } from "../render.ts";
import { withTarget } from "../session.ts";

/** `status`: the rollout of an environment, from any shell; 2 when none was ever recorded. */
export function defineStatus(program: Command, cli: CliContext): void {
  withCommon(program.command("status").description("show the rollout of an environment (from any shell)")).action(
    cli.action(async (options: CommonOptions, command: Command) => {
      if (cli.refuse("status", commonIssues(options, command))) return ROLLOUT_EXIT.refused;
      const environment = environmentOf(options);
      return withTarget(cli, options, "status", async (target) => {
        const [state, lock] = await Promise.all([target.store.load(environment), target.store.readLock(environment)]);
        if (!state) {
          if (options.json) cli.print(JSON.stringify({ environment, state: null, lock: lock ?? null }));
          else cli.print(`no rollout recorded for ${environment} in ${target.store.describe()}`);
          return ROLLOUT_EXIT.refused;
        }
        cli.print(options.json ? JSON.stringify({ environment, state, lock: lock ?? null }, null, 2) : formatStatus(state, lock));
        return ROLLOUT_EXIT.ok;
      });
    }),
  );
}
