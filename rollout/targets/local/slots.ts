import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { faultProfileToEnvironment } from "../../shared/fault-profile.ts";
import type { ServerRole } from "./haproxy-config.ts";
import { parseLocalImage } from "./image.ts";
import { freePort, GaveUpWaiting, isProcessAlive, spawnDetached, tail, waitFor } from "../../shared/processes.ts";
import { LOCAL_DIR_VARIABLE } from "./processes.ts";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SAMPLE_APP = path.join(PROJECT_ROOT, "examples/app/server.ts");

/** The app process behind one HAProxy server (role). After a promotion both roles name the same process. */
export const slotRecordSchema = z.object({
  image: z.string(),
  version: z.string(),
  pid: z.number().int(),
  port: z.number().int(),
  logPath: z.string(),
});
export type SlotRecord = z.output<typeof slotRecordSchema>;

export function slotFiles(dir: string) {
  const file = (role: ServerRole): string => path.join(dir, `slot-${role}.json`);
  return {
    read(role: ServerRole): SlotRecord | undefined {
      if (!fs.existsSync(file(role))) return undefined;
      return slotRecordSchema.parse(JSON.parse(fs.readFileSync(file(role), "utf8")));
    },
    write(role: ServerRole, record: SlotRecord): void {
      // Write-then-rename: a process killed mid-write must not leave a half file for `resume` to choke on.
      fs.writeFileSync(`${file(role)}.tmp`, JSON.stringify(record));
      fs.renameSync(`${file(role)}.tmp`, file(role));
    },
    clear(role: ServerRole): void {
      fs.rmSync(file(role), { force: true });
    },
  };
}

export class LocalImageError extends Error {}

/**
 * Starts one version of the sample app on a free loopback port and waits until it answers `/health/live`.
 * Readiness is deliberately not awaited: a version that never gets ready is for the analysis to catch.
 */
export async function startAppVersion(dir: string, role: ServerRole, image: string): Promise<SlotRecord> {
  const parsed = parseLocalImage(image);
  if (!parsed.ok) throw new LocalImageError(parsed.problems.join("\n"));
  const port = await freePort();
  const logPath = path.join(dir, `app-${role}-${parsed.image.version}-${port}.log`);
  const child = spawnDetached(process.execPath, ["--import", "tsx", SAMPLE_APP, "--port", String(port), "--app-version", parsed.image.version], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...faultProfileToEnvironment(parsed.image.faults), [LOCAL_DIR_VARIABLE]: path.resolve(dir) },
    logPath,
  });
  await waitFor(`${image} to answer /health/live on 127.0.0.1:${port}`, 15_000, async () => {
    // Fail fast: a version that exited will not answer however long we wait.
    if (!isProcessAlive(child.pid)) throw new GaveUpWaiting(`${image} exited during start:\n${tail(logPath)}`);
    const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.status === 200 ? true : undefined;
  });
  return { image, version: parsed.image.version, pid: child.pid, port, logPath };
}
