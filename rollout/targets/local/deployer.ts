import type { DeployedImages } from "../../engine/model.ts";
import type { Deployer } from "../../engine/ports.ts";
import type { LoopbackSite } from "./site.ts";
import { BACKEND, SERVERS } from "./haproxy-config.ts";
import { GaveUpWaiting, isProcessAlive, stopProcess, waitFor } from "../../shared/processes.ts";
import { RuntimeApiError, runtimeAction, runtimeCommand, serverStat } from "./runtime-api.ts";
import { isServerUp } from "./show-stat.ts";
import type { SlotRecord } from "./slots.ts";
import { slotFiles, startAppVersion } from "./slots.ts";

/** How long a stopping version may take to finish the requests it already has. */
const DRAIN_TIMEOUT_MS = 10_000;
/** HAProxy checks every 500 ms and needs 2 passes (haproxy-config.ts): a ready version is UP within ~1 s. */
const READY_TIMEOUT_MS = 5_000;

/**
 * Starts and stops versions of the sample app behind the two HAProxy servers. A deploy never restarts
 * HAProxy and never reuses a port: the new version gets a free port and the server is re-pointed at it with
 * `set server ... addr`, so requests in flight on the old process finish there.
 */
export class LocalDeployer implements Deployer {
  private readonly slots;

  constructor(private readonly site: LoopbackSite) {
    this.slots = slotFiles(site.dir);
  }

  async images(): Promise<DeployedImages> {
    return { stable: this.slots.read("stable")?.image, canary: this.slots.read("canary")?.image };
  }

  /** Starts `image` behind the canary server, which keeps whatever weight the router gave it (0 at this point). */
  async deployCanary(image: string): Promise<void> {
    const current = this.slots.read("canary");
    // Idempotent for `resume`: the same image already running is the deploy done.
    if (current?.image === image && isProcessAlive(current.pid)) return;
    await this.resetCanary();
    const record = await startAppVersion(this.site.dir, "canary", image);
    this.slots.write("canary", record);
    await this.pointServerAt("canary", record);
    // Leaving maintenance, HAProxy counts the server UP before any check of the new process has passed (it only
    // goes down after `fall` failures): mark it down at once (its weight is 0) so that only passing checks bring it up.
    await runtimeAction(this.site.adminSocketPath, `set server ${BACKEND}/${SERVERS.canary} state ready`);
    await runtimeAction(this.site.adminSocketPath, `set server ${BACKEND}/${SERVERS.canary} health down`);
    // Like Argo waiting for available pods: the deploy is done when HAProxy's own health check (GET
    // /health/ready) passes. A version that exits or never gets ready fails the deploy before any weight moves.
    await waitFor(`${image} to pass haproxy's health check (GET /health/ready)`, READY_TIMEOUT_MS, async () => {
      const stat = await serverStat(this.site.adminSocketPath, "canary");
      if (isServerUp(stat.status)) return true;
      if (!isProcessAlive(record.pid)) throw new GaveUpWaiting(`${image} exited after it started (haproxy: ${stat.status}); see ${record.logPath}`);
      throw new Error(`haproxy shows the canary ${stat.status}`);
    });
  }

  /**
   * The stable server takes `image`. Normally that is the canary's running process: stable is re-pointed at
   * it, so both servers run the new version and any weight split is safe. If no canary runs it (a resume after
   * the canary was already reset), a new process is started for stable. The old stable process then stops.
   */
  async promote(image: string): Promise<void> {
    const canary = this.slots.read("canary");
    const stable = this.slots.read("stable");
    if (stable?.image === image && isProcessAlive(stable.pid)) return;
    const next = canary?.image === image && isProcessAlive(canary.pid) ? canary : await startAppVersion(this.site.dir, "stable", image);
    await this.pointServerAt("stable", next);
    this.slots.write("stable", next);
    if (stable !== undefined && stable.pid !== next.pid) await stopProcess(stable.pid, DRAIN_TIMEOUT_MS);
  }

  /** Takes the canary server out of rotation and stops its version unless stable runs it (after a promotion). */
  async resetCanary(): Promise<void> {
    const canary = this.slots.read("canary");
    await runtimeAction(this.site.adminSocketPath, `set server ${BACKEND}/${SERVERS.canary} state maint`);
    if (canary === undefined) return;
    if (this.slots.read("stable")?.pid !== canary.pid) {
      // maint sends nothing new; wait for what is in flight before stopping the process.
      await waitFor("the canary's open sessions to finish", DRAIN_TIMEOUT_MS, async () => ((await serverStat(this.site.adminSocketPath, "canary")).currentSessions === 0 ? true : undefined)).catch(() => undefined);
      await stopProcess(canary.pid, DRAIN_TIMEOUT_MS);
    }
    this.slots.clear("canary");
  }

  private async pointServerAt(role: "stable" | "canary", record: SlotRecord): Promise<void> {
    const command = `set server ${BACKEND}/${SERVERS[role]} addr 127.0.0.1 port ${record.port}`;
    const answer = await runtimeCommand(this.site.adminSocketPath, command);
    // HAProxy answers this one with a sentence ("... port changed from ... by 'stats socket command'").
    if (!/changed|no need to change/.test(answer)) throw new RuntimeApiError(`runtime API: "${command}" was refused: ${answer.trim()}`);
  }
}
