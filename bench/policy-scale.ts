// Synthetic stacks of 1,000 / 10,000 / 50,000 resources through every readiness rule, via the same
// harness the gate uses. Prints resources/s, the 10k/1k time ratio (linearity) and memory.
import { performance } from "node:perf_hooks";
import { readinessRules } from "../policies/rules/catalog.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { runPolicies } from "../gate/policy-harness.ts";
import { syntheticStack as stack } from "./synthetic-stack.ts";

const config = await loadPackConfig("production", readinessRules);
const policies = [...readinessRules];
const timings = new Map<number, number>();
// Warm-up so the first measured size does not pay for JIT compilation.
await runPolicies(policies, stack(1_000), { config, recordNotApplicable: false });

for (const size of [1_000, 10_000, 50_000]) {
  const resources = stack(size);
  const start = performance.now();
  const { findings } = await runPolicies(policies, resources, { config, recordNotApplicable: false });
  const ms = performance.now() - start;
  timings.set(size, ms);
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(`${String(size).padStart(6)} resources x ${policies.length} rules: ${ms.toFixed(0).padStart(6)} ms, ${Math.round(size / (ms / 1000)).toLocaleString("en-US")} resources/s, ${findings.length} findings, heap ${heapMb.toFixed(0)} MB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
}
const ratio = timings.get(10_000)! / timings.get(1_000)!;
const tenK = timings.get(10_000)!;
console.log(`10k/1k time ratio: ${ratio.toFixed(2)} (target <= 12); 10k in ${tenK.toFixed(0)} ms (target < 1000 ms)`);
if (ratio > 12 || tenK >= 1000) process.exitCode = 1;
