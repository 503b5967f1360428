/**
 * Runs one Pulumi program under the gate's mocks, in its own process, as the Node.js language host would:
 * in the program's directory, on the program's own @pulumi/pulumi, loaded with `require` (CommonJS) or
 * `import()` (ES module), as a preview, TypeScript through tsx. Started by program-process.ts; answers over the
 * IPC channel.
 */
import path from "node:path";
import { register as registerCommonJs } from "tsx/cjs/api";
import { register as registerModules } from "tsx/esm/api";
import { awsMocks } from "./mocks.ts";
import { failureOf, type HostReply, type HostRequest } from "./program-process.ts";
import { loadSdk, runProgramUnderMocks } from "./program-runner.ts";

const request = JSON.parse(process.env.READINESS_GATE_PROGRAM ?? "{}") as HostRequest;
// The gate went away (Ctrl-C, a killed test run): so does the program.
process.on("disconnect", () => process.exit(1));
// An error thrown inside an apply surfaces here, after the program's own code returned.
const late: unknown[] = [];
process.on("uncaughtException", (err) => late.push(err));
process.on("unhandledRejection", (err) => late.push(err));

let reply: HostReply;
try {
  // This file runs on Node's own type stripping; tsx's hooks (for the program's TypeScript) cost about 1 s of
  // CPU on every module loaded after them, so the SDK is loaded first and tsx registered only for the program.
  const sdk = loadSdk(path.dirname(request.entry));
  registerCommonJs();
  registerModules();
  const run = await runProgramUnderMocks({
    project: request.project, stack: request.stack, config: request.config, organization: request.organization,
    mocks: awsMocks(request.region), program: request.entry, kind: request.kind, preview: true, ownProcess: true, sdk,
  });
  if (late.length > 0) throw late[0];
  reply = { ok: true, run };
} catch (err) {
  reply = { ok: false, failure: failureOf(late[0] ?? err, request.root) };
}
process.send?.(reply, () => process.exit(0));
