// What a user waits for: packs run by the real @pulumi/policy analyzer server, started as the Pulumi CLI starts
// them and spoken to over gRPC like the engine (Remediate and Analyze per resource, then AnalyzeStack once), at
// 1k/10k/50k synthetic resources. Four packs in one run: a one-no-op-rule pack (the protocol's floor),
// @pulumi/awsguard 0.3.1 (installed for this benchmark only, into .bench/), as many tagged no-op rules as the
// readiness pack has (what the server charges for the rule count alone), and the readiness pack. Prints the
// pack process's CPU and the wall time per size, the ratio (readiness - floor) / (awsguard - floor) per size
// (target <= 1.0 at 10k) and readiness's 10k/1k CPU ratio (target <= 12).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { call, launchPack, remediateThenAnalyze, startSession, type RunningPack } from "../gate/engine-protocol/client.ts";
import { analyzeRequest, analyzeStackRequest, type StackContext } from "../gate/engine-protocol/encode.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import type { AnalyzeRequest, AnalyzeResponse, AnalyzeStackRequest } from "@pulumi/pulumi/proto/analyzer_pb.js";
import { syntheticStack } from "./synthetic-stack.ts";

const root = path.resolve(import.meta.dirname, "..");
const work = path.join(root, ".bench");
/** `npm run bench:policy-server -- 10000` measures one size (the 10k ratio needs 10000). */
const SIZES = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [1_000, 10_000, 50_000];
/** Requests in flight at once, as the engine analyzes resources of independent steps concurrently. */
const IN_FLIGHT = 8;
const CLOCK_TICKS_PER_SECOND = 100;
/** Runs per pack at 1k and 10k (50k runs once: it is long and varies less). */
const REPEATS = 3;
const ctx: StackContext = { organization: "bench", project: "bench", stack: "production", dryRun: true, config: {} };

interface Pack { readonly name: string; readonly dir: string; readonly config: Record<string, unknown> }

/** A pack written for the benchmark: `index.js` from `lines`, on the readiness pack's @pulumi/policy and @pulumi/pulumi. */
async function benchPack(packageName: string, name: string, lines: readonly string[]): Promise<Pack> {
  const dir = path.join(work, packageName);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: packageName, version: "0.0.1", private: true, main: "index.js" }));
  await writeFile(path.join(dir, "index.js"), lines.join("\n"));
  if (!existsSync(path.join(dir, "node_modules"))) await symlink(path.join(root, "policies", "node_modules"), path.join(dir, "node_modules"), "dir");
  return { name, dir, config: {} };
}

/** A pack with one rule that does nothing: what the protocol costs before any rule runs. */
function floorPack(): Promise<Pack> {
  return benchPack("floor", "floor (1 no-op rule)", [
    `const { PolicyPack } = require("@pulumi/policy");`,
    `new PolicyPack("floor", { policies: [{ name: "no-op", description: "Does nothing.", enforcementLevel: "advisory", validateResource: () => {} }] });`,
  ]);
}

/**
 * As many rules as the readiness pack, each tagged with a type no resource has, doing nothing: what the server
 * charges per rule before any rule runs (it walks every policy for every resource and answers "not applicable").
 */
function sameCountPack(rules: number): Promise<Pack> {
  return benchPack("same-count", `${rules} tagged no-op rules`, [
    `const { PolicyPack, validateResourceOfType } = require("@pulumi/policy");`,
    `new PolicyPack("same-count", { policies: Array.from({ length: ${rules} }, (_, i) => ({ name: \`no-op-\${i}\`, description: "Does nothing.", enforcementLevel: "advisory",`,
    `  validateResource: validateResourceOfType({ __pulumiType: \`bench:none/type\${i}:None\` }, () => {}) })) });`,
  ]);
}

/** @pulumi/awsguard 0.3.1 with every rule on, installed with npm the first time. */
async function awsguardPack(): Promise<Pack> {
  const dir = path.join(work, "awsguard");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({
    name: "awsguard-bench", version: "0.0.1", private: true, main: "index.js",
    dependencies: { "@pulumi/awsguard": "0.3.1", "@pulumi/policy": "1.21.0", "@pulumi/pulumi": "3.270.0" },
  }, null, 2));
  await writeFile(path.join(dir, "index.js"), `const { AwsGuard } = require("@pulumi/awsguard");\nnew AwsGuard({ all: "advisory" });\n`);
  if (!existsSync(path.join(dir, "node_modules", "@pulumi", "awsguard"))) {
    console.log(`installing @pulumi/awsguard 0.3.1 into ${path.relative(root, dir)} (once) ...`);
    await promisify(execFile)("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, timeout: 600_000 });
  }
  return { name: "@pulumi/awsguard 0.3.1", dir, config: {} };
}

/** User + system CPU seconds of a process so far (all its threads: gRPC, GC, the rules). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

interface Measurement { readonly cpu: number; readonly wall: number; readonly diagnostics: number; readonly rules: number }

/** One size's requests, encoded before any pack runs: the engine's marshalling is not the pack's cost. */
interface EncodedStack { readonly requests: readonly AnalyzeRequest[]; readonly stackRequest: AnalyzeStackRequest }

async function encodedStack(size: number): Promise<EncodedStack> {
  const resources = syntheticStack(size);
  return { requests: await Promise.all(resources.map((r) => analyzeRequest(r))), stackRequest: await analyzeStackRequest(resources) };
}

async function measure(pack: Pack, { requests, stackRequest }: EncodedStack): Promise<Measurement> {
  let running: RunningPack | undefined;
  try {
    running = await launchPack({ packDir: pack.dir, stack: ctx });
    const session = await startSession(running, ctx, pack.config);
    const { client } = running;
    const cpuBefore = await cpuSeconds(running.process.pid!);
    const start = performance.now();
    let diagnostics = 0;
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < requests.length) {
        const req = requests[next++];
        await remediateThenAnalyze(client, req);
        diagnostics += (await call<AnalyzeRequest, AnalyzeResponse>(client, client.analyze, req)).getDiagnosticsList().length;
      }
    }));
    diagnostics += (await call<AnalyzeStackRequest, AnalyzeResponse>(client, client.analyzeStack, stackRequest)).getDiagnosticsList().length;
    const wall = (performance.now() - start) / 1000;
    const cpu = (await cpuSeconds(running.process.pid!)) - cpuBefore;
    return { cpu, wall, diagnostics, rules: session.info.getPoliciesList().length };
  } finally {
    await running?.stop();
  }
}

await mkdir(work, { recursive: true });
const readiness: Pack = { name: "readiness", dir: path.join(root, "policies"), config: await loadPackConfig("production", readinessRules) };
const packs = [await floorPack(), await awsguardPack(), await sameCountPack(readinessRules.length), readiness];
const results = new Map<string, Map<number, Measurement>>();
for (const size of SIZES) {
  // On a shared machine one run's CPU time varies by a fifth: the packs take turns, and each keeps its best run.
  const repeats = size <= 10_000 ? REPEATS : 1;
  const encoded = await encodedStack(size);
  for (let round = 0; round < repeats; round++) {
    for (const pack of packs) {
      const m = await measure(pack, encoded);
      if (!results.has(pack.name)) results.set(pack.name, new Map());
      const best = results.get(pack.name)!.get(size);
      if (best === undefined || m.cpu < best.cpu) results.get(pack.name)!.set(size, m);
    }
  }
  for (const pack of packs) {
    const m = results.get(pack.name)!.get(size)!;
    console.log(`${String(size).padStart(6)} resources  ${pack.name.padEnd(24)} ${String(m.rules).padStart(3)} rules  pack CPU ${m.cpu.toFixed(2).padStart(6)} s  wall ${m.wall.toFixed(2).padStart(6)} s  ${m.diagnostics} diagnostics${repeats > 1 ? ` (best of ${repeats})` : ""}`);
  }
}
const at = (pack: Pack, size: number) => results.get(pack.name)?.get(size)?.cpu ?? Number.NaN;
const [floor, awsguard, sameCount] = packs;
for (const size of SIZES) {
  const share = (pack: Pack) => (at(pack, size) - at(floor, size)) / (at(awsguard, size) - at(floor, size));
  console.log(`at ${size}: (readiness - floor) / (awsguard - floor) pack CPU = ${share(readiness).toFixed(2)}${size === 10_000 ? " (target <= 1.0)" : ""}`);
  console.log(`at ${size}: (${sameCount.name} - floor) / (awsguard - floor) pack CPU = ${share(sameCount).toFixed(2)} (the server's charge for the rule count alone)`);
  if (size === 10_000 && !(share(readiness) <= 1)) process.exitCode = 1;
}
if (SIZES.includes(1_000) && SIZES.includes(10_000)) {
  const growth = at(readiness, 10_000) / at(readiness, 1_000);
  console.log(`readiness 10k/1k pack CPU ratio: ${growth.toFixed(2)} (target <= 12)`);
  if (growth > 12) process.exitCode = 1;
}
