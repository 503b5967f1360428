import net from "node:net";
import type { ServerRole } from "./haproxy-config.ts";
import { BACKEND, SERVERS } from "./haproxy-config.ts";
import type { ServerStat } from "./show-stat.ts";
import { parseShowStat } from "./show-stat.ts";

export class RuntimeApiError extends Error {}

/**
 * Sends one command to HAProxy's runtime API (the admin UNIX socket) and returns its answer.
 * The socket is opened per command (non-interactive mode): HAProxy answers and closes, so there is no
 * session state to lose when the process that holds the rollout dies and another one resumes it.
 */
export function runtimeCommand(socketPath: string, command: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RuntimeApiError(`runtime API ${socketPath}: no answer to "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(new RuntimeApiError(`runtime API ${socketPath}: "${command}" failed: ${error.message}`));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

/** Like `runtimeCommand`, but an answer other than empty (HAProxy's "done") is an error. */
export async function runtimeAction(socketPath: string, command: string): Promise<void> {
  const answer = (await runtimeCommand(socketPath, command)).trim();
  if (answer !== "") throw new RuntimeApiError(`runtime API: "${command}" was refused: ${answer}`);
}

/** The `show stat` line of one server of the app backend, read through the runtime API. */
export async function serverStat(socketPath: string, role: ServerRole): Promise<ServerStat> {
  const stat = parseShowStat(await runtimeCommand(socketPath, "show stat")).find((s) => s.backend === BACKEND && s.server === SERVERS[role]);
  if (stat === undefined) throw new RuntimeApiError(`runtime API: no server ${BACKEND}/${SERVERS[role]} in show stat`);
  return stat;
}
