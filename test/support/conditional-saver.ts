// A second process writing the rollout state, as the local watchdog does beside the orchestrator: waits for
// `<root>/go`, then saves the state read before, conditional on its version, and prints `won` or `conflict`.
// Usage: conditional-saver.ts <root> <environment>
import fs from "node:fs";
import path from "node:path";
import { StateConflictError } from "../../rollout/engine/ports.ts";
import { FileStateStore } from "../../rollout/store/file-store.ts";

const [root, environment] = process.argv.slice(2) as [string, string];
const store = new FileStateStore({ root });
const read = await store.loadVersioned(environment);
if (read === undefined) throw new Error(`no state of ${environment} under ${root}`);
process.stdout.write("ready\n");
while (!fs.existsSync(path.join(root, "go"))) await new Promise((resolve) => setTimeout(resolve, 1));
try {
  await store.save({ ...read.state, reason: `written by ${process.pid}` }, read.version);
  process.stdout.write("won\n");
} catch (error) {
  if (!(error instanceof StateConflictError)) throw error;
  process.stdout.write("conflict\n");
}
