import type { Writable } from "node:stream";
import { formatDuration } from "../engine/plan.ts";
import type { Measurement, RolloutEvent, RolloutPlan, Reporter } from "../engine/ports.ts";

/** What the live block lists first when it cannot show every measurement. */
const SEVERITY: Readonly<Record<Measurement["status"], number>> = { fail: 0, error: 1, inconclusive: 2, pass: 3 };

export interface ClosableReporter extends Reporter {
  close(): void;
}

function stamp(at: number): string {
  return new Date(at).toISOString();
}

function measurementLine(measurement: Measurement): string {
  return `${measurement.status.toUpperCase().padEnd(12)} ${measurement.message}`;
}

/** One self-contained line per event: for CI logs, files and `--json` runs (on stderr). */
export function describeEvent(event: RolloutEvent, plan: RolloutPlan): string {
  switch (event.type) {
    case "phase": {
      const { from, to, step, reason } = event.transition;
      const where = step === undefined ? "" : ` step ${step + 1}/${plan.steps.length} (canary ${plan.steps[step]}%)`;
      return `${from} -> ${to}${where}${reason ? `: ${reason}` : ""}`;
    }
    case "weights":
      return `weights stable ${event.record.weights.stable} / canary ${event.record.weights.canary} ${event.record.verified ? "verified" : "NOT VERIFIED"}`;
    case "analysis": {
      // A passing round shows its numbers; any other shows only what did not pass, which is what matters.
      const failing = event.record.measurements.filter((measurement) => measurement.status !== "pass");
      const numbers = event.record.measurements.filter((measurement) => typeof measurement.value === "number" && measurement.analyser === "metrics");
      const details = (failing.length > 0 ? failing : numbers).map((measurement) => measurement.message).join("; ");
      const counted = `${event.record.measurements.length - failing.length}/${event.record.measurements.length} checks passed`;
      return `analysis step ${event.record.step + 1} (canary ${event.record.canaryWeight}%): ${event.record.verdict}, ${counted}, bake left ${formatDuration(event.bakeRemainingMs)}${details ? ` - ${details}` : ""}`;
    }
    case "hook":
      return `hook ${event.hook}: ${event.outcome.ok ? "ok" : "FAILED"} ${event.outcome.message}${event.outcome.logLocation ? ` (log ${event.outcome.logLocation})` : ""}`;
    case "request":
      return `operator ${event.request.kind} from ${event.request.by}${event.request.reason ? `: ${event.request.reason}` : ""}`;
    case "log":
      return `${event.level}: ${event.message}`;
  }
}

export function lineReporter(stream: Writable, plan: RolloutPlan): ClosableReporter {
  return {
    emit: (event) => void stream.write(`${stamp(event.at)} ${describeEvent(event, plan)}\n`),
    close: () => undefined,
  };
}

/**
 * Live view for terminals: a status block (phase, step, weights, time left in the bake, latest measurements)
 * redrawn in place every second, with the event lines scrolling above it.
 */
export function terminalReporter(stream: Writable, plan: RolloutPlan, now: () => number = Date.now): ClosableReporter {
  let phase = "planned";
  let step = -1;
  let weights = "stable 100 / canary 0";
  let bakeEndsAt: number | undefined;
  let latest: readonly Measurement[] = [];
  let drawnLines = 0;

  const block = (): string[] => {
    const stepText = step < 0 ? "-" : `${step + 1}/${plan.steps.length} (canary ${plan.steps[step]}%)`;
    const left = bakeEndsAt === undefined || (phase !== "baking" && phase !== "analysing") ? "" : `   bake left ${formatDuration(Math.max(0, bakeEndsAt - now()))}`;
    return [`\x1b[1m${phase}\x1b[0m   step ${stepText}   ${weights}${left}`, ...[...latest].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]).slice(0, 8).map((measurement) => `  ${measurementLine(measurement)}`)];
  };
  const redraw = (scrolled?: string): void => {
    const clear = drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : "";
    const lines = block();
    drawnLines = lines.length;
    stream.write(`${clear}${scrolled ? `${scrolled}\n` : ""}${lines.join("\n")}\n`);
  };
  const ticker = setInterval(() => redraw(), 1_000);
  ticker.unref();

  return {
    emit(event) {
      if (event.type === "phase") {
        phase = event.transition.to;
        if (event.transition.step !== undefined) step = event.transition.step;
      }
      if (event.type === "weights") weights = `stable ${event.record.weights.stable} / canary ${event.record.weights.canary}${event.record.verified ? "" : " (unverified)"}`;
      if (event.type === "analysis") {
        step = event.record.step;
        latest = event.record.measurements;
        bakeEndsAt = event.at + event.bakeRemainingMs;
      }
      if (event.type === "phase" && event.transition.to === "baking" && event.transition.from === "shifting") bakeEndsAt = event.at + plan.bakeMs;
      redraw(event.type === "analysis" ? undefined : `${stamp(event.at)} ${describeEvent(event, plan)}`);
    },
    close() {
      clearInterval(ticker);
    },
  };
}
