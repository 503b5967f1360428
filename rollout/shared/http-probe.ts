import http from "node:http";
import https from "node:https";
import type { HttpResponseSample } from "../engine/model.ts";

export interface HttpProbeRequest {
  readonly url: string;
  /** Extra request headers, e.g. `X-Canary: always` so an ALB rule sends the probe to the canary. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** How much of the body to keep; probes only need the start of it for an error message. */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 4_096;

function groupRawHeaders(raw: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    (headers[name] ??= []).push(raw[i + 1] as string);
  }
  return headers;
}

/**
 * GETs `url` once on a fresh connection and returns the exchange as it happened, every occurrence of a header
 * kept (`fetch` would merge a duplicated CORS header away); errors and timeouts come back as data, never thrown.
 * A fresh connection, because a probe must not ride a connection pinned to another server.
 */
export function httpProbe(request: HttpProbeRequest): Promise<HttpResponseSample> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const timeoutMs = request.timeoutMs ?? 2_000;
  const maxBodyBytes = request.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return new Promise((resolve) => {
    const failed = (error: string): void => resolve({ url: request.url, headers: {}, body: "", durationMs: elapsed(), error });
    let client: typeof http | typeof https;
    try {
      client = new URL(request.url).protocol === "https:" ? https : http;
    } catch {
      return failed(`invalid URL ${JSON.stringify(request.url)}`);
    }
    const outgoing = client.get(request.url, { headers: { ...request.headers, connection: "close" }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        if (size < maxBodyBytes) chunks.push(chunk);
        size += chunk.length;
      });
      response.on("end", () =>
        resolve({
          url: request.url,
          status: response.statusCode,
          headers: groupRawHeaders(response.rawHeaders),
          body: Buffer.concat(chunks).toString("utf8").slice(0, maxBodyBytes),
          durationMs: elapsed(),
        }),
      );
      response.on("error", (error) => failed(error.message));
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no response within ${timeoutMs} ms`)));
    outgoing.on("error", (error) => failed(error.message));
  });
}
