import type { Command } from "commander";
import { newRolloutState } from "../../engine/engine.ts";
import { isTerminal } from "../../engine/machine.ts";
import type { RolloutState, Weights } from "../../engine/model.ts";
import type { Target } from "../../engine/ports.ts";
import { formatWeights, sameWeights, STABLE_ONLY } from "../../engine/shift.ts";
import { imageIssues } from "../../targets/index.ts";
import type { CliContext } from "../context.ts";
import { drive } from "../drive.ts";
import { Refusal, ROLLOUT_EXIT } from "../exit-codes.ts";
import { commonIssues, environmentOf, targetOf, withCommon, type CommonOptions } from "../options.ts";
import { planFromFlags, withPlanFlags } from "../plan-flags.ts";
import { lockedTarget } from "../session.ts";
import { errorMessage } from "../../shared/errors.ts";

interface StartOptions extends CommonOptions {
  image?: string;
  reportDir?: string;
  takeOverStale?: boolean;
}

/** `start`: a new rollout of `--image`, run in this process. */
export function defineStart(program: Command, cli: CliContext): void {
  withPlanFlags(withCommon(program.command("start").description("start a rollout of --image")))
    .option("--image <image>", "image (AWS: repo@sha256:digest; local: sample-app:<version>[?fault=value&...], docs/rollout-local.md)")
    .option("--report-dir <dir>", "where reports are written (default .readiness/reports/<env>)")
    .option("--take-over-stale", "take over a lock whose holder is gone")
    .action(
      cli.action(async (options: StartOptions, command: Command) => {
        const result = planFromFlags(options as Readonly<Record<string, unknown>>);
        const issues = [...commonIssues(options, command), ...(result.ok ? [] : result.issues)];
        if (options.image === undefined || options.image.trim() === "" || /\s/.test(options.image)) {
          issues.push({ field: "--image", value: options.image ?? "(missing)", problem: "is required and has no spaces", fix: "give the image to roll out, e.g. --image repo@sha256:<digest>" });
        } else {
          // Before the target starts anything (HAProxy, AWS clients) or a report is written: nothing changes.
          issues.push(...(await imageIssues(targetOf(options), options.image)).map((issue) => ({ field: "--image", value: options.image as string, ...issue })));
        }
        if (cli.refuse("start", issues) || !result.ok) return ROLLOUT_EXIT.refused;
        const environment = environmentOf(options);
        const image = options.image as string;
        const refuseUnfinished = (existing: RolloutState | undefined): RolloutState | undefined => {
          if (existing && !isTerminal(existing.phase)) {
            throw new Refusal(`refused: rollout ${existing.id} of ${existing.image} to ${environment} is ${existing.phase} (${existing.reason ?? "no process is running it"}); \`resume\` or \`abort\` it first`);
          }
          return existing;
        };
        return lockedTarget(cli, options, "start", `rollout start --image ${image}`, refuseUnfinished, async (target, holder, existing, save) => {
          await refuseUnlessStableOnly(target, environment, existing);
          const images = await target.deployer.images();
          // One line a terminal shows whole; `status` and the report have the target's details.
          cli.warn(`rollout ${holder.id}: ${image} to ${environment} (${target.name}); stable runs ${images.stable ?? "(nothing)"}`);
          const state = newRolloutState({ id: holder.id, environment, target: target.name, image, ...(images.stable ? { stableImage: images.stable } : {}), plan: result.plan, holder, now: Date.now() });
          await save(state);
          return drive(cli, target, state, { ...(options.json ? { json: true } : {}), ...(options.reportDir ? { reportDir: options.reportDir } : {}), approved: false });
        });
      }),
    );
}

/** A new rollout starts only from stable 100 / canary 0 on the router: never inherit a split. */
async function refuseUnlessStableOnly(target: Target, environment: string, previous: RolloutState | undefined): Promise<void> {
  let seen: Weights;
  try {
    seen = await target.router.readWeights();
  } catch (error) {
    throw new Refusal(`refused: the router of ${environment} cannot be read (${errorMessage(error)}); a rollout starts only once it shows stable 100 / canary 0. Fix the router (${target.describe().split("\n")[0]}), then start again`);
  }
  if (sameWeights(seen, STABLE_ONLY)) return;
  const fix =
    previous?.phase === "rollback-failed"
      ? `rollout ${previous.id} ended in rollback-failed; finish it with \`npm run rollout -- abort --env ${environment}\` (moves traffic to stable and verifies it), then start again`
      : `move all traffic to stable on the router (${target.describe().split("\n")[0]}), check with \`npm run rollout -- status --env ${environment}\`, then start again`;
  throw new Refusal(`refused: the router of ${environment} shows ${formatWeights(seen)}, not stable 100 / canary 0: a new canary would inherit that traffic. Fix: ${fix}`);
}
