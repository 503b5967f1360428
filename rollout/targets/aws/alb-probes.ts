import type { HttpResponseSample, Version } from "../../engine/model.ts";
import type { ProbeSource } from "../../engine/ports.ts";
import type { HttpProbeRequest } from "../../shared/http-probe.ts";
import { httpProbe } from "../../shared/http-probe.ts";

export interface AlbProbeOptions {
  /** `https://<domain or ALB name>`: the public entrance, exactly as users reach it. */
  readonly origin: string;
  readonly canaryHeaderName: string;
  readonly canaryHeaderValue: string;
  readonly timeoutMs?: number;
  /** Injected in tests; the HTTP adapter otherwise. */
  readonly probe?: (request: HttpProbeRequest) => Promise<HttpResponseSample>;
}

/**
 * Probes through the ALB. The canary is reached with the canary header (a listener rule sends it there
 * whatever the weights), so probing works at weight 0 too; stable gets no header and may land on either
 * version by weight, which is why the engine only probes the canary.
 */
export class AlbProbeSource implements ProbeSource {
  readonly name: string;

  constructor(private readonly options: AlbProbeOptions) {
    this.name = `HTTPS ${options.origin} (canary with ${options.canaryHeaderName}: ${options.canaryHeaderValue})`;
  }

  probe(path: string, version: Version): Promise<HttpResponseSample> {
    const probe = this.options.probe ?? httpProbe;
    return probe({
      url: new URL(path, this.options.origin).toString(),
      ...(version === "canary" ? { headers: { [this.options.canaryHeaderName]: this.options.canaryHeaderValue } } : {}),
      timeoutMs: this.options.timeoutMs ?? 5_000,
    });
  }
}
