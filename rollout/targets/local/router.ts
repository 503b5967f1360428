import type { RouterHealth } from "../../engine/model.ts";
import type { ServerRole } from "./haproxy-config.ts";
import { BACKEND, SERVERS } from "./haproxy-config.ts";
import { isServerUp, parseGetWeight } from "./show-stat.ts";
import { runtimeAction, runtimeCommand, serverStat } from "./runtime-api.ts";

export interface RouterWeights {
  readonly stable: number;
  readonly canary: number;
}

/**
 * Traffic split through HAProxy's runtime API. Weights are percentages used directly as HAProxy weights
 * (0-256 allowed, so 0-100 fits); weight 0 keeps a server configured and checked but sends it nothing new,
 * which is what lets a weight change cost no request.
 */
export class LocalTrafficRouter {
  constructor(private readonly adminSocketPath: string) {}

  async setWeights(weights: RouterWeights): Promise<void> {
    for (const [role, weight] of Object.entries(weights) as [ServerRole, number][]) {
      if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new RangeError(`weight for ${role}=${weight}: expected an integer 0-100`);
    }
    // Raise the side that gains traffic first: in between, the canary's share lies between the old and the new
    // one (never past the plan), and both weights are never 0 at once, which would answer 503 to everyone.
    const order: ServerRole[] = weights.canary > (await this.readWeights()).canary ? ["canary", "stable"] : ["stable", "canary"];
    for (const role of order) await runtimeAction(this.adminSocketPath, `set server ${BACKEND}/${SERVERS[role]} weight ${weights[role]}`);
  }

  /** HAProxy's own health check of the version's server (`show stat`): what decides whether it gets requests. */
  async readHealth(role: ServerRole): Promise<RouterHealth> {
    const stat = await serverStat(this.adminSocketPath, role);
    return { status: isServerUp(stat.status) ? "healthy" : "unhealthy", detail: `haproxy server ${BACKEND}/${SERVERS[role]} is ${stat.status}` };
  }

  /** What HAProxy actually applies now (`get weight`), not what was asked. */
  async readWeights(): Promise<RouterWeights> {
    const weightOf = async (role: ServerRole): Promise<number> => parseGetWeight(await runtimeCommand(this.adminSocketPath, `get weight ${BACKEND}/${SERVERS[role]}`));
    return { stable: await weightOf("stable"), canary: await weightOf("canary") };
  }
}
