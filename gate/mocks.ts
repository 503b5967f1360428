import type * as pulumi from "@pulumi/pulumi";
import { answerCall } from "./invokes.ts";
import { providerOutputs } from "./provider-outputs.ts";


/**
 * What a mock `call` returns for a provider function whose result cannot be known offline: the runner answers
 * the program with an unknown result, as the engine does for an invoke it cannot run during a preview.
 */
export const UNKNOWN_CALL_RESULT: Readonly<Record<string, unknown>> = Object.freeze({ "readiness:unknown-call-result": true });

/** Mocks for any AWS program: resources get what the provider computes (provider-outputs.ts), functions their typed answers (invokes.ts). */
export function awsMocks(region = "us-east-1"): pulumi.runtime.Mocks {
  return {
    newResource: (args) => providerOutputs(args, region),
    call: (args) => answerCall(args, region) ?? UNKNOWN_CALL_RESULT,
  };
}
