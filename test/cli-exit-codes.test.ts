import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Rehearsal } from "../rollout/targets/local/rehearsal.ts";
import { readLoopbackSite } from "../rollout/targets/local/site.ts";
import { waitFor } from "../rollout/shared/processes.ts";
import type { RolloutState } from "../rollout/engine/model.ts";
import { processesOf } from "../rollout/targets/local/processes.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { useE2eFixture } from "./support/e2e-fixture.ts";
import { runScript } from "./support/scripts.ts";
import type { ScriptOptions, ScriptRun } from "./support/scripts.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
/** The real script, as `npm run <script> -- <args>` runs it (tsx), in `cwd`, with CI=1. */
function run(script: string, args: readonly string[], options: ScriptOptions = {}): Promise<ScriptRun> {
  return runScript(script, args, { ...options, env: { CI: "1", ...options.env } });
}

function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `exit-codes-${name}-`));
}

/** A Pulumi program dir around `main` with one stack file. */
function programDir(name: string, main: string, stack: string, stackYaml: string): string {
  const dir = tmpDir(name);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: ${main}\n`);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackYaml);
  return dir;
}

function expectCode(result: ScriptRun, code: number, output?: RegExp): void {
  assert.equal(result.code, code, result.out);
  if (output) assert.match(result.out, output);
}

describe("one exit-code contract for every command (docs/cli.md)", function () {
  this.timeout(180_000);

  describe("gate", () => {
    it("0: no mandatory violation", async () => {
      const dir = programDir("clean", "index.ts", "production", "config:\n  aws:region: us-east-1\n");
      fs.writeFileSync(path.join(dir, "index.ts"), 'export const nothing = "no resources";\n');
      // The gate loads the Pulumi SDK the program resolves, as the language host would.
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      expectCode(await run("gate.ts", ["--stack", "production", "--dir", dir]), EXIT.ok, /PASSED/);
    });

    it("1: mandatory violations; the SARIF results point at the lines that declare the resources", async () => {
      const out = path.join(tmpDir("sarif"), "insecure.sarif");
      expectCode(await run("gate.ts", ["--stack", "production", "--dir", "examples/insecure", "--format", "sarif", "--out", out]), EXIT.failed);
      const sarif = JSON.parse(fs.readFileSync(out, "utf8")) as { runs: [{ results: { ruleId: string; message: { text: string }; locations: [{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }] }[] }] };
      const source = fs.readFileSync(path.join(ROOT, "examples/insecure/index.ts"), "utf8").split("\n");
      const results = sarif.runs[0].results.filter((r) => /^\S+ \(aws:/.test(r.message.text));
      assert.ok(results.length >= 10, `${results.length} resource results`);
      const lines = new Set<number>();
      for (const result of results) {
        const { artifactLocation, region } = result.locations[0].physicalLocation;
        assert.equal(artifactLocation.uri, "examples/insecure/index.ts");
        const name = /^(\S+) \(/.exec(result.message.text)?.[1] ?? "";
        // The line constructs that resource: `new aws.x.Y("<name>"` (or the call that builds it starts there).
        assert.ok(source[region.startLine - 1]?.includes(`"${name}"`), `${result.ruleId} ${name} at line ${region.startLine}: ${source[region.startLine - 1]}`);
        lines.add(region.startLine);
      }
      assert.ok(lines.size >= 8, "results are spread over the program, not stacked on line 1");
      // The fix names the program's own config key behind the offending value, with the stack.
      const image = sarif.runs[0].results.find((r) => r.ruleId === "image-pinned-by-digest");
      assert.match(image?.message.text ?? "", /comes from config `insecure-example:image`: pulumi config set insecure-example:image <value> -s production/);
    });

    it("2: usage errors, with the nearest option suggested; nothing is checked", async () => {
      const [help, missing, typo, format] = await Promise.all([
        run("gate.ts", ["--help"]),
        run("gate.ts", []),
        run("gate.ts", ["--stakc", "production"]),
        run("gate.ts", ["--stack", "production", "--format", "html"]),
      ]);
      expectCode(help, EXIT.ok, /--out <file>/);
      expectCode(missing, EXIT.badInput, /required option '--stack <stack>' not specified/);
      expectCode(typo, EXIT.badInput, /'--stakc' is not an option of this command; did you mean --stack\?/);
      expectCode(format, EXIT.badInput, /Allowed choices are text, json, sarif, junit/);
    });

    it("2: --out to a directory or a missing directory is refused first, saying how to fix it", async () => {
      const dir = tmpDir("out");
      const [isDir, noParent] = await Promise.all([
        run("gate.ts", ["--stack", "production", "--out", dir]),
        run("gate.ts", ["--stack", "production", "--out", path.join(dir, "missing", "r.sarif")]),
      ]);
      expectCode(isDir, EXIT.badInput, /is a directory; give a file name in it, e\.g\. --out .*readiness\.sarif; nothing was checked/);
      expectCode(noParent, EXIT.badInput, /does not exist; create it first \(mkdir -p .*missing\)/);
      assert.doesNotMatch(isDir.out + noParent.out, /EISDIR|ENOENT/);
    });

    it("2: invalid or insecure stack config; every format is still written, results at the stack file's keys", async () => {
      const production = fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8")
        .replace("    - https://app.example.com", '    - "*"')
        .replace("  readiness:alarmEmail:", "  readiness:databse:\n    instances: 2\n  readiness:alarmEmail:");
      const dir = programDir("readiness", path.join(ROOT, "index.ts"), "production", production);
      const stackLines = production.split("\n");
      const out = tmpDir("reports");
      const runs = await Promise.all((["sarif", "json", "junit", "text"] as const).map((format) =>
        run("gate.ts", ["--stack", "production", "--dir", dir, "--format", format, "--out", path.join(out, `report.${format}`)])));
      for (const result of runs) expectCode(result, EXIT.badInput, /report of these problems written to/);
      assert.match(runs[0].out, /`databse`: did you mean `database`\?/);
      const sarif = JSON.parse(fs.readFileSync(path.join(out, "report.sarif"), "utf8")) as { runs: [{ results: { ruleId: string; message: { text: string }; locations: [{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }] }[] }] };
      const byKey = new Map(sarif.runs[0].results.map((r) => [r.message.text.split(" = ")[0], r]));
      for (const [key, expected] of [["readiness:corsOrigins", "readiness:corsOrigins:"], ["readiness:databse", "readiness:databse:"]]) {
        const result = byKey.get(key);
        assert.ok(result, `a result for ${key}: ${[...byKey.keys()].join(", ")}`);
        assert.equal(result.ruleId, "stack-config-valid");
        const { artifactLocation, region } = result.locations[0].physicalLocation;
        assert.ok(artifactLocation.uri.endsWith("Pulumi.production.yaml"));
        assert.equal(stackLines[region.startLine - 1]?.trim(), expected);
      }
      assert.match(byKey.get("readiness:corsOrigins")?.message.text ?? "", /-s production/);
      assert.match(fs.readFileSync(path.join(out, "report.junit"), "utf8"), /<failure message="2 mandatory violation\(s\)"/);
      assert.equal((JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8")) as { summary: { mandatory: number } }).summary.mandatory, 2);
      assert.match(fs.readFileSync(path.join(out, "report.text"), "utf8"), /Pulumi\.production\.yaml:\d+[\s\S]*NOT CHECKED: no resource was checked/);
    });
  });

  describe("rollout", () => {
    it("0: plan, --help; 2: unknown option (suggested), unknown command (commands listed)", async () => {
      const [help, plan, typo, command] = await Promise.all([
        run("rollout.ts", ["start", "--help"]),
        run("rollout.ts", ["plan", "--steps", "10,100"]),
        run("rollout.ts", ["plan", "--stpes", "10,100"]),
        run("rollout.ts", ["strat"]),
      ]);
      expectCode(help, EXIT.ok, /--image <image>/);
      expectCode(plan, EXIT.ok, /estimated duration/);
      expectCode(typo, EXIT.badInput, /--stpes.*did you mean --steps\?/);
      expectCode(command, EXIT.badInput, /unknown command 'strat'[\s\S]*commands: plan, start, status, abort, promote, resume/);
    });

    it("2: an image the local target cannot run, before HAProxy starts or a report is written", async () => {
      const cwd = tmpDir("image");
      expectCode(await run("rollout.ts", ["start", "--image", "nginx:latest"], { cwd }), EXIT.badInput, /--image.*the local target runs the sample app/);
      assert.deepEqual(fs.readdirSync(cwd), [], "nothing was created: no .readiness, no reports");
    });

    it("2: the aws target without a Pulumi CLI, saying how to install it", async () => {
      const bin = tmpDir("bin");
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const result = await run("rollout.ts", ["status", "--stack", "production"], { env: { PATH: bin } });
      expectCode(result, EXIT.badInput, /`pulumi` is not on PATH\. Install it .*get\.pulumi\.com/);
    });

    it("2: a damaged state file, changing nothing", async () => {
      const cwd = tmpDir("state");
      const state = path.join(cwd, ".readiness", "rollouts", "local", "state.json");
      fs.mkdirSync(path.dirname(state), { recursive: true });
      fs.writeFileSync(state, '{"id": "r1", "phase": "bak');
      expectCode(await run("rollout.ts", ["status"], { cwd }), EXIT.badInput, /nothing was changed/);
      assert.equal(fs.readFileSync(state, "utf8"), '{"id": "r1", "phase": "bak');
    });

    describe("on a real loopback site", () => {
      const e2e = useE2eFixture({ prefix: "e2e", titleLength: 30, cliTimeoutMs: 60_000 });
      const flags = () => ["--target", "local", "--env", e2e.environment, "--steps", "10,100", "--bake", "1s", "--interval", "500ms", "--verify-timeout", "1s"];
      beforeEach(() => e2e.rehearse({ stableImage: "sample-app:1.0.0", ratePerSecond: 100, maxDurationS: 60 }));

      it("3: paused for a person (approval required, no terminal); then 1: aborted, rolled back", async () => {
        expectCode(await run("rollout.ts", ["start", ...flags(), "--image", "sample-app:2.0.0", "--require-approval", "--report-dir", tmpDir("reports")]), EXIT.needsHuman, /paused|awaiting/);
        expectCode(await run("rollout.ts", ["abort", "--env", e2e.environment, "--report-dir", tmpDir("reports")]), EXIT.failed);
      });

      it("4: the rollback cannot be verified (the router died mid-rollout)", async () => {
        const haproxyPid = readLoopbackSite((e2e.rehearsal as Rehearsal).dir).haproxyPid;
        const result = await run("rollout.ts", ["start", ...flags(), "--image", "sample-app:2.0.0", "--non-interactive", "--report-dir", tmpDir("reports")], {
          onOutput: (all) => {
            if (/weights stable 90 \/ canary 10 verified/.test(all)) {
              try {
                process.kill(haproxyPid, "SIGKILL");
              } catch {
                // already gone
              }
            }
          },
        });
        expectCode(result, EXIT.unsafe, /ROLLBACK NOT VERIFIED/);
        await waitFor("haproxy to be gone", 2_000, () => { try { process.kill(haproxyPid, 0); return undefined; } catch { return true; } });
      });
    });
  });

  describe("docs and demo scripts", () => {
    it("docs:policies --check: 0 up to date, 1 stale, 2 bad input", async () => {
      const stale = path.join(tmpDir("docs"), "policies.md");
      fs.writeFileSync(stale, "# old\n");
      const [fresh, old, bad] = await Promise.all([run("policy-docs.ts", ["--check"]), run("policy-docs.ts", ["--check", "--doc", stale]), run("policy-docs.ts", ["--chekc"])]);
      expectCode(fresh, EXIT.ok, /up to date/);
      expectCode(old, EXIT.failed, /is stale: run `npm run docs:policies`/);
      expectCode(bad, EXIT.badInput, /did you mean --check\?/);
    });

    it("demo: 0 when the healthy version was promoted and the failing one rolled back; its lines fit 120 columns", async () => {
      const demo = await run("demo.ts", [], { timeoutMs: 170_000 });
      expectCode(demo, EXIT.ok, /healthy\s+sample-app:2\.0\.0\s+exit 0 \(promoted\)[\s\S]*failing\s+sample-app:3\.0\.0\?error-rate=0\.3\s+exit 1 \(rolled back\)/);
      // The live lines (time-stamped, their continuations) and the demo's own lines; the report's evidence table is the report's.
      const live = demo.out.split("\n").filter((line) => /^(\d\d:\d\d:\d\d\.\d{3} | {13}\S|demo| {2}(healthy|failing|outside|load in total))/.test(line));
      assert.ok(live.length > 20, demo.out);
      for (const line of live) assert.ok(line.length <= 120, `${line.length} columns: ${line}`);
      const reason = /^reason: (.+)$/m.exec(demo.out)?.[1] ?? "";
      assert.ok(reason.length > 10, demo.out);
      const unwrapped = demo.out.replace(/\n {13}/g, " ");
      assert.equal(unwrapped.split(reason).length - 1, 2, `the rollback's reason once live and once in the summary table:\n${demo.out}`);
    });

    it("demo: 1 on Ctrl-C mid-rollout, after the rollout was rolled back (verified) and everything it started was stopped", async () => {
      const site = path.join(ROOT, ".readiness", "local", "demo");
      let running: number[] = [];
      const demo = await run("demo.ts", [], {
        timeoutMs: 120_000,
        interrupt: { when: /weights stable 90 \/ canary 10 verified/, signal: "SIGINT" },
        onOutput: (out) => {
          if (running.length === 0 && /weights stable 90 \/ canary 10 verified/.test(out)) running = processesOf(site);
        },
      });
      expectCode(demo, EXIT.failed, /SIGINT: rolling back what runs and stopping everything the demo started/);
      assert.ok(running.length >= 3, `haproxy, stable and canary (and the watchdog) ran when the signal was sent:\n${demo.out}`);
      assert.deepEqual(processesOf(site), [], `nothing the demo started still runs:\n${demo.out}`);
      const state = JSON.parse(fs.readFileSync(path.join(ROOT, ".readiness", "rollouts", "demo", "state.json"), "utf8")) as RolloutState;
      assert.equal(state.phase, "aborted", demo.out);
      assert.deepEqual(state.weights, { stable: 100, canary: 0 }, "the last verified weights are stable only");
      assert.doesNotMatch(demo.out, /healthy\s+sample-app:2\.0\.0\s+exit/, "no summary claims an outcome for the interrupted demo");
    });

    it("demo: 2 for an argument it does not take; pretest/predemo: 2 when HAProxy is missing and cannot be installed", async () => {
      const bin = tmpDir("nohaproxy");
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const [help, demo, haproxy] = await Promise.all([run("demo.ts", ["--help"]), run("demo.ts", ["--fast"]), run("ensure-haproxy.ts", [], { env: { PATH: bin } })]);
      expectCode(help, EXIT.ok, /one version promoted, one rolled back/);
      expectCode(demo, EXIT.badInput, /'--fast' is not an option/);
      expectCode(haproxy, EXIT.badInput, /haproxy is not installed.*Install it with/);
    });
  });
});
